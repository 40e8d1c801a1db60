/* appctl: installing and running applications through the VAPIX Application API [APP]:
 *   applications/upload.cgi   multipart part "packfil" with the .eap; installs at once.
 *                             "OK" or "Error: <n>": 1 invalid package, 2 verification failed
 *                             (unsigned while AllowUnsigned is false, or a bad signature),
 *                             3 too large, 5 not compatible (architecture, manifest schema,
 *                             compatibleOsVersions), 10 unspecified, 12 upload ongoing,
 *                             13 user or group not allowed, 14 exists with another letter
 *                             case, 15 timed out, 29 invalid manifest.json
 *   applications/control.cgi  action=start|stop|restart|remove&package=<appName>: "OK" or
 *                             "Error: <n>": 1 invalid package, 4 not found, 6 already
 *                             running, 7 not running, 9 too many running (before AXIS OS
 *                             12.6), 10 unspecified, 15 timed out
 *   applications/config.cgi   action=get|set&name=AllowUnsigned|AllowRoot[&value=true|false];
 *                             AllowUnsigned defaults to true before AXIS OS 12.0, false from
 *                             it; AllowRoot exists in 11.5 to 11.11, false by default from 11.8
 * The reply text of config.cgi is not in the documentation read: camsim answers
 * <reply result="ok"><param name="N" value="V"/></reply> (UNCONFIRMED).
 * Codes 10, 12 and 15 (and any other) come from the fault switches only.
 * Signatures: how AXIS OS verifies a signed .eap was not read, so camsim stands in with an
 * entry SIGNATURE.camsim holding "sha256=<hex of manifest.json>" (tests/tools/mkeap.sh
 * --signed); absent means unsigned, a mismatch means an invalid signature.
 * A fresh install is Stopped (start it with control.cgi, as eap-install.sh does [BIR]); an
 * upgrade keeps the app's state, and a running app is restarted with the new version. For
 * the agent's own app (--app-name) that restart stops and starts the supervised process
 * again. The process is the same AGENT_CMD camsim was given: camsim does not run the
 * package's executable, it records the new version (list.cgi) and restarts. */
#include "camsim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../lib/crypto.h"
#include "../../lib/eap.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/keyfile.h"

#define APPS_FILE "apps.json"
#define APPS_JSON_MAX (256 * 1024)
#define UPLOAD_MAX (512 * 1024 * 1024)
#define SIGNATURE_ENTRY "SIGNATURE.camsim"

/* ---- persistence ---- */

