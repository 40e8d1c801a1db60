/* plan_queue: the tasks a big job leaves in its plan (job_plan_step) are written after
 * its admin's reply, a slice a turn of the event loop, and each slice's devices are
 * woken as soon as it commits, so their answers leave while the next slice is written.
 * Nothing is lost when an instance stops mid-way: the plan is in the store, every
 * instance writes the plans it finds at start, and every admin request first writes
 * all plans, so that what an admin reads or changes always has its jobs whole. */
#ifndef CLOUD_PLAN_QUEUE_H
#define CLOUD_PLAN_QUEUE_H

#include <stddef.h>

struct cloud;
struct plan_queue;

/* The queue of c (c->plans), or NULL when out of memory. */
struct plan_queue *plan_queue_new(struct cloud *c);
/* Queues job_id's plan, written from the next turn of the loop on; when it cannot be
 * queued (no memory), the plan is written now. */
void plan_queue_add(struct cloud *c, const char *job_id);
/* Queues every plan in the store (at start). */
void plan_queue_resume(struct cloud *c);
/* Writes every plan in the store now. A failure is logged; that plan stays for the next
 * admin request, or the next start. */
void plan_queue_finish(struct cloud *c);
/* How many jobs are queued. */
size_t plan_queue_pending(const struct plan_queue *q);
/* Drops the queue (the server is stopping; the plans stay in the store). Accepts NULL. */
void plan_queue_free(struct plan_queue *q);

#endif
