/* api: turns an http_response into an api_result (see api.h). */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "../lib/json.h"

void api_classify(const struct http_response *resp, struct api_result *out)
{
	memset(out, 0, sizeof(*out));
	out->status = resp->status;
	if (resp->curl_code != CURLE_OK || resp->status == 0) {
		out->outcome = API_RETRY;
		snprintf(out->code, sizeof(out->code), "transport");
		snprintf(out->message, sizeof(out->message), "%s",
			 resp->error[0] ? resp->error : curl_easy_strerror(resp->curl_code));
		return;
	}
	if (resp->status >= 200 && resp->status < 300) {
		out->outcome = API_OK;
		return;
	}
	struct json_doc doc = { 0 };
	if (resp->body.len && !json_parse(&doc, buf_str(&resp->body), resp->body.len, 64)) {
		(void)json_get_string(&doc, 0, "error.code", out->code, sizeof(out->code));
		(void)json_get_string(&doc, 0, "error.message", out->message, sizeof(out->message));
	}
	json_free(&doc);
	if (!out->code[0])
		snprintf(out->code, sizeof(out->code), "http_%ld", resp->status);
	if (!out->message[0])
		snprintf(out->message, sizeof(out->message), "HTTP %ld", resp->status);

	if (resp->status == 401)
		out->outcome = API_UNAUTHORIZED;
	else if (resp->status == 410 && !strcmp(out->code, "device_removed"))
		out->outcome = API_REMOVED;
	else if (resp->status >= 500 || resp->status == 429 || resp->status == 408)
		out->outcome = API_RETRY;
	else
		out->outcome = API_REFUSED;
}
