/* test_agent_enrollment: enrollment, authentication and decommission, licenses
 * and reports through the sequencer with a fake transport and clock: a signed
 * reply enrolls and pins the key, a refusal spends the token for good, an
 * untrusted reply spends nothing, 410 device_removed wipes the credentials; a
 * license is installed once and reported once; reports keep the cloud's pace. */
#include "agent_fakes.h"

/* A cam1. token for the fake cloud, naming the fingerprint of key. */
static void make_token(const struct crypto_key *key, char *out, size_t outsz)
{
	char fp[CRYPTO_SHA256_HEX_LEN], json[512], b64[1024];
	assert_int_equal(crypto_key_fingerprint(key, fp), 0);
	snprintf(json, sizeof(json),
		 "{\"url\":\"" FX_CLOUD "\",\"secret\":\"00112233445566778899aabbccddeeff\",\"fp\":\"%s\"}",
		 fp);
	assert_true(base64url_encode(json, strlen(json), b64, sizeof(b64)) > 0);
	snprintf(out, outsz, "cam1.%s", b64);
}

static struct fx *with_token(void)
{
	struct fx *f = fx_new();
	make_token(f->cloud, f->a.cfg.enrollment_token, sizeof(f->a.cfg.enrollment_token));
	return f;
}

static void enrollment_reply(struct fx *f, char *out, size_t outsz, const char *serial)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX], esc[CRYPTO_PUBKEY_PEM_MAX * 2];
	assert_int_equal(crypto_key_public_pem(f->cloud, pem, sizeof(pem)), 0);
	size_t j = 0;
	for (size_t i = 0; pem[i] && j + 2 < sizeof(esc); i++) {
		if (pem[i] == '\n') {
			esc[j++] = '\\';
			esc[j++] = 'n';
		} else {
			esc[j++] = pem[i];
		}
	}
	esc[j] = '\0';
	snprintf(out, outsz,
		 "{\"device_id\":\"%s\",\"serial\":\"%s\",\"org\":\"Org\",\"folder\":\"Lobby\","
		 "\"cloud_public_key\":\"%s\"}",
		 FX_DEVICE_ID, serial, esc);
}

static void test_signed_enrollment_reply_enrolls_and_persists(void **state)
{
	struct fx *f = with_token();
	char body[4096];
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/enroll"));
	assert_string_equal(r->bearer, "");
	enrollment_reply(f, body, sizeof(body), FX_SERIAL);
	fx_answer_signed(r, body, f->cloud);
	assert_int_equal(f->a.st.enroll, ENROLL_ENROLLED);
	assert_string_equal(f->a.st.device_id, FX_DEVICE_ID);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/auth"));
	/* What a restart finds on disk. */
	fx_stop(f);
	fx_boot(f, 1);
	assert_int_equal(f->a.st.enroll, ENROLL_ENROLLED);
	assert_non_null(f->a.cloud_key);
	fx_free(f);
}

static void test_unsigned_enrollment_reply_spends_nothing_and_backs_off(void **state)
{
	struct fx *f = with_token();
	char body[4096];
	struct fx_req *r = fx_next(f);
	enrollment_reply(f, body, sizeof(body), FX_SERIAL);
	fx_answer(r, 200, body); /* no signature header */
	assert_int_not_equal(f->a.st.enroll, ENROLL_ENROLLED);
	assert_string_equal(f->a.st.spent_token_sha256, "");
	int64_t t = f->now;
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/enroll")); /* tried again, later */
	assert_true(f->now > t);
	fx_free(f);
}

static void test_reply_for_another_serial_is_not_trusted(void **state)
{
	struct fx *f = with_token();
	char body[4096];
	struct fx_req *r = fx_next(f);
	enrollment_reply(f, body, sizeof(body), "ACCC8E999999");
	fx_answer_signed(r, body, f->cloud);
	assert_int_not_equal(f->a.st.enroll, ENROLL_ENROLLED);
	fx_free(f);
}

static void test_refused_token_is_spent_and_never_retried(void **state)
{
	struct fx *f = with_token();
	struct fx_req *r = fx_next(f);
	fx_answer(r, 403, "{\"error\":{\"code\":\"token_expired\",\"message\":\"expired\"}}");
	assert_int_equal(f->a.st.enroll, ENROLL_REFUSED);
	assert_non_null(strstr(f->a.st.last_error, "token_expired"));
	assert_null(fx_run_until(f, f->now + 7 * 86400)); /* waits for a person */
	assert_int_equal(f->started, 1);
	fx_stop(f);
	fx_boot(f, 1); /* the same token given again after a restart */
	make_token(f->cloud, f->a.cfg.enrollment_token, sizeof(f->a.cfg.enrollment_token));
	assert_null(fx_run_until(f, f->now + 86400));
	fx_free(f);
}

