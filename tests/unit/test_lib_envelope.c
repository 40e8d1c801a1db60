/* Unit tests for lib/envelope: seal/open round trip, every envelope_err from
 * envelope_open and envelope_check_binding, and the size bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/envelope.h"
#include "../../lib/json.h"

#define NOW 1764000000
#define DEV "0123456789abcdef0123456789abcdef"
#define SERIAL "ACCC8E012345"

static struct crypto_key *cloud, *other;

static int setup(void **state)
{
	return crypto_key_generate(&cloud) || crypto_key_generate(&other) ? -1 : 0;
}

static int teardown(void **state)
{
	crypto_key_free(cloud);
	crypto_key_free(other);
	return 0;
}

static const char PAYLOAD[] =
	"{\"type\":\"task\",\"device_id\":\"" DEV "\",\"serial\":\"" SERIAL "\","
	"\"iat\":1764000000,\"exp\":1764003600,\"task_id\":\"t1\","
	"\"note\":\"quote \\\" and \\u00e9\"}";

/* Builds an envelope from its parts (payload given raw; NULL fields are left out). */
static void build(struct buf *out, const char *payload, size_t plen, const char *sig,
		  const char *key_id)
{
	struct json_writer w;
	char *b64 = malloc(plen * 2 + 8);

	assert_non_null(b64);
	if (payload)
		assert_true(base64_encode(payload, plen, b64, plen * 2 + 8) >= 0);
	buf_init(out, 1 << 20);
	jw_init(&w, out);
	jw_object_begin(&w);
	if (payload)
		jw_kv_string(&w, "payload", b64);
	if (sig)
		jw_kv_string(&w, "signature", sig);
	if (key_id)
		jw_kv_string(&w, "key_id", key_id);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	free(b64);
}

static enum envelope_err open_text(const char *env, size_t len, struct buf *payload)
{
	buf_init(payload, ENVELOPE_MAX_BYTES);
	return envelope_open(cloud, env, len, payload);
}

static void test_round_trip(void **state)
{
	struct buf env, payload;
	struct json_doc doc;
	char fp[CRYPTO_SHA256_HEX_LEN], got[128];

	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(buf_append_str(&env, "prefix:"), 0);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &env), 0);
	assert_memory_equal(env.data, "prefix:", 7); /* appends */
	const char *e = env.data + 7;
	size_t elen = env.len - 7;

	/* The wire format of §5: three strings, key_id the signer's fingerprint. */
	assert_int_equal(json_parse(&doc, e, elen, 16), 0);
	assert_int_equal(crypto_key_fingerprint(cloud, fp), 0);
	assert_int_equal(json_get_string(&doc, 0, "key_id", got, sizeof(got)), 0);
	assert_string_equal(got, fp);
	assert_int_equal(json_get_string(&doc, 0, "signature", got, sizeof(got)), 0);
	assert_int_equal(json_type_of(&doc, json_find(&doc, 0, "payload")), JSON_STRING);
	json_free(&doc);

	assert_int_equal(open_text(e, elen, &payload), ENVELOPE_OK);
	assert_int_equal(payload.len, strlen(PAYLOAD));
	assert_string_equal(buf_str(&payload), PAYLOAD);
	buf_free(&payload);
	buf_free(&env);
}

static void test_seal_rejects_bad_payload(void **state)
{
	struct buf env;

	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(buf_append_str(&env, "keep"), 0);
	assert_int_equal(envelope_seal(cloud, "not json", 8, &env), -1);
	assert_int_equal(envelope_seal(cloud, "[1,2]", 5, &env), -1);
	assert_int_equal(envelope_seal(cloud, "{\"a\":1} x", 9, &env), -1);
	assert_string_equal(buf_str(&env), "keep");
	buf_free(&env);

	/* The output cap is respected and the buffer left as it was. */
	buf_init(&env, 40);
	assert_int_equal(buf_append_str(&env, "keep"), 0);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &env), -1);
	assert_string_equal(buf_str(&env), "keep");
	buf_free(&env);
}

static void test_wrong_key(void **state)
{
	struct buf env, payload;

	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(other, PAYLOAD, strlen(PAYLOAD), &env), 0);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_WRONG_KEY);
	assert_int_equal(payload.len, 0);
	buf_free(&payload);
	buf_free(&env);
}

