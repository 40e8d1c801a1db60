/* api_admin_licenses: admin API §8 for licenses on devices — issue one for an enrolled
 * device, list and show them with the device that now carries each serial. Every
 * handler authorizes against the license's organization and audits its changes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../http/api.h"
#include "../device/longpoll.h"
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
	longpoll_wake(rq->c->lp, dev); /* "check licenses" now rather than at its next check */
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
	const char *org = evhttp_find_header(&rq->query, "org_id");
	if (authorize(rq, rp, org, NULL, NEED_READ) != 0)
		return;
	struct store_rows *st =
		store_query(rq->c->store, ST_LICENSES_ALL, "sss", serial, app, org);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "licenses");
	int r = db_write_rows(w, st, license_cols, JSON_COLS(license_cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void admin_license_show(struct request *rq, struct reply *rp)
{
	struct store_rows *st = store_query(rq->c->store, ST_LICENSES_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && authorize(rq, rp, store_text(st, 9), NULL, NEED_READ) != 0)
		r = 2;
	if (r == 1)
		db_write_row(reply_json(rp, 200), st, license_cols, JSON_COLS(license_cols));
	else if (r == 0)
		reply_error(rp, 404, "not_found", "no such license");
	else if (r < 0)
		reply_internal(rp);
	store_done(st);
}
