/* Unit tests for the account rules of camcloud: TOTP against RFC 6238's SHA-1 test
 * vectors and its ±1 step window (no replay), base32, the otpauth URI, Argon2id
 * hashes (salted, parameters kept, verified), e-mail spelling, the sign-in throttle,
 * session lifetime, recovery codes, and the role rules of roles.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/accounts.h"
#include "../../cloud/domain/password.h"
#include "../../cloud/domain/roles.h"
#include "../../cloud/domain/totp.h"

/* RFC 6238 Appendix B, SHA-1 rows: the key is "12345678901234567890", 8 digits. */
static void test_totp_rfc6238_sha1_vectors(void **state)
{
	static const struct { int64_t t; int64_t code; } v[] = {
		{59, 94287082},         {1111111109, 7081804}, {1111111111, 14050471},
		{1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130},
	};
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(hotp(key, 20, (uint64_t)totp_step(v[i].t), 8), v[i].code);
	/* 6 digits are the last six of the same value */
	assert_int_equal(hotp(key, 20, (uint64_t)totp_step(59), 6), 287082);
	assert_int_equal(hotp(key, 20, 1, 5), -1);
}

static void code_at(const uint8_t *key, int64_t t, char out[8])
{
	int64_t v = hotp(key, 20, (uint64_t)totp_step(t), 6);
	assert_true(v >= 0);
	for (int i = 5; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
	out[6] = '\0';
}

static void test_totp_window_one_step(void **state)
{
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	const int64_t now = 1111111111; /* step 37037037 */
	char c[8];
	code_at(key, now, c);
	assert_int_equal(totp_check(key, 20, now, c, -1), totp_step(now));
	code_at(key, now - TOTP_STEP, c); /* one step late: accepted */
	assert_int_equal(totp_check(key, 20, now, c, -1), totp_step(now) - 1);
	code_at(key, now + TOTP_STEP, c); /* one step early: accepted */
	assert_int_equal(totp_check(key, 20, now, c, -1), totp_step(now) + 1);
	code_at(key, now - 2 * TOTP_STEP, c); /* two steps: refused */
	assert_int_equal(totp_check(key, 20, now, c, -1), -1);
	code_at(key, now + 2 * TOTP_STEP, c);
	assert_int_equal(totp_check(key, 20, now, c, -1), -1);
	assert_int_equal(totp_check(key, 20, now, "12345", -1), -1);
	assert_int_equal(totp_check(key, 20, now, "12a456", -1), -1);
}

static void test_totp_code_not_replayed(void **state)
{
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	const int64_t now = 1234567890;
	char c[8];
	code_at(key, now, c);
	int64_t used = totp_check(key, 20, now, c, -1);
	assert_int_equal(used, totp_step(now));
	assert_int_equal(totp_check(key, 20, now, c, used), -1);
	code_at(key, now - TOTP_STEP, c); /* an older step after a newer one: refused */
	assert_int_equal(totp_check(key, 20, now, c, used), -1);
}

static void test_base32_rfc4648(void **state)
{
	char out[BASE32_MAX];
	uint8_t back[32];
	assert_int_equal(base32_encode((const uint8_t *)"foobar", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "MZXW6YTBOI");
	assert_int_equal(base32_decode("mzxw6ytboi======", back, sizeof(back)), 6);
	assert_memory_equal(back, "foobar", 6);
	assert_int_equal(base32_decode("MZ1W", back, sizeof(back)), -1);
	assert_int_equal(base32_encode((const uint8_t *)"foobar", 6, out, 10), -1);
}

static void test_totp_uri(void **state)
{
	char uri[256];
	assert_int_equal(totp_uri("camcloud", "a+b@example.com", "MZXW6YTBOI", uri, sizeof(uri)),
			 0);
	assert_string_equal(uri, "otpauth://totp/camcloud%3Aa%2Bb%40example.com?secret=MZXW6YTBOI"
				 "&issuer=camcloud&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(totp_uri("camcloud", "a@b.c", "MZXW6YTBOI", uri, 40), -1);
}

static void test_password_argon2id_salted_and_verified(void **state)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("correct horse battery", a), 0);
	assert_int_equal(password_hash("correct horse battery", b), 0);
	assert_non_null(strstr(a, "$argon2id$v=19$m=19456,t=2,p=1$"));
	assert_string_not_equal(a, b); /* a salt of its own each time */
	assert_int_equal(password_verify(a, "correct horse battery"), 1);
	assert_int_equal(password_verify(a, "correct horse batterz"), 0);
	assert_int_equal(password_verify("$2y$10$notargon", "x"), -1);
	assert_int_equal(password_verify("$argon2id$v=19$garbage", "x"), -1);
}

static void test_email_case_folded(void **state)
{
	char e[EMAIL_MAX];
	assert_int_equal(email_normalize("  Alice@Example.COM ", e), 0);
	assert_string_equal(e, "alice@example.com");
	assert_int_equal(email_normalize("no-at-sign", e), -1);
	assert_int_equal(email_normalize("a@@b", e), -1);
	assert_int_equal(email_normalize("@b", e), -1);
	assert_int_equal(email_normalize("a@", e), -1);
	assert_int_equal(email_normalize("a b@c", e), -1);
	assert_int_equal(email_normalize("", e), -1);
}

static void test_throttle_exponential_bounded(void **state)
{
	for (int i = 0; i <= THROTTLE_FREE; i++)
		assert_int_equal(throttle_delay(i), 0);
	assert_int_equal(throttle_delay(THROTTLE_FREE + 1), 1);
	assert_int_equal(throttle_delay(THROTTLE_FREE + 2), 2);
	assert_int_equal(throttle_delay(THROTTLE_FREE + 3), 4);
	assert_int_equal(throttle_delay(THROTTLE_FREE + 10), 512);
	assert_int_equal(throttle_delay(THROTTLE_FREE + 11), THROTTLE_MAX_S);
	assert_int_equal(throttle_delay(1000000), THROTTLE_MAX_S);
}

static void test_session_expiry_and_idle(void **state)
{
	assert_true(session_alive(0, 0, SESSION_IDLE - 1));
	assert_false(session_alive(0, 0, SESSION_IDLE));
	assert_true(session_alive(0, SESSION_TTL - 10, SESSION_TTL - 1));
	assert_false(session_alive(0, SESSION_TTL - 10, SESSION_TTL)); /* used, but too old */
}

static void test_recovery_code_spelling(void **state)
{
	const uint8_t r[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	char c[RECOVERY_CODE_LEN], n[RECOVERY_CODE_LEN];
	assert_int_equal(recovery_code_format(r, c), 0);
	assert_int_equal((int)strlen(c), 14);
	assert_int_equal(c[4], '-');
	char typed[32];
	size_t k = 0;
	for (const char *p = c; *p; p++) /* typed in capitals, without dashes */
		if (*p != '-')
			typed[k++] = (char)(*p >= 'a' ? *p - 32 : *p);
	typed[k] = '\0';
	assert_int_equal(recovery_code_normalize(typed, n), 0);
	assert_string_equal(n, c);
	assert_int_equal(recovery_code_normalize("abcd-efgh", n), -1);
	assert_int_equal(recovery_code_normalize("abcd-efgh-ijk1", n), -1);
}

static void test_roles_parse_and_cap(void **state)
{
	enum role r;
	assert_int_equal(role_parse("operator", &r), 0);
	assert_int_equal(r, ROLE_OPERATOR);
	assert_int_equal(role_parse("root", &r), -1);
	assert_int_equal(role_parse("", &r), -1);
	assert_string_equal(role_name(ROLE_OWNER), "owner");
	assert_int_equal(role_cap(ROLE_ADMIN, ROLE_VIEWER), ROLE_VIEWER);
	assert_int_equal(role_cap(ROLE_VIEWER, ROLE_OWNER), ROLE_VIEWER); /* never above the user */
}

static void test_roles_admin_whole_org(void **state)
{
	for (int p = PLACE_ORG; p <= PLACE_NOT_GRANTED; p++) {
		assert_int_equal(role_decide(ROLE_ADMIN, p, NEED_MANAGE), VERDICT_ALLOW);
		assert_int_equal(role_decide(ROLE_ADMIN, p, NEED_OWN), VERDICT_FORBIDDEN);
		assert_int_equal(role_decide(ROLE_OWNER, p, NEED_OWN), VERDICT_ALLOW);
	}
}

static void test_roles_operator_viewer_granted_folders_only(void **state)
{
	assert_int_equal(role_decide(ROLE_OPERATOR, PLACE_GRANTED, NEED_OPERATE), VERDICT_ALLOW);
	assert_int_equal(role_decide(ROLE_OPERATOR, PLACE_GRANTED, NEED_MANAGE), VERDICT_FORBIDDEN);
	assert_int_equal(role_decide(ROLE_OPERATOR, PLACE_NOT_GRANTED, NEED_READ), VERDICT_HIDDEN);
	assert_int_equal(role_decide(ROLE_OPERATOR, PLACE_ORG, NEED_READ), VERDICT_ALLOW);
	assert_int_equal(role_decide(ROLE_OPERATOR, PLACE_ORG, NEED_OPERATE), VERDICT_FORBIDDEN);
	assert_int_equal(role_decide(ROLE_VIEWER, PLACE_GRANTED, NEED_READ), VERDICT_ALLOW);
	assert_int_equal(role_decide(ROLE_VIEWER, PLACE_GRANTED, NEED_OPERATE), VERDICT_FORBIDDEN);
	assert_int_equal(role_decide(ROLE_VIEWER, PLACE_NOT_GRANTED, NEED_READ), VERDICT_HIDDEN);
	assert_int_equal(role_decide(ROLE_NONE, PLACE_ORG, NEED_READ), VERDICT_HIDDEN);
	assert_false(role_sees_all_folders(ROLE_OPERATOR));
	assert_true(role_sees_all_folders(ROLE_ADMIN));
}

static void test_roles_only_owner_passes_ownership(void **state)
{
	assert_int_equal(role_may_change(ROLE_ADMIN, ROLE_VIEWER, ROLE_OPERATOR), VERDICT_ALLOW);
	assert_int_equal(role_may_change(ROLE_ADMIN, ROLE_VIEWER, ROLE_OWNER), VERDICT_FORBIDDEN);
	assert_int_equal(role_may_change(ROLE_ADMIN, ROLE_OWNER, ROLE_ADMIN), VERDICT_FORBIDDEN);
	assert_int_equal(role_may_change(ROLE_ADMIN, ROLE_OWNER, ROLE_NONE), VERDICT_FORBIDDEN);
	assert_int_equal(role_may_change(ROLE_OWNER, ROLE_ADMIN, ROLE_OWNER), VERDICT_ALLOW);
	assert_int_equal(role_may_change(ROLE_OPERATOR, ROLE_VIEWER, ROLE_OPERATOR),
			 VERDICT_FORBIDDEN);
	assert_int_equal(role_may_change(ROLE_NONE, ROLE_VIEWER, ROLE_OPERATOR), VERDICT_HIDDEN);
}

static void test_roles_at_least_one_owner(void **state)
{
	assert_int_equal(role_change_keeps_owner(1, ROLE_OWNER, ROLE_ADMIN), -1);
	assert_int_equal(role_change_keeps_owner(1, ROLE_OWNER, ROLE_NONE), -1);
	assert_int_equal(role_change_keeps_owner(2, ROLE_OWNER, ROLE_ADMIN), 0);
	assert_int_equal(role_change_keeps_owner(1, ROLE_ADMIN, ROLE_NONE), 0);
	assert_int_equal(role_change_keeps_owner(1, ROLE_OWNER, ROLE_OWNER), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totp_rfc6238_sha1_vectors),
		cmocka_unit_test(test_totp_window_one_step),
		cmocka_unit_test(test_totp_code_not_replayed),
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_totp_uri),
		cmocka_unit_test(test_password_argon2id_salted_and_verified),
		cmocka_unit_test(test_email_case_folded),
		cmocka_unit_test(test_throttle_exponential_bounded),
		cmocka_unit_test(test_session_expiry_and_idle),
		cmocka_unit_test(test_recovery_code_spelling),
		cmocka_unit_test(test_roles_parse_and_cap),
		cmocka_unit_test(test_roles_admin_whole_org),
		cmocka_unit_test(test_roles_operator_viewer_granted_folders_only),
		cmocka_unit_test(test_roles_only_owner_passes_ownership),
		cmocka_unit_test(test_roles_at_least_one_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
