/* signed_group: one transaction and one commit for the signed requests of one turn
 * of the loop (see signed_group.h). A held request stays valid until a reply is
 * sent on it: when its client goes away first, libevent detaches it from the
 * connection and reply_send then frees it. */
#include "signed_group.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/event.h>

#include "../../lib/log.h"
#include "../domain/policy.h"

struct signed_item {
	struct signed_item *next;
	struct evhttp_request *ev;
	struct timeval start;
	int64_t now;
	char peer[64];
	char method[8];
	char path[REQ_PATH_MAX];
	signed_work_fn work;
	struct reply rp;
	size_t size;
	_Alignas(max_align_t) unsigned char arg[];
};

struct signed_group {
	struct cloud *c;
	struct event *flush; /* made active by the first request of a group */
	struct signed_item *head, **tail;
	size_t n;
};

static void on_flush(evutil_socket_t fd, short what, void *arg);

static void item_free(struct signed_item *it)
{
	reply_free(&it->rp);
	memset(it->arg, 0, it->size);
	free(it);
}

static struct signed_group *group_of(struct cloud *c)
{
	if (c->signed_group)
		return c->signed_group;
	struct signed_group *g = calloc(1, sizeof(*g));
	if (!g || !(g->flush = event_new(c->base, -1, 0, on_flush, g))) {
		free(g);
		return NULL;
	}
	g->c = c;
	g->tail = &g->head;
	c->signed_group = g;
	return g;
}

/* The request the work sees: the cloud, the clock and the caller's address. */
static void item_request(struct cloud *c, const struct signed_item *it, struct request *rq)
{
	memset(rq, 0, sizeof(*rq));
	TAILQ_INIT(&rq->query);
	rq->c = c;
	rq->ev = it->ev;
	rq->now = it->now;
	rq->start = it->start;
	rq->method = it->method;
	strcpy(rq->path, it->path);
	strcpy(rq->peer, it->peer);
}

/* Runs every item's work in one transaction; 0 when it committed. */
static int run_group(struct signed_group *g, struct signed_item *items)
{
	struct store *db = g->c->store;
	struct request rq;
	if (store_begin(db) != 0)
		return -1;
	/* the nonces of every request of the group are checked against this sweep */
	if (store_run(db, ST_AUTH_NONCES_DELETE, "i", items->now - POLICY_NONCE_TTL) < 0)
		goto fail;
	for (struct signed_item *it = items; it; it = it->next) {
		item_request(g->c, it, &rq);
		if (store_savepoint(db, STORE_SAVEPOINT_SET) != 0)
			goto fail;
		int r = it->work(&rq, &it->rp, it->arg);
		if (store_savepoint(db, r < 0 ? STORE_SAVEPOINT_UNDO : STORE_SAVEPOINT_RELEASE) != 0)
			goto fail;
		if (r < 0)
			reply_internal(&it->rp);
	}
	return store_commit(db);
fail:
	store_rollback(db);
	return -1;
}

/* Commits the current group and answers its requests. */
static void flush_group(struct signed_group *g)
{
	struct signed_item *items = g->head;
	size_t n = g->n;
	g->head = NULL;
	g->tail = &g->head;
	g->n = 0;
	if (!items)
		return;
	int committed = run_group(g, items) == 0;
	if (!committed)
		log_error("signed requests: the commit of a group of %zu failed; each is answered"
			  " 500", n);
	else
		log_debug("signed requests: a group of %zu committed", n);
	char what[REQ_PATH_MAX + 16];
	while (items) {
		struct signed_item *it = items;
		items = it->next;
		if (!committed) /* never an answer for rows that were not committed */
			reply_internal(&it->rp);
		snprintf(what, sizeof(what), "%s %s", it->method, it->path);
		reply_send(g->c, it->ev, &it->rp, what, &it->start);
		item_free(it);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush_group(arg);
}

int signed_group_add(struct request *rq, struct reply *rp, signed_work_fn work,
		     const void *arg, size_t size)
{
	struct signed_group *g = group_of(rq->c);
	struct signed_item *it = g ? calloc(1, sizeof(*it) + size) : NULL;
	if (!it || strlen(rq->method) >= sizeof(it->method)) {
		free(it);
		log_error("signed requests: no memory to queue %s", rq->path);
		reply_internal(rp);
		return -1;
	}
	it->ev = rq->ev;
	it->start = rq->start;
	it->now = rq->now;
	strcpy(it->peer, rq->peer);
	strcpy(it->method, rq->method);
	strcpy(it->path, rq->path);
	it->work = work;
	reply_init(&it->rp);
	memcpy(it->arg, arg, size);
	it->size = size;
	*g->tail = it;
	g->tail = &it->next;
	if (g->n++ == 0) /* after the requests already read in this turn of the loop */
		event_active(g->flush, EV_TIMEOUT, 1);
	reply_hold(rp);
	if (g->n >= SIGNED_GROUP_MAX) {
		event_del(g->flush);
		flush_group(g);
	}
	return 0;
}

void signed_group_free(struct signed_group *g)
{
	if (!g)
		return;
	while (g->head) {
		struct signed_item *it = g->head;
		g->head = it->next;
		/* a request still on its connection is freed with it by evhttp_free */
		if (evhttp_request_get_connection(it->ev) == NULL)
			evhttp_request_free(it->ev);
		item_free(it);
	}
	event_free(g->flush);
	free(g);
}