void cs_apps_save(struct camsim *cs)
{
	char path[PATH_MAX + 16];
	struct buf out;
	struct json_writer w;

	buf_init(&out, APPS_JSON_MAX);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_kv_int(&w, "allow_unsigned", cs->allow_unsigned);
	jw_kv_int(&w, "allow_root", cs->allow_root);
	jw_kv_bool(&w, "app_removed", cs->app_removed);
	jw_key(&w, "apps");
	jw_array_begin(&w);
	for (int i = 0; i < cs->napps; i++) {
		const struct cs_app *a = &cs->apps[i];

		jw_object_begin(&w);
		jw_kv_string(&w, "name", a->name);
		jw_kv_string(&w, "nice", a->nice);
		jw_kv_string(&w, "vendor", a->vendor);
		jw_kv_string(&w, "version", a->version);
		jw_kv_string(&w, "app_id", a->app_id);
		jw_kv_string(&w, "setting_page", a->setting_page);
		jw_kv_string(&w, "vendor_url", a->vendor_url);
		jw_kv_bool(&w, "needs_license", a->needs_license);
		jw_kv_bool(&w, "custom_license", a->custom_license);
		jw_kv_bool(&w, "running", a->running);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	snprintf(path, sizeof(path), "%s/%s", cs->dir, APPS_FILE);
	if (jw_finish(&w) != 0 || fs_write_atomic(path, out.data, out.len, 0644) != 0)
		cs_log("cannot write %s: %s", path, strerror(errno));
	buf_free(&out);
}

static void load_key(struct camsim *cs, struct cs_app *a)
{
	char path[PATH_MAX + CS_FIELD + 16];
	struct buf key;

	snprintf(path, sizeof(path), "%s/licenses/%s.key", cs->dir, a->name);
	buf_init(&key, CS_KEY_MAX - 1);
	if (fs_read_file(path, &key, CS_KEY_MAX - 1) == 0 && key.len) {
		memcpy(a->key, key.data, key.len);
		a->keylen = key.len;
		struct keyfile_ids k;
		a->exp = keyfile_read(key.data, key.len, &k) == 0 ? keyfile_expiry(&k) : 0;
	}
	buf_free(&key);
}

/* Reads <dir>/apps.json when an earlier run left one: the applications it installed. */
void cs_apps_load(struct camsim *cs)
{
	char path[PATH_MAX + 16];
	struct buf text;
	struct json_doc d = { 0 };
	int64_t v;
	int arr;

	cs->allow_unsigned = -1;
	cs->allow_root = -1;
	snprintf(path, sizeof(path), "%s/%s", cs->dir, APPS_FILE);
	buf_init(&text, APPS_JSON_MAX);
	if (fs_read_file(path, &text, APPS_JSON_MAX) != 0 ||
	    json_parse(&d, text.data, text.len, 4096) != 0) {
		buf_free(&text);
		return;
	}
	if (json_get_int64(&d, 0, "allow_unsigned", &v) == 0)
		cs->allow_unsigned = (int)v;
	if (json_get_int64(&d, 0, "allow_root", &v) == 0)
		cs->allow_root = (int)v;
	(void)json_get_bool(&d, 0, "app_removed", &cs->app_removed);
	arr = json_find(&d, 0, "apps");
	cs->napps = 0;
	for (int i = 0; i < json_array_len(&d, arr) && cs->napps < CS_APPS; i++) {
		int o = json_array_at(&d, arr, i);
		struct cs_app *a = &cs->apps[cs->napps];

		memset(a, 0, sizeof(*a));
		if (json_get_string(&d, o, "name", a->name, sizeof(a->name)) != 0)
			continue;
		(void)json_get_string(&d, o, "nice", a->nice, sizeof(a->nice));
		(void)json_get_string(&d, o, "vendor", a->vendor, sizeof(a->vendor));
		(void)json_get_string(&d, o, "version", a->version, sizeof(a->version));
		(void)json_get_string(&d, o, "app_id", a->app_id, sizeof(a->app_id));
		(void)json_get_string(&d, o, "setting_page", a->setting_page, sizeof(a->setting_page));
		(void)json_get_string(&d, o, "vendor_url", a->vendor_url, sizeof(a->vendor_url));
		(void)json_get_bool(&d, o, "needs_license", &a->needs_license);
		(void)json_get_bool(&d, o, "custom_license", &a->custom_license);
		(void)json_get_bool(&d, o, "running", &a->running);
		load_key(cs, a);
		cs->napps++;
	}
	json_free(&d);
	buf_free(&text);
	cs_log("%d applications from %s", cs->napps, path);
}

int cs_allow_unsigned(const struct camsim *cs)
{
	return cs->allow_unsigned >= 0 ? cs->allow_unsigned
				       : cs_version_compare(cs->active, "12.0") < 0;
}

/* AllowRoot exists in AXIS OS 11.5 to 11.11 [APP]. */
static int has_allow_root(const struct camsim *cs)
{
	return cs_version_compare(cs->active, "11.5") >= 0 &&
	       cs_version_compare(cs->active, "12.0") < 0;
}

/* ---- upload.cgi ---- */

struct package {
	struct buf manifest;
	char signature[128];
	int has_manifest, manifest_too_large;
};

static int on_entry(void *arg, const char *name, const char *data, uint64_t len)
{
	struct package *p = arg;

	if (!strcmp(name, "manifest.json")) {
		if (!data) {
			p->manifest_too_large = 1;
			return 0;
		}
		buf_reset(&p->manifest);
		if (buf_append(&p->manifest, data, (size_t)len) != 0)
			return -1;
		p->has_manifest = 1;
	} else if (!strcmp(name, SIGNATURE_ENTRY) && data) {
		snprintf(p->signature, sizeof(p->signature), "%.*s",
			 (int)strcspn(data, "\r\n"), data);
	}
	return 0;
}

/* 0 when the package may be installed; else the upload.cgi error code. */
static int verify(struct camsim *cs, const char *path, struct eap_manifest *m)
{
	struct package p = { 0 };
	char why[256], want[CRYPTO_SHA256_HEX_LEN + 8];
	int has_exe = 0, code = 0;

	buf_init(&p.manifest, EAP_MANIFEST_MAX);
	if (eap_scan(path, EAP_MANIFEST_MAX, on_entry, &p, why, sizeof(why)) != 0) {
		cs_log("upload.cgi: invalid package: %s", why);
		code = 1;
	} else if (!p.has_manifest || p.manifest_too_large ||
		   eap_manifest_parse(p.manifest.data, p.manifest.len, m, why, sizeof(why)) != 0) {
		cs_log("upload.cgi: %s", p.has_manifest ? why : "no readable manifest.json");
		code = 29;
	} else if (eap_read_manifest(path, m, &has_exe, why, sizeof(why)) != 0 || !has_exe) {
		cs_log("upload.cgi: invalid package: no executable %s", m->app_name);
		code = 1;
	}
	if (code)
		goto out;
	snprintf(want, sizeof(want), "sha256=");
	crypto_sha256_hex(p.manifest.data, p.manifest.len, want + 7);
	if (p.signature[0] ? strcmp(p.signature, want) != 0 : !cs_allow_unsigned(cs)) {
		cs_log("upload.cgi: verification failed: %s", p.signature[0]
				   ? "the signature does not match"
				   : "unsigned package and AllowUnsigned is false");
		code = 2;
	} else if (eap_user_allowed(m, cs->active, why, sizeof(why)) != 0) {
		cs_log("upload.cgi: user or group not allowed: %s", why);
		code = 13;
	} else if ((!strcmp(m->user_name, "root") || !strcmp(m->user_group, "root")) &&
		   has_allow_root(cs) && cs->allow_root != 1 &&
		   (cs->allow_root == 0 || cs_version_compare(cs->active, "11.8") >= 0)) {
		cs_log("upload.cgi: user or group not allowed: root while AllowRoot is false");
		code = 13;
	} else if (eap_compatible(m, cs->arch, cs->active, why, sizeof(why)) != 0) {
		cs_log("upload.cgi: not compatible: %s", why);
		code = 5;
	}
out:
	buf_free(&p.manifest);
	return code;
}

static void install(struct camsim *cs, struct cs_app *a, const struct eap_manifest *m)
{
	int upgrade = a->name[0] != '\0';

	if (!upgrade) {
		memset(a, 0, sizeof(*a));
		snprintf(a->name, sizeof(a->name), "%s", m->app_name);
		cs->napps++;
	}
	snprintf(a->nice, sizeof(a->nice), "%s", m->friendly_name[0] ? m->friendly_name
								      : m->app_name);
	snprintf(a->vendor, sizeof(a->vendor), "%s", m->vendor);
	snprintf(a->version, sizeof(a->version), "%s", m->version);
	snprintf(a->app_id, sizeof(a->app_id), "%s", m->app_id);
	snprintf(a->setting_page, sizeof(a->setting_page), "%s", m->setting_page);
	snprintf(a->vendor_url, sizeof(a->vendor_url), "%s", m->vendor_url);
	a->needs_license = !strcmp(m->copy_protection, "axis");
	a->custom_license = !strcmp(m->copy_protection, "custom");
	if (cs_params_install(cs, !strcmp(a->name, cs->app) ? cs->param_group : a->name, m) != 0)
		cs_log("upload.cgi: cannot write the parameters of %s", a->name);
	cs_log("upload.cgi: %s %s %s", upgrade ? "upgraded" : "installed", a->name, a->version);
	if (!strcmp(a->name, cs->app)) {
		cs->app_upgrades += upgrade;
		if (!upgrade || cs->app_removed) {
			cs->app_removed = 0;
			a->running = 0; /* a fresh install waits for control.cgi start */
		} else if (a->running) {
			/* the camera restarts an upgraded app; after the reply, so the agent that
			 * uploaded hears "OK" before it goes */
			struct timeval tv = { (time_t)cs->app_restart_s,
					      (suseconds_t)((cs->app_restart_s -
							     (time_t)cs->app_restart_s) * 1e6) };

			evtimer_add(cs->app_restart_timer, &tv);
		}
	}
}

void cs_upload(struct camsim *cs, struct evhttp_request *req)
{
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
					       "Content-Type");
	char path[PATH_MAX + 16], why[128];
	struct cs_part parts[8];
	const struct cs_part *pkg = NULL;
	struct eap_manifest *m = NULL;
	struct cs_fault f;
	struct buf body;
	int n, code = 0;

	cs_fault_take(cs, "upload.cgi", NULL, &f);
	if (cs_body(req, &body, UPLOAD_MAX) != 0) {
		cs_app_error(cs, req, &f, 3);
		return;
	}
	snprintf(path, sizeof(path), "%s/upload.eap", cs->dir);
	if (f.kind == FAULT_ERROR) {
		code = f.value;
	} else if (f.kind == FAULT_OK) {
		cs_app_text(cs, req, &f, "OK\r\n");
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		cs_send(cs, req, &f, 405, "text/plain", "POST only\n", 10);
		goto out;
	} else if (!ctype || cs_multipart(ctype, body.data, body.len, parts, 8, &n, why,
					  sizeof(why)) != 0) {
		cs_log("upload.cgi: %s", ctype ? why : "not multipart");
		code = 1;
	} else {
		for (int i = 0; i < n && !pkg; i++)
			if (!strcmp(parts[i].name, "packfil"))
				pkg = &parts[i];
		if (!pkg || pkg->len == 0) {
			cs_log("upload.cgi: no part named packfil");
			code = 1;
		} else if (pkg->len > cs->max_package) {
			code = 3;
		} else if (fs_write_atomic(path, pkg->data, pkg->len, 0600) != 0) {
			cs_log("upload.cgi: cannot store the package: %s", strerror(errno));
			code = 10;
		} else if (!(m = calloc(1, sizeof(*m)))) {
			code = 10;
		} else if ((code = verify(cs, path, m)) == 0) {
			struct cs_app *a = cs_find_app(cs, m->app_name);

			for (int i = 0; i < cs->napps && !a && !code; i++)
				if (!strcasecmp(cs->apps[i].name, m->app_name))
					code = 14;
			if (!code && !a && cs->napps == CS_APPS) {
				cs_log("upload.cgi: camsim holds at most %d applications", CS_APPS);
				code = 10;
			}
			if (!code) {
				cs_app_text(cs, req, &f, "OK\r\n");
				install(cs, a ? a : &cs->apps[cs->napps], m);
				cs_apps_save(cs);
				cs_save_state(cs);
			}
		}
		(void)unlink(path);
	}
	if (code)
		cs_app_error(cs, req, &f, code);
out:
	free(m);
	buf_free(&body);
}