static void test_bad_signature(void **state)
{
	char fp[CRYPTO_SHA256_HEX_LEN], sig[CRYPTO_SIG_B64_MAX];
	struct buf env, payload;
	char tampered[sizeof(PAYLOAD)];

	assert_int_equal(crypto_key_fingerprint(cloud, fp), 0);
	/* Signature by the cloud key, over different bytes. */
	assert_int_equal(crypto_sign(cloud, PAYLOAD, strlen(PAYLOAD), sig, sizeof(sig)), 0);
	memcpy(tampered, PAYLOAD, sizeof(PAYLOAD));
	tampered[strlen(PAYLOAD) - 3] = 'X';
	build(&env, tampered, strlen(tampered), sig, fp);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_BAD_SIGNATURE);
	assert_int_equal(payload.len, 0);
	buf_free(&payload);
	buf_free(&env);

	/* Right key_id, signature made by another key. */
	assert_int_equal(crypto_sign(other, PAYLOAD, strlen(PAYLOAD), sig, sizeof(sig)), 0);
	build(&env, PAYLOAD, strlen(PAYLOAD), sig, fp);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_BAD_SIGNATURE);
	buf_free(&payload);
	buf_free(&env);

	/* Valid base64, not a signature. */
	build(&env, PAYLOAD, strlen(PAYLOAD), "AAAA", fp);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_BAD_SIGNATURE);
	buf_free(&payload);
	buf_free(&env);
}

static void expect_malformed(const char *text, size_t len)
{
	struct buf payload;

	if (open_text(text, len, &payload) != ENVELOPE_MALFORMED)
		fail_msg("not MALFORMED: %.*s", (int)(len > 200 ? 200 : len), text);
	assert_int_equal(payload.len, 0);
	buf_free(&payload);
}

static void expect_built_malformed(const char *payload, const char *sig, const char *key_id)
{
	struct buf env;

	build(&env, payload, payload ? strlen(payload) : 0, sig, key_id);
	expect_malformed(env.data, env.len);
	buf_free(&env);
}

static void test_malformed(void **state)
{
	char fp[CRYPTO_SHA256_HEX_LEN], sig[CRYPTO_SIG_B64_MAX], sig_arr[CRYPTO_SIG_B64_MAX];

	assert_int_equal(crypto_key_fingerprint(cloud, fp), 0);
	assert_int_equal(crypto_sign(cloud, PAYLOAD, strlen(PAYLOAD), sig, sizeof(sig)), 0);
	assert_int_equal(crypto_sign(cloud, "[1]", 3, sig_arr, sizeof(sig_arr)), 0);

	expect_malformed("", 0);
	expect_malformed("not json", 8);
	expect_malformed("[]", 2);
	expect_malformed("{}", 2);
	{
		const char *t = "{\"payload\":1,\"signature\":\"AAAA\",\"key_id\":\"x\"}";
		expect_malformed(t, strlen(t));
	}
	expect_built_malformed(NULL, sig, fp);       /* no payload */
	expect_built_malformed(PAYLOAD, NULL, fp);   /* no signature */
	expect_built_malformed(PAYLOAD, sig, NULL);  /* no key_id */
	expect_built_malformed(PAYLOAD, "not base64!", fp);
	/* Properly signed, but the payload is not a JSON object. */
	expect_built_malformed("[1]", sig_arr, fp);

	/* Payload field that is not base64 (built by hand: build() would encode it). */
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "{\"payload\":\"%%%%%%%%\",\"signature\":\"%s\",\"key_id\":\"%s\"}", sig, fp);
	expect_malformed(text, (size_t)n);
	/* Trailing garbage after the envelope. */
	struct buf env;
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &env), 0);
	assert_int_equal(buf_append_str(&env, "x"), 0);
	expect_malformed(env.data, env.len);
	buf_free(&env);
}

static void test_signed_non_json_payload(void **state)
{
	char fp[CRYPTO_SHA256_HEX_LEN], sig[CRYPTO_SIG_B64_MAX];
	const char junk[] = "{\"type\":\"task\""; /* truncated JSON */

	assert_int_equal(crypto_key_fingerprint(cloud, fp), 0);
	assert_int_equal(crypto_sign(cloud, junk, strlen(junk), sig, sizeof(sig)), 0);
	expect_built_malformed(junk, sig, fp);
}

static void test_size_bound(void **state)
{
	struct buf env;

	/* An otherwise valid envelope padded past ENVELOPE_MAX_BYTES with whitespace. */
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &env), 0);
	struct buf payload;
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_OK);
	buf_free(&payload);
	while (env.len <= ENVELOPE_MAX_BYTES)
		assert_int_equal(buf_append_str(&env, " "), 0);
	expect_malformed(env.data, env.len);
	buf_free(&env);
}

