/* Unit tests for cloud/policy: enrollment token verdicts, enrollment and
 * re-enrollment outcome (retry, move, conflicts), the ts window, the forward-only task
 * state rule (waiting_window included), Range and wait= parsing, the bearer header
 * parser of the router, update windows and task expiry, version order and the
 * reasons a job skips a device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/policy.h"
#include "../../cloud/http/router.h"
#include "../../lib/version.h"

static void test_token_verdicts(void **state)
{
	const int64_t now = 1000;
	struct token_facts ok = {.found = 1, .expires_at = 2000, .uses = 0, .max_uses = 1};
	assert_int_equal(token_check(&ok, now), TOKEN_OK);

	struct token_facts t = ok;
	t.found = 0;
	assert_int_equal(token_check(&t, now), TOKEN_INVALID);
	assert_int_equal(token_check(NULL, now), TOKEN_INVALID);

	t = ok;
	t.revoked = 1;
	assert_int_equal(token_check(&t, now), TOKEN_REVOKED);
	t.expires_at = 10; /* revoked wins over expired */
	assert_int_equal(token_check(&t, now), TOKEN_REVOKED);

	t = ok;
	t.expires_at = now; /* expiry instant is already expired */
	assert_int_equal(token_check(&t, now), TOKEN_EXPIRED);
	t.expires_at = now + 1;
	assert_int_equal(token_check(&t, now), TOKEN_OK);

	t = ok;
	t.uses = 1;
	assert_int_equal(token_check(&t, now), TOKEN_USED_UP);
	t.max_uses = 5;
	t.uses = 4;
	assert_int_equal(token_check(&t, now), TOKEN_OK);
	t.uses = 7;
	assert_int_equal(token_check(&t, now), TOKEN_USED_UP);
	t.expires_at = 1; /* expired is reported before used up */
	assert_int_equal(token_check(&t, now), TOKEN_EXPIRED);

	assert_null(token_verdict_code(TOKEN_OK));
	assert_string_equal(token_verdict_code(TOKEN_INVALID), "token_invalid");
	assert_string_equal(token_verdict_code(TOKEN_REVOKED), "token_revoked");
	assert_string_equal(token_verdict_code(TOKEN_EXPIRED), "token_expired");
	assert_string_equal(token_verdict_code(TOKEN_USED_UP), "token_used_up");
}

static enum enroll_action decide(enum token_verdict v, int exists, int same_key)
{
	/* the facts of a plain enrollment: any existing device is in the token's folder */
	struct enroll_facts f = {.verdict = v, .device_exists = exists, .same_key = same_key,
				 .same_folder = 1, .same_org = 1};
	return enroll_decide(&f);
}

static void test_enroll_decisions(void **state)
{
	/* a fresh serial with a good token */
	assert_int_equal(decide(TOKEN_OK, 0, 0), ENROLL_NEW);
	/* a fresh serial with any bad token */
	assert_int_equal(decide(TOKEN_EXPIRED, 0, 0), ENROLL_REFUSE);
	assert_int_equal(decide(TOKEN_USED_UP, 0, 0), ENROLL_REFUSE);
	assert_int_equal(decide(TOKEN_INVALID, 0, 0), ENROLL_REFUSE);
	assert_int_equal(decide(TOKEN_REVOKED, 0, 0), ENROLL_REFUSE);
	/* retry after a lost reply: same key, even once the one-use token is used up */
	assert_int_equal(decide(TOKEN_OK, 1, 1), ENROLL_RETRY);
	assert_int_equal(decide(TOKEN_USED_UP, 1, 1), ENROLL_RETRY);
	assert_int_equal(decide(TOKEN_EXPIRED, 1, 1), ENROLL_RETRY);
	/* but never with an unknown or revoked token */
	assert_int_equal(decide(TOKEN_INVALID, 1, 1), ENROLL_REFUSE);
	assert_int_equal(decide(TOKEN_REVOKED, 1, 1), ENROLL_REFUSE);
	/* another key for a known serial */
	assert_int_equal(decide(TOKEN_OK, 1, 0), ENROLL_CONFLICT);
	assert_int_equal(decide(TOKEN_USED_UP, 1, 0), ENROLL_CONFLICT);
}

