/* api_device: the bearer-authenticated device API — report (§4), task long poll,
 * task status and artifact download (§6), licenses (§7). The router has already
 * checked the access token and set rq->device_id. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/envelope.h"
#include "../lib/log.h"
#include "api.h"
#include "jobs.h"
#include "longpoll.h"
#include "payload.h"
#include "policy.h"

#define NOT_FINAL "('succeeded', 'failed', 'cancelled')"

#define REPORT_LICENSES_MAX 64

/* One entry of a report's licenses: {"app": string, "state": "active"|"failed",
 * "license_id": id}. 0, or -1 after a 400 naming the field. */
static int report_license(struct request *rq, struct reply *rp, int tok)
{
	char app[FIELD_NAME], state[16], id[DB_ID_LEN + 1];
	const struct json_doc *d = &rq->json;
	if (json_type_of(d, tok) != JSON_OBJECT) {
		reply_bad_field(rp, "licenses");
		return -1;
	}
	if (json_get_string(d, tok, "app", app, sizeof(app)) < 0 || !is_printable(app, sizeof(app))) {
		reply_bad_field(rp, "licenses.app");
		return -1;
	}
	if (json_get_string(d, tok, "state", state, sizeof(state)) < 0 ||
	    !license_state_reportable(state)) {
		reply_bad_field(rp, "licenses.state");
		return -1;
	}
	if (json_get_string(d, tok, "license_id", id, sizeof(id)) < 0 || !is_hex_id(id)) {
		reply_bad_field(rp, "licenses.license_id");
		return -1;
	}
	return 0;
}

/* The report's fields (§4): os_version is required; the others may be absent but
 * are refused when present with the wrong type or range. */
static int report_fields(struct request *rq, struct reply *rp, char *os, char *agent)
{
	char text[FIELD_SHORT];
	static const char *const optional_text[] = {"model", "serial", "arch"};
	static const char *const counts[] = {"uptime", "free_bytes"};
	int64_t n;
	if (req_string(rq, rp, "os_version", os, FIELD_SHORT) != 0 ||
	    req_string_opt(rq, rp, "agent_version", agent, FIELD_SHORT) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(optional_text) / sizeof(optional_text[0]); i++)
		if (req_string_opt(rq, rp, optional_text[i], text, sizeof(text)) != 0)
			return -1;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		n = 0;
		if (req_int_opt(rq, rp, counts[i], &n) != 0)
			return -1;
		if (n < 0) {
			reply_bad_field(rp, counts[i]);
			return -1;
		}
	}
	int arr = rq->has_json ? json_find(&rq->json, 0, "licenses") : -1;
	if (arr < 0 || json_tok_is_null(&rq->json, arr))
		return 0;
	int len = json_array_len(&rq->json, arr);
	if (len < 0 || len > REPORT_LICENSES_MAX) {
		reply_bad_field(rp, "licenses");
		return -1;
	}
	for (int i = 0; i < len; i++)
		if (report_license(rq, rp, json_array_at(&rq->json, arr, i)) != 0)
			return -1;
	return 0;
}

