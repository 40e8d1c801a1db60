/* libFuzzer target: the XML of applications/list.cgi, where the agent reads whether its
 * license key took (License="Valid"). */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../platform/axis/axis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1);
	char state[32], reason[PLATFORM_REASON_MAX] = "";
	if (!xml)
		abort();
	memcpy(xml, data, size);
	xml[size] = '\0';
	if (axis_license_list_parse(xml, size, "camagent", state, sizeof(state), reason,
				    sizeof(reason)) == 0) {
		if (!memchr(state, '\0', sizeof(state)) || !state[0])
			abort();
	} else if (!reason[0]) {
		abort();
	}
	free(xml);
	return 0;
}
