/* jobs: creating upgrade jobs and their tasks, the reasons a job skips a device,
 * and the lazy expiry of tasks (see jobs.h). SQL only; no HTTP here. */
#include "jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "apps.h"

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
	return store_run(c->store, ST_JOBS_INSERT, "ssssbsiissiiissssss", id, spec->image_id,
			 spec->kind, spec->target, spec->allow_downgrade, window_text(w), w->start,
			 w->end, w->from, w->to, now, spec->expires_at, cloud_next_seq(c),
			 spec->app ? TASK_KIND_APP : TASK_KIND_OS,
			 spec->app ? spec->app->action : "", spec->app ? spec->app->name : "",
			 spec->app ? spec->app->params : "",
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
	const struct job_app *app = spec->app;
	return store_run(c->store, ST_TASKS_INSERT, "sssbiiiissiissssss", task_id, device_id,
			 spec->image_id, spec->allow_downgrade, now, now, spec->expires_at,
			 cloud_next_seq(c), job_id, window_text(w), w->start, w->end, w->from,
			 w->to, app ? TASK_KIND_APP : TASK_KIND_OS, app ? app->action : "",
			 app ? app->name : "", app ? app->params : "") == 1
		       ? 0
		       : -1;
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
	else if (strcmp(spec->kind, JOB_KIND_RUNNING) == 0)
		snprintf(out, outsz, "devices running %s", spec->target);
	else
		snprintf(out, outsz, "selected devices");
}

/* The rows of one slice statement: the keys of a JSON object (its values are 0), which
 * both stores read in one pass (json_each) where cutting one long text by position
 * reads it from its start for every row. */
struct row_slice {
	struct buf b;
	struct json_writer w;
	int n;
};
#define SLICE_BYTES_MAX (TASK_SLICE * (FIELD_REASON * 6 + 64)) /* escaped, at worst */

/* Adds a row (key) to rs, opening its object with the first. */
static void slice_add(struct row_slice *rs, const char *key)
{
	if (rs->n++ == 0) {
		buf_reset(&rs->b);
		jw_init(&rs->w, &rs->b);
		jw_object_begin(&rs->w);
	}
	jw_key(&rs->w, key);
	jw_int(&rs->w, 0);
}

/* Closes rs's object for its statement: 0, or -1 when it did not fit. */
static int slice_close(struct row_slice *rs)
{
	jw_object_end(&rs->w);
	return jw_finish(&rs->w);
}

/* One candidate device while its rows of the candidate query (CANDIDATE_SELECT) come
 * in: its columns, the verdict of the rules that need no inventory, and what its
 * inventory has told so far. */
#define CAND_AGENT_COL 7  /* the agent's app in a candidate row */
#define CAND_OTHER_COL 14 /* another app */
struct cand {
	char id[DB_ID_LEN], model[FIELD_SHORT], os[FIELD_SHORT], arch[FIELD_SHORT];
	struct job_candidate d;
	enum job_skip why;         /* an OS job's verdict before the app check */
	int checking;              /* an OS job: its apps go to run */
	int listed;                /* an app job: the inventory lists the job's app */
	struct app_strand_run run;
};

/* A job's work on the database: the folder, model and running-app targets read every
 * candidate with what the checks need of its inventory in one query (a selection one
 * query a device), the rules are applied here, the skip rows go in by slices of
 * TASK_SLICE rows and the tasks into the job's plan, a slice a row (job_plan_step
 * writes them). */
struct job_fill {
	struct cloud *c;
	const char *job_id;
	const struct job_spec *spec;
	int64_t now;
	int tasks, skipped, slices;
	struct row_slice tasks_slice, skips_slice;    /* rows not yet written */
	struct app_strand strand;                     /* the device being checked */
	struct app_fix_memo memo;                     /* the catalog's fix found last */
	struct cand cur;                              /* the device being read */
};

/* Puts the tasks waiting in their slice into the job's plan as its next slice. */
static int task_slice_flush(struct job_fill *jf)
{
	struct row_slice *rs = &jf->tasks_slice;
	if (rs->n == 0)
		return 0;
	if (slice_close(rs) != 0 || store_run(jf->c->store, ST_JOB_PLANS_INSERT, "sij", jf->job_id,
					      (int64_t)jf->slices, buf_str(&rs->b)) != 1)
		return -1;
	jf->slices++;
	jf->tasks += rs->n;
	rs->n = 0;
	return 0;
}

/* A pending task for device_id into its slice (written when it is full): the key is
 * the task id, the device id and the task's place in the slice. */
