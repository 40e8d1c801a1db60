/* tasks: the upgrade state machine. Every edge goes through task_set_state(),
 * which persists task.json first and makes the transition only when the save
 * worked (logging old -> new); a failed save leaves the old state and backs off.
 *
 *   state             what holds                          left by (function: -> next)
 *   received          verified, bound envelope stored     tasks_advance/check_received: -> downloading | failed
 *   downloading       partial image in the state dir      on_download_done: -> verifying | failed
 *   verifying         image complete, size + hash matched install_allowed: -> waiting_window | installing | failed
 *   waiting_window    verified image, window not open     install_allowed: -> installing | failed
 *   installing        platform writes the inactive slot   install (at once) or
 *                                                         on_install_done (a camera's
 *                                                         upload, on the loop): -> rebooting | failed
 *   rebooting         slot armed, image deleted           reboot (exit) / tasks_resume: -> verifying_version | failed
 *   verifying_version booted the new slot, uncommitted    confirm_version: -> succeeded | failed
 *   succeeded/failed  final; kept until reported          on_status_reported: cleared
 *
 * Resume edges (tasks_resume, after a restart): verifying, waiting_window and
 * installing -> downloading (the image may have been touched while we were not
 * running: hash it again, fetching what is missing); rebooting -> verifying_version
 * or failed by the platform's boot outcome; verifying_version -> failed when the
 * camera runs another version. Any state -> failed on a refusal; a cancellation
 * before installing clears the task. */
#include "tasks.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/envelope.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/protocol.h"
#include "../lib/memstat.h"
#include "../lib/version.h"
#include "agent.h"
#include "api.h"
#include "app_task.h"
#include "download.h"
#include "status.h"

#define DOWNLOAD_ATTEMPTS_MAX 10
#define FREE_SPACE_MARGIN (1024 * 1024)
#define PROGRESS_STEP 10          /* report at least every 10 % ... */
#define PROGRESS_MIN_INTERVAL 2   /* ... or every 2 s when it moved */
#define ENVELOPE_SKEW_S 300

static int task_set_state(struct agent *a, enum task_state next, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The one setter: 0 when the task is now in next (persisted), -1 when the save
 * failed and the task stays where it was (the sequencer backs off and retries). */
static int task_set_state(struct agent *a, enum task_state next, const char *fmt, ...)
{
	struct task_run *t = &a->task;
	struct task_run before = *t;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
		va_end(ap);
	}
	t->state = next;
	if (task_store_save(a->cfg.state_dir, t)) {
		int err = errno;
		*t = before;
		log_error("task %s: %s -> %s not made: cannot persist it in %s: %s", t->task_id,
			  task_state_name(t->state), task_state_name(next), a->cfg.state_dir,
			  strerror(err));
		agent_fail(a, FAIL_LOCAL, "task %s: cannot save its state", t->task_id);
		return -1;
	}
	if (next == TASK_FAILED)
		log_error("task %s: %s -> failed: %s", t->task_id, task_state_name(before.state),
			  t->reason);
	else
		log_info("task %s: %s -> %s", t->task_id, task_state_name(before.state),
			 task_state_name(next));
	if (a->crash_after && !strcmp(a->crash_after, task_state_name(next))) {
		log_warn("test hook: power cut right after entering %s", task_state_name(next));
		raise(SIGKILL);
	}
	status_write(a);
	return 0;
}

int tasks_active(const struct agent *a)
{
	return a->task.state != TASK_NONE;
}

static int download_path(const struct agent *a, char *out, size_t outsz)
{
	char name[TASK_FIELD_MAX + 32];
	snprintf(name, sizeof(name), "download-%s.img", a->task.task_id);
	return state_path(out, outsz, a->cfg.state_dir, name);
}

static void remove_download(struct agent *a)
{
	char path[PATH_MAX];
	if (!download_path(a, path, sizeof(path)) && unlink(path) && errno != ENOENT)
		log_warn("cannot delete %s: %s", path, strerror(errno));
}

static void task_clear(struct agent *a)
{
	if (a->task.dl)
		download_cancel(a->task.dl);
	remove_download(a);
	if (task_store_clear(a->cfg.state_dir))
		log_error("cannot delete the task file in %s: %s", a->cfg.state_dir, strerror(errno));
	memset(&a->task, 0, sizeof(a->task));
	status_write(a);
}

void tasks_abandon(struct agent *a)
{
	if (tasks_active(a))
		log_warn("task %s abandoned in state %s", a->task.task_id, task_state_name(a->task.state));
	task_clear(a);
}

