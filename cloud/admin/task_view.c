/* task_view: the caller's view, with expired tasks failed first. */
#include "task_view.h"

#include "../domain/jobs.h"
#include "../http/reply.h"

int task_view(struct request *rq, struct reply *rp, struct access_view *v)
{
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, v) != 0)
		return -1;
	if (tasks_expire(rq->c->store, NULL, rq->now) < 0) {
		reply_internal(rp);
		return -1;
	}
	return 0;
}
