/* test_agent_tasks: the upgrade state machine (tasks.c) through the sequencer,
 * with a fake transport, clock and camera: every edge from received to succeeded,
 * the failure edges, the resume edges after a kill, the update window across
 * midnight and a DST jump, cancellation while waiting, and task envelopes that lie. */
#include "agent_fakes.h"

#include <sys/stat.h>

#define IMAGE "fake camera image bytes, version 12.0.0"

static char image_sha[CRYPTO_SHA256_HEX_LEN];

static struct fx *enrolled(void)
{
	struct fx *f = fx_new();
	crypto_sha256_hex(IMAGE, strlen(IMAGE), image_sha);
	fx_enroll(f);
	fx_authenticate(f);
	return f;
}

/* Offers a task with window (JSON) on the next poll. */
static void offer(struct fx *f, const char *window)
{
	struct fx_req *r = fx_next(f);
	assert_non_null(r);
	assert_non_null(strstr(r->url, "/tasks/next"));
	fx_answer(r, 200, fx_task_reply(f, fx_task_payload(f, FX_TASK_ID, image_sha, strlen(IMAGE),
							     window)));
}

/* Acknowledges the status report in flight; returns the state it carried. */
static const char *ack_status(struct fx *f)
{
	static char state[32];
	struct fx_req *r = fx_next(f);
	assert_non_null(r);
	if (!strstr(r->url, "/device/v1/tasks/" FX_TASK_ID "/status"))
		fail_msg("expected a status report, got %s", r->url);
	struct json_doc doc = { 0 };
	assert_int_equal(json_parse(&doc, r->body, strlen(r->body), 32), 0);
	assert_int_equal(json_get_string(&doc, 0, "state", state, sizeof(state)), 0);
	json_free(&doc);
	fx_answer(r, 200, "{}");
	return state;
}

/* Answers what the agent asks as a healthy cloud would: status and reports {},
 * auth a token, licenses none, polls held for poll_hold_s, then 204. */
static void answer_any(struct fx *f, struct fx_req *r, int poll_hold_s)
{
	if (strstr(r->url, "/tasks/next")) {
		f->now += poll_hold_s;
		fx_answer(r, 204, NULL);
	} else if (strstr(r->url, "/device/v1/licenses")) {
		fx_answer(r, 200, "{\"licenses\":[]}");
	} else if (strstr(r->url, "/device/v1/auth")) {
		fx_answer(r, 200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}");
	} else {
		assert_true(strstr(r->url, "/status") || strstr(r->url, "/device/v1/report"));
		fx_answer(r, 200, "{}");
	}
}

/* Runs the agent against a healthy cloud until the task is in state s. */
static void run_to_state(struct fx *f, enum task_state s)
{
	for (int i = 0; i < 5000 && f->a.task.state != s; i++) {
		struct fx_req *r = fx_next(f);
		if (f->a.task.state == s)
			break;
		assert_non_null(r);
		answer_any(f, r, 60);
	}
	assert_int_equal(f->a.task.state, s);
}

/* Serves the artifact request in flight with the image. */
static void serve_image(struct fx *f, const char *bytes)
{
	struct fx_req *r = fx_pending(f, "/device/v1/artifacts/" FX_TASK_ID);
	assert_non_null(r);
	assert_string_equal(r->bearer, "tok-1");
	fx_answer(r, 200, bytes);
}

static void download_path(struct fx *f, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/download-%s.img", f->dir, FX_TASK_ID);
}

/* Runs to the state after downloading (the download request is pending first). */
static void receive_and_download(struct fx *f, const char *window)
{
	offer(f, window);
	assert_string_equal(ack_status(f), "received");
	assert_string_equal(ack_status(f), "downloading");
	fx_run_until(f, f->now);
	serve_image(f, IMAGE);
}

static void test_task_runs_every_edge_to_succeeded(void **state)
{
	struct fx *f = enrolled();
	receive_and_download(f, "null");
	run_to_state(f, TASK_INSTALLING);
	run_to_state(f, TASK_REBOOTING);
	assert_int_equal(f->installs, 1);
	assert_string_equal(ack_status(f), "rebooting");
	fx_run_until(f, f->now);
	assert_int_equal(f->reboots, 1);
	assert_int_equal(f->a.exit_code, AGENT_EXIT_REBOOT); /* stopped for the reboot */
	char path[PATH_MAX];
	download_path(f, path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0); /* the image is gone once rebooting */

	/* The camera comes back on the new image. */
	fx_stop(f);
	f->boot = PLATFORM_BOOT_UPGRADED;
	snprintf(f->os_version, sizeof(f->os_version), "12.0.0");
	fx_boot(f, 1);
	assert_int_equal(f->a.task.state, TASK_VERIFYING_VERSION);
	assert_int_equal(f->a.task.reported, TASK_REBOOTING);
	fx_authenticate(f);
	assert_string_equal(ack_status(f), "verifying_version");
	run_to_state(f, TASK_SUCCEEDED);
	assert_int_equal(f->commits, 1);
	run_to_state(f, TASK_NONE); /* cleared once the outcome is delivered */
	assert_string_equal(f->a.st.last_task_state, "succeeded");
	fx_free(f);
}

