/* libFuzzer target: the JSON replies of the camera's JSON APIs (basicdeviceinfo.cgi,
 * firmwaremanagement.cgi): errors come as HTTP 200 with an "error" object. */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/json.h"
#include "../../platform/axis/axis.h"

static const struct axis_code codes[] = {
	{ 100, "the requested API version is not supported" },
	{ 0, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf reply;
	struct json_doc doc = { 0 };
	char reason[PLATFORM_REASON_MAX] = "";
	int data_tok = -1;
	buf_init(&reply, AXIS_REPLY_MAX);
	if (size && buf_append(&reply, data, size))
		abort();
	if (axis_json_reply("fuzz.cgi", &reply, &doc, 128, codes, &data_tok, reason,
			    sizeof(reason)) == 0) {
		if (data_tok < 0 || data_tok >= doc.count)
			abort();
	} else if (!reason[0]) {
		abort();
	}
	json_free(&doc);
	buf_free(&reply);
	return 0;
}