/* A payload object {"type":"task","pad":"xxx..."} of exactly len bytes. */
static char *padded_payload(size_t len)
{
	char *p = malloc(len + 1);
	const char *head = "{\"type\":\"task\",\"pad\":\"";

	assert_non_null(p);
	memset(p, 'x', len);
	memcpy(p, head, strlen(head));
	memcpy(p + len - 2, "\"}", 3);
	return p;
}

static void test_seal_size_limit(void **state)
{
	struct buf env, payload;
	/* base64 grows by 4/3: 40 KiB fits in a 64 KiB envelope, 50 KiB does not. */
	char *fits = padded_payload(40 * 1024), *too_big = padded_payload(50 * 1024);

	buf_init(&env, 4 * ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(cloud, fits, strlen(fits), &env), 0);
	assert_true(env.len <= ENVELOPE_MAX_BYTES);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_OK);
	assert_string_equal(buf_str(&payload), fits);
	buf_free(&payload);
	buf_reset(&env);
	assert_int_equal(envelope_seal(cloud, too_big, strlen(too_big), &env), -1);
	assert_int_equal(env.len, 0);
	buf_free(&env);
	free(fits);
	free(too_big);
}

static void test_extra_fields_ignored(void **state)
{
	struct buf env, payload;

	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(buf_append_str(&env, "{\"future\":[1,2,{\"x\":true}],"), 0);
	struct buf sealed;
	buf_init(&sealed, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &sealed), 0);
	assert_int_equal(buf_append(&env, sealed.data + 1, sealed.len - 1), 0);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_OK);
	assert_string_equal(buf_str(&payload), PAYLOAD);
	buf_free(&payload);
	buf_free(&sealed);
	buf_free(&env);
}

/* ---- binding ---- */

static const struct envelope_binding WANT = {
	.type = "task", .device_id = DEV, .serial = SERIAL, .now = NOW, .max_skew = 300,
};

static enum envelope_err bind_with(const char *type, const char *dev, const char *serial,
				   int64_t iat, int64_t exp)
{
	char p[512];
	int n = snprintf(p, sizeof(p),
			 "{\"type\":\"%s\",\"device_id\":\"%s\",\"serial\":\"%s\","
			 "\"iat\":%lld,\"exp\":%lld}",
			 type, dev, serial, (long long)iat, (long long)exp);
	return envelope_check_binding(p, (size_t)n, &WANT);
}

static void test_binding_ok(void **state)
{
	assert_int_equal(envelope_check_binding(PAYLOAD, strlen(PAYLOAD), &WANT), ENVELOPE_OK);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW, NOW + 1), ENVELOPE_OK);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW + 300, NOW + 600), ENVELOPE_OK);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW - 86400, NOW + 1), ENVELOPE_OK);
}

static void test_binding_errors(void **state)
{
	assert_int_equal(bind_with("license", DEV, SERIAL, NOW, NOW + 60), ENVELOPE_WRONG_TYPE);
	assert_int_equal(bind_with("Task", DEV, SERIAL, NOW, NOW + 60), ENVELOPE_WRONG_TYPE);
	assert_int_equal(bind_with("task", "ffffffffffffffffffffffffffffffff", SERIAL, NOW,
				   NOW + 60), ENVELOPE_WRONG_DEVICE);
	assert_int_equal(bind_with("task", DEV, "ACCC8E012346", NOW, NOW + 60),
			 ENVELOPE_WRONG_DEVICE);
	assert_int_equal(bind_with("task", DEV, SERIAL "X", NOW, NOW + 60), ENVELOPE_WRONG_DEVICE);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW + 301, NOW + 600),
			 ENVELOPE_NOT_YET_VALID);
	assert_int_equal(bind_with("task", DEV, SERIAL, INT64_MAX, INT64_MAX),
			 ENVELOPE_NOT_YET_VALID);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW, NOW), ENVELOPE_EXPIRED);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW - 100, NOW - 1), ENVELOPE_EXPIRED);
	assert_int_equal(bind_with("task", DEV, SERIAL, NOW, INT64_MIN), ENVELOPE_EXPIRED);

	/* NULL expectations never match. */
	struct envelope_binding w = WANT;
	w.serial = NULL;
	assert_int_equal(envelope_check_binding(PAYLOAD, strlen(PAYLOAD), &w),
			 ENVELOPE_WRONG_DEVICE);
	w = WANT;
	w.type = NULL;
	assert_int_equal(envelope_check_binding(PAYLOAD, strlen(PAYLOAD), &w), ENVELOPE_WRONG_TYPE);
	/* Extreme clock values do not overflow. */
	w = WANT;
	w.now = INT64_MAX;
	w.max_skew = INT64_MAX;
	assert_int_equal(envelope_check_binding(PAYLOAD, strlen(PAYLOAD), &w), ENVELOPE_EXPIRED);
}

