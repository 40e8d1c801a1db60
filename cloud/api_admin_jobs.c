/* api_admin_jobs: admin API §8 for upgrade jobs — create one for a selection of
 * devices, a folder tree or the outdated devices of a model (waking every affected
 * device's held poll at once), list them with counts per state, show one device by
 * device, cancel what has not started installing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "api.h"
#include "jobs.h"
#include "longpoll.h"
#include "wake.h"
#include "payload.h"

/* Every state a task can be in, in order, for the counts of `job list`. */
static const char *const states[] = {
	"pending", "received", "downloading", "verifying", "waiting_window", "installing",
	"rebooting", "verifying_version", "succeeded", "failed", "cancelled",
};
#define N_STATES ((int)(sizeof(states) / sizeof(states[0])))

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int req_window(struct request *rq, struct reply *rp, struct task_window *w)
{
	char kind[16] = "";
	memset(w, 0, sizeof(*w));
	int t = rq->has_json ? json_find(&rq->json, 0, "window") : -1;
	if (t < 0 || json_tok_is_null(&rq->json, t))
		return 0;
	if (json_type_of(&rq->json, t) != JSON_OBJECT) {
		reply_bad_field(rp, "window");
		return -1;
	}
	if (req_string(rq, rp, "window.kind", kind, sizeof(kind)) != 0)
		return -1;
	if (window_kind_parse(kind, &w->kind) != 0 || w->kind == WINDOW_NONE) {
		reply_bad_field(rp, "window.kind");
		return -1;
	}
	if (w->kind == WINDOW_UTC && (req_int(rq, rp, "window.start", &w->start) != 0 ||
				      req_int(rq, rp, "window.end", &w->end) != 0))
		return -1;
	if (w->kind == WINDOW_DAILY &&
	    (req_string(rq, rp, "window.from", w->from, sizeof(w->from)) != 0 ||
	     req_string(rq, rp, "window.to", w->to, sizeof(w->to)) != 0))
		return -1;
	const char *bad = window_check(w, rq->now);
	if (bad) {
		reply_bad_field(rp, bad);
		return -1;
	}
	return 0;
}

/* device_ids: 1..JOB_DEVICES_MAX ids, duplicates dropped. */
static int req_device_ids(struct request *rq, struct reply *rp, int arr, struct db_ids *ids)
{
	char id[DB_ID_LEN];
	int n = json_array_len(&rq->json, arr);
	if (n < 1 || n > JOB_DEVICES_MAX) {
		reply_error(rp, 400, "bad_request", "device_ids must hold 1 to %d device ids",
			    JOB_DEVICES_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int t = json_array_at(&rq->json, arr, i);
		if (json_type_of(&rq->json, t) != JSON_STRING ||
		    json_tok_string(&rq->json, t, id, sizeof(id)) < 0 || !is_hex_id(id)) {
			reply_bad_field(rp, "device_ids");
			return -1;
		}
		size_t k = 0;
		for (; k < ids->n && strcmp(ids->id[k], id) != 0; k++)
			;
		if (k == ids->n && db_ids_add(ids, id) != 0) {
			reply_internal(rp);
			return -1;
		}
	}
	return 0;
}

/* The recommended image of model into spec; fills rp when there is none. */
static int recommended_image(struct request *rq, struct reply *rp, const char *model,
			     struct job_spec *spec)
{
	char id[DB_ID_LEN] = "";
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT id FROM images WHERE model = ?"
				   " AND recommended = 1", "s", model);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && db_col_str(st, 0, id, sizeof(id)) != 0)
		r = DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "model %s has no recommended image", model);
		return -1;
	}
	if (r == 1 && spec->image_id[0] && strcmp(spec->image_id, id) != 0) {
		reply_error(rp, 400, "bad_request", "image %s is not the recommended image of %s (%s)",
			    spec->image_id, model, id);
		return -1;
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	strcpy(spec->image_id, id);
	return 0;
}

/* Reads and checks the target: exactly one of device_ids, folder_id, recommended_model. */
static int job_target(struct request *rq, struct reply *rp, struct job_spec *spec,
		      struct db_ids *ids, char *folder, char *model)
{
	int arr = rq->has_json ? json_find(&rq->json, 0, "device_ids") : -1;
	if (arr >= 0 && json_tok_is_null(&rq->json, arr))
		arr = -1;
	if (req_string_opt(rq, rp, "folder_id", folder, DB_ID_LEN) != 0 ||
	    req_string_opt(rq, rp, "recommended_model", model, FIELD_SHORT) != 0)
		return -1;
	if ((arr >= 0) + !!folder[0] + !!model[0] != 1) {
		reply_error(rp, 400, "bad_request", "give exactly one of device_ids, folder_id,"
			    " recommended_model");
		return -1;
	}
	if (arr >= 0) {
		if (json_type_of(&rq->json, arr) != JSON_ARRAY) {
			reply_bad_field(rp, "device_ids");
			return -1;
		}
		spec->kind = JOB_KIND_DEVICES;
		spec->target = "";
		return req_device_ids(rq, rp, arr, ids);
	}
	if (model[0]) {
		spec->kind = JOB_KIND_RECOMMENDED;
		spec->target = model;
		return recommended_image(rq, rp, model, spec);
	}
	if (!is_hex_id(folder)) {
		reply_bad_field(rp, "folder_id");
		return -1;
	}
	spec->kind = JOB_KIND_FOLDER;
	spec->target = folder;
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT 1 FROM folders WHERE id = ? AND deleted = 0",
				   "s", folder);
	int r = st ? db_step(st) : DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown folder %s", folder);
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

