/* loop_watch: see loop_watch.h. */
#include "loop_watch.h"

#include <stdlib.h>
#include <time.h>

#include "../lib/log.h"

#define TICK_MS 10

struct loop_watch {
	struct event *tick;
	double limit_ms;
	double last_cpu_ms;
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loop_watch *w = arg;
	double now = cpu_ms();

	(void)fd;
	(void)what;
	if (now - w->last_cpu_ms > w->limit_ms)
		log_warn("loop: held %.0f ms of CPU between two turns", now - w->last_cpu_ms);
	w->last_cpu_ms = now;
}

struct loop_watch *loop_watch_start(struct event_base *base)
{
	const char *limit = getenv("CAMAGENT_TEST_LOOP_WATCH");
	const struct timeval every = { 0, TICK_MS * 1000 };
	struct loop_watch *w;

	if (!limit || atof(limit) <= 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->tick = event_new(base, -1, EV_PERSIST, on_tick, w)) ||
	    event_add(w->tick, &every) != 0) {
		log_error("loop: cannot arm the loop watch");
		loop_watch_free(w);
		return NULL;
	}
	w->limit_ms = atof(limit);
	w->last_cpu_ms = cpu_ms();
	log_info("loop: watching for turns of more than %.0f ms of CPU", w->limit_ms);
	return w;
}

void loop_watch_free(struct loop_watch *w)
{
	if (!w)
		return;
	if (w->tick)
		event_free(w->tick);
	free(w);
}
