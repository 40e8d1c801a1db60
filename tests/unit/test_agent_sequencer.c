/* test_agent_sequencer: the sequencer in agent.c against a fake transport and
 * clock: the idle agent holds one poll per period; no reply, however wrong, makes
 * it spin (an upper bound on the request rate per malformed-reply class); 401s
 * back off, re-authenticating at most once per backoff step; bad tokens and
 * lifetimes lead to a backoff, never a stop or a crash. */
#include "agent_fakes.h"

/* Answers every request the agent makes for `seconds` of fake time: auth with a
 * good token, polls with poll_status/poll_body at once. Returns the requests made. */
static int count_requests(struct fx *f, int seconds, long poll_status, const char *poll_body,
			  int *auths)
{
	int64_t end = f->now + seconds;
	int n = 0;
	*auths = 0;
	for (;;) {
		struct fx_req *r = fx_run_until(f, end);
		if (!r)
			break;
		if (++n > 1000)
			fail_msg("%d requests in %d s: the agent spins", n, seconds);
		if (strstr(r->url, "/device/v1/auth")) {
			(*auths)++;
			fx_answer(r, 200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}");
		} else if (strstr(r->url, "/tasks/next")) {
			fx_answer(r, poll_status, poll_body);
		} else if (strstr(r->url, "/device/v1/licenses")) {
			fx_answer(r, 200, "{\"licenses\":[]}"); /* nothing new, whatever the hint said */
		} else {
			fail_msg("unexpected request %s", r->url);
		}
	}
	return n;
}

static void test_idle_agent_holds_one_poll_per_period(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	for (int i = 0; i < 10; i++) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		assert_non_null(strstr(r->url, "/device/v1/tasks/next?wait=60"));
		assert_true(r->held);
		assert_true(r->timeout_s > 60);
		assert_string_equal(r->bearer, "tok-1");
		f->now += 60; /* the cloud holds it for the whole wait */
		fx_answer(r, 204, NULL);
		assert_int_equal(f->a.step_at, f->now); /* the next poll at once, nothing between */
	}
	assert_int_equal(f->started, 11); /* one auth, ten polls */
	fx_free(f);
}

/* A camera that is not ready (its platform not up): the enrolled agent authenticates and
 * reports at its heartbeat what it knew of the camera, with the reason, and asks the
 * cloud for nothing else. */
static void test_camera_not_ready_reports_what_it_knows(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	f->a.camera_up = 0;
	snprintf(f->a.camera_not_ready, sizeof(f->a.camera_not_ready),
		 "VAPIX /axis-cgi/basicdeviceinfo.cgi: HTTP 503");
	f->a.next_report = 0;
	fx_authenticate(f);
	int64_t sent = 0;
	for (int i = 0; i < 3; i++) {
		struct fx_req *r = fx_next(f);
		assert_non_null(r);
		assert_non_null(strstr(r->url, "/device/v1/report"));
		if (i)
			assert_int_equal(f->now, sent + f->a.cfg.heartbeat_s); /* nothing between */
		assert_non_null(strstr(r->body, "\"camera_not_ready\":\"VAPIX /axis-cgi/basicdeviceinfo.cgi: HTTP 503\""));
		assert_non_null(strstr(r->body, "\"os_version\":\"11.11.73\""));
		assert_null(strstr(r->body, "\"apps\""));
		sent = f->now;
		fx_answer(r, 200, "{\"heartbeat\":300}");
	}
	assert_int_equal(f->started, 4); /* one auth, three reports, no poll */
	fx_free(f);
}

/* A cloud that answers every poll at once: each class must end in a backoff. Each poll
 * may bring per_poll requests (a hint: the poll and the license fetch). */
static void expect_bounded_each(long status, const char *body, int per_poll)
{
	struct fx *f = fx_new();
	int auths;
	fx_enroll(f);
	int n = count_requests(f, 600, status, body, &auths);
	/* Backoff 1, 2, 4 ... 300 s (jittered to at least half): a dozen in 10 minutes. */
	assert_true(n >= 3);
	assert_true(n <= 16 * per_poll);
	assert_int_equal(auths, 1);
	fx_free(f);
}

