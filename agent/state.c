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

int state_load(const char *state_dir, struct agent_state *st, char *err, size_t errsz)
{
	char path[PATH_MAX];
	struct buf text;
	struct json_doc doc = { 0 };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	buf_init(&text, STATE_FILE_MAX);
	if (state_path(path, sizeof(path), state_dir, STATE_FILE)) {
		snprintf(err, errsz, "state dir path too long");
		goto out;
	}
	if (fs_read_file(path, &text, STATE_FILE_MAX)) {
		if (errno == ENOENT) {
			rc = 0;
			goto out;
		}
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	char enroll[32] = "";
	if (json_parse(&doc, buf_str(&text), text.len, 128) ||
	    json_get_string(&doc, 0, "enroll", enroll, sizeof(enroll))) {
		snprintf(err, errsz, "%s: not a valid state file", path);
		goto out;
	}
	for (size_t i = 0; i < sizeof(enroll_names) / sizeof(enroll_names[0]); i++)
		if (!strcmp(enroll, enroll_names[i]))
			st->enroll = (enum enroll_state)i;
	/* Optional fields: absent means empty. */
	(void)json_get_string(&doc, 0, "device_id", st->device_id, sizeof(st->device_id));
	(void)json_get_string(&doc, 0, "cloud_url", st->cloud_url, sizeof(st->cloud_url));
	(void)json_get_string(&doc, 0, "cloud_key", st->cloud_key_pem, sizeof(st->cloud_key_pem));
	(void)json_get_string(&doc, 0, "org", st->org, sizeof(st->org));
	(void)json_get_string(&doc, 0, "folder", st->folder, sizeof(st->folder));
	(void)json_get_string(&doc, 0, "spent_token_sha256", st->spent_token_sha256,
			      sizeof(st->spent_token_sha256));
	(void)json_get_string(&doc, 0, "last_error", st->last_error, sizeof(st->last_error));
	if (st->enroll == ENROLL_ENROLLED && (!st->device_id[0] || !st->cloud_url[0] ||
					      !st->cloud_key_pem[0])) {
		snprintf(err, errsz, "%s: enrolled but device id, cloud URL or cloud key missing", path);
		goto out;
	}
	rc = 0;
out:
	json_free(&doc);
	buf_free(&text);
	return rc;
}

int state_save(const char *state_dir, const struct agent_state *st)
{
	char path[PATH_MAX];
	struct buf out;
	struct json_writer w;
	int rc = -1;

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
	jw_object_end(&w);
	if (jw_finish(&w) || state_path(path, sizeof(path), state_dir, STATE_FILE))
		goto out;
	rc = fs_write_atomic(path, out.data, out.len, 0600);
out:
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
