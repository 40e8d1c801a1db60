/* In-process tests of the camcloud HTTP API: a real server (cloud_open) on a loopback
 * port and libevent's HTTP client on the same event loop. Covers the error format,
 * admin auth, body limits, signed enrollment (retry, conflict, used-up token), auth
 * (replay, skew, bad signature), the long poll (wake on task or license, timeout,
 * removal), task states (forward only, cancel), artifact Range, licenses, and a stop
 * with a request still held (leaks show up under ASan). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../../cloud/db.h"
#include "../../cloud/server.h"
#include "../../lib/crypto.h"
#include "../../lib/envelope.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"

#define MODEL "P3265-LVE"
#define TOKEN_STRING_MAX_T 1024
#define IMAGE_SIZE 300000

struct resp {
	int done;
	int status;
	struct buf body;
	char sig[CRYPTO_SIG_B64_MAX];
	char range[96];
};

struct t {
	char dir[64];
	struct cloud c;
	struct evhttp_connection *conn;
	unsigned port;
	char admin[80];
	char folder[DB_ID_LEN];
	struct crypto_key *dev_key;
	char device_id[DB_ID_LEN];
	char access[80];
	char image[DB_ID_LEN];
	char image_path[128];
};

/* ---- HTTP client plumbing ---- */

static void on_resp(struct evhttp_request *req, void *arg)
{
	struct resp *r = arg;
	r->done = 1;
	if (!req)
		return;
	r->status = evhttp_request_get_response_code(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	if (n)
		assert_int_equal(buf_append(&r->body, evbuffer_pullup(in, (ev_ssize_t)n), n), 0);
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
					   "X-Camcloud-Signature");
	snprintf(r->sig, sizeof(r->sig), "%s", h ? h : "");
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Range");
	snprintf(r->range, sizeof(r->range), "%s", h ? h : "");
}

/* Starts a request on its own connection; the loop must run for it to finish. */
static struct evhttp_connection *start(struct t *t, enum evhttp_cmd_type m, const char *uri,
				       const char *bearer, const char *sig, const char *body,
				       const char *range, struct resp *r)
{
	char auth[128];
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 64 * 1024 * 1024);
	struct evhttp_connection *conn = evhttp_connection_base_new(t->c.base, NULL, "127.0.0.1",
								    (ev_uint16_t)t->port);
	struct evhttp_request *req = evhttp_request_new(on_resp, r);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", "127.0.0.1");
	if (bearer) {
		snprintf(auth, sizeof(auth), "Bearer %s", bearer);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (sig)
		evhttp_add_header(h, "X-Camagent-Signature", sig);
	if (range)
		evhttp_add_header(h, "Range", range);
	if (body) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	}
	assert_int_equal(evhttp_make_request(conn, req, m, uri), 0);
	return conn;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until r is answered (at most 20 s; a timer keeps the loop waking up). */
static void run_until(struct t *t, struct resp *r)
{
	struct timeval tv = {0, 100 * 1000};
	struct event *timer = event_new(t->c.base, -1, EV_PERSIST, tick, NULL);
	assert_int_equal(event_add(timer, &tv), 0);
	time_t deadline = time(NULL) + 20;
	while (!r->done && time(NULL) < deadline)
		event_base_loop(t->c.base, EVLOOP_ONCE);
	event_free(timer);
	if (!r->done)
		fail_msg("no answer within 20 s");
}

static int call(struct t *t, enum evhttp_cmd_type m, const char *uri, const char *bearer,
		const char *sig, const char *body, const char *range, struct resp *r)
{
	struct evhttp_connection *conn = start(t, m, uri, bearer, sig, body, range, r);
	run_until(t, r);
	evhttp_connection_free(conn);
	return r->status;
}

static void resp_free(struct resp *r)
{
	buf_free(&r->body);
}

static void get_str(struct resp *r, const char *key, char *out, size_t outsz)
{
	struct json_doc d;
	assert_int_equal(json_parse(&d, buf_str(&r->body), r->body.len, 4096), 0);
	if (json_get_string(&d, 0, key, out, outsz) < 0)
		fail_msg("no '%s' in %s", key, buf_str(&r->body));
	json_free(&d);
}

