/* api_admin_tasks: admin API §8 for single upgrade tasks (each its own one-device
 * job) and licenses. Creating a task answers the device's held
 * long poll at once. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/jobs.h"
#include "../device/longpoll.h"
#include "../domain/payload.h"
#include "../domain/policy.h"


static const char *col(struct store_rows *st, int i)
{
	return store_text(st, i);
}

static void task_object(struct json_writer *w, struct store_rows *st)
{
	jw_object_begin(w);
	jw_kv_string(w, "id", col(st, 0));
	jw_kv_string(w, "device_id", col(st, 1));
	jw_kv_string(w, "target_version", col(st, 2));
	jw_kv_string(w, "state", col(st, 3));
	jw_kv_int(w, "progress", store_int(st, 4));
	jw_kv_string(w, "reason", col(st, 5));
	jw_kv_string(w, "image_id", col(st, 6));
	jw_kv_bool(w, "allow_downgrade", (int)store_int(st, 7));
	jw_kv_int(w, "created_at", store_int(st, 8));
	jw_kv_int(w, "updated_at", store_int(st, 9));
	jw_kv_int(w, "expires_at", store_int(st, 10));
	jw_kv_string(w, "serial", col(st, 11));
	jw_kv_string(w, "job_id", col(st, 12));
	struct task_window win;
	job_window_read(st, 13, &win);
	jw_key(w, "window");
	payload_window(w, &win);
	jw_object_end(w);
}

/* Reads the device's model/serial (live devices only); fills rp when unknown. */
static int device_model(struct request *rq, struct reply *rp, const char *id, char *model,
			char *serial)
{
	struct store_rows *st =
		store_query(rq->c->store, ST_DEVICE_MODEL, "s", id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 &&
	    (store_str(st, 0, model, FIELD_SHORT) || store_str(st, 1, serial, FIELD_SHORT)))
		r = DB_ERROR;
	store_done(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown device %s", id);
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

void admin_task_create(struct request *rq, struct reply *rp)
{
	char dev[DB_ID_LEN] = "", id[DB_ID_LEN], job[DB_ID_LEN], model[FIELD_SHORT];
	char serial[FIELD_SHORT];
	int64_t ttl = -1; /* not given */
	struct job_spec spec = {.kind = JOB_KIND_DEVICE, .target = dev};
	struct store *db = rq->c->store;

	if (req_string(rq, rp, "device_id", dev, sizeof(dev)) != 0 ||
	    req_string(rq, rp, "image_id", spec.image_id, sizeof(spec.image_id)) != 0 ||
	    req_bool_opt(rq, rp, "allow_downgrade", &spec.allow_downgrade) != 0 ||
	    req_int_opt(rq, rp, "expires_in", &ttl) != 0 || req_window(rq, rp, &spec.window) != 0)
		return;
	if (!is_hex_id(dev) || !is_hex_id(spec.image_id) ||
	    (ttl != -1 && (ttl < 1 || ttl > TASK_TTL_MAX)) ||
	    task_expiry(rq->now, ttl, TASK_TTL_DEFAULT, &spec.window, &spec.expires_at) != 0) {
		reply_bad_field(rp, !is_hex_id(dev) ? "device_id" : !is_hex_id(spec.image_id)
									? "image_id" : "expires_in");
		return;
	}
	if (device_model(rq, rp, dev, model, serial) != 0 ||
	    device_scope(rq, rp, dev, 1, spec.org_id, spec.folder_id) != 0 ||
	    authorize(rq, rp, spec.org_id, spec.folder_id, NEED_OPERATE) != 0)
		return;
	int r = job_load_image(db, &spec);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown image %s", spec.image_id);
		return;
	}
	if (r == 1 && strcmp(spec.model, model) != 0) {
		reply_error(rp, 400, "bad_request",
			    "image %s is for model %s but device %s is a %s", spec.image_id,
			    spec.model, serial, model);
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (job_insert(rq->c, &spec, rq->now, job) != 0 ||
	    job_task_insert(rq->c, job, &spec, dev, rq->now, id) != 0 ||
	    audit(rq, &(struct audit_scope){spec.org_id, spec.folder_id, dev}, "task.create",
		  "task %s: upgrade %s (%s) to %s%s%s", id, serial, model, spec.version,
		  spec.allow_downgrade ? ", downgrade allowed" : "",
		  spec.window.kind != WINDOW_NONE ? ", with an update window" : "") != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	log_info("task %s created: %s to %s", id, serial, spec.version);
	longpoll_wake(rq->c->lp, dev);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "state", "pending");
	jw_kv_string(w, "job_id", job);
	jw_object_end(w);
}

/* authorize() for task id: in the organization and folder of its device. */
static int task_authorize(struct request *rq, struct reply *rp, const char *id,
			  enum access_need need)
{
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (object_scope(rq, rp, ST_TASK_SCOPE, id, "task", org, folder, NULL) != 0)
		return -1;
	return authorize(rq, rp, org, folder, need);
}

void admin_task_show(struct request *rq, struct reply *rp)
{
	if (task_authorize(rq, rp, rq->arg, NEED_READ) != 0)
		return;
	if (tasks_expire(rq->c->store, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	struct store_rows *st =
		store_query(rq->c->store, ST_TASK_SHOW, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1)
		task_object(reply_json(rp, 200), st);
	else if (r == 0)
		reply_error(rp, 404, "not_found", "no such task");
	else
		reply_internal(rp);
	store_done(st);
}

void admin_task_list(struct request *rq, struct reply *rp)
{
	struct access_view v;
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, &v) != 0)
		return;
	if (tasks_expire(rq->c->store, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	struct store_rows *st =
		store_query(rq->c->store, ST_TASKS_ALL, "ss", view_org(&v), view_user(&v));
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "tasks");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		task_object(w, st);
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void admin_task_cancel(struct request *rq, struct reply *rp)
{
	char state[32] = "", dev[DB_ID_LEN] = "";
	struct store *db = rq->c->store;
	if (task_authorize(rq, rp, rq->arg, NEED_OPERATE) != 0)
		return;
	if (tasks_expire(db, NULL, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	struct store_rows *st = store_query(db, ST_TASK_STATE_AND_DEVICE, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, state, sizeof(state)) != 0 ||
		       store_str(st, 1, dev, sizeof(dev)) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such task");
		return;
	}
	if (r == 1 && !task_state_cancellable(state)) {
		reply_error(rp, 400, "bad_request", "task is %s: too late to cancel", state);
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (task_cancel_tx(db, rq->arg, state, "", rq->now) != 0 ||
	    audit(rq, &(struct audit_scope){NULL, NULL, dev}, "task.cancel",
		  "task %s cancelled while %s", rq->arg, state) != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	longpoll_wake(rq->c->lp, dev); /* a device waiting for its window hears it now */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "state", "cancelled");
	jw_object_end(w);
}

void admin_license_issue(struct request *rq, struct reply *rp)
{
	char dev[DB_ID_LEN] = "", app[FIELD_NAME], id[DB_ID_LEN], model[FIELD_SHORT];
	char serial[FIELD_SHORT];
	int64_t exp = 0;
	struct store *db = rq->c->store;

	if (req_string(rq, rp, "device_id", dev, sizeof(dev)) != 0 ||
	    req_string(rq, rp, "app", app, sizeof(app)) != 0 ||
	    req_int_opt(rq, rp, "license_exp", &exp) != 0)
		return;
	if (!is_hex_id(dev) || exp < 0) {
		reply_bad_field(rp, exp < 0 ? "license_exp" : "device_id");
		return;
	}
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (device_model(rq, rp, dev, model, serial) != 0 ||
	    device_scope(rq, rp, dev, 1, org, folder) != 0 ||
	    authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (db_new_id(id) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (store_run(db, ST_LICENSES_INSERT, "sssiii", id, dev, app, exp, rq->now, rq->now) != 1 ||
	    audit(rq, &(struct audit_scope){org, folder, dev}, "license.issue",
		  "license %s: %s for %s (exp %" PRId64 ")", id, app, serial, exp) != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	longpoll_wake(rq->c->lp, dev); /* "check licenses" now rather than at its next check */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "state", "pending");
	jw_object_end(w);
}

static const struct json_col license_cols[] = {
	{ "id", COL_TEXT },         { "device_id", COL_TEXT }, { "serial", COL_TEXT },
	{ "app", COL_TEXT },        { "state", COL_TEXT },     { "reason", COL_TEXT },
	{ "license_exp", COL_INT }, { "updated_at", COL_INT },
};

void admin_license_list(struct request *rq, struct reply *rp)
{
	struct access_view v;
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, &v) != 0)
		return;
	struct store_rows *st =
		store_query(rq->c->store, ST_LICENSES_ALL, "ss", view_org(&v), view_user(&v));
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