static void test_reenrollment_rules(void **state)
{
	/* the device is live, same key, in another folder than the token's */
	struct enroll_facts f = {.verdict = TOKEN_OK, .device_exists = 1, .same_key = 1,
				 .same_org = 1};
	/* same org: moved only when the token allows it */
	assert_int_equal(enroll_decide(&f), ENROLL_CONFLICT_FOLDER);
	f.allow_move = 1;
	assert_int_equal(enroll_decide(&f), ENROLL_MOVE);
	/* a move uses the token: it must still be good */
	f.verdict = TOKEN_USED_UP;
	assert_int_equal(enroll_decide(&f), ENROLL_REFUSE);
	f.verdict = TOKEN_EXPIRED;
	assert_int_equal(enroll_decide(&f), ENROLL_REFUSE);
	/* the very token that enrolled it (the admin moved it since): an idempotent retry */
	f.same_enrollment = 1;
	assert_int_equal(enroll_decide(&f), ENROLL_RETRY);
	f.allow_move = 0;
	f.verdict = TOKEN_OK;
	assert_int_equal(enroll_decide(&f), ENROLL_RETRY);
	f.same_enrollment = 0;
	/* another organization: refused, allow_move or not */
	f.same_org = 0;
	assert_int_equal(enroll_decide(&f), ENROLL_CONFLICT_ORG);
	f.allow_move = 1;
	assert_int_equal(enroll_decide(&f), ENROLL_CONFLICT_ORG);
	/* another key is a conflict whatever the folder */
	f.same_key = 0;
	assert_int_equal(enroll_decide(&f), ENROLL_CONFLICT);
	/* a revoked token never moves anything */
	f.same_key = 1;
	f.same_org = 1;
	f.verdict = TOKEN_REVOKED;
	assert_int_equal(enroll_decide(&f), ENROLL_REFUSE);
	/* a removed device (not live) enrolls anywhere as a new one */
	struct enroll_facts fresh = {.verdict = TOKEN_OK};
	assert_int_equal(enroll_decide(&fresh), ENROLL_NEW);

	assert_string_equal(token_state_name(TOKEN_OK), "active");
	assert_string_equal(token_state_name(TOKEN_EXPIRED), "expired");
	assert_string_equal(token_state_name(TOKEN_REVOKED), "revoked");
	assert_string_equal(token_state_name(TOKEN_USED_UP), "used_up");
}

static void test_ts_window(void **state)
{
	assert_true(ts_within(1000, 1000, 300));
	assert_true(ts_within(1300, 1000, 300));
	assert_true(ts_within(700, 1000, 300));
	assert_false(ts_within(1301, 1000, 300));
	assert_false(ts_within(699, 1000, 300));
	assert_false(ts_within(INT64_MAX, 1000, 300));
	assert_false(ts_within(INT64_MIN, 1000, 300));
}

