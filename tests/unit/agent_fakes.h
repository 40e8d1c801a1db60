/* agent_fakes: the outside world of the agent as fakes, for the test_agent_*
 * unit tests: a transport that records requests and lets the test answer them, a
 * clock the test moves (with a time zone that may jump, as at DST), a camera
 * platform that records what it was asked, and a cloud signing key to seal task
 * and license envelopes. The sequencer runs through agent_step(), driven by
 * fx_run(), never by a real timer. Include once per test file. */
#ifndef TEST_AGENT_FAKES_H
#define TEST_AGENT_FAKES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../agent/agent.h"
#include "../../lib/envelope.h"
#include "../../lib/json.h"
#include "../../lib/log.h"

#define FX_UNUSED __attribute__((unused))
#define FX_REQ_MAX 4
#define FX_CLOUD "http://127.0.0.1:9"
#define FX_DEVICE_ID "0123456789abcdef0123456789abcdef"
#define FX_TASK_ID "fedcba9876543210fedcba9876543210"
#define FX_SERIAL "ACCC8E000001"
#define FX_MODEL "P3265-LVE"

struct fx_req {
	int active;
	char method[8];
	char url[1024];
	char body[8192];
	char bearer[256];
	int held;
	long timeout_s;
	uint64_t resume_from;
	http_sink_fn sink;
	void *sink_arg;
	http_done_fn done;
	void *done_arg;
};

struct fx {
	struct agent a;
	char dir[64];
	/* transport */
	struct fx_req req[FX_REQ_MAX];
	int started;             /* requests started, all kinds */
	int refuse_start;        /* start() fails */
	/* clock */
	int64_t now;
	int64_t dst_at;          /* from this instant on, local time is one hour later */
	int tz_offset_s;         /* local = UTC + this (before dst_at) */
	/* platform */
	int installs, reboots, commits, licenses_installed, licenses_removed;
	int install_fails;
	int install_async;       /* install returns PLATFORM_IN_PROGRESS; fx_install_end ends it */
	platform_done_fn install_done;
	void *install_arg;
	int reboot_rc;
	platform_done_fn license_done; /* the license call answered next ... */
	void *license_arg;
	struct event_base *answers;    /* ... on this loop, which fx_run_until turns (the
					* agent's own loop stays the test's: its timers do not run) */
	enum platform_boot_outcome boot;
	char boot_why[PLATFORM_REASON_MAX]; /* what boot_outcome says with it */
	char os_version[PLATFORM_FIELD_MAX];
	/* cloud */
	struct crypto_key *cloud;
};

static struct fx *fx_cur;

/* ---- transport ---- */

static struct http_request *fx_start(void *priv, const struct http_request_spec *spec)
{
	struct fx *f = priv;
	if (f->refuse_start)
		return NULL;
	for (int i = 0; i < FX_REQ_MAX; i++) {
		struct fx_req *r = &f->req[i];
		if (r->active)
			continue;
		memset(r, 0, sizeof(*r));
		r->active = 1;
		snprintf(r->method, sizeof(r->method), "%s", spec->method ? spec->method : "GET");
		snprintf(r->url, sizeof(r->url), "%s", spec->url);
		if (spec->body)
			snprintf(r->body, sizeof(r->body), "%.*s", (int)spec->body_len, spec->body);
		snprintf(r->bearer, sizeof(r->bearer), "%s", spec->bearer ? spec->bearer : "");
		r->held = spec->held;
		r->timeout_s = spec->timeout_s;
		r->resume_from = spec->resume_from;
		r->sink = spec->sink;
		r->sink_arg = spec->sink_arg;
		r->done = spec->done;
		r->done_arg = spec->done_arg;
		f->started++;
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "fake transport: %s %s\n", r->method, r->url);
		return (struct http_request *)r;
	}
	fail_msg("more than %d requests in flight", FX_REQ_MAX);
	return NULL;
}

static void fx_cancel(void *priv, struct http_request *req)
{
	(void)priv;
	((struct fx_req *)req)->active = 0;
}

static const struct transport_ops fx_transport_ops = { .start = fx_start, .cancel = fx_cancel };