static int task_slice_add(struct job_fill *jf, const char *device_id)
{
	char key[2 * DB_ID_LEN + 8];
	if (strlen(device_id) != DB_ID_LEN - 1 || db_new_id(key) != 0)
		return -1;
	snprintf(key + DB_ID_LEN - 1, sizeof(key) - (DB_ID_LEN - 1), "%s%d", device_id,
		 jf->tasks_slice.n);
	slice_add(&jf->tasks_slice, key);
	return jf->tasks_slice.n == TASK_SLICE ? task_slice_flush(jf) : 0;
}

/* Inserts the skip rows waiting in their slice, one statement for all of them. */
static int skip_slice_flush(struct job_fill *jf)
{
	struct row_slice *rs = &jf->skips_slice;
	if (rs->n == 0)
		return 0;
	if (slice_close(rs) != 0 ||
	    store_run(jf->c->store, ST_JOB_SKIPS_INSERT_SLICE, "sj", jf->job_id,
		      buf_str(&rs->b)) != rs->n)
		return -1;
	jf->skipped += rs->n;
	rs->n = 0;
	return 0;
}

/* A skip row of device_id into its slice (written when it is full): the key is the
 * row's place in the slice (three digits, so that the keys sort as the rows go), the
 * device id and the reason. */
static int skip_slice_add(struct job_fill *jf, const char *device_id, const char *reason)
{
	char key[4 + DB_ID_LEN + FIELD_REASON];
	if (strlen(device_id) != DB_ID_LEN - 1)
		return -1;
	snprintf(key, sizeof(key), "%03d%s%s", jf->skips_slice.n, device_id, reason);
	slice_add(&jf->skips_slice, key);
	return jf->skips_slice.n == TASK_SLICE ? skip_slice_flush(jf) : 0;
}

/* The task (reason "") or the skip row (reason set) for one device. */
static int task_or_skip(struct job_fill *jf, const char *device_id, const char *reason)
{
	return reason[0] ? skip_slice_add(jf, device_id, reason) : task_slice_add(jf, device_id);
}

/* An app of the row at col (the agent's, or another) into what cd is checked for. */
static void cand_app(struct job_fill *jf, struct cand *cd, struct store_rows *rows, int col)
{
	struct app_installed app;
	const struct job_app *japp = jf->spec->app;
	if (!app_installed_read(rows, col, cd->arch, &app))
		return;
	if (cd->checking)
		(void)app_strand_add(&cd->run, &app); /* an error shows at app_strand_end */
	if (japp && strcmp(app.name, japp->name) == 0 &&
	    (col != CAND_AGENT_COL || store_int(rows, CAND_AGENT_COL + 6)))
		cd->listed = 1;
}

/* Starts cd at the first row of a device. */
static int cand_start(struct job_fill *jf, struct cand *cd, struct store_rows *rows)
{
	const struct job_spec *spec = jf->spec;
	memset(cd, 0, sizeof(*cd));
	if (store_str(rows, 0, cd->id, sizeof(cd->id)) != 0 ||
	    store_str(rows, 2, cd->model, sizeof(cd->model)) != 0 ||
	    store_str(rows, 3, cd->os, sizeof(cd->os)) != 0 ||
	    store_str(rows, 6, cd->arch, sizeof(cd->arch)) != 0)
		return -1;
	cd->d = (struct job_candidate){.found = 1, .model = cd->model, .os_version = cd->os,
				       .removed = (int)store_int(rows, 4),
				       .open_task_same_image = (int)store_int(rows, 5)};
	if (!spec->app) {
		cd->why = job_skip_decide(&cd->d, spec->model, spec->version,
					  spec->allow_downgrade);
		cd->checking = cd->why == JOB_ELIGIBLE && !spec->override_app_check;
		if (cd->checking)
			app_strand_begin(&cd->run, jf->c->store, spec->version, &jf->strand,
					 &jf->memo);
	}
	cand_app(jf, cd, rows, CAND_AGENT_COL);
	return 0;
}

/* Why an application job leaves cd out ("" when it does not): an unknown or removed
 * device, one busy with this package already, for install a camera the package would
 * not run on (architecture, AXIS OS range, manifest schema), for any other action a
 * camera whose inventory does not list the app. */
