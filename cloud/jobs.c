/* jobs: creating upgrade jobs and their tasks, the reasons a job skips a device,
 * and the lazy expiry of tasks (see jobs.h). SQL only; no HTTP here. */
#include "jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"

#define NOT_FINAL "('succeeded', 'failed', 'cancelled')"

/* What a job needs to decide about a device, in one row: id, serial, model, OS
 * version, removed, and whether it has an unfinished task for the image (?1) that has
 * not expired (?2). The target is ?3. */
#define CANDIDATE_SELECT                                                                 \
	"SELECT d.id, d.serial, d.model, d.os_version, d.removed, EXISTS (SELECT 1 FROM tasks t" \
	" WHERE t.device_id = d.id AND t.image_id = ?1 AND t.state NOT IN " NOT_FINAL          \
	" AND t.expires_at > ?2) FROM devices d"
/* The live devices of a folder and of all its (not deleted) subfolders. */
#define FOLDER_CANDIDATES                                                                \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ?3 AND deleted = 0"   \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0) " CANDIDATE_SELECT                                            \
	" WHERE d.removed = 0 AND d.folder_id IN (SELECT id FROM sub) ORDER BY d.serial"
/* The live devices of a model. */
#define MODEL_CANDIDATES CANDIDATE_SELECT " WHERE d.removed = 0 AND d.model = ?3 ORDER BY d.serial"
/* One device (of a selection). */
#define DEVICE_CANDIDATE CANDIDATE_SELECT " WHERE d.id = ?3"

int job_load_image(sqlite3 *db, struct job_spec *spec)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT model, version FROM images WHERE id = ?", "s",
				   spec->image_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && (db_col_str(st, 0, spec->model, sizeof(spec->model)) != 0 ||
		       db_col_str(st, 1, spec->version, sizeof(spec->version)) != 0))
		r = DB_ERROR;
	sqlite3_finalize(st);
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
	return db_exec(c->db, "INSERT INTO jobs (id, image_id, kind, target, allow_downgrade, "
		       WINDOW_COLS ", created_at, expires_at, seq)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssbsiissiii", id,
		       spec->image_id, spec->kind, spec->target, spec->allow_downgrade,
		       window_text(w), w->start, w->end, w->from, w->to, now, spec->expires_at,
		       cloud_next_seq(c)) == 1 ? 0 : -1;
}

#define TASK_INSERT                                                                      \
	"INSERT INTO tasks (id, device_id, image_id, state, allow_downgrade, created_at,"    \
	" updated_at, expires_at, seq, job_id, " WINDOW_COLS ")"                            \
	" VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define SKIP_INSERT "INSERT INTO job_skips (job_id, device_id, serial, reason) VALUES (?, ?, ?, ?)"

/* Runs TASK_INSERT (prepared as st) for one device. */
static int task_insert_run(sqlite3_stmt *st, struct cloud *c, const char *job_id,
			   const struct job_spec *spec, const char *device_id, int64_t now,
			   char task_id[DB_ID_LEN])
{
	const struct task_window *w = &spec->window;
	if (db_new_id(task_id) != 0)
		return -1;
	return db_rerun(st, "sssbiiiissiiss", task_id, device_id, spec->image_id,
			spec->allow_downgrade, now, now, spec->expires_at, cloud_next_seq(c), job_id,
			window_text(w), w->start, w->end, w->from, w->to) == 1 ? 0 : -1;
}

int job_task_insert(struct cloud *c, const char *job_id, const struct job_spec *spec,
		    const char *device_id, int64_t now, char task_id[DB_ID_LEN])
{
	sqlite3_stmt *st = db_stmt(c->db, TASK_INSERT, "");
	int r = st ? task_insert_run(st, c, job_id, spec, device_id, now, task_id) : -1;
	sqlite3_finalize(st);
	return r;
}

/* Reads a CANDIDATE_SELECT row into d (pointing into model and os) and serial. */
static int candidate_read(sqlite3_stmt *st, struct job_candidate *d, char *model, char *os,
			  char *serial)
{
	memset(d, 0, sizeof(*d));
	d->found = 1;
	d->model = model;
	d->os_version = os;
	d->removed = (int)db_col_int(st, 4);
	d->open_task_same_image = (int)db_col_int(st, 5);
	return db_col_str(st, 1, serial, FIELD_SHORT) != 0 ||
			       db_col_str(st, 2, model, FIELD_SHORT) != 0 ||
			       db_col_str(st, 3, os, FIELD_SHORT) != 0
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

/* A job's work on the database: each statement is prepared once per job, not once
 * per device, and the folder and model targets read every candidate in one query. */
struct job_fill {
	struct cloud *c;
	const char *job_id;
	const struct job_spec *spec;
	int64_t now;
	sqlite3_stmt *task, *skip;
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
		if (task_insert_run(jf->task, jf->c, jf->job_id, spec, device_id, jf->now,
				    task_id) != 0)
			return -1;
		jf->tasks++;
		return 0;
	}
	skip_text(why, d, spec, reason, sizeof(reason));
	if (db_rerun(jf->skip, "ssss", jf->job_id, device_id, serial, reason) != 1)
		return -1;
	jf->skipped++;
	return 0;
}