static void expect_error(struct resp *r, int status, const char *code)
{
	char got[64];
	if (r->status != status)
		fail_msg("want %d %s, got %d: %s", status, code, r->status, buf_str(&r->body));
	get_str(r, "error.code", got, sizeof(got));
	assert_string_equal(got, code);
}

static int admin_post(struct t *t, const char *uri, const char *body, struct resp *r)
{
	return call(t, EVHTTP_REQ_POST, uri, t->admin, NULL, body, NULL, r);
}

static void admin_post_id(struct t *t, const char *uri, const char *body, char *id)
{
	struct resp r;
	if (admin_post(t, uri, body, &r) != 200)
		fail_msg("%s: %d %s", uri, r.status, buf_str(&r.body));
	get_str(&r, "id", id, DB_ID_LEN);
	resp_free(&r);
}

/* ---- device side: signed requests ---- */

static void sign(struct t *t, struct crypto_key *key, const char *body, char *sig)
{
	assert_int_equal(crypto_sign(key, body, strlen(body), sig, CRYPTO_SIG_B64_MAX), 0);
}

static int enroll(struct t *t, struct crypto_key *key, const char *secret, const char *serial,
		  int64_t ts, struct resp *r)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX], nonce[33], sig[CRYPTO_SIG_B64_MAX];
	struct buf b;
	struct json_writer w;
	assert_int_equal(crypto_key_public_pem(key, pem, sizeof(pem)), 0);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	buf_init(&b, 8192);
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_kv_string(&w, "token_secret", secret);
	jw_kv_string(&w, "serial", serial);
	jw_kv_string(&w, "model", MODEL);
	jw_kv_string(&w, "hardware_id", "hw1");
	jw_kv_string(&w, "arch", "aarch64");
	jw_kv_string(&w, "os_version", "11.11.73");
	jw_kv_string(&w, "agent_version", "0.1.0");
	jw_kv_string(&w, "public_key", pem);
	jw_kv_int(&w, "ts", ts);
	jw_kv_string(&w, "nonce", nonce);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	sign(t, key, buf_str(&b), sig);
	int s = call(t, EVHTTP_REQ_POST, "/device/v1/enroll", NULL, sig, buf_str(&b), NULL, r);
	buf_free(&b);
	return s;
}

static int auth_body(struct t *t, struct crypto_key *key, const char *body, const char *sig_in,
		     struct resp *r)
{
	char sig[CRYPTO_SIG_B64_MAX];
	if (!sig_in) {
		sign(t, key, body, sig);
		sig_in = sig;
	}
	return call(t, EVHTTP_REQ_POST, "/device/v1/auth", NULL, sig_in, body, NULL, r);
}

static void auth_text(char *out, size_t outsz, const char *device_id, int64_t ts,
		      const char *nonce)
{
	snprintf(out, outsz, "{\"device_id\":\"%s\",\"ts\":%lld,\"nonce\":\"%s\"}", device_id,
		 (long long)ts, nonce);
}

/* A fresh token secret for the test folder. */
static void new_secret(struct t *t, const char *extra, char *secret)
{
	char body[256], token[TOKEN_STRING_MAX_T], json[TOKEN_STRING_MAX_T];
	struct resp r;
	struct json_doc d;
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"%s}", t->folder, extra);
	assert_int_equal(admin_post(t, "/admin/v1/enrollment-tokens", body, &r), 200);
	get_str(&r, "token", token, sizeof(token));
	resp_free(&r);
	int n = base64url_decode(token + 5, strlen(token + 5), (uint8_t *)json, sizeof(json) - 1);
	assert_true(n > 0);
	assert_int_equal(json_parse(&d, json, (size_t)n, 16), 0);
	assert_true(json_get_string(&d, 0, "secret", secret, 33) >= 0);
	json_free(&d);
}