static void app_reason(const struct job_app *app, const struct cand *cd, char *reason,
		       size_t reasonsz)
{
	char why[EAP_TEXT_MAX];
	reason[0] = '\0';
	if (!cd->d.found)
		snprintf(reason, reasonsz, "no such device");
	else if (cd->d.removed)
		snprintf(reason, reasonsz, "device was removed");
	else if (cd->d.open_task_same_image)
		snprintf(reason, reasonsz, "already has an unfinished task for %s %s", app->name,
			 app->version);
	else if (strcmp(app->action, "install") == 0) {
		if (eap_compatible(&app->m, cd->arch, cd->os, why, sizeof(why)) != 0)
			snprintf(reason, reasonsz, "%s %s would not run there: %s", app->name,
				 app->version, why);
	} else if (!cd->listed) {
		snprintf(reason, reasonsz, JOB_APP_NOT_INSTALLED " (%s is not in the camera's"
			 " inventory)", app->name);
	}
}

/* The task or the skip row of cd, once all its rows are in. */
static int cand_finish(struct job_fill *jf, struct cand *cd)
{
	char reason[FIELD_REASON] = "";
	const struct job_spec *spec = jf->spec;
	if (spec->app) {
		app_reason(spec->app, cd, reason, sizeof(reason));
	} else if (cd->why != JOB_ELIGIBLE) {
		skip_text(cd->why, &cd->d, spec, reason, sizeof(reason));
	} else if (cd->checking) {
		int r = app_strand_end(&cd->run);
		if (r < 0)
			return -1;
		if (r == 1)
			snprintf(reason, sizeof(reason), "%s", jf->strand.reason);
	}
	return task_or_skip(jf, cd->id, reason);
}

/* Every device of cand (a job candidate query, a device's rows together) gets a task
 * or a skip row; single: the query of the one selected id, which may be no device. */
static int fill_rows(struct job_fill *jf, struct store_rows *cand, int single, const char *id)
{
	struct cand *cd = &jf->cur;
	int r, open = 0;
	while ((r = store_next(cand)) == 1) {
		const char *dev = store_text(cand, 0);
		if (!open || !dev || strcmp(dev, cd->id) != 0) {
			if ((open && cand_finish(jf, cd) != 0) || cand_start(jf, cd, cand) != 0)
				return -1;
			open = 1;
		}
		cand_app(jf, cd, cand, CAND_OTHER_COL);
	}
	if (r < 0)
		return -1;
	if (open)
		return cand_finish(jf, cd);
	if (!single)
		return 0;
	memset(cd, 0, sizeof(*cd)); /* a selected id that is no device */
	cd->d.model = cd->d.os_version = "";
	cd->why = JOB_SKIP_UNKNOWN;
	return store_copy_text(id, cd->id, sizeof(cd->id)) != 0 ? -1 : cand_finish(jf, cd);
}

