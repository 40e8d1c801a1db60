/* api_admin_org: admin API §8 for the organization tree — listing orgs and a
 * folder tree, deleting a folder tree (its devices become removed, its tokens
 * revoked), moving a device between folders of its org, and one device's details. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "api.h"
#include "jobs.h"
#include "longpoll.h"

#define LAST_REPORT_TOKENS 8192
#define DEVICE_TASKS_SHOWN 20

/* The folder rq->arg (or its subtree) without the deleted ones. */
#define SUBTREE                                                                          \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ? AND deleted = 0"    \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0) "

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

void admin_org_list(struct request *rq, struct reply *rp)
{
	static const struct json_col org_cols[] = {
		{"id", COL_TEXT}, {"name", COL_TEXT}, {"created_at", COL_INT},
		{"folders", COL_INT}, {"devices", COL_INT},
	};
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT o.id, o.name, o.created_at,"
				   " (SELECT COUNT(*) FROM folders f WHERE f.org_id = o.id"
				   " AND f.deleted = 0), (SELECT COUNT(*) FROM devices d"
				   " WHERE d.org_id = o.id AND d.removed = 0)"
				   " FROM orgs o ORDER BY o.created_at, o.name", "");
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
	if (!org || !is_hex_id(org)) {
		reply_bad_field(rp, "org_id");
		return;
	}
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT 1 FROM orgs WHERE id = ?", "s", org);
	int r = st ? db_step(st) : DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such org");
	else if (r < 0)
		reply_internal(rp);
	if (r != 1)
		return;
	/* sortkey: names (then ids, for twins) along the path, char(1) between levels, so a
	 * folder's subtree sorts right after it and before its next sibling. */
	st = db_stmt(rq->c->db,
		     "WITH RECURSIVE tree(id, parent_id, name, path, sortkey, depth) AS ("
		     " SELECT id, parent_id, name, name, name || char(2) || id, 0 FROM folders"
		     " WHERE org_id = ? AND parent_id IS NULL AND deleted = 0"
		     " UNION ALL SELECT f.id, f.parent_id, f.name, t.path || '/' || f.name,"
		     " t.sortkey || char(1) || f.name || char(2) || f.id, t.depth + 1"
		     " FROM folders f JOIN tree t ON f.parent_id = t.id WHERE f.deleted = 0)"
		     " SELECT t.id, t.parent_id, t.name, t.path, t.depth, (SELECT COUNT(*)"
		     " FROM devices d WHERE d.folder_id = t.id AND d.removed = 0)"
		     " FROM tree t ORDER BY t.sortkey", "s", org);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "org_id", org);
	jw_key(w, "folders");
	r = db_write_rows(w, st, folder_cols, JSON_COLS(folder_cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* Deletes the folders in ids; counts the tokens revoked and the devices removed
 * (their ids appended to devices). The caller holds the transaction. */
static int delete_folders(struct request *rq, const struct db_ids *ids, const char *why,
			  struct db_ids *devices, int *tokens)
{
	sqlite3 *db = rq->c->db;
	for (size_t i = 0; i < ids->n; i++) {
		int r;
		if (db_exec(db, "UPDATE folders SET deleted = 1 WHERE id = ?", "s", ids->id[i]) != 1 ||
		    (r = db_exec(db, "UPDATE enrollment_tokens SET revoked = 1 WHERE folder_id = ?"
				 " AND revoked = 0", "s", ids->id[i])) < 0 ||
		    db_ids_collect(db, devices, "SELECT id FROM devices WHERE folder_id = ?"
				   " AND removed = 0", "s", ids->id[i]) < 0)
			return -1;
		*tokens += r;
	}
	for (size_t i = 0; i < devices->n; i++)
		if (device_remove_tx(db, rq->now, devices->id[i], why) < 0)
			return -1;
	return 0;
}

/* DELETE /admin/v1/folders/<id>: the folder and its subfolders. */
void admin_folder_delete(struct request *rq, struct reply *rp)
{
	sqlite3 *db = rq->c->db;
	char name[FIELD_NAME] = "", why[FIELD_NAME + 64];
	struct db_ids folders = {0}, devices = {0};
	int tokens = 0;

	sqlite3_stmt *st = db_stmt(db, "SELECT name FROM folders WHERE id = ? AND deleted = 0", "s",
				   rq->arg);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && db_col_str(st, 0, name, sizeof(name)) != 0)
		r = DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such folder");
		return;
	}
	snprintf(why, sizeof(why), "folder %s ('%s') deleted", rq->arg, name);
	if (r < 0 || db_begin(db) != 0 ||
	    db_ids_collect(db, &folders, SUBTREE "SELECT id FROM sub", "s", rq->arg) < 1 ||
	    delete_folders(rq, &folders, why, &devices, &tokens) != 0 ||
	    db_historyf(db, rq->now, "folder.delete", "folder %s ('%s') deleted with %zu"
			" subfolder%s: %zu devices removed, %d tokens revoked", rq->arg, name,
			folders.n - 1, folders.n == 2 ? "" : "s", devices.n, tokens) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		reply_internal(rp);
		goto out;
	}
	log_info("folder %s deleted: %zu folders, %zu devices removed, %d tokens revoked", rq->arg,
		 folders.n, devices.n, tokens);
	for (size_t i = 0; i < devices.n; i++)
		longpoll_wake(rq->c->lp, devices.id[i]); /* held polls learn at once: 410 */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_int(w, "folders", (int64_t)folders.n);
	jw_kv_int(w, "devices_removed", (int64_t)devices.n);
	jw_kv_int(w, "tokens_revoked", tokens);
	jw_object_end(w);
out:
	db_ids_free(&folders);
	db_ids_free(&devices);
}

