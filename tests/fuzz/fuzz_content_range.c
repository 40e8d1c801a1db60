/* libFuzzer target: the Content-Range of an upload's chunk ("bytes FIRST-LAST/TOTAL",
 * cloud/domain/upload_rules.c). What it accepts is a range inside the total, and the
 * same numbers written back parse to the same range. */
/* fuzz-links: cloud/domain/upload_rules.c */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cloud/domain/upload_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], again[96];
	struct content_range r, r2;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (content_range_parse(text, &r) != 0)
		return 0;
	if (r.first > r.last || r.last >= r.total)
		abort(); /* a chunk must lie inside the upload */
	snprintf(again, sizeof(again), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r.first, r.last,
		 r.total);
	if (content_range_parse(again, &r2) != 0 || r2.first != r.first || r2.last != r.last ||
	    r2.total != r.total)
		abort();
	return 0;
}