/* ---- control.cgi ---- */

static int running_count(const struct camsim *cs)
{
	int n = 0;

	for (int i = 0; i < cs->napps; i++)
		n += cs_app_running(cs, &cs->apps[i]);
	return n;
}

static void remove_app(struct camsim *cs, struct cs_app *a)
{
	char path[PATH_MAX + CS_FIELD + 16];

	snprintf(path, sizeof(path), "%s/licenses/%s.key", cs->dir, a->name);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/params/%s.conf", cs->dir, a->name);
	(void)unlink(path);
	if (!strcmp(a->name, cs->app)) {
		cs_agent_stop(cs);
		cs->app_removed = 1;
	}
	cs_log("control.cgi: %s removed", a->name);
	memmove(a, a + 1, (size_t)(&cs->apps[cs->napps] - (a + 1)) * sizeof(*a));
	cs->napps--;
}

/* 0 when done; else the control.cgi error code. */
static int control(struct camsim *cs, const char *action, struct cs_app *a)
{
	int own = !strcmp(a->name, cs->app), running = cs_app_running(cs, a) || (own && a->running);

	if (!strcmp(action, "start")) {
		if (running)
			return 6;
		if (cs->max_running && cs_version_compare(cs->active, "12.6") < 0 &&
		    running_count(cs) >= cs->max_running)
			return 9;
		a->running = 1;
		if (own)
			cs_agent_start(cs);
	} else if (!strcmp(action, "stop")) {
		if (!running)
			return 7;
		a->running = 0;
		if (own)
			cs_agent_stop(cs);
	} else if (!strcmp(action, "restart")) {
		if (!running)
			return 7; /* UNCONFIRMED: whether restart starts a stopped app */
		struct timeval now = { 0, 0 };

		if (own)
			evtimer_add(cs->app_restart_timer, &now); /* after the reply */
	} else {
		remove_app(cs, a);
	}
	cs_log("control.cgi: %s %s", action, own ? "the agent's own app" : "");
	return 0;
}