static void test_wrong_hash_fails_the_task(void **state)
{
	struct fx *f = enrolled();
	offer(f, "null");
	ack_status(f);
	ack_status(f);
	fx_run_until(f, f->now);
	char other[sizeof(IMAGE)];
	memset(other, 'x', sizeof(other) - 1);
	other[sizeof(other) - 1] = '\0';
	serve_image(f, other);
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "SHA-256 mismatch"));
	assert_int_equal(f->installs, 0);
	fx_free(f);
}

static void test_artifact_gone_fails_the_task(void **state)
{
	struct fx *f = enrolled();
	offer(f, "null");
	ack_status(f);
	ack_status(f);
	fx_run_until(f, f->now);
	struct fx_req *r = fx_pending(f, "/artifacts/");
	fx_answer(r, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such artifact\"}}");
	assert_int_equal(f->a.task.state, TASK_FAILED);
	fx_free(f);
}

static void test_artifact_408_and_401_are_retried_not_final(void **state)
{
	struct fx *f = enrolled();
	offer(f, "null");
	ack_status(f);
	ack_status(f);
	fx_run_until(f, f->now);
	fx_answer(fx_pending(f, "/artifacts/"), 408, NULL);
	assert_int_equal(f->a.task.state, TASK_DOWNLOADING);
	struct fx_req *r = fx_next(f); /* resumes after a backoff */
	assert_non_null(strstr(r->url, "/artifacts/"));
	fx_answer(r, 401, NULL);
	assert_int_equal(f->a.task.state, TASK_DOWNLOADING);
	r = fx_next(f); /* a new access token first */
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	fx_answer(r, 200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}");
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/artifacts/"));
	fx_free(f);
}

/* Cut twenty times, each time after a few more bytes: it keeps going and finishes. */
static void test_download_cut_often_but_advancing_finishes(void **state)
{
	struct fx *f = enrolled();
	offer(f, "null");
	ack_status(f);
	ack_status(f);
	size_t len = strlen(IMAGE), sent = 0;
	for (int cut = 0; cut < 20; cut++) {
		struct fx_req *r;
		while (!strstr((r = fx_next(f))->url, "/artifacts/"))
			fx_answer(r, 200, "{}"); /* progress reports */
		assert_int_equal(r->resume_from, sent);
		size_t n = cut < 19 ? 1 : 0; /* one byte more each time */
		if (n)
			assert_int_equal(r->sink(&IMAGE[sent], n, r->sink_arg), n);
		sent += n;
		fx_answer(r, 0, NULL); /* the link drops */
		assert_int_equal(f->a.task.state, TASK_DOWNLOADING);
	}
	/* The twenty-first attempt brings the rest. */
	struct fx_req *r;
	while (!strstr((r = fx_next(f))->url, "/artifacts/"))
		fx_answer(r, 200, "{}"); /* progress reports */
	assert_int_equal(r->resume_from, sent);
	assert_int_equal(r->sink(&IMAGE[sent], len - sent, r->sink_arg), len - sent);
	fx_answer(r, 206, NULL);
	assert_int_equal(f->a.task.state, TASK_VERIFYING);
	fx_free(f);
}

static void test_download_that_never_advances_gives_up(void **state)
{
	struct fx *f = enrolled();
	offer(f, "null");
	ack_status(f);
	ack_status(f);
	for (int i = 0; i < 20 && f->a.task.state == TASK_DOWNLOADING; i++) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		if (strstr(r->url, "/artifacts/"))
			fx_answer(r, 0, NULL);
		else
			fx_answer(r, 200, "{}");
	}
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "without progress"));
	fx_free(f);
}

static void test_install_failure_fails_the_task(void **state)
{
	struct fx *f = enrolled();
	f->install_fails = 1;
	receive_and_download(f, "null");
	run_to_state(f, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "install"));
	fx_free(f);
}