/* The stored last report, when it still parses (it was a checked JSON body). */
static void last_report(struct json_writer *w, sqlite3_stmt *st, int i)
{
	const char *text = col(st, i);
	size_t n = text ? (size_t)sqlite3_column_bytes(st, i) : 0;
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
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT t.id, t.job_id, i.version, t.state, t.progress,"
				   " t.reason, t.updated_at FROM tasks t JOIN images i ON i.id = t.image_id"
				   " WHERE t.device_id = ? ORDER BY t.seq DESC LIMIT ?", "si", rq->arg,
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
	if (tasks_expire(rq->c->db, rq->arg, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	sqlite3_stmt *st = db_stmt(rq->c->db, FOLDER_PATHS_CTE
				   "SELECT d.id, d.serial, d.model, d.os_version, d.agent_version, d.arch,"
				   " d.hardware_id, o.id, o.name, f.id, f.name, p.path, d.key_fp,"
				   " d.last_seen, d.removed, d.created_at, d.last_report FROM devices d"
				   " JOIN orgs o ON o.id = d.org_id JOIN folders f ON f.id = d.folder_id"
				   " JOIN folder_paths p ON p.id = d.folder_id WHERE d.id = ?", "s",
				   rq->arg);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		int64_t seen = db_col_int(st, nkeys);
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		for (int i = 0; i < nkeys; i++)
			jw_kv_string(w, keys[i], col(st, i));
		jw_kv_int(w, "last_seen", seen);
		jw_kv_bool(w, "online", seen > 0 && rq->now - seen <= POLICY_ONLINE_WINDOW);
		jw_kv_bool(w, "removed", (int)db_col_int(st, nkeys + 1));
		jw_kv_int(w, "created_at", db_col_int(st, nkeys + 2));
		last_report(w, st, nkeys + 3);
		if (device_tasks(rq, w) < 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	sqlite3_finalize(st);
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such device");
	else if (r < 0)
		reply_internal(rp);
}

/* POST /admin/v1/devices/<id>/move {"folder_id"}: same org only; id and credentials stay. */
void admin_device_move(struct request *rq, struct reply *rp)
{
	sqlite3 *db = rq->c->db;
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
	sqlite3_stmt *st = db_stmt(db, "SELECT d.serial, d.org_id, d.folder_id, f.name, d.removed"
				   " FROM devices d JOIN folders f ON f.id = d.folder_id WHERE d.id = ?",
				   "s", rq->arg);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && (db_col_str(st, 0, serial, sizeof(serial)) ||
		       db_col_str(st, 1, dev_org, sizeof(dev_org)) ||
		       db_col_str(st, 2, from, sizeof(from)) ||
		       db_col_str(st, 3, from_name, sizeof(from_name))))
		r = DB_ERROR;
	removed = r == 1 && db_col_int(st, 4);
	sqlite3_finalize(st);
	if (r == 0 || removed) {
		reply_error(rp, 404, "not_found", r == 0 ? "no such device" : "device was removed");
		return;
	}
	st = r == 1 ? db_stmt(db, "SELECT org_id, name FROM folders WHERE id = ? AND deleted = 0", "s",
			      folder) : NULL;
	r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && (db_col_str(st, 0, org, sizeof(org)) || db_col_str(st, 1, name, sizeof(name))))
		r = DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown folder %s", folder);
		return;
	}
	if (r == 1 && strcmp(org, dev_org) != 0) {
		reply_error(rp, 400, "bad_request", "folder %s is in another organization; a device"
			    " moves only within its own", folder);
		return;
	}
	int same = strcmp(from, folder) == 0; /* already there: nothing to do, no history */
	if (r < 0 || (!same && db_begin(db) != 0)) {
		reply_internal(rp);
		return;
	}
	if (!same &&
	    (db_exec(db, "UPDATE devices SET folder_id = ? WHERE id = ? AND removed = 0", "ss", folder,
		     rq->arg) != 1 ||
	     db_historyf(db, rq->now, "device.move", "device %s (%s) moved from folder %s ('%s')"
			 " to %s ('%s')", serial, rq->arg, from, from_name, folder, name) != 0 ||
	     db_commit(db) != 0)) {
		db_rollback(db);
		reply_internal(rp);
		return;
	}
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
