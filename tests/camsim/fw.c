/* fw: basicdeviceinfo.cgi [BDI] and firmwaremanagement.cgi [FW] as documented: JSON POST
 * bodies, HTTP-200 error objects, A/B firmware with commit, rollback and the autoRollback
 * timer, refusal of downgrades without factoryDefaultMode "hard". Images are the sim format
 * ("CAMSIM-IMAGE 1\nmodel=M\nversion=V\nboot=ok|fail\n\n<payload>"): boot=fail is an image
 * that does not come up, so the bootloader stays on the old firmware. */
#include "camsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/json.h"

#define JSON_MAX (64 * 1024)
#define IMAGE_MAGIC "CAMSIM-IMAGE 1\n"

static void finish(struct json_writer *w)
{
	if (jw_finish(w) != 0)
		cs_log("cannot encode a JSON reply");
}

struct jreq {
	struct json_doc doc;
	char api[16];
	char context[64];
	char method[48];
	int params;        /* token of "params", -1 when absent */
};

static void jreply(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		   const struct jreq *r, int with_method, struct buf *data_json, int code,
		   const char *message)
{
	struct buf out;
	struct json_writer w;

	buf_init(&out, JSON_MAX);
	jw_init(&w, &out);
	jw_object_begin(&w);
	if (r->api[0])
		jw_kv_string(&w, "apiVersion", r->api);
	if (r->context[0])
		jw_kv_string(&w, "context", r->context);
	if (with_method && r->method[0])
		jw_kv_string(&w, "method", r->method);
	if (code) {
		jw_key(&w, "error");
		jw_object_begin(&w);
		jw_kv_int(&w, "code", code);
		jw_kv_string(&w, "message", message);
		jw_object_end(&w);
	} else {
		jw_key(&w, "data");
		jw_raw(&w, data_json && data_json->len ? data_json->data : "{}",
		       data_json && data_json->len ? data_json->len : 2);
	}
	jw_object_end(&w);
	if (jw_finish(&w) == 0)
		cs_send(cs, req, f, 200, "application/json", out.data, out.len);
	else
		cs_send(cs, req, NULL, 500, "text/plain", "encode\n", 7);
	buf_free(&out);
}

/* Reads apiVersion, context, method, params; -1 when the body is not a JSON object. */
static int jparse(struct jreq *r, const char *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->params = -1;
	if (json_parse(&r->doc, body, len, 128) != 0 || json_type_of(&r->doc, 0) != JSON_OBJECT) {
		json_free(&r->doc);
		return -1;
	}
	(void)json_get_string(&r->doc, 0, "apiVersion", r->api, sizeof(r->api));
	(void)json_get_string(&r->doc, 0, "context", r->context, sizeof(r->context));
	(void)json_get_string(&r->doc, 0, "method", r->method, sizeof(r->method));
	r->params = json_find(&r->doc, 0, "params");
	return 0;
}

static int api_major_is(const char *api, int max_minor)
{
	int major, minor, n = 0;

	return sscanf(api, "%d.%d%n", &major, &minor, &n) == 2 && api[n] == '\0' && major == 1 &&
	       minor >= 0 && minor <= max_minor;
}

/* A JSON API request: POST with a JSON object body. 0 with r filled, or -1 when the
 * error reply was sent already (api names the version the error replies carry). */
static int jread(struct camsim *cs, struct evhttp_request *req, struct jreq *r, const char *api)
{
	struct buf body;

	memset(r, 0, sizeof(*r));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		snprintf(r->api, sizeof(r->api), "%s", api);
		jreply(cs, req, NULL, r, 0, NULL, 2002, "Only POST supported");
		return -1;
	}
	if (cs_body(req, &body, JSON_MAX) != 0) {
		jreply(cs, req, NULL, r, 0, NULL, 4000, "Request too large");
		return -1;
	}
	if (jparse(r, body.data, body.len) != 0) {
		buf_free(&body);
		jreply(cs, req, NULL, r, 0, NULL, 4000, "Invalid JSON");
		return -1;
	}
	buf_free(&body);
	return 0;
}

int cs_ready(const struct camsim *cs)
{
	return cs_now() >= cs->ready_at;
}

/* ---- systemready.cgi: anonymous; bootid is new at every boot, uptime counts from it ---- */

