/* peers: listening for other instances' wake-ups (see peers.h). When the listening
 * connection is lost, signals sent meanwhile are lost with it: the held polls they
 * were for end at their timeout, and the devices' next polls find their tasks. It is
 * reopened every PEERS_RETRY_S seconds until it is back. */
#include "peers.h"

#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "../../lib/log.h"
#include "../domain/policy.h"
#include "../http/server.h"
#include "longpoll.h"
#include "wake.h"

#define PEERS_RETRY_S 5

struct peers {
	struct cloud *c;
	struct event *readable; /* the store's signalling descriptor; NULL while lost */
	struct event *retry;
};

/* "d:<device id>" or "j:<job id>" (store_notify_wake). */
static void on_signal(void *arg, const char *payload)
{
	struct cloud *c = arg;
	const char *id = payload + 2;
	if (strlen(payload) < 2 || payload[1] != ':' || !is_hex_id(id)) {
		log_warn("peers: ignoring the signal '%.40s'", payload);
		return;
	}
	if (payload[0] == STORE_WAKE_DEVICE) {
		longpoll_wake(c->lp, id);
		return;
	}
	if (payload[0] != STORE_WAKE_JOB) {
		log_warn("peers: ignoring the signal '%.40s'", payload);
		return;
	}
	struct db_ids devices = {0};
	if (store_collect_ids(c->store, &devices, ST_TASK_DEVICES_OF_JOB, "s", id) < 0)
		log_error("peers: cannot read the devices of job %s; their polls end at their"
			  " timeout", id);
	else
		wake_devices(c, &devices, NULL); /* those not held here are passed over */
	db_ids_free(&devices);
}

static void lost(struct peers *p);

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct peers *p = arg;
	if (store_signals(p->c->store, on_signal, p->c) != 0)
		lost(p);
}

/* 0 when listening (or nothing to listen to). */
static int listen_now(struct peers *p)
{
	int fd = store_listen(p->c->store);
	if (fd == STORE_NO_SIGNALS)
		return 0;
	if (fd < 0)
		return -1;
	p->readable = event_new(p->c->base, fd, EV_READ | EV_PERSIST, on_readable, p);
	if (!p->readable || event_add(p->readable, NULL) != 0) {
		log_error("peers: cannot watch the store's signals");
		if (p->readable)
			event_free(p->readable);
		p->readable = NULL;
		return -1;
	}
	return 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct peers *p = arg;
	if (listen_now(p) == 0)
		log_info("peers: listening to the other instances again");
	else
		lost(p);
}

static void lost(struct peers *p)
{
	struct timeval tv = {PEERS_RETRY_S, 0};
	if (p->readable)
		event_free(p->readable);
	p->readable = NULL;
	log_warn("peers: not hearing the other instances; retrying in %d s", PEERS_RETRY_S);
	if (evtimer_add(p->retry, &tv) != 0)
		log_error("peers: cannot arm the retry timer; wake-ups from other instances"
			  " reach this one only at the next poll");
}

int peers_open(struct cloud *c)
{
	struct peers *p = calloc(1, sizeof(*p));
	if (!p || !(p->retry = evtimer_new(c->base, on_retry, p))) {
		free(p);
		log_error("peers: out of memory");
		return -1;
	}
	p->c = c;
	c->peers = p;
	return listen_now(p);
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	if (p->readable)
		event_free(p->readable);
	event_free(p->retry);
	free(p);
}