static void test_enrollment_server_errors_back_off(void **state)
{
	struct fx *f = with_token();
	int n = 0;
	int64_t end = f->now + 600;
	struct fx_req *r;
	while ((r = fx_run_until(f, end))) {
		n++;
		fx_answer(r, 503, NULL);
	}
	assert_true(n >= 3 && n <= 16);
	assert_int_equal(f->a.st.enroll, ENROLL_NONE);
	fx_free(f);
}

static void test_device_removed_wipes_credentials_and_keeps_the_key(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_report = 0;
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/report"));
	fx_answer(r, 410, "{\"error\":{\"code\":\"device_removed\",\"message\":\"removed by an admin\"}}");
	assert_int_equal(f->a.st.enroll, ENROLL_REMOVED);
	assert_string_equal(f->a.st.device_id, "");
	assert_null(f->a.cloud_key);
	assert_string_equal(f->a.access_token, "");
	assert_null(fx_run_until(f, f->now + 86400)); /* waits for a new token */
	char key[PATH_MAX];
	snprintf(key, sizeof(key), "%s/device.key", f->dir);
	assert_int_equal(access(key, R_OK), 0);
	fx_stop(f);
	fx_boot(f, 1);
	assert_int_equal(f->a.st.enroll, ENROLL_REMOVED);
	fx_free(f);
}

static void test_report_follows_the_clouds_heartbeat_but_never_slower_than_asked(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_report = 0;
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/report"));
	assert_non_null(strstr(r->body, "\"os_version\":\"11.11.73\""));
	fx_answer(r, 200, "{\"heartbeat\":120}");
	assert_int_equal(f->a.next_report, f->now + 120);
	f->a.next_report = 0;
	r = fx_next(f);
	fx_answer(r, 200, "{\"heartbeat\":999999}");
	assert_int_equal(f->a.next_report, f->now + f->a.cfg.heartbeat_s);
	fx_free(f);
}

static void test_refused_report_waits_a_heartbeat(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_report = 0;
	struct fx_req *r = fx_next(f);
	fx_answer(r, 400, "{\"error\":{\"code\":\"bad_field\",\"message\":\"uptime\"}}");
	assert_int_equal(f->a.next_report, f->now + f->a.cfg.heartbeat_s);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next")); /* not the report again */
	fx_free(f);
}

static const char *license_reply_exp(struct fx *f, const char *id, const struct crypto_key *key,
				     int64_t license_exp)
{
	static char reply[ENVELOPE_MAX_BYTES];
	char payload[1024];
	struct buf env;
	snprintf(payload, sizeof(payload),
		 "{\"type\":\"license\",\"device_id\":\"%s\",\"serial\":\"%s\",\"iat\":%lld,\"exp\":%lld,"
		 "\"license_id\":\"%s\",\"app\":\"vmd\",\"kind\":\"tied\",\"key\":\"a2V5\","
		 "\"license_exp\":%lld}",
		 FX_DEVICE_ID, FX_SERIAL, (long long)f->now, (long long)f->now + 86400, id,
		 (long long)license_exp);
	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(key, payload, strlen(payload), &env), 0);
	snprintf(reply, sizeof(reply), "{\"licenses\":[%s]}", buf_str(&env));
	buf_free(&env);
	return reply;
}

static const char *license_reply(struct fx *f, const char *id, const struct crypto_key *key)
{
	return license_reply_exp(f, id, key, 0);
}

/* Installs license id (expiring at license_exp) and acknowledges its "active". */
static void install_and_ack(struct fx *f, const char *id, int64_t license_exp)
{
	f->a.next_license_check = 0;
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, license_reply_exp(f, id, f->cloud, license_exp));
	assert_int_equal(f->licenses_installed, 1);
	r = fx_next(f);
	assert_non_null(strstr(r->body, "\"active\""));
	fx_answer(r, 200, "{}");
}

static void test_revoked_license_is_removed_and_reported(void **state)
{
	struct fx *f = fx_new();
	const char *id = "abcdefabcdefabcdefabcdefabcdef02";
	const char *revoked = "{\"licenses\":[],\"revoked\":[{\"license_id\":"
			      "\"abcdefabcdefabcdefabcdefabcdef02\",\"app\":\"vmd\"}]}";
	fx_enroll(f);
	fx_authenticate(f);
	install_and_ack(f, id, 0);
	f->a.next_license_check = 0;
	f->a.next_report = f->now + 100000;
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/licenses"));
	fx_answer(r, 200, revoked);
	assert_int_equal(f->licenses_removed, 1);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/licenses/abcdefabcdefabcdefabcdefabcdef02/status"));
	assert_non_null(strstr(r->body, "\"removed\""));
	fx_answer(r, 200, "{}");
	/* listed as revoked again (the report was lost): not removed twice */
	f->a.next_license_check = 0;
	r = fx_next(f);
	if (strstr(r->url, "/device/v1/report")) {
		fx_answer(r, 200, "{}");
		r = fx_next(f);
	}
	fx_answer(r, 200, revoked);
	assert_int_equal(f->licenses_removed, 1);
	fx_free(f);
}