/* Enrolls a new device with a fresh key and authenticates it. */
static void enroll_device(struct t *t, const char *serial)
{
	char secret[33], body[256], nonce[33];
	struct resp r;
	crypto_key_free(t->dev_key);
	assert_int_equal(crypto_key_generate(&t->dev_key), 0);
	new_secret(t, "", secret);
	assert_int_equal(enroll(t, t->dev_key, secret, serial, time(NULL), &r), 200);
	get_str(&r, "device_id", t->device_id, sizeof(t->device_id));
	resp_free(&r);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	auth_text(body, sizeof(body), t->device_id, time(NULL), nonce);
	assert_int_equal(auth_body(t, t->dev_key, body, NULL, &r), 200);
	get_str(&r, "access_token", t->access, sizeof(t->access));
	resp_free(&r);
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct buf b;
	char org[DB_ID_LEN], body[256];
	assert_non_null(t);
	strcpy(t->dir, "/tmp/test_cloud_http.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	struct serve_options opt = {.data_dir = t->dir, .listen = "127.0.0.1:0"};
	assert_int_equal(cloud_open(&t->c, &opt), 0);
	t->port = (unsigned)atoi(strrchr(t->c.base_url, ':') + 1);
	assert_true(t->port > 0);

	snprintf(body, sizeof(body), "%s/admin.token", t->dir);
	buf_init(&b, 1024);
	assert_int_equal(fs_read_file(body, &b, 1024), 0);
	snprintf(t->admin, sizeof(t->admin), "%.*s", (int)strcspn(buf_str(&b), "\n"), buf_str(&b));
	buf_free(&b);

	/* an image file of a known size with a byte pattern */
	char *img = malloc(IMAGE_SIZE);
	assert_non_null(img);
	for (int i = 0; i < IMAGE_SIZE; i++)
		img[i] = (char)(i * 7);
	snprintf(t->image_path, sizeof(t->image_path), "%s/image.bin", t->dir);
	assert_int_equal(fs_write_atomic(t->image_path, img, IMAGE_SIZE, 0600), 0);
	free(img);

	admin_post_id(t, "/admin/v1/orgs", "{\"name\":\"Acme\"}", org);
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"name\":\"Lobby\"}", org);
	admin_post_id(t, "/admin/v1/folders", body, t->folder);
	snprintf(body, sizeof(body), "{\"model\":\"%s\",\"version\":\"12.0.1\",\"path\":\"%s\"}",
		 MODEL, t->image_path);
	admin_post_id(t, "/admin/v1/images", body, t->image);
	enroll_device(t, "ACCC8E000001");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	char cmd[128];
	cloud_close(&t->c);
	crypto_key_free(t->dev_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void create_task(struct t *t, const char *extra, char *task_id)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\"%s}", t->device_id,
		 t->image, extra);
	admin_post_id(t, "/admin/v1/tasks", body, task_id);
}

static int report_state(struct t *t, const char *task, const char *body, struct resp *r)
{
	char uri[128];
	snprintf(uri, sizeof(uri), "/device/v1/tasks/%s/status", task);
	return call(t, EVHTTP_REQ_POST, uri, t->access, NULL, body, NULL, r);
}

static void admin_task_state(struct t *t, const char *task, char *state)
{
	char uri[128];
	struct resp r;
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s", task);
	assert_int_equal(call(t, EVHTTP_REQ_GET, uri, t->admin, NULL, NULL, NULL, &r), 200);
	get_str(&r, "state", state, 32);
	resp_free(&r);
}

/* ---- tests ---- */