/* A camera's upload goes on on the loop: meanwhile the agent keeps polling (a held poll
 * is in flight), and the upload's end moves the task on at once, ending that poll. */
static struct fx *installing_on_the_loop(void)
{
	struct fx *f = enrolled();
	f->install_async = 1;
	receive_and_download(f, "null");
	run_to_state(f, TASK_INSTALLING);
	assert_string_equal(ack_status(f), "installing");
	return f;
}

static void test_install_in_progress_keeps_polling_and_its_end_moves_on(void **state)
{
	struct fx *f = installing_on_the_loop();
	struct fx_req *r = fx_next(f);
	assert_int_equal(f->installs, 1);
	assert_non_null(r);
	assert_non_null(strstr(r->url, "/device/v1/tasks/next"));
	assert_true(r->held);
	assert_int_equal(f->a.task.state, TASK_INSTALLING);
	fx_answer(r, 204, NULL); /* an early empty answer: polled again, not installed again */
	r = fx_next(f);
	assert_non_null(r);
	assert_non_null(strstr(r->url, "/device/v1/tasks/next"));
	assert_int_equal(f->installs, 1);
	fx_install_end(f, 0, NULL);
	assert_int_equal(f->a.task.state, TASK_REBOOTING);
	assert_false(r->active); /* the held poll was ended for the next step */
	assert_string_equal(ack_status(f), "rebooting");
	fx_free(f);
}

static void test_install_in_progress_that_fails_fails_the_task(void **state)
{
	struct fx *f = installing_on_the_loop();
	assert_non_null(fx_next(f));
	fx_install_end(f, -1, "VAPIX /axis-cgi/firmwaremanagement.cgi: HTTP 503");
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "install: VAPIX"));
	char path[PATH_MAX];
	download_path(f, path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0);
	fx_free(f);
}

/* Runs a task to rebooting, stops the agent there and starts it again on a platform
 * whose last boot did `outcome` (with the platform's words `why`). */
static struct fx *restarted_after_install(enum platform_boot_outcome outcome, const char *why)
{
	struct fx *f = enrolled();
	receive_and_download(f, "null");
	run_to_state(f, TASK_REBOOTING);
	ack_status(f);
	fx_stop(f);
	f->boot = outcome;
	snprintf(f->boot_why, sizeof(f->boot_why), "%s", why);
	fx_boot(f, 1);
	return f;
}

static void test_rollback_after_reboot_fails_the_task(void **state)
{
	struct fx *f = restarted_after_install(PLATFORM_BOOT_ROLLED_BACK, "");
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "rolled back"));
	fx_free(f);
}

/* The platform's words for a rollback reach the cloud as the task's reason. */
static void test_rollback_reason_from_the_platform_is_reported(void **state)
{
	struct fx *f = restarted_after_install(
		PLATFORM_BOOT_ROLLED_BACK, "AXIS OS 12.0.1 came up, but the cloud was not reached "
					   "before the camera's rollback timer fired");
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "came up, but the cloud was not reached"));
	assert_non_null(strstr(f->a.task.reason, "rolled back to AXIS OS"));
	fx_free(f);
}

/* Killed after the camera took the image and before it rebooted: no rollback, no
 * second install; the agent waits for that reboot. */
static void test_restart_before_the_cameras_reboot_waits_for_it(void **state)
{
	struct fx *f = restarted_after_install(PLATFORM_BOOT_PENDING,
					       "the camera has not rebooted yet");
	assert_int_equal(f->a.task.state, TASK_REBOOTING);
	assert_true(f->a.task.reboot_deadline > agent_now(&f->a));
	assert_int_equal(f->installs, 1); /* the image is not written again */
	fx_free(f);
}

/* A kill while the verified image waits: it is hashed again before any install. */
static void test_resume_in_waiting_window_rehashes_the_image(void **state)
{
	struct fx *f = enrolled();
	f->tz_offset_s = 0; /* 08:00 local; the window opens at 22:00 */
	receive_and_download(f, "{\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}");
	run_to_state(f, TASK_WAITING_WINDOW);
	fx_stop(f);
	char path[PATH_MAX];
	download_path(f, path, sizeof(path));
	FILE *img = fopen(path, "r+");
	assert_non_null(img);
	fputc('X', img); /* touched while the agent was not running */
	fclose(img);
	fx_boot(f, 1);
	assert_int_equal(f->a.task.state, TASK_DOWNLOADING);
	fx_authenticate(f);
	run_to_state(f, TASK_FAILED);
	assert_non_null(strstr(f->a.task.reason, "SHA-256 mismatch"));
	assert_int_equal(f->installs, 0);
	fx_free(f);
}

