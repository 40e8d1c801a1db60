/* apps: the VAPIX Application API [APP]: licenses and the list of applications.
 *   applications/license.cgi  uploadlicensekey (multipart key file) / removelicensekey:
 *                             text "OK" or "Error: <n>" (21 invalid key, 22 upload failed,
 *                             23 remove failed, 24 not installed, 25 app id mismatch,
 *                             30 wrong serial, 31 expired)
 *   applications/list.cgi     <reply result="ok"><application .../></reply> with Name,
 *                             NiceName, Vendor, Version, ApplicationID, License,
 *                             LicenseExpirationDate, Status, ConfigurationPage,
 *                             VendorHomePage, LicenseName
 * Keys are license key files (lib/keyfile.h: an XML <LicenseKey> naming DeviceID,
 * ApplicationID, ExpirationDate, with a Signature); the simulated camera holds no vendor
 * key, so it checks the shape, the serial, the application id and the date, and answers
 * with the documented codes: 21 not a key file, 25 another application, 30 another
 * serial, 31 expired. */
#include "camsim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/fsutil.h"
#include "../../lib/keyfile.h"


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

struct cs_app *cs_find_app(struct camsim *cs, const char *name)
{
	for (int i = 0; i < cs->napps; i++)
		if (!strcmp(cs->apps[i].name, name))
			return &cs->apps[i];
	return NULL;
}

void cs_app_text(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		 const char *msg)
{
	cs_send(cs, req, f, 200, "text/plain", msg, strlen(msg));
}

void cs_app_error(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		  int code)
{
	char msg[32];

	snprintf(msg, sizeof(msg), "Error: %d\r\n", code);
	cs_app_text(cs, req, f, msg);
}

int cs_app_running(const struct camsim *cs, const struct cs_app *a)
{
	return strcmp(a->name, cs->app) == 0 ? cs->child > 0 : a->running;
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
	char why[128];
	struct keyfile_ids k;
	int n;

	if (!ctype || cs_multipart(ctype, body->data, body->len, parts, 4, &n, why, sizeof(why))) {
		cs_log("license.cgi: upload refused: %s", ctype ? why : "not multipart");
		cs_app_error(cs, req, f, 22);
		return;
	}
	/* The documented part is licenseKey; third-party clients send fileData (UNCONFIRMED
	 * whether the name matters): take the first part that carries a file. */
	for (int i = 0; i < n && !key; i++)
		if (!strcmp(parts[i].name, "licenseKey") || parts[i].has_filename)
			key = &parts[i];
	if (!key || key->len == 0 || key->len >= CS_KEY_MAX) {
		cs_app_error(cs, req, f, 22);
		return;
	}
	if (keyfile_read(key->data, key->len, &k) != 0 || !k.has_signature) {
		cs_app_error(cs, req, f, 21);
		return;
	}
	if (strcmp(k.app_id, a->app_id[0] ? a->app_id : "0") != 0) {
		cs_app_error(cs, req, f, 25);
		return;
	}
	if (strcmp(k.serial, cs->serial) != 0) {
		cs_app_error(cs, req, f, 30);
		return;
	}
	int64_t exp = keyfile_expiry(&k);
	if (exp != 0 && exp <= cs_wallclock(cs)) {
		cs_app_error(cs, req, f, 31);
		return;
	}
	memcpy(a->key, key->data, key->len);
	a->keylen = key->len;
	a->exp = exp;
	store_key(cs, a);
	cs_log("license key for %s installed", a->name);
	cs_app_text(cs, req, f, "OK\r\n");
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
	a = cs_find_app(cs, package);
	if (f.kind == FAULT_ERROR)
		cs_app_error(cs, req, &f, f.value);
	else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		cs_send(cs, req, &f, 405, "text/plain", "POST only\n", 10);
	else if (!a)
		cs_app_error(cs, req, &f, 24);
	else if (!strcmp(action, "uploadlicensekey"))
		upload_key(cs, req, &f, a, &body);
	else if (!strcmp(action, "removelicensekey")) {
		if (!a->keylen) {
			cs_app_error(cs, req, &f, 23);
		} else {
			a->keylen = 0;
			a->exp = 0;
			store_key(cs, a);
			cs_log("license key for %s removed", a->name);
			cs_app_text(cs, req, &f, "OK\r\n");
		}
	} else {
		cs_send(cs, req, &f, 400, "text/plain", "Error: unknown action\r\n", 23);
	}
	cs_save_state(cs);
	buf_free(&body);
}

/* An attribute value with the XML specials escaped. */
static int xml_attr(struct buf *out, const char *name, const char *v)
{
	int rc = buf_printf(out, " %s=\"", name);

	for (; *v && rc == 0; v++) {
		switch (*v) {
		case '"': rc = buf_append_str(out, "&quot;"); break;
		case '&': rc = buf_append_str(out, "&amp;"); break;
		case '<': rc = buf_append_str(out, "&lt;"); break;
		case '>': rc = buf_append_str(out, "&gt;"); break;
		default: rc = buf_append(out, v, 1); break;
		}
	}
	return rc | buf_append_str(out, "\"");
}

/* License: None (needs none), Custom, Missing, Valid or Invalid [APP]. */
static const char *license_state(const struct camsim *cs, const struct cs_app *a, int invalid)
{
	if (a->custom_license)
		return "Custom";
	if (!a->needs_license)
		return "None";
	if (!a->keylen)
		return "Missing";
	return invalid || (a->exp && a->exp <= cs_wallclock(cs)) ? "Invalid" : "Valid";
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
			char date[16] = "", page[CS_TEXT + CS_FIELD + 8] = "";

			if (a->keylen && a->exp) {
				time_t t = (time_t)(a->exp - 1); /* the key's last valid day */
				struct tm tm;

				strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&t, &tm));
			}
			if (a->setting_page[0])
				snprintf(page, sizeof(page), "local/%s/%s", a->name, a->setting_page);
			rc |= buf_append_str(&out, " <application");
			rc |= xml_attr(&out, "Name", a->name);
			rc |= xml_attr(&out, "NiceName", a->nice[0] ? a->nice : a->name);
			rc |= xml_attr(&out, "Vendor", a->vendor);
			rc |= xml_attr(&out, "Version", a->version);
			rc |= xml_attr(&out, "ApplicationID", a->app_id[0] ? a->app_id : "0");
			rc |= xml_attr(&out, "License", license_state(cs, a, f.kind == FAULT_INVALID));
			rc |= xml_attr(&out, "LicenseExpirationDate", date);
			rc |= xml_attr(&out, "Status", cs_app_running(cs, a) ? "Running" : "Stopped");
			rc |= xml_attr(&out, "ConfigurationPage", page);
			rc |= xml_attr(&out, "VendorHomePage", a->vendor_url);
			rc |= xml_attr(&out, "LicenseName", "Proprietary");
			rc |= buf_append_str(&out, "/>\n");
		}
		rc |= buf_append_str(&out, "</reply>\n");
	}
	if (rc == 0)
		cs_send(cs, req, &f, 200, "text/xml", out.data, out.len);
	else
		cs_send(cs, req, NULL, 500, "text/plain", "too many\n", 9);
	buf_free(&out);
}
