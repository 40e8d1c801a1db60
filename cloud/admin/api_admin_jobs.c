/* api_admin_jobs: admin API §8 for upgrade jobs — create one for a selection of
 * devices, a folder tree or the outdated devices of a model (waking every affected
 * device's held poll at once), list them with counts per state, show one device by
 * device, cancel what has not started installing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/jobs.h"
#include "plan_queue.h"
#include "task_view.h"
#include "../device/longpoll.h"
#include "../device/wake.h"
#include "../domain/payload.h"

/* Every state a task can be in, in order, for the counts of `job list`. */
static const char *const states[] = {
	"pending", "received", "downloading", "verifying", "waiting_window", "installing",
	"rebooting", "verifying_version", "succeeded", "failed", "cancelled",
};
#define N_STATES ((int)(sizeof(states) / sizeof(states[0])))

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

/* A selected device must be one the caller may upgrade, in the job's organization; the
 * job keeps one folder when all its devices share it. An id that is no device stays
 * (the job skips it, as before). 0, or -1 with rp filled. */
static int device_in_job(struct request *rq, struct reply *rp, const char *id,
			 struct job_spec *spec, int first)
{
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	struct reply probe;
	reply_init(&probe);
	int r = device_scope(rq, &probe, id, 1, org, folder);
	int missing = r != 0 && probe.status == 404;
	reply_free(&probe);
	if (missing && rq->who.kind == PRINCIPAL_BOOTSTRAP)
		return 0;
	if (missing) {
		reply_error(rp, 404, "not_found", "no such device %s", id);
		return -1;
	}
	if (r != 0) {
		reply_internal(rp);
		return -1;
	}
	if (authorize(rq, rp, org, folder, NEED_OPERATE) != 0)
		return -1;
	if (!spec->org_id[0]) {
		strcpy(spec->org_id, org);
		strcpy(spec->folder_id, folder);
	} else if (strcmp(spec->org_id, org) != 0) {
		reply_error(rp, 400, "bad_request", "the devices of one job are of one organization");
		return -1;
	} else if (!first && strcmp(spec->folder_id, folder) != 0) {
		spec->folder_id[0] = '\0';
	}
	return 0;
}

/* device_ids: 1..JOB_DEVICES_MAX ids, duplicates dropped. */
static int req_device_ids(struct request *rq, struct reply *rp, int arr, struct db_ids *ids,
			  struct job_spec *spec)
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
		if (k < ids->n)
			continue;
		if (device_in_job(rq, rp, id, spec, i == 0) != 0)
			return -1;
		if (db_ids_add(ids, id) != 0) {
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
	struct store_rows *st =
		store_query(rq->c->store, ST_IMAGE_RECOMMENDED_OF_MODEL, "s", model);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, id, sizeof(id)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "model %s has no recommended image", model);
		return -1;
	}
	if (r == 1 && spec->image_id[0] && strcmp(spec->image_id, id) != 0) {
		reply_error(rp, 400, "bad_request",
			    "image %s is not the recommended image of %s (%s)", spec->image_id,
			    model, id);
		return -1;
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	strcpy(spec->image_id, id);
	return 0;
}

/* Reads and checks the target: exactly one of device_ids, folder_id, recommended_model,
 * running_app (an appName: every camera whose inventory has it running). */