static void expect_binding_malformed(const char *p)
{
	if (envelope_check_binding(p, strlen(p), &WANT) != ENVELOPE_MALFORMED)
		fail_msg("binding not MALFORMED: %s", p);
}

static void test_binding_malformed(void **state)
{
	const char *rest = "\"device_id\":\"" DEV "\",\"serial\":\"" SERIAL "\"";
	char p[512];

	expect_binding_malformed("");
	expect_binding_malformed("[]");
	expect_binding_malformed("{\"type\":\"task\"");
	snprintf(p, sizeof(p), "{\"type\":\"task\",%s,\"exp\":%d}", rest, NOW + 60);
	expect_binding_malformed(p); /* no iat */
	snprintf(p, sizeof(p), "{\"type\":\"task\",%s,\"iat\":%d}", rest, NOW);
	expect_binding_malformed(p); /* no exp */
	snprintf(p, sizeof(p), "{\"type\":\"task\",%s,\"iat\":\"%d\",\"exp\":%d}", rest, NOW,
		 NOW + 60);
	expect_binding_malformed(p); /* iat as a string */
	snprintf(p, sizeof(p), "{\"type\":\"task\",%s,\"iat\":%d.5,\"exp\":%d}", rest, NOW,
		 NOW + 60);
	expect_binding_malformed(p); /* fractional iat */
	snprintf(p, sizeof(p), "{\"type\":1,%s,\"iat\":%d,\"exp\":%d}", rest, NOW, NOW + 60);
	expect_binding_malformed(p); /* type not a string */
	snprintf(p, sizeof(p), "{\"type\":\"task\",\"device_id\":\"" DEV "\",\"iat\":%d,"
		 "\"exp\":%d}", NOW, NOW + 60);
	expect_binding_malformed(p); /* no serial */
	snprintf(p, sizeof(p), "{\"type\":\"task\",\"serial\":\"" SERIAL "\",\"iat\":%d,"
		 "\"exp\":%d}", NOW, NOW + 60);
	expect_binding_malformed(p); /* no device_id */
	assert_int_equal(envelope_check_binding(PAYLOAD, strlen(PAYLOAD), NULL),
			 ENVELOPE_MALFORMED);
}

/* A key twice, in the envelope or in its signed payload: two readers could disagree
 * on which one counts, so neither is accepted. */
static void test_duplicate_keys_refused(void **state)
{
	struct buf env, sealed, payload;
	buf_init(&sealed, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(cloud, PAYLOAD, strlen(PAYLOAD), &sealed), 0);
	/* a second "payload" after the signed one */
	buf_init(&env, ENVELOPE_MAX_BYTES);
	assert_int_equal(buf_append(&env, sealed.data, sealed.len - 1), 0);
	assert_int_equal(buf_append_str(&env, ",\"payload\":\"e30=\"}"), 0);
	assert_int_equal(open_text(env.data, env.len, &payload), ENVELOPE_MALFORMED);
	buf_free(&payload);
	buf_free(&env);
	buf_free(&sealed);
	/* a signed payload naming two devices */
	static const char twice[] = "{\"type\":\"task\",\"device_id\":\"" DEV "\",\"serial\":\""
				    SERIAL "\",\"iat\":1764000000,\"exp\":1764003600,"
				    "\"device_id\":\"ffffffffffffffffffffffffffffffff\"}";
	expect_binding_malformed(twice);
	buf_init(&sealed, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_seal(cloud, twice, strlen(twice), &sealed), -1);
	buf_free(&sealed);
}

static void test_strerror(void **state)
{
	for (int i = ENVELOPE_OK; i <= ENVELOPE_WRONG_TYPE; i++) {
		const char *s = envelope_strerror((enum envelope_err)i);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		for (int j = ENVELOPE_OK; j < i; j++)
			assert_string_not_equal(s, envelope_strerror((enum envelope_err)j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_seal_rejects_bad_payload),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_signed_non_json_payload),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_seal_size_limit),
		cmocka_unit_test(test_extra_fields_ignored),
		cmocka_unit_test(test_duplicate_keys_refused),
		cmocka_unit_test(test_binding_ok),
		cmocka_unit_test(test_binding_errors),
		cmocka_unit_test(test_binding_malformed),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
