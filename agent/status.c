/* status: a snapshot of the agent for people (camagent status, settings page). */
#include "status.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "../lib/buf.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "agent.h"

#define STATUS_FILE "status.json"
#define STATUS_MAX (32 * 1024)

int status_json(struct agent *a, struct buf *out)
{
	struct json_writer w;

	jw_init(&w, out);
	jw_object_begin(&w);
	jw_kv_string(&w, "enroll", enroll_state_name(a->st.enroll));
	jw_kv_string(&w, "device_id", a->st.device_id);
	jw_kv_string(&w, "org", a->st.org);
	jw_kv_string(&w, "folder", a->st.folder);
	jw_kv_string(&w, "cloud_url", a->st.cloud_url);
	jw_kv_string(&w, "serial", a->ident.serial);
	jw_kv_string(&w, "model", a->ident.model);
	jw_kv_string(&w, "os_version", a->ident.os_version);
	jw_kv_string(&w, "agent_version", a->agent_version);
	jw_kv_int(&w, "last_contact", a->last_contact);
	jw_kv_string(&w, "last_error", a->st.last_error);
	jw_kv_string(&w, "camera_not_ready", a->camera_not_ready);
	/* The task in progress, or else the last one that ended. */
	jw_key(&w, "task");
	if (a->task.state != TASK_NONE) {
		jw_object_begin(&w);
		jw_kv_string(&w, "id", a->task.task_id);
		jw_kv_string(&w, "state", task_state_name(a->task.state));
		jw_kv_string(&w, "target_version", a->task.target_version);
		jw_kv_int(&w, "progress", a->task.progress);
		jw_kv_string(&w, "reason", a->task.reason);
		jw_object_end(&w);
	} else if (a->st.last_task_id[0]) {
		jw_object_begin(&w);
		jw_kv_string(&w, "id", a->st.last_task_id);
		jw_kv_string(&w, "state", a->st.last_task_state);
		jw_kv_string(&w, "target_version", a->st.last_task_target);
		jw_kv_int(&w, "progress", 100);
		jw_kv_string(&w, "reason", a->st.last_task_reason);
		jw_object_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "licenses");
	jw_array_begin(&w);
	for (int i = 0; i < a->licenses.count; i++) {
		jw_object_begin(&w);
		jw_kv_string(&w, "app", a->licenses.items[i].app);
		jw_kv_string(&w, "state", a->licenses.items[i].state);
		jw_kv_string(&w, "reason", a->licenses.items[i].reason);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	return jw_finish(&w);
}

void status_write(struct agent *a)
{
	char path[PATH_MAX];
	struct buf out;

	buf_init(&out, STATUS_MAX);
	if (status_json(a, &out) || state_path(path, sizeof(path), a->cfg.state_dir, STATUS_FILE) ||
	    fs_write_atomic(path, out.data, out.len, 0644))
		log_warn("cannot write %s/%s: %s", a->cfg.state_dir, STATUS_FILE, strerror(errno));
	a->status_written_at = agent_now(a);
	buf_free(&out);
}

static void print_field(FILE *out, const struct json_doc *doc, const char *label, const char *key)
{
	char v[512];
	if (json_get_string(doc, 0, key, v, sizeof(v)) || !v[0])
		snprintf(v, sizeof(v), "-");
	fprintf(out, "%-16s %s\n", label, v);
}

int status_print(const char *state_dir, FILE *out)
{
	char path[PATH_MAX], v[512];
	struct buf text;
	struct json_doc doc = { 0 };
	int64_t last = 0, progress = 0;
	int rc = -1;

	buf_init(&text, STATUS_MAX);
	if (state_path(path, sizeof(path), state_dir, STATUS_FILE) ||
	    fs_read_file(path, &text, STATUS_MAX)) {
		fprintf(stderr, "camagent: no status in %s (has the agent run?): %s\n", state_dir,
			strerror(errno));
		goto out;
	}
	if (json_parse(&doc, buf_str(&text), text.len, 512)) {
		fprintf(stderr, "camagent: %s is damaged\n", path);
		goto out;
	}
	print_field(out, &doc, "enrollment:", "enroll");
	print_field(out, &doc, "organization:", "org");
	print_field(out, &doc, "folder:", "folder");
	print_field(out, &doc, "device id:", "device_id");
	print_field(out, &doc, "cloud:", "cloud_url");
	print_field(out, &doc, "serial:", "serial");
	print_field(out, &doc, "model:", "model");
	print_field(out, &doc, "AXIS OS:", "os_version");
	(void)json_get_int64(&doc, 0, "last_contact", &last);
	if (last > 0) {
		time_t t = (time_t)last;
		struct tm tm;
		strftime(v, sizeof(v), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	} else {
		snprintf(v, sizeof(v), "never");
	}
	fprintf(out, "%-16s %s\n", "last contact:", v);
	print_field(out, &doc, "last error:", "last_error");
	print_field(out, &doc, "camera:", "camera_not_ready");
	int task = json_find(&doc, 0, "task");
	if (task >= 0 && json_type_of(&doc, task) == JSON_OBJECT) {
		char id[64] = "", state[32] = "", target[64] = "", reason[256] = "";
		(void)json_get_string(&doc, task, "id", id, sizeof(id));
		(void)json_get_string(&doc, task, "state", state, sizeof(state));
		(void)json_get_string(&doc, task, "target_version", target, sizeof(target));
		(void)json_get_string(&doc, task, "reason", reason, sizeof(reason));
		(void)json_get_int64(&doc, task, "progress", &progress);
		fprintf(out, "%-16s %s -> %s: %s %lld%%%s%s\n", "task:", id, target, state,
			(long long)progress, reason[0] ? " " : "", reason);
	} else {
		fprintf(out, "%-16s none\n", "task:");
	}
	int lic = json_find(&doc, 0, "licenses");
	for (int i = 0; i < json_array_len(&doc, lic); i++) {
		char app[64] = "", state[32] = "", reason[256] = "";
		int e = json_array_at(&doc, lic, i);
		(void)json_get_string(&doc, e, "app", app, sizeof(app));
		(void)json_get_string(&doc, e, "state", state, sizeof(state));
		(void)json_get_string(&doc, e, "reason", reason, sizeof(reason));
		fprintf(out, "%-16s %s: %s%s%s\n", "license:", app, state, reason[0] ? " - " : "", reason);
	}
	rc = 0;
out:
	json_free(&doc);
	buf_free(&text);
	return rc;
}