void api_report(struct request *rq, struct reply *rp)
{
	char os[FIELD_SHORT], agent[FIELD_SHORT] = "", old_os[FIELD_SHORT] = "";
	char serial[FIELD_SHORT] = "", org[FIELD_NAME] = "", folder[FIELD_NAME] = "";
	sqlite3 *db = rq->c->db;

	if (report_fields(rq, rp, os, agent) != 0)
		return;
	sqlite3_stmt *st = db_stmt(db, "SELECT d.os_version, d.serial, o.name, f.name FROM devices d"
				   " JOIN orgs o ON o.id = d.org_id JOIN folders f ON f.id = d.folder_id"
				   " WHERE d.id = ?", "s", rq->device_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && (db_col_str(st, 0, old_os, sizeof(old_os)) != 0 ||
		       db_col_str(st, 1, serial, sizeof(serial)) != 0 ||
		       db_col_str(st, 2, org, sizeof(org)) != 0 ||
		       db_col_str(st, 3, folder, sizeof(folder)) != 0))
		r = DB_ERROR;
	sqlite3_finalize(st);
	if (r != 1 || db_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (db_exec(db, "UPDATE devices SET os_version = ?,"
			" agent_version = COALESCE(NULLIF(?, ''), agent_version), last_report = ?"
			" WHERE id = ?", "ssss", os, agent, buf_str(&rq->body), rq->device_id) != 1 ||
	    (strcmp(os, old_os) != 0 &&
	     db_historyf(db, rq->now, "device.os_version", "device %s: os_version %s -> %s",
			 serial, old_os, os) != 0) ||
	    db_commit(db) != 0) {
		db_rollback(db);
		reply_internal(rp);
		return;
	}
	/* org and folder: an admin may have moved the device since it enrolled (§4) */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_int(w, "heartbeat", POLICY_HEARTBEAT);
	jw_kv_string(w, "org", org);
	jw_kv_string(w, "folder", folder);
	jw_object_end(w);
}

/* Builds {"task": <envelope>} from a task row (see task_pending's SELECT). */
static int task_reply(struct cloud *c, sqlite3_stmt *st, const char *device_id, int64_t now,
		      struct reply *rp)
{
	char task_id[DB_ID_LEN], image_id[DB_ID_LEN], model[FIELD_SHORT], version[FIELD_SHORT];
	char sha[CRYPTO_SHA256_HEX_LEN], serial[FIELD_SHORT];
	struct buf payload, env;
	int rc = -1;

	if (db_col_str(st, 0, task_id, sizeof(task_id)) || db_col_str(st, 3, image_id, sizeof(image_id)) ||
	    db_col_str(st, 4, model, sizeof(model)) || db_col_str(st, 5, version, sizeof(version)) ||
	    db_col_str(st, 7, sha, sizeof(sha)) || db_col_str(st, 8, serial, sizeof(serial)))
		return -1;
	struct task_window win;
	job_window_read(st, 9, &win);
	struct task_payload t = {
		.device_id = device_id, .serial = serial, .iat = now, .exp = db_col_int(st, 2),
		.task_id = task_id, .model = model, .target_version = version,
		.allow_downgrade = (int)db_col_int(st, 1), .artifact_id = image_id,
		.size = db_col_int(st, 6), .sha256 = sha, .window = &win,
	};
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	if (payload_task(&t, &payload) == 0 &&
	    signer_seal(&c->signer, payload.data, payload.len, &env) == 0) {
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		jw_key(w, "task");
		jw_raw(w, env.data, env.len);
		jw_object_end(w);
		rc = 0;
	}
	buf_free(&payload);
	buf_free(&env);
	return rc;
}

/* The oldest task the device has not reported a state for, unless it is busy with
 * one it has: one task at a time, and a task that was handed out and acknowledged
 * is not handed out again (§6). 1 when rp holds it, 0 for none, DB_ERROR. */
static int task_pending(struct cloud *c, const char *device_id, int64_t now, struct reply *rp)
{
	sqlite3_stmt *st = db_stmt(c->db,
				   "SELECT t.id, t.allow_downgrade, t.expires_at, i.id, i.model,"
				   " i.version, i.size, i.sha256, d.serial, t.window_kind, t.window_start,"
				   " t.window_end, t.window_from, t.window_to FROM tasks t"
				   " JOIN images i ON i.id = t.image_id JOIN devices d ON d.id = t.device_id"
				   " WHERE t.device_id = ? AND t.state = 'pending' AND t.expires_at > ?"
				   " AND NOT EXISTS (SELECT 1 FROM tasks b WHERE b.device_id = t.device_id"
				   " AND b.state NOT IN " NOT_FINAL " AND b.state <> 'pending')"
				   " ORDER BY t.seq LIMIT 1", "si", device_id, now);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1 && task_reply(c, st, device_id, now, rp) != 0)
		r = DB_ERROR;
	sqlite3_finalize(st);
	return r;
}

/* {"task": null, "cancelled": [ids]} for the tasks an admin cancelled after the
 * device had started them, told once: 1 when there were any, 0, DB_ERROR. */