static void expect_bounded(long status, const char *body)
{
	expect_bounded_each(status, body, 1);
}

static void test_poll_answered_204_at_once_backs_off(void **state)
{
	expect_bounded(204, NULL);
}

static void test_poll_answered_empty_object_at_once_backs_off(void **state)
{
	expect_bounded(200, "{}");
}

static void test_poll_answered_null_task_at_once_backs_off(void **state)
{
	expect_bounded(200, "{\"task\":null}");
}

/* A hint is acted on at once, but a cloud whose every poll answer is a hint that leads
 * to nothing is a cloud answering at once: bounded like the others. */
static void test_poll_answered_idle_hint_at_once_backs_off(void **state)
{
	expect_bounded_each(200, "{\"task\":null,\"check\":[\"licenses\"]}", 2);
}

static void test_poll_answered_numeric_task_backs_off(void **state)
{
	expect_bounded(200, "{\"task\":5}");
}

static void test_poll_answered_string_task_backs_off(void **state)
{
	expect_bounded(200, "{\"task\":\"x\"}");
}

static void test_poll_answered_non_json_backs_off(void **state)
{
	expect_bounded(200, "<html>hello</html>");
}

static void test_poll_answered_array_backs_off(void **state)
{
	expect_bounded(200, "[1,2,3]");
}

static void test_poll_server_errors_back_off(void **state)
{
	expect_bounded(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"down\"}}");
}

static void test_poll_transport_errors_back_off(void **state)
{
	expect_bounded(0, NULL);
}

static void test_poll_refused_backs_off(void **state)
{
	expect_bounded(400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"no\"}}");
}

static void test_persistent_401_backs_off_and_reauthenticates_once_per_step(void **state)
{
	struct fx *f = fx_new();
	int auths;
	fx_enroll(f);
	int n = count_requests(f, 600, 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}",
			       &auths);
	int polls = n - auths;
	assert_true(polls >= 3);
	/* Each backoff step: at most one authentication and one poll. */
	assert_true(auths <= polls + 1);
	assert_true(n <= 32);
	fx_free(f);
}

static void test_401_reauthenticates_at_once_the_first_time(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next"));
	int64_t t = f->now;
	fx_answer(r, 401, NULL);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	assert_int_equal(f->now, t);
	assert_string_equal(r->bearer, ""); /* a signed request, no stale bearer */
	fx_free(f);
}

static void expect_auth_reply_backs_off(const char *reply)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	int64_t t = f->now;
	fx_answer(r, 200, reply);
	assert_string_equal(f->a.access_token, "");
	r = fx_next(f); /* still running: authenticates again, later */
	assert_non_null(r);
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	assert_true(f->now > t);
	fx_free(f);
}

static void test_access_token_with_crlf_leads_to_backoff_not_stop(void **state)
{
	expect_auth_reply_backs_off("{\"access_token\":\"tok\\r\\nX-Evil: 1\",\"expires_in\":3600}");
}

static void test_access_token_too_long_leads_to_backoff(void **state)
{
	char reply[512], tok[200];
	memset(tok, 'a', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	snprintf(reply, sizeof(reply), "{\"access_token\":\"%s\",\"expires_in\":3600}", tok);
	expect_auth_reply_backs_off(reply);
}

static void test_expires_in_int64_max_is_refused_without_overflow(void **state)
{
	expect_auth_reply_backs_off("{\"access_token\":\"tok\",\"expires_in\":9223372036854775807}");
}

static void test_expires_in_negative_is_refused(void **state)
{
	expect_auth_reply_backs_off("{\"access_token\":\"tok\",\"expires_in\":-5}");
}

static void test_auth_reply_without_token_is_refused(void **state)
{
	expect_auth_reply_backs_off("{}");
}

static void test_transport_that_cannot_start_backs_off(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	f->refuse_start = 1;
	int64_t t = f->now;
	assert_null(fx_run_until(f, f->now + 600));
	/* It kept trying, with growing pauses, and never started anything. */
	assert_true(f->now > t + 100);
	assert_int_equal(f->started, 0);
	fx_free(f);
}

static void test_license_hint_fetches_licenses_at_once(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, "{\"task\":null,\"check\":[\"licenses\"]}");
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/licenses"));
	fx_free(f);
}