/* --- receiving a task --- */

/* The fields of an application task's payload (kind "app"). */
static int app_payload_read(struct task_run *t, const struct json_doc *doc)
{
	int64_t size = 0;
	if (json_get_string(doc, 0, "task_id", t->task_id, sizeof(t->task_id)) ||
	    json_get_int64(doc, 0, "exp", &t->exp) ||
	    window_from_json(doc, json_find(doc, 0, "window"), &t->window) ||
	    app_task_payload_read(t, doc))
		return -1;
	if (task_is_app_without_package(t))
		return proto_is_id(t->task_id) && proto_time_ok(t->exp) ? 0 : -1;
	if (json_get_string(doc, 0, "artifact.url", t->artifact_url, sizeof(t->artifact_url)) ||
	    json_get_int64(doc, 0, "artifact.size", &size) ||
	    json_get_string(doc, 0, "artifact.sha256", t->sha256, sizeof(t->sha256)) ||
	    !tasks_fields_valid(t->task_id, t->artifact_url, t->sha256, size, t->exp))
		return -1;
	t->size = (uint64_t)size;
	return 0;
}

int task_is_app_without_package(const struct task_run *t)
{
	return t->app_action[0] && strcmp(t->app_action, "install") != 0;
}

int task_payload_read(struct task_run *t, const char *payload, size_t len)
{
	struct json_doc doc = { 0 };
	char kind[32] = "";
	int64_t size = 0;
	int rc = -1;
	if (json_parse(&doc, payload, len, 128 + 5 * 32))
		goto out;
	if (!json_get_string(&doc, 0, "kind", kind, sizeof(kind)) && !strcmp(kind, "app")) {
		rc = app_payload_read(t, &doc);
		goto out;
	}
	if (json_get_string(&doc, 0, "task_id", t->task_id, sizeof(t->task_id)) ||
	    json_get_string(&doc, 0, "kind", kind, sizeof(kind)) || strcmp(kind, "os_upgrade") ||
	    json_get_string(&doc, 0, "model", t->model, sizeof(t->model)) ||
	    json_get_string(&doc, 0, "target_version", t->target_version, sizeof(t->target_version)) ||
	    json_get_bool(&doc, 0, "allow_downgrade", &t->allow_downgrade) ||
	    json_get_string(&doc, 0, "artifact.url", t->artifact_url, sizeof(t->artifact_url)) ||
	    json_get_int64(&doc, 0, "artifact.size", &size) ||
	    json_get_string(&doc, 0, "artifact.sha256", t->sha256, sizeof(t->sha256)) ||
	    json_get_int64(&doc, 0, "exp", &t->exp) ||
	    window_from_json(&doc, json_find(&doc, 0, "window"), &t->window) ||
	    !tasks_fields_valid(t->task_id, t->artifact_url, t->sha256, size, t->exp))
		goto out;
	t->size = (uint64_t)size;
	rc = 0;
out:
	json_free(&doc);
	return rc;
}

int tasks_fields_valid(const char *task_id, const char *artifact_url, const char *sha256,
		       int64_t size, int64_t exp)
{
	return proto_is_id(task_id) && proto_is_artifact_path(artifact_url) &&
	       proto_is_sha256(sha256) && size > 0 && (uint64_t)size <= PROTO_SIZE_MAX &&
	       proto_time_ok(exp);
}

/* The id of a payload whose signature verified but whose binding or fields did
 * not: usable to report the refusal when it has the shape of an id. */
static void verified_task_id(const struct buf *payload, char *out, size_t outsz)
{
	struct json_doc doc = { 0 };
	out[0] = '\0';
	if (json_parse(&doc, payload->data, payload->len, 128) ||
	    json_get_string(&doc, 0, "task_id", out, outsz) || !proto_is_id(out))
		out[0] = '\0';
	json_free(&doc);
}

/* Verifies an envelope and makes it the current task (received or failed).
 * -1 when nothing in it may be used: an envelope whose signature does not verify
 * is not read at all, not even its id. */
