/* app_task: application tasks on the camera (see app_task.h). Every platform call runs
 * on the loop, bounded by the platform's own timeouts; each confirms its result from the
 * camera's list before it answers, so nothing here is assumed. */
#include "app_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "../lib/log.h"
#include "../lib/protocol.h"
#include "agent.h"

static const char *const actions[] = {"install", "remove", "start", "stop", "restart",
				      "set_params", NULL};

int app_task_payload_read(struct task_run *t, const struct json_doc *doc)
{
	size_t len = 0;
	int ok = 0;
	if (json_get_string(doc, 0, "action", t->app_action, sizeof(t->app_action)) ||
	    json_get_string(doc, 0, "app", t->app_name, sizeof(t->app_name)) ||
	    json_get_string(doc, 0, "version", t->target_version, sizeof(t->target_version)))
		return -1;
	for (int i = 0; actions[i]; i++)
		ok |= strcmp(t->app_action, actions[i]) == 0;
	int params = json_find(doc, 0, "params");
	const char *raw = params >= 0 ? json_tok_raw(doc, params, &len) : NULL;
	if (!ok || !t->app_name[0] || json_array_len(doc, params) < 0 || !raw ||
	    len >= sizeof(t->app_params))
		return -1;
	memcpy(t->app_params, raw, len);
	t->app_params[len] = '\0';
	if (strcmp(t->app_action, "install") == 0)
		return t->target_version[0] ? 0 : -1;
	/* no package: the artifact is null */
	int art = json_find(doc, 0, "artifact");
	return art >= 0 && json_tok_is_null(doc, art) ? 0 : -1;
}

static void step_failed(struct app_step *out, const char *what, const char *reason)
{
	out->next = TASK_FAILED;
	snprintf(out->reason, sizeof(out->reason), "%s: %s", what, reason);
}

/* Every action ends here, on the loop: rc as the platform said (0, PLATFORM_APP_* or -1). */
static void acted(struct agent *a, int rc, const char *reason)
{
	const struct task_run *t = &a->task;
	struct app_step step;
	memset(&step, 0, sizeof(step));
	if (rc < 0) {
		step_failed(&step, t->app_action, reason);
	} else {
		/* the agent's own app: the camera restarts this process (or we exit for it) */
		step.next = rc == 0 ? TASK_SUCCEEDED : TASK_REBOOTING;
		step.exit_now = rc == PLATFORM_APP_AGENT_EXIT;
	}
	a->app_acted(a, &step);
}

static void on_done(void *arg, int rc, const char *reason)
{
	acted(arg, rc, reason);
}

static void on_installed(void *arg, int rc, const char *reason, const struct platform_app *app)
{
	struct agent *a = arg;
	const struct task_run *t = &a->task;
	char why[PLATFORM_REASON_MAX];
	if (rc >= 0 && strcmp(app->version, t->target_version) != 0) {
		snprintf(why, sizeof(why), "the camera lists %s %s, expected %s", t->app_name,
			 app->version, t->target_version);
		acted(a, -1, why);
		return;
	}
	acted(a, rc, reason);
}

/* set_params: one {"name","value"} of the task's params after the other, from a->app_param
 * on. 0 when the next was started (or all are set: then acted), -1 with reason. */
static int set_next_param(struct agent *a, char *reason, size_t reasonsz);

static void on_param_set(void *arg, int rc, const char *reason)
{
	struct agent *a = arg;
	char why[PLATFORM_REASON_MAX];
	if (rc < 0) {
		acted(a, -1, reason);
		return;
	}
	a->app_param++;
	if (set_next_param(a, why, sizeof(why)) != 0)
		acted(a, -1, why);
}

static void on_params_all_set(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	acted(arg, 0, NULL);
}