static void test_task_states_forward_only(void **state)
{
	static const char *const order[] = {"pending", "received", "downloading", "verifying",
					    "waiting_window", "installing", "rebooting",
					    "verifying_version"};
	const int n = (int)(sizeof(order) / sizeof(order[0]));
	for (int i = 0; i < n; i++) {
		assert_int_equal(task_state_rank(order[i]), i);
		for (int j = 0; j < n; j++) {
			enum task_transition want = j > i ? TASK_ADVANCE : j == i ? TASK_SAME : TASK_IGNORE;
			if (task_state_transition(order[i], order[j]) != want)
				fail_msg("%s -> %s", order[i], order[j]);
		}
		/* any non-final state may end */
		assert_int_equal(task_state_transition(order[i], "succeeded"), TASK_ADVANCE);
		assert_int_equal(task_state_transition(order[i], "failed"), TASK_ADVANCE);
	}
	/* final is final */
	static const char *const finals[] = {"succeeded", "failed", "cancelled"};
	for (int f = 0; f < 3; f++) {
		assert_true(task_state_is_final(finals[f]));
		for (int j = 0; j < n; j++)
			assert_int_equal(task_state_transition(finals[f], order[j]), TASK_IGNORE);
		assert_int_equal(task_state_transition(finals[f], "failed"), TASK_IGNORE);
		assert_int_equal(task_state_transition(finals[f], "succeeded"), TASK_IGNORE);
	}
	/* unknown states never move anything */
	assert_int_equal(task_state_rank("exploded"), -1);
	assert_int_equal(task_state_rank(NULL), -1);
	assert_int_equal(task_state_transition("received", "exploded"), TASK_IGNORE);
	assert_int_equal(task_state_transition("exploded", "received"), TASK_IGNORE);

	/* what a device may report, and what an admin may cancel */
	assert_false(task_state_reportable("pending"));
	assert_false(task_state_reportable("cancelled"));
	assert_false(task_state_reportable("bogus"));
	assert_true(task_state_reportable("received"));
	assert_true(task_state_reportable("verifying_version"));
	assert_true(task_state_reportable("failed"));
	assert_true(task_state_cancellable("pending"));
	assert_true(task_state_cancellable("downloading"));
	assert_true(task_state_cancellable("verifying"));
	assert_true(task_state_cancellable("waiting_window"));
	assert_true(task_state_reportable("waiting_window"));
	assert_false(task_state_cancellable("installing"));
	assert_false(task_state_cancellable("rebooting"));
	assert_false(task_state_cancellable("succeeded"));
	assert_false(task_state_cancellable("cancelled"));
}

