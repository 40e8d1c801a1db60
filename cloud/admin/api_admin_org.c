/* api_admin_org: admin API §8 for the organization tree — listing orgs and a
 * folder tree, moving a device between folders of its org, and one device's details
 * (deleting a folder tree is in api_admin_folder_delete.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/jobs.h"
#include "../device/longpoll.h"
#include "audit_commit.h"
#include "found.h"

#define LAST_REPORT_TOKENS 8192
#define DEVICE_TASKS_SHOWN 20

static const char *col(struct store_rows *st, int i)
{
	return store_text(st, i);
}

void admin_org_list(struct request *rq, struct reply *rp)
{
	static const struct json_col org_cols[] = {
		{"id", COL_TEXT}, {"name", COL_TEXT}, {"created_at", COL_INT},
		{"folders", COL_INT}, {"devices", COL_INT},
	};
	/* a user sees the organizations it is a member of, an API token its own one */
	const char *member = rq->who.kind == PRINCIPAL_BOOTSTRAP ? NULL : rq->who.user_id;
	const char *only = rq->who.kind == PRINCIPAL_API_TOKEN ? rq->who.token_org : NULL;
	struct store_rows *st = store_query(rq->c->store, ST_ORGS_WITH_COUNTS, "ss", member, only);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "orgs");
	int r = db_write_rows(w, st, org_cols, JSON_COLS(org_cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* GET /admin/v1/folders?org_id=: the tree in depth-first order, each folder with its
 * parent id (null for a root), path, depth and number of live devices. */
void admin_folder_list(struct request *rq, struct reply *rp)
{
	static const struct json_col folder_cols[] = {
		{"id", COL_TEXT}, {"parent_id", COL_TEXT} /* NULL: null */, {"name", COL_TEXT},
		{"path", COL_TEXT}, {"depth", COL_INT}, {"devices", COL_INT},
	};
	const char *org = evhttp_find_header(&rq->query, "org_id");
	struct access_view v;
	if (!org || !is_hex_id(org)) {
		reply_bad_field(rp, "org_id");
		return;
	}
	if (authorize(rq, rp, org, NULL, NEED_READ) != 0 ||
	    access_view(rq, rp, org, NEED_READ, 1, &v) != 0)
		return;
	/* sortkey: names (then ids, for twins) along the path, char(1) between levels, so a
	 * folder's subtree sorts right after it and before its next sibling. */
	struct store_rows *st =
		store_query(rq->c->store, ST_FOLDER_TREE_OF_ORG, "ss", org, view_user(&v));
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "org_id", org);
	jw_key(w, "folders");
	int r = db_write_rows(w, st, folder_cols, JSON_COLS(folder_cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* The stored last report, when it still parses (it was a checked JSON body). */
static void last_report(struct json_writer *w, struct store_rows *st, int i)
{
	const char *text = col(st, i);
	size_t n = text ? strlen(text) : 0;
	struct json_doc d;
	jw_key(w, "last_report");
	if (n && json_parse(&d, text, n, LAST_REPORT_TOKENS) == 0) {
		int obj = json_type_of(&d, 0) == JSON_OBJECT;
		json_free(&d);
		if (obj) {
			jw_raw(w, text, n);
			return;
		}
	}
	jw_null(w);
}

static int device_tasks(struct request *rq, struct json_writer *w)
{
	static const struct json_col cols[] = {
		{"id", COL_TEXT}, {"job_id", COL_TEXT}, {"target_version", COL_TEXT},
		{"state", COL_TEXT}, {"progress", COL_INT}, {"reason", COL_TEXT},
		{"updated_at", COL_INT},
	};
	struct store_rows *st = store_query(rq->c->store, ST_TASKS_BY_DEVICE_ID, "si", rq->arg,
					    (int64_t)DEVICE_TASKS_SHOWN);
	jw_key(w, "tasks");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* GET /admin/v1/devices/<id>: everything about one device, removed ones included. */
void admin_device_show(struct request *rq, struct reply *rp)
{
	static const char *const keys[] = {"id", "serial", "model", "os_version", "agent_version",
					   "arch", "hardware_id", "org_id", "org", "folder_id",
					   "folder", "folder_path", "key_fp"};
	const int nkeys = (int)(sizeof(keys) / sizeof(keys[0]));
	if (tasks_expire(rq->c->store, rq->arg, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (device_scope(rq, rp, rq->arg, 0, org, folder) != 0 ||
	    authorize(rq, rp, org, folder, NEED_READ) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_DEVICES_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		int64_t seen = store_int(st, nkeys);
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		for (int i = 0; i < nkeys; i++)
			jw_kv_string(w, keys[i], col(st, i));
		jw_kv_int(w, "last_seen", seen);
		jw_kv_bool(w, "online", seen > 0 && rq->now - seen <= POLICY_ONLINE_WINDOW);
		jw_kv_bool(w, "removed", (int)store_int(st, nkeys + 1));
		jw_kv_int(w, "created_at", store_int(st, nkeys + 2));
		last_report(w, st, nkeys + 3);
		if (device_tasks(rq, w) < 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	store_done(st);
	(void)reply_unless_found(rp, r, "device");
}

/* POST /admin/v1/devices/<id>/move {"folder_id"}: same org only; id and credentials stay. */
void admin_device_move(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char folder[DB_ID_LEN] = "", serial[FIELD_SHORT] = "", dev_org[DB_ID_LEN] = "";
	char from[DB_ID_LEN] = "", from_name[FIELD_NAME] = "", org[DB_ID_LEN] = "";
	char name[FIELD_NAME] = "";
	int removed = 0;

	if (req_string(rq, rp, "folder_id", folder, sizeof(folder)) != 0)
		return;
	if (!is_hex_id(folder)) {
		reply_bad_field(rp, "folder_id");
		return;
	}
	struct store_rows *st =
		store_query(db, ST_DEVICE_FOR_MOVE, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 &&
	    (store_str(st, 0, serial, sizeof(serial)) ||
	     store_str(st, 1, dev_org, sizeof(dev_org)) || store_str(st, 2, from, sizeof(from)) ||
	     store_str(st, 3, from_name, sizeof(from_name))))
		r = DB_ERROR;
	removed = r == 1 && store_int(st, 4);
	store_done(st);
	if (r == 0 || removed) {
		reply_error(rp, 404, "not_found", r == 0 ? "no such device" : "device was removed");
		return;
	}
	if (r == 1 && authorize(rq, rp, dev_org, from, NEED_MANAGE) != 0)
		return;
	st = r == 1 ? store_query(db, ST_FOLDER_FOR_DEVICE_MOVE, "s", folder) : NULL;
	r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, sizeof(org)) || store_str(st, 1, name, sizeof(name))))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown folder %s", folder);
		return;
	}
	if (r == 1 && authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (r == 1 && strcmp(org, dev_org) != 0) {
		reply_error(rp, 400, "bad_request", "folder %s is in another organization; a device"
			    " moves only within its own", folder);
		return;
	}
	int same = strcmp(from, folder) == 0; /* already there: nothing to do, no history */
	if (r < 0 || (!same && store_begin(db) != 0)) {
		reply_internal(rp);
		return;
	}
	if (!same &&
	    audit_commit(rq, rp, store_run(db, ST_DEVICES_SET_FOLDER_ID, "ss", folder, rq->arg) == 1,
			 &(struct audit_scope){org, folder, rq->arg}, "device.move",
			 "device %s (%s) moved from folder %s ('%s') to %s ('%s')", serial, rq->arg,
			 from, from_name, folder, name) != 0)
		return;
	if (!same)
		log_info("device %s moved to folder %s", serial, folder);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "serial", serial);
	jw_kv_string(w, "folder_id", folder);
	jw_kv_string(w, "folder", name);
	jw_object_end(w);
}
