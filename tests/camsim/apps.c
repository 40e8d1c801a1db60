/* apps: the VAPIX Application API [APP] and param.cgi.
 *   applications/license.cgi  uploadlicensekey (multipart key file) / removelicensekey:
 *                             text "OK" or "Error: <n>" (21 invalid key, 22 upload failed,
 *                             23 remove failed, 24 not installed, 25 app id mismatch,
 *                             30 wrong serial, 31 expired)
 *   applications/list.cgi     <reply result="ok"><application .../></reply>
 *   param.cgi                 action=list&group=root.<Group>: "root.Group.Name=value" lines
 *                             from <dir>/param.conf (acap-build's format:
 *                             Name="value" type="type"); password parameters are not
 *                             readable through param.cgi [AXP-H], so they are left out.
 * Keys are camcloud's CAMSIM-LICENSE format: "CAMSIM-LICENSE 1\napp=A\nserial=S\nexp=T\n". */
#include "camsim.h"
#include "paramconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/fsutil.h"

#define FORM_MAX (64 * 1024)
#define PARAM_MAX (64 * 1024)

const char *cs_arg(struct evhttp_request *req, const struct buf *body, const char *key,
		   char *out, size_t outsz)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
					       "Content-Type");
	const char *sources[2] = { uri ? evhttp_uri_get_query(uri) : NULL, NULL };
	const char *found = NULL;

	if (body && ctype && !strncmp(ctype, "application/x-www-form-urlencoded", 33))
		sources[1] = buf_str(body);
	for (int i = 0; i < 2 && !found; i++) {
		struct evkeyvalq q;
		const char *v;

		if (!sources[i] || evhttp_parse_query_str(sources[i], &q) != 0)
			continue;
		v = evhttp_find_header(&q, key);
		if (v && strlen(v) < outsz) {
			strcpy(out, v);
			found = out;
		}
		evhttp_clear_headers(&q);
	}
	return found;
}

static struct cs_app *find_app(struct camsim *cs, const char *name)
{
	for (int i = 0; i < cs->napps; i++)
		if (!strcmp(cs->apps[i].name, name))
			return &cs->apps[i];
	return NULL;
}

static void text(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		 const char *msg)
{
	cs_send(cs, req, f, 200, "text/plain", msg, strlen(msg));
}

static void error_code(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		       int code)
{
	char msg[32];

	snprintf(msg, sizeof(msg), "Error: %d\r\n", code);
	text(cs, req, f, msg);
}

/* One "<name>=<value>\n" line; advances *p. */
static int key_line(const char **p, const char *end, const char *name, char *out, size_t outsz)
{
	size_t k = strlen(name);
	const char *nl;

	if ((size_t)(end - *p) <= k || memcmp(*p, name, k) || (*p)[k] != '=')
		return -1;
	nl = memchr(*p + k + 1, '\n', (size_t)(end - *p - k - 1));
	if (!nl || (size_t)(nl - *p - k - 1) >= outsz || nl == *p + k + 1)
		return -1;
	memcpy(out, *p + k + 1, (size_t)(nl - *p - k - 1));
	out[nl - *p - k - 1] = '\0';
	*p = nl + 1;
	return 0;
}

static int key_parse(const char *key, size_t len, char *app, char *serial, int64_t *exp)
{
	const char *p = key, *end = key + len;
	char e[24];
	char *stop;

	if (len < 17 || memcmp(key, "CAMSIM-LICENSE 1\n", 17) || memchr(key, '\0', len))
		return -1;
	p += 17;
	if (key_line(&p, end, "app", app, CS_FIELD) || key_line(&p, end, "serial", serial, CS_FIELD) ||
	    key_line(&p, end, "exp", e, sizeof(e)) || p != end)
		return -1;
	*exp = strtoll(e, &stop, 10);
	return *stop || *exp < 0 ? -1 : 0;
}