static int task_accept(struct agent *a, const char *env, size_t len)
{
	struct task_run *t = &a->task;
	struct buf payload;
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	struct envelope_binding want = {
		.type = "task", .device_id = a->st.device_id, .serial = a->ident.serial,
		.now = agent_now(a), .max_skew = ENVELOPE_SKEW_S,
	};
	enum envelope_err e = envelope_open(a->cloud_key, env, len, &payload);
	if (e != ENVELOPE_OK) {
		log_error("refusing a task envelope: %s", envelope_strerror(e));
		buf_free(&payload);
		return -1;
	}
	e = envelope_check_binding(payload.data, payload.len, &want);
	memset(t, 0, sizeof(*t));
	snprintf(t->from_version, sizeof(t->from_version), "%s", a->ident.os_version);
	if (e != ENVELOPE_OK || task_payload_read(t, payload.data, payload.len)) {
		const char *why = e != ENVELOPE_OK ? envelope_strerror(e) : "malformed task payload";
		memset(t, 0, sizeof(*t));
		verified_task_id(&payload, t->task_id, sizeof(t->task_id));
		log_error("refusing task %s: %s", t->task_id[0] ? t->task_id : "(no valid id)", why);
		buf_free(&payload);
		if (!t->task_id[0]) {
			memset(t, 0, sizeof(*t));
			return -1;
		}
		snprintf(t->from_version, sizeof(t->from_version), "%s", a->ident.os_version);
		t->state = TASK_RECEIVED;
		if (task_set_state(a, TASK_FAILED, "refused: %s", why))
			memset(t, 0, sizeof(*t));
		return 0;
	}
	buf_free(&payload);
	if (t->app_action[0])
		log_info("task %s: %s %s %s", t->task_id, t->app_action, t->app_name,
			 t->target_version);
	else
		log_info("task %s: upgrade AXIS OS %s -> %s (%llu bytes)", t->task_id,
			 t->from_version, t->target_version, (unsigned long long)t->size);
	t->state = TASK_NONE;
	if (task_set_state(a, TASK_RECEIVED, NULL))
		memset(t, 0, sizeof(*t));
	return 0;
}

static enum call_outcome on_poll_refused(struct agent *a, const struct api_result *r)
{
	snprintf(a->st.last_error, sizeof(a->st.last_error), "task poll refused: %s (%s)",
		 r->message, r->code);
	return CALL_BACKOFF;
}

/* A reply that came before its wait was up and brought no task to act on (a hint at
 * most: hinted). */
static enum call_outcome nothing(struct agent *a, int hinted)
{
	if (agent_elapsed_s(a) - a->poll_started_at + 1 >= a->poll_wait)
		return CALL_DONE; /* held for its whole wait: the normal idle case */
	if (hinted)
		return CALL_HINT;
	/* Early: while a task waits, it may mean the task changed (cancelled): say
	 * our state again, the reply tells. */
	if (a->task.state == TASK_WAITING_WINDOW)
		a->task.progress_reported_at = 0;
	return CALL_EARLY;
}

static enum call_outcome on_poll(struct agent *a, const struct http_response *resp)
{
	struct json_doc doc = { 0 };
	if (resp->status == 204)
		return nothing(a, 0);
	if (json_parse(&doc, buf_str(&resp->body), resp->body.len, 256) ||
	    json_type_of(&doc, 0) != JSON_OBJECT) {
		json_free(&doc);
		return CALL_MALFORMED;
	}
	int hint = json_find(&doc, 0, "check"), hinted = 0;
	for (int i = 0; i < json_array_len(&doc, hint); i++) {
		char what[32];
		if (!json_tok_string(&doc, json_array_at(&doc, hint, i), what, sizeof(what)) &&
		    !strcmp(what, "licenses"))
			a->next_license_check = 0, hinted = 1;
	}
	int task = json_find(&doc, 0, "task");
	if (task >= 0 && json_type_of(&doc, task) != JSON_OBJECT && !json_tok_is_null(&doc, task)) {
		json_free(&doc);
		return CALL_MALFORMED; /* "task": 5, "task": "x" */
	}
	if (task < 0 || json_tok_is_null(&doc, task) || tasks_active(a)) {
		/* No task, or one while ours is still running: it waits its turn. */
		json_free(&doc);
		return nothing(a, hinted);
	}
	size_t len;
	const char *env = json_tok_raw(&doc, task, &len);
	int rc = task_accept(a, env, len);
	json_free(&doc);
	if (rc)
		return CALL_ENVELOPE; /* the cloud offers it again: never spin on it */
	return CALL_DONE;
}

int tasks_poll_while_waiting(const struct agent *a)
{
	return a->task.state == TASK_WAITING_WINDOW || a->task.install_running;
}