static int job_target(struct request *rq, struct reply *rp, struct job_spec *spec,
		      struct db_ids *ids, char *folder, char *model, char *running,
		      struct access_view *view)
{
	int arr = rq->has_json ? json_find(&rq->json, 0, "device_ids") : -1;
	if (arr >= 0 && json_tok_is_null(&rq->json, arr))
		arr = -1;
	if (req_string_opt(rq, rp, "folder_id", folder, DB_ID_LEN) != 0 ||
	    req_string_opt(rq, rp, "recommended_model", model, FIELD_SHORT) != 0 ||
	    req_string_opt(rq, rp, "running_app", running, EAP_FIELD_MAX) != 0)
		return -1;
	if ((arr >= 0) + !!folder[0] + !!model[0] + !!running[0] != 1) {
		reply_error(rp, 400, "bad_request", "give exactly one of device_ids, folder_id,"
			    " recommended_model, running_app");
		return -1;
	}
	if (running[0] && !eap_app_name_ok(running)) {
		reply_bad_field(rp, "running_app");
		return -1;
	}
	if (running[0] || model[0]) {
		/* the devices of the model, or running the app, in the caller's organization,
		 * within its grants */
		char org[DB_ID_LEN] = "";
		if (req_string_opt(rq, rp, "org_id", org, sizeof(org)) != 0 ||
		    access_view(rq, rp, org, NEED_OPERATE, 1, view) != 0)
			return -1;
		strcpy(spec->org_id, view->org_id);
		spec->grant_user = view_user(view);
	}
	if (running[0]) {
		spec->kind = JOB_KIND_RUNNING;
		spec->target = running;
		return 0;
	}
	if (arr >= 0) {
		if (json_type_of(&rq->json, arr) != JSON_ARRAY) {
			reply_bad_field(rp, "device_ids");
			return -1;
		}
		spec->kind = JOB_KIND_DEVICES;
		spec->target = "";
		return req_device_ids(rq, rp, arr, ids, spec);
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
	struct store_rows *st = store_query(rq->c->store, ST_ORG_OF_FOLDER, "s", folder);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, spec->org_id, sizeof(spec->org_id)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown folder %s", folder);
	else if (r < 0)
		reply_internal(rp);
	if (r != 1 || authorize(rq, rp, spec->org_id, folder, NEED_OPERATE) != 0)
		return -1;
	strcpy(spec->folder_id, folder);
	return 0;
}

/* "tasks": [{"id","device_id","serial","folder","state","progress","reason","updated_at"}] */
static int job_tasks(struct request *rq, struct json_writer *w, const char *job)
{
	static const struct json_col cols[] = {
		{"id", COL_TEXT}, {"device_id", COL_TEXT}, {"serial", COL_TEXT},
		{"folder", COL_TEXT}, {"state", COL_TEXT}, {"progress", COL_INT},
		{"reason", COL_TEXT}, {"updated_at", COL_INT}, {"os_version", COL_TEXT},
	};
	struct store_rows *st = store_query(rq->c->store, ST_TASKS_BY_JOB_ID, "s", job);
	jw_key(w, "tasks");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* "skipped": [{"device_id","serial","reason"}] */
static int job_skips(struct request *rq, struct json_writer *w, const char *job)
{
	static const struct json_col cols[] = {
		{"device_id", COL_TEXT}, {"serial", COL_TEXT}, {"reason", COL_TEXT},
	};
	struct store_rows *st = store_query(rq->c->store, ST_JOB_SKIPS_BY_JOB_ID, "s", job);
	jw_key(w, "skipped");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* The fields of a job row (ST_JOBS_* rows) into the open object. */
static void job_fields(struct json_writer *w, struct store_rows *st)
{
	struct task_window win;
	jw_kv_string(w, "id", store_text(st, 0));
	jw_kv_string(w, "kind", store_text(st, 1));
	jw_kv_string(w, "target", store_text(st, 2));
	jw_kv_string(w, "image_id", store_text(st, 3));
	jw_kv_string(w, "model", store_text(st, 4));
	jw_kv_string(w, "target_version", store_text(st, 5));
	jw_kv_bool(w, "allow_downgrade", (int)store_int(st, 6));
	jw_kv_int(w, "created_at", store_int(st, 7));
	jw_kv_int(w, "expires_at", store_int(st, 8));
	job_window_read(st, 9, &win);
	jw_key(w, "window");
	payload_window(w, &win);
	jw_kv_int(w, "skipped_count", store_int(st, 14));
	jw_kv_string(w, "task_kind", store_text(st, 15)); /* os_upgrade | app */
	jw_kv_string(w, "app_action", store_text(st, 16)); /* "" for an OS upgrade */
}

/* "skipped_reasons": [{"reason","count"}], the most frequent first */
static int job_skip_reasons(struct request *rq, struct json_writer *w, const char *job)
{
	static const struct json_col cols[] = {{"reason", COL_TEXT}, {"count", COL_INT}};
	struct store_rows *st = store_query(rq->c->store, ST_JOB_SKIP_REASONS, "s", job);
	jw_key(w, "skipped_reasons");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* The counts a new job's reply carries in place of its rows (job show lists them). */
struct job_counts {
	int tasks, skipped;
};

/* One job: with its tasks and skips (job show, counts NULL), or for create's reply
 * with how many devices it targeted, how many tasks it made and why it skipped the
 * rest (a folder job's reply stays small however large the fleet). */
static void job_reply(struct request *rq, struct reply *rp, const char *job,
		      const struct job_counts *counts)
{
	struct store_rows *st = store_query(rq->c->store, ST_JOBS_BY_ID, "s", job);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		job_fields(w, st);
		if (counts) {
			jw_kv_int(w, "targeted", counts->tasks + counts->skipped);
			jw_kv_int(w, "tasks_created", counts->tasks);
			if (job_skip_reasons(rq, w, job) < 0)
				r = DB_ERROR;
		} else if (job_tasks(rq, w, job) < 0 || job_skips(rq, w, job) < 0) {
			r = DB_ERROR;
		}
		jw_object_end(w);
	}
	store_done(st);
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such job");
	else if (r < 0)
		reply_internal(rp);
}

void admin_job_create(struct request *rq, struct reply *rp)
{
	struct job_spec spec;
	struct job_app app;
	struct db_ids ids = {0}, woken = {0};
	char folder[DB_ID_LEN] = "", model[FIELD_SHORT] = "", running[EAP_FIELD_MAX] = "";
	char id[DB_ID_LEN], detail[512];
	int64_t ttl = -1; /* not given */
	int tasks = 0, skipped = 0;
	struct access_view view;
	struct store *db = rq->c->store;

	memset(&spec, 0, sizeof(spec));
	if (req_string_opt(rq, rp, "image_id", spec.image_id, sizeof(spec.image_id)) != 0 ||
	    req_bool_opt(rq, rp, "allow_downgrade", &spec.allow_downgrade) != 0 ||
	    req_bool_opt(rq, rp, "override_app_check", &spec.override_app_check) != 0 ||
	    req_int_opt(rq, rp, "expires_in", &ttl) != 0 || req_window(rq, rp, &spec.window) != 0)
		goto out;
	if ((spec.image_id[0] && !is_hex_id(spec.image_id)) ||
	    (ttl != -1 && (ttl < 1 || ttl > TASK_TTL_MAX)) ||
	    task_expiry(rq->now, ttl, TASK_TTL_DEFAULT, &spec.window, &spec.expires_at) != 0) {
		reply_bad_field(rp, spec.image_id[0] && !is_hex_id(spec.image_id) ? "image_id"
										  : "expires_in");
		goto out;
	}
	int is_app = req_app_task(rq, rp, &app, &spec);
	if (is_app < 0 || job_target(rq, rp, &spec, &ids, folder, model, running, &view) != 0)
		goto out;
	if (is_app && model[0]) {
		reply_error(rp, 400, "bad_request",
			    "an application job takes device_ids, folder_id or running_app");
		goto out;
	}
	if (!is_app && running[0]) {
		reply_error(rp, 400, "bad_request", "running_app targets application jobs only");
		goto out;
	}
	if (!spec.image_id[0]) {
		reply_bad_field(rp, "image_id");
		goto out;
	}
	int r = is_app ? 1 : job_load_image(rq->c->store, &spec);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown image %s", spec.image_id);
		goto out;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	int left = job_create_tx(rq->c, &spec, &ids, rq->now, id, &tasks, &skipped, &woken);
	if (left < 0 ||
	    (job_describe(&spec, id, tasks, skipped, detail, sizeof(detail)),
	     audit(rq, &(struct audit_scope){spec.org_id, spec.folder_id, NULL}, "job.create", "%s",
		   detail) != 0) ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		goto out;
	}
	/* Every affected device's held poll gets its task now, not at its next poll: those
	 * of the first slice in slices after this reply, the others as their slices of the
	 * plan are written. */
	job_wake(rq->c, db, id, &woken, rq->ev);
	if (left)
		plan_queue_add(rq->c, id);
	job_reply(rq, rp, id, &(struct job_counts){tasks, skipped});
out:
	db_ids_free(&ids);
	db_ids_free(&woken);
}

void admin_job_list(struct request *rq, struct reply *rp)
{
	struct access_view v;
	if (task_view(rq, rp, &v) != 0)
		return;
	struct store_rows *st =
		store_query(rq->c->store, ST_JOBS_ALL, "ss", view_org(&v), view_user(&v));
	struct store_rows *cnt = NULL;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "jobs");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		int64_t count[N_STATES] = {0}, total = 0, done = 0;
		store_done(cnt);
		cnt = store_query(rq->c->store, ST_TASK_STATE_COUNTS_OF_JOB, "s",
				  store_text(st, 0));
		if (!cnt) {
			r = DB_ERROR;
			break;
		}
		int c;
		while ((c = store_next(cnt)) == 1) {
			const char *s = store_text(cnt, 0);
			for (int i = 0; i < N_STATES; i++)
				if (s && strcmp(s, states[i]) == 0)
					count[i] = store_int(cnt, 1);
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
	store_done(st);
	store_done(cnt);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* authorize() for job id, in its organization and (when it has one) folder. */
static int job_authorize(struct request *rq, struct reply *rp, const char *id,
			 enum access_need need, char org[DB_ID_LEN], char folder[DB_ID_LEN])
{
	if (object_scope(rq, rp, ST_JOB_SCOPE, id, "job", org, folder, NULL) != 0)
		return -1;
	return authorize(rq, rp, org, folder, need);
}

void admin_job_show(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (job_authorize(rq, rp, rq->arg, NEED_READ, org, folder) != 0)
		return;
	if (tasks_expire(rq->c->store, NULL, rq->now) < 0)
		reply_internal(rp);
	else
		job_reply(rq, rp, rq->arg, NULL);
}

/* POST /admin/v1/jobs/<id>/cancel: its tasks that have not started installing. */
void admin_job_cancel(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	struct db_ids tasks = {0}, devices = {0};
	int cancelled = 0, kept = 0;
	char state[32], device[DB_ID_LEN], org[DB_ID_LEN], folder[DB_ID_LEN];

	if (job_authorize(rq, rp, rq->arg, NEED_OPERATE, org, folder) != 0)
		return;
	if (tasks_expire(db, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	struct store_rows *st = store_query(db, ST_JOBS_EXISTS_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such job");
		return;
	}
	if (r < 0 || store_begin(db) != 0 ||
	    store_collect_ids(db, &tasks, ST_TASK_IDS_OF_JOB, "s", rq->arg) <
		    0)
		goto fail;
	for (size_t i = 0; i < tasks.n; i++) {
		st = store_query(db, ST_TASK_STATE_AND_DEVICE, "s", tasks.id[i]);
		r = st ? store_next(st) : DB_ERROR;
		if (r == 1 && (store_str(st, 0, state, sizeof(state)) != 0 ||
			       store_str(st, 1, device, sizeof(device)) != 0))
			r = DB_ERROR;
		store_done(st);
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
	if (audit(rq, &(struct audit_scope){org, folder[0] ? folder : NULL, NULL}, "job.cancel",
		  "job %s cancelled: %d tasks cancelled, %d already installing", rq->arg,
		  cancelled, kept) != 0 ||
	    store_commit(db) != 0)
		goto fail;
	job_wake(rq->c, db, rq->arg, &devices, NULL); /* devices waiting for a window hear it */
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
	store_rollback(db);
	db_ids_free(&tasks);
	db_ids_free(&devices);
	reply_internal(rp);
}
