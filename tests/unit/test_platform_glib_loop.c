/* glib_loop: GLib's default main context runs inside a libevent loop. Timeouts, idle
 * sources and descriptor watches added through GLib fire while libevent dispatches,
 * on the same thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>
#include <glib.h>

#include "../../platform/axis/glib_loop.h"

struct seen {
	struct event_base *base;
	int timeouts, idles, reads;
	GThread *thread;
};

static gboolean on_timeout(gpointer arg)
{
	struct seen *s = arg;

	s->timeouts++;
	s->thread = g_thread_self();
	return s->timeouts < 3 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean on_idle(gpointer arg)
{
	((struct seen *)arg)->idles++;
	return G_SOURCE_REMOVE;
}

static gboolean on_readable(GIOChannel *ch, GIOCondition cond, gpointer arg)
{
	struct seen *s = arg;
	char c;
	gsize n;

	(void)cond;
	g_io_channel_read_chars(ch, &c, 1, &n, NULL);
	s->reads++;
	event_base_loopbreak(s->base);
	return G_SOURCE_REMOVE;
}

static void stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void run_for_ms(struct event_base *base, int ms)
{
	struct timeval tv = { 0, ms * 1000 };
	struct event *t = evtimer_new(base, stop, base);

	evtimer_add(t, &tv);
	event_base_dispatch(base);
	event_free(t);
}

static void test_glib_sources_fire_in_libevent_loop(void **state)
{
	struct seen s = { .base = event_base_new() };
	struct glib_loop *l = NULL;
	char reason[128];

	(void)state;
	assert_int_equal(glib_loop_start(&l, s.base, reason, sizeof(reason)), 0);
	g_timeout_add(20, on_timeout, &s);
	g_idle_add(on_idle, &s);
	glib_loop_refresh(l);
	run_for_ms(s.base, 200);
	assert_int_equal(s.timeouts, 3);
	assert_int_equal(s.idles, 1);
	assert_true(s.thread == g_thread_self()); /* the loop's own thread */
	glib_loop_free(l);
	event_base_free(s.base);
}

static void test_glib_descriptor_watch_wakes_loop(void **state)
{
	struct seen s = { .base = event_base_new() };
	struct glib_loop *l = NULL;
	char reason[128];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(glib_loop_start(&l, s.base, reason, sizeof(reason)), 0);
	GIOChannel *ch = g_io_channel_unix_new(p[0]);
	g_io_add_watch(ch, G_IO_IN, on_readable, &s);
	glib_loop_refresh(l);
	assert_int_equal(write(p[1], "x", 1), 1);
	run_for_ms(s.base, 2000); /* broken by on_readable long before */
	assert_int_equal(s.reads, 1);
	g_io_channel_unref(ch);
	glib_loop_free(l);
	event_base_free(s.base);
	close(p[0]);
	close(p[1]);
}

static void test_context_owned_elsewhere_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct glib_loop *a = NULL, *b = NULL;
	char reason[128];

	(void)state;
	assert_int_equal(glib_loop_start(&a, base, reason, sizeof(reason)), 0);
	/* the same thread may acquire again (GLib counts it); only another thread cannot */
	assert_int_equal(glib_loop_start(&b, base, reason, sizeof(reason)), 0);
	glib_loop_free(b);
	glib_loop_free(a);
	glib_loop_free(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glib_sources_fire_in_libevent_loop),
		cmocka_unit_test(test_glib_descriptor_watch_wakes_loop),
		cmocka_unit_test(test_context_owned_elsewhere_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
