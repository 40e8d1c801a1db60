/* api: classifies a cloud reply (protocol.md §1) so every module reacts the
 * same way: retry transport errors and 5xx, re-authenticate on 401, wipe on 410,
 * give up on other 4xx. */
#ifndef CAM_AGENT_API_H
#define CAM_AGENT_API_H

#include "http.h"

enum api_outcome {
	API_OK,          /* 2xx */
	API_RETRY,       /* transport error, 5xx, 429: back off and try again */
	API_UNAUTHORIZED,/* 401: authenticate again */
	API_REMOVED,     /* 410 device_removed: the device was decommissioned */
	API_REFUSED,     /* any other 4xx: final for this request */
};

struct api_result {
	enum api_outcome outcome;
	long status;
	char code[64];      /* error.code, or "transport" */
	char message[256];  /* error.message or the transport error */
};

void api_classify(const struct http_response *resp, struct api_result *out);

#endif
