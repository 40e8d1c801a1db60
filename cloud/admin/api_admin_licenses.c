/* api_admin_licenses: admin API §8 for licenses on devices — issue one for an enrolled
 * device, list and show them with the device that now carries each serial. Every
 * handler authorizes against the license's organization and audits its changes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/keyfile.h"
#include "../../lib/log.h"
#include "../http/api.h"
#include "../device/wake.h"
#include "../domain/device_licenses.h"

/* Reads a live device's organization, folder and serial; fills rp when unknown. */
static int device_org(struct request *rq, struct reply *rp, const char *dev, char *org,
		      char *folder, char *serial)
{
	struct store_rows *st = store_query(rq->c->store, ST_DEVICE_ORG_FOLDER_SERIAL, "s", dev);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, DB_ID_LEN) || store_str(st, 1, folder, DB_ID_LEN) ||
		       store_str(st, 2, serial, FIELD_SHORT)))
		r = DB_ERROR;
	store_done(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown device %s", dev);
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

/* Answers a grant refusal (400 naming why) or a store failure. */
static void reply_refused(struct reply *rp, int rc)
{
	if (rc == DB_ERROR)
		reply_internal(rp);
	else
		reply_error(rp, 400, "bad_request", "%s", device_license_refusal(rc));
}

/* POST /admin/v1/licenses {"device_id","app","license_exp"?}: a camcloud-signed
 * license for an enrolled device. */
void admin_license_issue(struct request *rq, struct reply *rp)
{
	char dev[DB_ID_LEN] = "", app[FIELD_NAME], id[DB_ID_LEN], org[DB_ID_LEN];
	char folder[DB_ID_LEN], serial[FIELD_SHORT];
	int64_t exp = 0;
	struct store *db = rq->c->store;

	if (req_string(rq, rp, "device_id", dev, sizeof(dev)) != 0 ||
	    req_string(rq, rp, "app", app, sizeof(app)) != 0 ||
	    req_int_opt(rq, rp, "license_exp", &exp) != 0)
		return;
	if (!is_hex_id(dev)) {
		reply_bad_field(rp, "device_id");
		return;
	}
	if (device_org(rq, rp, dev, org, folder, serial) != 0 ||
	    authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int rc = device_license_grant(db, rq->now, org, serial, app, LICENSE_KIND_CLOUD, exp, NULL,
				      id);
	if (rc != 0 ||
	    audit(rq, &(struct audit_scope){org, folder, dev}, "license.issue",
		  "license %s: %s for %s (exp %" PRId64 ")", id, app, serial, exp) != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_refused(rp, rc == 0 ? DB_ERROR : rc);
		return;
	}
	device_wake(rq->c, db, dev); /* "check licenses" now rather than at its next check */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "state", LICENSE_PENDING);
	jw_object_end(w);
}

static const struct json_col license_cols[] = {
	{ "id", COL_TEXT },         { "device_id", COL_TEXT }, { "serial", COL_TEXT },
	{ "app", COL_TEXT },        { "state", COL_TEXT },     { "reason", COL_TEXT },
	{ "license_exp", COL_INT }, { "updated_at", COL_INT }, { "kind", COL_TEXT },
	{ "org_id", COL_TEXT },     { "key_file", COL_BOOL },  { "created_at", COL_INT },
};

/* GET /admin/v1/licenses[?org_id=O][&serial=S][&app=A]: per device (serial) and per
 * product (app). */
void admin_license_list(struct request *rq, struct reply *rp)
{
	const char *serial = evhttp_find_header(&rq->query, "serial");
	const char *app = evhttp_find_header(&rq->query, "app");
	struct access_view v;
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, &v) != 0)
		return;
	reply_rows(rp, "licenses",
		   store_query(rq->c->store, ST_LICENSES_ALL, "ssss", serial, app, view_org(&v),
			       view_user(&v)),
		   license_cols, JSON_COLS(license_cols));
}

void admin_license_show(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (object_scope(rq, rp, ST_LICENSE_SCOPE, rq->arg, "license", org, folder, NULL) != 0 ||
	    authorize(rq, rp, org, folder, NEED_READ) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_LICENSES_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1)
		db_write_row(reply_json(rp, 200), st, license_cols, JSON_COLS(license_cols));
	else if (r == 0)
		reply_error(rp, 404, "not_found", "no such license");
	else
		reply_internal(rp);
	store_done(st);
}

