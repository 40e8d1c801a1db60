/* payload: builds the JSON the cloud signs or hands out — task and license
 * payloads (protocol §5-7) and the printable enrollment token (§2). Pure functions
 * over struct buf. */
#ifndef CLOUD_PAYLOAD_H
#define CLOUD_PAYLOAD_H

#include <stdint.h>

#include "../../lib/buf.h"
#include "../../lib/json.h"
#include "policy.h"

struct task_payload {
	const char *device_id, *serial;
	int64_t iat, exp;
	const char *task_id, *model, *target_version;
	int allow_downgrade;
	const char *artifact_id;
	int64_t size;
	const char *sha256;
	const struct task_window *window; /* NULL: none */
	/* an application task (§6a) when app_action is set: target_version is then the
	 * package's version and the artifact is sent for install only */
	const char *app_action, *app_name;
	const char *app_params; /* set_params: a JSON array of {"name","value"}; else NULL */
};

struct license_payload {
	const char *device_id, *serial;
	int64_t iat, exp;
	const char *license_id, *app;
	const char *kind;    /* tied | extension | cloud */
	const char *key_b64; /* the vendor key file as stored (base64); NULL: none (cloud) */
	int64_t license_exp;
};

#define TOKEN_STRING_MAX 1024

int payload_task(const struct task_payload *t, struct buf *out);
/* Writes the value of a "window" field (§6): null, {"kind":"utc","start","end"} or
 * {"kind":"daily","from","to"}. */
void payload_window(struct json_writer *w, const struct task_window *win);
int payload_license(const struct license_payload *l, struct buf *out);
/* "cam1." + base64url({"url","secret","fp"}); out holds TOKEN_STRING_MAX. */
int token_string(const char *url, const char *secret, const char *fp, char *out, size_t outsz);

#endif
