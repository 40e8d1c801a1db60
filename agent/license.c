/* license: fetch -> verify envelope and binding -> install through the platform
 * -> remember (licenses.json) -> report each change once; revoked ones are taken off
 * when the cloud lists them, expired ones when their license_exp comes. A license
 * already handled is not installed again, so a fetch is cheap and idempotent. */
#include "license.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#define TOKEN_DIR "license-tokens" /* camcloud-signed tokens, for the apps that read them */

static int state_known(const char *s)
{
	return !strcmp(s, "active") || !strcmp(s, "failed") || !strcmp(s, "removed") ||
	       !strcmp(s, "expired");
}

/* licenses.json's shape: a bounded list of complete entries with valid ids. Files
 * written before states and expiry were kept say only "active": true/false. */
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
		int o = json_array_at(doc, arr, i), active = 0;
		if (json_get_string(doc, o, "state", e->state, sizeof(e->state)) != 0 &&
		    json_get_bool(doc, o, "active", &active) == 0)
			snprintf(e->state, sizeof(e->state), "%s", active ? "active" : "failed");
		(void)json_get_string(doc, o, "package", e->package, sizeof(e->package));
		(void)json_get_string(doc, o, "kind", e->kind, sizeof(e->kind));
		(void)json_get_int64(doc, o, "license_exp", &e->license_exp);
		if (json_get_string(doc, o, "license_id", e->license_id, sizeof(e->license_id)) ||
		    json_get_string(doc, o, "app", e->app, sizeof(e->app)) ||
		    json_get_string(doc, o, "reason", e->reason, sizeof(e->reason)) ||
		    json_get_bool(doc, o, "reported", &e->reported) || !proto_is_id(e->license_id) ||
		    !state_known(e->state) || e->license_exp < 0) {
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
	int rc = json_file_load(state_dir, LICENSES_FILE, LICENSES_FILE_MAX, 16 + LICENSE_MAX * 24,
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
		if (!strcmp(e->state, "installing"))
			continue; /* a restart fetches it again */
		jw_object_begin(&w);
		jw_kv_string(&w, "license_id", e->license_id);
		jw_kv_string(&w, "app", e->app);
		jw_kv_string(&w, "package", e->package);
		jw_kv_string(&w, "kind", e->kind);
		jw_kv_string(&w, "state", e->state);
		jw_kv_int(&w, "license_exp", e->license_exp);
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

static void save(struct agent *a)
{
	if (license_store_save(a->cfg.state_dir, &a->licenses))
		log_error("cannot save licenses in %s: %s", a->cfg.state_dir, strerror(errno));
}

static struct license_entry *find(struct license_set *set, const char *id)
{
	for (int i = 0; i < set->count; i++)
		if (!strcmp(set->items[i].license_id, id))
			return &set->items[i];
	return NULL;
}

/* A state change, logged old -> new, to be reported. */
static void set_state(struct license_entry *e, const char *state, const char *reason)
{
	log_info("license %s (%s): %s -> %s%s%s", e->license_id, e->app,
		 e->state[0] ? e->state : "new", state, reason && reason[0] ? ": " : "",
		 reason ? reason : "");
	snprintf(e->state, sizeof(e->state), "%s", state);
	snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
	e->reported = 0;
}

int license_payload_read(const char *payload, size_t len, struct license_payload_fields *out,
			 char *why, size_t whysz)
{
	struct json_doc doc = { 0 };
	static char key_b64[LICENSE_KEY_MAX * 4 / 3 + 8];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	key_b64[0] = '\0';
	if (json_parse(&doc, payload, len, 64) ||
	    json_get_string(&doc, 0, "app", out->app, sizeof(out->app)) ||
	    json_get_int64(&doc, 0, "license_exp", &out->license_exp) || out->license_exp < 0) {
		snprintf(why, whysz, "malformed license payload");
		goto out;
	}
	/* Payloads from before kinds were named carry a key and no kind. */
	if (json_get_string(&doc, 0, "kind", out->kind, sizeof(out->kind)) != 0)
		snprintf(out->kind, sizeof(out->kind), "tied");
	if (strcmp(out->kind, "tied") && strcmp(out->kind, "extension") &&
	    strcmp(out->kind, "cloud")) {
		snprintf(why, whysz, "unknown license kind %s", out->kind);
		goto out;
	}
	int has_key = json_get_string(&doc, 0, "key", key_b64, sizeof(key_b64)) == 0 && key_b64[0];
	if (!strcmp(out->kind, "cloud")) {
		rc = 0; /* the signed token is the license */
		goto out;
	}
	int n = has_key ? base64_decode(key_b64, strlen(key_b64), out->key, sizeof(out->key)) : -1;
	if (n <= 0) {
		snprintf(why, whysz, has_key ? "license key is not valid base64"
					     : "license payload has no key file");
		goto out;
	}
	out->keylen = (size_t)n;
	rc = 0;
out:
	json_free(&doc);
	return rc;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* The installed application a license is for: app is its name, or the application id
 * a vendor key file names (then the camera's last list says which application has it;
 * one it does not list goes to the camera as it is, which answers "not installed"). */
static void package_of(struct agent *a, const char *app, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", app);
	if (!all_digits(app))
		return;
	for (int i = 0; a->apps_known && i < a->apps->count; i++)
		if (!strcmp(a->apps->apps[i].app_id, app)) {
			snprintf(out, outsz, "%s", a->apps->apps[i].name);
			return;
		}
}

/* ---- the one license call on the camera at a time ---- */

/* What the entry becomes when the call succeeds. */
struct license_call_end {
	char license_id[LICENSE_FIELD_MAX];
	char state[16];
	char reason[64];
};
static struct license_call_end call_end;

static void on_camera_done(void *arg, int rc, const char *reason)
{
	struct agent *a = arg;
	struct license_entry *e = find(&a->licenses, call_end.license_id);
	a->license_busy = 0;
	if (e && rc < 0) {
		log_error("license %s for %s: %s", e->license_id, e->app, reason);
		set_state(e, "failed", reason);
	} else if (e) {
		set_state(e, call_end.state, call_end.reason[0] ? call_end.reason : NULL);
	}
	save(a);
	agent_report_soon(a);
	status_write(a);
	if (a->step_timer)
		agent_wake_now(a); /* a held poll gives way to the report of the change */
}

/* Starts the platform's install (key) or removal (key NULL) for e; e becomes state (with
 * why) once the camera confirmed, "failed" otherwise. */
static int camera_call(struct agent *a, struct license_entry *e, const void *key, size_t keylen,
		       const char *state, const char *why)
{
	char reason[PLATFORM_REASON_MAX];
	int rc = key ? a->plat.ops->license_install(a->plat.priv, e->package, key, keylen,
						     on_camera_done, a, reason, sizeof(reason))
		     : a->plat.ops->license_remove(a->plat.priv, e->package, on_camera_done, a,
						    reason, sizeof(reason));
	if (rc != 0) {
		log_error("license %s for %s: %s", e->license_id, e->app, reason);
		set_state(e, "failed", reason);
		return 1;
	}
	snprintf(call_end.license_id, sizeof(call_end.license_id), "%s", e->license_id);
	snprintf(call_end.state, sizeof(call_end.state), "%s", state);
	snprintf(call_end.reason, sizeof(call_end.reason), "%s", why ? why : "");
	a->license_busy = 1;
	return 0;
}

static int token_path(struct agent *a, const char *app, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s/%s.license", a->cfg.state_dir, TOKEN_DIR, app);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* A camcloud token: the verified envelope is kept where the app reads it. */
static int keep_token(struct agent *a, const char *app, const char *env, size_t len,
		      char *reason, size_t reasonsz)
{
	char path[sizeof(((struct agent_config *)0)->state_dir) + 2 * LICENSE_FIELD_MAX];
	snprintf(path, sizeof(path), "%s/%s", a->cfg.state_dir, TOKEN_DIR);
	if (fs_mkdirs(path, 0755) != 0 || token_path(a, app, path, sizeof(path)) != 0 ||
	    fs_write_atomic(path, env, len, 0644) != 0) {
		snprintf(reason, reasonsz, "cannot keep the license token for %s: %s", app,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Takes a license off the device and marks it state (why): the token goes at once, a key
 * file through the camera (on_camera_done marks it then). 1 when e changed now. */
static int take_off(struct agent *a, struct license_entry *e, const char *state,
		     const char *why)
{
	if (!strcmp(e->kind, "cloud")) {
		char path[sizeof(((struct agent_config *)0)->state_dir) + 2 * LICENSE_FIELD_MAX];
		if (token_path(a, e->app, path, sizeof(path)) == 0 && unlink(path) != 0 &&
		    errno != ENOENT) {
			char reason[PLATFORM_REASON_MAX];
			snprintf(reason, sizeof(reason), "cannot remove %s: %s", path, strerror(errno));
			set_state(e, "failed", reason);
			return 1;
		}
		set_state(e, state, why);
		return 1;
	}
	return camera_call(a, e, NULL, 0, state, why);
}

/* Installs one verified license payload; fills e with the outcome. */
static void install_one(struct agent *a, const char *env, size_t envlen, const char *payload,
			size_t len, struct license_entry *e)
{
	static struct license_payload_fields f;
	char reason[PLATFORM_REASON_MAX];

	if (license_payload_read(payload, len, &f, reason, sizeof(reason))) {
		set_state(e, "failed", reason);
		return;
	}
	snprintf(e->app, sizeof(e->app), "%s", f.app);
	snprintf(e->kind, sizeof(e->kind), "%s", f.kind);
	e->license_exp = f.license_exp;
	if (f.license_exp && f.license_exp <= agent_now(a)) {
		set_state(e, "failed", "license expired");
		return;
	}
	if (strcmp(f.kind, "cloud")) {
		package_of(a, f.app, e->package, sizeof(e->package));
		set_state(e, "installing", NULL); /* not kept: a restart fetches it again */
		(void)camera_call(a, e, f.key, f.keylen, "active", NULL);
		return;
	}
	if (keep_token(a, f.app, env, envlen, reason, sizeof(reason)) != 0) {
		log_error("license %s for %s refused: %s", e->license_id, e->app, reason);
		set_state(e, "failed", reason);
		return;
	}
	set_state(e, "active", NULL);
}

int license_take_envelope(struct agent *a, const char *env, size_t len,
			  const struct envelope_binding *want)
{
	struct buf payload;
	struct json_doc doc = { 0 };
	struct license_entry e = { 0 };
	int rc = -1;

	buf_init(&payload, ENVELOPE_MAX_BYTES);
	enum envelope_err err = envelope_open(a->cloud_key, env, len, &payload);
	if (err == ENVELOPE_OK)
		err = envelope_check_binding(payload.data, payload.len, want);
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
	rc = 0;
	if (find(&a->licenses, e.license_id))
		goto out; /* handled before */
	if (a->license_busy) {
		a->next_license_check = 0; /* the camera is busy with one: fetch again after it */
		rc = 1;
		goto out;
	}
	if (a->licenses.count >= LICENSE_MAX) {
		log_error("license %s: more than %d licenses; ignoring", e.license_id, LICENSE_MAX);
		goto out;
	}
	install_one(a, env, len, payload.data, payload.len, &e);
	a->licenses.items[a->licenses.count++] = e;
	save(a);
	agent_report_soon(a); /* license states are part of the report */
out:
	json_free(&doc);
	buf_free(&payload);
	return rc;
}

/* The cloud revoked a license: take it off (once) and report it removed. 1 when that
 * is news (something done or to be done), 0 when it was handled before. */
static int revoke_one(struct agent *a, const char *id, const char *app)
{
	struct license_entry *e = find(&a->licenses, id);
	if (e && (!strcmp(e->state, "removed") || !strcmp(e->state, "installing")))
		return 0;
	if (!e) { /* never installed here: nothing to take off, but the cloud must hear it */
		if (a->licenses.count >= LICENSE_MAX)
			return 0;
		e = &a->licenses.items[a->licenses.count++];
		memset(e, 0, sizeof(*e));
		snprintf(e->license_id, sizeof(e->license_id), "%s", id);
		snprintf(e->app, sizeof(e->app), "%s", app);
		snprintf(e->kind, sizeof(e->kind), "tied");
	} else if (!strcmp(e->state, "active")) {
		if (a->license_busy) {
			a->next_license_check = 0; /* after the call in flight */
			return 1;
		}
		if (take_off(a, e, "removed", "revoked")) {
			save(a);
			agent_report_soon(a);
		}
		return 1;
	}
	set_state(e, "removed", "revoked");
	save(a);
	agent_report_soon(a);
	return 1;
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
	struct envelope_binding want = {
		.type = "license", .device_id = a->st.device_id, .serial = a->ident.serial,
		.now = agent_now(a), .max_skew = ENVELOPE_SKEW_S,
	};
	int before = a->licenses.count, news = 0;
	for (int i = 0; i < json_array_len(&doc, arr); i++) {
		size_t len;
		const char *env = json_tok_raw(&doc, json_array_at(&doc, arr, i), &len);
		news |= license_take_envelope(a, env, len, &want) == 1; /* to take after */
	}
	int rev = json_find(&doc, 0, "revoked");
	for (int i = 0; rev >= 0 && i < json_array_len(&doc, rev); i++) {
		char id[LICENSE_FIELD_MAX], app[LICENSE_FIELD_MAX];
		int o = json_array_at(&doc, rev, i);
		if (json_get_string(&doc, o, "license_id", id, sizeof(id)) == 0 && proto_is_id(id) &&
		    json_get_string(&doc, o, "app", app, sizeof(app)) == 0)
			news |= revoke_one(a, id, app);
	}
	if (news || a->licenses.count != before)
		a->idle_hints = 0; /* the hint that led here was news */
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

int64_t license_expire_due(struct agent *a)
{
	int64_t now = agent_now(a), next = INT64_MAX;
	int changed = 0;
	for (int i = 0; i < a->licenses.count; i++) {
		struct license_entry *e = &a->licenses.items[i];
		if (strcmp(e->state, "active") || !e->license_exp)
			continue;
		if (e->license_exp > now || a->license_busy) {
			next = e->license_exp < next ? e->license_exp : next;
			continue;
		}
		changed |= take_off(a, e, "expired", "license expired");
	}
	if (changed) {
		save(a);
		agent_report_soon(a);
		status_write(a);
	}
	return next;
}

/* The cloud took (or, refusing, will never take) the first unreported state. */
static void mark_first_unreported(struct agent *a, const struct api_result *refused)
{
	for (int i = 0; i < a->licenses.count; i++) {
		struct license_entry *e = &a->licenses.items[i];
		if (e->reported || !strcmp(e->state, "installing"))
			continue;
		if (refused)
			log_error("license %s: status report refused: %s", e->license_id, refused->message);
		e->reported = 1;
		break;
	}
	save(a);
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
		if (e->reported || !strcmp(e->state, "installing"))
			continue;
		buf_init(&body, 2048);
		jw_init(&w, &body);
		jw_object_begin(&w);
		jw_kv_string(&w, "state", e->state);
		if (e->reason[0])
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
