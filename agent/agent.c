/* agent: wiring and the sequencer. agent_step() looks at the state and starts the
 * one thing that should happen next; every control request ends in on_call_done(),
 * which classifies the reply (api.c, the one table), hands a success to the module
 * and otherwise backs off. Only this file arms the sequencer's timer. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "../lib/fsutil.h"
#include "../lib/log.h"
#include "api.h"
#include "download.h"
#include "enroll.h"
#include "last_camera.h"
#include "local_api.h"
#include "loop_watch.h"
#include "report.h"
#include "status.h"

int64_t agent_now(const struct agent *a)
{
	return a->clock.ops->now(a->clock.priv);
}

void agent_report_soon(struct agent *a)
{
	a->next_report = 0;
	a->report_asked = 1;
}

int64_t agent_elapsed_s(const struct agent *a)
{
	const struct clock_ops *c = a->clock.ops;
	return c->elapsed ? c->elapsed(a->clock.priv) : c->now(a->clock.priv);
}

void agent_set_error(struct agent *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->st.last_error, sizeof(a->st.last_error), fmt, ap);
	va_end(ap);
	status_write(a);
}

/* The one place that arms the sequencer's timer. */
static void schedule(struct agent *a, double seconds)
{
	if (!a->step_timer)
		return; /* the camera is not ready: the sequencer starts with it */
	if (seconds < 0)
		seconds = 0;
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6) };
	a->step_at = agent_now(a) + (int64_t)seconds + (seconds > (double)(int64_t)seconds);
	evtimer_del(a->step_timer);
	evtimer_add(a->step_timer, &tv);
}

void agent_wake(struct agent *a)
{
	if (!a->control && !a->in_backoff)
		schedule(a, 0);
}

void agent_wake_now(struct agent *a)
{
	if (a->control && a->call.held) {
		transport_cancel(&a->net, a->control); /* its done is not called */
		a->control = NULL;
	}
	agent_wake(a);
}

/* Exponential backoff with jitter: 1, 2, 4 ... retry_max_s, each times 0.5..1, so a
 * fleet that lost its cloud does not come back in lockstep. */
double agent_backoff_s(const struct agent *a, int failures)
{
	double delay = 1;
	for (int i = 0; i < failures && delay < a->cfg.retry_max_s; i++)
		delay *= 2;
	if (delay > a->cfg.retry_max_s)
		delay = a->cfg.retry_max_s;
	uint32_t r = 0;
	if (crypto_random(&r, sizeof(r)))
		r = (uint32_t)rand();
	return delay * (0.5 + 0.5 * (r / 4294967295.0));
}

#define FAILURE_LOG_INTERVAL_S 60
/* Hints in a row that lead to nothing before they count as early answers. */
#define HINTS_IDLE_FREE 2

static const char *const failure_names[FAIL_CLASSES] = {
	"transport", "unauthorized", "refused", "malformed reply", "local", "early poll reply",
	"unverified envelope",
};

/* Backs off after a failure of class cls: one warning per class and interval, the
 * repeats in between only counted (a lying cloud must not flood the log either). */
static void back_off(struct agent *a, enum agent_failure cls, int failures, const char *line)
{
	double delay = agent_backoff_s(a, failures);
	struct agent_log_limit *l = &a->log_limit[cls];
	int64_t now = agent_now(a);
	if (!l->logged_at || now - l->logged_at >= FAILURE_LOG_INTERVAL_S) {
		if (l->suppressed)
			log_warn("%s; retrying in %.1f s (%d more %s failures since the last line)", line,
				 delay, l->suppressed, failure_names[cls]);
		else
			log_warn("%s; retrying in %.1f s", line, delay);
		l->logged_at = now;
		l->suppressed = 0;
	} else {
		l->suppressed++;
		log_debug("%s; retrying in %.1f s", line, delay);
	}
	schedule(a, delay);
	a->in_backoff = 1;
}

static void vfail(struct agent *a, enum agent_failure cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	if (cls != FAIL_EARLY)
		snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", line);
	back_off(a, cls, a->failures++, line);
}

void agent_fail(struct agent *a, enum agent_failure cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(a, cls, fmt, ap);
	va_end(ap);
}

void agent_stop(struct agent *a, int exit_code)
{
	a->exit_code = exit_code;
	event_base_loopexit(a->base, NULL);
}