void tasks_poll_start(struct agent *a, int wait_s)
{
	char url[CONFIG_URL_MAX + 64], path[64];
	snprintf(path, sizeof(path), "/device/v1/tasks/next?wait=%d", wait_s);
	if (agent_url(a, NULL, path, url, sizeof(url))) {
		agent_fail(a, FAIL_LOCAL, "task poll: URL too long");
		return;
	}
	struct agent_call call = {
		.what = "task poll",
		.spec = { .url = url, .timeout_s = wait_s + a->cfg.request_timeout_s, .held = 1 },
		.on_success = on_poll, .on_refused = on_poll_refused,
	};
	log_debug("polling for tasks (wait %d s)", wait_s);
	a->poll_wait = wait_s;
	a->poll_started_at = agent_elapsed_s(a);
	agent_call(a, &call);
}

/* --- reporting states --- */

static int progress_due(const struct task_run *t, int64_t now)
{
	if (t->state != TASK_DOWNLOADING || t->progress == t->reported_progress)
		return 0;
	return t->progress - t->reported_progress >= PROGRESS_STEP ||
	       now - t->progress_reported_at >= PROGRESS_MIN_INTERVAL || t->progress == 100;
}

/* Keeps what the ended task came to, for status and the settings page. */
static void remember_last_task(struct agent *a)
{
	const struct task_run *t = &a->task;
	snprintf(a->st.last_task_id, sizeof(a->st.last_task_id), "%s", t->task_id);
	snprintf(a->st.last_task_target, sizeof(a->st.last_task_target), "%s", t->target_version);
	snprintf(a->st.last_task_state, sizeof(a->st.last_task_state), "%s", task_state_name(t->state));
	snprintf(a->st.last_task_reason, sizeof(a->st.last_task_reason), "%s",
		 t->state == TASK_FAILED ? t->reason : "");
	if (state_save(a->cfg.state_dir, &a->st))
		log_error("cannot save state in %s: %s", a->cfg.state_dir, strerror(errno));
}

/* The cloud has the state we sent: remember that, and forget a final task. */
static void status_delivered(struct agent *a)
{
	struct task_run *t = &a->task;
	t->reported = t->sent_state;
	t->reported_progress = t->sent_progress;
	t->progress_reported_at = agent_now(a);
	if (t->reported >= TASK_SUCCEEDED) {
		log_info("task %s: outcome '%s' delivered to the cloud", t->task_id,
			 task_state_name(t->reported));
		remember_last_task(a);
		task_clear(a);
		agent_report_soon(a);
	} else if (task_store_save(a->cfg.state_dir, t)) {
		log_error("task %s: cannot persist state: %s", t->task_id, strerror(errno));
	}
}

static enum call_outcome on_status_refused(struct agent *a, const struct api_result *r)
{
	struct task_run *t = &a->task;
	if (!strcmp(r->code, PROTO_ERR_TASK_CANCELLED) || r->status == 404) {
		log_warn("task %s: the cloud %s it; stopping", t->task_id,
			 r->status == 404 ? "does not know" : "cancelled");
		if (t->state < TASK_INSTALLING || t->state >= TASK_SUCCEEDED) {
			task_clear(a);
			return CALL_NEXT;
		}
	}
	/* Anything else is a bug on one side; do not loop on it. */
	log_error("task %s: status report refused: %s (%s)", t->task_id, r->message, r->code);
	status_delivered(a);
	return CALL_NEXT;
}

static enum call_outcome on_status_reported(struct agent *a, const struct http_response *resp)
{
	(void)resp;
	status_delivered(a);
	return CALL_DONE;
}

int tasks_report_pending(struct agent *a)
{
	struct task_run *t = &a->task;
	char url[CONFIG_URL_MAX + 128], path[128];
	struct buf body;
	struct json_writer w;

	int64_t now = agent_now(a);
	/* While waiting for a window, repeat the state on the heartbeat: the reply is how
	 * the agent learns that the task was cancelled meanwhile. */
	int waiting_again = t->state == TASK_WAITING_WINDOW &&
			    now - t->progress_reported_at >= a->cfg.heartbeat_s;
	if (!tasks_active(a) || (t->state == t->reported && !progress_due(t, now) && !waiting_again))
		return 0;
	buf_init(&body, 4096);
	jw_init(&w, &body);
	jw_object_begin(&w);
	jw_kv_string(&w, "state", task_state_name(t->state));
	jw_kv_int(&w, "progress", t->progress);
	if (t->state == TASK_FAILED)
		jw_kv_string(&w, "reason", t->reason);
	if (t->state >= TASK_SUCCEEDED)
		jw_kv_string(&w, "os_version", a->ident.os_version);
	jw_object_end(&w);
	snprintf(path, sizeof(path), "/device/v1/tasks/%s/status", t->task_id);
	if (jw_finish(&w) || agent_url(a, NULL, path, url, sizeof(url))) {
		buf_free(&body);
		agent_fail(a, FAIL_LOCAL, "cannot build the task status report");
		return 1;
	}
	t->sent_state = t->state;
	t->sent_progress = t->progress;
	struct agent_call call = {
		.what = "task status report",
		.spec = { .method = "POST", .url = url, .body = body.data, .body_len = body.len },
		.on_success = on_status_reported, .on_refused = on_status_refused,
	};
	agent_call(a, &call);
	buf_free(&body);
	return 1;
}

