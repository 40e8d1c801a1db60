/* license: fetch -> verify envelope and binding -> install through the platform
 * -> remember (licenses.json) -> report once. A license already handled is not
 * installed again, so a fetch is cheap and idempotent. */
#include "license.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/buf.h"
#include "../lib/envelope.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/protocol.h"
#include "agent.h"
#include "api.h"
#include "status.h"

#define LICENSES_FILE "licenses.json"
#define LICENSES_FILE_MAX (64 * 1024)
#define ENVELOPE_SKEW_S 300

/* licenses.json's shape: a bounded list of complete entries with valid ids. */
static int licenses_shape(const struct json_doc *doc, void *out, char *err, size_t errsz)
{
	struct license_set *set = out;

	memset(set, 0, sizeof(*set));
	int arr = json_find(doc, 0, "licenses");
	int n = json_array_len(doc, arr);
	if (n < 0 || n > LICENSE_MAX) {
		snprintf(err, errsz, "bad license list");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct license_entry *e = &set->items[i];
		int o = json_array_at(doc, arr, i);
		if (json_get_string(doc, o, "license_id", e->license_id, sizeof(e->license_id)) ||
		    json_get_string(doc, o, "app", e->app, sizeof(e->app)) ||
		    json_get_bool(doc, o, "active", &e->active) ||
		    json_get_string(doc, o, "reason", e->reason, sizeof(e->reason)) ||
		    json_get_bool(doc, o, "reported", &e->reported) || !proto_is_id(e->license_id)) {
			snprintf(err, errsz, "bad license entry %d", i);
			return -1;
		}
	}
	set->count = n;
	return 0;
}

int license_store_load(const char *state_dir, struct license_set *set, char *err, size_t errsz)
{
	memset(set, 0, sizeof(*set));
	int rc = json_file_load(state_dir, LICENSES_FILE, LICENSES_FILE_MAX, 16 + LICENSE_MAX * 16,
				licenses_shape, set, err, errsz);
	if (rc == -1)
		memset(set, 0, sizeof(*set));
	return rc == JSON_FILE_MISSING ? 0 : rc;
}

