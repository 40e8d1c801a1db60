/* later: the simulated camera's asynchronous operations. The work is done at once (the
 * camera is a directory), the result is delivered through the loop with a zero timeout,
 * so a caller sees the same order of events as with a camera and cannot come to rely on
 * a synchronous completion. Results not delivered when the platform closes are dropped,
 * as the platform interface says. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

struct sim_later {
	struct sim_later *next;
	struct sim_later **head;
	struct event *ev;
	platform_done_fn done;
	platform_app_done_fn app_done;
	platform_list_done_fn list_done;
	void *arg;
	int rc;
	char reason[PLATFORM_REASON_MAX];
	struct platform_app app;
	struct platform_app_list list;
};

static void unlink_later(struct sim_later *l)
{
	for (struct sim_later **p = l->head; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
}

static void later_free(struct sim_later *l)
{
	if (l->ev)
		event_free(l->ev);
	free(l);
}

static void on_later(evutil_socket_t fd, short what, void *arg)
{
	struct sim_later *l = arg;
	const char *why = l->rc < 0 ? l->reason : NULL;

	(void)fd;
	(void)what;
	unlink_later(l);
	if (l->done)
		l->done(l->arg, l->rc, why);
	else if (l->app_done)
		l->app_done(l->arg, l->rc, why, l->rc >= 0 ? &l->app : NULL);
	else
		l->list_done(l->arg, l->rc, why, l->rc >= 0 ? &l->list : NULL);
	later_free(l);
}

static struct sim_later *later_new(void *priv, void *arg, char *reason, size_t reasonsz)
{
	struct event_base *base = sim_base(priv);
	struct sim_later *l;

	if (!base) {
		platform_fail(reason, reasonsz, "the simulated camera has no loop to answer on");
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l)
		l->ev = evtimer_new(base, on_later, l);
	if (!l || !l->ev) {
		if (l)
			later_free(l);
		platform_fail(reason, reasonsz, "out of memory");
		return NULL;
	}
	l->arg = arg;
	l->head = sim_later_head(priv);
	return l;
}

/* Delivers l's result on the next turn of the loop. */
static int later_arm(struct sim_later *l, char *reason, size_t reasonsz)
{
	const struct timeval now = { 0, 0 };

	if (evtimer_add(l->ev, &now) != 0) {
		later_free(l);
		return platform_fail(reason, reasonsz, "cannot schedule the result");
	}
	l->next = *l->head;
	*l->head = l;
	return 0;
}

void sim_later_drop_all(struct sim_later **head)
{
	while (*head) {
		struct sim_later *l = *head;

		*head = l->next;
		later_free(l);
	}
}

/* The plain operations (rc, reason), all alike. */
#define LATER_DONE(call)                                                                   \
	do {                                                                               \
		struct sim_later *l = later_new(priv, arg, reason, reasonsz);             \
		if (!l)                                                                    \
			return -1;                                                         \
		l->done = done;                                                            \
		l->rc = (call);                                                            \
		return later_arm(l, reason, reasonsz);                                     \
	} while (0)
#define R l->reason, sizeof(l->reason)

int sim_op_commit(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	LATER_DONE(sim_commit(priv, R));
}

int sim_op_rollback(void *priv, platform_done_fn done, void *arg, char *reason,
		    size_t reasonsz)
{
	LATER_DONE(sim_rollback(priv, R));
}

int sim_op_license_install(void *priv, const char *app, const void *key, size_t keylen,
			   platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	LATER_DONE(sim_license_install(priv, app, key, keylen, R));
}

int sim_op_license_remove(void *priv, const char *app, platform_done_fn done, void *arg,
			  char *reason, size_t reasonsz)
{
	LATER_DONE(sim_license_remove(priv, app, R));
}

int sim_op_app_remove(void *priv, const char *app, platform_done_fn done, void *arg,
		      char *reason, size_t reasonsz)
{
	LATER_DONE(sim_app_remove(priv, app, R));
}

int sim_op_app_start(void *priv, const char *app, platform_done_fn done, void *arg,
		     char *reason, size_t reasonsz)
{
	LATER_DONE(sim_app_start(priv, app, R));
}

int sim_op_app_stop(void *priv, const char *app, platform_done_fn done, void *arg,
		    char *reason, size_t reasonsz)
{
	LATER_DONE(sim_app_stop(priv, app, R));
}

int sim_op_app_restart(void *priv, const char *app, platform_done_fn done, void *arg,
		       char *reason, size_t reasonsz)
{
	LATER_DONE(sim_app_restart(priv, app, R));
}

int sim_op_app_set_param(void *priv, const char *app, const char *name, const char *value,
			 platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	LATER_DONE(sim_app_set_param(priv, app, name, value, R));
}

int sim_op_app_install(void *priv, const struct platform_package *pkg,
		       platform_app_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	struct sim_later *l = later_new(priv, arg, reason, reasonsz);

	if (!l)
		return -1;
	l->app_done = done;
	l->rc = sim_app_install(priv, pkg, &l->app, R);
	return later_arm(l, reason, reasonsz);
}

int sim_op_apps_list(void *priv, platform_list_done_fn done, void *arg, char *reason,
		     size_t reasonsz)
{
	struct sim_later *l = later_new(priv, arg, reason, reasonsz);

	if (!l)
		return -1;
	l->list_done = done;
	l->rc = sim_apps_list(priv, &l->list, R);
	return later_arm(l, reason, reasonsz);
}