/* --- the work of each state --- */

static void on_download_progress(uint64_t have, uint64_t total, void *arg)
{
	struct agent *a = arg;
	int p = total ? (int)(have * 100 / total) : 0;
	a->task.download_advanced = 1;
	if (p == a->task.progress)
		return;
	a->task.progress = p;
	if (progress_due(&a->task, agent_now(a)))
		agent_wake(a);
}

static void on_download_done(enum download_outcome outcome, const char *reason,
			     const struct api_result *r, void *arg)
{
	struct agent *a = arg;
	struct task_run *t = &a->task;
	t->dl = NULL;
	if (outcome == DOWNLOAD_RETRY && r && agent_handle_access(a, r, "download")) {
		if (a->st.enroll != ENROLL_ENROLLED)
			return; /* decommissioned: the task is gone */
		outcome = DOWNLOAD_RETRY; /* a new access token first, then resume */
	}
	switch (outcome) {
	case DOWNLOAD_DONE:
		{
			/* Memory must stay flat whatever the image size: say what it was. */
			log_info("task %s: download complete: %s; peak RSS %ld kB", t->task_id, reason,
				 memstat_peak_rss_kb());
		}
		t->progress = 100;
		(void)task_set_state(a, TASK_VERIFYING, NULL);
		break;
	case DOWNLOAD_RETRY:
		/* Only attempts that brought nothing count: a flaky link that advances every
		 * time finishes however often it is cut. */
		if (t->download_advanced)
			t->download_failures = 0;
		t->download_advanced = 0;
		if (++t->download_failures >= DOWNLOAD_ATTEMPTS_MAX) {
			if (!task_set_state(a, TASK_FAILED,
					    "download failed after %d attempts without progress: %s",
					    t->download_failures, reason))
				remove_download(a);
			break;
		}
		t->retry_at = agent_now(a) + (int64_t)agent_backoff_s(a, t->download_failures);
		log_warn("task %s: download attempt %d: %s; resuming in %lld s", t->task_id,
			 t->download_failures, reason, (long long)(t->retry_at - agent_now(a)));
		break;
	case DOWNLOAD_FAILED:
		(void)task_set_state(a, TASK_FAILED, "download: %s", reason);
		break;
	}
	agent_wake(a);
}

/* Checks that need no download: model, version direction, expiry, space. */
static int check_received(struct agent *a)
{
	struct task_run *t = &a->task;
	uint64_t free_bytes = 0;
	if (t->app_action[0]) {
		/* the package is checked against this camera by the platform before upload */
	} else if (strcmp(t->model, a->ident.model)) {
		task_set_state(a, TASK_FAILED, "image is for model %s, this camera is %s", t->model,
			       a->ident.model);
		return -1;
	}
	int cmp = t->app_action[0] ? 0 : version_compare(t->target_version, a->ident.os_version);
	if (cmp < 0 && !t->allow_downgrade) {
		task_set_state(a, TASK_FAILED, "downgrade from %s to %s refused (task does not allow it)",
			       a->ident.os_version, t->target_version);
		return -1;
	}
	if (t->exp <= agent_now(a)) {
		task_set_state(a, TASK_FAILED, "task expired before it could start");
		return -1;
	}
	if (fs_free_bytes(a->cfg.state_dir, &free_bytes) == 0 &&
	    free_bytes < t->size + FREE_SPACE_MARGIN) {
		task_set_state(a, TASK_FAILED, "not enough free space in %s: need %llu bytes, have %llu",
			       a->cfg.state_dir, (unsigned long long)(t->size + FREE_SPACE_MARGIN),
			       (unsigned long long)free_bytes);
		return -1;
	}
	return 0;
}

