/* platform_wait: the platform's asynchronous operations run to their end for a test. An
 * operation is started with one of the completions below and the test's loop turns until
 * its answer came, so a test reads like the calls it checks; an answer that comes before
 * the call returned breaks the platform's contract and fails the test. Include once. */
#ifndef TEST_PLATFORM_WAIT_H
#define TEST_PLATFORM_WAIT_H

#include <string.h>
#include <event2/event.h>

#include "../../platform/platform.h"

struct platform_wait {
	struct event_base *base;
	int returned;  /* the call returned */
	int done;      /* its answer came */
	int rc;
	char reason[PLATFORM_REASON_MAX];
	struct platform_app app;
	struct platform_app_list list;
	struct platform_settings settings;
};

static void pw_answer(struct platform_wait *w, int rc, const char *reason)
{
	if (!w->returned)
		fail_msg("the platform answered before the call returned");
	if (w->done)
		fail_msg("the platform answered twice");
	w->done = 1;
	w->rc = rc;
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
}

static __attribute__((unused)) void pw_done(void *arg, int rc, const char *reason)
{
	pw_answer(arg, rc, reason);
}

static __attribute__((unused)) void pw_app_done(void *arg, int rc, const char *reason,
						const struct platform_app *app)
{
	struct platform_wait *w = arg;
	pw_answer(w, rc, reason);
	if (rc >= 0)
		w->app = *app;
}

static __attribute__((unused)) void pw_list_done(void *arg, int rc, const char *reason,
						 const struct platform_app_list *list)
{
	struct platform_wait *w = arg;
	pw_answer(w, rc, reason);
	if (rc >= 0)
		w->list = *list;
}

static __attribute__((unused)) void pw_settings_done(void *arg, int rc, const char *reason,
						     const struct platform_settings *settings)
{
	struct platform_wait *w = arg;
	pw_answer(w, rc, reason);
	if (rc >= 0)
		w->settings = *settings;
}

/* Readies w for one call. */
static inline struct platform_wait *pw_start(struct platform_wait *w)
{
	w->returned = 0;
	w->done = 0;
	w->rc = -99;
	return w;
}

/* started: what the call returned. -1 when it did not start (its reason is already in
 * reason), else the answer's rc, with its reason copied to reason. */
static inline int pw_wait(struct platform_wait *w, int started, char *reason, size_t reasonsz)
{
	w->returned = 1;
	if (started != 0) {
		if (w->done)
			fail_msg("the platform answered a call that did not start");
		return started;
	}
	while (!w->done)
		if (event_base_loop(w->base, EVLOOP_ONCE) < 0)
			fail_msg("the loop stopped before the platform answered");
	snprintf(reason, reasonsz, "%s", w->reason);
	return w->rc;
}

/* f: a fixture with p (the platform), w (its platform_wait) and reason. */
#define PW_CALL(f, op, done, ...)                                                          \
	((f)->reason[0] = '\0',                                                            \
	 pw_wait(&(f)->w,                                                                  \
		 (f)->p.ops->op((f)->p.priv, __VA_ARGS__, done, pw_start(&(f)->w), (f)->reason, \
				sizeof((f)->reason)),                                      \
		 (f)->reason, sizeof((f)->reason)))
/* An operation answered with rc and reason: app_start, license_remove, ...; OP0 for one
 * without arguments of its own (commit, rollback). */
#define OP(f, op, ...) PW_CALL(f, op, pw_done, __VA_ARGS__)
#define OP0(f, op)                                                                         \
	((f)->reason[0] = '\0',                                                            \
	 pw_wait(&(f)->w,                                                                  \
		 (f)->p.ops->op((f)->p.priv, pw_done, pw_start(&(f)->w), (f)->reason,        \
				sizeof((f)->reason)),                                      \
		 (f)->reason, sizeof((f)->reason)))
/* apps_list into *out (on success). */
#define LIST_APPS(f, out)                                                                  \
	((f)->reason[0] = '\0',                                                            \
	 pw_list_into(&(f)->w,                                                             \
		      pw_wait(&(f)->w,                                                     \
			      (f)->p.ops->apps_list((f)->p.priv, pw_list_done, pw_start(&(f)->w), \
						    (f)->reason, sizeof((f)->reason)),     \
			      (f)->reason, sizeof((f)->reason)),                           \
		      (out)))
/* read_settings into *out (on success). */
#define READ_SETTINGS(f, out)                                                              \
	((f)->reason[0] = '\0',                                                            \
	 pw_settings_into(&(f)->w,                                                         \
			  pw_wait(&(f)->w,                                                 \
				  (f)->p.ops->read_settings((f)->p.priv, pw_settings_done,   \
							    pw_start(&(f)->w), (f)->reason, \
							    sizeof((f)->reason)),            \
				  (f)->reason, sizeof((f)->reason)),                       \
			  (out)))
static inline int pw_settings_into(const struct platform_wait *w, int rc,
				   struct platform_settings *out)
{
	if (rc >= 0)
		*out = w->settings;
	return rc;
}
static inline int pw_list_into(const struct platform_wait *w, int rc,
			       struct platform_app_list *out)
{
	if (rc >= 0)
		*out = w->list;
	return rc;
}

#endif
