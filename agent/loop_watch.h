/* loop_watch: a test hook that tells how long the agent's loop was held. With the
 * environment variable CAMAGENT_TEST_LOOP_WATCH=MS a 10 ms timer runs on the loop and logs
 * every stretch between two of its turns in which the loop used more than MS ms of CPU
 * ("loop: held N ms of CPU between two turns"): a turn that hashed or unpacked that long.
 * The loop thread's CPU time, not wall time, so a busy machine does not count. Off (nothing
 * armed) without the variable. */
#ifndef CAM_AGENT_LOOP_WATCH_H
#define CAM_AGENT_LOOP_WATCH_H

#include <event2/event.h>

struct loop_watch;

/* NULL when off or when the timer cannot be armed (logged). */
struct loop_watch *loop_watch_start(struct event_base *base);
void loop_watch_free(struct loop_watch *w); /* NULL is fine */

#endif