static void start_download(struct agent *a)
{
	struct task_run *t = &a->task;
	char url[CONFIG_URL_MAX + TASK_URL_MAX], path[PATH_MAX], reason[256];
	if (agent_url(a, NULL, t->artifact_url, url, sizeof(url)) ||
	    download_path(a, path, sizeof(path))) {
		task_set_state(a, TASK_FAILED, "artifact URL or download path too long");
		agent_wake(a);
		return;
	}
	struct download_spec spec = {
		.url = url, .bearer = a->access_token, .path = path, .size = t->size,
		.sha256 = t->sha256, .max_bytes_per_s = a->cfg.download_max_bytes_per_s,
		.progress = on_download_progress, .done = on_download_done, .arg = a,
		.base = a->base,
	};
	struct download *d = NULL;
	if (download_start(&a->net, &spec, &d, reason, sizeof(reason))) {
		task_set_state(a, TASK_FAILED, "download: %s", reason);
		agent_wake(a);
		return;
	}
	t->dl = d;
}

/* The platform checks the image's size and SHA-256 against the task again while it
 * writes it, so bytes changed after verifying are never installed. Repeating an
 * install after a kill writes the same slot again, so the image is removed only once
 * rebooting is on disk: a kill before that installs it again on restart. */
static void install_finished(struct agent *a, int rc, const char *reason)
{
	if (rc ? !task_set_state(a, TASK_FAILED, "install: %s", reason)
	       : !task_set_state(a, TASK_REBOOTING, NULL))
		remove_download(a);
}

/* A camera's upload ends here, on the loop, while polls and reports went on. */
static void on_install_done(void *arg, int rc, const char *reason)
{
	struct agent *a = arg;
	a->task.install_running = 0;
	install_finished(a, rc, reason);
	agent_wake_now(a);
}

/* 1 when it finished, 0 while the platform goes on (on_install_done ends it). */
static int install(struct agent *a)
{
	struct task_run *t = &a->task;
	char path[PATH_MAX], reason[PLATFORM_REASON_MAX] = "";
	struct platform_image img = { .path = path, .size = t->size, .sha256 = t->sha256 };
	int rc = download_path(a, path, sizeof(path));
	if (rc == 0)
		rc = a->plat.ops->install(a->plat.priv, &img, on_install_done, a, reason,
					  sizeof(reason));
	if (rc == PLATFORM_IN_PROGRESS) {
		log_info("task %s: the camera takes the image; the agent goes on meanwhile",
			 t->task_id);
		t->install_running = 1;
		return 0;
	}
	install_finished(a, rc ? -1 : 0, reason);
	return 1;
}

/* An application task's action ends here, on the loop, while polls and reports went on. */
static void app_step_done(struct agent *a, const struct app_step *step)
{
	struct task_run *t = &a->task;
	t->install_running = 0;
	if (step->next == TASK_FAILED) {
		if (!task_set_state(a, TASK_FAILED, "%s", step->reason))
			remove_download(a);
	} else if (step->next == TASK_SUCCEEDED) {
		if (!task_set_state(a, TASK_SUCCEEDED, NULL))
			remove_download(a);
	} else {
		t->reboot_deadline = agent_now(a) + APP_RESTART_WAIT_S;
		t->retry_at = t->reboot_deadline;
		if (task_set_state(a, TASK_REBOOTING, NULL))
			goto out;
		remove_download(a);
		log_info("task %s: %s %s done; the camera restarts the agent", t->task_id,
			 t->app_action, t->app_name);
		if (step->exit_now) {
			agent_stop(a, AGENT_EXIT_REBOOT);
			return;
		}
	}
out:
	agent_list_apps(a); /* the report's inventory follows */
	agent_wake_now(a);
}

/* An application task's action, started on the camera (app_step_done ends it). */
static void app_install_step(struct agent *a)
{
	struct task_run *t = &a->task;
	char path[PATH_MAX] = "";
	struct app_step step;
	if (!task_is_app_without_package(t) && download_path(a, path, sizeof(path))) {
		task_set_state(a, TASK_FAILED, "download path too long");
		return;
	}
	if (app_task_act(a, path, app_step_done, &step) != 0) {
		app_step_done(a, &step);
		return;
	}
	log_info("task %s: %s %s goes on on the camera; the agent goes on meanwhile", t->task_id,
		 t->app_action, t->app_name);
	t->install_running = 1;
}

/* Rebooting in an application task: the camera is to restart this process. */
static int app_restart_wait(struct agent *a)
{
	struct task_run *t = &a->task;
	if (!t->reboot_deadline)
		t->reboot_deadline = agent_now(a) + APP_RESTART_WAIT_S;
	if (agent_now(a) < t->reboot_deadline) {
		t->retry_at = t->reboot_deadline;
		return 0;
	}
	task_set_state(a, TASK_FAILED, "the camera did not restart the agent within %d s after %s"
		       " %s", APP_RESTART_WAIT_S, t->app_action, t->app_name);
	agent_wake(a);
	return 1;
}