void cs_control(struct camsim *cs, struct evhttp_request *req)
{
	char action[32] = "", package[CS_FIELD] = "";
	struct cs_fault f;
	struct buf body;
	struct cs_app *a;
	int code;

	if (cs_body(req, &body, 64 * 1024) != 0) {
		cs_send(cs, req, NULL, 413, "text/plain", "too large\n", 10);
		return;
	}
	cs_arg(req, &body, "action", action, sizeof(action));
	cs_arg(req, &body, "package", package, sizeof(package));
	cs_fault_take(cs, "control.cgi", action, &f);
	a = cs_find_app(cs, package);
	if (f.kind == FAULT_ERROR) {
		cs_app_error(cs, req, &f, f.value);
	} else if (f.kind == FAULT_OK) {
		cs_app_text(cs, req, &f, "OK\r\n");
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		cs_send(cs, req, &f, 405, "text/plain", "POST only\n", 10);
	} else if (strcmp(action, "start") && strcmp(action, "stop") && strcmp(action, "restart") &&
		   strcmp(action, "remove")) {
		cs_send(cs, req, &f, 400, "text/plain", "Error: unknown action\r\n", 23);
	} else if (!package[0]) {
		cs_app_error(cs, req, &f, 1);
	} else if (!a) {
		cs_app_error(cs, req, &f, 4);
	} else if ((code = control(cs, action, a)) != 0) {
		cs_app_error(cs, req, &f, code);
	} else {
		cs_app_text(cs, req, &f, "OK\r\n");
		cs_apps_save(cs);
		cs_save_state(cs);
	}
	buf_free(&body);
}

