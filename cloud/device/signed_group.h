/* signed_group: a group commit for the signed device requests (enroll §2, auth §3).
 * Their handlers check the signature (the CPU part) at once and hand the store part
 * here; the requests that arrive in one turn of the event loop then share one
 * transaction: the expired nonces are swept once, each request's work runs under a
 * savepoint of its own, and one commit (one WAL write) holds them all. The replies are
 * sent only after that commit: when it fails, every request of the group is answered
 * 500 and none of what they wrote stays; a request refused by its own rules (a nonce
 * seen before, a used-up token) is answered with its refusal without touching the
 * others. */
#ifndef CLOUD_SIGNED_GROUP_H
#define CLOUD_SIGNED_GROUP_H

#include <stddef.h>

#include "../http/router.h"

#define SIGNED_GROUP_MAX 128 /* requests per commit; a full group commits at once */

struct signed_group;

/* A request's store part, run in the group's transaction with rq (its cloud, clock
 * and peer; no body) and arg (the handler's copy). It fills rp and returns 0 (done),
 * 1 (refused: what it wrote, say the nonce and the history row, stays) or -1 (an
 * internal error: what it wrote is undone). */
typedef int (*signed_work_fn)(struct request *rq, struct reply *rp, void *arg);

/* Queues rq's store part (work with a copy of the size bytes at arg, wiped once the
 * request is answered: it may hold a secret) in the current group of rq->c and holds
 * the reply (reply_hold): 0. Without memory: -1 and rp is 500. */
int signed_group_add(struct request *rq, struct reply *rp, signed_work_fn work,
		     const void *arg, size_t size);
/* Drops the queued requests unanswered (the server is stopping). Accepts NULL. */
void signed_group_free(struct signed_group *g);

#endif