/* The organization named by the body's org_id must exist; fills rp otherwise. */
static int org_known(struct request *rq, struct reply *rp, char org[DB_ID_LEN])
{
	if (req_string(rq, rp, "org_id", org, DB_ID_LEN) != 0)
		return -1;
	struct store_rows *st = is_hex_id(org) ? store_query(rq->c->store, ST_ORGS_EXISTS_ID, "s", org)
					       : NULL;
	int r = st ? store_next(st) : (is_hex_id(org) ? DB_ERROR : 0);
	store_done(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown organization %s", org);
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

/* Tells the enrolled holders of the granted serials to check their licenses now. */
static void wake_holders(struct request *rq, const char *org, const struct db_ids *ids)
{
	for (size_t i = 0; i < ids->n; i++) {
		char serial[FIELD_SHORT] = "", dev[DB_ID_LEN];
		struct store_rows *st = store_query(rq->c->store, ST_LICENSE_ORG_SERIAL, "s", ids->id[i]);
		if (st && store_next(st) == 1)
			(void)store_str(st, 1, serial, sizeof(serial));
		store_done(st);
		if (serial[0] && device_license_holder(rq->c->store, org, serial, dev) == 1)
			device_wake(rq->c, rq->c->store, dev);
	}
}

/* Replies {"licenses":[{"id","serial","app","state"}...]} for what was granted, and
 * "id" when it was one. */
static void reply_granted(struct request *rq, struct reply *rp, const struct db_ids *ids)
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	if (ids->n == 1)
		jw_kv_string(w, "id", ids->id[0]);
	jw_key(w, "licenses");
	jw_array_begin(w);
	for (size_t i = 0; i < ids->n; i++) {
		struct store_rows *st = store_query(rq->c->store, ST_LICENSE_ORG_SERIAL, "s", ids->id[i]);
		if (st && store_next(st) == 1) {
			jw_object_begin(w);
			jw_kv_string(w, "id", ids->id[i]);
			jw_kv_string(w, "serial", store_text(st, 1));
			jw_kv_string(w, "app", store_text(st, 2));
			jw_kv_string(w, "state", store_text(st, 3));
			jw_object_end(w);
		}
		store_done(st);
	}
	jw_array_end(w);
	jw_object_end(w);
}

/* One grant inside the request's transaction, audited; 0 or a DL_* / DB_ERROR code. */
static int grant_one(struct request *rq, const char *org, const char *serial, const char *app,
		     const char *kind, int64_t exp, const char *key, struct db_ids *ids)
{
	char id[DB_ID_LEN];
	int rc = device_license_grant(rq->c->store, rq->now, org, serial, app, kind, exp, key, id);
	if (rc == 0 && (db_ids_add(ids, id) != 0 ||
			audit(rq, &(struct audit_scope){org, NULL, NULL}, "license.preload",
			      "license %s: %s %s for %s%s (exp %" PRId64 ")", id, kind, app, serial,
			      key ? " with its key file" : "", exp) != 0))
		rc = DB_ERROR;
	return rc;
}

static void finish_grants(struct request *rq, struct reply *rp, const char *org, int rc,
			  struct db_ids *ids)
{
	if (rc != 0 || store_commit(rq->c->store) != 0) {
		store_rollback(rq->c->store);
		reply_refused(rp, rc == 0 ? DB_ERROR : rc);
	} else {
		wake_holders(rq, org, ids);
		reply_granted(rq, rp, ids);
	}
	db_ids_free(ids);
}

/* POST /admin/v1/licenses/preload {"org_id","serial","app","kind"?,"license_exp"?,
 * "key_file"?}: a license recorded against a serial (with the hardware purchase); it
 * activates when that hardware enrolls, at once when it already has. */
void admin_license_preload(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], serial[FIELD_SHORT], app[FIELD_NAME], kind[16] = LICENSE_KIND_TIED;
	static char key[DL_KEY_FILE_B64_MAX + 1];
	int64_t exp = -1;
	int has_key = rq->has_json && json_find(&rq->json, 0, "key_file") >= 0;
	struct db_ids ids = {0};

	if (org_known(rq, rp, org) != 0 || req_string(rq, rp, "serial", serial, sizeof(serial)) ||
	    req_string(rq, rp, "app", app, sizeof(app)) ||
	    req_string_opt(rq, rp, "kind", kind, sizeof(kind)) ||
	    req_int_opt(rq, rp, "license_exp", &exp) ||
	    (has_key && req_string(rq, rp, "key_file", key, sizeof(key))) ||
	    authorize(rq, rp, org, NULL, NEED_MANAGE) != 0)
		return;
	if (exp < 0) { /* not given: the key file's own date, or none */
		struct keyfile_ids k;
		exp = has_key && device_license_key_ids(key, &k) == 0 ? keyfile_expiry(&k) : 0;
	}
	if (store_begin(rq->c->store) != 0) {
		reply_internal(rp);
		return;
	}
	finish_grants(rq, rp, org,
		      grant_one(rq, org, serial, app, kind, exp, has_key ? key : NULL, &ids), &ids);
}

#define IMPORT_FILES_MAX 64

/* POST /admin/v1/licenses/import {"org_id","kind"?,"key_files":[base64...]}: vendor key
 * files in bulk, each matched to its hardware by the serial and application id it names
 * (kind tied by default, or extension); all or none. */