int agent_url(const struct agent *a, const char *base, const char *path, char *out, size_t outsz)
{
	if (!base)
		base = a->st.cloud_url;
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	int n = snprintf(out, outsz, "%.*s%s", (int)blen, base, path);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static void forget_access_token(struct agent *a)
{
	explicit_bzero(a->access_token, sizeof(a->access_token));
	a->access_expires = 0;
}

void agent_decommission(struct agent *a, const char *why)
{
	log_warn("decommissioned: %s; wiping credentials (the device key stays) and waiting for a new token",
		 why);
	struct agent_state next = a->st;
	state_forget_enrollment(&next, ENROLL_REMOVED);
	snprintf(next.last_error, sizeof(next.last_error), "removed from the cloud: %s", why);
	if (enroll_set_state(a, &next)) {
		/* Not forgotten on disk: stay as we are; the next request hears 410 again. */
		agent_fail(a, FAIL_LOCAL, "decommission: cannot save state in %s", a->cfg.state_dir);
		return;
	}
	tasks_abandon(a);
	crypto_key_free(a->cloud_key);
	a->cloud_key = NULL;
	forget_access_token(a);
	status_write(a);
	schedule(a, 0);
}

int agent_handle_access(struct agent *a, const struct api_result *r, const char *what)
{
	if (r->outcome == API_REMOVED) {
		agent_decommission(a, r->message);
		return 1;
	}
	if (r->outcome == API_UNAUTHORIZED) {
		log_info("%s: access token refused (%s); authenticating again", what, r->message);
		forget_access_token(a);
		return 1;
	}
	return 0;
}

/* 401 on a bearer request: authenticate again at once, but only once per backoff
 * step; a cloud that keeps refusing gets the backoff like any failure. */
static void unauthorized(struct agent *a, const struct api_result *r, const char *what)
{
	forget_access_token(a);
	if (!a->auth_retried) {
		a->auth_retried = 1;
		log_info("%s: access token refused (%s); authenticating again", what, r->message);
		schedule(a, 0);
		return;
	}
	agent_fail(a, FAIL_UNAUTHORIZED, "%s: still unauthorized after authenticating again: %s",
		   what, r->message);
}

static void finish_call(struct agent *a, const struct agent_call_state *c, enum call_outcome o)
{
	/* A handler that hit a failure of its own (a save that failed) has backed off
	 * already: that pause stands. */
	if ((o == CALL_DONE || o == CALL_NEXT) && a->in_backoff)
		return;
	switch (o) {
	case CALL_DONE:
		if (c->held)
			a->early_polls = a->idle_hints = 0;
		if (!(c->flags & CALL_KEEPS_BACKOFF)) {
			a->failures = 0;
			a->auth_retried = 0;
			if (a->st.last_error[0] && a->st.enroll == ENROLL_ENROLLED) {
				a->st.last_error[0] = '\0';
				status_write(a);
			}
		}
		schedule(a, 0);
		break;
	case CALL_NEXT:
		schedule(a, 0);
		break;
	case CALL_HINT:
		/* A hint is news, however early it comes, and is acted on at once: a license
		 * fetch that finds something to do sets idle_hints back. Hints that lead to
		 * nothing, over and over, are a cloud answering at once: the backoff below. */
		if (++a->idle_hints <= HINTS_IDLE_FREE) {
			schedule(a, 0);
			break;
		}
		/* fall through */
	case CALL_EARLY:
		/* One early answer is an event (a hint); more in a row are a cloud that does
		 * not hold the poll: back off. */
		if (++a->early_polls == 1)
			schedule(a, 0);
		else
			back_off(a, FAIL_EARLY, a->early_polls - 2, "task poll answered at once with nothing to do");
		break;
	case CALL_MALFORMED:
		agent_fail(a, FAIL_MALFORMED, "%s: unusable reply", c->what);
		break;
	case CALL_BACKOFF:
		agent_fail(a, FAIL_REFUSED, "%s: %s", c->what,
			   a->st.last_error[0] ? a->st.last_error : "refused");
		break;
	case CALL_ENVELOPE:
		agent_fail(a, FAIL_ENVELOPE, "%s: a signed payload did not verify; ignoring it", c->what);
		break;
	}
}

static void on_call_done(const struct http_response *resp, void *arg)
{
	struct agent *a = arg;
	struct agent_call_state c = a->call;
	struct api_result r;

	a->control = NULL;
	memset(&a->call, 0, sizeof(a->call));
	if (resp->status)
		a->last_contact = agent_now(a);
	if (agent_now(a) - a->status_written_at >= 60)
		status_write(a);
	api_classify(resp, &r);
	/* Enrollment is refused, not removed: there is no device yet. */
	if (r.outcome == API_REMOVED && a->st.enroll != ENROLL_ENROLLED)
		r.outcome = API_REFUSED;
	if (r.outcome == API_UNAUTHORIZED && (c.flags & CALL_SIGNED))
		r.outcome = API_REFUSED;
	switch (r.outcome) {
	case API_OK:
		finish_call(a, &c, c.on_success(a, resp));
		return;
	case API_RETRY:
		agent_fail(a, FAIL_TRANSPORT, "%s failed: %s", c.what, r.message);
		return;
	case API_UNAUTHORIZED:
		unauthorized(a, &r, c.what);
		return;
	case API_REMOVED:
		agent_decommission(a, r.message);
		return;
	case API_REFUSED:
		if (c.on_refused) {
			finish_call(a, &c, c.on_refused(a, &r));
			return;
		}
		agent_fail(a, FAIL_REFUSED, "%s refused: %s (%s)", c.what, r.message, r.code);
		return;
	}
}

void agent_call(struct agent *a, const struct agent_call *call)
{
	struct http_request_spec spec = call->spec;
	if (!spec.bearer && a->access_token[0] && !(call->flags & CALL_SIGNED))
		spec.bearer = a->access_token;
	if (!spec.timeout_s)
		spec.timeout_s = a->cfg.request_timeout_s;
	spec.done = on_call_done;
	spec.done_arg = a;
	a->call = (struct agent_call_state){
		.what = call->what, .on_success = call->on_success, .on_refused = call->on_refused,
		.flags = call->flags, .held = spec.held,
	};
	a->control = transport_start(&a->net, &spec);
	if (!a->control) {
		memset(&a->call, 0, sizeof(a->call));
		agent_fail(a, FAIL_LOCAL, "cannot start the %s", call->what);
	}
}

static int enrollment_token_usable(struct agent *a)
{
	char digest[CRYPTO_SHA256_HEX_LEN];
	if (!a->cfg.enrollment_token[0])
		return 0;
	crypto_sha256_hex(a->cfg.enrollment_token, strlen(a->cfg.enrollment_token), digest);
	return strcmp(digest, a->st.spent_token_sha256) != 0;
}

static int64_t earliest(int64_t x, int64_t y)
{
	return x < y ? x : y;
}

/* While the camera is not ready: an enrolled agent that knows its camera from before keeps
 * reporting what it knows (the last identity, camera_not_ready) at its heartbeat; tasks,
 * licenses and enrollment wait for the camera. */
static void report_while_waiting(struct agent *a, int64_t now)
{
	if (!a->camera_not_ready[0] || a->st.enroll != ENROLL_ENROLLED || !a->ident.serial[0])
		return; /* on_platform_started starts the sequencer once the camera answers */
	if (!a->access_token[0] || now >= a->access_expires)
		auth_start(a);
	else if (now >= a->next_report)
		report_start(a);
	else
		schedule(a, (double)(earliest(a->next_report, a->access_expires) - now));
}

/* Looks at the state and starts the one thing that should happen next. */
void agent_step(struct agent *a)
{
	a->in_backoff = 0;
	if (a->control)
		return; /* its completion calls us again */
	int64_t now = agent_now(a);
	if (!a->camera_up) {
		report_while_waiting(a, now);
		return;
	}
	/* Expiry is the device's own rule: enforced enrolled or not (offline systems). */
	int64_t license_exp_next = license_expire_due(a);

	if (a->st.enroll != ENROLL_ENROLLED) {
		if (enrollment_token_usable(a)) {
			enroll_start(a);
		} else {
			/* Nothing to do until a new token arrives (SIGHUP or settings page). */
			log_info("waiting for an enrollment token (state: %s%s%s)",
				 enroll_state_name(a->st.enroll), a->st.last_error[0] ? ", last error: " : "",
				 a->st.last_error);
		}
		return;
	}
	if (!a->access_token[0] || now >= a->access_expires) {
		auth_start(a);
		return;
	}
	if (tasks_report_pending(a) || license_report_pending(a))
		return;
	if (now >= a->next_report) {
		report_start(a);
		return;
	}
	if (now >= a->next_license_check && !a->license_busy) {
		license_fetch_start(a);
		return;
	}
	/* a license call on the camera wakes us when it ends */
	int64_t wake = earliest(a->license_busy ? INT64_MAX : a->next_license_check,
				a->access_expires);
	wake = earliest(wake, a->next_report);
	wake = earliest(wake, license_exp_next);
	if (tasks_active(a)) {
		if (tasks_advance(a))
			return; /* it moved on and woke us, or started a download */
		if (a->task.retry_at > now)
			wake = earliest(wake, a->task.retry_at);
		if (!tasks_poll_while_waiting(a)) {
			/* Downloading: its progress and its end wake us. */
			schedule(a, (double)(wake - now));
			return;
		}
	}
	/* Idle, or waiting for a window: hold a poll until the next thing is due, so a
	 * new task or a cancellation reaches us within one poll. */
	int64_t wait = wake - now;
	if (wait > a->cfg.long_poll_s)
		wait = a->cfg.long_poll_s;
	if (wait < 1)
		wait = 1;
	tasks_poll_start(a, (int)wait);
}

static void on_step_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	agent_step(arg);
}

