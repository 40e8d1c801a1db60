/* task_view: what the admin listings of tasks and jobs start from: the caller's view
 * (access_view) with the tasks past their expiry failed first, so a listing never
 * shows a task as pending after it expired. */
#ifndef CLOUD_TASK_VIEW_H
#define CLOUD_TASK_VIEW_H

#include "../http/access.h"

/* The caller's view of the organization in the query's org_id (NEED_READ), after
 * tasks_expire(). 0, or -1 with rp filled (the gate's refusal, or 500). */
int task_view(struct request *rq, struct reply *rp, struct access_view *v);

#endif