#define REBOOT_WAIT_S 600 /* how long a device that reboots by itself may take */

/* 1 when it acted (stop for the reboot, or failed), 0 while waiting for the device. */
static int reboot(struct agent *a)
{
	struct task_run *t = &a->task;
	char reason[PLATFORM_REASON_MAX];
	int64_t now = agent_now(a);
	if (t->reboot_deadline) {
		if (now < t->reboot_deadline)
			return 0;
		task_set_state(a, TASK_FAILED, "the camera did not reboot within %d s after the install",
			       REBOOT_WAIT_S);
		agent_wake(a);
		return 1;
	}
	int rc = a->plat.ops->reboot(a->plat.priv, reason, sizeof(reason));
	if (rc < 0) {
		task_set_state(a, TASK_FAILED, "reboot: %s", reason);
		agent_wake(a);
		return 1;
	}
	log_info("task %s: rebooting into AXIS OS %s", t->task_id, t->target_version);
	if (rc == PLATFORM_REBOOTS_BY_ITSELF) {
		t->reboot_deadline = now + REBOOT_WAIT_S;
		t->retry_at = t->reboot_deadline;
		return 0;
	}
	agent_stop(a, AGENT_EXIT_REBOOT);
	return 1;
}

static void on_committed(void *arg, int rc, const char *reason)
{
	struct agent *a = arg;
	a->task.install_running = 0;
	if (rc < 0)
		task_set_state(a, TASK_FAILED, "commit: %s", reason);
	else
		task_set_state(a, TASK_SUCCEEDED, NULL);
	agent_wake_now(a);
}

/* The cloud acknowledged verifying_version, so it is reachable: commit or fail. */
static void confirm_version(struct agent *a)
{
	struct task_run *t = &a->task;
	char reason[PLATFORM_REASON_MAX];
	if (strcmp(a->ident.os_version, t->target_version)) {
		task_set_state(a, TASK_FAILED, "running AXIS OS %s after the upgrade, expected %s",
			       a->ident.os_version, t->target_version);
		return;
	}
	if (a->plat.ops->commit(a->plat.priv, on_committed, a, reason, sizeof(reason))) {
		task_set_state(a, TASK_FAILED, "commit: %s", reason);
		return;
	}
	t->install_running = 1; /* on_committed moves it on */
}

/* Moves verifying/waiting_window on when the window allows; 0 while waiting. */
static int install_allowed(struct agent *a)
{
	struct task_run *t = &a->task;
	int64_t now = agent_now(a);
	int64_t wait = window_wait(&t->window, now, a->clock.ops->local_minute(a->clock.priv, now));
	char text[WINDOW_TEXT_MAX] = "";
	if (wait == WINDOW_CLOSED) {
		if (!task_set_state(a, TASK_FAILED, "update window closed before the install could start"))
			remove_download(a);
		return 1;
	}
	if (wait > 0) {
		if (t->state != TASK_WAITING_WINDOW) {
			(void)window_to_text(&t->window, text, sizeof(text));
			log_info("task %s: image verified; waiting %lld s for the update window (%s)",
				 t->task_id, (long long)wait, text);
			task_set_state(a, TASK_WAITING_WINDOW, NULL);
		}
		t->retry_at = now + wait;
		return 0;
	}
	task_set_state(a, TASK_INSTALLING, NULL);
	return 1;
}