int license_store_save(const char *state_dir, const struct license_set *set)
{
	struct buf out;
	struct json_writer w;

	buf_init(&out, LICENSES_FILE_MAX);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_key(&w, "licenses");
	jw_array_begin(&w);
	for (int i = 0; i < set->count; i++) {
		const struct license_entry *e = &set->items[i];
		jw_object_begin(&w);
		jw_kv_string(&w, "license_id", e->license_id);
		jw_kv_string(&w, "app", e->app);
		jw_kv_bool(&w, "active", e->active);
		jw_kv_string(&w, "reason", e->reason);
		jw_kv_bool(&w, "reported", e->reported);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	int rc = json_file_write(state_dir, LICENSES_FILE, &w, 0600);
	buf_free(&out);
	return rc;
}

static struct license_entry *find(struct license_set *set, const char *id)
{
	for (int i = 0; i < set->count; i++)
		if (!strcmp(set->items[i].license_id, id))
			return &set->items[i];
	return NULL;
}

int license_payload_read(const char *payload, size_t len, char *app, size_t appsz,
			 uint8_t *key, size_t keysz, size_t *keylen, int64_t *license_exp,
			 char *why, size_t whysz)
{
	struct json_doc doc = { 0 };
	char key_b64[LICENSE_KEY_MAX * 4 / 3 + 8];
	int n = -1;

	*license_exp = 0;
	if (json_parse(&doc, payload, len, 64) || json_get_string(&doc, 0, "app", app, appsz) ||
	    json_get_string(&doc, 0, "key", key_b64, sizeof(key_b64)) ||
	    json_get_int64(&doc, 0, "license_exp", license_exp))
		snprintf(why, whysz, "malformed license payload");
	else if ((n = base64_decode(key_b64, strlen(key_b64), key, keysz)) <= 0)
		snprintf(why, whysz, "license key is not valid base64");
	json_free(&doc);
	if (n <= 0)
		return -1;
	*keylen = (size_t)n;
	return 0;
}

/* Installs one verified license payload; fills e with the outcome. */
static void install_one(struct agent *a, const char *payload, size_t len, struct license_entry *e)
{
	uint8_t key[LICENSE_KEY_MAX];
	size_t keylen;
	char reason[PLATFORM_REASON_MAX];
	int64_t license_exp;

	if (license_payload_read(payload, len, e->app, sizeof(e->app), key, sizeof(key), &keylen,
				 &license_exp, e->reason, sizeof(e->reason)))
		goto out;
	if (license_exp && license_exp <= agent_now(a)) {
		snprintf(e->reason, sizeof(e->reason), "license expired");
		goto out;
	}
	if (a->plat.ops->license_install(a->plat.priv, e->app, key, keylen, reason, sizeof(reason))) {
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
		goto out;
	}
	e->active = 1;
	log_info("license %s for %s activated", e->license_id, e->app);
out:
	if (!e->active)
		log_error("license %s for %s refused: %s", e->license_id, e->app, e->reason);
}

static void handle_envelope(struct agent *a, const char *env, size_t len)
{
	struct buf payload;
	struct json_doc doc = { 0 };
	struct license_entry e = { 0 };
	struct envelope_binding want = {
		.type = "license", .device_id = a->st.device_id, .serial = a->ident.serial,
		.now = agent_now(a), .max_skew = ENVELOPE_SKEW_S,
	};

	buf_init(&payload, ENVELOPE_MAX_BYTES);
	enum envelope_err err = envelope_open(a->cloud_key, env, len, &payload);
	if (err == ENVELOPE_OK)
		err = envelope_check_binding(payload.data, payload.len, &want);
	if (err != ENVELOPE_OK) {
		/* Nothing in it can be trusted, not even its id: log and leave it. */
		log_error("refusing a license envelope: %s", envelope_strerror(err));
		goto out;
	}
	if (json_parse(&doc, payload.data, payload.len, 64) ||
	    json_get_string(&doc, 0, "license_id", e.license_id, sizeof(e.license_id)) ||
	    !proto_is_id(e.license_id)) {
		log_error("refusing a license: payload has no valid license_id");
		goto out;
	}
	if (find(&a->licenses, e.license_id))
		goto out; /* handled before */
	if (a->licenses.count >= LICENSE_MAX) {
		log_error("license %s: more than %d licenses; ignoring", e.license_id, LICENSE_MAX);
		goto out;
	}
	install_one(a, payload.data, payload.len, &e);
	a->licenses.items[a->licenses.count++] = e;
	if (license_store_save(a->cfg.state_dir, &a->licenses))
		log_error("cannot save licenses in %s: %s", a->cfg.state_dir, strerror(errno));
	a->next_report = 0; /* license states are part of the report */
out:
	json_free(&doc);
	buf_free(&payload);
}

static enum call_outcome on_fetch_refused(struct agent *a, const struct api_result *r)
{
	log_error("license fetch refused: %s (%s)", r->message, r->code);
	a->next_license_check = agent_now(a) + a->cfg.license_check_s;
	return CALL_NEXT;
}

static enum call_outcome on_fetched(struct agent *a, const struct http_response *resp)
{
	struct json_doc doc = { 0 };
	int arr = -1;
	if (json_parse(&doc, buf_str(&resp->body), resp->body.len, 2048) ||
	    (arr = json_find(&doc, 0, "licenses")) < 0 || json_array_len(&doc, arr) < 0) {
		json_free(&doc);
		return CALL_MALFORMED;
	}
	a->next_license_check = agent_now(a) + a->cfg.license_check_s;
	for (int i = 0; i < json_array_len(&doc, arr); i++) {
		size_t len;
		const char *env = json_tok_raw(&doc, json_array_at(&doc, arr, i), &len);
		handle_envelope(a, env, len);
	}
	json_free(&doc);
	status_write(a);
	return CALL_DONE;
}

void license_fetch_start(struct agent *a)
{
	char url[CONFIG_URL_MAX + 64];
	if (agent_url(a, NULL, "/device/v1/licenses", url, sizeof(url))) {
		agent_fail(a, FAIL_LOCAL, "license fetch: URL too long");
		return;
	}
	struct agent_call call = {
		.what = "license fetch", .spec = { .url = url },
		.on_success = on_fetched, .on_refused = on_fetch_refused,
	};
	agent_call(a, &call);
}

/* The cloud took (or, refusing, will never take) the first unreported state. */
static void mark_first_unreported(struct agent *a, const struct api_result *refused)
{
	for (int i = 0; i < a->licenses.count; i++) {
		struct license_entry *e = &a->licenses.items[i];
		if (e->reported)
			continue;
		if (refused)
			log_error("license %s: status report refused: %s", e->license_id, refused->message);
		e->reported = 1;
		break;
	}
	if (license_store_save(a->cfg.state_dir, &a->licenses))
		log_error("cannot save licenses in %s: %s", a->cfg.state_dir, strerror(errno));
}

static enum call_outcome on_license_report_refused(struct agent *a, const struct api_result *r)
{
	mark_first_unreported(a, r);
	return CALL_NEXT;
}

static enum call_outcome on_license_reported(struct agent *a, const struct http_response *resp)
{
	(void)resp;
	mark_first_unreported(a, NULL);
	return CALL_DONE;
}

int license_report_pending(struct agent *a)
{
	char url[CONFIG_URL_MAX + 128], path[128];
	struct buf body;
	struct json_writer w;

	for (int i = 0; i < a->licenses.count; i++) {
		struct license_entry *e = &a->licenses.items[i];
		if (e->reported)
			continue;
		buf_init(&body, 2048);
		jw_init(&w, &body);
		jw_object_begin(&w);
		jw_kv_string(&w, "state", e->active ? "active" : "failed");
		if (!e->active)
			jw_kv_string(&w, "reason", e->reason);
		jw_object_end(&w);
		snprintf(path, sizeof(path), "/device/v1/licenses/%s/status", e->license_id);
		if (jw_finish(&w) || agent_url(a, NULL, path, url, sizeof(url))) {
			agent_fail(a, FAIL_LOCAL, "cannot build the license status report");
		} else {
			struct agent_call call = {
				.what = "license status report",
				.spec = { .method = "POST", .url = url, .body = body.data,
					  .body_len = body.len },
				.on_success = on_license_reported, .on_refused = on_license_report_refused,
			};
			agent_call(a, &call);
		}
		buf_free(&body);
		return 1;
	}
	return 0;
}