/* Every row of cand (CANDIDATE_SELECT, bound) gets a task or a skip row. */
static int fill_rows(struct job_fill *jf, sqlite3_stmt *cand, int single, const char *id)
{
	char model[FIELD_SHORT], os[FIELD_SHORT], serial[FIELD_SHORT], dev[DB_ID_LEN];
	struct job_candidate d;
	int r, rows = 0;
	while ((r = db_step(cand)) == 1) {
		rows++;
		if (candidate_read(cand, &d, model, os, serial) != 0 ||
		    db_col_str(cand, 0, dev, sizeof(dev)) != 0 || fill_one(jf, dev, &d, serial) != 0)
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
	sqlite3 *db = jf->c->db;
	sqlite3_stmt *cand = NULL;
	int rc = -1;
	jf->task = db_stmt(db, TASK_INSERT, "");
	jf->skip = db_stmt(db, SKIP_INSERT, "");
	if (!jf->task || !jf->skip)
		goto out;
	if (strcmp(spec->kind, JOB_KIND_FOLDER) == 0 ||
	    strcmp(spec->kind, JOB_KIND_RECOMMENDED) == 0) {
		int folder = strcmp(spec->kind, JOB_KIND_FOLDER) == 0;
		cand = db_stmt(db, folder ? FOLDER_CANDIDATES : MODEL_CANDIDATES, "sis",
			       spec->image_id, jf->now, spec->target);
		rc = cand ? fill_rows(jf, cand, 0, NULL) : -1;
		goto out;
	}
	if (!devices || !(cand = db_stmt(db, DEVICE_CANDIDATE, "")))
		goto out;
	for (size_t i = 0; i < devices->n; i++)
		if (db_rebind(cand, "sis", spec->image_id, jf->now, devices->id[i]) != 0 ||
		    fill_rows(jf, cand, 1, devices->id[i]) != 0)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(cand);
	sqlite3_finalize(jf->task);
	sqlite3_finalize(jf->skip);
	return rc;
}

int job_create(struct cloud *c, const struct job_spec *spec, const struct db_ids *devices,
	       int64_t now, char id[DB_ID_LEN])
{
	sqlite3 *db = c->db;
	char target[FIELD_NAME + 32];
	struct job_fill jf = {.c = c, .job_id = id, .spec = spec, .now = now};

	if (db_begin(db) != 0)
		return -1;
	target_text(spec, target, sizeof(target));
	if (job_insert(c, spec, now, id) != 0 || job_fill(&jf, devices) != 0 ||
	    db_historyf(db, now, "job.create", "job %s: upgrade %s to %s (%s)%s%s: %d tasks,"
			" %d skipped", id, spec->model, spec->version, target,
			spec->allow_downgrade ? ", downgrade allowed" : "",
			spec->window.kind != WINDOW_NONE ? ", with an update window" : "", jf.tasks,
			jf.skipped) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	log_info("job %s created: %s %s for %s, %d tasks, %d skipped", id, spec->model,
		 spec->version, target, jf.tasks, jf.skipped);
	return 0;
}

int tasks_expire(sqlite3 *db, const char *device_id, int64_t now)
{
	static const char where[] = " WHERE state NOT IN " NOT_FINAL " AND expires_at <= ?"
				    " AND (? IS NULL OR device_id = ?)";
	/* Most calls find nothing: look before taking the write lock. */
	sqlite3_stmt *st = db_stmt(db, "SELECT COUNT(*) FROM tasks"
				   " WHERE state NOT IN " NOT_FINAL " AND expires_at <= ?"
				   " AND (? IS NULL OR device_id = ?)", "iss", now, device_id,
				   device_id);
	int r = st ? db_step(st) : DB_ERROR;
	int64_t n = r == 1 ? db_col_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (n <= 0)
		return n < 0 ? -1 : 0;

	int own = sqlite3_get_autocommit(db);
	char sql[512];
	if (own && db_begin(db) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "INSERT INTO history (at, action, detail) SELECT ?, 'task.state',"
		 " 'task ' || t.id || ' on ' || d.serial || ': ' || t.state || ' -> failed: "
		 TASK_EXPIRED_REASON "' FROM tasks t JOIN devices d ON d.id = t.device_id"
		 " WHERE t.id IN (SELECT id FROM tasks%s)", where);
	int h = db_exec(db, sql, "iiss", now, now, device_id, device_id);
	snprintf(sql, sizeof(sql), "UPDATE tasks SET state = 'failed', reason = '"
		 TASK_EXPIRED_REASON "', updated_at = ?%s", where);
	int u = h < 0 ? -1 : db_exec(db, sql, "iiss", now, now, device_id, device_id);
	if (u < 0 || (own && db_commit(db) != 0)) {
		if (own)
			db_rollback(db);
		return -1;
	}
	log_info("%d task%s expired before the device finished", u, u == 1 ? "" : "s");
	return u;
}

void job_window_read(sqlite3_stmt *st, int col, struct task_window *w)
{
	memset(w, 0, sizeof(*w));
	const char *kind = (const char *)sqlite3_column_text(st, col);
	if (window_kind_parse(kind ? kind : "", &w->kind) != 0)
		w->kind = WINDOW_NONE;
	w->start = db_col_int(st, col + 1);
	w->end = db_col_int(st, col + 2);
	if (db_col_str(st, col + 3, w->from, sizeof(w->from)) != 0 ||
	    db_col_str(st, col + 4, w->to, sizeof(w->to)) != 0)
		w->kind = WINDOW_NONE; /* never written by us: treat as no window */
}

int task_cancel_tx(sqlite3 *db, const char *task_id, const char *from, const char *reason,
		   int64_t now)
{
	return db_exec(db, "UPDATE tasks SET state = 'cancelled', reason = ?, updated_at = ?,"
		       " cancel_notice = ? WHERE id = ? AND state = ?", "siiss", reason, now,
		       (int64_t)(strcmp(from, "pending") != 0), task_id, from) == 1 ? 0 : -1;
}