int tasks_advance(struct agent *a)
{
	struct task_run *t = &a->task;
	switch (t->state) {
	case TASK_RECEIVED:
		if (!check_received(a))
			task_set_state(a, task_is_app_without_package(t) ? TASK_VERIFYING
									  : TASK_DOWNLOADING, NULL);
		break;
	case TASK_DOWNLOADING:
		if (t->dl)
			return 0; /* its callbacks wake us */
		if (t->retry_at > agent_now(a))
			return 0;
		start_download(a);
		return t->dl != NULL || t->state != TASK_DOWNLOADING;
	case TASK_VERIFYING:
	case TASK_WAITING_WINDOW:
		/* The download verified size and SHA-256 while streaming; the envelope was
		 * verified on receipt. What is left is the update window. */
	{
		enum task_state before = t->state;
		if (!install_allowed(a) && before == TASK_WAITING_WINDOW)
			return 0; /* still waiting: step() wakes us at retry_at */
		break;
	}
	case TASK_INSTALLING:
		if (t->install_running)
			return 0; /* its completion wakes us */
		if (t->app_action[0]) {
			app_install_step(a);
			if (t->install_running)
				return 0; /* goes on on the camera: polls and reports meanwhile */
			break;
		}
		if (!install(a))
			return 0;
		break;
	case TASK_REBOOTING:
		if (t->install_running)
			return 0; /* confirming from the camera's list after a restart */
		return t->app_action[0] ? app_restart_wait(a) : reboot(a);
	case TASK_VERIFYING_VERSION:
		if (t->install_running)
			return 0; /* the commit goes on on the camera */
		if (t->app_action[0]) /* confirmed from the camera's list on the way here */
			task_set_state(a, TASK_SUCCEEDED, NULL);
		else
			confirm_version(a);
		if (t->install_running)
			return 0;
		break;
	case TASK_NONE:
	case TASK_SUCCEEDED:
	case TASK_FAILED:
		return 0; /* waiting for the report to be acknowledged */
	}
	agent_wake(a);
	return 1;
}

/* --- after a restart or a reboot --- */

/* An application task after a restart: the own app's replacement is confirmed from the
 * camera's list; a package that sat on disk is hashed again; an action without one is
 * repeated from verifying (each is harmless to repeat, and the platform confirms it). */
static void app_confirmed(struct agent *a, const struct app_step *step)
{
	a->task.install_running = 0;
	(void)task_set_state(a, step->next, step->next == TASK_FAILED ? "%s" : NULL, step->reason);
	agent_wake_now(a);
}

static void app_resume(struct agent *a)
{
	struct task_run *t = &a->task;
	struct app_step step;
	switch (t->state) {
	case TASK_VERIFYING:
	case TASK_WAITING_WINDOW:
	case TASK_INSTALLING:
		(void)task_set_state(a, task_is_app_without_package(t) ? TASK_VERIFYING
								       : TASK_DOWNLOADING, NULL);
		break;
	case TASK_REBOOTING:
		if (app_task_after_restart(a, app_confirmed, &step) == 0)
			t->install_running = 1; /* app_confirmed moves it on */
		else
			(void)task_set_state(a, step.next, "%s", step.reason);
		break;
	default:
		break;
	}
}

void tasks_resume(struct agent *a)
{
	struct task_run *t = &a->task;
	char why[PLATFORM_REASON_MAX] = "";
	if (!tasks_active(a))
		return;
	log_info("task %s: resuming in state %s", t->task_id, task_state_name(t->state));
	if (t->app_action[0]) {
		app_resume(a);
		return;
	}
	switch (t->state) {
	case TASK_VERIFYING:
	case TASK_WAITING_WINDOW:
	case TASK_INSTALLING:
		/* The image sat on disk while we were not running: hash it again (and
		 * fetch what is missing) before anything installs it. */
		(void)task_set_state(a, TASK_DOWNLOADING, NULL);
		break;
	case TASK_REBOOTING:
	case TASK_VERIFYING_VERSION:
		switch (a->plat.ops->boot_outcome(a->plat.priv, why, sizeof(why))) {
		case PLATFORM_BOOT_UPGRADED:
			if (t->state == TASK_REBOOTING)
				task_set_state(a, TASK_VERIFYING_VERSION, NULL);
			break;
		case PLATFORM_BOOT_ROLLED_BACK:
			task_set_state(a, TASK_FAILED, "%s; the camera rolled back to AXIS OS %s",
				       why[0] ? why : "the new image did not come up",
				       a->ident.os_version);
			break;
		case PLATFORM_BOOT_PENDING:
			/* killed after the camera took the image, before its reboot: wait for it */
			log_info("task %s: %s; waiting for that reboot", t->task_id, why);
			t->reboot_deadline = agent_now(a) + REBOOT_WAIT_S;
			t->retry_at = t->reboot_deadline;
			break;
		case PLATFORM_BOOT_NORMAL:
			if (t->state == TASK_VERIFYING_VERSION &&
			    !strcmp(a->ident.os_version, t->target_version))
				break; /* committed already, the ack was lost: confirm again */
			if (t->state == TASK_VERIFYING_VERSION)
				task_set_state(a, TASK_FAILED, "the camera is running AXIS OS %s, expected %s",
					       a->ident.os_version, t->target_version);
			/* rebooting without a reboot: the kill came first; reboot again */
			break;
		}
		break;
	default:
		break;
	}
}