static int cancel_notice(struct cloud *c, const char *device_id, struct reply *rp)
{
	struct db_ids ids = {0};
	int r = db_ids_collect(c->db, &ids, "SELECT id FROM tasks WHERE device_id = ?"
			       " AND state = 'cancelled' AND cancel_notice = 1 ORDER BY seq", "s",
			       device_id);
	if (r > 0 && db_exec(c->db, "UPDATE tasks SET cancel_notice = 0 WHERE device_id = ?"
			     " AND cancel_notice = 1", "s", device_id) < 0)
		r = DB_ERROR;
	if (r > 0) {
		struct json_writer *w = reply_json(rp, 200);
		jw_object_begin(w);
		jw_key(w, "task");
		jw_null(w);
		jw_key(w, "cancelled");
		jw_array_begin(w);
		for (size_t i = 0; i < ids.n; i++)
			jw_string(w, ids.id[i]);
		jw_array_end(w);
		jw_object_end(w);
		r = 1;
	}
	db_ids_free(&ids);
	return r;
}

/* One hint per newly issued license: 1 when there was one (and it is now spent). */
static int license_hint(struct cloud *c, const char *device_id, struct reply *rp)
{
	int r = db_exec(c->db, "UPDATE licenses SET check_sent = 1 WHERE device_id = ?"
			" AND check_sent = 0 AND state = 'pending'", "s", device_id);
	if (r <= 0)
		return r;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "task");
	jw_null(w);
	jw_key(w, "check");
	jw_array_begin(w);
	jw_string(w, "licenses");
	jw_array_end(w);
	jw_object_end(w);
	return 1;
}

int api_task_answer(struct cloud *c, const char *device_id, int64_t now, struct reply *rp)
{
	int r = tasks_expire(c->db, device_id, now) < 0 ? DB_ERROR : 0;
	if (r == 0)
		r = cancel_notice(c, device_id, rp);
	if (r == 0)
		r = task_pending(c, device_id, now, rp);
	if (r == 0)
		r = license_hint(c, device_id, rp);
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	return r;
}

void api_task_wake_answer(struct cloud *c, const char *device_id, int64_t now, struct reply *rp)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT removed FROM devices WHERE id = ?", "s", device_id);
	int r = st ? db_step(st) : DB_ERROR;
	int removed = r == 1 && db_col_int(st, 0);
	sqlite3_finalize(st);
	if (r < 0)
		reply_internal(rp);
	else if (removed)
		reply_error(rp, 410, "device_removed", "device was removed by an admin");
	else if (api_task_answer(c, device_id, now, rp) == 0)
		reply_no_content(rp);
}

void api_task_next(struct request *rq, struct reply *rp)
{
	int wait;
	if (wait_parse(evhttp_find_header(&rq->query, "wait"), &wait) != 0) {
		reply_error(rp, 400, "bad_request", "wait must be a number of seconds");
		return;
	}
	if (api_task_answer(rq->c, rq->device_id, rq->now, rp) != 0)
		return; /* answered: a task, a hint, or 500 */
	if (wait == 0)
		reply_no_content(rp);
	else if (longpoll_hold(rq->c->lp, rq->ev, rq->device_id, wait, &rq->start) == 0)
		reply_hold(rp);
	else
		reply_internal(rp);
}

