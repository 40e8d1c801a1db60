/* app_task: what an application task (payload kind "app", protocol §6a) does on the
 * camera, through the platform's application operations: reading its payload, acting
 * (install, remove, start, stop, restart, set_params) and confirming the result from the
 * camera's own list after the agent's own app restarted it. It decides the next state;
 * tasks.c makes every transition. */
#ifndef CAM_AGENT_APP_TASK_H
#define CAM_AGENT_APP_TASK_H

#include "../lib/json.h"
#include "tasks.h"

struct agent;

#define APP_RESTART_WAIT_S 300 /* how long the camera may take to restart the new agent */

/* Reads the app-specific fields of a verified payload into t; -1 when one is missing or
 * malformed. */
int app_task_payload_read(struct task_run *t, const struct json_doc *doc);

/* What acting or confirming came to. */
struct app_step {
	enum task_state next;         /* TASK_SUCCEEDED, TASK_FAILED or TASK_REBOOTING */
	int exit_now;                 /* with TASK_REBOOTING: exit, the supervisor restarts us */
	char reason[TASK_REASON_MAX]; /* with TASK_FAILED */
};

/* The result comes to done on the loop, later; every action of a task goes there. */
typedef void (*app_step_fn)(struct agent *a, const struct app_step *step);
/* The installing step: package_path is the verified download (install only). 0 when it
 * goes on on the camera (done brings the step); -1 when it could not start (out says). */
int app_task_act(struct agent *a, const char *package_path, app_step_fn done,
		 struct app_step *out);
/* After the agent's own app was replaced or restarted: TASK_VERIFYING_VERSION when the
 * camera lists the app at the task's version (install) and running, else TASK_FAILED;
 * started and answered as app_task_act. */
int app_task_after_restart(struct agent *a, app_step_fn done, struct app_step *out);

#endif
