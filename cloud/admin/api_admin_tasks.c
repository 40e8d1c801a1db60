/* api_admin_tasks: admin API §8 for single upgrade tasks (each its own one-device
 * job). Creating a task answers the device's held
 * long poll at once. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/apps.h"
#include "../domain/jobs.h"
#include "task_view.h"
#include "../device/wake.h"
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

/* 409 app_would_strand when upgrading dev to AXIS OS os would leave an installed app
 * unable to run; the message names the package whose application task fixes it. */
static int refuse_stranding(struct request *rq, struct reply *rp, const char *dev,
			    const char *os, struct app_strand *st)
{
	int r = app_strand_check(rq->c->store, dev, os, st);
	if (r < 0)
		reply_internal(rp);
	else if (r == 1)
		reply_error(rp, 409, "app_would_strand",
			    "%s; or give override_app_check to upgrade anyway", st->reason);
	return r == 0 ? 0 : -1;
}

/* "unknown_range": [{"name","version","reason"}], the installed apps the check could
 * not judge (the catalog has no package of that version for the device). */
static void unknown_range(struct json_writer *w, const struct app_strand *st)
{
	jw_key(w, "unknown_range");
	jw_array_begin(w);
	for (int i = 0; i < st->nunknown; i++) {
		jw_object_begin(w);
		jw_kv_string(w, "name", st->unknown[i].name);
		jw_kv_string(w, "version", st->unknown[i].version);
		jw_kv_string(w, "reason", APP_RANGE_UNKNOWN);
		jw_object_end(w);
	}
	jw_array_end(w);
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
	    req_bool_opt(rq, rp, "override_app_check", &spec.override_app_check) != 0 ||
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
	struct app_strand *strand = calloc(1, sizeof(*strand));
	if (!strand || r < 0) {
		free(strand);
		reply_internal(rp);
		return;
	}
	if (!spec.override_app_check && refuse_stranding(rq, rp, dev, spec.version, strand) != 0)
		goto out;
	if (store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
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
		goto out;
	}
	log_info("task %s created: %s to %s", id, serial, spec.version);
	device_wake(rq->c, db, dev);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "state", "pending");
	jw_kv_string(w, "job_id", job);
	unknown_range(w, strand);
	jw_object_end(w);
out:
	free(strand);
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
	if (task_view(rq, rp, &v) != 0)
		return;
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
	device_wake(rq->c, db, dev); /* a device waiting for its window hears it now */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "state", "cancelled");
	jw_object_end(w);
}