/* Where the enrollment token and cloud URL come from when the config has none: the
 * token an installer pasted in the settings page earlier, then the camera's own app
 * settings. Camera settings fill only what the config leaves at its default. */
static void apply_saved_token(struct agent *a)
{
	if (!a->cfg.enrollment_token[0] &&
	    !local_api_saved_token(a->cfg.state_dir, a->cfg.enrollment_token,
				   sizeof(a->cfg.enrollment_token)))
		log_info("using the enrollment token given in the settings page");
}

static void apply_camera_settings(struct agent *a, const struct platform_settings *ps)
{
	struct agent_config defaults;
	config_defaults(&defaults);
	if (!a->cfg.enrollment_token[0] && ps->enrollment_token[0]) {
		snprintf(a->cfg.enrollment_token, sizeof(a->cfg.enrollment_token), "%s",
			 ps->enrollment_token);
		log_info("using the enrollment token from the camera's app settings");
	}
	if (!a->cfg.cloud_url[0] && ps->cloud_url[0])
		snprintf(a->cfg.cloud_url, sizeof(a->cfg.cloud_url), "%s", ps->cloud_url);
	if (a->cfg.long_poll_s == defaults.long_poll_s && ps->long_poll_s > 0)
		a->cfg.long_poll_s = ps->long_poll_s;
}

