/* agent: wiring and the sequencer. step() looks at the state and starts the one
 * thing that should happen next; every request's completion comes back here
 * through agent_next() or agent_retry(). No module calls another's internals. */
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
#include "local_api.h"
#include "report.h"
#include "status.h"

int64_t agent_now(void)
{
	return (int64_t)time(NULL);
}

void agent_set_error(struct agent *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->st.last_error, sizeof(a->st.last_error), fmt, ap);
	va_end(ap);
	status_write(a);
}

static void schedule(struct agent *a, double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6) };
	evtimer_del(a->step_timer);
	evtimer_add(a->step_timer, &tv);
}

void agent_next(struct agent *a)
{
	schedule(a, 0);
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

void agent_retry(struct agent *a, const char *what)
{
	double delay = agent_backoff_s(a, a->failures);
	a->failures++;
	log_warn("%s; retrying in %.1f s", what, delay);
	schedule(a, delay);
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

int agent_control_request(struct agent *a, struct http_request_spec *spec)
{
	if (!spec->bearer && a->access_token[0])
		spec->bearer = a->access_token;
	if (!spec->timeout_s)
		spec->timeout_s = a->cfg.request_timeout_s;
	a->control = http_start(a->http, spec);
	return a->control ? 0 : -1;
}

void agent_request_ended(struct agent *a)
{
	a->control = NULL;
	a->last_contact = agent_now();
	if (a->last_contact - a->status_written_at >= 60)
		status_write(a);
}

void agent_decommission(struct agent *a, const char *why)
{
	log_warn("decommissioned: %s; wiping credentials (the device key stays) and waiting for a new token",
		 why);
	tasks_abandon(a);
	state_forget_enrollment(&a->st, ENROLL_REMOVED);
	snprintf(a->st.last_error, sizeof(a->st.last_error), "removed from the cloud: %s", why);
	if (state_save(a->cfg.state_dir, &a->st))
		log_error("cannot save state in %s: %s", a->cfg.state_dir, strerror(errno));
	crypto_key_free(a->cloud_key);
	a->cloud_key = NULL;
	memset(a->access_token, 0, sizeof(a->access_token));
	a->access_expires = 0;
	status_write(a);
	agent_next(a);
}

int agent_handle_failure(struct agent *a, const struct api_result *r, const char *what)
{
	char line[512];
	switch (r->outcome) {
	case API_OK:
	case API_REFUSED:
		return 0;
	case API_RETRY:
		snprintf(line, sizeof(line), "%s failed: %s", what, r->message);
		snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", line);
		agent_retry(a, line);
		return 1;
	case API_UNAUTHORIZED:
		memset(a->access_token, 0, sizeof(a->access_token));
		a->access_expires = 0;
		if (!a->auth_retried) {
			a->auth_retried = 1;
			log_info("%s: access token refused (%s); authenticating again", what, r->message);
			agent_next(a);
		} else {
			snprintf(line, sizeof(line), "%s: still unauthorized after authenticating again: %s",
				 what, r->message);
			snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", line);
			agent_retry(a, line);
		}
		return 1;
	case API_REMOVED:
		agent_decommission(a, r->message);
		return 1;
	}
	return 0;
}

void agent_succeeded(struct agent *a)
{
	a->failures = 0;
	if (a->st.last_error[0] && a->st.enroll == ENROLL_ENROLLED) {
		a->st.last_error[0] = '\0';
		status_write(a);
	}
	agent_next(a);
}

static int enrollment_token_usable(struct agent *a)
{
	char digest[CRYPTO_SHA256_HEX_LEN];
	if (!a->cfg.enrollment_token[0])
		return 0;
	crypto_sha256_hex(a->cfg.enrollment_token, strlen(a->cfg.enrollment_token), digest);
	return strcmp(digest, a->st.spent_token_sha256) != 0;
}

static int seconds_until(int64_t when, int64_t now)
{
	return when > now ? (int)(when - now) : 0;
}

static void step(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	(void)fd;
	(void)what;
	if (a->control)
		return; /* its completion calls us again */
	int64_t now = agent_now();

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
	if (now >= a->next_license_check) {
		license_fetch_start(a);
		return;
	}
	if (tasks_active(a)) {
		if (!tasks_advance(a)) {
			/* Waiting (download running or backing off): wake for whatever is due first. */
			int64_t wake = a->next_report;
			if (a->access_expires < wake)
				wake = a->access_expires;
			if (a->next_license_check < wake)
				wake = a->next_license_check;
			if (a->task.retry_at > now && a->task.retry_at < wake)
				wake = a->task.retry_at;
			schedule(a, seconds_until(wake, now));
		}
		return;
	}
	int wait = a->cfg.long_poll_s;
	int until_report = seconds_until(a->next_report, now);
	int until_license = seconds_until(a->next_license_check, now);
	int until_auth = seconds_until(a->access_expires, now);
	if (until_report < wait)
		wait = until_report;
	if (until_license < wait)
		wait = until_license;
	if (until_auth < wait)
		wait = until_auth;
	tasks_poll_start(a, wait);
}

/* Where the enrollment token and cloud URL come from when the config has none: the
 * token an installer pasted in the settings page earlier, then the camera's own app
 * settings. Camera settings fill only what the config leaves at its default. Used at
 * start and after SIGHUP rebuilt the configuration. */
static void apply_device_settings(struct agent *a)
{
	char reason[PLATFORM_REASON_MAX];
	if (!a->cfg.enrollment_token[0] &&
	    !local_api_saved_token(a->cfg.state_dir, a->cfg.enrollment_token,
				   sizeof(a->cfg.enrollment_token)))
		log_info("using the enrollment token given in the settings page");
	if (!a->plat.ops->read_settings)
		return;
	struct platform_settings ps;
	struct agent_config defaults;
	config_defaults(&defaults);
	if (a->plat.ops->read_settings(a->plat.priv, &ps, reason, sizeof(reason))) {
		log_warn("camera settings not read: %s", reason);
		return;
	}
	if (!a->cfg.enrollment_token[0] && ps.enrollment_token[0]) {
		snprintf(a->cfg.enrollment_token, sizeof(a->cfg.enrollment_token), "%s",
			 ps.enrollment_token);
		log_info("using the enrollment token from the camera's app settings");
	}
	if (!a->cfg.cloud_url[0] && ps.cloud_url[0])
		snprintf(a->cfg.cloud_url, sizeof(a->cfg.cloud_url), "%s", ps.cloud_url);
	if (a->cfg.long_poll_s == defaults.long_poll_s && ps.long_poll_s > 0)
		a->cfg.long_poll_s = ps.long_poll_s;
	explicit_bzero(&ps, sizeof(ps));
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
	if (state_save(a->cfg.state_dir, &next)) {
		log_error("cannot save the new cloud URL; staying with %s", a->st.cloud_url);
		return;
	}
	log_info("cloud URL changed from %s to %s", a->st.cloud_url, next.cloud_url);
	a->st = next;
	a->access_token[0] = '\0'; /* authenticate at the new address */
	a->access_expires = 0;
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
	apply_device_settings(a);
	follow_cloud_url(a);
	log_set_level(a->cfg.log_level);
	log_info("%s: configuration reloaded%s%s", why, a->config_path[0] ? " from " : "",
		 a->config_path);
	a->failures = 0;
	if (!a->control)
		agent_next(a);
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

int agent_init(struct agent *a, const struct agent_config *cfg, const char *config_path,
	       const struct config_override *overrides, int noverrides)
{
	char path[PATH_MAX], err[512], reason[PLATFORM_REASON_MAX];
	int created = 0;

	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (config_path)
		snprintf(a->config_path, sizeof(a->config_path), "%s", config_path);
	a->overrides = overrides;
	a->noverrides = noverrides;
	a->started_at = agent_now();
	a->crash_after = getenv("CAMAGENT_TEST_CRASH_AFTER");
	if (fs_mkdirs(a->cfg.state_dir, 0700)) {
		log_error("cannot create state dir %s: %s", a->cfg.state_dir, strerror(errno));
		return AGENT_EXIT_STATE;
	}
	if (state_path(path, sizeof(path), a->cfg.state_dir, "device.key") ||
	    crypto_key_load_or_create(&a->key, path, &created)) {
		log_error("cannot load or create the device key %s", path);
		return AGENT_EXIT_STATE;
	}
	if (created)
		log_info("generated a new device key (ECDSA P-256) in %s", path);
	if (state_load(a->cfg.state_dir, &a->st, err, sizeof(err)) || load_cloud_key(a) ||
	    task_store_load(a->cfg.state_dir, &a->task, err, sizeof(err)) ||
	    license_store_load(a->cfg.state_dir, &a->licenses, err, sizeof(err))) {
		log_error("cannot load state: %s", err);
		return AGENT_EXIT_STATE;
	}
	a->base = event_base_new();
	if (!a->base) {
		log_error("cannot set up the event loop");
		return AGENT_EXIT_STATE;
	}
	int opened;
	if (!strcmp(a->cfg.platform, "axis")) {
		struct platform_axis_config ac = {
			.vapix_url = a->cfg.vapix_url,
			.app_name = a->cfg.axis_app_name,
			.state_dir = a->cfg.state_dir,
			.dbus_address = a->cfg.axis_dbus_address[0] ? a->cfg.axis_dbus_address : NULL,
			.auto_rollback_min = a->cfg.axis_auto_rollback_min,
			.base = a->base,
		};
		opened = platform_axis_open(&a->plat, &ac, reason, sizeof(reason));
	} else {
		opened = platform_sim_open(&a->plat, a->cfg.sim_dir, reason, sizeof(reason));
	}
	if (opened || a->plat.ops->identity(a->plat.priv, &a->ident, reason, sizeof(reason))) {
		log_error("platform %s: %s", a->cfg.platform, reason);
		return AGENT_EXIT_PLATFORM;
	}
	log_info("camera %s (%s, %s) running AXIS OS %s", a->ident.serial, a->ident.model,
		 a->ident.arch, a->ident.os_version);
	apply_device_settings(a);
	if (a->plat.ops->watch_settings &&
	    a->plat.ops->watch_settings(a->plat.priv, on_settings_changed, a, reason,
					sizeof(reason)) < 0)
		log_warn("camera settings changes will not be seen until SIGHUP: %s", reason);

	struct http_client_config hc = {
		.ca_file = a->cfg.ca_file[0] ? a->cfg.ca_file : NULL,
		.allow_insecure_http = a->cfg.allow_insecure_http,
		.low_speed_time_s = a->cfg.request_timeout_s,
	};
	if (http_client_new(&a->http, a->base, &hc)) {
		log_error("cannot set up the HTTP client");
		return AGENT_EXIT_STATE;
	}
	a->step_timer = evtimer_new(a->base, step, a);
	a->sig_term = evsignal_new(a->base, SIGTERM, on_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_signal, a);
	a->sig_hup = evsignal_new(a->base, SIGHUP, on_signal, a);
	if (!a->step_timer || !a->sig_term || !a->sig_int || !a->sig_hup ||
	    evsignal_add(a->sig_term, NULL) || evsignal_add(a->sig_int, NULL) ||
	    evsignal_add(a->sig_hup, NULL)) {
		log_error("cannot set up timers and signals");
		return AGENT_EXIT_STATE;
	}
	tasks_resume(a);
	local_api_start(a);
	return AGENT_EXIT_OK;
}

int agent_run(struct agent *a)
{
	agent_next(a);
	event_base_dispatch(a->base);
	status_write(a);
	return a->exit_code;
}

void agent_free(struct agent *a)
{
	local_api_stop(a);
	if (a->task.dl) {
		download_cancel(a->task.dl);
		a->task.dl = NULL;
	}
	if (a->http)
		http_client_free(a->http); /* cancels the control request without callbacks */
	a->http = NULL;
	a->control = NULL;
	if (a->step_timer)
		event_free(a->step_timer);
	if (a->sig_term)
		event_free(a->sig_term);
	if (a->sig_int)
		event_free(a->sig_int);
	if (a->sig_hup)
		event_free(a->sig_hup);
	if (a->plat.ops)
		platform_close(&a->plat); /* before the loop: its events may live there */
	if (a->base)
		event_base_free(a->base);
	crypto_key_free(a->key);
	crypto_key_free(a->cloud_key);
	memset(a->access_token, 0, sizeof(a->access_token));
}
