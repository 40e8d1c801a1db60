/* glib_loop: see glib_loop.h. The GLib side follows the documented steps of one
 * iteration (g_main_context_prepare, _query, _check, _dispatch); libevent replaces the
 * poll() in the middle. */
#include "glib_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "../../lib/log.h"

#define GLIB_LOOP_FDS_MAX 16 /* a parameter client needs one or two */

struct glib_loop {
	struct event_base *base;
	GMainContext *ctx;
	GPollFD fds[GLIB_LOOP_FDS_MAX];
	struct event *watch[GLIB_LOOP_FDS_MAX];
	int nfds;
	gint priority;
	struct event *timer;
};

static void run_round(evutil_socket_t fd, short what, void *arg);

static void unwatch(struct glib_loop *l)
{
	for (int i = 0; i < l->nfds; i++) {
		event_free(l->watch[i]);
		l->watch[i] = NULL;
	}
	l->nfds = 0;
	evtimer_del(l->timer);
}

/* Asks GLib what it waits for next and has libevent wait for that. */
static void arm(struct glib_loop *l)
{
	gint timeout = -1, n;
	gboolean ready;

	unwatch(l);
	ready = g_main_context_prepare(l->ctx, &l->priority);
	n = g_main_context_query(l->ctx, l->priority, &timeout, l->fds, GLIB_LOOP_FDS_MAX);
	if (ready)
		timeout = 0; /* a source is ready already: dispatch on the next turn */
	if (n > GLIB_LOOP_FDS_MAX) {
		log_warn("glib loop: GLib waits on %d descriptors; watching the first %d", n,
			 GLIB_LOOP_FDS_MAX);
		n = GLIB_LOOP_FDS_MAX;
	}
	for (int i = 0; i < n; i++) {
		short events = 0;

		if (l->fds[i].events & (G_IO_IN | G_IO_PRI | G_IO_HUP | G_IO_ERR))
			events |= EV_READ;
		if (l->fds[i].events & G_IO_OUT)
			events |= EV_WRITE;
		l->watch[i] = event_new(l->base, l->fds[i].fd, events, run_round, l);
		if (!l->watch[i] || event_add(l->watch[i], NULL) != 0) {
			log_error("glib loop: cannot watch descriptor %d", l->fds[i].fd);
			event_free(l->watch[i]);
			l->watch[i] = NULL;
			timeout = timeout < 0 || timeout > 1000 ? 1000 : timeout; /* look again soon */
		}
		l->nfds = i + 1;
	}
	if (timeout >= 0) {
		struct timeval tv = { timeout / 1000, (timeout % 1000) * 1000 };

		evtimer_add(l->timer, &tv);
	}
}

/* One of GLib's descriptors or its timeout fired: check every source, dispatch, rearm. */
static void run_round(evutil_socket_t fd, short what, void *arg)
{
	struct glib_loop *l = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < l->nfds; i++)
		l->fds[i].revents = 0;
	if (l->nfds)
		(void)g_poll(l->fds, (guint)l->nfds, 0); /* fills revents; never waits */
	if (g_main_context_check(l->ctx, l->priority, l->fds, l->nfds))
		g_main_context_dispatch(l->ctx);
	arm(l);
}

int glib_loop_start(struct glib_loop **out, struct event_base *base, char *reason,
		    size_t reasonsz)
{
	struct glib_loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l || !(l->timer = evtimer_new(base, run_round, l))) {
		free(l);
		snprintf(reason, reasonsz, "glib loop: out of memory");
		return -1;
	}
	l->base = base;
	l->ctx = g_main_context_default();
	if (!g_main_context_acquire(l->ctx)) {
		event_free(l->timer);
		free(l);
		snprintf(reason, reasonsz, "glib loop: GLib's main context belongs to another thread");
		return -1;
	}
	arm(l);
	*out = l;
	return 0;
}

void glib_loop_refresh(struct glib_loop *l)
{
	g_main_context_wakeup(l->ctx); /* its wakeup descriptor is one of those watched */
}

static gboolean on_deadline(gpointer data)
{
	*(int *)data = 1;
	return G_SOURCE_REMOVE;
}

int glib_loop_run_until(struct glib_loop *l, const int *flag, int timeout_ms)
{
	int late = 0;
	GSource *deadline = g_timeout_source_new((guint)timeout_ms);

	g_source_set_callback(deadline, on_deadline, &late, NULL);
	g_source_attach(deadline, l->ctx);
	while (!*flag && !late)
		g_main_context_iteration(l->ctx, TRUE);
	g_source_destroy(deadline);
	g_source_unref(deadline);
	arm(l); /* what GLib waits for now */
	return *flag ? 0 : -1;
}

void glib_loop_free(struct glib_loop *l)
{
	if (!l)
		return;
	unwatch(l);
	event_free(l->timer);
	g_main_context_release(l->ctx);
	free(l);
}