void cs_systemready(struct camsim *cs, struct evhttp_request *req)
{
	struct jreq r;
	struct cs_fault f;
	struct buf data;
	struct json_writer w;
	char uptime[24];

	if (jread(cs, req, &r, "1.4") != 0)
		return;
	cs_fault_take(cs, "systemready.cgi", r.method, &f);
	buf_init(&data, JSON_MAX);
	jw_init(&w, &data);
	if (!strcmp(r.method, "systemready")) {
		snprintf(uptime, sizeof(uptime), "%lld", (long long)(cs_now() - cs->booted_at));
		jw_object_begin(&w);
		jw_kv_string(&w, "systemready", cs_ready(cs) ? "yes" : "no");
		jw_kv_string(&w, "needsetup", "no");
		jw_kv_string(&w, "uptime", uptime);
		jw_kv_string(&w, "bootid", cs->boot_id);
		jw_object_end(&w);
		finish(&w);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else if (!strcmp(r.method, "getSupportedVersions")) {
		jw_object_begin(&w);
		jw_key(&w, "apiVersions");
		jw_array_begin(&w);
		jw_string(&w, "1.4");
		jw_array_end(&w);
		jw_object_end(&w);
		finish(&w);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else {
		jreply(cs, req, &f, &r, 1, NULL, 2004, "Method not supported");
	}
	json_free(&r.doc);
	buf_free(&data);
}

/* ---- basicdeviceinfo.cgi ---- */

static void properties(struct camsim *cs, struct json_writer *w, int restricted)
{
	char full[128], shortname[96];

	snprintf(full, sizeof(full), "AXIS %s Network Camera", cs->model);
	snprintf(shortname, sizeof(shortname), "AXIS %s", cs->model);
	jw_object_begin(w);
	jw_key(w, "propertyList");
	jw_object_begin(w);
	if (restricted)
		jw_kv_string(w, "Architecture", cs->arch);
	jw_kv_string(w, "Brand", "AXIS");
	jw_kv_string(w, "BuildDate", "Jan 01 2026 00:00");
	jw_kv_string(w, "HardwareID", cs->hwid);
	jw_kv_string(w, "ProdFullName", full);
	jw_kv_string(w, "ProdNbr", cs->model);
	jw_kv_string(w, "ProdShortName", shortname);
	jw_kv_string(w, "ProdType", "Network Camera");
	jw_kv_string(w, "ProdVariant", "");
	jw_kv_string(w, "SerialNumber", cs->serial);
	if (restricted) {
		jw_kv_string(w, "Soc", "Axis Artpec-8");
		jw_kv_string(w, "SocSerialNumber", "00000000-00000000-44123C08-C840037D");
	}
	jw_kv_string(w, "Version", cs->active);
	jw_kv_string(w, "WebURL", "http://www.axis.com");
	jw_object_end(w);
	jw_object_end(w);
}

void cs_basicdeviceinfo(struct camsim *cs, struct evhttp_request *req)
{
	struct jreq r;
	struct cs_fault f;
	struct buf data;
	struct json_writer w;
	int restricted;

	if (jread(cs, req, &r, "1.3") != 0)
		return;
	cs_fault_take(cs, "basicdeviceinfo.cgi", r.method, &f);
	buf_init(&data, JSON_MAX);
	jw_init(&w, &data);
	if (!r.method[0]) {
		jreply(cs, req, &f, &r, 0, NULL, 4002, "Required parameter missing: method");
	} else if (!strcmp(r.method, "getSupportedVersions")) {
		jw_object_begin(&w);
		jw_key(&w, "apiVersions");
		jw_array_begin(&w);
		jw_string(&w, "1.0");
		jw_string(&w, "1.1");
		jw_string(&w, "1.2");
		jw_string(&w, "1.3");
		jw_array_end(&w);
		jw_object_end(&w);
		finish(&w);
		jreply(cs, req, &f, &r, 0, &data, 0, NULL);
	} else if (!r.api[0]) {
		jreply(cs, req, &f, &r, 0, NULL, 4002, "Required parameter missing: apiVersion");
	} else if (!api_major_is(r.api, 3)) {
		jreply(cs, req, &f, &r, 0, NULL, 2003, "API version not supported");
	} else if (f.kind == FAULT_ERROR) {
		jreply(cs, req, &f, &r, 0, NULL, f.value, "Simulated error");
	} else if ((restricted = !strcmp(r.method, "getAllProperties")) ||
		   !strcmp(r.method, "getAllUnrestrictedProperties")) {
		if (restricted && !cs_authorized(cs, req, 0)) {
			json_free(&r.doc);
			buf_free(&data);
			cs_reply_401(req, cs);
			return;
		}
		properties(cs, &w, restricted);
		finish(&w);
		jreply(cs, req, &f, &r, 0, &data, 0, NULL);
	} else {
		jreply(cs, req, &f, &r, 0, NULL, 2004, "Method not supported");
	}
	json_free(&r.doc);
	buf_free(&data);
}

/* ---- firmware state ---- */

static void on_rollback_timer(evutil_socket_t fd, short what, void *arg)
{
	struct camsim *cs = arg;

	cs->rollback_armed = 0;
	if (cs->committed || !cs->inactive[0])
		return;
	cs_log("autoRollback: AXIS OS %s was not committed in time; rolling back to %s", cs->active,
	       cs->inactive);
	cs_schedule_reboot(cs, 1, "auto-rollback");
}

static void arm_rollback(struct camsim *cs, int minutes)
{
	double s = minutes * cs->minute_s;
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (time_t)s) * 1e6) };

	if (!cs->rollback_timer)
		cs->rollback_timer = evtimer_new(cs->base, on_rollback_timer, cs);
	cs->rollback_at = cs_now() + s;
	cs->rollback_armed = 1;
	evtimer_add(cs->rollback_timer, &tv);
}