/* A kill in installing: the image is still there and is installed again. */
static void test_resume_in_installing_installs_again(void **state)
{
	struct fx *f = enrolled();
	receive_and_download(f, "null");
	run_to_state(f, TASK_INSTALLING);
	assert_int_equal(f->installs, 0);
	fx_stop(f); /* before the install step ran */
	fx_boot(f, 1);
	assert_int_equal(f->a.task.state, TASK_DOWNLOADING);
	fx_authenticate(f);
	run_to_state(f, TASK_REBOOTING);
	assert_int_equal(f->installs, 1);
	fx_free(f);
}

/* Installs only inside the window; keeps polling meanwhile. */
static void test_daily_window_across_midnight_installs_inside_it(void **state)
{
	struct fx *f = enrolled();
	receive_and_download(f, "{\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}");
	int polls = 0;
	while (f->a.task.state != TASK_INSTALLING && f->a.task.state != TASK_REBOOTING) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		if (strstr(r->url, "/tasks/next")) {
			polls++;
			assert_true(r->held);
		}
		answer_any(f, r, 60);
		assert_true(polls < 2000);
	}
	int minute = fx_local_minute(f, f->now);
	assert_true(minute >= 22 * 60 || minute < 4 * 60);
	assert_true(polls > 100); /* about 14 hours of held polls */
	assert_int_equal(f->installs, f->a.task.state == TASK_REBOOTING ? 1 : 0);
	fx_free(f);
}

/* The clock jumps an hour forward (DST) while waiting: no install outside the window. */
static void test_daily_window_across_dst_jump_installs_inside_it(void **state)
{
	struct fx *f = enrolled();
	/* 08:00 UTC = 08:00 local; at 09:30 UTC local time jumps to 10:30. */
	f->dst_at = f->now + 90 * 60;
	receive_and_download(f, "{\"kind\":\"daily\",\"from\":\"10:00\",\"to\":\"11:00\"}");
	for (int i = 0; f->a.task.state != TASK_INSTALLING && f->a.task.state != TASK_REBOOTING; i++) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		answer_any(f, r, 30); /* answered halfway: the agent keeps its own pace */
		assert_true(i < 5000);
	}
	int minute = fx_local_minute(f, f->now);
	assert_true(minute >= 10 * 60 && minute < 11 * 60);
	assert_true(f->now >= f->dst_at); /* it opened at 10:30 local, right after the jump */
	fx_free(f);
}

/* A poll answered early while waiting makes the agent say its state again; the
 * cloud's 409 task_cancelled drops the task and its image. */
static void test_cancel_while_waiting_reaches_the_agent_within_one_poll(void **state)
{
	struct fx *f = enrolled();
	receive_and_download(f, "{\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}");
	run_to_state(f, TASK_WAITING_WINDOW);
	ack_status(f); /* waiting_window */
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next"));
	int64_t t = f->now;
	fx_answer(r, 200, "{\"task\":null}"); /* the cloud wakes the poll: something changed */
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/" FX_TASK_ID "/status"));
	assert_true(f->now - t <= 60);
	fx_answer(r, 409, "{\"error\":{\"code\":\"task_cancelled\",\"message\":\"cancelled\"}}");
	assert_int_equal(f->a.task.state, TASK_NONE);
	char path[PATH_MAX];
	download_path(f, path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next")); /* polling again for the next task */
	fx_free(f);
}

static void test_utc_window_that_ended_fails_the_task(void **state)
{
	struct fx *f = enrolled();
	char w[128];
	snprintf(w, sizeof(w), "{\"kind\":\"utc\",\"start\":%lld,\"end\":%lld}",
		 (long long)f->now + 3600, (long long)f->now + 7200);
	receive_and_download(f, w);
	run_to_state(f, TASK_WAITING_WINDOW);
	f->now += 3 * 3600; /* the agent was stopped meanwhile, say */
	run_to_state(f, TASK_FAILED);
	assert_int_equal(f->installs, 0);
	fx_free(f);
}

/* The state file cannot be written: the transition is not made, the agent backs off. */
static void test_failed_save_stops_the_transition(void **state)
{
	struct fx *f = enrolled();
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/task.json", f->dir);
	assert_int_equal(mkdir(path, 0700), 0); /* rename onto a directory fails */
	snprintf(path, sizeof(path), "%s/task.json/x", f->dir);
	FILE *x = fopen(path, "w");
	assert_non_null(x);
	fclose(x);
	offer(f, "null");
	assert_int_equal(f->a.task.state, TASK_NONE); /* not received: not saved */
	assert_true(f->a.step_at > f->now);         /* a backoff, not a spin */
	fx_free(f);
}

/* ---- envelopes that lie ---- */

static void test_unverified_envelope_is_never_used(void **state)
{
	struct fx *f = enrolled();
	struct crypto_key *other;
	assert_int_equal(crypto_key_generate(&other), 0);
	struct buf env;
	buf_init(&env, ENVELOPE_MAX_BYTES);
	const char *payload = fx_task_payload(f, "../../../admin/v1/orgs?x=", image_sha, 10, "null");
	assert_int_equal(envelope_seal(other, payload, strlen(payload), &env), 0);
	char reply[ENVELOPE_MAX_BYTES];
	snprintf(reply, sizeof(reply), "{\"task\":%s}", buf_str(&env));
	buf_free(&env);
	crypto_key_free(other);
	for (int i = 0; i < 5; i++) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		assert_null(strstr(r->url, "admin"));
		assert_non_null(strstr(r->url, "/tasks/next"));
		fx_answer(r, 200, reply);
		assert_int_equal(f->a.task.state, TASK_NONE);
		assert_true(f->a.step_at > f->now); /* backed off */
	}
	assert_false(fx_pending(f, NULL));
	fx_free(f);
}