static void test_errors_and_admin_auth(void **state)
{
	struct t *t = *state;
	struct resp r;
	call(t, EVHTTP_REQ_GET, "/admin/v1/devices", NULL, NULL, NULL, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/admin/v1/devices", "0000", NULL, NULL, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/nope", t->admin, NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/admin/v1/tasks/not-an-id", t->admin, NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/admin/v1/tasks/0123456789abcdef0123456789abcdef", t->admin, NULL,
	     NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/admin/v1/orgs", t->admin, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	resp_free(&r);
	admin_post(t, "/admin/v1/orgs", "{\"name\":", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	admin_post(t, "/admin/v1/orgs", "[1]", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	admin_post(t, "/admin/v1/orgs", "{\"name\":7}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	admin_post(t, "/admin/v1/orgs", "{\"name\":\"a\\nb\"}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);

	/* a body announced over 64 KiB is refused before it is read */
	struct evhttp_connection *conn = evhttp_connection_base_new(t->c.base, NULL, "127.0.0.1",
								    (ev_uint16_t)t->port);
	memset(&r, 0, sizeof(r));
	buf_init(&r.body, 4096);
	struct evhttp_request *req = evhttp_request_new(on_resp, &r);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", "70000");
	assert_int_equal(evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/admin/v1/orgs"), 0);
	run_until(t, &r);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	evhttp_connection_free(conn);

	/* a task for an unknown device, an image of another model */
	char body[256], img2[DB_ID_LEN];
	snprintf(body, sizeof(body), "{\"device_id\":\"0123456789abcdef0123456789abcdef\","
		 "\"image_id\":\"%s\"}", t->image);
	admin_post(t, "/admin/v1/tasks", body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"model\":\"M1065-L\",\"version\":\"1\",\"path\":\"%s\"}",
		 t->image_path);
	admin_post_id(t, "/admin/v1/images", body, img2);
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\"}", t->device_id, img2);
	admin_post(t, "/admin/v1/tasks", body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
}

static void test_enrollment_rules(void **state)
{
	struct t *t = *state;
	struct resp r;
	char secret[33], id1[DB_ID_LEN], id2[DB_ID_LEN], body[CRYPTO_PUBKEY_PEM_MAX];
	struct crypto_key *cloud = NULL, *other = NULL;

	new_secret(t, ",\"max_uses\":1", secret);
	struct crypto_key *k;
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(enroll(t, k, secret, "S-RETRY", time(NULL), &r), 200);
	/* the reply is signed by the cloud key it carries */
	get_str(&r, "cloud_public_key", body, sizeof(body));
	assert_int_equal(crypto_key_from_public_pem(&cloud, body), 0);
	assert_int_equal(crypto_verify(cloud, r.body.data, r.body.len, r.sig), 0);
	get_str(&r, "device_id", id1, sizeof(id1));
	get_str(&r, "org", body, sizeof(body));
	assert_string_equal(body, "Acme");
	get_str(&r, "folder", body, sizeof(body));
	assert_string_equal(body, "Lobby");
	resp_free(&r);
	/* a retry with the same key: same device, the one-use token is not used again */
	assert_int_equal(enroll(t, k, secret, "S-RETRY", time(NULL), &r), 200);
	get_str(&r, "device_id", id2, sizeof(id2));
	assert_string_equal(id1, id2);
	resp_free(&r);
	/* another camera with the used-up token */
	assert_int_equal(crypto_key_generate(&other), 0);
	enroll(t, other, secret, "S-OTHER", time(NULL), &r);
	expect_error(&r, 403, "token_used_up");
	resp_free(&r);
	/* the same serial with another key */
	new_secret(t, "", secret);
	enroll(t, other, secret, "S-RETRY", time(NULL), &r);
	expect_error(&r, 409, "device_conflict");
	resp_free(&r);
	/* clock skew, unknown and expired tokens */
	enroll(t, other, secret, "S-NEW", time(NULL) - 1000, &r);
	expect_error(&r, 401, "clock_skew");
	resp_free(&r);
	enroll(t, other, "00000000000000000000000000000000", "S-NEW", time(NULL), &r);
	expect_error(&r, 403, "token_invalid");
	resp_free(&r);
	new_secret(t, ",\"expires_in\":1", secret);
	sleep(2);
	enroll(t, other, secret, "S-NEW", time(NULL), &r);
	expect_error(&r, 403, "token_expired");
	resp_free(&r);
	/* a body signed by another key than the one it carries */
	char pem[CRYPTO_PUBKEY_PEM_MAX], sig[CRYPTO_SIG_B64_MAX], text[2048];
	assert_int_equal(crypto_key_public_pem(k, pem, sizeof(pem)), 0);
	snprintf(text, sizeof(text), "{\"token_secret\":\"%s\",\"serial\":\"X\",\"model\":\"M\","
		 "\"hardware_id\":\"h\",\"arch\":\"a\",\"os_version\":\"1\",\"agent_version\":\"1\","
		 "\"public_key\":\"\",\"ts\":%lld,\"nonce\":\"n\"}", secret, (long long)time(NULL));
	sign(t, other, text, sig);
	call(t, EVHTTP_REQ_POST, "/device/v1/enroll", NULL, sig, text, NULL, &r);
	expect_error(&r, 400, "bad_request"); /* empty public_key */
	resp_free(&r);
	call(t, EVHTTP_REQ_POST, "/device/v1/enroll", NULL, NULL, text, NULL, &r);
	expect_error(&r, 401, "unauthorized"); /* no signature header */
	resp_free(&r);
	crypto_key_free(k);
	crypto_key_free(other);
	crypto_key_free(cloud);
}

static void test_auth_rules(void **state)
{
	struct t *t = *state;
	struct resp r;
	char body[256], nonce[33], sig[CRYPTO_SIG_B64_MAX];
	struct crypto_key *other;

	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	auth_text(body, sizeof(body), t->device_id, time(NULL), nonce);
	sign(t, t->dev_key, body, sig);
	assert_int_equal(auth_body(t, t->dev_key, body, sig, &r), 200);
	resp_free(&r);
	auth_body(t, t->dev_key, body, sig, &r); /* the same request again */
	expect_error(&r, 401, "replayed");
	resp_free(&r);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	auth_text(body, sizeof(body), t->device_id, time(NULL) + 400, nonce);
	auth_body(t, t->dev_key, body, NULL, &r);
	expect_error(&r, 401, "clock_skew");
	resp_free(&r);
	assert_int_equal(crypto_key_generate(&other), 0);
	auth_text(body, sizeof(body), t->device_id, time(NULL), nonce);
	auth_body(t, other, body, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	auth_text(body, sizeof(body), "0123456789abcdef0123456789abcdef", time(NULL), nonce);
	auth_body(t, other, body, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	crypto_key_free(other);
	/* bearer endpoints */
	call(t, EVHTTP_REQ_POST, "/device/v1/report", "nope", NULL, "{}", NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
	call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL,
	     "{\"os_version\":\"11.11.74\",\"uptime\":5,\"licenses\":[]}", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "{\"heartbeat\":300}\n");
	resp_free(&r);
}

static void test_long_poll_and_task_flow(void **state)
{
	struct t *t = *state;
	struct resp r, held;
	char task[DB_ID_LEN], state_now[32], payload_task[DB_ID_LEN];
	struct buf payload;

	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 204);
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=x", t->access, NULL, NULL, NULL, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	/* a held poll times out with 204 */
	struct timeval a, b;
	gettimeofday(&a, NULL);
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=1", t->access, NULL,
			      NULL, NULL, &r), 204);
	gettimeofday(&b, NULL);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_usec - a.tv_usec) / 1000 >= 900);
	resp_free(&r);

	/* a held poll is answered the moment a task is created */
	struct evhttp_connection *conn = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30",
					       t->access, NULL, NULL, NULL, &held);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held.done);
	time_t t0 = time(NULL);
	create_task(t, "", task);
	run_until(t, &held);
	assert_true(time(NULL) - t0 <= 2);
	assert_int_equal(held.status, 200);
	evhttp_connection_free(conn);

	/* the envelope opens with the cloud key and binds to this device */
	struct json_doc d;
	size_t len;
	assert_int_equal(json_parse(&d, buf_str(&held.body), held.body.len, 256), 0);
	int tok = json_find(&d, 0, "task");
	const char *env = json_tok_raw(&d, tok, &len);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(t->c.signer.key, env, len, &payload), ENVELOPE_OK);
	struct envelope_binding want = {.type = "task", .device_id = t->device_id,
					.serial = "ACCC8E000001", .now = time(NULL), .max_skew = 300};
	assert_int_equal(envelope_check_binding(payload.data, payload.len, &want), ENVELOPE_OK);
	json_free(&d);
	assert_int_equal(json_parse(&d, payload.data, payload.len, 64), 0);
	assert_true(json_get_string(&d, 0, "task_id", payload_task, sizeof(payload_task)) >= 0);
	assert_string_equal(payload_task, task);
	json_free(&d);
	buf_free(&payload);
	resp_free(&held);

	/* the same task again until the device reports */
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 200);
	resp_free(&r);

	/* states move forward only; final is final */
	assert_int_equal(report_state(t, task, "{\"state\":\"received\"}", &r), 200);
	resp_free(&r);
	assert_int_equal(report_state(t, task, "{\"state\":\"downloading\",\"progress\":40}", &r),
			 200);
	resp_free(&r);
	assert_int_equal(report_state(t, task, "{\"state\":\"received\"}", &r), 200);
	resp_free(&r);
	admin_task_state(t, task, state_now);
	assert_string_equal(state_now, "downloading");
	report_state(t, task, "{\"state\":\"exploded\"}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	report_state(t, task, "{\"state\":\"downloading\",\"progress\":101}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	assert_int_equal(report_state(t, task, "{\"state\":\"succeeded\",\"os_version\":\"12.0.1\"}",
				      &r), 200);
	resp_free(&r);
	assert_int_equal(report_state(t, task, "{\"state\":\"failed\",\"reason\":\"late\"}", &r),
			 200);
	resp_free(&r);
	admin_task_state(t, task, state_now);
	assert_string_equal(state_now, "succeeded");
	report_state(t, t->image, "{\"state\":\"received\"}", &r); /* not a task id */
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 204);
	resp_free(&r);

	/* cancel before installing; the device hears 409 task_cancelled */
	create_task(t, ",\"allow_downgrade\":true", task);
	assert_int_equal(report_state(t, task, "{\"state\":\"downloading\"}", &r), 200);
	resp_free(&r);
	char uri[128];
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", task);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	report_state(t, task, "{\"state\":\"verifying\"}", &r);
	expect_error(&r, 409, "task_cancelled");
	resp_free(&r);
	admin_post(t, uri, NULL, &r);
	expect_error(&r, 400, "bad_request"); /* already cancelled */
	resp_free(&r);
}

