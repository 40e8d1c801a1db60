/* plan_queue: writing big jobs' plans a slice a turn (see plan_queue.h). */
#include "plan_queue.h"

#include <limits.h>
#include <stdlib.h>
#include <event2/event.h>

#include "../../lib/log.h"
#include "../device/wake.h"
#include "../domain/jobs.h"
#include "../http/server.h"

struct plan_queue {
	struct cloud *c;
	struct event *tick;
	struct db_ids jobs; /* jobs.id[next..n) are still to be written */
	size_t next;
	int written;        /* tasks written since the store's statistics were refreshed */
};

/* Once a run of plans is written: the queries of the wake-ups to come are planned for
 * the tasks table as it now is (store_tasks_grew) when it grew by a big job. */
static void plans_done(struct store *db, int *written)
{
	if (*written >= JOB_ANALYZE_MIN_TASKS)
		(void)store_tasks_grew(db);
	*written = 0;
}

/* Writes up to max slices of job_id, each in its own transaction, and wakes each
 * slice's devices after its commit; counts the tasks into *written. The last
 * job_plan_step result: 1 when slices are left, 0 when all are written, -1. */
static int write_slices(struct cloud *c, const char *job_id, int max, int *written)
{
	struct store *db = c->store;
	int r = 1;
	for (int i = 0; i < max && r == 1; i++) {
		struct db_ids woken = {0};
		r = store_begin(db) == 0 ? job_plan_step(c, job_id, cloud_now(c), &woken) : -1;
		if (r < 0 || store_commit(db) != 0) {
			store_rollback(db);
			log_error("jobs: cannot write the next tasks of job %s; the next admin"
				  " request or start writes them", job_id);
			r = -1;
		} else if (woken.n > 0) {
			*written += (int)woken.n;
			job_wake(c, db, job_id, &woken, NULL);
		}
		db_ids_free(&woken);
	}
	return r;
}

static void on_tick(evutil_socket_t fd, short what, void *arg);

struct plan_queue *plan_queue_new(struct cloud *c)
{
	struct plan_queue *q = calloc(1, sizeof(*q));
	if (!q || !(q->tick = evtimer_new(c->base, on_tick, q))) {
		free(q);
		return NULL;
	}
	q->c = c;
	return q;
}

/* The next turn of the loop, after this one's replies are flushed (as wake.c's). */
static void continue_later(struct plan_queue *q)
{
	static const struct timeval now = {0, 0};
	if (plan_queue_pending(q) == 0 || evtimer_add(q->tick, &now) == 0)
		return;
	log_error("jobs: cannot arm the timer; writing %zu plans at once", plan_queue_pending(q));
	for (; q->next < q->jobs.n; q->next++)
		(void)write_slices(q->c, q->jobs.id[q->next], INT_MAX, &q->written);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct plan_queue *q = arg;
	(void)fd;
	(void)what;
	if (q->next < q->jobs.n && write_slices(q->c, q->jobs.id[q->next], 1, &q->written) != 1)
		q->next++; /* written, or failed: a failed plan waits for an admin request */
	if (q->next == q->jobs.n) {
		q->jobs.n = q->next = 0; /* keeps the allocation for the next job */
		plans_done(q->c->store, &q->written);
	}
	continue_later(q);
}

void plan_queue_add(struct cloud *c, const char *job_id)
{
	struct plan_queue *q = c->plans;
	if (db_ids_add(&q->jobs, job_id) == 0) {
		continue_later(q);
		return;
	}
	log_error("jobs: cannot queue the plan of job %s; writing it at once", job_id);
	int written = 0;
	(void)write_slices(c, job_id, INT_MAX, &written);
	plans_done(c->store, &written);
}

/* The jobs with a plan in the store into jobs: 0, or -1 (logged). */
static int plans_in_store(struct cloud *c, struct db_ids *jobs)
{
	if (store_collect_ids(c->store, jobs, ST_JOB_PLANS_JOBS, "") >= 0)
		return 0;
	log_error("jobs: cannot read which jobs have tasks left to write");
	return -1;
}

void plan_queue_resume(struct cloud *c)
{
	struct db_ids jobs = {0};
	if (plans_in_store(c, &jobs) == 0)
		for (size_t i = 0; i < jobs.n; i++) {
			log_info("jobs: job %s has tasks left to write; writing them", jobs.id[i]);
			plan_queue_add(c, jobs.id[i]);
		}
	db_ids_free(&jobs);
}

void plan_queue_finish(struct cloud *c)
{
	struct db_ids jobs = {0};
	int written = 0;
	if (plans_in_store(c, &jobs) == 0)
		for (size_t i = 0; i < jobs.n; i++)
			(void)write_slices(c, jobs.id[i], INT_MAX, &written);
	if (jobs.n > 0)
		plans_done(c->store, &written);
	db_ids_free(&jobs);
}

size_t plan_queue_pending(const struct plan_queue *q)
{
	return q ? q->jobs.n - q->next : 0;
}

void plan_queue_free(struct plan_queue *q)
{
	if (!q)
		return;
	event_free(q->tick);
	db_ids_free(&q->jobs);
	free(q);
}
