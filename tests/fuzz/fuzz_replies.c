/* libFuzzer target: how the agent classifies any cloud reply (protocol §1): the first two
 * bytes are the HTTP status, the rest the body. Every reply gets an outcome, a code and a
 * message, whatever the body holds. */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	struct api_result r;
	if (size < 2)
		return 0;
	memset(&resp, 0, sizeof(resp));
	resp.status = (long)(data[0] | data[1] << 8) % 700;
	buf_init(&resp.body, HTTP_BODY_MAX);
	if (size > 2 && buf_append(&resp.body, data + 2, size - 2))
		abort();
	api_classify(&resp, &r);
	if (!memchr(r.code, 0, sizeof(r.code)) || !memchr(r.message, 0, sizeof(r.message)))
		abort();
	if ((r.outcome == API_OK) != (resp.status >= 200 && resp.status < 300))
		abort();
	if (r.outcome != API_OK && (!r.code[0] || !r.message[0]))
		abort();
	if (resp.status == 401 && r.outcome != API_UNAUTHORIZED)
		abort();
	buf_free(&resp.body);
	return 0;
}
