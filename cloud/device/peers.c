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

/* The ids of a wake-up signal (store_notify_wake) into devices: 0, or -1 when it is
 * not one. */
static int signal_ids(const char *payload, struct db_ids *devices)
{
	size_t pre = strlen(STORE_WAKE_PREFIX), id_len = DB_ID_LEN - 1;
	size_t len = strlen(payload);
	char id[DB_ID_LEN];
	if (len <= pre || strncmp(payload, STORE_WAKE_PREFIX, pre) != 0 ||
	    (len - pre) % id_len != 0 || (len - pre) / id_len > STORE_WAKE_IDS_MAX)
		return -1;
	for (const char *p = payload + pre; *p; p += id_len) {
		memcpy(id, p, id_len);
		id[id_len] = '\0';
		if (!is_hex_id(id) || db_ids_add(devices, id) != 0)
			return -1;
	}
	return 0;
}

static void on_signal(void *arg, const char *payload)
{
	struct cloud *c = arg;
	struct db_ids devices = {0};
	if (signal_ids(payload, &devices) != 0)
		log_warn("peers: ignoring the signal '%.40s'", payload);
	else if (devices.n == 1)
		longpoll_wake(c->lp, devices.id[0]);
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