static void disarm_rollback(struct camsim *cs)
{
	if (cs->rollback_timer)
		evtimer_del(cs->rollback_timer);
	cs->rollback_armed = 0;
}

void cs_boot(struct camsim *cs)
{
	if (cs->reboot_rollback && cs->inactive[0]) {
		cs_log("boot: rolled back from AXIS OS %s to %s", cs->active, cs->inactive);
		snprintf(cs->active, sizeof(cs->active), "%s", cs->inactive);
		cs->inactive[0] = '\0';
		cs->committed = 1;
		cs->pending = 0;
		cs->rollbacks++;
		disarm_rollback(cs);
		return;
	}
	if (!cs->pending)
		return; /* a plain reboot: an uncommitted firmware stays so, its timer runs on */
	cs->pending = 0;
	if (!cs->pending_boots) {
		cs_log("boot: AXIS OS %s did not come up; the bootloader went back to %s",
		       cs->pending_version, cs->active);
		cs->committed = 1;
		cs->rollbacks++;
		return;
	}
	time_t now = (time_t)cs_wallclock(cs);
	struct tm tm;

	strftime(cs->last_upgrade_at, sizeof(cs->last_upgrade_at), "%Y-%m-%dT%H:%M:%S+00:00",
		 gmtime_r(&now, &tm));
	snprintf(cs->inactive, sizeof(cs->inactive), "%s", cs->active);
	snprintf(cs->active, sizeof(cs->active), "%s", cs->pending_version);
	cs->committed = cs->pending_auto_commit;
	cs_log("boot: AXIS OS %s (%s%s)", cs->active, cs->committed ? "committed" : "uncommitted",
	       !cs->committed && cs->pending_rollback_min >= 0 ? ", autoRollback armed" : "");
	if (!cs->committed && cs->pending_rollback_min >= 0)
		arm_rollback(cs, cs->pending_rollback_min);
	if (strcmp(cs->pending_factory, "none") != 0) {
		/* soft and hard remove all applications [FW]: the agent is gone with them */
		for (int i = 0; i < cs->napps; i++)
			cs->apps[i].keylen = 0;
		cs->app_removed = 1;
		cs_log("boot: factory default (%s) removed the applications", cs->pending_factory);
	}
}

void cs_arm_rollback(struct camsim *cs)
{
	arm_rollback(cs, cs->pending_rollback_min);
}

/* ---- firmwaremanagement.cgi ---- */