static void test_artifact_ranges(void **state)
{
	struct t *t = *state;
	struct resp r;
	char task[DB_ID_LEN], uri[128], range[64];
	snprintf(uri, sizeof(uri), "/device/v1/artifacts/%s", t->image);

	call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found"); /* no task for it yet */
	resp_free(&r);
	create_task(t, "", task);
	assert_int_equal(call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, NULL, &r), 200);
	assert_int_equal(r.body.len, IMAGE_SIZE);
	for (int i = 0; i < IMAGE_SIZE; i += 997)
		assert_int_equal((uint8_t)r.body.data[i], (uint8_t)(i * 7));
	resp_free(&r);
	assert_int_equal(call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, "bytes=1000-", &r), 206);
	assert_int_equal(r.body.len, IMAGE_SIZE - 1000);
	assert_int_equal((uint8_t)r.body.data[0], (uint8_t)(1000 * 7));
	snprintf(range, sizeof(range), "bytes 1000-%d/%d", IMAGE_SIZE - 1, IMAGE_SIZE);
	assert_string_equal(r.range, range);
	resp_free(&r);
	assert_int_equal(call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, "bytes=299999-", &r),
			 206);
	assert_int_equal(r.body.len, 1);
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, "bytes=300000-", &r);
	expect_error(&r, 416, "bad_range");
	snprintf(range, sizeof(range), "bytes */%d", IMAGE_SIZE);
	assert_string_equal(r.range, range);
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, uri, t->access, NULL, NULL, "bytes=5-10", &r);
	expect_error(&r, 416, "bad_range");
	resp_free(&r);
	call(t, EVHTTP_REQ_GET, uri, NULL, NULL, NULL, NULL, &r);
	expect_error(&r, 401, "unauthorized");
	resp_free(&r);
}

