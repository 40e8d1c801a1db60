/* tasks: the upgrade state machine. Transitions happen only in task_set_state()
 * (logs old -> new, persists first). What each state means and who leaves it:
 *   received          verified envelope stored          tasks_advance: checks -> downloading
 *   downloading       partial file in the state dir     on_download_done -> verifying
 *   verifying         file complete, hash matched       tasks_advance -> (waiting_window|)installing
 *   waiting_window    verified image, outside window    tasks_advance: window opens -> installing
 *   installing        platform writes inactive slot     tasks_advance -> rebooting
 *   rebooting         slot armed; reboot once reported  tasks_resume (after boot)
 *   verifying_version booted the new slot, uncommitted  tasks_advance: commit -> succeeded
 *   succeeded/failed  final; cleared once reported */
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
#include "../lib/memstat.h"
#include "../lib/version.h"
#include "agent.h"
#include "api.h"
#include "download.h"
#include "status.h"

#define DOWNLOAD_ATTEMPTS_MAX 10
#define FREE_SPACE_MARGIN (1024 * 1024)
#define PROGRESS_STEP 10          /* report at least every 10 % ... */
#define PROGRESS_MIN_INTERVAL 2   /* ... or every 2 s when it moved */
#define ENVELOPE_SKEW_S 300

