/* Unit tests for cloud/payload: the task and license payloads carry every field of
 * protocol §5-7 (read back with the JSON reader; the task's update window in its
 * three forms), the license key file is exactly
 * what the simulated camera accepts, the enrollment token decodes to url/secret/fp,
 * and a sealed envelope opens and binds on the agent's side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/payload.h"
#include "../../lib/crypto.h"
#include "../../lib/envelope.h"
#include "../../lib/json.h"

#define DEV "0123456789abcdef0123456789abcdef"
#define TASK "fedcba9876543210fedcba9876543210"
#define IMG "00112233445566778899aabbccddeeff"
#define SHA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void want_string(struct json_doc *d, const char *key, const char *want)
{
	char got[512];
	if (json_get_string(d, 0, key, got, sizeof(got)) < 0)
		fail_msg("missing string %s", key);
	assert_string_equal(got, want);
}

static void want_int(struct json_doc *d, const char *key, int64_t want)
{
	int64_t got;
	if (json_get_int64(d, 0, key, &got) < 0)
		fail_msg("missing int %s", key);
	assert_int_equal(got, want);
}

static void test_task_payload(void **state)
{
	struct buf out;
	struct json_doc d;
	int b = -1;
	struct task_payload t = {
		.device_id = DEV, .serial = "ACCC8E000001", .iat = 1000, .exp = 2000,
		.task_id = TASK, .model = "P3265-LVE", .target_version = "12.0.1",
		.allow_downgrade = 1, .artifact_id = IMG, .size = 3000000, .sha256 = SHA,
	};
	buf_init(&out, 4096);
	assert_int_equal(payload_task(&t, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "type", "task");
	want_string(&d, "device_id", DEV);
	want_string(&d, "serial", "ACCC8E000001");
	want_int(&d, "iat", 1000);
	want_int(&d, "exp", 2000);
	want_string(&d, "task_id", TASK);
	want_string(&d, "kind", "os_upgrade");
	want_string(&d, "model", "P3265-LVE");
	want_string(&d, "target_version", "12.0.1");
	assert_int_equal(json_get_bool(&d, 0, "allow_downgrade", &b), 0);
	assert_int_equal(b, 1);
	want_string(&d, "artifact.url", "/device/v1/artifacts/" IMG);
	want_int(&d, "artifact.size", 3000000);
	want_string(&d, "artifact.sha256", SHA);
	/* no window: null, present (§6) */
	int win = json_find(&d, 0, "window");
	assert_true(win >= 0);
	assert_true(json_tok_is_null(&d, win));
	json_free(&d);
	buf_free(&out);
}

/* The payload's top-level keys, in order, joined by ",". */
static void keys_of(const struct buf *out, char *keys, size_t keyssz)
{
	struct json_doc d;
	static const char *const known[] = {"type", "device_id", "serial", "iat", "exp",
					    "task_id", "kind", "action", "app", "version",
					    "params", "artifact", "window", "model",
					    "target_version", "allow_downgrade", NULL};
	keys[0] = '\0';
	assert_int_equal(json_parse(&d, out->data, out->len, 64), 0);
	for (int i = 0; known[i]; i++)
		if (json_find(&d, 0, known[i]) >= 0) {
			strncat(keys, known[i], keyssz - strlen(keys) - 1);
			strncat(keys, ",", keyssz - strlen(keys) - 1);
		}
	json_free(&d);
}

/* §6a: an application task carries action, app, version, params and the artifact (install
 * only), and none of the OS upgrade's model, target_version, allow_downgrade. */
static void test_app_task_payload(void **state)
{
	struct buf out;
	struct json_doc d;
	char keys[256];
	struct task_payload t = {
		.device_id = DEV, .serial = "ACCC8E000001", .iat = 1000, .exp = 2000,
		.task_id = TASK, .target_version = "1.1.0", .artifact_id = IMG, .size = 4096,
		.sha256 = SHA, .app_action = "install", .app_name = "analytics",
	};
	buf_init(&out, 4096);
	assert_int_equal(payload_task(&t, &out), 0);
	keys_of(&out, keys, sizeof(keys));
	assert_string_equal(keys, "type,device_id,serial,iat,exp,task_id,kind,action,app,version,"
				  "params,artifact,window,");
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "kind", "app");
	want_string(&d, "action", "install");
	want_string(&d, "app", "analytics");
	want_string(&d, "version", "1.1.0");
	want_string(&d, "artifact.url", "/device/v1/artifacts/" IMG);
	want_int(&d, "artifact.size", 4096);
	want_string(&d, "artifact.sha256", SHA);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "params")), 0);
	json_free(&d);

	buf_free(&out);
	buf_init(&out, 4096);
	t.app_action = "set_params";
	t.app_params = "[{\"name\":\"Sensitivity\",\"value\":\"9\"}]";
	assert_int_equal(payload_task(&t, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "action", "set_params");
	int art = json_find(&d, 0, "artifact");
	assert_true(art >= 0 && json_tok_is_null(&d, art)); /* no package for this action */
	int params = json_find(&d, 0, "params");
	assert_int_equal(json_array_len(&d, params), 1);
	char name[32];
	assert_int_equal(json_get_string(&d, json_array_at(&d, params, 0), "name", name,
					 sizeof(name)), 0);
	assert_string_equal(name, "Sensitivity");
	json_free(&d);
	buf_free(&out);
}