/* Hints that each bring news are each acted on at once, however many in a row: a
 * revocation of a license never installed here is news (the cloud must hear it). */
static void test_license_hints_with_news_are_each_acted_on_at_once(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	int64_t t0 = f->now;
	for (int round = 0; round < 5; round++) {
		struct fx_req *r = fx_next(f);
		while (!strstr(r->url, "/tasks/next")) { /* the reports of the round before */
			fx_answer(r, 200, "{\"heartbeat\":300}");
			r = fx_next(f);
		}
		assert_int_equal(f->now, t0); /* no backoff between */
		fx_answer(r, 200, "{\"task\":null,\"check\":[\"licenses\"]}");
		r = fx_next(f);
		assert_non_null(strstr(r->url, "/device/v1/licenses"));
		char body[160];
		snprintf(body, sizeof(body), "{\"licenses\":[],\"revoked\":[{\"license_id\":"
			 "\"%032d\",\"app\":\"4711\"}]}", round + 1);
		fx_answer(r, 200, body);
	}
	fx_free(f);
}

/* What changes while a report is on its way (say the camera's app list, which comes back
 * before the cloud's answer) is not in that report: the next one goes at once, not a
 * heartbeat later. */
static void test_change_while_a_report_is_in_flight_is_reported_at_once(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	f->a.next_report = 0;
	fx_authenticate(f);
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/report"));
	int64_t sent = f->now;
	agent_report_soon(&f->a);
	fx_answer(r, 200, "{\"heartbeat\":300}");
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/report"));
	assert_int_equal(f->now, sent);
	fx_answer(r, 200, "{\"heartbeat\":300}");
	r = fx_next(f); /* and then no more than the heartbeat asks */
	assert_null(strstr(r->url, "/device/v1/report"));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_agent_holds_one_poll_per_period),
		cmocka_unit_test(test_camera_not_ready_reports_what_it_knows),
		cmocka_unit_test(test_poll_answered_204_at_once_backs_off),
		cmocka_unit_test(test_poll_answered_empty_object_at_once_backs_off),
		cmocka_unit_test(test_poll_answered_null_task_at_once_backs_off),
		cmocka_unit_test(test_poll_answered_idle_hint_at_once_backs_off),
		cmocka_unit_test(test_poll_answered_numeric_task_backs_off),
		cmocka_unit_test(test_poll_answered_string_task_backs_off),
		cmocka_unit_test(test_poll_answered_non_json_backs_off),
		cmocka_unit_test(test_poll_answered_array_backs_off),
		cmocka_unit_test(test_poll_server_errors_back_off),
		cmocka_unit_test(test_poll_transport_errors_back_off),
		cmocka_unit_test(test_poll_refused_backs_off),
		cmocka_unit_test(test_persistent_401_backs_off_and_reauthenticates_once_per_step),
		cmocka_unit_test(test_401_reauthenticates_at_once_the_first_time),
		cmocka_unit_test(test_access_token_with_crlf_leads_to_backoff_not_stop),
		cmocka_unit_test(test_access_token_too_long_leads_to_backoff),
		cmocka_unit_test(test_expires_in_int64_max_is_refused_without_overflow),
		cmocka_unit_test(test_expires_in_negative_is_refused),
		cmocka_unit_test(test_auth_reply_without_token_is_refused),
		cmocka_unit_test(test_transport_that_cannot_start_backs_off),
		cmocka_unit_test(test_license_hint_fetches_licenses_at_once),
		cmocka_unit_test(test_license_hints_with_news_are_each_acted_on_at_once),
		cmocka_unit_test(test_change_while_a_report_is_in_flight_is_reported_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