static void test_licenses(void **state)
{
	struct t *t = *state;
	struct resp r, held;
	char body[256], lic[DB_ID_LEN], uri[128], key[256];
	uint8_t raw[256];

	struct evhttp_connection *conn = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30",
					       t->access, NULL, NULL, NULL, &held);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"app\":\"analytics\"}", t->device_id);
	admin_post_id(t, "/admin/v1/licenses", body, lic);
	run_until(t, &held);
	evhttp_connection_free(conn);
	assert_int_equal(held.status, 200);
	assert_string_equal(buf_str(&held.body), "{\"task\":null,\"check\":[\"licenses\"]}\n");
	resp_free(&held);
	/* one hint per license */
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 204);
	resp_free(&r);

	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/licenses", t->access, NULL, NULL, NULL,
			      &r), 200);
	struct json_doc d;
	struct buf payload;
	size_t len;
	assert_int_equal(json_parse(&d, buf_str(&r.body), r.body.len, 256), 0);
	int arr = json_find(&d, 0, "licenses");
	assert_int_equal(json_array_len(&d, arr), 1);
	const char *env = json_tok_raw(&d, json_array_at(&d, arr, 0), &len);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(t->c.signer.key, env, len, &payload), ENVELOPE_OK);
	json_free(&d);
	assert_int_equal(json_parse(&d, payload.data, payload.len, 64), 0);
	assert_true(json_get_string(&d, 0, "key", key, sizeof(key)) >= 0);
	int n = base64_decode(key, strlen(key), raw, sizeof(raw) - 1);
	raw[n > 0 ? n : 0] = '\0';
	assert_string_equal((char *)raw, "CAMSIM-LICENSE 1\napp=analytics\nserial=ACCC8E000001\nexp=0\n");
	json_free(&d);
	buf_free(&payload);
	resp_free(&r);

	snprintf(uri, sizeof(uri), "/device/v1/licenses/%s/status", lic);
	assert_int_equal(call(t, EVHTTP_REQ_POST, uri, t->access, NULL, "{\"state\":\"active\"}",
			      NULL, &r), 200);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/licenses/%s", lic);
	assert_int_equal(call(t, EVHTTP_REQ_GET, uri, t->admin, NULL, NULL, NULL, &r), 200);
	get_str(&r, "state", key, sizeof(key));
	assert_string_equal(key, "active");
	resp_free(&r);
}

