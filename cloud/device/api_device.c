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

#include "../../lib/envelope.h"
#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/jobs.h"
#include "longpoll.h"
#include "report_apps.h"
#include "task_answers.h"
#include "../domain/device_licenses.h"
#include "../domain/payload.h"
#include "../domain/policy.h"

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
	if (json_get_string(d, tok, "app", app, sizeof(app)) < 0 ||
	    !is_printable(app, sizeof(app))) {
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
	char why[FIELD_REASON]; /* kept with the report as it came (last_report) */
	if (req_string_opt(rq, rp, "camera_not_ready", why, sizeof(why)) != 0)
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

static int report_check(struct request *rq, struct reply *rp, char *os, char *agent)
{
	return report_fields(rq, rp, os, agent) != 0 ? -1 : report_apps_check(rq, rp);
}

void api_report(struct request *rq, struct reply *rp)
{
	char os[FIELD_SHORT], agent[FIELD_SHORT] = "", old_os[FIELD_SHORT] = "";
	char serial[FIELD_SHORT] = "", org[FIELD_NAME] = "", folder[FIELD_NAME] = "";
	struct store *db = rq->c->store;

	if (report_check(rq, rp, os, agent) != 0)
		return;
	struct store_rows *st =
		store_query(db, ST_DEVICE_FOR_REPORT, "s", rq->device_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, old_os, sizeof(old_os)) != 0 ||
		       store_str(st, 1, serial, sizeof(serial)) != 0 ||
		       store_str(st, 2, org, sizeof(org)) != 0 ||
		       store_str(st, 3, folder, sizeof(folder)) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r != 1 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (store_run(db, ST_DEVICES_SET_OS_VERSION_AGENT_VERSION, "ssss", os, agent,
		      buf_str(&rq->body), rq->device_id) != 1 ||
	    report_apps_store(rq) != 0 ||
	    (strcmp(os, old_os) != 0 &&
	     audit(rq, &(struct audit_scope){NULL, NULL, rq->device_id}, "device.os_version",
		   "device %s: os_version %s -> %s", serial, old_os, os) != 0) ||
	    store_commit(db) != 0) {
		store_rollback(db);
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

int api_task_answer(struct cloud *c, const char *device_id, int64_t now, struct reply *rp)
{
	char id[1][DB_ID_LEN];
	int outcome;
	if (store_copy_text(device_id, id[0], sizeof(id[0])) != 0) {
		reply_internal(rp);
		return -1;
	}
	task_answers(c, id, 1, TASK_ANSWERS_LIVE, now, rp, &outcome, NULL);
	return outcome;
}

void api_task_wake_answer(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n, int64_t now,
			  struct reply *rp, uint64_t *ticket)
{
	int outcome[TASK_ANSWERS_MAX];
	for (size_t at = 0; at < n; at += TASK_ANSWERS_MAX) {
		size_t k = n - at < TASK_ANSWERS_MAX ? n - at : TASK_ANSWERS_MAX;
		task_answers(c, ids + at, k, TASK_ANSWERS_CHECK_REMOVED, now, rp + at, outcome,
			     ticket ? ticket + at : NULL);
		for (size_t i = 0; i < k; i++)
			if (outcome[i] == 0)
				reply_no_content(&rp[at + i]);
	}
}

void api_task_sealed(struct cloud *c, const char *device_id, uint64_t ticket,
		     const struct buf *env)
{
	struct reply rp;
	reply_init(&rp);
	task_answer_sealed(&rp, env);
	longpoll_deliver(c->lp, device_id, ticket, &rp);
	reply_free(&rp);
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
	struct store *db = rq->c->store;
	if (store_begin(db) != 0)
		return -1;
	if (store_run(db, ST_TASKS_SET_STATE_PROGRESS, "sisis", to, progress, reason, rq->now,
		      task_id) != 1 ||
	    audit(rq, &(struct audit_scope){NULL, NULL, rq->device_id}, "task.state",
		  "task %s on %s: %s -> %s%s%s", task_id, serial, from, to, reason[0] ? ": " : "",
		  reason) != 0 ||
	    (task_state_is_final(to) && os[0] &&
	     store_run(db, ST_DEVICES_SET_OS_VERSION, "ss", os, rq->device_id) != 1) ||
	    store_commit(db) != 0) {
		store_rollback(db);
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
	if (tasks_expire(rq->c->store, rq->device_id, rq->now) < 0) {
		reply_internal(rp);
		return;
	}
	struct store_rows *st =
		store_query(rq->c->store, ST_TASKS_BY_ID_DEVICE_ID, "ss", rq->arg, rq->device_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		store_str(st, 0, cur, sizeof(cur));
		old_progress = store_int(st, 1);
		store_str(st, 2, old_reason, sizeof(old_reason));
		store_str(st, 3, serial, sizeof(serial));
	}
	store_done(st);
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
		if (store_run(rq->c->store, ST_TASK_CANCEL_NOTICE_CLEAR, "s",
			      rq->arg) < 0) {
			reply_internal(rp);
			return;
		}
		reply_error(rp, 409, "task_cancelled", "task %s was cancelled by an admin",
			    rq->arg);
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
		r = store_run(rq->c->store, ST_TASKS_SET_PROGRESS_UPDATED_AT, "iis", progress,
			      rq->now, rq->arg) == 1
			    ? 0
			    : -1;
		break;
	case TASK_IGNORE:
		log_debug("task %s on %s: %s reported while %s: ignored", rq->arg, serial, state,
			  cur);
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
	struct store_rows *st =
		store_query(rq->c->store, ST_IMAGES_BY_ID_DEVICE_ID, "ss", rq->arg, rq->device_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		if (store_str(st, 0, path, sizeof(path)) != 0)
			r = DB_ERROR;
		size = store_int(st, 1);
	}
	store_done(st);
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

int license_envelope(struct cloud *c, struct store_rows *st, const char *device_id,
		     int64_t now, int64_t ttl, struct json_writer *w)
{
	char id[DB_ID_LEN], app[FIELD_NAME], serial[FIELD_SHORT], kind[16];
	struct buf payload, env;
	if (store_str(st, 0, id, sizeof(id)) || store_str(st, 1, app, sizeof(app)) ||
	    store_str(st, 3, serial, sizeof(serial)) || store_str(st, 4, kind, sizeof(kind)))
		return -1;
	struct license_payload l = {
		.device_id = device_id,
		.serial = serial,
		.iat = now,
		.exp = now + ttl,
		.license_id = id,
		.app = app,
		.kind = kind,
		.key_b64 = store_is_null(st, 5) ? NULL : store_text(st, 5),
		.license_exp = store_int(st, 2),
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

/* The revoked licenses the device is still to take off: [{"license_id","app"}]. */
static int revoked_list(struct cloud *c, const char *device_id, struct json_writer *w)
{
	struct store_rows *st = store_query(c->store, ST_LICENSES_REVOKED_OF_DEVICE, "s", device_id);
	int r = st ? 1 : DB_ERROR;
	jw_key(w, "revoked");
	jw_array_begin(w);
	while (r == 1 && (r = store_next(st)) == 1) {
		jw_object_begin(w);
		jw_kv_string(w, "license_id", store_text(st, 0));
		jw_kv_string(w, "app", store_text(st, 1));
		jw_object_end(w);
	}
	jw_array_end(w);
	store_done(st);
	return r;
}

/* The hints are spent before the list is read: a license issued meanwhile on another
 * instance is then either in the list or still hinted, never marked seen unsent. */
void api_licenses(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	if (store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int r = store_run(db, ST_LICENSES_HINT_SENT_ALL, "s", rq->device_id) < 0 ? DB_ERROR : 0;
	struct store_rows *st =
		r == 0 ? store_query(db, ST_LICENSES_BY_DEVICE_ID, "si", rq->device_id, rq->now)
		       : NULL;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "licenses");
	jw_array_begin(w);
	r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		if (license_envelope(rq->c, st, rq->device_id, rq->now, 3600, w) != 0)
			r = DB_ERROR;
	store_done(st);
	jw_array_end(w);
	if (r == 0)
		r = revoked_list(rq->c, rq->device_id, w);
	jw_object_end(w);
	if (r < 0 || store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
	}
}

void api_license_status(struct request *rq, struct reply *rp)
{
	char state[32], reason[FIELD_REASON] = "", cur[32] = "", app[FIELD_NAME] = "";
	struct store *db = rq->c->store;

	if (req_string(rq, rp, "state", state, sizeof(state)) != 0 ||
	    req_string_opt(rq, rp, "reason", reason, sizeof(reason)) != 0)
		return;
	if (!license_state_reportable(state)) {
		reply_bad_field(rp, "state");
		return;
	}
	struct store_rows *st =
		store_query(db, ST_LICENSES_BY_ID_DEVICE_ID, "ss", rq->device_id, rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		store_str(st, 0, cur, sizeof(cur));
		store_str(st, 1, app, sizeof(app));
	}
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such license");
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int same = !license_state_follows(cur, state);
	/* A revoked key the camera could not take off stays revoked, but is on record. */
	int failed_removal = same && !strcmp(cur, "revoked") && !strcmp(state, "failed");
	if ((failed_removal &&
	     device_license_event(db, rq->now, rq->arg, rq->device_id, state, reason) != 0) ||
	    (!same && (store_run(db, ST_LICENSES_SET_STATE_REASON, "ssis", state, reason, rq->now,
				 rq->arg) != 1 ||
		       device_license_event(db, rq->now, rq->arg, rq->device_id, state, reason) != 0 ||
		       audit(rq, &(struct audit_scope){NULL, NULL, rq->device_id}, "license.state",
			     "license %s (%s) on device %s: %s -> %s%s%s", rq->arg, app,
			     rq->device_id, cur, state, reason[0] ? ": " : "", reason) != 0)) ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	reply_empty_object(rp);
}
