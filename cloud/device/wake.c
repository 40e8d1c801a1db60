/* wake: the sliced wake-up queue (see wake.h). */
#include "wake.h"

#include <stdint.h>
#include <stdlib.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "../../lib/log.h"
#include "longpoll.h"
#include "../http/server.h"

struct wake {
	struct cloud *c;
	struct event *tick;
	struct db_ids queue;
	size_t next; /* queue.id[next..n) are still to be woken */
};

static void on_tick(evutil_socket_t fd, short what, void *arg);

/* After the current turn's I/O: a zero timeout fires on the next turn of the loop,
 * after the replies already written have been flushed. (event_active would run in
 * this same turn.) */
static int arm(struct wake *w)
{
	static const struct timeval now = {0, 0};
	return evtimer_add(w->tick, &now);
}

static struct wake *wake_get(struct cloud *c)
{
	if (c->wake)
		return c->wake;
	struct wake *w = calloc(1, sizeof(*w));
	if (!w || !(w->tick = evtimer_new(c->base, on_tick, w))) {
		free(w);
		return NULL;
	}
	w->c = c;
	c->wake = w;
	return w;
}

/* Wakes up to limit queued devices; empties the queue once all are woken. The slice's
 * answers are built together (longpoll_wake_some: a few statements for the whole
 * slice) in one transaction. A store error is a 500 for the devices of that batch; a
 * failed commit loses only "told" marks (license hints, cancel notices: told again). */
static void wake_some(struct wake *w, size_t limit)
{
	struct store *db = w->c->store;
	size_t k = w->queue.n - w->next < limit ? w->queue.n - w->next : limit;
	int tx = store_begin(db) == 0;
	longpoll_wake_some(w->c->lp, &w->queue.id[w->next], k);
	w->next += k;
	if (tx && store_commit(db) != 0)
		store_rollback(db);
	if (w->next == w->queue.n)
		w->queue.n = w->next = 0; /* keeps the allocation for the next job */
}

/* Schedules the rest; when that fails, wakes it now rather than leave it queued. */
static void continue_later(struct wake *w)
{
	if (wake_pending(w) == 0 || arm(w) == 0)
		return;
	log_error("wake: cannot arm the timer; waking %zu devices at once", wake_pending(w));
	wake_some(w, SIZE_MAX);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct wake *w = arg;
	wake_some(w, WAKE_SLICE);
	continue_later(w);
}

void wake_devices(struct cloud *c, const struct db_ids *ids, struct evhttp_request *first)
{
	struct evhttp_connection *conn = first ? evhttp_request_get_connection(first) : NULL;
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	/* evhttp's bufferevent, and the socket's under it when the gate filters it */
	for (; bev; bev = bufferevent_get_underlying(bev))
		if (bufferevent_set_max_single_write(bev, WAKE_FIRST_WRITE_MAX) != 0)
			log_warn("wake: cannot raise the write size of the admin's connection");
	struct wake *w = wake_get(c);
	size_t i = 0;
	/* Only the polls held here now: one that comes later reads its task itself, and the
	 * slices stay full where an instance holds a share of a job's devices. */
	for (; w && i < ids->n; i++)
		if (longpoll_waiting(c->lp, ids->id[i]) && db_ids_add(&w->queue, ids->id[i]) != 0)
			break;
	if (w)
		continue_later(w);
	if (i < ids->n)
		log_error("wake: cannot queue %zu devices; waking them at once", ids->n - i);
	if (i < ids->n)
		longpoll_wake_some(c->lp, &ids->id[i], ids->n - i);
}

void device_wake(struct cloud *c, struct store *db, const char *device_id)
{
	char one[1][DB_ID_LEN];
	snprintf(one[0], sizeof(one[0]), "%s", device_id);
	if (store_notify_wake(db, one, 1) != 0)
		log_warn("wake: could not signal the other instances for device %s", device_id);
	longpoll_wake(c->lp, device_id);
}

void job_wake(struct cloud *c, struct store *db, const char *job_id, const struct db_ids *devices,
	      struct evhttp_request *first)
{
	if (store_notify_wake(db, devices->id, devices->n) != 0)
		log_warn("wake: could not signal the other instances for job %s", job_id);
	wake_devices(c, devices, first);
}

size_t wake_pending(const struct wake *w)
{
	return w ? w->queue.n - w->next : 0;
}

void wake_free(struct wake *w)
{
	if (!w)
		return;
	event_free(w->tick);
	db_ids_free(&w->queue);
	free(w);
}