static void test_license_is_deactivated_at_its_expiry(void **state)
{
	struct fx *f = fx_new();
	const char *id = "abcdefabcdefabcdefabcdefabcdef03";
	fx_enroll(f);
	fx_authenticate(f);
	install_and_ack(f, id, f->now + 600);
	f->a.next_report = f->now + 100000;
	f->a.next_license_check = f->now + 100000;
	struct fx_req *r = fx_next(f); /* idle: the poll, not yet the expiry */
	assert_int_equal(f->licenses_removed, 0);
	f->now += 601;
	fx_answer(r, 204, "");
	r = fx_next(f); /* the removal goes on on the camera; the poll meanwhile */
	assert_int_equal(f->licenses_removed, 1);
	assert_non_null(strstr(r->url, "/device/v1/tasks"));
	r = fx_next(f); /* the camera answered: the held poll gives way to the report */
	assert_non_null(strstr(r->url, "/device/v1/licenses/abcdefabcdefabcdefabcdefabcdef03/status"));
	assert_non_null(strstr(r->body, "\"expired\""));
	fx_free(f);
}

static void test_license_is_installed_once_and_reported_once(void **state)
{
	struct fx *f = fx_new();
	const char *id = "abcdefabcdefabcdefabcdefabcdef01";
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_license_check = 0;
	struct fx_req *r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/licenses"));
	fx_answer(r, 200, license_reply(f, id, f->cloud));
	assert_int_equal(f->licenses_installed, 1);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/device/v1/licenses/abcdefabcdefabcdefabcdefabcdef01/status"));
	assert_non_null(strstr(r->body, "\"active\""));
	fx_answer(r, 200, "{}");
	f->a.next_license_check = 0;
	f->a.next_report = f->now + 100000;
	r = fx_next(f);
	fx_answer(r, 200, license_reply(f, id, f->cloud)); /* the same again */
	assert_int_equal(f->licenses_installed, 1);
	r = fx_next(f);
	assert_non_null(strstr(r->url, "/tasks/next")); /* nothing more to report */
	fx_free(f);
}

static void test_license_signed_by_another_key_is_ignored(void **state)
{
	struct fx *f = fx_new();
	struct crypto_key *other;
	assert_int_equal(crypto_key_generate(&other), 0);
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_license_check = 0;
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, license_reply(f, "abcdefabcdefabcdefabcdefabcdef01", other));
	assert_int_equal(f->licenses_installed, 0);
	assert_int_equal(f->a.licenses.count, 0);
	crypto_key_free(other);
	fx_free(f);
}

static void test_license_with_id_that_is_not_hex_is_ignored(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_license_check = 0;
	struct fx_req *r = fx_next(f);
	fx_answer(r, 200, license_reply(f, "../../admin/v1/x", f->cloud));
	assert_int_equal(f->licenses_installed, 0);
	r = fx_next(f);
	assert_null(strstr(r->url, "admin"));
	fx_free(f);
}

static void test_malformed_license_list_backs_off(void **state)
{
	struct fx *f = fx_new();
	fx_enroll(f);
	fx_authenticate(f);
	f->a.next_license_check = 0;
	struct fx_req *r = fx_next(f);
	int64_t t = f->now;
	fx_answer(r, 200, "{\"licenses\":5}");
	assert_true(f->a.step_at > t);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_enrollment_reply_enrolls_and_persists),
		cmocka_unit_test(test_unsigned_enrollment_reply_spends_nothing_and_backs_off),
		cmocka_unit_test(test_reply_for_another_serial_is_not_trusted),
		cmocka_unit_test(test_refused_token_is_spent_and_never_retried),
		cmocka_unit_test(test_enrollment_server_errors_back_off),
		cmocka_unit_test(test_device_removed_wipes_credentials_and_keeps_the_key),
		cmocka_unit_test(test_report_follows_the_clouds_heartbeat_but_never_slower_than_asked),
		cmocka_unit_test(test_refused_report_waits_a_heartbeat),
		cmocka_unit_test(test_license_is_installed_once_and_reported_once),
		cmocka_unit_test(test_revoked_license_is_removed_and_reported),
		cmocka_unit_test(test_license_is_deactivated_at_its_expiry),
		cmocka_unit_test(test_license_signed_by_another_key_is_ignored),
		cmocka_unit_test(test_license_with_id_that_is_not_hex_is_ignored),
		cmocka_unit_test(test_malformed_license_list_backs_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
