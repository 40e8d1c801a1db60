/* task_answers: a slice's answers in a constant number of statements (see
 * task_answers.h). Each step reads or changes the rows of the devices still open
 * (outcome 0), listed in one parameter (ID_LIST_CTE); rows name their device, found
 * again by a binary search over the slice's ids. */
#include "task_answers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/envelope.h"
#include "../../lib/log.h"
#include "../domain/jobs.h"
#include "../domain/payload.h"
#include "../http/server.h"
#include "seal_pool.h"

#define LISTED_MAX (DB_ID_LEN + 4) /* ,"<id>":0 */
#define WRITING 3 /* an outcome while a cancel notice's list is being written */

struct slice {
	struct cloud *c;
	char (*ids)[DB_ID_LEN];
	size_t n;
	int64_t now;
	struct reply *rp;
	int *outcome;
	uint64_t *ticket; /* NULL: every envelope is sealed here */
	const char *sorted[TASK_ANSWERS_MAX]; /* into ids, by id */
	char list[TASK_ANSWERS_MAX * LISTED_MAX + 3]; /* {"<id>":0,...} (ID_LIST_CTE) */
};

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The slice's index of device id, or -1 when it is not one of them. */
static long index_of(const struct slice *s, const char *id)
{
	if (!id)
		return -1;
	const char **hit = bsearch(&id, s->sorted, s->n, sizeof(s->sorted[0]), by_text);
	return hit ? (long)((*hit - s->ids[0]) / DB_ID_LEN) : -1;
}

/* Lists in s->list the devices whose outcome is state, as the keys of a JSON object
 * (ids are hex: nothing to escape): how many. */
static size_t list_of(struct slice *s, int state)
{
	size_t k = 0, at = 1;
	s->list[0] = '{';
	for (size_t i = 0; i < s->n; i++)
		if (s->outcome[i] == state)
			at += (size_t)snprintf(s->list + at, LISTED_MAX + 1, "%s\"%s\":0",
					       k++ ? "," : "", s->ids[i]);
	strcpy(s->list + at, "}");
	return k;
}

/* A store error: every device still open, or in state, is answered 500. */
static void fail(struct slice *s, int state)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->outcome[i] == 0 || s->outcome[i] == state) {
			reply_internal(&s->rp[i]);
			s->outcome[i] = -1;
		}
	}
}

/* Starts a query of stmt over the devices open (?1, ?2), with now as ?3 when it takes
 * it; NULL when none is open, or after failing the open ones. */
static struct store_rows *open_query(struct slice *s, enum store_stmt stmt, int with_now)
{
	size_t k = list_of(s, 0);
	if (k == 0)
		return NULL;
	struct store_rows *st = with_now ? store_query(s->c->store, stmt, "jii", s->list,
						       (int64_t)k, s->now)
					 : store_query(s->c->store, stmt, "ji", s->list, (int64_t)k);
	if (!st)
		fail(s, 0);
	return st;
}

/* Each row's column col names a device; fn answers it when it is still open. Fails
 * the open ones (and those in state) when the rows break off. */
static void for_each_row(struct slice *s, struct store_rows *st, int col, int state,
			 void (*fn)(struct slice *s, struct store_rows *st, size_t i))
{
	int r;
	while ((r = store_next(st)) == 1) {
		long i = index_of(s, store_text(st, col));
		if (i >= 0 && (s->outcome[i] == 0 || s->outcome[i] == state))
			fn(s, st, (size_t)i);
	}
	store_done(st);
	if (r < 0)
		fail(s, state);
}

static void removed(struct slice *s, struct store_rows *st, size_t i)
{
	reply_error(&s->rp[i], 410, "device_removed", "device was removed by an admin");
	s->outcome[i] = 1;
}

/* {"task": null, "cancelled": [ids]}: opened on the device's first row, closed by
 * cancel_notices once every row is in. */
static void cancelled(struct slice *s, struct store_rows *st, size_t i)
{
	struct json_writer *w = &s->rp[i].jw;
	if (s->outcome[i] == 0) {
		w = reply_json(&s->rp[i], 200);
		jw_object_begin(w);
		jw_key(w, "task");
		jw_null(w);
		jw_key(w, "cancelled");
		jw_array_begin(w);
		s->outcome[i] = WRITING;
	}
	jw_string(w, store_text(st, 1));
}

static void cancel_notices(struct slice *s)
{
	struct store_rows *st = open_query(s, ST_TASK_CANCEL_NOTICES_OF_LIST, 0);
	if (!st)
		return;
	for_each_row(s, st, 0, WRITING, cancelled);
	size_t k = list_of(s, WRITING);
	if (k > 0 && store_run(s->c->store, ST_TASK_CANCEL_NOTICES_CLEAR_OF_LIST, "ji", s->list,
			       (int64_t)k) < 0)
		fail(s, WRITING);
	for (size_t i = 0; i < s->n; i++) {
		if (s->outcome[i] == WRITING) {
			jw_array_end(&s->rp[i].jw);
			jw_object_end(&s->rp[i].jw);
			s->outcome[i] = 1;
		}
	}
}

