/* jobs: creating upgrade jobs and their tasks, the reasons a job skips a device,
 * and the lazy expiry of tasks (see jobs.h). SQL only; no HTTP here. */
#include "jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"

int job_load_image(struct store *db, struct job_spec *spec)
{
	struct store_rows *st =
		store_query(db, ST_IMAGE_MODEL_VERSION, "s", spec->image_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, spec->model, sizeof(spec->model)) != 0 ||
		       store_str(st, 1, spec->version, sizeof(spec->version)) != 0))
		r = DB_ERROR;
	store_done(st);
	return r;
}

static const char *window_text(const struct task_window *w)
{
	return w->kind == WINDOW_NONE ? "" : window_kind_name(w->kind);
}

int job_insert(struct cloud *c, const struct job_spec *spec, int64_t now, char id[DB_ID_LEN])
{
	const struct task_window *w = &spec->window;
	if (db_new_id(id) != 0)
		return -1;
	return store_run(c->store, ST_JOBS_INSERT, "ssssbsiissiiiss", id, spec->image_id, spec->kind,
			 spec->target, spec->allow_downgrade, window_text(w), w->start, w->end,
			 w->from, w->to, now, spec->expires_at, cloud_next_seq(c),
			 spec->org_id[0] ? spec->org_id : NULL,
			 spec->folder_id[0] ? spec->folder_id : NULL) == 1
		       ? 0
		       : -1;
}

int job_task_insert(struct cloud *c, const char *job_id, const struct job_spec *spec,
		    const char *device_id, int64_t now, char task_id[DB_ID_LEN])
{
	const struct task_window *w = &spec->window;
	if (db_new_id(task_id) != 0)
		return -1;
	return store_run(c->store, ST_TASKS_INSERT, "sssbiiiissiiss", task_id, device_id,
			 spec->image_id, spec->allow_downgrade, now, now, spec->expires_at,
			 cloud_next_seq(c), job_id, window_text(w), w->start, w->end, w->from,
			 w->to) == 1
		       ? 0
		       : -1;
}

/* Reads a job candidate row (ST_JOB_CANDIDATE_*) into d (pointing into model and os) and serial. */
static int candidate_read(struct store_rows *st, struct job_candidate *d, char *model, char *os,
			  char *serial)
{
	memset(d, 0, sizeof(*d));
	d->found = 1;
	d->model = model;
	d->os_version = os;
	d->removed = (int)store_int(st, 4);
	d->open_task_same_image = (int)store_int(st, 5);
	return store_str(st, 1, serial, FIELD_SHORT) != 0 ||
			       store_str(st, 2, model, FIELD_SHORT) != 0 ||
			       store_str(st, 3, os, FIELD_SHORT) != 0
		       ? -1
		       : 0;
}

static void skip_text(enum job_skip why, const struct job_candidate *d,
		      const struct job_spec *spec, char *out, size_t outsz)
{
	switch (why) {
	case JOB_SKIP_UNKNOWN:
		snprintf(out, outsz, "no such device");
		break;
	case JOB_SKIP_REMOVED:
		snprintf(out, outsz, "device was removed");
		break;
	case JOB_SKIP_MODEL:
		snprintf(out, outsz, "device is a %s, the image is for %s", d->model, spec->model);
		break;
	case JOB_SKIP_SAME_VERSION:
		snprintf(out, outsz, "already on %s", d->os_version);
		break;
	case JOB_SKIP_NEWER:
		snprintf(out, outsz, "on %s, newer than %s (downgrade not allowed)", d->os_version,
			 spec->version);
		break;
	case JOB_SKIP_OPEN_TASK:
		snprintf(out, outsz, "already has an unfinished task for this image");
		break;
	case JOB_ELIGIBLE:
		out[0] = '\0';
		break;
	}
}

static void target_text(const struct job_spec *spec, char *out, size_t outsz)
{
	if (strcmp(spec->kind, JOB_KIND_FOLDER) == 0)
		snprintf(out, outsz, "folder %s", spec->target);
	else if (strcmp(spec->kind, JOB_KIND_RECOMMENDED) == 0)
		snprintf(out, outsz, "outdated %s devices", spec->target);
	else
		snprintf(out, outsz, "selected devices");
}

/* A job's work on the database: the folder and model targets read every candidate
 * in one query (the store keeps each statement prepared). */
struct job_fill {
	struct cloud *c;
	const char *job_id;
	const struct job_spec *spec;
	int64_t now;
	int tasks, skipped;
};

/* A task or a skip row for one device (d->found 0: an id that is no device). */
static int fill_one(struct job_fill *jf, const char *device_id, const struct job_candidate *d,
		    const char *serial)
{
	char reason[FIELD_REASON], task_id[DB_ID_LEN];
	const struct job_spec *spec = jf->spec;
	enum job_skip why = job_skip_decide(d, spec->model, spec->version, spec->allow_downgrade);
	if (why == JOB_ELIGIBLE) {
		if (job_task_insert(jf->c, jf->job_id, spec, device_id, jf->now, task_id) != 0)
			return -1;
		jf->tasks++;
		return 0;
	}
	skip_text(why, d, spec, reason, sizeof(reason));
	if (store_run(jf->c->store, ST_JOB_SKIP_INSERT, "ssss", jf->job_id, device_id, serial,
		      reason) != 1)
		return -1;
	jf->skipped++;
	return 0;
}