/* Applies a forward move of a task (and its history row) in one transaction. */
static int task_advance(struct request *rq, const char *task_id, const char *serial,
			const char *from, const char *to, int64_t progress, const char *reason,
			const char *os)
{
	sqlite3 *db = rq->c->db;
	if (db_begin(db) != 0)
		return -1;
	if (db_exec(db, "UPDATE tasks SET state = ?, progress = ?, reason = ?, updated_at = ?"
			" WHERE id = ?", "sisis", to, progress, reason, rq->now, task_id) != 1 ||
	    db_historyf(db, rq->now, "task.state", "task %s on %s: %s -> %s%s%s", task_id, serial,
			from, to, reason[0] ? ": " : "", reason) != 0 ||
	    (task_state_is_final(to) && os[0] &&
	     db_exec(db, "UPDATE devices SET os_version = ? WHERE id = ?", "ss", os,
		     rq->device_id) != 1) ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	log_info("task %s on %s: %s -> %s", task_id, serial, from, to);
	return 0;
}

void api_task_status(struct request *rq, struct reply *rp)
{
	char state[32], reason[FIELD_REASON] = "", os[FIELD_SHORT] = "", cur[32] = "";
	char serial[FIELD_SHORT] = "", old_reason[FIELD_REASON] = "";
	int64_t progress = 0, old_progress = 0;
	int t = rq->has_json ? json_find(&rq->json, 0, "progress") : -1;
	int has_progress = t >= 0 && !json_tok_is_null(&rq->json, t);

	if (req_string(rq, rp, "state", state, sizeof(state)) != 0 ||
	    req_int_opt(rq, rp, "progress", &progress) != 0 ||
	    req_string_opt(rq, rp, "reason", reason, sizeof(reason)) != 0 ||
	    req_string_opt(rq, rp, "os_version", os, sizeof(os)) != 0)
		return;
	if (!task_state_reportable(state)) {
		reply_bad_field(rp, "state");
		return;
	}
	if (has_progress && (progress < 0 || progress > 100)) {
		reply_bad_field(rp, "progress");
		return;
	}
	if (strcmp(state, "failed") != 0)
		reason[0] = '\0'; /* a reason belongs to a failure only (§6) */
	if (tasks_expire(rq->c->db, rq->device_id, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT t.state, t.progress, t.reason, d.serial"
				   " FROM tasks t JOIN devices d ON d.id = t.device_id"
				   " WHERE t.id = ? AND t.device_id = ?", "ss", rq->arg, rq->device_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		db_col_str(st, 0, cur, sizeof(cur));
		old_progress = db_col_int(st, 1);
		db_col_str(st, 2, old_reason, sizeof(old_reason));
		db_col_str(st, 3, serial, sizeof(serial));
	}
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such task");
		return;
	}
	if (r < 0) {
		reply_internal(rp);
		return;
	}
	if (strcmp(cur, "cancelled") == 0) {
		/* The device knows now: no "cancelled" notice on its next poll. */
		if (db_exec(rq->c->db, "UPDATE tasks SET cancel_notice = 0 WHERE id = ?", "s",
			    rq->arg) < 0) {
			reply_internal(rp);
			return;
		}
		reply_error(rp, 409, "task_cancelled", "task %s was cancelled by an admin", rq->arg);
		return;
	}
	if (!has_progress)
		progress = strcmp(state, "succeeded") == 0 ? 100 : old_progress;
	switch (task_state_transition(cur, state)) {
	case TASK_ADVANCE:
		r = task_advance(rq, rq->arg, serial, cur, state, progress,
				 reason[0] ? reason : old_reason, os);
		break;
	case TASK_SAME:
		r = db_exec(rq->c->db, "UPDATE tasks SET progress = ?, updated_at = ? WHERE id = ?",
			    "iis", progress, rq->now, rq->arg) == 1 ? 0 : -1;
		break;
	case TASK_IGNORE:
		log_debug("task %s on %s: %s reported while %s: ignored", rq->arg, serial, state, cur);
		r = 0;
		break;
	}
	if (r != 0)
		reply_internal(rp);
	else
		reply_empty_object(rp);
}

void api_artifact(struct request *rq, struct reply *rp)
{
	char path[PATH_MAX] = "";
	int64_t size = -1;
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT i.path, i.size FROM images i WHERE i.id = ?"
				   " AND EXISTS (SELECT 1 FROM tasks t WHERE t.image_id = i.id"
				   " AND t.device_id = ? AND t.state NOT IN " NOT_FINAL ")",
				   "ss", rq->arg, rq->device_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		if (db_col_str(st, 0, path, sizeof(path)) != 0)
			r = DB_ERROR;
		size = db_col_int(st, 1);
	}
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such artifact");
		return;
	}
	int fd = r == 1 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || (int64_t)sb.st_size != size) {
		if (r == 1)
			log_error("artifact %s: %s is missing or changed (expected %" PRId64 " bytes)",
				  rq->arg, path, size);
		if (fd >= 0)
			close(fd);
		reply_internal(rp);
		return;
	}
	uint64_t from = 0;
	switch (range_parse(evhttp_find_header(evhttp_request_get_input_headers(rq->ev), "Range"),
			    (uint64_t)size, &from)) {
	case RANGE_NONE:
		reply_file(rp, 200, fd, 0, (uint64_t)size);
		break;
	case RANGE_OK:
		reply_file(rp, 206, fd, from, (uint64_t)size - from);
		snprintf(rp->content_range, sizeof(rp->content_range),
			 "bytes %" PRIu64 "-%" PRId64 "/%" PRId64, from, size - 1, size);
		break;
	case RANGE_MALFORMED:
	case RANGE_UNSATISFIABLE:
		close(fd);
		reply_error(rp, 416, "bad_range", "only Range: bytes=<from>- with from < %" PRId64,
			    size);
		snprintf(rp->content_range, sizeof(rp->content_range), "bytes */%" PRId64, size);
		break;
	}
}

