/* libFuzzer target: camsim's multipart/form-data reader (what the simulated camera makes
 * of the agent's uploads). The first line is the Content-Type, the rest the body. Every
 * part it returns lies inside the body. */
/* fuzz-links: lib tests/camsim/multipart.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../camsim/camsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char ctype[256], why[128] = "";
	struct cs_part parts[8];
	int n = -1;
	if (!nl || (size_t)(nl - data) >= sizeof(ctype))
		return 0;
	memcpy(ctype, data, (size_t)(nl - data));
	ctype[nl - data] = '\0';
	size_t len = size - (size_t)(nl + 1 - data);
	char *body = malloc(len + 1); /* exact size: ASan sees any read past it */
	if (!body)
		abort();
	memcpy(body, nl + 1, len);
	body[len] = '\0';
	if (cs_multipart(ctype, body, len, parts, 8, &n, why, sizeof(why)) == 0) {
		if (n < 0 || n > 8)
			abort();
		for (int i = 0; i < n; i++)
			if (parts[i].data < body || parts[i].data + parts[i].len > body + len ||
			    !parts[i].name[0])
				abort();
	} else if (!why[0]) {
		abort();
	}
	free(body);
	return 0;
}
