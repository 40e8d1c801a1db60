/* glib_loop: runs GLib's default main context inside the agent's libevent loop, so
 * what GLib delivers there (axparameter's change callbacks) arrives on the agent's one
 * thread, between its other events. Not a second loop and not a thread: each round
 * asks GLib which descriptors and timeout it waits for, has libevent watch them, and
 * lets GLib check and dispatch when one fires. */
#ifndef CAM_GLIB_LOOP_H
#define CAM_GLIB_LOOP_H

#include <stddef.h>
#include <event2/event.h>

struct glib_loop;

/* -1 with reason when the default context is owned by another thread. */
int glib_loop_start(struct glib_loop **out, struct event_base *base, char *reason,
		    size_t reasonsz);
/* After adding GLib sources from this thread: GLib wakes a waiting context by itself
 * only for sources added from other threads (its workers), so say so to be rearmed. */
void glib_loop_refresh(struct glib_loop *l);
/* Runs GLib's context (waiting in it, the libevent loop stands still) until *flag is set
 * or timeout_ms passed: for a close that must see a cancelled call handed back, so that
 * nothing is left to a context nobody runs afterwards. 0 when *flag was set, else -1. */
int glib_loop_run_until(struct glib_loop *l, const int *flag, int timeout_ms);
void glib_loop_free(struct glib_loop *l); /* NULL is fine */

#endif