static void task_set_state(struct agent *a, enum task_state next, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void task_set_state(struct agent *a, enum task_state next, const char *fmt, ...)
{
	struct task_run *t = &a->task;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
		va_end(ap);
	}
	if (next == TASK_FAILED)
		log_error("task %s: %s -> failed: %s", t->task_id, task_state_name(t->state), t->reason);
	else
		log_info("task %s: %s -> %s", t->task_id, task_state_name(t->state),
			 task_state_name(next));
	t->state = next;
	if (task_store_save(a->cfg.state_dir, t))
		log_error("task %s: cannot persist state in %s: %s", t->task_id, a->cfg.state_dir,
			  strerror(errno));
	if (a->crash_after && !strcmp(a->crash_after, task_state_name(next))) {
		log_warn("test hook: power cut right after entering %s", task_state_name(next));
		raise(SIGKILL);
	}
	status_write(a);
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

int task_payload_read(struct task_run *t, const char *payload, size_t len)
{
	struct json_doc doc = { 0 };
	char kind[32] = "";
	int64_t size = 0;
	int rc = -1;
	if (json_parse(&doc, payload, len, 128) ||
	    json_get_string(&doc, 0, "task_id", t->task_id, sizeof(t->task_id)) ||
	    json_get_string(&doc, 0, "kind", kind, sizeof(kind)) || strcmp(kind, "os_upgrade") ||
	    json_get_string(&doc, 0, "model", t->model, sizeof(t->model)) ||
	    json_get_string(&doc, 0, "target_version", t->target_version, sizeof(t->target_version)) ||
	    json_get_bool(&doc, 0, "allow_downgrade", &t->allow_downgrade) ||
	    json_get_string(&doc, 0, "artifact.url", t->artifact_url, sizeof(t->artifact_url)) ||
	    json_get_int64(&doc, 0, "artifact.size", &size) || size <= 0 ||
	    json_get_string(&doc, 0, "artifact.sha256", t->sha256, sizeof(t->sha256)) ||
	    strlen(t->sha256) != 64 || json_get_int64(&doc, 0, "exp", &t->exp) ||
	    t->artifact_url[0] != '/' ||
	    window_from_json(&doc, json_find(&doc, 0, "window"), &t->window))
		goto out;
	t->size = (uint64_t)size;
	rc = 0;
out:
	json_free(&doc);
	return rc;
}

/* The task id of a payload we could not verify, so the cloud learns why. */
static void unverified_task_id(const char *env, size_t len, char *out, size_t outsz)
{
	struct json_doc doc = { 0 };
	char b64[ENVELOPE_MAX_BYTES];
	uint8_t payload[ENVELOPE_MAX_BYTES];
	out[0] = '\0';
	if (json_parse(&doc, env, len, 64) || json_get_string(&doc, 0, "payload", b64, sizeof(b64)))
		goto out;
	int n = base64_decode(b64, strlen(b64), payload, sizeof(payload) - 1);
	json_free(&doc);
	if (n <= 0 || json_parse(&doc, (const char *)payload, (size_t)n, 128) ||
	    json_get_string(&doc, 0, "task_id", out, outsz))
		out[0] = '\0';
out:
	json_free(&doc);
}

/* Verifies an envelope and makes it the current task (received or failed).
 * -1 when it is unusable and has no id to report a failure against. */
static int task_accept(struct agent *a, const char *env, size_t len)
{
	struct task_run *t = &a->task;
	struct buf payload;
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	struct envelope_binding want = {
		.type = "task", .device_id = a->st.device_id, .serial = a->ident.serial,
		.now = agent_now(), .max_skew = ENVELOPE_SKEW_S,
	};
	enum envelope_err e = envelope_open(a->cloud_key, env, len, &payload);
	if (e == ENVELOPE_OK)
		e = envelope_check_binding(payload.data, payload.len, &want);
	memset(t, 0, sizeof(*t));
	snprintf(t->from_version, sizeof(t->from_version), "%s", a->ident.os_version);
	if (e != ENVELOPE_OK || task_payload_read(t, payload.data, payload.len)) {
		const char *why = e != ENVELOPE_OK ? envelope_strerror(e) : "malformed task payload";
		unverified_task_id(env, len, t->task_id, sizeof(t->task_id));
		log_error("refusing task %s: %s", t->task_id[0] ? t->task_id : "(no id)", why);
		buf_free(&payload);
		if (!t->task_id[0]) {
			memset(t, 0, sizeof(*t));
			return -1;
		}
		t->state = TASK_RECEIVED;
		task_set_state(a, TASK_FAILED, "refused: %s", why);
		return 0;
	}
	buf_free(&payload);
	log_info("task %s: upgrade AXIS OS %s -> %s (%llu bytes)", t->task_id, t->from_version,
		 t->target_version, (unsigned long long)t->size);
	task_set_state(a, TASK_RECEIVED, NULL);
	return 0;
}

static void on_poll(const struct http_response *resp, void *arg)
{
	struct agent *a = arg;
	struct api_result r;
	struct json_doc doc = { 0 };

	agent_request_ended(a);
	api_classify(resp, &r);
	if (agent_handle_failure(a, &r, "task poll"))
		return;
	if (r.outcome == API_REFUSED) {
		snprintf(a->st.last_error, sizeof(a->st.last_error), "task poll refused: %s", r.message);
		agent_retry(a, a->st.last_error);
		return;
	}
	a->auth_retried = 0;
	if (resp->status == 204) {
		agent_succeeded(a);
		return;
	}
	if (json_parse(&doc, buf_str(&resp->body), resp->body.len, 256)) {
		json_free(&doc);
		agent_retry(a, "task poll: malformed reply");
		return;
	}
	int hint = json_find(&doc, 0, "check");
	for (int i = 0; i < json_array_len(&doc, hint); i++) {
		char what[32];
		if (!json_tok_string(&doc, json_array_at(&doc, hint, i), what, sizeof(what)) &&
		    !strcmp(what, "licenses"))
			a->next_license_check = 0;
	}
	int task = json_find(&doc, 0, "task");
	if (task >= 0 && json_type_of(&doc, task) == JSON_OBJECT) {
		size_t len;
		const char *env = json_tok_raw(&doc, task, &len);
		if (task_accept(a, env, len)) {
			/* The cloud will offer it again: do not spin on it. */
			json_free(&doc);
			agent_retry(a, "task poll: unusable task envelope");
			return;
		}
	}
	json_free(&doc);
	agent_succeeded(a);
}

void tasks_poll_start(struct agent *a, int wait_s)
{
	char url[CONFIG_URL_MAX + 64], path[64];
	snprintf(path, sizeof(path), "/device/v1/tasks/next?wait=%d", wait_s);
	if (agent_url(a, NULL, path, url, sizeof(url))) {
		agent_retry(a, "task poll: URL too long");
		return;
	}
	struct http_request_spec spec = {
		.url = url, .timeout_s = wait_s + a->cfg.request_timeout_s, .done = on_poll, .done_arg = a,
	};
	log_debug("polling for tasks (wait %d s)", wait_s);
	if (agent_control_request(a, &spec))
		agent_retry(a, "cannot start the task poll");
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

static void on_status_reported(const struct http_response *resp, void *arg)
{
	struct agent *a = arg;
	struct task_run *t = &a->task;
	struct api_result r;

	agent_request_ended(a);
	api_classify(resp, &r);
	if (agent_handle_failure(a, &r, "task status report"))
		return;
	if (r.outcome == API_REFUSED) {
		if (!strcmp(r.code, "task_cancelled") || resp->status == 404) {
			log_warn("task %s: the cloud %s it; stopping", t->task_id,
				 resp->status == 404 ? "does not know" : "cancelled");
			if (t->state < TASK_INSTALLING || t->state >= TASK_SUCCEEDED) {
				task_clear(a);
				agent_succeeded(a);
				return;
			}
		}
		/* Anything else is a bug on one side; do not loop on it. */
		log_error("task %s: status report refused: %s (%s)", t->task_id, r.message, r.code);
	}
	t->reported = t->sent_state;
	t->reported_progress = t->sent_progress;
	t->progress_reported_at = agent_now();
	if (t->reported >= TASK_SUCCEEDED) {
		log_info("task %s: outcome '%s' delivered to the cloud", t->task_id,
			 task_state_name(t->reported));
		remember_last_task(a);
		task_clear(a);
		a->next_report = 0;
	} else if (task_store_save(a->cfg.state_dir, t)) {
		log_error("task %s: cannot persist state: %s", t->task_id, strerror(errno));
	}
	agent_succeeded(a);
}

int tasks_report_pending(struct agent *a)
{
	struct task_run *t = &a->task;
	char url[CONFIG_URL_MAX + 128], path[128];
	struct buf body;
	struct json_writer w;

	int64_t now = agent_now();
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
		agent_retry(a, "cannot build the task status report");
		return 1;
	}
	t->sent_state = t->state;
	t->sent_progress = t->progress;
	struct http_request_spec spec = {
		.method = "POST", .url = url, .body = body.data, .body_len = body.len,
		.done = on_status_reported, .done_arg = a,
	};
	if (agent_control_request(a, &spec))
		agent_retry(a, "cannot start the task status report");
	buf_free(&body);
	return 1;
}

/* --- the work of each state --- */

static void on_download_progress(uint64_t have, uint64_t total, void *arg)
{
	struct agent *a = arg;
	int p = total ? (int)(have * 100 / total) : 0;
	if (p == a->task.progress)
		return;
	a->task.progress = p;
	if (!a->control && progress_due(&a->task, agent_now()))
		agent_next(a);
}

static void on_download_done(enum download_outcome outcome, const char *reason, void *arg)
{
	struct agent *a = arg;
	struct task_run *t = &a->task;
	t->dl = NULL;
	switch (outcome) {
	case DOWNLOAD_DONE:
		{
			/* Memory must stay flat whatever the image size: say what it was. */
			log_info("task %s: download complete: %s; peak RSS %ld kB", t->task_id, reason,
				 memstat_peak_rss_kb());
		}
		t->progress = 100;
		task_set_state(a, TASK_VERIFYING, NULL);
		break;
	case DOWNLOAD_RETRY:
		if (++t->download_failures >= DOWNLOAD_ATTEMPTS_MAX) {
			task_set_state(a, TASK_FAILED, "download failed after %d attempts: %s",
				       t->download_failures, reason);
			remove_download(a);
			break;
		}
		t->retry_at = agent_now() + agent_backoff_s(a, t->download_failures);
		log_warn("task %s: download attempt %d: %s; resuming in %lld s", t->task_id,
			 t->download_failures, reason, (long long)(t->retry_at - agent_now()));
		break;
	case DOWNLOAD_FAILED:
		task_set_state(a, TASK_FAILED, "download: %s", reason);
		break;
	}
	agent_next(a);
}

/* Checks that need no download: model, version direction, expiry, space. */
static int check_received(struct agent *a)
{
	struct task_run *t = &a->task;
	uint64_t free_bytes = 0;
	if (strcmp(t->model, a->ident.model)) {
		task_set_state(a, TASK_FAILED, "image is for model %s, this camera is %s", t->model,
			       a->ident.model);
		return -1;
	}
	int cmp = version_compare(t->target_version, a->ident.os_version);
	if (cmp < 0 && !t->allow_downgrade) {
		task_set_state(a, TASK_FAILED, "downgrade from %s to %s refused (task does not allow it)",
			       a->ident.os_version, t->target_version);
		return -1;
	}
	if (t->exp <= agent_now()) {
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
		agent_next(a);
		return;
	}
	struct download_spec spec = {
		.url = url, .bearer = a->access_token, .path = path, .size = t->size,
		.sha256 = t->sha256, .max_bytes_per_s = a->cfg.download_max_bytes_per_s,
		.progress = on_download_progress, .done = on_download_done, .arg = a,
	};
	struct download *d = NULL;
	if (download_start(a->http, &spec, &d, reason, sizeof(reason))) {
		task_set_state(a, TASK_FAILED, "download: %s", reason);
		agent_next(a);
		return;
	}
	if (d)
		t->dl = d;
}

/* The platform checks the image's size and SHA-256 against the task again while it
 * writes it, so bytes changed after verifying are never installed. Repeating an
 * install after a kill writes the same slot again, so the image is removed only once
 * rebooting is on disk. */
static void install(struct agent *a)
{
	struct task_run *t = &a->task;
	char path[PATH_MAX], reason[PLATFORM_REASON_MAX];
	struct platform_image img = { .path = path, .size = t->size, .sha256 = t->sha256 };
	if (download_path(a, path, sizeof(path)) ||
	    a->plat.ops->install(a->plat.priv, &img, reason, sizeof(reason))) {
		task_set_state(a, TASK_FAILED, "install: %s", reason);
		remove_download(a);
		return;
	}
	task_set_state(a, TASK_REBOOTING, NULL);
	remove_download(a);
}

#define REBOOT_WAIT_S 600 /* how long a device that reboots by itself may take */

/* 1 when it acted (stop for the reboot, or failed), 0 while waiting for the device. */
static int reboot(struct agent *a)
{
	struct task_run *t = &a->task;
	char reason[PLATFORM_REASON_MAX];
	int64_t now = agent_now();
	if (t->reboot_deadline) {
		if (now < t->reboot_deadline)
			return 0;
		task_set_state(a, TASK_FAILED, "the camera did not reboot within %d s after the install",
			       REBOOT_WAIT_S);
		agent_next(a);
		return 1;
	}
	int rc = a->plat.ops->reboot(a->plat.priv, reason, sizeof(reason));
	if (rc < 0) {
		task_set_state(a, TASK_FAILED, "reboot: %s", reason);
		agent_next(a);
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
	if (a->plat.ops->commit(a->plat.priv, reason, sizeof(reason))) {
		task_set_state(a, TASK_FAILED, "commit: %s", reason);
		return;
	}
	task_set_state(a, TASK_SUCCEEDED, NULL);
}

/* Moves verifying/waiting_window on when the window allows; 0 while waiting. */
static int install_allowed(struct agent *a)
{
	struct task_run *t = &a->task;
	int64_t now = agent_now();
	int64_t wait = window_wait(&t->window, now, window_local_minute(now));
	char text[WINDOW_TEXT_MAX] = "";
	if (wait == WINDOW_CLOSED) {
		task_set_state(a, TASK_FAILED, "update window closed before the install could start");
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
			task_set_state(a, TASK_DOWNLOADING, NULL);
		break;
	case TASK_DOWNLOADING:
		if (t->dl)
			return 0; /* its callbacks wake us */
		if (t->retry_at > agent_now())
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
		install(a);
		break;
	case TASK_REBOOTING:
		return reboot(a);
	case TASK_VERIFYING_VERSION:
		confirm_version(a);
		break;
	case TASK_NONE:
	case TASK_SUCCEEDED:
	case TASK_FAILED:
		return 0; /* waiting for the report to be acknowledged */
	}
	agent_next(a);
	return 1;
}

/* --- after a restart or a reboot --- */

void tasks_resume(struct agent *a)
{
	struct task_run *t = &a->task;
	char why[PLATFORM_REASON_MAX] = "";
	if (!tasks_active(a))
		return;
	log_info("task %s: resuming in state %s", t->task_id, task_state_name(t->state));
	switch (t->state) {
	case TASK_VERIFYING:
		/* Killed between download and install: hash the file again. */
		task_set_state(a, TASK_DOWNLOADING, NULL);
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
			t->reboot_deadline = agent_now() + REBOOT_WAIT_S;
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