static void status_data(struct camsim *cs, struct buf *data)
{
	struct json_writer w;
	char part[96];

	snprintf(part, sizeof(part), "CAMSIM-%s", cs->model);
	jw_init(&w, data);
	jw_object_begin(&w);
	jw_kv_string(&w, "activeFirmwareVersion", cs->active);
	jw_kv_string(&w, "activeFirmwarePart", part);
	if (cs->inactive[0]) {
		jw_kv_string(&w, "inactiveFirmwareVersion", cs->inactive);
		jw_kv_bool(&w, cs->commit_key, cs->committed);
		jw_kv_string(&w, "lastUpgradeAt", cs->last_upgrade_at);
	}
	if (cs->rollback_armed && !cs->committed) {
		double left = (cs->rollback_at - cs_now()) * 60.0 / cs->minute_s;

		jw_kv_int(&w, "timeToRollback", left > 0 ? (int64_t)left : 0);
	}
	jw_object_end(&w);
	finish(&w);
}

static int one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

/* Validates upgrade params; 0 or -1 with the message. */
static int upgrade_params(const struct jreq *r, char *fdm, char *ac, char *ar, const char **msg)
{
	static const char *const fdms[] = { "none", "soft", "hard", NULL };
	static const char *const acs[] = { "never", "boot", "started", "default", NULL };
	const struct json_doc *d = &r->doc;

	strcpy(fdm, "none");
	strcpy(ac, "default");
	strcpy(ar, "default");
	if (r->params < 0)
		return 0;
	if (json_type_of(d, r->params) != JSON_OBJECT) {
		*msg = "params must be an object";
		return -1;
	}
	int tok;
	if ((tok = json_find(d, r->params, "factoryDefaultMode")) >= 0 &&
	    (json_tok_string(d, tok, fdm, 8) != 0 || !one_of(fdm, fdms))) {
		*msg = "Invalid value for factoryDefaultMode";
		return -1;
	}
	if ((tok = json_find(d, r->params, "autoCommit")) >= 0 &&
	    (json_tok_string(d, tok, ac, 16) != 0 || !one_of(ac, acs))) {
		*msg = "Invalid value for autoCommit";
		return -1;
	}
	if ((tok = json_find(d, r->params, "autoRollback")) >= 0) {
		if (json_tok_string(d, tok, ar, 16) != 0 || !ar[0] ||
		    (strcmp(ar, "never") && strcmp(ar, "default") &&
		     strspn(ar, "0123456789") != strlen(ar))) {
			*msg = "Invalid value for autoRollback";
			return -1;
		}
	}
	/* unknown parameters are refused (400) */
	size_t rawlen;
	const char *raw = json_tok_raw(d, r->params, &rawlen);
	for (size_t i = 0; i + 1 < rawlen; i++) {
		if (raw[i] != '"')
			continue;
		const char *end = memchr(raw + i + 1, '"', rawlen - i - 1);
		if (!end)
			break;
		size_t k = (size_t)(end - raw) + 1;
		while (k < rawlen && (raw[k] == ' ' || raw[k] == '\t' || raw[k] == '\n'))
			k++;
		if (k < rawlen && raw[k] == ':') {
			size_t len = (size_t)(end - raw - i - 1);
			const char *key = raw + i + 1;

			if (!((len == 18 && !memcmp(key, "factoryDefaultMode", 18)) ||
			      (len == 10 && !memcmp(key, "autoCommit", 10)) ||
			      (len == 12 && !memcmp(key, "autoRollback", 12)))) {
				*msg = "Unknown parameter";
				return -1;
			}
		}
		i = (size_t)(end - raw);
	}
	return 0;
}

/* Header of a sim image: 0, or -1 when it is not one. */
static int image_header(const char *p, size_t n, char *model, char *version, int *boots)
{
	size_t off = strlen(IMAGE_MAGIC);
	int seen = 0;

	if (n < off || memcmp(p, IMAGE_MAGIC, off) != 0)
		return -1;
	for (;;) {
		const char *nl = memchr(p + off, '\n', n - off > 4096 ? 4096 : n - off);
		size_t len;

		if (!nl)
			return -1;
		len = (size_t)(nl - (p + off));
		if (len == 0)
			break;
		const char *line = p + off, *eq = memchr(line, '=', len);
		if (!eq || (size_t)(line + len - eq - 1) >= CS_FIELD || eq + 1 == line + len)
			return -1;
		size_t vlen = (size_t)(line + len - eq - 1);
		if (eq - line == 5 && !memcmp(line, "model", 5)) {
			memcpy(model, eq + 1, vlen);
			model[vlen] = '\0';
			seen |= 1;
		} else if (eq - line == 7 && !memcmp(line, "version", 7)) {
			memcpy(version, eq + 1, vlen);
			version[vlen] = '\0';
			seen |= 2;
		} else if (eq - line == 4 && !memcmp(line, "boot", 4)) {
			*boots = vlen == 2 && !memcmp(eq + 1, "ok", 2);
			if (!*boots && !(vlen == 4 && !memcmp(eq + 1, "fail", 4)))
				return -1;
			seen |= 4;
		} else {
			return -1;
		}
		off += len + 1;
	}
	return seen == 7 ? 0 : -1;
}