static void test_removed_device(void **state)
{
	struct t *t = *state;
	struct resp r, held;
	char uri[128], body[256], nonce[33];

	struct evhttp_connection *conn = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30",
					       t->access, NULL, NULL, NULL, &held);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", t->device_id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);
	run_until(t, &held);
	evhttp_connection_free(conn);
	expect_error(&held, 410, "device_removed");
	resp_free(&held);
	call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL, "{\"os_version\":\"1\"}",
	     NULL, &r);
	expect_error(&r, 410, "device_removed");
	resp_free(&r);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	auth_text(body, sizeof(body), t->device_id, time(NULL), nonce);
	auth_body(t, t->dev_key, body, NULL, &r);
	expect_error(&r, 410, "device_removed");
	resp_free(&r);
	/* a new token brings the same camera (same key) back as a new device */
	char old[DB_ID_LEN], secret[33];
	strcpy(old, t->device_id);
	new_secret(t, "", secret);
	assert_int_equal(enroll(t, t->dev_key, secret, "ACCC8E000001", time(NULL), &r), 200);
	get_str(&r, "device_id", t->device_id, sizeof(t->device_id));
	assert_string_not_equal(old, t->device_id);
	resp_free(&r);
}

static void test_stop_with_held_requests(void **state)
{
	struct t *t = *state;
	struct resp held[3];
	struct evhttp_connection *conns[3];
	char serial[32];

	/* a newer poll of the same device answers the older one with 204 */
	conns[0] = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30", t->access, NULL, NULL,
			 NULL, &held[0]);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	conns[1] = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30", t->access, NULL, NULL,
			 NULL, &held[1]);
	run_until(t, &held[0]);
	assert_int_equal(held[0].status, 204);
	/* another device's poll stays held too, then the server stops under them */
	snprintf(serial, sizeof(serial), "ACCC8E000002");
	enroll_device(t, serial);
	conns[2] = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=30", t->access, NULL, NULL,
			 NULL, &held[2]);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held[1].done);
	assert_false(held[2].done);
	for (int i = 0; i < 3; i++) {
		evhttp_connection_free(conns[i]);
		resp_free(&held[i]);
	}
	/* teardown's cloud_close frees the two requests still held */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* the 413 test writes to a socket the server closes */
	log_init("test_cloud_http", getenv("TEST_DEBUG") ? LOGL_DEBUG : LOGL_ERROR, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors_and_admin_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_and_task_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifact_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_licenses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_held_requests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
