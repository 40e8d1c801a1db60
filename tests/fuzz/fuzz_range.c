/* libFuzzer target: the small parsers of camcloud's request line and headers: Range
 * (artifact downloads), Authorization: Bearer, and the wait= query value. The first
 * 8 bytes are the file size a Range is checked against; the rest is the header text. */
/* fuzz-links: lib cloud */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cloud/domain/policy.h"
#include "../../cloud/http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t file_size = 0, from = UINT64_MAX;
	char text[512];
	if (size < sizeof(file_size))
		return 0;
	memcpy(&file_size, data, sizeof(file_size));
	size -= sizeof(file_size);
	data += sizeof(file_size);
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';

	enum range_result r = range_parse(text, file_size, &from);
	if (r == RANGE_OK && from >= file_size)
		abort(); /* a 206 must start inside the file */
	if (r == RANGE_NONE)
		abort(); /* only a missing header means "whole file" */

	char bearer[BEARER_MAX];
	if (bearer_parse(text, bearer, sizeof(bearer)) == 0 &&
	    (!bearer[0] || strlen(bearer) >= sizeof(bearer) || strpbrk(bearer, " \r\n")))
		abort();

	int wait = -1;
	if (wait_parse(text, &wait) == 0 && (wait < 0 || wait > POLICY_WAIT_MAX))
		abort();
	return 0;
}