/* The payload of the task in a row of TASK_PENDING_OF_LIST, for device_id. */
static int task_payload_of_row(struct store_rows *st, const char *device_id, int64_t now,
			       struct buf *payload)
{
	char task_id[DB_ID_LEN], image_id[DB_ID_LEN], model[FIELD_SHORT], version[FIELD_SHORT];
	char sha[CRYPTO_SHA256_HEX_LEN], serial[FIELD_SHORT];

	if (store_str(st, 0, task_id, sizeof(task_id)) ||
	    store_str(st, 3, image_id, sizeof(image_id)) ||
	    store_str(st, 4, model, sizeof(model)) || store_str(st, 5, version, sizeof(version)) ||
	    store_str(st, 7, sha, sizeof(sha)) || store_str(st, 8, serial, sizeof(serial)))
		return -1;
	struct task_window win;
	job_window_read(st, 9, &win);
	struct task_payload t = {
		.device_id = device_id,
		.serial = serial,
		.iat = now,
		.exp = store_int(st, 2),
		.task_id = task_id,
		.model = model,
		.target_version = version,
		.allow_downgrade = (int)store_int(st, 1),
		.artifact_id = image_id,
		.size = store_int(st, 6),
		.sha256 = sha,
		.window = &win,
	};
	const char *kind = store_text(st, 14);
	if (kind && strcmp(kind, TASK_KIND_APP) == 0) {
		t.app_action = store_text(st, 15);
		t.app_name = store_text(st, 16);
		t.app_params = store_text(st, 17);
	}
	return payload_task(&t, payload);
}

void task_answer_sealed(struct reply *rp, const struct buf *env)
{
	if (!env) {
		reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "task");
	jw_raw(w, env->data, env->len);
	jw_object_end(w);
}

/* The device's task: sealed by the pool when the caller takes tickets and the pool has
 * workers (outcome TASK_ANSWER_SEALING), else sealed here. */
static void pending(struct slice *s, struct store_rows *st, size_t i)
{
	struct buf payload, env;
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	int ok = task_payload_of_row(st, s->ids[i], s->now, &payload) == 0;
	if (ok && s->ticket &&
	    (s->ticket[i] = seal_pool_submit(s->c->seal, s->ids[i], &payload)) != 0) {
		s->outcome[i] = TASK_ANSWER_SEALING;
	} else {
		ok = ok && signer_seal(&s->c->signer, payload.data, payload.len, &env) == 0;
		task_answer_sealed(&s->rp[i], ok ? &env : NULL);
		s->outcome[i] = ok ? 1 : -1;
	}
	buf_free(&payload);
	buf_free(&env);
}

static void license_hint(struct slice *s, struct store_rows *st, size_t i)
{
	struct json_writer *w = reply_json(&s->rp[i], 200);
	jw_object_begin(w);
	jw_key(w, "task");
	jw_null(w);
	jw_key(w, "check");
	jw_array_begin(w);
	jw_string(w, "licenses");
	jw_array_end(w);
	jw_object_end(w);
	s->outcome[i] = 1;
}

/* Tells the devices still open of their newly issued licenses; the hint stands until
 * the device fetches them (LICENSES_HINT_DUE_OF_LIST). */
static void license_hints(struct slice *s)
{
	struct store_rows *st = open_query(s, ST_LICENSES_HINT_DUE_OF_LIST, 0);
	if (st)
		for_each_row(s, st, 0, 0, license_hint);
}

/* Fails the overdue tasks: of the one device, or of all (two index searches either
 * way, cheaper than naming a slice's devices). */
static void expire(struct slice *s)
{
	size_t k = 0;
	const char *one = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->outcome[i] == 0 && k++ == 0)
			one = s->ids[i];
	if (k > 0 && tasks_expire(s->c->store, k == 1 ? one : NULL, s->now) < 0)
		fail(s, 0);
}

void task_answers(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n, enum task_answers_mode mode,
		  int64_t now, struct reply *rp, int *outcome, uint64_t *ticket)
{
	struct slice s = {.c = c, .ids = ids, .n = n, .now = now, .rp = rp, .outcome = outcome,
			  .ticket = ticket};
	for (; s.n > TASK_ANSWERS_MAX; s.n--) { /* the caller slices: never */
		reply_internal(&rp[s.n - 1]);
		outcome[s.n - 1] = -1;
	}
	for (size_t i = 0; i < s.n; i++) {
		outcome[i] = 0;
		s.sorted[i] = ids[i];
	}
	qsort(s.sorted, s.n, sizeof(s.sorted[0]), by_text);
	struct store_rows *st;
	if (mode == TASK_ANSWERS_CHECK_REMOVED &&
	    (st = open_query(&s, ST_DEVICES_REMOVED_OF_LIST, 0)))
		for_each_row(&s, st, 0, 0, removed);
	expire(&s);
	cancel_notices(&s);
	if ((st = open_query(&s, ST_TASK_PENDING_OF_LIST, 1)))
		for_each_row(&s, st, 18, 0, pending);
	license_hints(&s);
}