static void read_camera_settings(struct agent *a, void (*then)(struct agent *a));

/* The camera's settings arrived (or could not be read): into the configuration, then
 * what waited for them; a read asked for meanwhile is made again, since this one may
 * predate what changed. */
static void on_camera_settings(void *arg, int rc, const char *reason,
			       const struct platform_settings *ps)
{
	struct agent *a = arg;
	void (*then)(struct agent *a) = a->settings_then;
	a->settings_then = NULL;
	if (rc != 0)
		log_warn("camera settings not read: %s", reason);
	else
		apply_camera_settings(a, ps);
	then(a);
	if (a->settings_reread && !a->exit_code) {
		a->settings_reread = 0;
		read_camera_settings(a, a->settings_reread_then);
	}
}

/* Reads the camera's settings on the loop, then then(a): at once when the camera has
 * none to read. */
static void read_camera_settings(struct agent *a, void (*then)(struct agent *a))
{
	char reason[PLATFORM_REASON_MAX];
	apply_saved_token(a);
	if (a->settings_then) { /* a read is in flight: one more after it */
		a->settings_reread = 1;
		a->settings_reread_then = then;
		return;
	}
	if (!a->plat.ops || !a->plat.ops->read_settings) {
		then(a);
		return;
	}
	a->settings_then = then;
	if (a->plat.ops->read_settings(a->plat.priv, on_camera_settings, a, reason,
				       sizeof(reason)) != 0) {
		a->settings_then = NULL;
		log_warn("camera settings not read: %s", reason);
		then(a);
	}
}

/* An explicitly set cloud URL (config or camera setting) that differs from the one
 * enrolled with: the same cloud under a new address. The pinned cloud key still checks
 * everything it signs, so the agent follows and authenticates there. */
static void follow_cloud_url(struct agent *a)
{
	struct agent_state next = a->st;
	if (a->st.enroll != ENROLL_ENROLLED || !a->cfg.cloud_url[0] ||
	    !strcmp(a->cfg.cloud_url, a->st.cloud_url))
		return;
	snprintf(next.cloud_url, sizeof(next.cloud_url), "%s", a->cfg.cloud_url);
	log_info("cloud URL changed from %s to %s", a->st.cloud_url, next.cloud_url);
	if (enroll_set_state(a, &next))
		return; /* logged; the old address stays */
	forget_access_token(a); /* authenticate at the new address */
}

/* The rebuilt configuration with the camera's settings: goes on with it. */
static void after_reload(struct agent *a)
{
	follow_cloud_url(a);
	log_set_level(a->cfg.log_level);
	a->failures = 0;
	a->in_backoff = 0;
	if (a->step_timer)
		agent_wake(a);
}

