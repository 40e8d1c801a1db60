/* task_store: the current task as task.json, plus the state names and the
 * version comparison both the store and the machine use. */
#include "tasks.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/protocol.h"
#include "state.h"

#define TASK_FILE "task.json"
#define TASK_FILE_MAX (16 * 1024)

static const char *const names[] = { "none", PROTO_TASK_STATES };

const char *task_state_name(enum task_state s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int task_state_parse(const char *name, enum task_state *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum task_state)i;
			return 0;
		}
	}
	return -1;
}

/* The fields of an application task, absent from an OS upgrade's file. */
static int app_fields_read(const struct json_doc *doc, struct task_run *t)
{
	if (json_find(doc, 0, "app_action") < 0)
		return 0;
	return json_get_string(doc, 0, "app_action", t->app_action, sizeof(t->app_action)) ||
			       json_get_string(doc, 0, "app_name", t->app_name, sizeof(t->app_name)) ||
			       json_get_string(doc, 0, "app_params", t->app_params,
					       sizeof(t->app_params)) || !t->app_action[0]
		       ? -1
		       : 0;
}

/* task.json's shape: every field there and valid; a failed task needs only its id. */
static int task_shape(const struct json_doc *doc, void *out, char *err, size_t errsz)
{
	char state[32] = "", reported[32] = "", window[WINDOW_TEXT_MAX] = "";
	struct task_run *t = out;
	int64_t n = 0, progress = 0;

	memset(t, 0, sizeof(*t));
	if (json_get_string(doc, 0, "state", state, sizeof(state)) ||
	    task_state_parse(state, &t->state) ||
	    json_get_string(doc, 0, "reported", reported, sizeof(reported)) ||
	    task_state_parse(reported, &t->reported) ||
	    json_get_string(doc, 0, "task_id", t->task_id, sizeof(t->task_id)) ||
	    json_get_string(doc, 0, "model", t->model, sizeof(t->model)) ||
	    json_get_string(doc, 0, "target_version", t->target_version, sizeof(t->target_version)) ||
	    json_get_string(doc, 0, "from_version", t->from_version, sizeof(t->from_version)) ||
	    json_get_string(doc, 0, "artifact_url", t->artifact_url, sizeof(t->artifact_url)) ||
	    json_get_string(doc, 0, "sha256", t->sha256, sizeof(t->sha256)) ||
	    json_get_int64(doc, 0, "size", &n) || n < 0 ||
	    json_get_bool(doc, 0, "allow_downgrade", &t->allow_downgrade) ||
	    json_get_int64(doc, 0, "exp", &t->exp) ||
	    json_get_string(doc, 0, "reason", t->reason, sizeof(t->reason)) ||
	    json_get_string(doc, 0, "window", window, sizeof(window)) ||
	    window_from_text(window, &t->window) ||
	    !proto_is_id(t->task_id) || app_fields_read(doc, t) != 0 ||
	    (t->state != TASK_FAILED && !task_is_app_without_package(t) &&
	     !tasks_fields_valid(t->task_id, t->artifact_url, t->sha256, n, t->exp))) {
		snprintf(err, errsz, "not a valid task file");
		return -1;
	}
	t->size = (uint64_t)n;
	(void)json_get_int64(doc, 0, "progress", &progress);
	t->progress = progress >= 0 && progress <= 100 ? (int)progress : 0;
	return 0;
}

/* What is left of a damaged task file: its task id, when that is still a valid id. */
static void damaged_task_id(const char *state_dir, char *id, size_t idsz)
{
	struct json_file f;
	id[0] = '\0';
	char err[64];
	if (json_file_read(&f, state_dir, TASK_FILE ".damaged", TASK_FILE_MAX, 64, err,
			   sizeof(err)) == 0 &&
	    (json_get_string(&f.doc, 0, "task_id", id, idsz) || !proto_is_id(id)))
		id[0] = '\0';
	json_file_free(&f);
}

int task_store_load(const char *state_dir, struct task_run *t, char *err, size_t errsz)
{
	memset(t, 0, sizeof(*t));
	int rc = json_file_load(state_dir, TASK_FILE, TASK_FILE_MAX, 64, task_shape, t, err, errsz);
	if (rc != -1)
		return rc == JSON_FILE_MISSING ? 0 : rc;
	memset(t, 0, sizeof(*t));
	damaged_task_id(state_dir, t->task_id, sizeof(t->task_id));
	if (t->task_id[0]) {
		/* The cloud hears why; nothing else of the task can be trusted. */
		t->state = TASK_FAILED;
		t->reported = TASK_NONE;
		snprintf(t->reason, sizeof(t->reason), "the agent's task record was damaged");
	}
	return -1;
}

int task_store_save(const char *state_dir, const struct task_run *t)
{
	char window[WINDOW_TEXT_MAX];
	struct buf out;
	struct json_writer w;

	if (window_to_text(&t->window, window, sizeof(window)))
		return -1;
	buf_init(&out, TASK_FILE_MAX);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_kv_string(&w, "state", task_state_name(t->state));
	jw_kv_string(&w, "reported", task_state_name(t->reported));
	jw_kv_string(&w, "task_id", t->task_id);
	jw_kv_string(&w, "model", t->model);
	jw_kv_string(&w, "target_version", t->target_version);
	jw_kv_string(&w, "from_version", t->from_version);
	jw_kv_string(&w, "artifact_url", t->artifact_url);
	jw_kv_string(&w, "sha256", t->sha256);
	jw_kv_int(&w, "size", (int64_t)t->size);
	jw_kv_bool(&w, "allow_downgrade", t->allow_downgrade);
	jw_kv_int(&w, "exp", t->exp);
	jw_kv_int(&w, "progress", t->progress);
	jw_kv_string(&w, "reason", t->reason);
	jw_kv_string(&w, "window", window);
	if (t->app_action[0]) {
		jw_kv_string(&w, "app_action", t->app_action);
		jw_kv_string(&w, "app_name", t->app_name);
		jw_kv_string(&w, "app_params", t->app_params);
	}
	jw_object_end(&w);
	int rc = json_file_write(state_dir, TASK_FILE, &w, 0600);
	buf_free(&out);
	return rc;
}

int task_store_clear(const char *state_dir)
{
	return json_file_remove(state_dir, TASK_FILE);
}