/* The pending request whose URL contains path (NULL: any); NULL when none. */
static FX_UNUSED struct fx_req *fx_pending(struct fx *f, const char *path)
{
	for (int i = 0; i < FX_REQ_MAX; i++)
		if (f->req[i].active && (!path || strstr(f->req[i].url, path)))
			return &f->req[i];
	return NULL;
}

/* Answers r with status and body (NULL: none); status 0 is a transport error. */
static FX_UNUSED void fx_answer(struct fx_req *r, long status, const char *body)
{
	struct http_response resp;
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, HTTP_BODY_MAX);
	resp.status = status;
	if (!status) {
		resp.curl_code = CURLE_COULDNT_CONNECT;
		snprintf(resp.error, sizeof(resp.error), "connection refused");
	} else if (body && r->sink && status >= 200 && status < 300) {
		r->sink(body, strlen(body), r->sink_arg);
	} else if (body) {
		assert_int_equal(buf_append(&resp.body, body, strlen(body)), 0);
	}
	r->active = 0;
	r->done(&resp, r->done_arg);
	buf_free(&resp.body);
}

/* Answers a body with a signature header by key (enrollment replies). */
static FX_UNUSED void fx_answer_signed(struct fx_req *r, const char *body,
				       const struct crypto_key *key)
{
	struct http_response resp;
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, HTTP_BODY_MAX);
	resp.status = 200;
	assert_int_equal(buf_append(&resp.body, body, strlen(body)), 0);
	assert_int_equal(crypto_sign(key, body, strlen(body), resp.signature, sizeof(resp.signature)),
			 0);
	r->active = 0;
	r->done(&resp, r->done_arg);
	buf_free(&resp.body);
}

/* ---- clock ---- */

static int64_t fx_now(void *priv)
{
	return ((struct fx *)priv)->now;
}

static int fx_local_minute(void *priv, int64_t t)
{
	struct fx *f = priv;
	int64_t local = t + f->tz_offset_s + (f->dst_at && t >= f->dst_at ? 3600 : 0);
	return (int)(((local % 86400) + 86400) % 86400 / 60);
}

static const struct clock_ops fx_clock_ops = { .now = fx_now, .local_minute = fx_local_minute };

/* ---- platform ---- */

static int fx_identity(void *priv, struct platform_identity *out, char *reason, size_t rsz)
{
	struct fx *f = priv;
	memset(out, 0, sizeof(*out));
	snprintf(out->serial, sizeof(out->serial), FX_SERIAL);
	snprintf(out->model, sizeof(out->model), FX_MODEL);
	snprintf(out->hardware_id, sizeof(out->hardware_id), "7A1");
	snprintf(out->arch, sizeof(out->arch), "aarch64");
	snprintf(out->os_version, sizeof(out->os_version), "%s", f->os_version);
	return 0;
}

static int fx_install(void *priv, const struct platform_image *img, platform_done_fn done,
		      void *arg, char *reason, size_t rsz)
{
	struct fx *f = priv;
	f->installs++;
	if (f->install_async) {
		f->install_done = done;
		f->install_arg = arg;
		return PLATFORM_IN_PROGRESS;
	}
	if (f->install_fails) {
		snprintf(reason, rsz, "the fake camera refuses");
		return -1;
	}
	return access(img->path, R_OK) == 0 ? 0 : (snprintf(reason, rsz, "no image"), -1);
}

/* Ends the install in progress with rc (and reason for -1), as the camera's reply would. */
static FX_UNUSED void fx_install_end(struct fx *f, int rc, const char *reason)
{
	platform_done_fn done = f->install_done;
	assert_non_null(done);
	f->install_done = NULL;
	done(f->install_arg, rc, reason);
}

static int fx_reboot(void *priv, char *reason, size_t rsz)
{
	struct fx *f = priv;
	f->reboots++;
	return f->reboot_rc;
}

static enum platform_boot_outcome fx_boot_outcome(void *priv, char *why, size_t whysz)
{
	struct fx *f = priv;
	snprintf(why, whysz, "%s", f->boot_why);
	return f->boot;
}


/* License calls and commits answer on a loop, as a camera's do (fx_run_until turns it). */
static void fx_camera_answer(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;
	platform_done_fn done = f->license_done;
	(void)fd;
	(void)what;
	f->license_done = NULL;
	done(f->license_arg, 0, NULL);
}