/* Builds the configuration again (file, command line, camera settings) and goes on
 * with it. The state dir and platform are fixed for the life of the process. */
static void reload_configuration(struct agent *a, const char *why)
{
	struct agent_config fresh;
	char err[512];
	if (config_build(&fresh, a->config_path[0] ? a->config_path : NULL, a->overrides,
			 a->noverrides, err, sizeof(err)) ||
	    config_validate(&fresh, err, sizeof(err))) {
		log_error("%s: keeping the old configuration: %s", why, err);
		return;
	}
	memcpy(fresh.state_dir, a->cfg.state_dir, sizeof(fresh.state_dir));
	memcpy(fresh.sim_dir, a->cfg.sim_dir, sizeof(fresh.sim_dir));
	memcpy(fresh.platform, a->cfg.platform, sizeof(fresh.platform));
	a->cfg = fresh;
	log_set_level(a->cfg.log_level);
	log_info("%s: configuration reloaded%s%s", why, a->config_path[0] ? " from " : "",
		 a->config_path);
	if (!a->camera_up) {
		apply_saved_token(a); /* the camera's settings are read once it answers */
		after_reload(a);
		return;
	}
	read_camera_settings(a, after_reload);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	(void)what;
	if (sig != SIGHUP) {
		log_info("signal %d: stopping", (int)sig);
		agent_stop(a, AGENT_EXIT_OK);
		return;
	}
	reload_configuration(a, "SIGHUP");
}

static void on_settings_changed(void *arg)
{
	reload_configuration(arg, "camera settings changed");
}

static int load_cloud_key(struct agent *a)
{
	if (a->st.enroll != ENROLL_ENROLLED)
		return 0;
	if (crypto_key_from_public_pem(&a->cloud_key, a->st.cloud_key_pem)) {
		log_error("state: the pinned cloud key is not a valid P-256 public key");
		return -1;
	}
	return 0;
}

/* Loads the device key; a damaged one is set aside and replaced (*replaced = 1). */
static int load_device_key(struct agent *a, const char *path, int *replaced)
{
	int created = 0;
	if (crypto_key_load_or_create(&a->key, path, &created)) {
		if (fs_set_aside_damaged(path))
			return -1;
		log_error("the device key %s is damaged (kept as device.key.damaged)", path);
		*replaced = 1;
		if (crypto_key_load_or_create(&a->key, path, &created))
			return -1;
	}
	if (created)
		log_info("generated a new device key (ECDSA P-256) in %s", path);
	return 0;
}

/* Enrollment cannot go on (its record or the key it was made with is lost): a new
 * device key and the unenrolled state, waiting for a new token. The spent-token
 * digest survives when the state did, so the old token is not tried again. */
static int start_over(struct agent *a, const char *key_path, int key_replaced, const char *why)
{
	struct agent_state next = a->st;
	if (!key_replaced) {
		crypto_key_free(a->key);
		a->key = NULL;
		if (fs_set_aside_damaged(key_path) && errno != ENOENT)
			return -1;
		if (load_device_key(a, key_path, &key_replaced))
			return -1;
	}
	state_forget_enrollment(&next, ENROLL_NONE);
	snprintf(next.last_error, sizeof(next.last_error), "%s; needs a new enrollment token", why);
	log_error("%s", next.last_error);
	return enroll_set_state(a, &next);
}

/* Each state file is read with fallback to its previous generation; where nothing
 * good is left, the safest start the file allows, said in the log and status. */
static int load_state_files(struct agent *a)
{
	char path[PATH_MAX], err[512];
	int key_replaced = 0, rc;

	if (state_path(path, sizeof(path), a->cfg.state_dir, "device.key") ||
	    (!a->key && load_device_key(a, path, &key_replaced))) {
		log_error("cannot load or create the device key %s", path);
		return -1;
	}
	rc = state_load(a->cfg.state_dir, &a->st, err, sizeof(err));
	if (rc == JSON_FILE_PREVIOUS)
		log_warn("state: %s; using the previous generation", err);
	if (rc == -1)
		log_error("state: %s", err);
	if ((rc == -1 || key_replaced) &&
	    start_over(a, path, key_replaced,
		       rc == -1 ? "the enrollment record was damaged" : "the device key was damaged"))
		return -1;
	if (load_cloud_key(a))
		return -1;
	rc = task_store_load(a->cfg.state_dir, &a->task, err, sizeof(err));
	if (rc == JSON_FILE_PREVIOUS)
		log_warn("task: %s; using the previous generation", err);
	if (rc == -1)
		log_error("task: %s; %s", err,
			  a->task.task_id[0] ? "reporting the task failed" : "no task");
	rc = license_store_load(a->cfg.state_dir, &a->licenses, err, sizeof(err));
	if (rc == JSON_FILE_PREVIOUS)
		log_warn("licenses: %s; using the previous generation", err);
	if (rc == -1) {
		log_error("licenses: %s; fetching them again", err);
		a->next_license_check = 0;
	}
	return 0;
}