static void test_signed_task_with_id_that_is_not_hex_is_refused_without_a_request(void **state)
{
	struct fx *f = enrolled();
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, fx_task_reply(f, fx_task_payload(f, "../../x", image_sha, 10, "null")));
	assert_int_equal(f->a.task.state, TASK_NONE);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next"));
	fx_free(f);
}

/* Signed, valid id, but a field is wrong: refused at once and reported failed. */
static void expect_refused_and_reported(struct fx *f, const char *payload)
{
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, fx_task_reply(f, payload));
	assert_int_equal(f->a.task.state, TASK_FAILED);
	assert_string_equal(ack_status(f), "failed");
	assert_int_equal(f->a.task.state, TASK_NONE);
	fx_free(f);
}

static void test_task_with_bad_sha256_is_refused_at_once(void **state)
{
	struct fx *f = enrolled();
	expect_refused_and_reported(f, fx_task_payload(f, FX_TASK_ID, "abc", 10, "null"));
}

static void test_task_with_foreign_artifact_path_is_refused_at_once(void **state)
{
	struct fx *f = enrolled();
	char p[4096];
	snprintf(p, sizeof(p), "%s", fx_task_payload(f, FX_TASK_ID, image_sha, 10, "null"));
	char *u = strstr(p, "/device/v1/artifacts/");
	assert_non_null(u);
	memcpy(u, "/admin/v1/orgs/xx/xx", 20); /* same length, another path */
	expect_refused_and_reported(f, p);
}

static void test_task_with_absurd_size_is_refused_at_once(void **state)
{
	struct fx *f = enrolled();
	expect_refused_and_reported(f, fx_task_payload(f, FX_TASK_ID, image_sha,
							 18446744073709551615ull, "null"));
}

static void test_task_for_another_device_is_refused_and_reported(void **state)
{
	struct fx *f = enrolled();
	char p[4096];
	snprintf(p, sizeof(p), "%s", fx_task_payload(f, FX_TASK_ID, image_sha, 10, "null"));
	char *d = strstr(p, FX_DEVICE_ID);
	d[0] = 'f';
	expect_refused_and_reported(f, p);
}

/* §6a payloads as the agent reads them: install needs its artifact, the other actions a
 * null one; an unknown action, a missing app or params that are no array are refused. */