/* "tasks": [{"id","device_id","serial","folder","state","progress","reason","updated_at"}] */
static int job_tasks(struct request *rq, struct json_writer *w, const char *job)
{
	static const struct json_col cols[] = {
		{"id", COL_TEXT}, {"device_id", COL_TEXT}, {"serial", COL_TEXT},
		{"folder", COL_TEXT}, {"state", COL_TEXT}, {"progress", COL_INT},
		{"reason", COL_TEXT}, {"updated_at", COL_INT}, {"os_version", COL_TEXT},
	};
	sqlite3_stmt *st = db_stmt(rq->c->db, FOLDER_PATHS_CTE
				   "SELECT t.id, t.device_id, d.serial, p.path, t.state, t.progress,"
				   " t.reason, t.updated_at, d.os_version FROM tasks t"
				   " JOIN devices d ON d.id = t.device_id"
				   " JOIN folder_paths p ON p.id = d.folder_id WHERE t.job_id = ?"
				   " ORDER BY d.serial, t.seq", "s", job);
	jw_key(w, "tasks");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* "skipped": [{"device_id","serial","reason"}] */
static int job_skips(struct request *rq, struct json_writer *w, const char *job)
{
	static const struct json_col cols[] = {
		{"device_id", COL_TEXT}, {"serial", COL_TEXT}, {"reason", COL_TEXT},
	};
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT device_id, serial, reason FROM job_skips"
				   " WHERE job_id = ? ORDER BY rowid", "s", job);
	jw_key(w, "skipped");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

#define JOB_SELECT                                                                       \
	"SELECT j.id, j.kind, j.target, j.image_id, i.model, i.version, j.allow_downgrade,"  \
	" j.created_at, j.expires_at, j.window_kind, j.window_start, j.window_end,"          \
	" j.window_from, j.window_to, (SELECT COUNT(*) FROM job_skips s WHERE s.job_id = j.id)" \
	" FROM jobs j JOIN images i ON i.id = j.image_id"

/* The fields of a job row (JOB_SELECT) into the open object. */
static void job_fields(struct json_writer *w, sqlite3_stmt *st)
{
	struct task_window win;
	jw_kv_string(w, "id", col(st, 0));
	jw_kv_string(w, "kind", col(st, 1));
	jw_kv_string(w, "target", col(st, 2));
	jw_kv_string(w, "image_id", col(st, 3));
	jw_kv_string(w, "model", col(st, 4));
	jw_kv_string(w, "target_version", col(st, 5));
	jw_kv_bool(w, "allow_downgrade", (int)db_col_int(st, 6));
	jw_kv_int(w, "created_at", db_col_int(st, 7));
	jw_kv_int(w, "expires_at", db_col_int(st, 8));
	job_window_read(st, 9, &win);
	jw_key(w, "window");
	payload_window(w, &win);
	jw_kv_int(w, "skipped_count", db_col_int(st, 14));
}

/* One job with its tasks and skips (create's reply and job show). */
static void job_reply(struct request *rq, struct reply *rp, const char *job)
{
	sqlite3_stmt *st = db_stmt(rq->c->db, JOB_SELECT " WHERE j.id = ?", "s", job);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		job_fields(w, st);
		if (job_tasks(rq, w, job) < 0 || job_skips(rq, w, job) < 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	sqlite3_finalize(st);
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such job");
	else if (r < 0)
		reply_internal(rp);
}

void admin_job_create(struct request *rq, struct reply *rp)
{
	struct job_spec spec;
	struct db_ids ids = {0}, woken = {0};
	char folder[DB_ID_LEN] = "", model[FIELD_SHORT] = "", id[DB_ID_LEN];
	int64_t ttl = -1; /* not given */

	memset(&spec, 0, sizeof(spec));
	if (req_string_opt(rq, rp, "image_id", spec.image_id, sizeof(spec.image_id)) != 0 ||
	    req_bool_opt(rq, rp, "allow_downgrade", &spec.allow_downgrade) != 0 ||
	    req_int_opt(rq, rp, "expires_in", &ttl) != 0 || req_window(rq, rp, &spec.window) != 0)
		goto out;
	if ((spec.image_id[0] && !is_hex_id(spec.image_id)) ||
	    (ttl != -1 && (ttl < 1 || ttl > TASK_TTL_MAX)) ||
	    task_expiry(rq->now, ttl, TASK_TTL_DEFAULT, &spec.window, &spec.expires_at) != 0) {
		reply_bad_field(rp, spec.image_id[0] && !is_hex_id(spec.image_id) ? "image_id"
										  : "expires_in");
		goto out;
	}
	if (job_target(rq, rp, &spec, &ids, folder, model) != 0)
		goto out;
	if (!spec.image_id[0]) {
		reply_bad_field(rp, "image_id");
		goto out;
	}
	int r = job_load_image(rq->c->db, &spec);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown image %s", spec.image_id);
		goto out;
	}
	if (r < 0 || job_create(rq->c, &spec, &ids, rq->now, id) != 0 ||
	    db_ids_collect(rq->c->db, &woken, "SELECT device_id FROM tasks WHERE job_id = ?", "s",
			   id) < 0) {
		reply_internal(rp);
		goto out;
	}
	/* Every affected device's held poll gets its task now, not at its next poll. */
	wake_devices(rq->c, &woken, rq->ev); /* in slices, after this reply */
	job_reply(rq, rp, id);
out:
	db_ids_free(&ids);
	db_ids_free(&woken);
}

void admin_job_list(struct request *rq, struct reply *rp)
{
	if (tasks_expire(rq->c->db, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	sqlite3_stmt *st = db_stmt(rq->c->db, JOB_SELECT " ORDER BY j.seq", "");
	sqlite3_stmt *cnt = db_stmt(rq->c->db, "SELECT state, COUNT(*) FROM tasks WHERE job_id = ?"
				    " GROUP BY state", "");
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "jobs");
	jw_array_begin(w);
	int r = st && cnt ? 1 : DB_ERROR;
	while (r == 1 && (r = db_step(st)) == 1) {
		int64_t count[N_STATES] = {0}, total = 0, done = 0;
		sqlite3_reset(cnt);
		if (sqlite3_bind_text(cnt, 1, col(st, 0), -1, SQLITE_TRANSIENT) != SQLITE_OK) {
			r = DB_ERROR;
			break;
		}
		int c;
		while ((c = db_step(cnt)) == 1) {
			const char *s = col(cnt, 0);
			for (int i = 0; i < N_STATES; i++)
				if (s && strcmp(s, states[i]) == 0)
					count[i] = db_col_int(cnt, 1);
		}
		if (c < 0) {
			r = DB_ERROR;
			break;
		}
		jw_object_begin(w);
		job_fields(w, st);
		jw_key(w, "counts");
		jw_object_begin(w);
		for (int i = 0; i < N_STATES; i++) {
			total += count[i];
			if (task_state_is_final(states[i]))
				done += count[i];
			if (count[i])
				jw_kv_int(w, states[i], count[i]);
		}
		jw_object_end(w);
		jw_kv_int(w, "done", done);
		jw_kv_int(w, "total", total);
		jw_object_end(w);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(cnt);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void admin_job_show(struct request *rq, struct reply *rp)
{
	if (tasks_expire(rq->c->db, NULL, rq->now) < 0)
		reply_internal(rp);
	else
		job_reply(rq, rp, rq->arg);
}

/* POST /admin/v1/jobs/<id>/cancel: its tasks that have not started installing. */
void admin_job_cancel(struct request *rq, struct reply *rp)
{
	sqlite3 *db = rq->c->db;
	struct db_ids tasks = {0}, devices = {0};
	int cancelled = 0, kept = 0;
	char state[32], device[DB_ID_LEN];

	if (tasks_expire(db, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM jobs WHERE id = ?", "s", rq->arg);
	int r = st ? db_step(st) : DB_ERROR;
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such job");
		return;
	}
	if (r < 0 || db_begin(db) != 0 ||
	    db_ids_collect(db, &tasks, "SELECT id FROM tasks WHERE job_id = ? ORDER BY seq", "s",
			   rq->arg) < 0)
		goto fail;
	for (size_t i = 0; i < tasks.n; i++) {
		st = db_stmt(db, "SELECT state, device_id FROM tasks WHERE id = ?", "s", tasks.id[i]);
		r = st ? db_step(st) : DB_ERROR;
		if (r == 1 && (db_col_str(st, 0, state, sizeof(state)) != 0 ||
			       db_col_str(st, 1, device, sizeof(device)) != 0))
			r = DB_ERROR;
		sqlite3_finalize(st);
		if (r != 1)
			goto fail;
		if (task_state_is_final(state))
			continue;
		if (!task_state_cancellable(state)) {
			kept++;
			continue;
		}
		if (task_cancel_tx(db, tasks.id[i], state, "job cancelled", rq->now) != 0 ||
		    db_ids_add(&devices, device) != 0)
			goto fail;
		cancelled++;
	}
	if (db_historyf(db, rq->now, "job.cancel", "job %s cancelled: %d tasks cancelled, %d"
			" already installing", rq->arg, cancelled, kept) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	for (size_t i = 0; i < devices.n; i++)
		longpoll_wake(rq->c->lp, devices.id[i]); /* devices waiting for a window hear it */
	db_ids_free(&tasks);
	db_ids_free(&devices);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_int(w, "cancelled", cancelled);
	jw_kv_int(w, "not_cancelled", kept);
	jw_object_end(w);
	return;
fail:
	db_rollback(db);
	db_ids_free(&tasks);
	db_ids_free(&devices);
	reply_internal(rp);
}