/* Every row of cand (a job candidate query) gets a task or a skip row. */
static int fill_rows(struct job_fill *jf, struct store_rows *cand, int single, const char *id)
{
	char model[FIELD_SHORT], os[FIELD_SHORT], serial[FIELD_SHORT], dev[DB_ID_LEN];
	struct job_candidate d;
	int r, rows = 0;
	while ((r = store_next(cand)) == 1) {
		rows++;
		if (candidate_read(cand, &d, model, os, serial) != 0 ||
		    store_str(cand, 0, dev, sizeof(dev)) != 0 || fill_one(jf, dev, &d, serial) != 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (single && rows == 0) { /* a selected id that is no device */
		memset(&d, 0, sizeof(d));
		d.model = d.os_version = "";
		return fill_one(jf, id, &d, "");
	}
	return 0;
}

static int job_fill(struct job_fill *jf, const struct db_ids *devices)
{
	const struct job_spec *spec = jf->spec;
	struct store *db = jf->c->store;
	struct store_rows *cand = NULL;
	int rc = -1;
	if (strcmp(spec->kind, JOB_KIND_FOLDER) == 0 ||
	    strcmp(spec->kind, JOB_KIND_RECOMMENDED) == 0) {
		int folder = strcmp(spec->kind, JOB_KIND_FOLDER) == 0;
		cand = folder ? store_query(db, ST_JOB_CANDIDATES_OF_FOLDER, "sis", spec->image_id,
					    jf->now, spec->target)
			      : store_query(db, ST_JOB_CANDIDATES_OF_MODEL, "sisss", spec->image_id,
					    jf->now, spec->target, spec->org_id, spec->grant_user);
		rc = cand ? fill_rows(jf, cand, 0, NULL) : -1;
		goto out;
	}
	if (!devices)
		goto out;
	for (size_t i = 0; i < devices->n; i++) {
		cand = store_query(db, ST_JOB_CANDIDATE_DEVICE, "sis", spec->image_id, jf->now,
				   devices->id[i]);
		if (!cand || fill_rows(jf, cand, 1, devices->id[i]) != 0)
			goto out;
		store_done(cand);
		cand = NULL;
	}
	rc = 0;
out:
	store_done(cand);
	return rc;
}

int job_create_tx(struct cloud *c, const struct job_spec *spec, const struct db_ids *devices,
		  int64_t now, char id[DB_ID_LEN], int *tasks, int *skipped)
{
	char target[FIELD_NAME + 32];
	struct job_fill jf = {.c = c, .job_id = id, .spec = spec, .now = now};

	if (job_insert(c, spec, now, id) != 0 || job_fill(&jf, devices) != 0)
		return -1;
	target_text(spec, target, sizeof(target));
	log_info("job %s created: %s %s for %s, %d tasks, %d skipped", id, spec->model,
		 spec->version, target, jf.tasks, jf.skipped);
	*tasks = jf.tasks;
	*skipped = jf.skipped;
	return 0;
}

void job_describe(const struct job_spec *spec, const char *id, int tasks, int skipped,
		  char *out, size_t outsz)
{
	char target[FIELD_NAME + 32];
	target_text(spec, target, sizeof(target));
	snprintf(out, outsz, "job %s: upgrade %s to %s (%s)%s%s: %d tasks, %d skipped", id,
		 spec->model, spec->version, target,
		 spec->allow_downgrade ? ", downgrade allowed" : "",
		 spec->window.kind != WINDOW_NONE ? ", with an update window" : "", tasks,
		 skipped);
}

int tasks_expire(struct store *db, const char *device_id, int64_t now)
{
	/* Most calls find nothing: look before taking the write lock. */
	struct store_rows *st =
		store_query(db, ST_TASKS_EXPIRED_COUNT, "iss", now, device_id, device_id);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t n = r == 1 ? store_int(st, 0) : -1;
	store_done(st);
	if (n <= 0)
		return n < 0 ? -1 : 0;

	int own = !store_in_transaction(db);
	if (own && store_begin(db) != 0)
		return -1;
	int h = store_run(db, ST_TASKS_EXPIRED_HISTORY, "isiss", now, TASK_EXPIRED_REASON, now,
			  device_id, device_id);
	int u = h < 0 ? -1
		      : store_run(db, ST_TASKS_EXPIRED_FAIL, "siiss", TASK_EXPIRED_REASON, now, now,
				  device_id, device_id);
	if (u < 0 || (own && store_commit(db) != 0)) {
		if (own)
			store_rollback(db);
		return -1;
	}
	log_info("%d task%s expired before the device finished", u, u == 1 ? "" : "s");
	return u;
}

void job_window_read(struct store_rows *st, int col, struct task_window *w)
{
	memset(w, 0, sizeof(*w));
	const char *kind = store_text(st, col);
	if (window_kind_parse(kind ? kind : "", &w->kind) != 0)
		w->kind = WINDOW_NONE;
	w->start = store_int(st, col + 1);
	w->end = store_int(st, col + 2);
	if (store_str(st, col + 3, w->from, sizeof(w->from)) != 0 ||
	    store_str(st, col + 4, w->to, sizeof(w->to)) != 0)
		w->kind = WINDOW_NONE; /* never written by us: treat as no window */
}

int task_cancel_tx(struct store *db, const char *task_id, const char *from, const char *reason,
		   int64_t now)
{
	return store_run(db, ST_TASK_CANCEL, "siiss", reason, now,
			 (int64_t)(strcmp(from, "pending") != 0), task_id, from) == 1
		       ? 0
		       : -1;
}
