/* libFuzzer target: the XML of applications/list.cgi, where the agent reads its apps'
 * versions and states and whether a license key took (License="Valid"). */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../platform/axis/axis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1);
	struct platform_app_list *list = malloc(sizeof(*list));
	char reason[PLATFORM_REASON_MAX] = "";
	if (!xml || !list)
		abort();
	memcpy(xml, data, size);
	xml[size] = '\0';
	if (axis_apps_parse(xml, size, list, reason, sizeof(reason)) == 0) {
		if (list->count < 0 || list->count > PLATFORM_APPS_MAX)
			abort();
		for (int i = 0; i < list->count; i++)
			if (!list->apps[i].name[0] ||
			    !memchr(list->apps[i].name, '\0', sizeof(list->apps[i].name)))
				abort();
	} else if (!reason[0]) {
		abort();
	}
	free(list);
	free(xml);
	return 0;
}
