/* longpoll: held GET /device/v1/tasks/next requests. Each one has a timer (204 when
 * it fires) and sits in a hash table by device id, so creating a task answers that
 * device's request at once. A device has at most one held request: a newer one
 * answers the older with 204 (this also clears requests of connections that died
 * silently, which libevent cannot detect while a request is pending). */
#ifndef CLOUD_LONGPOLL_H
#define CLOUD_LONGPOLL_H

#include <stddef.h>
#include <stdint.h>
#include <event2/http.h>

#include "../http/router.h"

struct longpoll;

/* Builds the answers of n woken devices ids (not changed) at once, rp[i] for ids[i]:
 * must fill each exactly once, 204 for nothing to say, or leave it and set ticket[i]
 * (0 on entry) when the answer comes later through longpoll_deliver. n is at most
 * LONGPOLL_BATCH. */
#define LONGPOLL_BATCH 256
typedef void (*longpoll_answer_fn)(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n,
				   int64_t now, struct reply *rp, uint64_t *ticket);

struct longpoll *longpoll_new(struct cloud *c, longpoll_answer_fn answer);
/* Forgets every held request without replying. Call before evhttp_free, which
 * then frees the requests together with their connections. */
void longpoll_free(struct longpoll *lp);

/* Takes over ev until it is answered (timeout, wake, replacement) or its
 * connection goes away. -1 when it could not (nothing taken over). */
int longpoll_hold(struct longpoll *lp, struct evhttp_request *ev, const char *device_id,
		  int wait_s, const struct timeval *start);
/* Answers the held request of device_id, if any, through the answer callback; when
 * that has nothing to say (204) the request stays held until its wait ends. */
void longpoll_wake(struct longpoll *lp, const char *device_id);
/* The same for each of the n devices ids that holds a request here (the others are
 * passed over, asking the store nothing): their answers are built LONGPOLL_BATCH at a
 * time, by one call of the answer callback each. */
void longpoll_wake_some(struct longpoll *lp, char (*ids)[DB_ID_LEN], size_t n);
/* 1 when device_id holds a request here that a wake-up would answer (none is promised
 * to it yet), else 0. */
int longpoll_waiting(struct longpoll *lp, const char *device_id);
/* The answer promised under ticket: sent when device_id's request is the one that was
 * promised it and still held (1); else dropped (0: the request was answered 204 by its
 * timer or a newer poll, or went away; the task is still pending for the next poll).
 * A request awaiting its answer is not woken again. */
int longpoll_deliver(struct longpoll *lp, const char *device_id, uint64_t ticket,
		     struct reply *rp);
size_t longpoll_count(const struct longpoll *lp);

#endif