/* The state and the sequencer's timer: enough to talk to the cloud. Once only. */
static int init_state(struct agent *a)
{
	if (a->step_timer)
		return AGENT_EXIT_OK; /* loaded while the camera was not ready */
	if (fs_mkdirs(a->cfg.state_dir, 0700)) {
		log_error("cannot create state dir %s: %s", a->cfg.state_dir, strerror(errno));
		return AGENT_EXIT_STATE;
	}
	if (load_state_files(a))
		return AGENT_EXIT_STATE;
	a->started_at = agent_now(a);
	a->step_timer = evtimer_new(a->base, on_step_timer, a);
	if (!a->step_timer) {
		log_error("cannot set up the sequencer's timer");
		return AGENT_EXIT_STATE;
	}
	return AGENT_EXIT_OK;
}

int agent_init_core(struct agent *a)
{
	int rc = init_state(a);
	if (rc != AGENT_EXIT_OK)
		return rc;
	tasks_resume(a);
	return AGENT_EXIT_OK;
}

/* The agent's own app as the camera lists it: after a self-update the package's version
 * is what the cloud checks the camera's apps against. */
static void own_app_version(struct agent *a)
{
	const struct platform_app *own = NULL;
	for (int i = 0; a->apps_known && i < a->apps->count && !own; i++)
		if (strcmp(a->apps->apps[i].name, a->cfg.axis_app_name) == 0 &&
		    a->apps->apps[i].version[0])
			own = &a->apps->apps[i];
	snprintf(a->agent_version, sizeof(a->agent_version), "%s",
		 own ? own->version : CAMAGENT_VERSION);
	if (own && strcmp(own->version, CAMAGENT_VERSION) != 0)
		log_info("the camera lists %s %s (built as %s)", a->cfg.axis_app_name,
			 a->agent_version, CAMAGENT_VERSION);
}

/* Field by field and only the first count apps: what lies past a string's end or past
 * count is whatever the platform left there, and is no change of the inventory. */
static int app_lists_equal(const struct platform_app_list *x, const struct platform_app_list *y)
{
	if (x->count != y->count)
		return 0;
	for (int i = 0; i < x->count; i++) {
		const struct platform_app *p = &x->apps[i], *q = &y->apps[i];
		if (strcmp(p->name, q->name) || strcmp(p->nice_name, q->nice_name) ||
		    strcmp(p->vendor, q->vendor) || strcmp(p->version, q->version) ||
		    strcmp(p->app_id, q->app_id) || strcmp(p->status, q->status) ||
		    p->running != q->running || strcmp(p->license, q->license) ||
		    strcmp(p->license_expires, q->license_expires))
			return 0;
	}
	return 1;
}

static void on_apps_listed(void *arg, int rc, const char *reason,
			   const struct platform_app_list *list)
{
	struct agent *a = arg;
	a->apps_listing = 0;
	if (rc < 0) {
		log_warn("the camera's applications are not known now: %s", reason);
		if (!a->apps_known && a->step_timer)
			agent_wake(a); /* a report waiting for the first list goes without */
	} else if (!a->apps_known || !app_lists_equal(a->apps, list)) {
		*a->apps = *list;
		a->apps_known = 1;
		own_app_version(a);
		agent_report_soon(a); /* the inventory changed: a held poll gives way to the report */
		if (a->step_timer)
			agent_wake_now(a);
	}
	if (a->apps_relist) { /* this list may predate what asked for one: ask again */
		a->apps_relist = 0;
		agent_list_apps(a);
	}
}

void agent_list_apps(struct agent *a)
{
	char reason[PLATFORM_REASON_MAX];
	if (a->apps_listing)
		a->apps_relist = 1;
	if (a->apps_listing || !a->plat.ops || !a->plat.ops->apps_list)
		return;
	if (!a->apps && !(a->apps = calloc(1, sizeof(*a->apps))))
		return;
	if (a->plat.ops->apps_list(a->plat.priv, on_apps_listed, a, reason, sizeof(reason)) != 0) {
		log_warn("cannot list the camera's applications: %s", reason);
		return;
	}
	a->apps_listing = 1;
}