/* ---- config.cgi ---- */

static void config_reply(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
			 const char *name, int value, const char *error)
{
	char out[256];

	if (error)
		snprintf(out, sizeof(out), "<reply result=\"error\">\n <error type=\"%d\" "
					   "message=\"%s\"/>\n</reply>\n", f->kind == FAULT_ERROR
					   ? f->value : 1, error);
	else
		snprintf(out, sizeof(out), "<reply result=\"ok\">\n <param name=\"%s\" value=\"%s\"/>"
					   "\n</reply>\n", name, value ? "true" : "false");
	cs_send(cs, req, f, 200, "text/xml", out, strlen(out));
}

void cs_config(struct camsim *cs, struct evhttp_request *req)
{
	char action[16] = "", name[32] = "", value[16] = "";
	struct cs_fault f;
	struct buf body;
	int *slot = NULL, cur = 0;

	if (cs_body(req, &body, 64 * 1024) != 0) {
		cs_send(cs, req, NULL, 413, "text/plain", "too large\n", 10);
		return;
	}
	cs_arg(req, &body, "action", action, sizeof(action));
	cs_arg(req, &body, "name", name, sizeof(name));
	cs_arg(req, &body, "value", value, sizeof(value));
	cs_fault_take(cs, "config.cgi", action, &f);
	if (!strcmp(name, "AllowUnsigned")) {
		slot = &cs->allow_unsigned;
		cur = cs_allow_unsigned(cs);
	} else if (!strcmp(name, "AllowRoot") && has_allow_root(cs)) {
		slot = &cs->allow_root;
		cur = cs->allow_root >= 0 ? cs->allow_root
					  : cs_version_compare(cs->active, "11.8") < 0;
	}
	if (f.kind == FAULT_ERROR)
		config_reply(cs, req, &f, name, 0, "Simulated error");
	else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		cs_send(cs, req, &f, 405, "text/plain", "POST only\n", 10);
	else if (!slot)
		config_reply(cs, req, &f, name, 0, "Unknown name");
	else if (!strcmp(action, "get"))
		config_reply(cs, req, &f, name, cur, NULL);
	else if (strcmp(action, "set") || (strcmp(value, "true") && strcmp(value, "false")))
		config_reply(cs, req, &f, name, 0, "Invalid action or value");
	else {
		*slot = !strcmp(value, "true");
		cs_log("config.cgi: %s=%s", name, value);
		cs_apps_save(cs);
		cs_save_state(cs);
		config_reply(cs, req, &f, name, *slot, NULL);
	}
	buf_free(&body);
}
