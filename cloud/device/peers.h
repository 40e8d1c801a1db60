/* peers: wake-ups between camcloud instances that share one store. A change made
 * through one instance (a job, a task, a license, a removal) signals it right after
 * its commit (device_wake, job_wake in wake.h); every instance listens on the store's
 * signalling descriptor, registered on its event loop, and answers the held polls
 * the signal names that it holds itself. No table is polled. Not for one instance
 * on SQLite: there the store has no signals and this does nothing. */
#ifndef CLOUD_PEERS_H
#define CLOUD_PEERS_H

struct cloud;
struct peers;

/* Starts listening (c->peers); 0 also when the store has no signals. */
int peers_open(struct cloud *c);
/* Stops listening. Accepts NULL. */
void peers_free(struct peers *p);

#endif