void admin_license_import(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], kind[16] = LICENSE_KIND_TIED;
	static char key[DL_KEY_FILE_B64_MAX + 1];
	struct db_ids ids = {0};

	if (org_known(rq, rp, org) != 0 || req_string_opt(rq, rp, "kind", kind, sizeof(kind)) ||
	    authorize(rq, rp, org, NULL, NEED_MANAGE) != 0)
		return;
	int arr = json_find(&rq->json, 0, "key_files");
	int n = json_array_len(&rq->json, arr);
	if (n < 1 || n > IMPORT_FILES_MAX) {
		reply_bad_field(rp, "key_files");
		return;
	}
	if (store_begin(rq->c->store) != 0) {
		reply_internal(rp);
		return;
	}
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		struct keyfile_ids k;
		if (json_tok_string(&rq->json, json_array_at(&rq->json, arr, i), key, sizeof(key)) < 0 ||
		    (rc = device_license_key_ids(key, &k)) != 0) {
			store_rollback(rq->c->store);
			db_ids_free(&ids);
			reply_error(rp, 400, "bad_request", "key_files[%d]: %s", i,
				    rc == DB_ERROR ? device_license_refusal(rc) :
				    "not a key file whose serial and application can be read; "
				    "preload it naming its serial and application");
			return;
		}
		rc = grant_one(rq, org, k.serial, k.app_id, kind, keyfile_expiry(&k), key, &ids);
	}
	finish_grants(rq, rp, org, rc, &ids);
}

/* POST /admin/v1/licenses/<id>/revoke: the device takes the key off on its next poll
 * (woken now) and reports it removed. */
void admin_license_revoke(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN] = "", serial[FIELD_SHORT] = "", app[FIELD_NAME] = "", dev[DB_ID_LEN];
	char folder[DB_ID_LEN];
	struct store *db = rq->c->store;
	if (object_scope(rq, rp, ST_LICENSE_SCOPE, rq->arg, "license", org, folder, NULL) != 0 ||
	    authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	struct store_rows *st = store_query(db, ST_LICENSE_ORG_SERIAL, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, sizeof(org)) || store_str(st, 1, serial, sizeof(serial)) ||
		       store_str(st, 2, app, sizeof(app))))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such license");
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int n = store_run(db, ST_LICENSES_SET_REVOKED, "is", rq->now, rq->arg);
	if (n < 0 || (n == 1 && (device_license_event(db, rq->now, rq->arg, "", "revoked", "") != 0 ||
				 audit(rq, &(struct audit_scope){org, folder[0] ? folder : NULL, NULL},
				       "license.revoke",
				       "license %s: %s for %s revoked", rq->arg, app, serial) != 0)) ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	if (n == 0) {
		reply_error(rp, 409, "conflict", "license %s is already revoked or removed", rq->arg);
		return;
	}
	if (device_license_holder(db, org, serial, dev) == 1)
		device_wake(rq->c, rq->c->store, dev);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "state", LICENSE_REVOKED);
	jw_object_end(w);
}

static const struct json_col event_cols[] = {
	{ "license_id", COL_TEXT }, { "serial", COL_TEXT }, { "app", COL_TEXT },
	{ "device_id", COL_TEXT },  { "at", COL_INT },      { "event", COL_TEXT },
	{ "reason", COL_TEXT },
};

/* GET /admin/v1/license-events[?license_id=L][&serial=S][&app=A][&org_id=O]: every
 * grant, activation, failure (with the camera's reason), revocation and removal. */
void admin_license_events(struct request *rq, struct reply *rp)
{
	const char *id = evhttp_find_header(&rq->query, "license_id");
	const char *serial = evhttp_find_header(&rq->query, "serial");
	const char *app = evhttp_find_header(&rq->query, "app");
	struct access_view v;
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, &v) != 0)
		return;
	reply_rows(rp, "events",
		   store_query(rq->c->store, ST_LICENSE_EVENTS_SELECT, "sssss", id, serial, app,
			       view_org(&v), view_user(&v)),
		   event_cols, JSON_COLS(event_cols));
}

static const struct json_col app_cols[] = {
	{ "name", COL_TEXT },   { "version", COL_TEXT },       { "vendor", COL_TEXT },
	{ "running", COL_BOOL }, { "license_state", COL_TEXT }, { "license_exp", COL_INT },
	{ "app_id", COL_TEXT },  { "since", COL_INT },
};

/* GET /admin/v1/devices/<id>/apps: the applications the device last reported. */
void admin_device_apps(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], folder[DB_ID_LEN], serial[FIELD_SHORT];
	if (device_org(rq, rp, rq->arg, org, folder, serial) != 0 ||
	    authorize(rq, rp, org, folder, NEED_READ) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_DEVICE_APPS_OF_DEVICE, "s", rq->arg);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "device_id", rq->arg);
	jw_kv_string(w, "serial", serial);
	jw_key(w, "apps");
	int r = db_write_rows(w, st, app_cols, JSON_COLS(app_cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

