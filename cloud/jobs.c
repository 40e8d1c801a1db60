/* jobs: creating upgrade jobs and their tasks, the reasons a job skips a device,
 * and the lazy expiry of tasks (see jobs.h). SQL only; no HTTP here. */
#include "jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"

#define NOT_FINAL "('succeeded', 'failed', 'cancelled')"

/* The live devices of a folder and of all its (not deleted) subfolders. */
#define FOLDER_DEVICES                                                                   \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ? AND deleted = 0"    \
	" UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id"             \
	" WHERE f.deleted = 0)"                                                              \
	" SELECT d.id FROM devices d WHERE d.removed = 0 AND d.folder_id IN (SELECT id FROM sub)" \
	" ORDER BY d.serial"

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

int job_task_insert(struct cloud *c, const char *job_id, const struct job_spec *spec,
		    const char *device_id, int64_t now, char task_id[DB_ID_LEN])
{
	const struct task_window *w = &spec->window;
	if (db_new_id(task_id) != 0)
		return -1;
	return db_exec(c->db, "INSERT INTO tasks (id, device_id, image_id, state, allow_downgrade,"
		       " created_at, updated_at, expires_at, seq, job_id, " WINDOW_COLS ")"
		       " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       "sssbiiiissiiss", task_id, device_id,
		       spec->image_id, spec->allow_downgrade, now, now, spec->expires_at,
		       cloud_next_seq(c), job_id, window_text(w), w->start, w->end, w->from,
		       w->to) == 1 ? 0 : -1;
}

/* What the job knows about one device. */
static int candidate(sqlite3 *db, const char *device_id, const struct job_spec *spec,
		     int64_t now, struct job_candidate *d, char *model, char *os, char *serial)
{
	memset(d, 0, sizeof(*d));
	d->model = model;
	d->os_version = os;
	model[0] = os[0] = serial[0] = '\0';
	sqlite3_stmt *st = db_stmt(db, "SELECT d.serial, d.model, d.os_version, d.removed,"
				   " EXISTS (SELECT 1 FROM tasks t WHERE t.device_id = d.id"
				   " AND t.image_id = ? AND t.state NOT IN " NOT_FINAL
				   " AND t.expires_at > ?) FROM devices d WHERE d.id = ?", "sis",
				   spec->image_id, now, device_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		d->found = 1;
		if (db_col_str(st, 0, serial, FIELD_SHORT) != 0 ||
		    db_col_str(st, 1, model, FIELD_SHORT) != 0 ||
		    db_col_str(st, 2, os, FIELD_SHORT) != 0)
			r = DB_ERROR;
		d->removed = (int)db_col_int(st, 3);
		d->open_task_same_image = (int)db_col_int(st, 4);
	}
	sqlite3_finalize(st);
	return r < 0 ? -1 : 0;
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

/* Tasks and skip rows for every device in ids; counts them. */
static int job_fill(struct cloud *c, const char *job_id, const struct job_spec *spec,
		    const struct db_ids *ids, int64_t now, int *tasks, int *skipped)
{
	char model[FIELD_SHORT], os[FIELD_SHORT], serial[FIELD_SHORT], reason[FIELD_REASON];
	char task_id[DB_ID_LEN];
	struct job_candidate d;
	for (size_t i = 0; i < ids->n; i++) {
		if (candidate(c->db, ids->id[i], spec, now, &d, model, os, serial) != 0)
			return -1;
		enum job_skip why = job_skip_decide(&d, spec->model, spec->version,
						    spec->allow_downgrade);
		if (why == JOB_ELIGIBLE) {
			if (job_task_insert(c, job_id, spec, ids->id[i], now, task_id) != 0)
				return -1;
			(*tasks)++;
			continue;
		}
		skip_text(why, &d, spec, reason, sizeof(reason));
		if (db_exec(c->db, "INSERT INTO job_skips (job_id, device_id, serial, reason)"
			    " VALUES (?, ?, ?, ?)", "ssss", job_id, ids->id[i], serial, reason) != 1)
			return -1;
		(*skipped)++;
	}
	return 0;
}

int job_create(struct cloud *c, const struct job_spec *spec, const struct db_ids *devices,
	       int64_t now, char id[DB_ID_LEN])
{
	sqlite3 *db = c->db;
	struct db_ids found = {0};
	const struct db_ids *ids = devices;
	char target[FIELD_NAME + 32];
	int tasks = 0, skipped = 0, rc = -1;

	if (db_begin(db) != 0)
		return -1;
	if (strcmp(spec->kind, JOB_KIND_FOLDER) == 0) {
		if (db_ids_collect(db, &found, FOLDER_DEVICES, "s", spec->target) < 0)
			goto out;
		ids = &found;
	} else if (strcmp(spec->kind, JOB_KIND_RECOMMENDED) == 0) {
		if (db_ids_collect(db, &found, "SELECT id FROM devices WHERE removed = 0 AND model = ?"
				   " ORDER BY serial", "s", spec->target) < 0)
			goto out;
		ids = &found;
	}
	target_text(spec, target, sizeof(target));
	if (!ids || job_insert(c, spec, now, id) != 0 ||
	    job_fill(c, id, spec, ids, now, &tasks, &skipped) != 0 ||
	    db_historyf(db, now, "job.create", "job %s: upgrade %s to %s (%s)%s%s: %d tasks,"
			" %d skipped", id, spec->model, spec->version, target,
			spec->allow_downgrade ? ", downgrade allowed" : "",
			spec->window.kind != WINDOW_NONE ? ", with an update window" : "", tasks,
			skipped) != 0 ||
	    db_commit(db) != 0)
		goto out;
	log_info("job %s created: %s %s for %s, %d tasks, %d skipped", id, spec->model,
		 spec->version, target, tasks, skipped);
	rc = 0;
out:
	if (rc != 0)
		db_rollback(db);
	db_ids_free(&found);
	return rc;
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
