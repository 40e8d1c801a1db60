/* app_task: application tasks on the camera (see app_task.h). Every platform call is
 * bounded by the platform's own timeouts; each confirms its result from the camera's list
 * before it returns, so nothing here is assumed. */
#include "app_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sets each {"name","value"} of the task's params; 0, or -1 with reason. */
static int set_params(struct agent *a, char *reason, size_t reasonsz)
{
	const struct task_run *t = &a->task;
	struct json_doc doc = {0};
	char name[TASK_FIELD_MAX], value[TASK_REASON_MAX];
	int rc = -1;
	if (json_parse(&doc, t->app_params, strlen(t->app_params), 4 + 5 * 32) != 0) {
		snprintf(reason, reasonsz, "the task's parameters are not readable");
		goto out;
	}
	for (int i = 0; i < json_array_len(&doc, 0); i++) {
		int e = json_array_at(&doc, 0, i);
		if (json_get_string(&doc, e, "name", name, sizeof(name)) ||
		    json_get_string(&doc, e, "value", value, sizeof(value))) {
			snprintf(reason, reasonsz, "parameter %d of the task is malformed", i + 1);
			goto out;
		}
		if (a->plat.ops->app_set_param(a->plat.priv, t->app_name, name, value, reason,
					       reasonsz) != 0)
			goto out;
	}
	rc = 0;
out:
	json_free(&doc);
	return rc;
}

static void step_failed(struct app_step *out, const char *what, const char *reason)
{
	out->next = TASK_FAILED;
	snprintf(out->reason, sizeof(out->reason), "%s: %s", what, reason);
}

void app_task_act(struct agent *a, const char *package_path, struct app_step *out)
{
	const struct task_run *t = &a->task;
	const struct platform_ops *ops = a->plat.ops;
	char reason[PLATFORM_REASON_MAX] = "";
	struct platform_app listed;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (!ops->apps_list || !ops->app_install) {
		step_failed(out, t->app_action, "this camera has no application support");
		return;
	}
	if (strcmp(t->app_action, "install") == 0) {
		struct platform_package pkg = {
			.path = package_path, .size = t->size, .sha256_hex = t->sha256,
			.app_name = t->app_name, .version = t->target_version,
		};
		rc = ops->app_install(a->plat.priv, &pkg, &listed, reason, sizeof(reason));
		if (rc == 0 && strcmp(listed.version, t->target_version) != 0) {
			snprintf(reason, sizeof(reason), "the camera lists %s %s, expected %s",
				 t->app_name, listed.version, t->target_version);
			rc = -1;
		}
	} else if (strcmp(t->app_action, "remove") == 0) {
		rc = ops->app_remove(a->plat.priv, t->app_name, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "start") == 0) {
		rc = ops->app_start(a->plat.priv, t->app_name, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "stop") == 0) {
		rc = ops->app_stop(a->plat.priv, t->app_name, reason, sizeof(reason));
	} else if (strcmp(t->app_action, "restart") == 0) {
		rc = ops->app_restart(a->plat.priv, t->app_name, reason, sizeof(reason));
	} else {
		rc = set_params(a, reason, sizeof(reason));
	}
	if (rc < 0) {
		step_failed(out, t->app_action, reason);
		return;
	}
	/* the agent's own app: the camera restarts this process (or we exit for it) */
	out->next = rc == 0 ? TASK_SUCCEEDED : TASK_REBOOTING;
	out->exit_now = rc == PLATFORM_APP_AGENT_EXIT;
}

void app_task_after_restart(struct agent *a, struct app_step *out)
{
	const struct task_run *t = &a->task;
	struct platform_app_list *list = calloc(1, sizeof(*list));
	char reason[PLATFORM_REASON_MAX];
	memset(out, 0, sizeof(*out));
	out->next = TASK_FAILED;
	if (!list || !a->plat.ops->apps_list ||
	    a->plat.ops->apps_list(a->plat.priv, list, reason, sizeof(reason)) != 0) {
		snprintf(out->reason, sizeof(out->reason), "after the restart: %s",
			 list ? "cannot list the camera's applications" : "out of memory");
		free(list);
		return;
	}
	const struct platform_app *app = NULL;
	for (int i = 0; i < list->count && !app; i++)
		if (strcmp(list->apps[i].name, t->app_name) == 0)
			app = &list->apps[i];
	if (!app)
		snprintf(out->reason, sizeof(out->reason),
			 "after the restart the camera does not list %s", t->app_name);
	else if (strcmp(t->app_action, "install") == 0 &&
		 strcmp(app->version, t->target_version) != 0)
		snprintf(out->reason, sizeof(out->reason),
			 "after the restart the camera lists %s %s, expected %s", t->app_name,
			 app->version, t->target_version);
	else if (!app->running)
		snprintf(out->reason, sizeof(out->reason), "after the restart %s is %s",
			 t->app_name, app->status);
	else
		out->next = TASK_VERIFYING_VERSION;
	if (out->next != TASK_FAILED)
		log_info("task %s: the camera lists %s %s %s", t->task_id, t->app_name,
			 app->version, app->status);
	free(list);
}