static void test_app_task_payloads_read_or_refused(void **state)
{
	(void)state;
	struct task_run t;
#define APP_HEAD "{\"type\":\"task\",\"task_id\":\"fedcba9876543210fedcba9876543210\"," \
	"\"exp\":4000000000,\"kind\":\"app\",\"window\":null,"
#define ART "{\"url\":\"/device/v1/artifacts/00112233445566778899aabbccddeeff\"," \
	"\"size\":4096,\"sha256\":\"" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"
	static const char install[] = APP_HEAD "\"action\":\"install\",\"app\":\"analytics\","
		"\"version\":\"1.1.0\",\"params\":[],\"artifact\":" ART "}";
	static const char set[] = APP_HEAD "\"action\":\"set_params\",\"app\":\"analytics\","
		"\"version\":\"1.1.0\",\"params\":[{\"name\":\"Sensitivity\",\"value\":\"9\"}],"
		"\"artifact\":null}";
	static const char *const refused[] = {
		APP_HEAD "\"action\":\"reformat\",\"app\":\"a\",\"version\":\"1\",\"params\":[],"
			"\"artifact\":null}",
		APP_HEAD "\"action\":\"stop\",\"app\":\"\",\"version\":\"1\",\"params\":[],"
			"\"artifact\":null}",
		APP_HEAD "\"action\":\"stop\",\"app\":\"a\",\"version\":\"1\",\"params\":{},"
			"\"artifact\":null}",
		APP_HEAD "\"action\":\"install\",\"app\":\"a\",\"version\":\"1\",\"params\":[],"
			"\"artifact\":null}",
		APP_HEAD "\"action\":\"stop\",\"app\":\"a\",\"version\":\"1\",\"params\":[],"
			"\"artifact\":" ART "}",
	};
	memset(&t, 0, sizeof(t));
	assert_int_equal(task_payload_read(&t, install, strlen(install)), 0);
	assert_string_equal(t.app_action, "install");
	assert_string_equal(t.app_name, "analytics");
	assert_string_equal(t.target_version, "1.1.0");
	assert_int_equal(t.size, 4096);
	assert_false(task_is_app_without_package(&t));
	memset(&t, 0, sizeof(t));
	assert_int_equal(task_payload_read(&t, set, strlen(set)), 0);
	assert_true(task_is_app_without_package(&t));
	assert_non_null(strstr(t.app_params, "Sensitivity"));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&t, 0, sizeof(t));
		assert_int_equal(task_payload_read(&t, refused[i], strlen(refused[i])), -1);
	}
}

static void test_new_task_while_one_runs_waits_its_turn(void **state)
{
	struct fx *f = enrolled();
	receive_and_download(f, "{\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}");
	run_to_state(f, TASK_WAITING_WINDOW);
	ack_status(f);
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, fx_task_reply(f, fx_task_payload(f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
							     image_sha, 10, "null")));
	assert_string_equal(f->a.task.task_id, FX_TASK_ID);
	assert_int_equal(f->a.task.state, TASK_WAITING_WINDOW);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_runs_every_edge_to_succeeded),
		cmocka_unit_test(test_app_task_payloads_read_or_refused),
		cmocka_unit_test(test_wrong_hash_fails_the_task),
		cmocka_unit_test(test_artifact_gone_fails_the_task),
		cmocka_unit_test(test_artifact_408_and_401_are_retried_not_final),
		cmocka_unit_test(test_download_cut_often_but_advancing_finishes),
		cmocka_unit_test(test_download_that_never_advances_gives_up),
		cmocka_unit_test(test_install_failure_fails_the_task),
		cmocka_unit_test(test_rollback_after_reboot_fails_the_task),
		cmocka_unit_test(test_rollback_reason_from_the_platform_is_reported),
		cmocka_unit_test(test_restart_before_the_cameras_reboot_waits_for_it),
		cmocka_unit_test(test_resume_in_waiting_window_rehashes_the_image),
		cmocka_unit_test(test_resume_in_installing_installs_again),
		cmocka_unit_test(test_install_in_progress_keeps_polling_and_its_end_moves_on),
		cmocka_unit_test(test_install_in_progress_that_fails_fails_the_task),
		cmocka_unit_test(test_daily_window_across_midnight_installs_inside_it),
		cmocka_unit_test(test_daily_window_across_dst_jump_installs_inside_it),
		cmocka_unit_test(test_cancel_while_waiting_reaches_the_agent_within_one_poll),
		cmocka_unit_test(test_utc_window_that_ended_fails_the_task),
		cmocka_unit_test(test_failed_save_stops_the_transition),
		cmocka_unit_test(test_unverified_envelope_is_never_used),
		cmocka_unit_test(test_signed_task_with_id_that_is_not_hex_is_refused_without_a_request),
		cmocka_unit_test(test_task_with_bad_sha256_is_refused_at_once),
		cmocka_unit_test(test_task_with_foreign_artifact_path_is_refused_at_once),
		cmocka_unit_test(test_task_with_absurd_size_is_refused_at_once),
		cmocka_unit_test(test_task_for_another_device_is_refused_and_reported),
		cmocka_unit_test(test_new_task_while_one_runs_waits_its_turn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