static int fx_camera_call(struct fx *f, int *count, platform_done_fn done, void *arg)
{
	const struct timeval now = { 0, 0 };
	assert_null(f->license_done); /* one at a time */
	(*count)++;
	f->license_done = done;
	f->license_arg = arg;
	assert_int_equal(event_base_once(f->answers, -1, EV_TIMEOUT, fx_camera_answer, f, &now), 0);
	return 0;
}

static int fx_license_install(void *priv, const char *app, const void *key, size_t keylen,
			      platform_done_fn done, void *arg, char *reason, size_t rsz)
{
	struct fx *f = priv;
	return fx_camera_call(f, &f->licenses_installed, done, arg);
}

static int fx_license_remove(void *priv, const char *app, platform_done_fn done, void *arg,
			     char *reason, size_t rsz)
{
	struct fx *f = priv;
	return fx_camera_call(f, &f->licenses_removed, done, arg);
}

static int fx_commit(void *priv, platform_done_fn done, void *arg, char *reason, size_t rsz)
{
	struct fx *f = priv;
	return fx_camera_call(f, &f->commits, done, arg);
}

static int fx_rollback(void *priv, platform_done_fn done, void *arg, char *reason, size_t rsz)
{
	struct fx *f = priv;
	int rollbacks = 0;
	return fx_camera_call(f, &rollbacks, done, arg);
}

static void fx_close(void *priv)
{
}

static const struct platform_ops fx_platform_ops = {
	.name = "fake", .identity = fx_identity, .install = fx_install, .reboot = fx_reboot,
	.boot_outcome = fx_boot_outcome, .commit = fx_commit, .rollback = fx_rollback,
	.license_install = fx_license_install, .license_remove = fx_license_remove,
	.close = fx_close,
};

/* ---- fixture ---- */

/* A fresh agent with its state dir, not enrolled, nothing started yet. When
 * keep_dir is set, reuses f->dir (a restart on the same state). */
static FX_UNUSED void fx_boot(struct fx *f, int keep_dir)
{
	struct agent *a = &f->a;
	if (!keep_dir) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/test_agent.XXXXXX");
		assert_non_null(mkdtemp(f->dir));
	}
	memset(a, 0, sizeof(*a));
	config_defaults(&a->cfg);
	snprintf(a->cfg.state_dir, sizeof(a->cfg.state_dir), "%s", f->dir);
	a->cfg.allow_insecure_http = 1;
	a->net = (struct transport){ &fx_transport_ops, f };
	a->clock = (struct agent_clock){ &fx_clock_ops, f };
	a->plat = (struct platform){ &fx_platform_ops, f };
	assert_int_equal(fx_identity(f, &a->ident, NULL, 0), 0);
	a->camera_up = 1; /* as once the platform answered its start */
	a->base = event_base_new();
	assert_non_null(a->base);
	assert_int_equal(agent_init_core(a), AGENT_EXIT_OK);
}

static FX_UNUSED struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fx_cur = f;
	log_set_level(getenv("TEST_VERBOSE") ? LOGL_DEBUG : LOGL_ERROR);
	f->now = 1800000000; /* 2027-01-15 08:00 UTC */
	snprintf(f->os_version, sizeof(f->os_version), "11.11.73");
	assert_int_equal(crypto_key_generate(&f->cloud), 0);
	f->answers = event_base_new();
	assert_non_null(f->answers);
	fx_boot(f, 0);
	return f;
}

/* Makes the agent enrolled (state saved), as a finished enrollment leaves it. */
static FX_UNUSED void fx_enroll(struct fx *f)
{
	struct agent *a = &f->a;
	struct agent_state next = a->st;
	next.enroll = ENROLL_ENROLLED;
	snprintf(next.device_id, sizeof(next.device_id), FX_DEVICE_ID);
	snprintf(next.cloud_url, sizeof(next.cloud_url), FX_CLOUD);
	assert_int_equal(crypto_key_public_pem(f->cloud, next.cloud_key_pem,
					       sizeof(next.cloud_key_pem)), 0);
	assert_int_equal(enroll_set_state(a, &next), 0);
	crypto_key_free(a->cloud_key);
	assert_int_equal(crypto_key_from_public_pem(&a->cloud_key, next.cloud_key_pem), 0);
	a->next_report = f->now + 100000;
	a->next_license_check = f->now + 100000;
}

