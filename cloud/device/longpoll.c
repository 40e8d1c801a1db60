/* longpoll: the held task requests (see longpoll.h).
 * Lifetime rules for an evhttp request we hold:
 * - we answer it (timer, wake, replacement): unlink first, clear the connection's
 *   close callback, then reply_send; libevent frees the request after sending;
 * - its connection is freed first (client gone and detected, server stopping):
 *   the close callback unlinks the entry; if libevent already detached the request
 *   from the connection it is ours to free, otherwise libevent frees it. */
#include "longpoll.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "../../lib/log.h"
#include "../http/server.h"

#define LP_BUCKETS 1024
#define LP_WHAT "GET /device/v1/tasks/next"

struct held {
	struct held *prev, *next; /* bucket list */
	struct longpoll *lp;
	struct evhttp_request *ev;
	struct evhttp_connection *conn;
	struct event *timer;
	struct timeval start;
	int in_batch; /* in the batch being answered (a slice may name a device twice) */
	uint64_t promised; /* > 0: its answer comes under this ticket (longpoll_deliver) */
	char device_id[DB_ID_LEN];
};

struct longpoll {
	struct cloud *c;
	longpoll_answer_fn answer;
	size_t count;
	struct held *bucket[LP_BUCKETS];
	/* the devices being woken: held, their ids, their answers */
	struct held *batch[LONGPOLL_BATCH];
	char batch_id[LONGPOLL_BATCH][DB_ID_LEN];
	struct reply batch_rp[LONGPOLL_BATCH];
	uint64_t batch_ticket[LONGPOLL_BATCH];
};

static unsigned bucket_of(const char *device_id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *device_id; device_id++)
		h = (h ^ (uint8_t)*device_id) * 16777619u;
	return h % LP_BUCKETS;
}

struct longpoll *longpoll_new(struct cloud *c, longpoll_answer_fn answer)
{
	struct longpoll *lp = calloc(1, sizeof(*lp));
	if (!lp)
		return NULL;
	lp->c = c;
	lp->answer = answer;
	return lp;
}

static void unlink_held(struct held *h)
{
	struct longpoll *lp = h->lp;
	if (h->prev)
		h->prev->next = h->next;
	else
		lp->bucket[bucket_of(h->device_id)] = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	lp->count--;
	if (h->conn)
		evhttp_connection_set_closecb(h->conn, NULL, NULL);
	event_free(h->timer);
}

/* Unlinks h, sends rp on its request and frees h. */
static void answer_held(struct held *h, struct reply *rp)
{
	struct cloud *c = h->lp->c;
	struct evhttp_request *ev = h->ev;
	struct timeval start = h->start;
	if (h->conn) /* back to the ordinary idle timeout once the hold is over */
		evhttp_connection_set_timeout(h->conn, c->idle_timeout_s);
	unlink_held(h);
	free(h);
	reply_send(c, ev, rp, LP_WHAT, &start);
}

static void answer_204(struct held *h)
{
	struct reply rp;
	reply_init(&rp);
	reply_no_content(&rp);
	answer_held(h, &rp);
	reply_free(&rp);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	answer_204(arg);
}

#define LONGPOLL_IDLE_MARGIN_S 30

static void on_close(struct evhttp_connection *conn, void *arg)
{
	struct held *h = arg;
	struct evhttp_request *ev = h->ev;
	h->conn = NULL; /* the connection is going away: no callback to clear */
	unlink_held(h);
	free(h);
	log_debug("longpoll: " LP_WHAT " dropped: connection closed");
	if (evhttp_request_get_connection(ev) == NULL)
		evhttp_request_free(ev);
}