static int license_envelope(struct cloud *c, sqlite3_stmt *st, const char *device_id,
			    int64_t now, struct json_writer *w)
{
	char id[DB_ID_LEN], app[FIELD_NAME], serial[FIELD_SHORT];
	struct buf payload, env;
	if (db_col_str(st, 0, id, sizeof(id)) || db_col_str(st, 1, app, sizeof(app)) ||
	    db_col_str(st, 3, serial, sizeof(serial)))
		return -1;
	struct license_payload l = {
		.device_id = device_id, .serial = serial, .iat = now, .exp = now + 3600,
		.license_id = id, .app = app, .license_exp = db_col_int(st, 2),
	};
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	int rc = payload_license(&l, &payload) == 0 &&
			 signer_seal(&c->signer, payload.data, payload.len, &env) == 0
		     ? 0 : -1;
	if (rc == 0)
		jw_raw(w, env.data, env.len);
	buf_free(&payload);
	buf_free(&env);
	return rc;
}

void api_licenses(struct request *rq, struct reply *rp)
{
	sqlite3_stmt *st = db_stmt(rq->c->db, "SELECT l.id, l.app, l.license_exp, d.serial"
				   " FROM licenses l JOIN devices d ON d.id = l.device_id"
				   " WHERE l.device_id = ? AND l.state <> 'revoked'"
				   " ORDER BY l.created_at, l.id", "s", rq->device_id);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "licenses");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = db_step(st)) == 1)
		if (license_envelope(rq->c, st, rq->device_id, rq->now, w) != 0)
			r = DB_ERROR;
	sqlite3_finalize(st);
	/* The device has seen them all: no "check licenses" hint needed any more. */
	if (r == 0 && db_exec(rq->c->db, "UPDATE licenses SET check_sent = 1 WHERE device_id = ?"
			      " AND check_sent = 0", "s", rq->device_id) < 0)
		r = DB_ERROR;
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void api_license_status(struct request *rq, struct reply *rp)
{
	char state[32], reason[FIELD_REASON] = "", cur[32] = "", app[FIELD_NAME] = "";
	sqlite3 *db = rq->c->db;

	if (req_string(rq, rp, "state", state, sizeof(state)) != 0 ||
	    req_string_opt(rq, rp, "reason", reason, sizeof(reason)) != 0)
		return;
	if (!license_state_reportable(state)) {
		reply_bad_field(rp, "state");
		return;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT state, app FROM licenses WHERE id = ? AND device_id = ?",
				   "ss", rq->arg, rq->device_id);
	int r = st ? db_step(st) : DB_ERROR;
	if (r == 1) {
		db_col_str(st, 0, cur, sizeof(cur));
		db_col_str(st, 1, app, sizeof(app));
	}
	sqlite3_finalize(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such license");
		return;
	}
	if (r < 0 || db_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int same = strcmp(cur, state) == 0 || strcmp(cur, "revoked") == 0;
	if ((!same && (db_exec(db, "UPDATE licenses SET state = ?, reason = ?, updated_at = ?"
				   " WHERE id = ?", "ssis", state, reason, rq->now, rq->arg) != 1 ||
		       db_historyf(db, rq->now, "license.state", "license %s (%s) on device %s:"
				   " %s -> %s%s%s", rq->arg, app, rq->device_id, cur, state,
				   reason[0] ? ": " : "", reason) != 0)) ||
	    db_commit(db) != 0) {
		db_rollback(db);
		reply_internal(rp);
		return;
	}
	reply_empty_object(rp);
}