/* Stops the agent as a kill would (nothing more written) and frees it. */
static FX_UNUSED void fx_stop(struct fx *f)
{
	for (int i = 0; i < FX_REQ_MAX; i++)
		f->req[i].active = 0;
	f->a.control = NULL;
	agent_free(&f->a); /* frees a download in flight; the fake transport writes nothing */
}

static FX_UNUSED void fx_free(struct fx *f)
{
	char cmd[128];
	fx_stop(f);
	crypto_key_free(f->cloud);
	event_base_free(f->answers);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	fx_cur = NULL;
}

/* Runs the sequencer until a request is pending or nothing is scheduled before
 * `until`: moves the clock to each step. Returns the pending request or NULL. */
static FX_UNUSED struct fx_req *fx_run_until(struct fx *f, int64_t until)
{
	struct agent *a = &f->a;
	for (int guard = 0; guard < 10000; guard++) {
		event_base_loop(f->answers, EVLOOP_NONBLOCK); /* the platform's answers */
		/* The agent's own events (a resume's hash), but not its step timer: the
		 * fixture runs the steps itself, at step_at. */
		if (a->step_timer)
			evtimer_del(a->step_timer);
		event_base_loop(a->base, EVLOOP_NONBLOCK);
		if (a->control)
			return fx_pending(f, NULL);
		if (a->step_at > until || a->step_at == INT64_MAX)
			return fx_pending(f, NULL); /* a download may be pending */
		if (a->step_at > f->now)
			f->now = a->step_at;
		a->step_at = INT64_MAX; /* what the step schedules replaces it */
		agent_step(a);
		if (a->control || fx_pending(f, NULL))
			return fx_pending(f, NULL);
	}
	fail_msg("the sequencer spins without starting anything");
	return NULL;
}

/* The next request within a day. */
static FX_UNUSED struct fx_req *fx_next(struct fx *f)
{
	return fx_run_until(f, f->now + 86400);
}

/* Seals payload (JSON) as the cloud would and returns the envelope JSON (static). */
static FX_UNUSED const char *fx_seal(struct fx *f, const char *payload)
{
	static char out[ENVELOPE_MAX_BYTES];
	struct buf b;
	buf_init(&b, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(f->cloud, payload, strlen(payload), &b), 0);
	snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

/* A task payload for this device; window is the JSON of the window ("null"). */
static FX_UNUSED const char *fx_task_payload(struct fx *f, const char *task_id,
					     const char *sha256, uint64_t size, const char *window)
{
	static char p[4096];
	snprintf(p, sizeof(p),
		 "{\"type\":\"task\",\"device_id\":\"%s\",\"serial\":\"%s\",\"iat\":%lld,\"exp\":%lld,"
		 "\"task_id\":\"%s\",\"kind\":\"os_upgrade\",\"model\":\"%s\",\"target_version\":\"12.0.0\","
		 "\"allow_downgrade\":false,\"artifact\":{\"url\":\"/device/v1/artifacts/%s\",\"size\":%llu,"
		 "\"sha256\":\"%s\"},\"window\":%s}",
		 FX_DEVICE_ID, FX_SERIAL, (long long)f->now, (long long)f->now + 7 * 86400, task_id,
		 FX_MODEL, task_id, (unsigned long long)size, sha256, window);
	return p;
}

/* {"task": <sealed payload>} */
static FX_UNUSED const char *fx_task_reply(struct fx *f, const char *payload)
{
	static char r[ENVELOPE_MAX_BYTES + 32];
	snprintf(r, sizeof(r), "{\"task\":%s}", fx_seal(f, payload));
	return r;
}

/* Answers the auth request the agent makes when it holds no access token. */
static FX_UNUSED void fx_authenticate(struct fx *f)
{
	struct fx_req *r = fx_next(f);
	assert_non_null(r);
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	fx_answer(r, 200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}");
}

#endif