static void store_key(struct camsim *cs, const struct cs_app *a)
{
	char path[PATH_MAX + 96];

	snprintf(path, sizeof(path), "%s/licenses", cs->dir);
	if (fs_mkdirs(path, 0755) != 0)
		return;
	snprintf(path, sizeof(path), "%s/licenses/%s.key", cs->dir, a->name);
	if (a->keylen ? fs_write_atomic(path, a->key, a->keylen, 0644) != 0
		      : (unlink(path) != 0 && errno != ENOENT))
		cs_log("cannot update %s: %s", path, strerror(errno));
}

static void upload_key(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		       struct cs_app *a, const struct buf *body)
{
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
					       "Content-Type");
	struct cs_part parts[4];
	const struct cs_part *key = NULL;
	char why[128], app[CS_FIELD], serial[CS_FIELD];
	int64_t exp;
	int n;

	if (!ctype || cs_multipart(ctype, body->data, body->len, parts, 4, &n, why, sizeof(why))) {
		cs_log("license.cgi: upload refused: %s", ctype ? why : "not multipart");
		error_code(cs, req, f, 22);
		return;
	}
	/* The documented part is licenseKey; third-party clients send fileData (UNCONFIRMED
	 * whether the name matters): take the first part that carries a file. */
	for (int i = 0; i < n && !key; i++)
		if (!strcmp(parts[i].name, "licenseKey") || parts[i].has_filename)
			key = &parts[i];
	if (!key || key->len == 0 || key->len >= CS_KEY_MAX) {
		error_code(cs, req, f, 22);
		return;
	}
	if (key_parse(key->data, key->len, app, serial, &exp) != 0) {
		error_code(cs, req, f, 21);
		return;
	}
	if (strcmp(app, a->name) != 0) {
		error_code(cs, req, f, 25);
		return;
	}
	if (strcmp(serial, cs->serial) != 0) {
		error_code(cs, req, f, 30);
		return;
	}
	if (exp != 0 && exp <= cs_wallclock(cs)) {
		error_code(cs, req, f, 31);
		return;
	}
	memcpy(a->key, key->data, key->len);
	a->keylen = key->len;
	a->exp = exp;
	store_key(cs, a);
	cs_log("license key for %s installed", a->name);
	text(cs, req, f, "OK\r\n");
}

void cs_license(struct camsim *cs, struct evhttp_request *req)
{
	char action[32] = "", package[CS_FIELD] = "";
	struct cs_fault f;
	struct cs_app *a;
	struct buf body;

	if (cs_body(req, &body, 1024 * 1024) != 0) {
		cs_send(cs, req, NULL, 413, "text/plain", "too large\n", 10);
		return;
	}
	cs_arg(req, NULL, "action", action, sizeof(action));
	cs_arg(req, NULL, "package", package, sizeof(package));
	cs_fault_take(cs, "license.cgi", action, &f);
	a = find_app(cs, package);
	if (f.kind == FAULT_ERROR)
		error_code(cs, req, &f, f.value);
	else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		cs_send(cs, req, &f, 405, "text/plain", "POST only\n", 10);
	else if (!a)
		error_code(cs, req, &f, 24);
	else if (!strcmp(action, "uploadlicensekey"))
		upload_key(cs, req, &f, a, &body);
	else if (!strcmp(action, "removelicensekey")) {
		if (!a->keylen) {
			error_code(cs, req, &f, 23);
		} else {
			a->keylen = 0;
			a->exp = 0;
			store_key(cs, a);
			cs_log("license key for %s removed", a->name);
			text(cs, req, &f, "OK\r\n");
		}
	} else {
		cs_send(cs, req, &f, 400, "text/plain", "Error: unknown action\r\n", 23);
	}
	cs_save_state(cs);
	buf_free(&body);
}