void agent_settle(struct agent *a)
{
	while ((a->apps_listing || a->license_busy || (a->plat.ops && !a->camera_up)) &&
	       !a->exit_code)
		if (event_base_loop(a->base, EVLOOP_ONCE) != 0)
			break;
}

static int open_platform(struct agent *a, char *reason, size_t reasonsz)
{
	int opened;
	if (!strcmp(a->cfg.platform, "axis")) {
		struct platform_axis_config ac = {
			.vapix_url = a->cfg.vapix_url,
			.app_name = a->cfg.axis_app_name,
			.state_dir = a->cfg.state_dir,
			.dbus_address = a->cfg.axis_dbus_address[0] ? a->cfg.axis_dbus_address : NULL,
			.auto_rollback_min = a->cfg.axis_auto_rollback_min,
			.base = a->base,
			.net = &a->plat_net,
		};
		opened = platform_axis_open(&a->plat, &ac, reason, reasonsz);
	} else {
		opened = platform_sim_open(&a->plat, a->cfg.sim_dir, a->base, reason, reasonsz);
	}
	return opened ? -1 : 0;
}

/* What follows once the camera answered and its settings are read: the state, resuming
 * a task, the sequencer. */
static void camera_ready(struct agent *a)
{
	char reason[PLATFORM_REASON_MAX];
	a->camera_not_ready[0] = '\0';
	a->camera_up = 1;
	own_app_version(a);
	last_camera_save(a); /* told to the cloud should the camera not be ready next time */
	agent_list_apps(a);  /* the report waits for it */
	if (a->plat.ops->watch_settings &&
	    a->plat.ops->watch_settings(a->plat.priv, on_settings_changed, a, reason,
					sizeof(reason)) < 0)
		log_warn("camera settings changes will not be seen until SIGHUP: %s", reason);
	int rc = agent_init_core(a);
	if (rc != AGENT_EXIT_OK) {
		agent_stop(a, rc);
		return;
	}
	agent_report_soon(a); /* the cloud hears at once what the camera is */
	agent_wake_now(a);
}

/* A camera that is not ready yet (web server not up after a boot, VAPIX 401 or 503,
 * garbage, no service account on D-Bus): the agent stays up with its local API, says
 * why there and in the log, and asks again with backoff and jitter (at most
 * CAMERA_RETRY_MAX_S apart, so it starts soon after the camera is up). */
#define CAMERA_RETRY_MAX_S 30
static void wait_for_camera(struct agent *a, const char *why)
{
	double delay = agent_backoff_s(a, a->camera_failures++);
	if (delay > CAMERA_RETRY_MAX_S)
		delay = CAMERA_RETRY_MAX_S;
	snprintf(a->camera_not_ready, sizeof(a->camera_not_ready), "%s", why);
	log_warn("the camera is not ready (attempt %d): %s; asking again in %.1f s",
		 a->camera_failures, why, delay);
	struct timeval tv = { (time_t)delay, (suseconds_t)((delay - (time_t)delay) * 1e6) };
	if (evtimer_add(a->camera_timer, &tv) != 0) {
		log_error("cannot arm the camera's retry timer");
		agent_stop(a, AGENT_EXIT_PLATFORM);
	}
	status_write(a);
}

static void camera_not_up(struct agent *a, const char *why)
{
	if (!a->ident.serial[0] && last_camera_load(a) != 0)
		log_info("no camera known from before: nothing to report until it answers");
	wait_for_camera(a, why);
	if (a->step_timer)
		agent_wake(a); /* report_while_waiting has a reason to tell now */
}

/* The platform's start answered (at once for a backend without one): on a camera that is
 * up the sequencer starts as after a normal start; otherwise it is asked again later. */