int longpoll_hold(struct longpoll *lp, struct evhttp_request *ev, const char *device_id,
		  int wait_s, const struct timeval *start)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	struct held *h = calloc(1, sizeof(*h));
	if (!h || !conn) {
		free(h);
		log_error("longpoll: cannot hold a request (%s)", conn ? "no memory" : "no connection");
		return -1;
	}
	h->timer = evtimer_new(lp->c->base, on_timeout, h);
	struct timeval tv = {.tv_sec = wait_s, .tv_usec = 0};
	if (!h->timer || evtimer_add(h->timer, &tv) != 0) {
		if (h->timer)
			event_free(h->timer);
		free(h);
		log_error("longpoll: cannot arm a timer");
		return -1;
	}
	/* One held request per device: the newer one wins. */
	unsigned b = bucket_of(device_id);
	for (struct held *o = lp->bucket[b]; o; o = o->next) {
		if (strcmp(o->device_id, device_id) == 0) {
			answer_204(o);
			break;
		}
	}
	h->lp = lp;
	h->ev = ev;
	h->conn = conn;
	h->start = *start;
	strcpy(h->device_id, device_id);
	h->next = lp->bucket[b];
	if (h->next)
		h->next->prev = h;
	lp->bucket[b] = h;
	lp->count++;
	evhttp_connection_set_closecb(conn, on_close, h);
	/* The connection's idle timeout must outlast the hold, or a wait as long as it
	 * (60 s by default for both) is cut by the server itself. */
	evhttp_connection_set_timeout(conn, wait_s + LONGPOLL_IDLE_MARGIN_S);
	log_debug("longpoll: holding " LP_WHAT " of %s for %d s", device_id, wait_s);
	return 0;
}

static struct held *held_of(struct longpoll *lp, const char *device_id)
{
	struct held *h = lp->bucket[bucket_of(device_id)];
	for (; h && strcmp(h->device_id, device_id) != 0; h = h->next)
		;
	return h;
}

/* Answers the k held requests of lp->batch. Nothing to say after all (a wake for a
 * change that needs no answer): the poll stays held. Answering 204 before its wait
 * would look, to the device, like a cloud answering at once with nothing, which it
 * backs off from, missing the wake that matters next. */
static void answer_batch(struct longpoll *lp, size_t k)
{
	memset(lp->batch_ticket, 0, k * sizeof(lp->batch_ticket[0]));
	lp->answer(lp->c, lp->batch_id, k, cloud_now(lp->c), lp->batch_rp, lp->batch_ticket);
	for (size_t j = 0; j < k; j++) {
		struct held *h = lp->batch[j];
		h->in_batch = 0;
		if (lp->batch_ticket[j])
			h->promised = lp->batch_ticket[j];
		else if (lp->batch_rp[j].status != 204)
			answer_held(h, &lp->batch_rp[j]);
		reply_free(&lp->batch_rp[j]);
	}
}

void longpoll_wake_some(struct longpoll *lp, char (*ids)[DB_ID_LEN], size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct held *h = held_of(lp, ids[i]);
		if (!h || h->in_batch || h->promised)
			continue;
		h->in_batch = 1;
		lp->batch[k] = h;
		strcpy(lp->batch_id[k], h->device_id);
		reply_init(&lp->batch_rp[k]);
		if (++k == LONGPOLL_BATCH) {
			answer_batch(lp, k);
			k = 0;
		}
	}
	if (k > 0)
		answer_batch(lp, k);
}

int longpoll_waiting(struct longpoll *lp, const char *device_id)
{
	struct held *h = held_of(lp, device_id);
	return h && !h->promised;
}

void longpoll_wake(struct longpoll *lp, const char *device_id)
{
	char id[1][DB_ID_LEN];
	if (strlen(device_id) < sizeof(id[0])) {
		strcpy(id[0], device_id);
		longpoll_wake_some(lp, id, 1);
	}
}

int longpoll_deliver(struct longpoll *lp, const char *device_id, uint64_t ticket,
		     struct reply *rp)
{
	struct held *h = held_of(lp, device_id);
	if (!h || !h->promised || h->promised != ticket) { /* 0 is no ticket */
		log_debug("longpoll: " LP_WHAT " of %s no longer waits for its answer", device_id);
		return 0;
	}
	answer_held(h, rp);
	return 1;
}

size_t longpoll_count(const struct longpoll *lp)
{
	return lp ? lp->count : 0;
}

void longpoll_free(struct longpoll *lp)
{
	if (!lp)
		return;
	for (unsigned b = 0; b < LP_BUCKETS; b++) {
		while (lp->bucket[b]) {
			struct held *h = lp->bucket[b];
			unlink_held(h);
			free(h);
		}
	}
	free(lp);
}