static void upgrade(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		    struct jreq *r, const struct cs_part *file)
{
	char fdm[8], ac[16], ar[16], model[CS_FIELD], version[CS_FIELD];
	const char *msg = NULL;
	int boots = 0;
	struct buf data;
	struct json_writer w;

	if (upgrade_params(r, fdm, ac, ar, &msg) != 0) {
		jreply(cs, req, f, r, 1, NULL, 400, msg);
		return;
	}
	if (!file) {
		jreply(cs, req, f, r, 1, NULL, 400, "upgrade needs the firmware in a file part");
		return;
	}
	if (!cs->committed) {
		jreply(cs, req, f, r, 1, NULL, 412, "Active firmware is uncommitted");
		return;
	}
	/* Any inactive firmware is purged when an upgrade starts, even if it then fails [FW]. */
	cs->inactive[0] = '\0';
	if (image_header(file->data, file->len, model, version, &boots) != 0) {
		jreply(cs, req, f, r, 1, NULL, 415, "Invalid image");
		cs_save_state(cs);
		return;
	}
	if (strcmp(model, cs->model) != 0) {
		jreply(cs, req, f, r, 1, NULL, 421, "Image does not match the device");
		cs_save_state(cs);
		return;
	}
	if (cs_version_compare(version, cs->active) < 0 && strcmp(fdm, "hard") != 0) {
		jreply(cs, req, f, r, 1, NULL, 409,
		       "Upgrade without factory default to an older version is not allowed");
		cs_save_state(cs);
		return;
	}
	cs->pending = 1;
	snprintf(cs->pending_version, sizeof(cs->pending_version), "%s", version);
	snprintf(cs->pending_factory, sizeof(cs->pending_factory), "%s", fdm);
	cs->pending_boots = boots;
	/* the documented defaults depend on each other's *given* values */
	int ac_default = !strcmp(ac, "default"), ar_default = !strcmp(ar, "default");
	if (ac_default)
		strcpy(ac, !ar_default ? "never" : strcmp(fdm, "none") ? "boot" : "started");
	if (ar_default)
		strcpy(ar, !ac_default ? "never" : "10");
	cs->pending_auto_commit = strcmp(ac, "never") != 0;
	cs->pending_rollback_min = strcmp(ar, "never") ? atoi(ar) : -1;
	cs->upgrades++;
	cs_log("upgrade accepted: AXIS OS %s -> %s (autoCommit %s, autoRollback %s, "
	       "factoryDefaultMode %s, %zu bytes)",
	       cs->active, version, ac, ar, fdm, file->len);
	buf_init(&data, 1024);
	jw_init(&w, &data);
	jw_object_begin(&w);
	jw_kv_string(&w, "firmwareVersion", version);
	jw_object_end(&w);
	finish(&w);
	jreply(cs, req, f, r, 1, &data, 0, NULL);
	buf_free(&data);
	cs_schedule_reboot(cs, 0, "firmware upgrade");
}

static void simple_data(struct buf *data, const char *key, const char *value)
{
	struct json_writer w;

	jw_init(&w, data);
	jw_object_begin(&w);
	if (key)
		jw_kv_string(&w, key, value);
	jw_object_end(&w);
	finish(&w);
}