static void test_range_parsing(void **state)
{
	uint64_t from = 77;
	assert_int_equal(range_parse(NULL, 100, &from), RANGE_NONE);
	assert_int_equal(range_parse("bytes=0-", 100, &from), RANGE_OK);
	assert_int_equal(from, 0);
	assert_int_equal(range_parse("bytes=99-", 100, &from), RANGE_OK);
	assert_int_equal(from, 99);
	/* past the end */
	assert_int_equal(range_parse("bytes=100-", 100, &from), RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=18446744073709551615-", 100, &from),
			 RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=0-", 0, &from), RANGE_UNSATISFIABLE);
	/* anything but one open-ended range */
	static const char *const bad[] = {
		"", "bytes=", "bytes=-", "bytes=-5", "bytes=5", "bytes=5-10", "bytes=1-,5-",
		"bytes= 5-", "bytes=5- ", "bytes=+5-", "bytes=0x5-", "items=5-", "Bytes=5-",
		"bytes=18446744073709551616-", "bytes=99999999999999999999999-", "bytes=5-\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (range_parse(bad[i], 100, &from) != RANGE_MALFORMED)
			fail_msg("accepted Range '%s'", bad[i]);
}

static void test_wait_parsing(void **state)
{
	int w = -1;
	assert_int_equal(wait_parse(NULL, &w), 0);
	assert_int_equal(w, POLICY_WAIT_DEFAULT);
	assert_int_equal(wait_parse("0", &w), 0);
	assert_int_equal(w, 0);
	assert_int_equal(wait_parse("300", &w), 0);
	assert_int_equal(w, 300);
	assert_int_equal(wait_parse("301", &w), 0);
	assert_int_equal(w, POLICY_WAIT_MAX);
	assert_int_equal(wait_parse("99999999999999999999999", &w), -1);
	assert_int_equal(wait_parse("-1", &w), -1);
	assert_int_equal(wait_parse("", &w), -1);
	assert_int_equal(wait_parse("5s", &w), -1);
}

static void test_validators(void **state)
{
	assert_true(is_hex_id("0123456789abcdef0123456789abcdef"));
	assert_false(is_hex_id("0123456789ABCDEF0123456789abcdef"));
	assert_false(is_hex_id("0123456789abcdef0123456789abcde"));
	assert_false(is_hex_id("0123456789abcdef0123456789abcdef0"));
	assert_false(is_hex_id(""));
	assert_false(is_hex_id(NULL));
	assert_true(is_printable("ACCC8E000001", 64));
	assert_true(is_printable("caf\xc3\xa9", 64));
	assert_false(is_printable("", 64));
	assert_false(is_printable("a\nb", 64));
	assert_false(is_printable("a\x7f", 64));
	assert_false(is_printable("abcd", 3));
	assert_true(license_state_reportable("active"));
	assert_true(license_state_reportable("failed"));
	assert_true(license_state_reportable("removed"));
	assert_true(license_state_reportable("expired"));
	assert_false(license_state_reportable("pending"));
	assert_false(license_state_reportable("revoked"));
}

/* pending -> active | failed; active -> expired; revoked -> removed only; removed and
 * expired are final. */
static void test_license_state_moves(void **state)
{
	assert_true(license_state_follows("pending", "active"));
	assert_true(license_state_follows("pending", "failed"));
	assert_true(license_state_follows("failed", "active"));
	assert_true(license_state_follows("active", "expired"));
	assert_false(license_state_follows("active", "active"));
	assert_true(license_state_follows("revoked", "removed"));
	assert_false(license_state_follows("revoked", "active")); /* a stale report */
	assert_false(license_state_follows("revoked", "failed"));
	assert_false(license_state_follows("removed", "active"));
	assert_false(license_state_follows("expired", "active"));
}

static void test_bearer_parsing(void **state)
{
	char tok[16];
	assert_int_equal(bearer_parse("Bearer abc.DEF-1_2~3+4/5=", tok, sizeof(tok)), -1); /* long */
	assert_int_equal(bearer_parse("Bearer abc", tok, sizeof(tok)), 0);
	assert_string_equal(tok, "abc");
	assert_int_equal(bearer_parse("bearer   x1", tok, sizeof(tok)), 0);
	assert_string_equal(tok, "x1");
	assert_int_equal(bearer_parse("Bearer 0123456789abcde", tok, sizeof(tok)), 0);
	assert_int_equal(bearer_parse("Bearer 0123456789abcdef", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse(NULL, tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("Bearer", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("Bearer ", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("Basic abc", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("Bearer a b", tok, sizeof(tok)), -1);
	assert_int_equal(bearer_parse("Bearer a\"b", tok, sizeof(tok)), -1);
}

static void test_windows(void **state)
{
	const int64_t now = 1000000;
	static const char *const good[] = {"00:00", "23:59", "09:30", "22:00", "04:00"};
	static const char *const bad[] = {"24:00", "12:60", "9:30", "09:3", "09-30", "0930",
					  "", "09:30 ", "aa:bb", "-1:00", "12:5x"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(window_hhmm_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (window_hhmm_valid(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	assert_false(window_hhmm_valid(NULL));

	enum window_kind k = WINDOW_UTC;
	assert_int_equal(window_kind_parse("", &k), 0);
	assert_int_equal(k, WINDOW_NONE);
	assert_int_equal(window_kind_parse("daily", &k), 0);
	assert_int_equal(k, WINDOW_DAILY);
	assert_int_equal(window_kind_parse("utc", &k), 0);
	assert_int_equal(k, WINDOW_UTC);
	assert_int_equal(window_kind_parse("weekly", &k), -1);
	assert_string_equal(window_kind_name(WINDOW_DAILY), "daily");

	struct task_window w = {.kind = WINDOW_NONE};
	assert_null(window_check(&w, now));
	w = (struct task_window){.kind = WINDOW_UTC, .start = now + 10, .end = now + 20};
	assert_null(window_check(&w, now));
	w.start = now - 100; /* already open is fine */
	assert_null(window_check(&w, now));
	w.end = now; /* already over */
	assert_string_equal(window_check(&w, now), "window.end");
	w = (struct task_window){.kind = WINDOW_UTC, .start = now + 20, .end = now + 20};
	assert_string_equal(window_check(&w, now), "window.end");
	w.start = -5;
	assert_string_equal(window_check(&w, now), "window.start");
	w = (struct task_window){.kind = WINDOW_DAILY, .from = "22:00", .to = "04:00"};
	assert_null(window_check(&w, now)); /* spans midnight */
	strcpy(w.to, "22:00");
	assert_string_equal(window_check(&w, now), "window.to");
	strcpy(w.from, "25:00");
	assert_string_equal(window_check(&w, now), "window.from");

	/* expiry: the default stretches to the end of a UTC window; a given one must reach it */
	int64_t exp = 0;
	w = (struct task_window){.kind = WINDOW_UTC, .start = now + 5000, .end = now + 200000};
	assert_int_equal(task_expiry(now, -1, 86400, &w, &exp), 0);
	assert_int_equal(exp, now + 200000);
	assert_int_equal(task_expiry(now, 6000, 86400, &w, &exp), 0);
	assert_int_equal(exp, now + 6000);
	assert_int_equal(task_expiry(now, 5000, 86400, &w, &exp), -1);
	assert_int_equal(task_expiry(now, -1, 86400, NULL, &exp), 0);
	assert_int_equal(exp, now + 86400);
	w = (struct task_window){.kind = WINDOW_DAILY, .from = "01:00", .to = "02:00"};
	assert_int_equal(task_expiry(now, 60, 86400, &w, &exp), 0);
	assert_int_equal(exp, now + 60);
}

static void test_version_order(void **state)
{
	static const char *const ascending[] = {"9.80.1", "10.12.0", "11.0-beta", "11.0",
						"11.0.1", "11.11.73", "12.0.1", "99999999999999999999999"};
	const int n = (int)(sizeof(ascending) / sizeof(ascending[0]));
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (version_compare(ascending[i], ascending[j]) != (i < j ? -1 : i > j))
				fail_msg("%s vs %s", ascending[i], ascending[j]);
	assert_int_equal(version_compare("", ""), 0);
	assert_int_equal(version_compare("1.2", "1.2"), 0);
	assert_int_equal(version_compare("99999999999999999999998", "99999999999999999999999"), -1);
}

static void test_job_skips(void **state)
{
	struct job_candidate d = {.found = 1, .model = "P3265-LVE", .os_version = "11.11.73"};
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "12.0.1", 0), JOB_ELIGIBLE);
	assert_int_equal(job_skip_decide(&d, "M1065-L", "12.0.1", 0), JOB_SKIP_MODEL);
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "11.11.73", 1), JOB_SKIP_SAME_VERSION);
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "11.0.0", 0), JOB_SKIP_NEWER);
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "11.0.0", 1), JOB_ELIGIBLE);
	d.open_task_same_image = 1;
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "12.0.1", 0), JOB_SKIP_OPEN_TASK);
	d.removed = 1;
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "12.0.1", 0), JOB_SKIP_REMOVED);
	d.found = 0;
	assert_int_equal(job_skip_decide(&d, "P3265-LVE", "12.0.1", 0), JOB_SKIP_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_verdicts),
		cmocka_unit_test(test_enroll_decisions),
		cmocka_unit_test(test_reenrollment_rules),
		cmocka_unit_test(test_ts_window),
		cmocka_unit_test(test_task_states_forward_only),
		cmocka_unit_test(test_range_parsing),
		cmocka_unit_test(test_wait_parsing),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_bearer_parsing),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_job_skips),
		cmocka_unit_test(test_license_state_moves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