void cs_list(struct camsim *cs, struct evhttp_request *req)
{
	struct cs_fault f;
	struct buf out;
	int rc = 0;

	cs_fault_take(cs, "list.cgi", NULL, &f);
	buf_init(&out, 64 * 1024);
	if (f.kind == FAULT_ERROR) {
		rc |= buf_printf(&out, "<reply result=\"error\">\n <error type=\"%d\" "
				       "message=\"Simulated error\"/>\n</reply>\n", f.value);
	} else {
		rc |= buf_append_str(&out, "<reply result=\"ok\">\n");
		for (int i = 0; i < cs->napps; i++) {
			const struct cs_app *a = &cs->apps[i];
			const char *lic = !a->needs_license ? "None"
					  : !a->keylen	     ? "Missing"
					  : f.kind == FAULT_INVALID ||
							  (a->exp && a->exp <= cs_wallclock(cs))
						  ? "Invalid"
						  : "Valid";
			char date[16] = "";

			if (a->keylen && a->exp) {
				time_t t = (time_t)a->exp;
				struct tm tm;

				strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&t, &tm));
			}
			rc |= buf_printf(&out,
					 " <application Name=\"%s\" NiceName=\"%s\" Vendor=\"camagent "
					 "project\" Version=\"1.0.0\" ApplicationID=\"%d\" License=\"%s\" "
					 "LicenseExpirationDate=\"%s\" Status=\"%s\" "
					 "ConfigurationPage=\"local/%s/index.html\" VendorHomePage=\"\" "
					 "LicenseName=\"Proprietary\"/>\n",
					 a->name, a->name, 10000 + i, lic, date,
					 i == cs->napps - 1 && cs->child > 0 ? "Running" : "Stopped",
					 a->name);
		}
		rc |= buf_append_str(&out, "</reply>\n");
	}
	if (rc == 0)
		cs_send(cs, req, &f, 200, "text/xml", out.data, out.len);
	else
		cs_send(cs, req, NULL, 500, "text/plain", "too many\n", 9);
	buf_free(&out);
}

void cs_param(struct camsim *cs, struct evhttp_request *req)
{
	char action[32] = "", group[160] = "", prefix[CS_FIELD + 8], path[PATH_MAX + 16];
	struct cs_fault f;
	struct buf body, conf, out;
	char *line, *save = NULL;
	int rc = 0;

	if (cs_body(req, &body, FORM_MAX) != 0) {
		cs_send(cs, req, NULL, 413, "text/plain", "too large\n", 10);
		return;
	}
	cs_arg(req, &body, "action", action, sizeof(action));
	cs_arg(req, &body, "group", group, sizeof(group));
	cs_fault_take(cs, "param.cgi", action, &f);
	buf_init(&out, PARAM_MAX);
	buf_init(&conf, PARAM_MAX);
	snprintf(prefix, sizeof(prefix), "root.%s", cs->param_group);
	if (f.kind == FAULT_ERROR) {
		rc |= buf_printf(&out, "# Error: Simulated error %d\n", f.value);
	} else if (strcmp(action, "list") != 0) {
		rc |= buf_printf(&out, "# Error: action %s is not simulated\n", action);
	} else if (strcmp(group, prefix) != 0 &&
		   !(strncmp(group, prefix, strlen(prefix)) == 0 && group[strlen(prefix)] == '.')) {
		rc |= buf_printf(&out, "# Error: Error -1 getting param in group '%s'\n", group);
	} else {
		snprintf(path, sizeof(path), "%s/param.conf", cs->dir);
		if (fs_read_file(path, &conf, PARAM_MAX) != 0)
			buf_reset(&conf);
		for (line = strtok_r(conf.data ? conf.data : (char[]){ 0 }, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[CS_FIELD], value[2048], type[96], full[CS_FIELD * 2 + 8];

			if (paramconf_line(line, name, sizeof(name), value, sizeof(value), type,
					   sizeof(type)) != 0)
				continue;
			if (paramconf_is_password(type))
				continue; /* not readable through param.cgi */
			snprintf(full, sizeof(full), "%s.%s", prefix, name);
			if (strcmp(group, prefix) && strcmp(group, full))
				continue;
			rc |= buf_printf(&out, "%s=%s\n", full, value);
		}
	}
	if (rc == 0)
		cs_send(cs, req, &f, 200, "text/plain", out.data ? out.data : "", out.len);
	else
		cs_send(cs, req, NULL, 500, "text/plain", "too large\n", 10);
	buf_free(&conf);
	buf_free(&out);
	buf_free(&body);
}
