/* task_answers: what GET /device/v1/tasks/next answers, for a slice of devices at once
 * (a fleet's wake-up) or for one (a poll arriving): the same few statements whatever
 * the number of devices, each run once for those no earlier step has answered. It is
 * the one way an answer is built. Not the long poll (longpoll.c), nor a task's wire
 * form (payload.c). */
#ifndef CLOUD_TASK_ANSWERS_H
#define CLOUD_TASK_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

#include "../http/reply.h"
#include "../store/store.h"

#define TASK_ANSWERS_MAX 256

struct cloud;

enum task_answers_mode {
	TASK_ANSWERS_LIVE,          /* the devices are live (a poll the router authenticated) */
	TASK_ANSWERS_CHECK_REMOVED, /* a removed device is answered 410 (a held poll woken) */
};

/* Answers each of the n (at most TASK_ANSWERS_MAX) devices ids (not changed), the first
 * that applies: 410 when it was removed (CHECK_REMOVED only); then, once its overdue
 * tasks have failed, 200 {"task": null, "cancelled": [ids]} for tasks an admin cancelled
 * after it had started them (told once); 200 {"task": envelope} for its oldest pending
 * task unless it is busy with one it reported on; 200 {"task": null, "check":
 * ["licenses"]} while a license issued since it last fetched them waits. outcome[i] is 1 when
 * rp[i] holds the answer, 0 when there is none (rp[i] untouched), -1 after a store
 * error (rp[i]: 500), TASK_ANSWER_SEALING when the answer is a task envelope that the
 * seal pool signs (rp[i] untouched): only when ticket is not NULL, which then gets the
 * pool's ticket in ticket[i]; task_answer_sealed makes the reply once it is back. */
#define TASK_ANSWER_SEALING 2
void task_answers(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n, enum task_answers_mode mode,
		  int64_t now, struct reply *rp, int *outcome, uint64_t *ticket);
/* rp: 200 {"task": env}, or 500 when env is NULL (its sealing failed). */
void task_answer_sealed(struct reply *rp, const struct buf *env);

#endif