static int set_next_param(struct agent *a, char *reason, size_t reasonsz)
{
	const struct task_run *t = &a->task;
	struct json_doc doc = {0};
	char name[TASK_FIELD_MAX], value[TASK_REASON_MAX];
	int rc = -1;
	if (json_parse(&doc, t->app_params, strlen(t->app_params), 4 + 5 * 32) != 0) {
		snprintf(reason, reasonsz, "the task's parameters are not readable");
		goto out;
	}
	if (a->app_param >= json_array_len(&doc, 0)) {
		/* through the loop, as every platform answer comes */
		const struct timeval now = {0, 0};
		rc = event_base_once(a->base, -1, EV_TIMEOUT, on_params_all_set, a, &now);
		if (rc != 0)
			snprintf(reason, reasonsz, "cannot schedule the task's end");
		goto out;
	}
	int e = json_array_at(&doc, 0, a->app_param);
	if (json_get_string(&doc, e, "name", name, sizeof(name)) ||
	    json_get_string(&doc, e, "value", value, sizeof(value))) {
		snprintf(reason, reasonsz, "parameter %d of the task is malformed", a->app_param + 1);
		goto out;
	}
	rc = a->plat.ops->app_set_param(a->plat.priv, t->app_name, name, value, on_param_set, a,
					reason, reasonsz);
out:
	json_free(&doc);
	return rc;
}

int app_task_act(struct agent *a, const char *package_path, app_step_fn done,
		 struct app_step *out)
{
	const struct task_run *t = &a->task;
	const struct platform_ops *ops = a->plat.ops;
	void *p = a->plat.priv;
	char reason[PLATFORM_REASON_MAX] = "";
	int rc;
	memset(out, 0, sizeof(*out));
	if (!ops->apps_list || !ops->app_install) {
		step_failed(out, t->app_action, "this camera has no application support");
		return -1;
	}
	a->app_acted = done;
	if (strcmp(t->app_action, "install") == 0) {
		struct platform_package pkg = {
			.path = package_path, .size = t->size, .sha256_hex = t->sha256,
			.app_name = t->app_name, .version = t->target_version,
		};
		rc = ops->app_install(p, &pkg, on_installed, a, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "remove") == 0) {
		rc = ops->app_remove(p, t->app_name, on_done, a, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "start") == 0) {
		rc = ops->app_start(p, t->app_name, on_done, a, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "stop") == 0) {
		rc = ops->app_stop(p, t->app_name, on_done, a, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "restart") == 0) {
		rc = ops->app_restart(p, t->app_name, on_done, a, reason, sizeof(reason));
	} else {
		a->app_param = 0;
		rc = set_next_param(a, reason, sizeof(reason));
	}
	if (rc != 0) {
		step_failed(out, t->app_action, reason);
		return -1;
	}
	return 0;
}

static void on_listed_after_restart(void *arg, int rc, const char *reason,
				    const struct platform_app_list *list)
{
	struct agent *a = arg;
	const struct task_run *t = &a->task;
	struct app_step step;
	memset(&step, 0, sizeof(step));
	step.next = TASK_FAILED;
	const struct platform_app *app = NULL;
	for (int i = 0; rc >= 0 && i < list->count && !app; i++)
		if (strcmp(list->apps[i].name, t->app_name) == 0)
			app = &list->apps[i];
	if (rc < 0)
		snprintf(step.reason, sizeof(step.reason),
			 "after the restart: cannot list the camera's applications: %s", reason);
	else if (!app)
		snprintf(step.reason, sizeof(step.reason),
			 "after the restart the camera does not list %s", t->app_name);
	else if (strcmp(t->app_action, "install") == 0 &&
		 strcmp(app->version, t->target_version) != 0)
		snprintf(step.reason, sizeof(step.reason),
			 "after the restart the camera lists %s %s, expected %s", t->app_name,
			 app->version, t->target_version);
	else if (!app->running)
		snprintf(step.reason, sizeof(step.reason), "after the restart %s is %s",
			 t->app_name, app->status);
	else
		step.next = TASK_VERIFYING_VERSION;
	if (step.next != TASK_FAILED)
		log_info("task %s: the camera lists %s %s %s", t->task_id, t->app_name,
			 app->version, app->status);
	a->app_acted(a, &step);
}

int app_task_after_restart(struct agent *a, app_step_fn done, struct app_step *out)
{
	char reason[PLATFORM_REASON_MAX];
	memset(out, 0, sizeof(*out));
	out->next = TASK_FAILED;
	a->app_acted = done;
	if (!a->plat.ops->apps_list) {
		snprintf(out->reason, sizeof(out->reason),
			 "after the restart: this camera has no application support");
		return -1;
	}
	if (a->plat.ops->apps_list(a->plat.priv, on_listed_after_restart, a, reason,
				   sizeof(reason)) != 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "after the restart: cannot list the camera's applications: %s", reason);
		return -1;
	}
	return 0;
}