void cs_firmware(struct camsim *cs, struct evhttp_request *req)
{
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
					       "Content-Type");
	struct cs_part parts[4];
	const struct cs_part *json_part = NULL, *file = NULL;
	struct jreq r;
	struct cs_fault f;
	struct buf body, data;
	char why[128];
	int nparts = 0;

	memset(&r, 0, sizeof(r));
	r.params = -1;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		jreply(cs, req, NULL, &r, 0, NULL, 400, "Only POST supported");
		return;
	}
	if (cs_body(req, &body, (size_t)-1 / 2) != 0) {
		jreply(cs, req, NULL, &r, 0, NULL, 500, "Out of memory");
		return;
	}
	if (ctype && !strncmp(ctype, "multipart/", 10)) {
		if (cs_multipart(ctype, body.data, body.len, parts, 4, &nparts, why, sizeof(why))) {
			cs_log("firmwaremanagement.cgi: malformed multipart: %s", why);
			jreply(cs, req, NULL, &r, 0, NULL, 400, "Message could not be parsed");
			buf_free(&body);
			return;
		}
		for (int i = 0; i < nparts; i++) {
			if (!strcmp(parts[i].name, "json") && !json_part)
				json_part = &parts[i];
			else if (!strcmp(parts[i].name, "file") && !file)
				file = &parts[i];
		}
		/* Some AXIS OS versions refuse a json part with a filename (UNCONFIRMED, see
		 * acap.md): be the strict kind, so the agent is right for both. */
		if (!json_part || json_part->has_filename) {
			jreply(cs, req, NULL, &r, 0, NULL, 400,
			       json_part ? "Only string objects allowed." : "No json part");
			buf_free(&body);
			return;
		}
	}
	if (jparse(&r, json_part ? json_part->data : body.data,
		   json_part ? json_part->len : body.len) != 0) {
		jreply(cs, req, NULL, &r, 0, NULL, 400, "Message could not be parsed");
		buf_free(&body);
		return;
	}
	cs_fault_take(cs, "firmwaremanagement.cgi", r.method, &f);
	buf_init(&data, JSON_MAX);
	if (!r.method[0]) {
		jreply(cs, req, &f, &r, 1, NULL, 400, "Missing method");
	} else if (!strcmp(r.method, "getSupportedVersions")) {
		struct json_writer w;
		jw_init(&w, &data);
		jw_object_begin(&w);
		jw_key(&w, "apiVersions");
		jw_array_begin(&w);
		jw_string(&w, "1.0");
		jw_array_end(&w);
		jw_object_end(&w);
		finish(&w);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else if (!api_major_is(r.api, 9)) {
		jreply(cs, req, &f, &r, 1, NULL, 417, "API version not compatible");
	} else if (f.kind == FAULT_ERROR) {
		jreply(cs, req, &f, &r, 1, NULL, f.value, "Simulated error");
	} else if (!strcmp(r.method, "status")) {
		status_data(cs, &data);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else if ((cs->reboot_scheduled || cs->rebooting) && strcmp(r.method, "stopAuto")) {
		jreply(cs, req, &f, &r, 1, NULL, 423,
		       "System is busy with another firmware management request");
	} else if (!strcmp(r.method, "upgrade")) {
		upgrade(cs, req, &f, &r, file);
	} else if (!strcmp(r.method, "commit")) {
		if (!cs->committed)
			cs_log("commit: AXIS OS %s is now permanent", cs->active);
		cs->committed = 1;
		disarm_rollback(cs);
		simple_data(&data, "firmwareVersion", cs->active);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else if (!strcmp(r.method, "rollback")) {
		if (!cs->inactive[0]) {
			jreply(cs, req, &f, &r, 1, NULL, 404, "No old firmware exists");
		} else {
			simple_data(&data, NULL, NULL);
			jreply(cs, req, &f, &r, 1, &data, 0, NULL);
			cs_schedule_reboot(cs, 1, "rollback requested");
		}
	} else if (!strcmp(r.method, "purge")) {
		if (!cs->committed) {
			jreply(cs, req, &f, &r, 1, NULL, 412, "Active firmware is not committed");
		} else {
			cs->inactive[0] = '\0';
			simple_data(&data, NULL, NULL);
			jreply(cs, req, &f, &r, 1, &data, 0, NULL);
		}
	} else if (!strcmp(r.method, "stopAuto")) {
		disarm_rollback(cs);
		simple_data(&data, NULL, NULL);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
	} else if (!strcmp(r.method, "reboot")) {
		simple_data(&data, NULL, NULL);
		jreply(cs, req, &f, &r, 1, &data, 0, NULL);
		cs_schedule_reboot(cs, 0, "reboot requested");
	} else {
		/* factoryDefault is documented but not simulated */
		jreply(cs, req, &f, &r, 1, NULL, 405, "Unknown method");
	}
	cs_save_state(cs);
	json_free(&r.doc);
	buf_free(&data);
	buf_free(&body);
}