static int job_fill(struct job_fill *jf, const struct db_ids *devices)
{
	const struct job_spec *spec = jf->spec;
	struct store *db = jf->c->store;
	struct store_rows *cand = NULL;
	int rc = -1;
	if (strcmp(spec->kind, JOB_KIND_FOLDER) == 0 ||
	    strcmp(spec->kind, JOB_KIND_RECOMMENDED) == 0 ||
	    strcmp(spec->kind, JOB_KIND_RUNNING) == 0) {
		/* a model's or a running app's devices: of spec->org_id, within grant_user's */
		cand = strcmp(spec->kind, JOB_KIND_FOLDER) == 0
			       ? store_query(db, ST_JOB_CANDIDATES_OF_FOLDER, "sis", spec->image_id,
					     jf->now, spec->target)
			       : store_query(db,
					     strcmp(spec->kind, JOB_KIND_RUNNING) == 0
						     ? ST_JOB_CANDIDATES_RUNNING_APP
						     : ST_JOB_CANDIDATES_OF_MODEL,
					     "sisss", spec->image_id, jf->now, spec->target,
					     spec->org_id, spec->grant_user);
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
	return rc == 0 && task_slice_flush(jf) == 0 ? skip_slice_flush(jf) : -1;
}

int job_plan_step(struct cloud *c, const char *job_id, int64_t now, struct db_ids *woken)
{
	struct store *db = c->store;
	struct store_rows *st = store_query(db, ST_JOB_PLANS_NEXT, "s", job_id);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t slice = r == 1 ? store_int(st, 0) : 0;
	store_done(st);
	if (r != 1)
		return r == 0 ? 0 : -1;
	r = store_run(db, ST_JOB_PLANS_LOCK, "si", job_id, slice);
	if (r != 1)
		return r == 0 ? 1 : -1; /* another instance has written it meanwhile */
	int n = store_collect_ids(db, woken, ST_JOB_PLANS_DEVICES, "si", job_id, slice);
	if (n < 1)
		return -1;
	/* one seq each, as one insert at a time would take them: base, base + 1, ... */
	int64_t seq = cloud_next_seq(c);
	for (int i = 1; i < n; i++)
		cloud_next_seq(c);
	return store_run(db, ST_TASKS_INSERT_PLANNED, "siii", job_id, slice, now, seq) == n &&
			       store_run(db, ST_JOB_PLANS_DELETE, "si", job_id, slice) == 1
		       ? 1
		       : -1;
}

int job_create_tx(struct cloud *c, const struct job_spec *spec, const struct db_ids *devices,
		  int64_t now, char id[DB_ID_LEN], int *tasks, int *skipped, struct db_ids *woken)
{
	char what[2 * EAP_FIELD_MAX + 2 * FIELD_SHORT + 24];
	char target[FIELD_NAME + 32];
	struct job_fill *jf = calloc(1, sizeof(*jf));
	if (!jf)
		return -1;
	jf->c = c;
	jf->job_id = id;
	jf->spec = spec;
	jf->now = now;
	buf_init(&jf->tasks_slice.b, SLICE_BYTES_MAX);
	buf_init(&jf->skips_slice.b, SLICE_BYTES_MAX);
	int rc = job_insert(c, spec, now, id) != 0 || job_fill(jf, devices) != 0 ? -1 : 0;
	if (rc == 0 && jf->slices > 0) /* the first slice now, the rest after the reply */
		rc = job_plan_step(c, id, now, woken) != 1 ? -1 : jf->slices > 1;
	buf_free(&jf->tasks_slice.b);
	buf_free(&jf->skips_slice.b);
	if (rc < 0) {
		free(jf);
		return -1;
	}
	target_text(spec, target, sizeof(target));
	if (spec->app)
		snprintf(what, sizeof(what), "%s %s %s", spec->app->action, spec->app->name,
			 spec->app->version);
	else
		snprintf(what, sizeof(what), "%s %s", spec->model, spec->version);
	log_info("job %s created: %s for %s, %d tasks, %d skipped", id, what, target, jf->tasks,
		 jf->skipped);
	*tasks = jf->tasks;
	*skipped = jf->skipped;
	free(jf);
	return rc;
}

void job_describe(const struct job_spec *spec, const char *id, int tasks, int skipped,
		  char *out, size_t outsz)
{
	char target[FIELD_NAME + 32];
	const char *win = spec->window.kind != WINDOW_NONE ? ", with an update window" : "";
	target_text(spec, target, sizeof(target));
	if (spec->app)
		snprintf(out, outsz, "job %s: %s %s %s (%s)%s: %d tasks, %d skipped", id,
			 spec->app->action, spec->app->name, spec->app->version, target, win, tasks,
			 skipped);
	else
		snprintf(out, outsz, "job %s: upgrade %s to %s (%s)%s%s%s: %d tasks, %d skipped",
			 id, spec->model, spec->version, target,
			 spec->allow_downgrade ? ", downgrade allowed" : "",
			 spec->override_app_check ? ", app check overridden" : "", win, tasks,
			 skipped);
}

int tasks_fail_lazily(struct store *db, const struct lazy_fail *lf, const char *device_id,
		      int64_t cutoff, int64_t now)
{
	/* Most calls find nothing: look before taking the write lock. */
	struct store_rows *st = store_query(db, lf->count, "iss", cutoff, device_id, device_id);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t n = r == 1 ? store_int(st, 0) : -1;
	store_done(st);
	if (n <= 0)
		return n < 0 ? -1 : 0;

	int own = !store_in_transaction(db);
	if (own && store_begin(db) != 0)
		return -1;
	int h = store_run(db, lf->history, "isiss", now, lf->reason, cutoff, device_id, device_id);
	int u = h < 0 ? -1
		      : store_run(db, lf->fail, "siiss", lf->reason, now, cutoff, device_id,
				  device_id);
	if (u < 0 || (own && store_commit(db) != 0)) {
		if (own)
			store_rollback(db);
		return -1;
	}
	log_info("%d task%s failed: %s", u, u == 1 ? "" : "s", lf->reason);
	return u;
}

int tasks_expire(struct store *db, const char *device_id, int64_t now)
{
	static const struct lazy_fail expired = {ST_TASKS_EXPIRED_COUNT, ST_TASKS_EXPIRED_HISTORY,
						 ST_TASKS_EXPIRED_FAIL, TASK_EXPIRED_REASON};
	if (app_tasks_overdue(db, device_id, now) < 0)
		return -1;
	return tasks_fail_lazily(db, &expired, device_id, now, now);
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