static void test_task_payload_windows(void **state)
{
	struct buf out;
	struct json_doc d;
	char s[16];
	int64_t v;
	struct task_window utc = {.kind = WINDOW_UTC, .start = 1700000000, .end = 1700003600};
	struct task_window daily = {.kind = WINDOW_DAILY, .from = "22:00", .to = "04:00"};
	struct task_payload t = {
		.device_id = DEV, .serial = "S1", .iat = 1, .exp = 2, .task_id = TASK, .model = "M",
		.target_version = "2", .artifact_id = IMG, .size = 1, .sha256 = SHA, .window = &utc,
	};
	buf_init(&out, 4096);
	assert_int_equal(payload_task(&t, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "window.kind", "utc");
	want_int(&d, "window.start", 1700000000);
	want_int(&d, "window.end", 1700003600);
	assert_int_equal(json_get_string(&d, 0, "window.from", s, sizeof(s)), -1);
	json_free(&d);

	buf_reset(&out);
	t.window = &daily;
	assert_int_equal(payload_task(&t, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "window.kind", "daily");
	want_string(&d, "window.from", "22:00");
	want_string(&d, "window.to", "04:00");
	assert_int_equal(json_get_int64(&d, 0, "window.start", &v), -1);
	json_free(&d);

	/* a WINDOW_NONE struct is the same as no window */
	struct task_window none = {.kind = WINDOW_NONE};
	buf_reset(&out);
	t.window = &none;
	assert_int_equal(payload_task(&t, &out), 0);
	assert_non_null(strstr(buf_str(&out), "\"window\":null"));
	buf_free(&out);
}

static void test_license_payload(void **state)
{
	struct buf out;
	struct json_doc d;
	char key[256];
	struct license_payload l = {
		.device_id = DEV, .serial = "S1", .iat = 10, .exp = 3610, .license_id = TASK,
		.app = "app\"x", .kind = "tied", .key_b64 = "PExpY2Vuc2VLZXk+", .license_exp = 1900000000,
	};
	buf_init(&out, 4096);
	assert_int_equal(payload_license(&l, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "type", "license");
	want_string(&d, "device_id", DEV);
	want_string(&d, "serial", "S1");
	want_int(&d, "iat", 10);
	want_int(&d, "exp", 3610);
	want_string(&d, "license_id", TASK);
	want_string(&d, "app", "app\"x");
	want_int(&d, "license_exp", 1900000000);
	want_string(&d, "kind", "tied");
	/* exactly the vendor's file as stored, not a file of our own */
	want_string(&d, "key", "PExpY2Vuc2VLZXk+");
	json_free(&d);

	/* a camcloud token carries no key file: the signed envelope is the license */
	l.kind = "cloud";
	l.key_b64 = NULL;
	buf_reset(&out);
	assert_int_equal(payload_license(&l, &out), 0);
	assert_int_equal(json_parse(&d, out.data, out.len, 64), 0);
	want_string(&d, "kind", "cloud");
	assert_int_equal(json_get_string(&d, 0, "key", key, sizeof(key)), -1);
	json_free(&d);
	buf_free(&out);
}

static void test_token_string(void **state)
{
	char tok[TOKEN_STRING_MAX], json[TOKEN_STRING_MAX];
	struct json_doc d;
	assert_int_equal(token_string("http://127.0.0.1:8080", "0123456789abcdef0123456789abcdef",
				      SHA, tok, sizeof(tok)), 0);
	assert_memory_equal(tok, "cam1.", 5);
	assert_null(strchr(tok, '=')); /* no padding */
	assert_null(strchr(tok, '+'));
	assert_null(strchr(tok, '/'));
	int n = base64url_decode(tok + 5, strlen(tok + 5), (uint8_t *)json, sizeof(json) - 1);
	assert_true(n > 0);
	json[n] = '\0';
	assert_int_equal(json_parse(&d, json, (size_t)n, 16), 0);
	want_string(&d, "url", "http://127.0.0.1:8080");
	want_string(&d, "secret", "0123456789abcdef0123456789abcdef");
	want_string(&d, "fp", SHA);
	json_free(&d);
	/* too small an output buffer fails instead of truncating */
	assert_int_equal(token_string("http://x", "s", SHA, tok, 20), -1);
}

static void test_sealed_task_opens_and_binds(void **state)
{
	struct crypto_key *key;
	struct buf payload, env, opened;
	struct task_payload t = {
		.device_id = DEV, .serial = "S1", .iat = 1000, .exp = 2000, .task_id = TASK,
		.model = "M", .target_version = "2", .artifact_id = IMG, .size = 1, .sha256 = SHA,
	};
	assert_int_equal(crypto_key_generate(&key), 0);
	buf_init(&payload, 4096);
	buf_init(&env, ENVELOPE_MAX_BYTES);
	buf_init(&opened, ENVELOPE_MAX_BYTES);
	assert_int_equal(payload_task(&t, &payload), 0);
	assert_int_equal(envelope_seal(key, payload.data, payload.len, &env), 0);
	assert_int_equal(envelope_open(key, env.data, env.len, &opened), ENVELOPE_OK);
	assert_string_equal(buf_str(&opened), buf_str(&payload));
	struct envelope_binding want = {.type = "task", .device_id = DEV, .serial = "S1",
					.now = 1500, .max_skew = 300};
	assert_int_equal(envelope_check_binding(opened.data, opened.len, &want), ENVELOPE_OK);
	want.serial = "S2";
	assert_int_equal(envelope_check_binding(opened.data, opened.len, &want),
			 ENVELOPE_WRONG_DEVICE);
	buf_free(&payload);
	buf_free(&env);
	buf_free(&opened);
	crypto_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_payload),
		cmocka_unit_test(test_task_payload_windows),
		cmocka_unit_test(test_app_task_payload),
		cmocka_unit_test(test_license_payload),
		cmocka_unit_test(test_token_string),
		cmocka_unit_test(test_sealed_task_opens_and_binds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
