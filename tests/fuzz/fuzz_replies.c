/* libFuzzer target: a cloud reply as the agent takes it in. The first two bytes are the HTTP
 * status; then header lines up to an empty line go through the header parser one by one (as
 * curl hands them over), the rest is the body, classified as protocol §1 says. Every reply
 * gets an outcome, a code and a message, and headers never overflow what holds them. */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/api.h"

static void terminated(const char *s, size_t sz)
{
	if (!memchr(s, '\0', sz))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp;
	struct api_result r;
	if (size < 2)
		return 0;
	memset(&resp, 0, sizeof(resp));
	resp.status = (long)(data[0] | data[1] << 8) % 700;
	const char *p = (const char *)data + 2, *end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		char *line = malloc(n); /* exact size, as curl's buffer need not be terminated */
		if (!line)
			abort();
		memcpy(line, p, n);
		http_response_header(&resp, line, n);
		free(line);
		p += n;
		if (n <= 2 && (n == 1 || p[-2] == '\r'))
			break; /* the empty line: the body follows */
	}
	terminated(resp.signature, sizeof(resp.signature));
	terminated(resp.content_range, sizeof(resp.content_range));

	buf_init(&resp.body, HTTP_BODY_MAX);
	if (p < end && buf_append(&resp.body, p, (size_t)(end - p)))
		abort();
	api_classify(&resp, &r);
	terminated(r.code, sizeof(r.code));
	terminated(r.message, sizeof(r.message));
	if ((r.outcome == API_OK) != (resp.status >= 200 && resp.status < 300))
		abort();
	if (r.outcome != API_OK && (!r.code[0] || !r.message[0]))
		abort();
	if (resp.status == 401 && r.outcome != API_UNAUTHORIZED)
		abort();
	buf_free(&resp.body);
	return 0;
}
