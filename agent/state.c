/* state: load and save struct agent_state as JSON through the shared json reader
 * and writer. Unknown fields are ignored so newer agents can add some. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/buf.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"

#define STATE_FILE "state.json"
#define STATE_FILE_MAX (16 * 1024)

static const char *const enroll_names[] = { "unenrolled", "enrolled", "refused", "removed" };

const char *enroll_state_name(enum enroll_state s)
{
	return (unsigned)s < sizeof(enroll_names) / sizeof(enroll_names[0]) ? enroll_names[s] : "?";
}

int state_path(char *out, size_t outsz, const char *state_dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", state_dir, name);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* state.json's shape: the enroll state known, and an enrolled state complete with a
 * pinned cloud key that parses. */
static int state_shape(const struct json_doc *doc, void *out, char *err, size_t errsz)
{
	struct agent_state *st = out;
	char enroll[32] = "";
	int known = 0;

	memset(st, 0, sizeof(*st));
	if (json_get_string(doc, 0, "enroll", enroll, sizeof(enroll))) {
		snprintf(err, errsz, "not a valid state file");
		return -1;
	}
	for (size_t i = 0; i < sizeof(enroll_names) / sizeof(enroll_names[0]); i++) {
		if (!strcmp(enroll, enroll_names[i])) {
			st->enroll = (enum enroll_state)i;
			known = 1;
		}
	}
	if (!known) {
		snprintf(err, errsz, "unknown enroll state");
		return -1;
	}
	/* Optional fields: absent means empty. */
	(void)json_get_string(doc, 0, "device_id", st->device_id, sizeof(st->device_id));
	(void)json_get_string(doc, 0, "cloud_url", st->cloud_url, sizeof(st->cloud_url));
	(void)json_get_string(doc, 0, "cloud_key", st->cloud_key_pem, sizeof(st->cloud_key_pem));
	(void)json_get_string(doc, 0, "org", st->org, sizeof(st->org));
	(void)json_get_string(doc, 0, "folder", st->folder, sizeof(st->folder));
	(void)json_get_string(doc, 0, "spent_token_sha256", st->spent_token_sha256,
			      sizeof(st->spent_token_sha256));
	(void)json_get_string(doc, 0, "last_error", st->last_error, sizeof(st->last_error));
	(void)json_get_string(doc, 0, "last_task_id", st->last_task_id, sizeof(st->last_task_id));
	(void)json_get_string(doc, 0, "last_task_target", st->last_task_target,
			      sizeof(st->last_task_target));
	(void)json_get_string(doc, 0, "last_task_state", st->last_task_state,
			      sizeof(st->last_task_state));
	(void)json_get_string(doc, 0, "last_task_reason", st->last_task_reason,
			      sizeof(st->last_task_reason));
	if (st->enroll != ENROLL_ENROLLED)
		return 0;
	struct crypto_key *pinned = NULL;
	if (!st->device_id[0] || !st->cloud_url[0] ||
	    crypto_key_from_public_pem(&pinned, st->cloud_key_pem)) {
		snprintf(err, errsz, "enrolled but device id, cloud URL or a valid cloud key missing");
		return -1;
	}
	crypto_key_free(pinned);
	return 0;
}

int state_load(const char *state_dir, struct agent_state *st, char *err, size_t errsz)
{
	memset(st, 0, sizeof(*st));
	int rc = json_file_load(state_dir, STATE_FILE, STATE_FILE_MAX, 128, state_shape, st, err,
				errsz);
	if (rc == -1)
		memset(st, 0, sizeof(*st));
	return rc == JSON_FILE_MISSING ? 0 : rc;
}

int state_save(const char *state_dir, const struct agent_state *st)
{
	struct buf out;
	struct json_writer w;

	buf_init(&out, STATE_FILE_MAX);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_kv_string(&w, "enroll", enroll_state_name(st->enroll));
	jw_kv_string(&w, "device_id", st->device_id);
	jw_kv_string(&w, "cloud_url", st->cloud_url);
	jw_kv_string(&w, "cloud_key", st->cloud_key_pem);
	jw_kv_string(&w, "org", st->org);
	jw_kv_string(&w, "folder", st->folder);
	jw_kv_string(&w, "spent_token_sha256", st->spent_token_sha256);
	jw_kv_string(&w, "last_error", st->last_error);
	jw_kv_string(&w, "last_task_id", st->last_task_id);
	jw_kv_string(&w, "last_task_target", st->last_task_target);
	jw_kv_string(&w, "last_task_state", st->last_task_state);
	jw_kv_string(&w, "last_task_reason", st->last_task_reason);
	jw_object_end(&w);
	int rc = json_file_write(state_dir, STATE_FILE, &w, 0600);
	buf_free(&out);
	return rc;
}

void state_forget_enrollment(struct agent_state *st, enum enroll_state why)
{
	char spent[CRYPTO_SHA256_HEX_LEN];
	char last_error[STATE_ERROR_MAX];
	memcpy(spent, st->spent_token_sha256, sizeof(spent));
	memcpy(last_error, st->last_error, sizeof(last_error));
	memset(st, 0, sizeof(*st));
	memcpy(st->spent_token_sha256, spent, sizeof(spent));
	memcpy(st->last_error, last_error, sizeof(last_error));
	st->enroll = why;
}