static void on_platform_started(void *arg, int rc, const char *reason)
{
	struct agent *a = arg;
	char why[PLATFORM_REASON_MAX];
	if (rc == 0 && a->plat.ops->identity(a->plat.priv, &a->ident, why, sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	if (rc != 0) {
		snprintf(why, sizeof(why), "%s", reason); /* reason may live in the platform */
		platform_close(&a->plat);
		camera_not_up(a, why);
		return;
	}
	log_info("camera %s (%s, %s) running AXIS OS %s", a->ident.serial, a->ident.model,
		 a->ident.arch, a->ident.os_version);
	if (a->camera_failures)
		log_info("the camera is ready after %d attempts", a->camera_failures + 1);
	read_camera_settings(a, camera_ready); /* on the loop: a slow camera stops nothing */
}

/* Opens the platform and starts it; on_platform_started says what came of it. */
static void camera_attempt(struct agent *a)
{
	char reason[PLATFORM_REASON_MAX];
	if (open_platform(a, reason, sizeof(reason)) != 0) {
		camera_not_up(a, reason);
		return;
	}
	if (!a->plat.ops->start) {
		on_platform_started(a, 0, NULL);
		return;
	}
	if (a->plat.ops->start(a->plat.priv, on_platform_started, a, reason, sizeof(reason))) {
		platform_close(&a->plat);
		camera_not_up(a, reason);
	}
}

static void on_camera_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	camera_attempt(arg);
}

int agent_init(struct agent *a, const struct agent_config *cfg, const char *config_path,
	       const struct config_override *overrides, int noverrides)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (config_path)
		snprintf(a->config_path, sizeof(a->config_path), "%s", config_path);
	a->overrides = overrides;
	a->noverrides = noverrides;
	a->crash_after = getenv("CAMAGENT_TEST_CRASH_AFTER");
	/* Tests move time (license expiry) through the file camcloud --test-clock reads. */
	const char *test_clock = getenv("CAMAGENT_TEST_CLOCK");
	if (test_clock && *test_clock)
		clock_file(&a->clock, test_clock);
	else
		clock_system(&a->clock);
	if (fs_mkdirs(a->cfg.state_dir, 0700)) {
		log_error("cannot create state dir %s: %s", a->cfg.state_dir, strerror(errno));
		return AGENT_EXIT_STATE;
	}
	a->base = event_base_new();
	if (!a->base) {
		log_error("cannot set up the event loop");
		return AGENT_EXIT_STATE;
	}
	struct http_client_config hc = {
		.ca_file = a->cfg.ca_file[0] ? a->cfg.ca_file : NULL,
		.allow_insecure_http = a->cfg.allow_insecure_http,
		.low_speed_time_s = a->cfg.request_timeout_s,
	};
	if (http_client_new(&a->http, a->base, &hc)) {
		log_error("cannot set up the HTTP client");
		return AGENT_EXIT_STATE;
	}
	transport_http(&a->net, a->http);
	transport_platform_net(&a->plat_net, a->http);
	a->loop_watch = loop_watch_start(a->base); /* a test hook; NULL in normal runs */

	a->sig_term = evsignal_new(a->base, SIGTERM, on_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_signal, a);
	a->sig_hup = evsignal_new(a->base, SIGHUP, on_signal, a);
	if (!a->sig_term || !a->sig_int || !a->sig_hup || evsignal_add(a->sig_term, NULL) ||
	    evsignal_add(a->sig_int, NULL) || evsignal_add(a->sig_hup, NULL)) {
		log_error("cannot set up timers and signals");
		return AGENT_EXIT_STATE;
	}
	a->camera_timer = evtimer_new(a->base, on_camera_timer, a);
	if (!a->camera_timer) {
		log_error("cannot set up the camera's retry timer");
		return AGENT_EXIT_STATE;
	}
	/* the state first: until the camera is up the sequencer talks to the cloud alone
	 * (report_while_waiting) */
	if (init_state(a) != AGENT_EXIT_OK)
		return AGENT_EXIT_STATE;
	camera_attempt(a);
	if (a->exit_code)
		return a->exit_code;
	local_api_start(a);
	return AGENT_EXIT_OK;
}

int agent_run(struct agent *a)
{
	if (a->step_timer) /* else the camera is not ready: on_camera_timer starts it */
		schedule(a, 0);
	event_base_dispatch(a->base);
	status_write(a);
	return a->exit_code;
}

void agent_free(struct agent *a)
{
	local_api_stop(a);
	loop_watch_free(a->loop_watch);
	if (a->task.dl) {
		download_cancel(a->task.dl);
		a->task.dl = NULL;
	}
	if (a->control && !a->http)
		transport_cancel(&a->net, a->control);
	if (a->plat.ops)
		platform_close(&a->plat); /* first: its transfers run on the client below */
	free(a->apps);
	a->apps = NULL;
	if (a->http)
		http_client_free(a->http); /* cancels the control request without callbacks */
	a->http = NULL;
	a->control = NULL;
	if (a->step_timer)
		event_free(a->step_timer);
	if (a->camera_timer)
		event_free(a->camera_timer);
	if (a->sig_term)
		event_free(a->sig_term);
	if (a->sig_int)
		event_free(a->sig_int);
	if (a->sig_hup)
		event_free(a->sig_hup);
	if (a->base)
		event_base_free(a->base);
	crypto_key_free(a->key);
	crypto_key_free(a->cloud_key);
	explicit_bzero(a->access_token, sizeof(a->access_token));
}
