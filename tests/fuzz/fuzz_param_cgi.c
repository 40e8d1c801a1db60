/* libFuzzer target: a param.cgi "action=list" reply from the camera (root.Group.Param=value
 * lines). Accepted settings are NUL-terminated, control-character free and in range. */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../platform/axis/axis.h"

static void printable(const char *s, size_t sz)
{
	const char *end = memchr(s, '\0', sz);
	if (!end)
		abort();
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf reply;
	struct platform_settings out;
	char reason[PLATFORM_REASON_MAX];
	buf_init(&reply, AXIS_REPLY_MAX);
	if (size && buf_append(&reply, data, size))
		abort();
	memset(&out, 0, sizeof(out));
	if (axis_params_parse("camagent", &reply, &out, reason, sizeof(reason)) == 0) {
		printable(out.cloud_url, sizeof(out.cloud_url));
		printable(out.enrollment_token, sizeof(out.enrollment_token));
		if (out.long_poll_s < 0 || out.long_poll_s > 300)
			abort();
	}
	buf_free(&reply);
	return 0;
}
