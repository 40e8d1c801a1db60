/* In-process tests of the camcloud HTTP API: a real server (cloud_open) on a loopback
 * port and libevent's HTTP client on the same event loop. Covers the error format,
 * admin auth, body limits, signed enrollment (retry, conflict, used-up token), auth
 * (replay, skew, bad signature), the long poll (wake on task or license, timeout,
 * removal), task states (forward only, cancel), artifact Range, licenses, a stop
 * with a request still held (leaks show up under ASan); the organization model
 * (moves, re-enrollment rules, folder deletion, listings, device details) and upgrade
 * jobs (folder-wide wake-up, skips, recommended images, update windows with
 * waiting_window and cancel, lazy task expiry); the wire contract's fine print
 * (enrollment replay, report field types, progress range, one task at a time, a
 * cancel reaching a waiting device) and hostile HTTP refused with JSON errors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../../cloud/http/api.h"
#include "../../cloud/http/gate.h"
#include "../../cloud/http/server.h"
#include "../../cloud/device/longpoll.h"
#include "../../cloud/device/seal_pool.h"
#include "../../cloud/device/wake.h"
#include "../../cloud/admin/plan_queue.h"
#include "../../cloud/domain/apps.h"
#include "../../cloud/domain/jobs.h"
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
	char clock[96]; /* the server's --test-clock file: absent, it reads the real time */
	char store[512]; /* the store spec on PostgreSQL, "" on SQLite */
	struct cloud c;
	struct evhttp_connection *conn;
	unsigned port;
	char admin[80];
	char org[DB_ID_LEN];
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

/* The signed enrollment body of a camera; b must be initialised by the caller. */
static void enroll_text(struct crypto_key *key, const char *secret, const char *serial,
			const char *model, const char *os, int64_t ts, const char *nonce,
			struct buf *b)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX];
	struct json_writer w;
	assert_int_equal(crypto_key_public_pem(key, pem, sizeof(pem)), 0);
	jw_init(&w, b);
	jw_object_begin(&w);
	jw_kv_string(&w, "token_secret", secret);
	jw_kv_string(&w, "serial", serial);
	jw_kv_string(&w, "model", model);
	jw_kv_string(&w, "hardware_id", "hw1");
	jw_kv_string(&w, "arch", "aarch64");
	jw_kv_string(&w, "os_version", os);
	jw_kv_string(&w, "agent_version", "0.1.0");
	jw_kv_string(&w, "public_key", pem);
	jw_kv_int(&w, "ts", ts);
	jw_kv_string(&w, "nonce", nonce);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
}

static int enroll_as(struct t *t, struct crypto_key *key, const char *secret, const char *serial,
		     const char *model, const char *os, int64_t ts, struct resp *r)
{
	char nonce[33], sig[CRYPTO_SIG_B64_MAX];
	struct buf b;
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	buf_init(&b, 8192);
	enroll_text(key, secret, serial, model, os, ts, nonce, &b);
	sign(t, key, buf_str(&b), sig);
	int s = call(t, EVHTTP_REQ_POST, "/device/v1/enroll", NULL, sig, buf_str(&b), NULL, r);
	buf_free(&b);
	return s;
}

static int enroll(struct t *t, struct crypto_key *key, const char *secret, const char *serial,
		  int64_t ts, struct resp *r)
{
	return enroll_as(t, key, secret, serial, MODEL, "11.11.73", ts, r);
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

/* A fresh token secret for a folder. */
static void new_secret_in(struct t *t, const char *folder, const char *extra, char *secret)
{
	char body[256], token[TOKEN_STRING_MAX_T], json[TOKEN_STRING_MAX_T];
	struct resp r;
	struct json_doc d;
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"%s}", folder, extra);
	assert_int_equal(admin_post(t, "/admin/v1/enrollment-tokens", body, &r), 200);
	get_str(&r, "token", token, sizeof(token));
	resp_free(&r);
	int n = base64url_decode(token + 5, strlen(token + 5), (uint8_t *)json, sizeof(json) - 1);
	assert_true(n > 0);
	assert_int_equal(json_parse(&d, json, (size_t)n, 16), 0);
	assert_true(json_get_string(&d, 0, "secret", secret, 33) >= 0);
	json_free(&d);
}

/* A fresh token secret for the test folder. */
static void new_secret(struct t *t, const char *extra, char *secret)
{
	new_secret_in(t, t->folder, extra, secret);
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

/* Runs sql (no single quotes) with psql in database db of the cluster at
 * CAMCLOUD_STORE_BASE. */
static void pg_sql(const char *db, const char *sql)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "psql -X -q -d '%s dbname=%s' -c \"%s\" >/dev/null",
		 getenv("CAMCLOUD_STORE_BASE"), db, sql);
	assert_int_equal(system(cmd), 0);
}

/* With CAMCLOUD_STORE_BASE set (a libpq connection string without a database, as
 * tests/run.sh sets it on its PostgreSQL pass) every test runs on a fresh PostgreSQL
 * database of its own, made and dropped with psql; otherwise on SQLite in its data
 * directory. Returns the store spec for serve_options (NULL: SQLite). */
static const char *pg_fresh_database(char *spec, size_t specsz)
{
	static unsigned seq;
	const char *base = getenv("CAMCLOUD_STORE_BASE");
	char sql[128];
	spec[0] = '\0';
	if (!base || !*base)
		return NULL;
	snprintf(spec, specsz, "postgres:%s dbname=test_cloud_http_%d_%u", base, (int)getpid(),
		 seq++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", strrchr(spec, '=') + 1);
	pg_sql("postgres", sql);
	return spec;
}

static void pg_drop_database(const char *spec)
{
	char sql[128];
	if (!spec[0])
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE %s", strrchr(spec, '=') + 1);
	pg_sql("postgres", sql);
}

/* Moves the server's clock s seconds past the real time (for expiries: a sleep raced
 * with the requests before it on a loaded machine). */
static void clock_ahead(struct t *t, int s)
{
	char text[32];
	snprintf(text, sizeof(text), "%lld\n", (long long)time(NULL) + s);
	assert_int_equal(fs_write_atomic(t->clock, text, strlen(text), 0600), 0);
}

/* Starts the server of t on its data directory and store. */
static void serve(struct t *t)
{
	/* one client address holds every poll here (501 in the slicing test) */
	struct serve_options opt = {.data_dir = t->dir, .listen = "127.0.0.1:0", .per_source = 1024,
				    .clock_file = t->clock, .store = t->store[0] ? t->store : NULL};
	assert_int_equal(cloud_open(&t->c, &opt), 0);
	t->port = (unsigned)atoi(strrchr(t->c.base_url, ':') + 1);
	assert_true(t->port > 0);
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct buf b;
	char body[256];
	assert_non_null(t);
	strcpy(t->dir, "/tmp/test_cloud_http.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->clock, sizeof(t->clock), "%s/clock", t->dir);
	pg_fresh_database(t->store, sizeof(t->store));
	serve(t);

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

	admin_post_id(t, "/admin/v1/orgs", "{\"name\":\"Acme\"}", t->org);
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"name\":\"Lobby\"}", t->org);
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
	pg_drop_database(t->store);
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
	call(t, EVHTTP_REQ_DELETE, "/admin/v1/orgs", t->admin, NULL, NULL, NULL, &r);
	expect_error(&r, 405, "method_not_allowed");
	resp_free(&r);
	call(t, EVHTTP_REQ_PATCH, "/admin/v1/orgs", t->admin, NULL, NULL, NULL, &r);
	expect_error(&r, 405, "method_not_allowed");
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
	expect_error(&r, 413, "too_large");
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
	clock_ahead(t, 2);
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
	assert_string_equal(buf_str(&r.body),
			    "{\"heartbeat\":300,\"org\":\"Acme\",\"folder\":\"Lobby\"}\n");
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

static void expect_hint(struct t *t, const char *access)
{
	struct resp r;
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", access, NULL, NULL,
			      NULL, &r), 200);
	assert_string_equal(buf_str(&r.body), "{\"task\":null,\"check\":[\"licenses\"]}\n");
	resp_free(&r);
}

static void test_licenses(void **state)
{
	struct t *t = *state;
	struct resp r, held;
	char body[256], lic[DB_ID_LEN], uri[128], key[256];

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
	/* the hint stands until the device fetches its licenses (it may have dropped the
	 * poll that carried it) */
	expect_hint(t, t->access);

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
	/* a camcloud token: the signed envelope is the license, no vendor key file in it */
	assert_true(json_get_string(&d, 0, "kind", key, sizeof(key)) >= 0);
	assert_string_equal(key, "cloud");
	assert_int_equal(json_get_string(&d, 0, "key", key, sizeof(key)), -1);
	json_free(&d);
	buf_free(&payload);
	resp_free(&r);
	/* fetched: no hint any more */
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 204);
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

/* ---- organization model ---- */

struct dev {
	struct crypto_key *key;
	char id[DB_ID_LEN];
	char access[80];
};

/* Enrolls and authenticates a new device in folder. */
static void dev_enroll(struct t *t, struct dev *d, const char *folder, const char *serial,
		       const char *model, const char *os)
{
	char secret[33], body[256], nonce[33];
	struct resp r;
	assert_int_equal(crypto_key_generate(&d->key), 0);
	new_secret_in(t, folder, "", secret);
	if (enroll_as(t, d->key, secret, serial, model, os, time(NULL), &r) != 200)
		fail_msg("enroll %s: %d %s", serial, r.status, buf_str(&r.body));
	get_str(&r, "device_id", d->id, sizeof(d->id));
	resp_free(&r);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	auth_text(body, sizeof(body), d->id, time(NULL), nonce);
	assert_int_equal(auth_body(t, d->key, body, NULL, &r), 200);
	get_str(&r, "access_token", d->access, sizeof(d->access));
	resp_free(&r);
}

static void dev_free(struct dev *d)
{
	crypto_key_free(d->key);
	d->key = NULL;
}

static int admin_get(struct t *t, const char *uri, struct resp *r)
{
	return call(t, EVHTTP_REQ_GET, uri, t->admin, NULL, NULL, NULL, r);
}

/* A folder named name in org (parent NULL: a root folder). */
static void new_folder(struct t *t, const char *org, const char *parent, const char *name,
		       char *id)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"name\":\"%s\"%s%s%s}", org, name,
		 parent ? ",\"parent_id\":\"" : "", parent ? parent : "", parent ? "\"" : "");
	admin_post_id(t, "/admin/v1/folders", body, id);
}

/* The reply body parsed (free with json_free); fails the test when it is not JSON. */
static void parse(struct resp *r, struct json_doc *d)
{
	if (json_parse(d, buf_str(&r->body), r->body.len, 1 << 16) != 0)
		fail_msg("not JSON: %s", buf_str(&r->body));
}

/* Element i of array key of the reply's root object. */
static int elem(struct json_doc *d, const char *key, int i)
{
	return json_array_at(d, json_find(d, 0, key), i);
}

static void want_str(struct json_doc *d, int obj, const char *key, const char *want)
{
	char got[512];
	if (json_get_string(d, obj, key, got, sizeof(got)) < 0)
		fail_msg("no string '%s'", key);
	if (strcmp(got, want) != 0)
		fail_msg("%s: want '%s', got '%s'", key, want, got);
}

static int64_t int_of(struct json_doc *d, int obj, const char *key)
{
	int64_t v = 0;
	if (json_get_int64(d, obj, key, &v) < 0)
		fail_msg("no int '%s'", key);
	return v;
}

/* Creates a job from body and leaves its job show in show and d (the caller frees
 * both): create's reply carries only counts (checked against the rows job show
 * lists), never the rows themselves. */
static void job_create_shown(struct t *t, const char *body, struct resp *show, struct json_doc *d)
{
	char uri[160], job[DB_ID_LEN];
	struct resp r;
	struct json_doc c;
	assert_int_equal(admin_post(t, "/admin/v1/jobs", body, &r), 200);
	parse(&r, &c);
	assert_true(json_get_string(&c, 0, "id", job, sizeof(job)) >= 0);
	assert_true(json_find(&c, 0, "tasks") < 0 && json_find(&c, 0, "skipped") < 0);
	int64_t made = int_of(&c, 0, "tasks_created"), skipped = int_of(&c, 0, "skipped_count");
	assert_int_equal(int_of(&c, 0, "targeted"), made + skipped);
	int64_t by_reason = 0;
	for (int i = 0; i < json_array_len(&c, json_find(&c, 0, "skipped_reasons")); i++)
		by_reason += int_of(&c, elem(&c, "skipped_reasons", i), "count");
	assert_int_equal(by_reason, skipped);
	json_free(&c);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, show), 200);
	parse(show, d);
	assert_int_equal(json_array_len(d, json_find(d, 0, "tasks")), made);
	assert_int_equal(json_array_len(d, json_find(d, 0, "skipped")), skipped);
}

/* A held long poll of a device: the connection to free once it is answered. */
static struct evhttp_connection *poll_hold_for(struct t *t, const char *access,
					       struct resp *held, int wait_s)
{
	char path[64];
	snprintf(path, sizeof(path), "/device/v1/tasks/next?wait=%d", wait_s);
	struct evhttp_connection *conn = start(t, EVHTTP_REQ_GET, path, access, NULL, NULL, NULL,
					       held);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held->done);
	return conn;
}

static struct evhttp_connection *poll_hold(struct t *t, const char *access, struct resp *held)
{
	return poll_hold_for(t, access, held, 30);
}

/* The payload of a 200 {"task": envelope} reply, opened with the cloud key. */
static void open_task(struct t *t, struct resp *r, struct json_doc *pd, struct buf *payload)
{
	struct json_doc d;
	size_t len;
	if (r->status != 200)
		fail_msg("no task: %d %s", r->status, buf_str(&r->body));
	parse(r, &d);
	const char *env = json_tok_raw(&d, json_find(&d, 0, "task"), &len);
	buf_init(payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(t->c.signer.key, env, len, payload), ENVELOPE_OK);
	json_free(&d);
	assert_int_equal(json_parse(pd, payload->data, payload->len, 128), 0);
}

static int report_as(struct t *t, const char *access, const char *task, const char *body,
		     struct resp *r)
{
	char uri[128];
	snprintf(uri, sizeof(uri), "/device/v1/tasks/%s/status", task);
	int st = call(t, EVHTTP_REQ_POST, uri, access, NULL, body, NULL, r);
	return st;
}

static void report_ok(struct t *t, const char *access, const char *task, const char *body)
{
	struct resp r;
	if (report_as(t, access, task, body, &r) != 200)
		fail_msg("%s: %d %s", body, r.status, buf_str(&r.body));
	resp_free(&r);
}

/* 1 when the history holds an event of action whose detail contains text. */
static int history_has(struct t *t, const char *action, const char *text)
{
	struct resp r;
	struct json_doc d;
	char a[64], detail[600];
	int found = 0;
	assert_int_equal(admin_get(t, "/admin/v1/history", &r), 200);
	parse(&r, &d);
	int arr = json_find(&d, 0, "events");
	for (int i = 0; i < json_array_len(&d, arr) && !found; i++) {
		int e = json_array_at(&d, arr, i);
		found = json_get_string(&d, e, "action", a, sizeof(a)) >= 0 && strcmp(a, action) == 0 &&
			json_get_string(&d, e, "detail", detail, sizeof(detail)) >= 0 &&
			strstr(detail, text) != NULL;
	}
	json_free(&d);
	resp_free(&r);
	return found;
}

static void report_inventory(struct t *t, const char *access, const char *org, const char *folder)
{
	struct resp r;
	struct json_doc d;
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", access, NULL,
			      "{\"os_version\":\"11.11.73\",\"uptime\":5,\"licenses\":[]}", NULL, &r),
			 200);
	parse(&r, &d);
	want_str(&d, 0, "org", org);
	want_str(&d, 0, "folder", folder);
	json_free(&d);
	resp_free(&r);
}

static void test_device_move(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	char site[DB_ID_LEN], floor[DB_ID_LEN], other[DB_ID_LEN], foreign[DB_ID_LEN];
	char uri[128], body[128];

	new_folder(t, t->org, NULL, "Site B", site);
	new_folder(t, t->org, site, "Floor 1", floor);
	admin_post_id(t, "/admin/v1/orgs", "{\"name\":\"Other\"}", other);
	new_folder(t, other, NULL, "Elsewhere", foreign);
	report_inventory(t, t->access, "Acme", "Lobby");

	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s/move", t->device_id);
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", floor);
	assert_int_equal(admin_post(t, uri, body, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "id", t->device_id);
	want_str(&d, 0, "folder", "Floor 1");
	json_free(&d);
	resp_free(&r);
	/* same id, same credentials; the next report's reply names the new folder */
	report_inventory(t, t->access, "Acme", "Floor 1");
	assert_true(history_has(t, "device.move", t->device_id));

	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", t->device_id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "folder_path", "Site B/Floor 1");
	want_str(&d, 0, "folder_id", floor);
	json_free(&d);
	resp_free(&r);
	assert_int_equal(admin_get(t, "/admin/v1/devices", &r), 200);
	parse(&r, &d);
	want_str(&d, elem(&d, "devices", 0), "folder_path", "Site B/Floor 1");
	json_free(&d);
	resp_free(&r);

	/* never into another organization, an unknown folder, or for an unknown device */
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s/move", t->device_id);
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", foreign);
	admin_post(t, uri, body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	report_inventory(t, t->access, "Acme", "Floor 1");
	admin_post(t, uri, "{\"folder_id\":\"0123456789abcdef0123456789abcdef\"}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	admin_post(t, uri, "{\"folder_id\":\"nope\"}", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", site);
	admin_post(t, "/admin/v1/devices/0123456789abcdef0123456789abcdef/move", body, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	/* moving back is fine too */
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", t->folder);
	assert_int_equal(admin_post(t, uri, body, &r), 200);
	resp_free(&r);
	report_inventory(t, t->access, "Acme", "Lobby");
}

static void error_message(struct resp *r, char *msg, size_t sz)
{
	get_str(r, "error.message", msg, sz);
}

static void test_reenrollment(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	struct crypto_key *k2;
	char site[DB_ID_LEN], other[DB_ID_LEN], foreign[DB_ID_LEN], secret[33], id[DB_ID_LEN];
	char msg[512], uri[160];
	const char *serial = "ACCC8E000001"; /* the fixture's device, in Acme/Lobby */

	new_folder(t, t->org, NULL, "Site B", site);
	admin_post_id(t, "/admin/v1/orgs", "{\"name\":\"Other\"}", other);
	new_folder(t, other, NULL, "Elsewhere", foreign);

	/* another token of its own folder: the same device, and the token is not used */
	new_secret(t, ",\"max_uses\":1", secret);
	assert_int_equal(enroll(t, t->dev_key, secret, serial, time(NULL), &r), 200);
	get_str(&r, "device_id", id, sizeof(id));
	assert_string_equal(id, t->device_id);
	resp_free(&r);
	assert_int_equal(crypto_key_generate(&k2), 0);
	assert_int_equal(enroll(t, k2, secret, "S-FRESH", time(NULL), &r), 200); /* still unused */
	resp_free(&r);

	/* a folder of the same org, token without allow_move: refused, and in the history */
	new_secret_in(t, site, "", secret);
	enroll(t, t->dev_key, secret, serial, time(NULL), &r);
	expect_error(&r, 409, "device_conflict");
	error_message(&r, msg, sizeof(msg));
	assert_string_equal(msg, "device ACCC8E000001 is already enrolled in folder 'Lobby'; this"
			    " token does not allow moving it");
	resp_free(&r);
	assert_true(history_has(t, "device.enroll_refused", "does not allow moving it"));

	/* another organization: refused even with allow_move */
	new_secret_in(t, foreign, ",\"allow_move\":true", secret);
	enroll(t, t->dev_key, secret, serial, time(NULL), &r);
	expect_error(&r, 409, "device_conflict");
	error_message(&r, msg, sizeof(msg));
	assert_string_equal(msg, "device ACCC8E000001 is enrolled in another organization");
	resp_free(&r);
	assert_true(history_has(t, "device.enroll_refused", "another organization"));
	report_inventory(t, t->access, "Acme", "Lobby");

	/* same org with allow_move: moved, same device id, the token used once */
	new_secret_in(t, site, ",\"allow_move\":true,\"max_uses\":1", secret);
	assert_int_equal(enroll(t, t->dev_key, secret, serial, time(NULL), &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "device_id", t->device_id);
	want_str(&d, 0, "folder", "Site B");
	want_str(&d, 0, "org", "Acme");
	json_free(&d);
	resp_free(&r);
	assert_true(history_has(t, "device.move", t->device_id));
	report_inventory(t, t->access, "Acme", "Site B"); /* credentials unchanged */
	/* the same enrollment again (a lost reply): idempotent, although the token is used up */
	assert_int_equal(enroll(t, t->dev_key, secret, serial, time(NULL), &r), 200);
	get_str(&r, "device_id", id, sizeof(id));
	assert_string_equal(id, t->device_id);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/enrollment-tokens?folder_id=%s", site);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	int tok = elem(&d, "tokens", 1); /* the second token of Site B */
	assert_int_equal(int_of(&d, tok, "uses"), 1);
	want_str(&d, tok, "state", "used_up");
	json_free(&d);
	resp_free(&r);

	/* another key for the serial is still a conflict */
	new_secret_in(t, site, ",\"allow_move\":true", secret);
	enroll(t, k2, secret, serial, time(NULL), &r);
	expect_error(&r, 409, "device_conflict");
	resp_free(&r);

	/* once removed, the camera enrolls anywhere: a new device in the other org */
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", t->device_id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);
	new_secret_in(t, foreign, "", secret);
	assert_int_equal(enroll(t, t->dev_key, secret, serial, time(NULL), &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "org", "Other");
	assert_true(json_get_string(&d, 0, "device_id", id, sizeof(id)) >= 0);
	assert_string_not_equal(id, t->device_id);
	json_free(&d);
	resp_free(&r);
	crypto_key_free(k2);
}

static void test_folder_delete(void **state)
{
	struct t *t = *state;
	struct resp r, held[2];
	struct json_doc d;
	struct evhttp_connection *conns[2];
	struct dev a, b;
	char site[DB_ID_LEN], floor[DB_ID_LEN], tok[DB_ID_LEN], uri[160], body[160];

	new_folder(t, t->org, NULL, "Site B", site);
	new_folder(t, t->org, site, "Floor 1", floor);
	dev_enroll(t, &a, floor, "S-A", MODEL, "11.11.73");
	dev_enroll(t, &b, site, "S-B", MODEL, "11.11.73");
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", site);
	admin_post_id(t, "/admin/v1/enrollment-tokens", body, tok); /* never used */
	conns[0] = poll_hold(t, a.access, &held[0]);
	conns[1] = poll_hold(t, b.access, &held[1]);

	/* a preview first (nothing goes), then the deletion confirmed with its digest */
	char digest[CRYPTO_SHA256_HEX_LEN];
	snprintf(uri, sizeof(uri), "/admin/v1/folders/%s", site);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	get_str(&r, "confirm", digest, sizeof(digest));
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/folders/%s?confirm=%s", site, digest);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	parse(&r, &d);
	assert_int_equal(int_of(&d, 0, "folders"), 2);
	assert_int_equal(int_of(&d, 0, "devices_removed"), 2);
	assert_int_equal(int_of(&d, 0, "tokens_revoked"), 3);
	json_free(&d);
	resp_free(&r);
	/* their held polls learn at once; every later request too */
	for (int i = 0; i < 2; i++) {
		run_until(t, &held[i]);
		evhttp_connection_free(conns[i]);
		expect_error(&held[i], 410, "device_removed");
		resp_free(&held[i]);
	}
	call(t, EVHTTP_REQ_POST, "/device/v1/report", a.access, NULL, "{\"os_version\":\"1\"}", NULL,
	     &r);
	expect_error(&r, 410, "device_removed");
	resp_free(&r);
	report_inventory(t, t->access, "Acme", "Lobby"); /* another folder's device is untouched */
	assert_true(history_has(t, "folder.delete", site));
	assert_true(history_has(t, "device.remove", a.id));

	/* gone from the tree; its tokens revoked; nothing new goes into it */
	snprintf(uri, sizeof(uri), "/admin/v1/folders?org_id=%s", t->org);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "folders")), 2);
	want_str(&d, elem(&d, "folders", 0), "name", "Default");
	want_str(&d, elem(&d, "folders", 1), "name", "Lobby");
	json_free(&d);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/enrollment-tokens?folder_id=%s", site);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tokens")), 2);
	for (int i = 0; i < 2; i++)
		want_str(&d, elem(&d, "tokens", i), "state", "revoked");
	json_free(&d);
	resp_free(&r);
	admin_post(t, "/admin/v1/enrollment-tokens", body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	new_folder(t, t->org, NULL, "Annex", tok);
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"name\":\"x\",\"parent_id\":\"%s\"}",
		 t->org, floor);
	admin_post(t, "/admin/v1/folders", body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s/move", t->device_id);
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", site);
	admin_post(t, uri, body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/folders/%s", site);
	call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);

	/* a removed camera enrolls again elsewhere, as a new device */
	char secret[33], id[DB_ID_LEN];
	new_secret(t, "", secret);
	assert_int_equal(enroll(t, a.key, secret, "S-A", time(NULL), &r), 200);
	get_str(&r, "device_id", id, sizeof(id));
	assert_string_not_equal(id, a.id);
	resp_free(&r);
	dev_free(&a);
	dev_free(&b);
}

static void test_listings(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	struct crypto_key *k;
	char site[DB_ID_LEN], f1[DB_ID_LEN], f2[DB_ID_LEN], annex[DB_ID_LEN], uri[160];
	char secrets[3][33], tok[DB_ID_LEN], img2[DB_ID_LEN], body[256];

	/* orgs */
	assert_int_equal(admin_get(t, "/admin/v1/orgs", &r), 200);
	parse(&r, &d);
	int o = elem(&d, "orgs", 0);
	want_str(&d, o, "name", "Acme");
	assert_int_equal(int_of(&d, o, "devices"), 1);
	assert_int_equal(int_of(&d, o, "folders"), 2); /* the default top folder and Lobby */
	json_free(&d);
	resp_free(&r);

	/* the folder tree, depth first, a subtree right after its folder */
	new_folder(t, t->org, NULL, "Site B", site);
	new_folder(t, t->org, site, "Floor 2", f2);
	new_folder(t, t->org, site, "Floor 1", f1);
	new_folder(t, t->org, NULL, "Annex", annex);
	snprintf(uri, sizeof(uri), "/admin/v1/folders?org_id=%s", t->org);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	static const char *const paths[] = {"Annex", "Default", "Lobby", "Site B",
					    "Site B/Floor 1", "Site B/Floor 2"};
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "folders")), 6);
	for (int i = 0; i < 6; i++)
		want_str(&d, elem(&d, "folders", i), "path", paths[i]);
	int lobby = elem(&d, "folders", 2), floor1 = elem(&d, "folders", 4);
	assert_true(json_tok_is_null(&d, json_find(&d, lobby, "parent_id")));
	assert_int_equal(int_of(&d, lobby, "devices"), 1);
	want_str(&d, floor1, "parent_id", site);
	want_str(&d, floor1, "id", f1);
	assert_int_equal(int_of(&d, floor1, "depth"), 1);
	json_free(&d);
	resp_free(&r);
	admin_get(t, "/admin/v1/folders", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	admin_get(t, "/admin/v1/folders?org_id=0123456789abcdef0123456789abcdef", &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);

	/* tokens: state, uses, allow_move, and never a secret */
	new_secret_in(t, annex, ",\"allow_move\":true", secrets[0]);
	new_secret_in(t, annex, ",\"max_uses\":1", secrets[1]);
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(enroll(t, k, secrets[1], "S-ANNEX", time(NULL), &r), 200);
	resp_free(&r);
	crypto_key_free(k);
	snprintf(body, sizeof(body), "{\"folder_id\":\"%s\"}", annex);
	admin_post_id(t, "/admin/v1/enrollment-tokens", body, tok);
	snprintf(uri, sizeof(uri), "/admin/v1/enrollment-tokens/%s/revoke", tok);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/enrollment-tokens?folder_id=%s", annex);
	assert_int_equal(admin_get(t, uri, &r), 200);
	for (int i = 0; i < 2; i++)
		assert_null(strstr(buf_str(&r.body), secrets[i]));
	assert_null(strstr(buf_str(&r.body), "secret"));
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tokens")), 3);
	static const char *const states[] = {"active", "used_up", "revoked"};
	for (int i = 0; i < 3; i++) {
		int e = elem(&d, "tokens", i);
		want_str(&d, e, "state", states[i]);
		want_str(&d, e, "folder", "Annex");
		want_str(&d, e, "folder_id", annex);
	}
	int allow = 0;
	assert_int_equal(json_get_bool(&d, elem(&d, "tokens", 0), "allow_move", &allow), 0);
	assert_true(allow);
	assert_int_equal(json_get_bool(&d, elem(&d, "tokens", 1), "allow_move", &allow), 0);
	assert_false(allow);
	assert_int_equal(int_of(&d, elem(&d, "tokens", 1), "uses"), 1);
	json_free(&d);
	resp_free(&r);
	assert_int_equal(admin_get(t, "/admin/v1/enrollment-tokens", &r), 200);
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tokens")), 4); /* + the fixture's */
	json_free(&d);
	resp_free(&r);
	admin_get(t, "/admin/v1/enrollment-tokens?folder_id=x", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);

	/* images: one recommended per model */
	snprintf(body, sizeof(body), "{\"model\":\"%s\",\"version\":\"12.1.0\",\"path\":\"%s\"}",
		 MODEL, t->image_path);
	admin_post_id(t, "/admin/v1/images", body, img2);
	snprintf(uri, sizeof(uri), "/admin/v1/images/%s/recommend", t->image);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/images/%s/recommend", img2);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	assert_int_equal(admin_get(t, "/admin/v1/images?model=" MODEL, &r), 200);
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "images")), 2);
	for (int i = 0; i < 2; i++) {
		int e = elem(&d, "images", i), rec = -1;
		char id[DB_ID_LEN];
		assert_true(json_get_string(&d, e, "id", id, sizeof(id)) >= 0);
		assert_int_equal(json_get_bool(&d, e, "recommended", &rec), 0);
		assert_int_equal(rec, strcmp(id, img2) == 0);
	}
	json_free(&d);
	resp_free(&r);
	assert_true(history_has(t, "image.recommend", img2));
	assert_int_equal(admin_get(t, "/admin/v1/images?model=M1065-L", &r), 200);
	assert_string_equal(buf_str(&r.body), "{\"images\":[]}\n");
	resp_free(&r);
	admin_post(t, "/admin/v1/images/0123456789abcdef0123456789abcdef/recommend", NULL, &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);

	/* one device: its last report as JSON, its tasks */
	report_inventory(t, t->access, "Acme", "Lobby");
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", t->device_id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "serial", "ACCC8E000001");
	want_str(&d, 0, "folder_path", "Lobby");
	want_str(&d, 0, "org", "Acme");
	assert_int_equal(int_of(&d, 0, "last_report.uptime"), 5);
	int online = 0;
	assert_int_equal(json_get_bool(&d, 0, "online", &online), 0);
	assert_true(online);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 0);
	json_free(&d);
	resp_free(&r);
	admin_get(t, "/admin/v1/devices/0123456789abcdef0123456789abcdef", &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
}

/* ---- jobs ---- */

static void test_folder_job_wakes_every_poll(void **state)
{
	struct t *t = *state;
	struct resp r, held[5];
	struct json_doc d, pd;
	struct buf payload;
	struct evhttp_connection *conns[5];
	struct dev p[3], m;
	char site[DB_ID_LEN], floor[DB_ID_LEN], img_m[DB_ID_LEN], job[DB_ID_LEN], body[256];
	char tasks[3][DB_ID_LEN], uri[160];

	new_folder(t, t->org, NULL, "Site B", site);
	new_folder(t, t->org, site, "Floor 1", floor);
	dev_enroll(t, &p[0], site, "S-P1", MODEL, "11.11.73");
	dev_enroll(t, &p[1], site, "S-P2", MODEL, "11.11.73");
	dev_enroll(t, &p[2], floor, "S-P3", MODEL, "11.11.73");
	dev_enroll(t, &m, site, "S-M1", "M1065-L", "11.11.73");
	snprintf(body, sizeof(body), "{\"model\":\"M1065-L\",\"version\":\"12.0.1\",\"path\":\"%s\"}",
		 t->image_path);
	admin_post_id(t, "/admin/v1/images", body, img_m);
	for (int i = 0; i < 3; i++)
		conns[i] = poll_hold(t, p[i].access, &held[i]);
	conns[3] = poll_hold(t, m.access, &held[3]);
	conns[4] = poll_hold(t, t->access, &held[4]); /* in Lobby: not part of the job */

	time_t t0 = time(NULL);
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"folder_id\":\"%s\"}", t->image, site);
	job_create_shown(t, body, &r, &d);
	assert_true(json_get_string(&d, 0, "id", job, sizeof(job)) >= 0);
	want_str(&d, 0, "kind", "folder");
	want_str(&d, 0, "target_version", "12.0.1");
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 3);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "skipped")), 1);
	int sk = elem(&d, "skipped", 0);
	want_str(&d, sk, "device_id", m.id);
	want_str(&d, sk, "serial", "S-M1");
	want_str(&d, sk, "reason", "device is a M1065-L, the image is for " MODEL);
	json_free(&d);
	resp_free(&r);
	/* every affected poll is answered at once, each with its own task */
	for (int i = 0; i < 3; i++) {
		run_until(t, &held[i]);
		evhttp_connection_free(conns[i]);
		open_task(t, &held[i], &pd, &payload);
		assert_true(json_get_string(&pd, 0, "task_id", tasks[i], sizeof(tasks[i])) >= 0);
		want_str(&pd, 0, "device_id", p[i].id);
		assert_true(json_tok_is_null(&pd, json_find(&pd, 0, "window")));
		json_free(&pd);
		buf_free(&payload);
		resp_free(&held[i]);
	}
	assert_true(time(NULL) - t0 <= 2);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held[3].done); /* skipped: nothing for it */
	assert_false(held[4].done); /* outside the folder */

	/* job show: one row per device with serial, folder and state */
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	static const char *const serials[] = {"S-P1", "S-P2", "S-P3"};
	static const char *const folders[] = {"Site B", "Site B", "Site B/Floor 1"};
	for (int i = 0; i < 3; i++) {
		int e = elem(&d, "tasks", i);
		want_str(&d, e, "serial", serials[i]);
		want_str(&d, e, "folder", folders[i]);
		want_str(&d, e, "state", "pending");
		want_str(&d, e, "device_id", p[i].id);
		want_str(&d, e, "id", tasks[i]);
	}
	json_free(&d);
	resp_free(&r);

	/* job list: counts per state and done/total as the devices report */
	report_ok(t, p[0].access, tasks[0], "{\"state\":\"succeeded\",\"os_version\":\"12.0.1\"}");
	report_ok(t, p[1].access, tasks[1], "{\"state\":\"failed\",\"reason\":\"x\"}");
	report_ok(t, p[2].access, tasks[2], "{\"state\":\"downloading\",\"progress\":30}");
	assert_int_equal(admin_get(t, "/admin/v1/jobs", &r), 200);
	parse(&r, &d);
	int j = elem(&d, "jobs", json_array_len(&d, json_find(&d, 0, "jobs")) - 1);
	want_str(&d, j, "id", job);
	assert_int_equal(int_of(&d, j, "total"), 3);
	assert_int_equal(int_of(&d, j, "done"), 2);
	assert_int_equal(int_of(&d, j, "counts.succeeded"), 1);
	assert_int_equal(int_of(&d, j, "counts.failed"), 1);
	assert_int_equal(int_of(&d, j, "counts.downloading"), 1);
	assert_int_equal(int_of(&d, j, "skipped_count"), 1);
	json_free(&d);
	resp_free(&r);

	/* the same job again: only the device whose task failed gets a new one */
	job_create_shown(t, body, &r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 1);
	want_str(&d, elem(&d, "tasks", 0), "serial", "S-P2");
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "skipped")), 3); /* by serial */
	want_str(&d, elem(&d, "skipped", 0), "serial", "S-M1");
	want_str(&d, elem(&d, "skipped", 1), "reason", "already on 12.0.1");
	want_str(&d, elem(&d, "skipped", 2), "reason", "already has an unfinished task for this image");
	json_free(&d);
	resp_free(&r);

	/* a selection, with an unknown device and a duplicate */
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"device_ids\":[\"%s\",\"%s\","
		 "\"0123456789abcdef0123456789abcdef\",\"%s\"]}", img_m, m.id, p[0].id, m.id);
	job_create_shown(t, body, &r, &d);
	want_str(&d, 0, "kind", "devices");
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 1);
	want_str(&d, elem(&d, "tasks", 0), "device_id", m.id);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "skipped")), 2);
	want_str(&d, elem(&d, "skipped", 1), "reason", "no such device");
	json_free(&d);
	resp_free(&r);
	run_until(t, &held[3]); /* now the other model has a task too */
	assert_int_equal(held[3].status, 200);
	evhttp_connection_free(conns[3]);
	resp_free(&held[3]);

	/* bad requests */
	static const char *const bad[] = {
		"{\"image_id\":\"%s\"}",
		"{\"image_id\":\"%s\",\"folder_id\":\"%s\",\"device_ids\":[]}",
		"{\"image_id\":\"%s\",\"folder_id\":\"0123456789abcdef0123456789abcdef\"%s}",
		"{\"image_id\":\"%s\",\"device_ids\":\"%s\"}",
		"{\"image_id\":\"%s\",\"device_ids\":[]%s}",
		"{\"image_id\":\"%s\",\"device_ids\":[\"nope\"]%s}",
		"{\"image_id\":\"0123456789abcdef0123456789abcdef\",\"folder_id\":\"%s\"}",
		"{\"folder_id\":\"%s\"%s}",
		"{\"image_id\":\"%s\",\"folder_id\":\"%s\",\"expires_in\":0}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a = i == 6 || i == 7 ? site : t->image, *b2 = i == 6 || i == 7 ? "" : site;
		if (i == 2 || i == 4 || i == 5)
			b2 = "";
		snprintf(body, sizeof(body), bad[i], a, b2);
		admin_post(t, "/admin/v1/jobs", body, &r);
		if (r.status != 400)
			fail_msg("%s: %d %s", body, r.status, buf_str(&r.body));
		resp_free(&r);
	}
	admin_get(t, "/admin/v1/jobs/0123456789abcdef0123456789abcdef", &r);
	expect_error(&r, 404, "not_found");
	resp_free(&r);
	evhttp_connection_free(conns[4]); /* still held: cloud_close frees it */
	resp_free(&held[4]);
	for (int i = 0; i < 3; i++)
		dev_free(&p[i]);
	dev_free(&m);
}

static void test_recommended_job(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	struct dev old, cur, newer, other;
	char img2[DB_ID_LEN], body[256], uri[160], id[DB_ID_LEN];

	dev_enroll(t, &old, t->folder, "S-OLD", MODEL, "11.5.0");
	dev_enroll(t, &cur, t->folder, "S-CUR", MODEL, "12.0.1");
	dev_enroll(t, &newer, t->folder, "S-NEW", MODEL, "12.1.0");
	dev_enroll(t, &other, t->folder, "S-OTH", "M1065-L", "9.0.0");
	snprintf(body, sizeof(body), "{\"recommended_model\":\"%s\"}", MODEL);
	admin_post(t, "/admin/v1/jobs", body, &r);
	expect_error(&r, 400, "bad_request"); /* no recommended image yet */
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/images/%s/recommend", t->image);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);

	/* only the outdated ones: the fixture's camera (11.11.73) and S-OLD */
	job_create_shown(t, body, &r, &d);
	want_str(&d, 0, "kind", "recommended");
	want_str(&d, 0, "target", MODEL);
	want_str(&d, 0, "image_id", t->image);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 2);
	want_str(&d, elem(&d, "tasks", 0), "device_id", t->device_id);
	want_str(&d, elem(&d, "tasks", 1), "device_id", old.id);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "skipped")), 2);
	want_str(&d, elem(&d, "skipped", 0), "serial", "S-CUR");
	want_str(&d, elem(&d, "skipped", 0), "reason", "already on 12.0.1");
	want_str(&d, elem(&d, "skipped", 1), "serial", "S-NEW");
	want_str(&d, elem(&d, "skipped", 1), "reason",
		 "on 12.1.0, newer than 12.0.1 (downgrade not allowed)");
	json_free(&d);
	resp_free(&r);

	/* with downgrades allowed the newer one goes back too */
	snprintf(body, sizeof(body), "{\"recommended_model\":\"%s\",\"allow_downgrade\":true,"
		 "\"image_id\":\"%s\"}", MODEL, t->image);
	job_create_shown(t, body, &r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 1);
	want_str(&d, elem(&d, "tasks", 0), "device_id", newer.id);
	json_free(&d);
	resp_free(&r);
	/* an image that is not the recommended one */
	snprintf(body, sizeof(body), "{\"model\":\"%s\",\"version\":\"12.2.0\",\"path\":\"%s\"}",
		 MODEL, t->image_path);
	admin_post_id(t, "/admin/v1/images", body, img2);
	snprintf(body, sizeof(body), "{\"recommended_model\":\"%s\",\"image_id\":\"%s\"}", MODEL,
		 img2);
	admin_post(t, "/admin/v1/jobs", body, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	/* the device's own view */
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", old.id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 1);
	assert_true(json_get_string(&d, elem(&d, "tasks", 0), "job_id", id, sizeof(id)) >= 0);
	json_free(&d);
	resp_free(&r);
	dev_free(&old);
	dev_free(&cur);
	dev_free(&newer);
	dev_free(&other);
}

static void test_windows_and_cancel(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d, pd;
	struct buf payload;
	char body[512], task[DB_ID_LEN], job[DB_ID_LEN], uri[160], st[32];
	int64_t now = time(NULL);

	/* a UTC window: in the envelope as given; waiting_window accepted and cancellable */
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\",\"window\":{"
		 "\"kind\":\"utc\",\"start\":%lld,\"end\":%lld}}", t->device_id, t->image,
		 (long long)(now + 3600), (long long)(now + 7200));
	admin_post_id(t, "/admin/v1/tasks", body, task);
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 200);
	open_task(t, &r, &pd, &payload);
	want_str(&pd, 0, "window.kind", "utc");
	assert_int_equal(int_of(&pd, 0, "window.start"), now + 3600);
	assert_int_equal(int_of(&pd, 0, "window.end"), now + 7200);
	json_free(&pd);
	buf_free(&payload);
	resp_free(&r);
	report_ok(t, t->access, task, "{\"state\":\"received\"}");
	report_ok(t, t->access, task, "{\"state\":\"downloading\",\"progress\":100}");
	report_ok(t, t->access, task, "{\"state\":\"verifying\"}");
	report_ok(t, t->access, task, "{\"state\":\"waiting_window\"}");
	report_ok(t, t->access, task, "{\"state\":\"verifying\"}"); /* passed: ignored */
	admin_task_state(t, task, st);
	assert_string_equal(st, "waiting_window");
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s", task);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "window.kind", "utc");
	json_free(&d);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", task);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	report_as(t, t->access, task, "{\"state\":\"installing\"}", &r);
	expect_error(&r, 409, "task_cancelled");
	resp_free(&r);

	/* a daily window through a job; a job cancel spares what is installing */
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"device_ids\":[\"%s\"],\"window\":{"
		 "\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}}", t->image, t->device_id);
	admin_post_id(t, "/admin/v1/jobs", body, job);
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 200);
	open_task(t, &r, &pd, &payload);
	want_str(&pd, 0, "window.kind", "daily");
	want_str(&pd, 0, "window.from", "22:00");
	want_str(&pd, 0, "window.to", "04:00");
	assert_true(json_get_string(&pd, 0, "task_id", task, sizeof(task)) >= 0);
	json_free(&pd);
	buf_free(&payload);
	resp_free(&r);
	report_ok(t, t->access, task, "{\"state\":\"installing\"}");
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s/cancel", job);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	parse(&r, &d);
	assert_int_equal(int_of(&d, 0, "cancelled"), 0);
	assert_int_equal(int_of(&d, 0, "not_cancelled"), 1);
	json_free(&d);
	resp_free(&r);
	admin_task_state(t, task, st);
	assert_string_equal(st, "installing");
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "window.from", "22:00");
	json_free(&d);
	resp_free(&r);
	report_ok(t, t->access, task, "{\"state\":\"succeeded\",\"os_version\":\"12.0.1\"}");

	/* windows that could never install anything, or that are not windows */
	static const char *const bad[] = {
		"\"window\":{\"kind\":\"weekly\"}",
		"\"window\":{\"kind\":\"utc\",\"start\":100,\"end\":200}",
		"\"window\":{\"kind\":\"utc\",\"start\":%lld,\"end\":%lld}",
		"\"window\":{\"kind\":\"daily\",\"from\":\"25:00\",\"to\":\"04:00\"}",
		"\"window\":{\"kind\":\"daily\",\"from\":\"04:00\",\"to\":\"04:00\"}",
		"\"window\":{\"kind\":\"daily\",\"from\":\"04:00:00\",\"to\":\"05:00\"}",
		"\"window\":\"tonight\"",
		"\"expires_in\":60,\"window\":{\"kind\":\"utc\",\"start\":%lld,\"end\":%lld}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[256];
		snprintf(extra, sizeof(extra), bad[i], (long long)(now + 3600),
			 (long long)(i == 2 ? now + 3600 : now + 7200));
		snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\",%s}",
			 t->device_id, t->image, extra);
		admin_post(t, "/admin/v1/tasks", body, &r);
		if (r.status != 400)
			fail_msg("%s: %d %s", body, r.status, buf_str(&r.body));
		resp_free(&r);
		snprintf(body, sizeof(body), "{\"folder_id\":\"%s\",\"image_id\":\"%s\",%s}", t->folder,
			 t->image, extra);
		admin_post(t, "/admin/v1/jobs", body, &r);
		if (r.status != 400)
			fail_msg("%s: %d %s", body, r.status, buf_str(&r.body));
		resp_free(&r);
	}
}

static const char *db_task_state(struct t *t, const char *task, char *out)
{
	struct store_rows *st = store_query(t->c.store, ST_TASK_STATE_AND_DEVICE, "s", task);
	assert_non_null(st);
	assert_int_equal(store_next(st), 1);
	assert_int_equal(store_str(st, 0, out, 32), 0);
	store_done(st);
	return out;
}

static void test_task_expiry(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	struct dev other;
	char mine[DB_ID_LEN], theirs[DB_ID_LEN], body[256], st[32], uri[160];

	dev_enroll(t, &other, t->folder, "S-EXP", MODEL, "11.11.73");
	/* 30 s: the report below must come before the expiry even on a loaded machine */
	create_task(t, ",\"expires_in\":30", mine);
	report_ok(t, t->access, mine, "{\"state\":\"downloading\",\"progress\":10}");
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\",\"expires_in\":30}",
		 other.id, t->image);
	admin_post_id(t, "/admin/v1/tasks", body, theirs);
	clock_ahead(t, 31);
	/* the device's poll expires its own task (and only its own) */
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL,
			      NULL, NULL, &r), 204);
	resp_free(&r);
	assert_string_equal(db_task_state(t, mine, st), "failed");
	assert_string_equal(db_task_state(t, theirs, st), "pending");
	/* listing expires the rest */
	assert_int_equal(admin_get(t, "/admin/v1/tasks", &r), 200);
	resp_free(&r);
	assert_string_equal(db_task_state(t, theirs, st), "failed");
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s", mine);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "state", "failed");
	want_str(&d, 0, "reason", "expired before the device finished");
	assert_int_equal(int_of(&d, 0, "progress"), 10);
	json_free(&d);
	resp_free(&r);
	assert_true(history_has(t, "task.state", "downloading -> failed: expired before the device"));
	/* a late report changes nothing; cancel is too late */
	report_ok(t, t->access, mine, "{\"state\":\"succeeded\",\"os_version\":\"12.0.1\"}");
	assert_string_equal(db_task_state(t, mine, st), "failed");
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", theirs);
	admin_post(t, uri, NULL, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	dev_free(&other);
}

static int64_t token_uses(struct t *t, const char *secret)
{
	char sha[CRYPTO_SHA256_HEX_LEN], id[DB_ID_LEN];
	int64_t n = -1;
	crypto_sha256_hex(secret, strlen(secret), sha);
	struct store_rows *st = store_query(t->c.store, ST_ENROLLMENT_TOKENS_BY_SECRET_SHA256, "s", sha);
	assert_non_null(st);
	assert_int_equal(store_next(st), 1);
	assert_int_equal(store_str(st, 0, id, sizeof(id)), 0);
	store_done(st);
	/* the token listing has the uses (column 5) */
	st = store_query(t->c.store, ST_ENROLLMENT_TOKENS_BY_FOLDER_ID, "ss", NULL, NULL);
	assert_non_null(st);
	while (store_next(st) == 1)
		if (strcmp(store_text(st, 0), id) == 0)
			n = store_int(st, 5);
	store_done(st);
	assert_true(n >= 0);
	return n;
}

/* Sends an enrollment body signed by key; returns the status. */
static int enroll_signed(struct t *t, struct crypto_key *key, const struct buf *b, struct resp *r)
{
	char sig[CRYPTO_SIG_B64_MAX];
	sign(t, key, buf_str(b), sig);
	return call(t, EVHTTP_REQ_POST, "/device/v1/enroll", NULL, sig, buf_str(b), NULL, r);
}

static void test_enrollment_replay_refused(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct buf b;
	char secret[33], nonce[33], uri[128], id[DB_ID_LEN];
	struct crypto_key *k;

	assert_int_equal(crypto_key_generate(&k), 0);
	new_secret(t, ",\"max_uses\":5", secret);
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	buf_init(&b, 8192);
	enroll_text(k, secret, "S-REPLAY", MODEL, "11.11.73", time(NULL), nonce, &b);
	assert_int_equal(enroll_signed(t, k, &b, &r), 200);
	get_str(&r, "device_id", id, sizeof(id));
	resp_free(&r);
	assert_int_equal(token_uses(t, secret), 1);
	/* the same signed body a second time */
	enroll_signed(t, k, &b, &r);
	expect_error(&r, 401, "replayed");
	resp_free(&r);
	/* the nonce again with another body (another serial) */
	buf_reset(&b);
	enroll_text(k, secret, "S-REPLAY2", MODEL, "11.11.73", time(NULL), nonce, &b);
	enroll_signed(t, k, &b, &r);
	expect_error(&r, 401, "replayed");
	resp_free(&r);
	/* nonces that are not 32 hex digits */
	static const char *const bad[] = {"n", "0123456789abcdef0123456789abcde",
					  "0123456789abcdef0123456789abcdef0",
					  "0123456789ABCDEF0123456789ABCDEF",
					  "0123456789abcdef0123456789abcdeg"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		enroll_text(k, secret, "S-BADNONCE", MODEL, "11.11.73", time(NULL), bad[i], &b);
		enroll_signed(t, k, &b, &r);
		expect_error(&r, 400, "bad_request");
		resp_free(&r);
	}
	assert_int_equal(token_uses(t, secret), 1);

	/* captured, then the admin removes the device: the replay does not bring it back */
	assert_int_equal(crypto_random_hex(nonce, 16), 0);
	buf_reset(&b);
	enroll_text(k, secret, "S-REPLAY", MODEL, "11.11.73", time(NULL), nonce, &b);
	assert_int_equal(enroll_signed(t, k, &b, &r), 200); /* a retry: no use */
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);
	enroll_signed(t, k, &b, &r);
	expect_error(&r, 401, "replayed");
	resp_free(&r);
	assert_int_equal(token_uses(t, secret), 1);
	struct store_rows *st = store_query(t->c.store, ST_DEVICES_LIVE_LIST, "sss", "S-REPLAY",
					    NULL, NULL); /* every organization, every folder */
	assert_non_null(st);
	assert_int_equal(store_next(st), 0); /* no live device has the serial */
	store_done(st);
	buf_free(&b);
	crypto_key_free(k);
}

/* A key twice in an admin request body: the first and the last could each be taken
 * by a different reader, so the body is refused whole and nothing is made. */
static void test_admin_body_with_a_key_twice_refused(void **state)
{
	struct t *t = *state;
	struct resp r;
	char body[256];
	call(t, EVHTTP_REQ_POST, "/admin/v1/orgs", t->admin, NULL,
	     "{\"name\":\"Twice A\",\"name\":\"Twice B\"}", NULL, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"name\":\"F\",\"org_id\":\"%s\"}",
		 t->org, t->org);
	call(t, EVHTTP_REQ_POST, "/admin/v1/folders", t->admin, NULL, body, NULL, &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/admin/v1/orgs", t->admin, NULL, NULL, NULL, &r),
			 200);
	assert_null(strstr(buf_str(&r.body), "Twice"));
	resp_free(&r);
	snprintf(body, sizeof(body), "/admin/v1/folders?org_id=%s", t->org);
	assert_int_equal(call(t, EVHTTP_REQ_GET, body, t->admin, NULL, NULL, NULL, &r), 200);
	assert_null(strstr(buf_str(&r.body), "\"F\""));
	resp_free(&r);
}

static void test_report_fields_type_checked(void **state)
{
	struct t *t = *state;
	struct resp r;
	static const char *const bad[] = {
		"{}",
		"{\"os_version\":7}",
		"{\"os_version\":\"12.0.1\",\"uptime\":\"abc\"}",
		"{\"os_version\":\"12.0.1\",\"uptime\":-1}",
		"{\"os_version\":\"12.0.1\",\"free_bytes\":1.5}",
		"{\"os_version\":\"12.0.1\",\"free_bytes\":true}",
		"{\"os_version\":\"12.0.1\",\"model\":5}",
		"{\"os_version\":\"12.0.1\",\"serial\":[]}",
		"{\"os_version\":\"12.0.1\",\"arch\":{}}",
		"{\"os_version\":\"12.0.1\",\"agent_version\":1}",
		"{\"os_version\":\"12.0.1\",\"licenses\":\"none\"}",
		"{\"os_version\":\"12.0.1\",\"licenses\":[1]}",
		"{\"os_version\":\"12.0.1\",\"licenses\":[{\"app\":5,\"state\":\"active\","
		"\"license_id\":\"0123456789abcdef0123456789abcdef\"}]}",
		"{\"os_version\":\"12.0.1\",\"licenses\":[{\"app\":\"a\",\"state\":\"on\","
		"\"license_id\":\"0123456789abcdef0123456789abcdef\"}]}",
		"{\"os_version\":\"12.0.1\",\"licenses\":[{\"app\":\"a\",\"state\":\"active\","
		"\"license_id\":\"x\"}]}",
		"{\"os_version\":\"12.0.1\",\"os_version\":\"13.0.0\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL, bad[i], NULL, &r);
		if (r.status != 400)
			fail_msg("%s: %d %s", bad[i], r.status, buf_str(&r.body));
		expect_error(&r, 400, "bad_request");
		resp_free(&r);
	}
	/* what the agent sends */
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL,
			      "{\"os_version\":\"12.0.1\",\"model\":\"" MODEL "\",\"serial\":\"S\","
			      "\"arch\":\"aarch64\",\"agent_version\":\"0.1.0\",\"uptime\":5,"
			      "\"free_bytes\":1000,\"licenses\":[{\"app\":\"a\",\"state\":\"failed\","
			      "\"license_id\":\"0123456789abcdef0123456789abcdef\"}]}", NULL, &r), 200);
	resp_free(&r);
}

static void test_progress_out_of_range_refused(void **state)
{
	struct t *t = *state;
	struct resp r;
	char task[DB_ID_LEN], uri[128];
	struct json_doc d;
	create_task(t, "", task);
	report_ok(t, t->access, task, "{\"state\":\"downloading\",\"progress\":30}");
	static const char *const bad[] = {
		"{\"state\":\"downloading\",\"progress\":-1}",
		"{\"state\":\"downloading\",\"progress\":101}",
		"{\"state\":\"downloading\",\"progress\":50.5}",
		"{\"state\":\"downloading\",\"progress\":\"50\"}",
		"{\"state\":\"downloading\",\"progress\":-9223372036854775808}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		report_as(t, t->access, task, bad[i], &r);
		expect_error(&r, 400, "bad_request");
		resp_free(&r);
	}
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s", task);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_int_equal(int_of(&d, 0, "progress"), 30);
	json_free(&d);
	resp_free(&r);
	/* a reason is kept only with failed */
	report_ok(t, t->access, task, "{\"state\":\"verifying\",\"reason\":\"chatty\"}");
	report_ok(t, t->access, task, "{\"state\":\"failed\",\"reason\":\"disk full\"}");
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "reason", "disk full");
	json_free(&d);
	resp_free(&r);
}

static int poll_now(struct t *t, struct resp *r)
{
	return call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", t->access, NULL, NULL, NULL,
		    r);
}

/* The task_id inside the envelope of a tasks/next reply. */
static void polled_task_id(struct t *t, struct resp *r, char *id)
{
	struct json_doc pd;
	struct buf payload;
	open_task(t, r, &pd, &payload);
	assert_true(json_get_string(&pd, 0, "task_id", id, DB_ID_LEN) >= 0);
	json_free(&pd);
	buf_free(&payload);
}

static void test_task_not_returned_after_a_state_report(void **state)
{
	struct t *t = *state;
	struct resp r;
	char a[DB_ID_LEN], b[DB_ID_LEN], got[DB_ID_LEN];
	create_task(t, "", a);
	assert_int_equal(poll_now(t, &r), 200);
	polled_task_id(t, &r, got);
	assert_string_equal(got, a);
	resp_free(&r);
	report_ok(t, t->access, a, "{\"state\":\"received\"}");
	assert_int_equal(poll_now(t, &r), 204); /* acknowledged: not handed out again */
	resp_free(&r);
	/* a later task waits while the device works on the first */
	create_task(t, ",\"allow_downgrade\":true", b);
	assert_int_equal(poll_now(t, &r), 204);
	resp_free(&r);
	report_ok(t, t->access, a, "{\"state\":\"succeeded\",\"os_version\":\"12.0.1\"}");
	assert_int_equal(poll_now(t, &r), 200);
	polled_task_id(t, &r, got);
	assert_string_equal(got, b);
	resp_free(&r);
}

/* Starts a held poll and lets the server take it over. */
static struct evhttp_connection *hold_poll(struct t *t, struct resp *held)
{
	struct evhttp_connection *conn = start(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=60",
					       t->access, NULL, NULL, NULL, held);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held->done);
	return conn;
}

static void test_cancel_reaches_a_device_waiting_for_its_window(void **state)
{
	struct t *t = *state;
	struct resp r, held;
	struct json_doc d;
	char a[DB_ID_LEN], b[DB_ID_LEN], job[DB_ID_LEN], got[DB_ID_LEN], body[512], uri[128];
	int64_t now = time(NULL);

	snprintf(body, sizeof(body), ",\"window\":{\"kind\":\"utc\",\"start\":%lld,\"end\":%lld}",
		 (long long)(now + 3600), (long long)(now + 7200));
	create_task(t, body, a);
	assert_int_equal(poll_now(t, &r), 200);
	resp_free(&r);
	report_ok(t, t->access, a, "{\"state\":\"received\"}");
	report_ok(t, t->access, a, "{\"state\":\"downloading\",\"progress\":100}");
	report_ok(t, t->access, a, "{\"state\":\"waiting_window\"}");
	create_task(t, ",\"allow_downgrade\":true", b); /* waits behind a */

	struct evhttp_connection *conn = hold_poll(t, &held);
	struct timeval t0, t1;
	gettimeofday(&t0, NULL);
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", a);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	run_until(t, &held);
	gettimeofday(&t1, NULL);
	evhttp_connection_free(conn);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000 < 1000);
	assert_int_equal(held.status, 200);
	parse(&held, &d);
	assert_true(json_tok_is_null(&d, json_find(&d, 0, "task")));
	int ids = json_find(&d, 0, "cancelled");
	assert_int_equal(json_array_len(&d, ids), 1);
	assert_int_equal(json_tok_string(&d, json_array_at(&d, ids, 0), got, sizeof(got)), 0);
	assert_string_equal(got, a);
	json_free(&d);
	resp_free(&held);
	/* told once; the later task comes next */
	assert_int_equal(poll_now(t, &r), 200);
	polled_task_id(t, &r, got);
	assert_string_equal(got, b);
	resp_free(&r);
	report_as(t, t->access, a, "{\"state\":\"waiting_window\"}", &r);
	expect_error(&r, 409, "task_cancelled");
	resp_free(&r);

	/* a job cancel wakes the waiting device too; a task never started gets no notice */
	report_ok(t, t->access, b, "{\"state\":\"waiting_window\"}");
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s", b);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_true(json_get_string(&d, 0, "job_id", job, sizeof(job)) >= 0);
	json_free(&d);
	resp_free(&r);
	conn = hold_poll(t, &held);
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s/cancel", job);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	run_until(t, &held);
	evhttp_connection_free(conn);
	assert_int_equal(held.status, 200);
	assert_non_null(strstr(buf_str(&held.body), b));
	resp_free(&held);
	create_task(t, "", a);
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", a);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	assert_int_equal(poll_now(t, &r), 204);
	resp_free(&r);
}

/* Sends n raw requests, each on a new connection, before the server's loop runs (so
 * that it reads them in one turn), and collects each answer until the server closes
 * that connection (or 5 s pass), running the server's loop meanwhile. */
static void raw_exchange_many(struct t *t, const struct buf *req, struct buf *out, size_t n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
	struct pollfd p[8];
	size_t open = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(n <= sizeof(p) / sizeof(p[0]));
	for (size_t i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(send(fd, req[i].data, req[i].len, 0), (ssize_t)req[i].len);
		p[i] = (struct pollfd){.fd = fd, .events = POLLIN};
		buf_reset(&out[i]);
		open++;
	}
	time_t deadline = time(NULL) + 5;
	while (open && time(NULL) < deadline) {
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
		if (poll(p, n, 10) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			char chunk[4096];
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t got = recv(p[i].fd, chunk, sizeof(chunk), 0);
			if (got > 0) {
				assert_int_equal(buf_append(&out[i], chunk, (size_t)got), 0);
				continue;
			}
			close(p[i].fd);
			p[i].fd = -1;
			open--;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
}

static void raw_exchange(struct t *t, const char *req, size_t len, struct buf *out)
{
	struct buf one;
	buf_init(&one, len + 1);
	assert_int_equal(buf_append(&one, req, len), 0);
	raw_exchange_many(t, &one, out, 1);
	buf_free(&one);
}

/* ---- the group commit of signed requests ---- */

/* A raw signed enrollment request (Connection: close) into req; b is initialised. */
static void group_enroll_request(struct crypto_key *key, const char *secret, const char *serial,
				 const char *nonce, struct buf *req)
{
	char sig[CRYPTO_SIG_B64_MAX], head[512];
	struct buf body;
	buf_init(&body, 8192);
	enroll_text(key, secret, serial, MODEL, "11.11.73", time(NULL), nonce, &body);
	assert_int_equal(crypto_sign(key, body.data, body.len, sig, sizeof(sig)), 0);
	snprintf(head, sizeof(head), "POST /device/v1/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Content-Type: application/json\r\nX-Camagent-Signature: %s\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", sig, body.len);
	assert_int_equal(buf_append(req, head, strlen(head)), 0);
	assert_int_equal(buf_append(req, body.data, body.len), 0);
	buf_free(&body);
}

static int raw_status(const struct buf *b)
{
	int status = 0;
	return sscanf(buf_str(b), "HTTP/1.1 %d ", &status) == 1 ? status : 0;
}

/* SQLite's commit hook: counts the commits; a non-zero *fail turns each into a
 * rollback (the COMMIT then fails, as when the disk refuses the WAL write). */
struct commits {
	int count, fail;
};

static int on_commit(void *arg)
{
	struct commits *k = arg;
	k->count++;
	return k->fail;
}

#define GROUP_N 4

/* Enrollments sent together share one commit; one that breaks a rule (a nonce used
 * by another of the group, a token used up by the others) gets its own refusal and
 * the others enroll. When the group's commit fails, each of them is answered 500,
 * no device and no nonce is left, and the same requests enroll afterwards. (The commit
 * count and the failing commit use SQLite's commit hook: on PostgreSQL only the
 * outcomes are checked.) */
static void test_enrollment_group_commit(void **state)
{
	struct t *t = *state;
	struct crypto_key *key[GROUP_N];
	struct buf req[GROUP_N], out[GROUP_N];
	struct commits k = {0};
	struct resp r;
	char secret[33], nonce[GROUP_N][33], serial[32];
	int ok = 0, replayed = 0, used_up = 0;

	new_secret(t, ",\"max_uses\":2", secret);
	for (int i = 0; i < GROUP_N; i++) {
		assert_int_equal(crypto_key_generate(&key[i]), 0);
		assert_int_equal(crypto_random_hex(nonce[i], 16), 0);
		buf_init(&req[i], 16384);
		buf_init(&out[i], 16384);
	}
	strcpy(nonce[1], nonce[0]); /* the second reuses the first one's nonce */
	for (int i = 0; i < GROUP_N; i++) {
		snprintf(serial, sizeof(serial), "S-GROUP%d", i);
		group_enroll_request(key[i], secret, serial, nonce[i], &req[i]);
	}
	if (t->c.db)
		sqlite3_commit_hook(t->c.db, on_commit, &k);
	raw_exchange_many(t, req, out, GROUP_N);
	for (int i = 0; i < GROUP_N; i++) {
		int s = raw_status(&out[i]);
		ok += s == 200;
		replayed += s == 401 && strstr(buf_str(&out[i]), "\"replayed\"") != NULL;
		used_up += s == 403 && strstr(buf_str(&out[i]), "\"token_used_up\"") != NULL;
	}
	/* of the two with one nonce, one; of the three nonces, two uses of the token */
	assert_int_equal(ok, 2);
	assert_int_equal(replayed, 1);
	assert_int_equal(used_up, 1);
	if (t->c.db)
		assert_int_equal(k.count, 1); /* one group, one commit */
	assert_true(history_has(t, "device.enroll_refused", "used_up"));

	/* a failing commit: all of the group refused with 500, nothing of them kept */
	if (t->c.db) {
		new_secret(t, ",\"max_uses\":5", secret);
		for (int i = 0; i < GROUP_N; i++) {
			assert_int_equal(crypto_random_hex(nonce[i], 16), 0);
			snprintf(serial, sizeof(serial), "S-FAILED%d", i);
			buf_reset(&req[i]);
			group_enroll_request(key[i], secret, serial, nonce[i], &req[i]);
		}
		k = (struct commits){.fail = 1};
		raw_exchange_many(t, req, out, GROUP_N);
		for (int i = 0; i < GROUP_N; i++)
			assert_int_equal(raw_status(&out[i]), 500);
		assert_int_equal(k.count, 1);
		k.fail = 0;
		assert_int_equal(admin_get(t, "/admin/v1/devices", &r), 200);
		assert_null(strstr(buf_str(&r.body), "S-FAILED"));
		resp_free(&r);
		assert_false(history_has(t, "device.enroll", "S-FAILED"));
		/* the same requests again (their nonces were not kept): all enroll */
		raw_exchange_many(t, req, out, GROUP_N);
		for (int i = 0; i < GROUP_N; i++)
			assert_int_equal(raw_status(&out[i]), 200);
		sqlite3_commit_hook(t->c.db, NULL, NULL);
	}
	for (int i = 0; i < GROUP_N; i++) {
		crypto_key_free(key[i]);
		buf_free(&req[i]);
		buf_free(&out[i]);
	}
}

/* The status line's code and the JSON error code of a raw answer. */
static void expect_raw_error(const struct buf *b, int status, const char *code)
{
	const char *body = strstr(buf_str(b), "\r\n\r\n");
	char want[64];
	snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
	if (strncmp(buf_str(b), want, strlen(want)) != 0 || !body)
		fail_msg("want %d, got: %.200s", status, buf_str(b));
	snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",", code);
	if (strncmp(body + 4, want, strlen(want)) != 0)
		fail_msg("want code %s, got: %.200s", code, body + 4);
}

static void test_ambiguous_or_oversized_http_refused_with_json(void **state)
{
	struct t *t = *state;
	struct buf b;
	char big[GATE_HEAD_MAX + 256];
	static const struct {
		const char *req;
		int status;
		const char *code;
	} cases[] = {
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5"
		 "\r\n\r\nhello", 400, "bad_request"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 6"
		 "\r\n\r\nhello!", 400, "bad_request"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding:"
		 " chunked\r\n\r\nhello", 400, "bad_request"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "5\r\nhello\r\n0\r\n\r\n", 501, "not_implemented"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413,
		 "too_large"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999"
		 "\r\n\r\n", 413, "too_large"},
		{"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
		 "bad_request"},
		{"GET /nope HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, "bad_request"},
		{"GET /nope HTTP/1.1\nHost: x\n\n", 400, "bad_request"},
		{"GET /nope HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad_request"},
		{"GET /nope HTTP/1.1\r\n folded\r\n\r\n", 400, "bad_request"},
		{"GET /nope HTTP/2.0\r\n\r\n", 400, "bad_request"},
		{"GET nope HTTP/1.1\r\n\r\n", 400, "bad_request"},
		{"GET /nope HTTP/1.1\r\n" GATE_HEADER ": busy\r\n\r\n", 400, "bad_request"},
		{"BREW /nope HTTP/1.1\r\nHost: x\r\n\r\n", 501, "not_implemented"},
		{"PUT /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405,
		 "method_not_allowed"},
		{"GET /nope HTTP/1.0\r\n\r\n", 404, "not_found"},
	};
	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_exchange(t, cases[i].req, strlen(cases[i].req), &b);
		expect_raw_error(&b, cases[i].status, cases[i].code);
	}
	/* an oversized request line, oversized headers */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	memcpy(big + GATE_LINE_MAX + 10, " HTTP/1.1\r\n\r\n", 13);
	raw_exchange(t, big, GATE_LINE_MAX + 23, &b);
	expect_raw_error(&b, 414, "too_large");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
	memcpy(big + GATE_HEAD_MAX + 100, "\r\n\r\n", 4);
	raw_exchange(t, big, GATE_HEAD_MAX + 104, &b);
	expect_raw_error(&b, 431, "too_large");
	/* a request that asks to close gets its whole answer, then the close */
	raw_exchange(t, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 50, &b);
	expect_raw_error(&b, 404, "not_found");
	assert_non_null(strstr(buf_str(&b), "\"no such resource\"}}\n"));
	buf_free(&b);
}

/* How many rows a query of ids gives. */
static int count_ids(struct t *t, enum store_stmt sql, const char *job)
{
	struct db_ids ids = {0};
	int n = job ? store_collect_ids(t->c.store, &ids, sql, "s", job)
		    : store_collect_ids(t->c.store, &ids, sql, "");
	db_ids_free(&ids);
	return n;
}

/* A folder job's spec for a new image of version. */
static void folder_job_spec(struct t *t, const char *folder, const char *version,
			    struct job_spec *spec)
{
	char body[256];
	memset(spec, 0, sizeof(*spec));
	spec->kind = JOB_KIND_FOLDER;
	spec->target = folder;
	snprintf(body, sizeof(body), "{\"model\":\"%s\",\"version\":\"%s\",\"path\":\"%s\"}",
		 MODEL, version, t->image_path);
	admin_post_id(t, "/admin/v1/images", body, spec->image_id);
	assert_int_equal(job_load_image(t->c.store, spec), 1);
	snprintf(spec->org_id, sizeof(spec->org_id), "%s", t->org);
	snprintf(spec->folder_id, sizeof(spec->folder_id), "%s", folder);
	spec->expires_at = cloud_now(&t->c) + TASK_TTL_DEFAULT;
}

/* The job of spec for n devices, made as job create makes it and committed, with
 * nobody woken and what its first slice leaves in its plan not queued (as an instance
 * that stops right after the commit leaves it): its id in job, the first slice's
 * devices in woken. Returns job_create_tx's result (1: a plan is left). */
static int job_unwoken(struct t *t, const struct job_spec *spec, int n, char job[DB_ID_LEN],
		       struct db_ids *woken)
{
	int tasks = 0, skipped = 0;
	assert_int_equal(store_begin(t->c.store), 0);
	int rc = job_create_tx(&t->c, spec, NULL, cloud_now(&t->c), job, &tasks, &skipped, woken);
	assert_true(rc >= 0);
	assert_int_equal(store_commit(t->c.store), 0);
	assert_int_equal(tasks, n);
	assert_int_equal(skipped, 0);
	assert_int_equal((int)woken->n, n < TASK_SLICE ? n : TASK_SLICE);
	return rc;
}

/* A folder job for a new image of version, left with a plan (job_unwoken). */
static void plan_folder_job(struct t *t, const char *folder, const char *version, int n,
			    char job[DB_ID_LEN])
{
	struct job_spec spec;
	struct db_ids woken = {0};
	folder_job_spec(t, folder, version, &spec);
	assert_int_equal(job_unwoken(t, &spec, n, job, &woken), 1);
	db_ids_free(&woken);
	assert_int_equal(count_ids(t, ST_TASK_DEVICES_OF_JOB, job), TASK_SLICE);
	assert_int_equal(count_ids(t, ST_JOB_PLANS_JOBS, NULL), 1);
}

/* n new devices in a folder, each holding a task poll. */
struct held_fleet {
	int n;
	struct dev *d;
	struct resp *held;
	struct evhttp_connection **conns;
};

static void fleet_hold(struct t *t, struct held_fleet *f, int n, const char *folder,
		       const char *serial_prefix)
{
	char serial[32];
	f->n = n;
	f->d = calloc(n, sizeof(*f->d));
	f->held = calloc(n, sizeof(*f->held));
	f->conns = calloc(n, sizeof(*f->conns));
	assert_non_null(f->d);
	assert_non_null(f->held);
	assert_non_null(f->conns);
	for (int i = 0; i < n; i++) {
		snprintf(serial, sizeof(serial), "%s%04d", serial_prefix, i);
		dev_enroll(t, &f->d[i], folder, serial, MODEL, "11.11.73");
		/* the longest wait: signing hundreds of envelopes under emulation is slow */
		f->conns[i] = poll_hold_for(t, f->d[i].access, &f->held[i], 300);
	}
}

static int fleet_answered(const struct held_fleet *f)
{
	int n = 0;
	for (int i = 0; i < f->n; i++)
		n += f->held[i].done;
	return n;
}

/* Every held poll of f is answered, each with a task of its own device; frees f. */
static void fleet_expect_each_task(struct t *t, struct held_fleet *f)
{
	struct json_doc pd;
	struct buf payload;
	char got[DB_ID_LEN];
	for (int i = 0; i < f->n; i++) {
		run_until(t, &f->held[i]);
		open_task(t, &f->held[i], &pd, &payload);
		assert_true(json_get_string(&pd, 0, "device_id", got, sizeof(got)) >= 0);
		assert_string_equal(got, f->d[i].id);
		json_free(&pd);
		buf_free(&payload);
		resp_free(&f->held[i]);
		evhttp_connection_free(f->conns[i]);
		dev_free(&f->d[i]);
	}
	assert_int_equal(wake_pending(t->c.wake), 0);
	free(f->d);
	free(f->held);
	free(f->conns);
	memset(f, 0, sizeof(*f));
}

/* A job for more devices than one wake-up slice and one slice of task inserts: every
 * held poll is answered, each with its own task, over several turns of the loop, and
 * nothing stays queued. The tasks past the first slice are written after the reply,
 * from the job's plan; an admin request, and a restart, finish a plan left over. */
static void test_big_folder_job_wakes_in_slices(void **state)
{
	enum { N = (2 * WAKE_SLICE > TASK_SLICE ? 2 * WAKE_SLICE : TASK_SLICE) + 1 };
	if (getenv("CAMAGENT_QEMU_USER"))
		skip(); /* 501 enrollments and signatures emulated take minutes; the slicing is
			 * the same on every architecture and runs natively */
	struct t *t = *state;
	struct held_fleet f;
	struct resp r;
	struct json_doc doc;
	char site[DB_ID_LEN], body[256];

	new_folder(t, t->org, NULL, "Big site", site);
	fleet_hold(t, &f, N, site, "S-BIG");
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"folder_id\":\"%s\"}", t->image, site);
	job_create_shown(t, body, &r, &doc);
	assert_int_equal(json_array_len(&doc, json_find(&doc, 0, "tasks")), N);
	json_free(&doc);
	resp_free(&r);
	fleet_expect_each_task(t, &f);
	assert_int_equal(plan_queue_pending(t->c.plans), 0);
	assert_int_equal(count_ids(t, ST_JOB_PLANS_JOBS, NULL), 0);

	/* an admin request writes what is left first: its job show lists every task */
	char job[DB_ID_LEN], uri[96];
	plan_folder_job(t, site, "12.0.2", N, job);
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &doc);
	assert_int_equal(json_array_len(&doc, json_find(&doc, 0, "tasks")), N);
	json_free(&doc);
	resp_free(&r);
	assert_int_equal(count_ids(t, ST_JOB_PLANS_JOBS, NULL), 0);

	/* an instance that stopped mid-way: the next start writes the rest */
	plan_folder_job(t, site, "12.0.3", N, job);
	cloud_close(&t->c);
	serve(t);
	assert_int_equal(plan_queue_pending(t->c.plans), 1);
	for (time_t end = time(NULL) + 20; plan_queue_pending(t->c.plans) && time(NULL) < end;)
		event_base_loop(t->c.base, EVLOOP_ONCE);
	assert_int_equal(count_ids(t, ST_TASK_DEVICES_OF_JOB, job), N);
	assert_int_equal(count_ids(t, ST_JOB_PLANS_JOBS, NULL), 0);
}

/* A job made on another instance: its tasks are in the store and its wake-up comes
 * here as signals, each naming at most STORE_WAKE_IDS_MAX devices (three here). Every
 * poll held here is answered, and none before the signals. PostgreSQL only: SQLite
 * is one instance and has no signals. */
static void test_peer_signals_wake_many_devices(void **state)
{
	enum { N = 2 * STORE_WAKE_IDS_MAX + 1 };
	struct t *t = *state;
	if (!t->store[0] || getenv("CAMAGENT_QEMU_USER"))
		skip();
	struct held_fleet f;
	struct job_spec spec;
	struct db_ids woken = {0};
	struct store *peer = NULL;
	char site[DB_ID_LEN], job[DB_ID_LEN];

	new_folder(t, t->org, NULL, "Peer site", site);
	fleet_hold(t, &f, N, site, "S-PEER");
	folder_job_spec(t, site, "12.0.2", &spec);
	assert_int_equal(job_unwoken(t, &spec, N, job, &woken), 0);
	struct timeval settle = {0, 300 * 1000};
	assert_int_equal(event_base_loopexit(t->c.base, &settle), 0);
	assert_int_equal(event_base_dispatch(t->c.base), 0);
	assert_int_equal(fleet_answered(&f), 0);

	assert_int_equal(store_open(t->store, &peer), 0);
	assert_int_equal(store_notify_wake(peer, woken.id, woken.n), 0);
	store_close(peer);
	db_ids_free(&woken);
	fleet_expect_each_task(t, &f);
}

/* ---- the seal pool ---- */

enum { SEALS = 64 };
static struct {
	size_t n;
	uint64_t ticket[SEALS];
	char device[SEALS][DB_ID_LEN];
	char payload[SEALS][64];
} sealed;

static void on_sealed(struct cloud *c, const char *device_id, uint64_t ticket,
		      const struct buf *env)
{
	struct buf payload;
	assert_non_null(env);
	assert_true(sealed.n < SEALS);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(c->signer.key, env->data, env->len, &payload), ENVELOPE_OK);
	sealed.ticket[sealed.n] = ticket;
	snprintf(sealed.device[sealed.n], DB_ID_LEN, "%s", device_id);
	snprintf(sealed.payload[sealed.n], sizeof(sealed.payload[0]), "%s", buf_str(&payload));
	sealed.n++;
	buf_free(&payload);
}

/* Workers sign many envelopes at once, each with its own payload (nothing crosses
 * between jobs), and every one comes back to the loop once, under its ticket. A
 * backend that cannot sign from threads gets no workers and takes nothing. */
static void test_seal_pool_signs_each_payload_once(void **state)
{
	struct t *t = *state;
	struct seal_pool *p = seal_pool_new(&t->c, 3, on_sealed);
	uint64_t ticket[SEALS];
	char device[DB_ID_LEN], text[64];
	struct buf payload;
	assert_non_null(p);
	memset(&sealed, 0, sizeof(sealed));
	for (int i = 0; i < SEALS; i++) {
		snprintf(device, sizeof(device), "device%02d", i);
		snprintf(text, sizeof(text), "{\"type\":\"test\",\"n\":%d}", i);
		buf_init(&payload, ENVELOPE_MAX_BYTES);
		assert_int_equal(buf_append_str(&payload, text), 0);
		ticket[i] = seal_pool_submit(p, device, &payload);
		if (seal_pool_workers(p) == 0)
			assert_int_equal(ticket[i], 0);
		else
			assert_true(ticket[i] > 0 && payload.len == 0 && (i == 0 || ticket[i] > ticket[i - 1]));
		buf_free(&payload);
	}
	if (seal_pool_workers(p) == 0) {
		seal_pool_free(p);
		skip();
	}
	assert_int_equal(seal_pool_workers(p), 3);
	for (int spins = 0; sealed.n < SEALS && spins < 100000; spins++)
		event_base_loop(t->c.base, EVLOOP_ONCE);
	assert_int_equal(sealed.n, SEALS);
	for (size_t k = 0; k < SEALS; k++) {
		int i = -1;
		for (int j = 0; j < SEALS; j++)
			if (ticket[j] == sealed.ticket[k])
				i = j;
		assert_true(i >= 0);
		snprintf(device, sizeof(device), "device%02d", i);
		snprintf(text, sizeof(text), "{\"type\":\"test\",\"n\":%d}", i);
		assert_string_equal(sealed.device[k], device);
		assert_string_equal(sealed.payload[k], text);
		for (size_t m = 0; m < k; m++)
			assert_true(sealed.ticket[m] != sealed.ticket[k]);
	}
	seal_pool_free(p);
}

/* An answer promised under a ticket reaches only the request it was promised to: a
 * stale ticket, no ticket (0) for a request promised nothing, or a device with nothing
 * held sends nothing; the real one arrives. */
static void test_sealed_answer_reaches_only_its_request(void **state)
{
	struct t *t = *state;
	struct resp held;
	struct reply rp;
	struct json_doc pd;
	struct buf payload;
	char task[DB_ID_LEN], got[DB_ID_LEN];
	reply_init(&rp);
	reply_error(&rp, 418, "stale", "a stale answer");
	struct evhttp_connection *conn = poll_hold(t, t->access, &held);
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, UINT64_MAX, &rp), 0);
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, 0, &rp), 0); /* no ticket */
	assert_int_equal(longpoll_deliver(t->c.lp, "0123456789abcdef0123456789abcdef", 1, &rp), 0);
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held.done);
	assert_int_equal(longpoll_count(t->c.lp), 1);
	create_task(t, "", task);
	run_until(t, &held);
	open_task(t, &held, &pd, &payload);
	assert_true(json_get_string(&pd, 0, "task_id", got, sizeof(got)) >= 0);
	assert_string_equal(got, task);
	assert_int_equal(longpoll_count(t->c.lp), 0);
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, 1, &rp), 0);
	json_free(&pd);
	buf_free(&payload);
	reply_free(&rp);
	resp_free(&held);
	evhttp_connection_free(conn);
}

/* The connection to PostgreSQL lost (its backend killed, as a restart of PostgreSQL
 * does): the request that meets the loss may fail, and the ones after it work again,
 * reads and writes, on a connection camcloud opens again. */
static void test_store_reconnects_to_postgres(void **state)
{
	struct t *t = *state;
	struct resp r;
	char org[DB_ID_LEN], uri[96];
	if (!t->store[0])
		skip();
	assert_int_equal(admin_get(t, "/admin/v1/orgs", &r), 200);
	resp_free(&r);
	pg_sql(strrchr(t->store, '=') + 1,
	       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	       " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	int first = admin_get(t, "/admin/v1/orgs", &r);
	resp_free(&r);
	assert_true(first == 200 || first == 500);
	assert_int_equal(admin_get(t, "/admin/v1/orgs", &r), 200);
	resp_free(&r);
	admin_post_id(t, "/admin/v1/orgs", "{\"name\":\"After the loss\"}", org);
	snprintf(uri, sizeof(uri), "/admin/v1/orgs/%s", org);
	assert_int_equal(admin_get(t, uri, &r), 200);
	assert_non_null(strstr(buf_str(&r.body), "After the loss"));
	resp_free(&r);
}

/* An answer callback that promises every woken device an answer (ticket 1, 2, ...),
 * counting its calls. */
static struct {
	int calls;
	uint64_t last;
} promised;

static void promise_answer(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n, int64_t now,
			   struct reply *rp, uint64_t *ticket)
{
	for (size_t i = 0; i < n; i++) {
		promised.calls++;
		ticket[i] = ++promised.last;
	}
}

/* A poll promised an answer is not woken again, whether by a second wake-up or by its
 * id twice in one batch: the answer is built once, and sent once. The device's next
 * poll can be woken again. */
static void test_promised_poll_is_not_woken_twice(void **state)
{
	struct t *t = *state;
	struct resp held, next;
	struct reply rp;
	char ids[2][DB_ID_LEN];
	longpoll_free(t->c.lp);
	assert_non_null(t->c.lp = longpoll_new(&t->c, promise_answer));
	memset(&promised, 0, sizeof(promised));
	struct evhttp_connection *conn = poll_hold(t, t->access, &held);
	longpoll_wake(t->c.lp, t->device_id);
	assert_int_equal(promised.calls, 1);
	assert_int_equal(longpoll_waiting(t->c.lp, t->device_id), 0);
	longpoll_wake(t->c.lp, t->device_id);
	strcpy(ids[0], t->device_id);
	strcpy(ids[1], t->device_id);
	longpoll_wake_some(t->c.lp, ids, 2);
	assert_int_equal(promised.calls, 1);

	reply_init(&rp);
	reply_error(&rp, 409, "promised", "the promised answer");
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, 1, &rp), 1);
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, 1, &rp), 0);
	run_until(t, &held);
	assert_int_equal(held.status, 409);
	assert_non_null(strstr(buf_str(&held.body), "the promised answer"));
	resp_free(&held);
	evhttp_connection_free(conn);

	/* the next poll is a new request: a wake-up promises it its own answer */
	conn = poll_hold(t, t->access, &next);
	strcpy(ids[0], t->device_id);
	longpoll_wake_some(t->c.lp, ids, 2);
	assert_int_equal(promised.calls, 2);
	assert_int_equal(longpoll_deliver(t->c.lp, t->device_id, 1, &rp), 0); /* the old one */
	reply_free(&rp);
	evhttp_connection_free(conn);
	resp_free(&next);
}

/* ---- licenses on hardware ---- */

/* base64 of a key file in the documented shape for serial and application id. */
static void key_file_b64(const char *serial, const char *app_id, char *out, size_t outsz)
{
	char xml[512];
	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\"?>\n<LicenseKey>\n <DeviceID>%s</DeviceID>\n"
		 " <ApplicationID>%s</ApplicationID>\n <Signature>c2lnbmVk</Signature>\n"
		 "</LicenseKey>\n", serial, app_id);
	assert_true(base64_encode(xml, strlen(xml), out, outsz) > 0);
}

static void preload(struct t *t, const char *serial, const char *app, const char *key_b64,
		    const char *extra, struct resp *r)
{
	char body[2048];
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"serial\":\"%s\",\"app\":\"%s\"%s%s%s%s}",
		 t->org, serial, app, key_b64 ? ",\"key_file\":\"" : "", key_b64 ? key_b64 : "",
		 key_b64 ? "\"" : "", extra);
	admin_post(t, "/admin/v1/licenses/preload", body, r);
}

/* The device's license list, parsed (free d, then r); the payload of envelope i into
 * payload. */
static void device_licenses(struct t *t, const char *access, struct resp *r, struct json_doc *d,
			    int i, struct buf *payload)
{
	size_t len;
	assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/licenses", access, NULL, NULL, NULL,
			      r), 200);
	parse(r, d);
	if (!payload)
		return;
	const char *env = json_tok_raw(d, elem(d, "licenses", i), &len);
	buf_init(payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(t->c.signer.key, env, len, payload), ENVELOPE_OK);
}

static void license_status(struct t *t, const char *access, const char *id, const char *body)
{
	char uri[128];
	struct resp r;
	snprintf(uri, sizeof(uri), "/device/v1/licenses/%s/status", id);
	assert_int_equal(call(t, EVHTTP_REQ_POST, uri, access, NULL, body, NULL, &r), 200);
	resp_free(&r);
}

static void test_preloaded_license_follows_the_serial(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d, pd;
	struct buf payload;
	struct dev d1 = {0}, d2 = {0};
	char key[1024], other[1024], id[DB_ID_LEN], uri[160], text[1100];
	const char *serial = "ACCC8E00D001";

	key_file_b64(serial, "4711", key, sizeof(key));
	/* refused: a file for another serial or application, not a key file, already expired */
	key_file_b64("ACCC8E00D999", "4711", other, sizeof(other));
	preload(t, serial, "4711", other, "", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	preload(t, serial, "4712", key, "", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	preload(t, serial, "4711", "Q0FNU0lNLUxJQ0VOU0UgMQo=", "", &r);
	expect_error(&r, 400, "bad_request");
	resp_free(&r);
	snprintf(text, sizeof(text), ",\"license_exp\":%lld", (long long)time(NULL) - 1);
	preload(t, serial, "camagent-people", NULL, text, &r);
	expect_error(&r, 400, "bad_request");
	assert_non_null(strstr(buf_str(&r.body), "already expired"));
	resp_free(&r);

	/* preloaded before the hardware ever enrolled */
	preload(t, serial, "4711", key, "", &r);
	assert_int_equal(r.status, 200);
	get_str(&r, "id", id, sizeof(id));
	resp_free(&r);
	dev_enroll(t, &d1, t->folder, serial, MODEL, "11.11.73");
	expect_hint(t, d1.access);
	device_licenses(t, d1.access, &r, &d, 0, &payload);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "licenses")), 1);
	json_free(&d);
	resp_free(&r);
	parse(&(struct resp){.body = payload}, &pd);
	want_str(&pd, 0, "license_id", id);
	want_str(&pd, 0, "kind", "tied");
	want_str(&pd, 0, "app", "4711");
	want_str(&pd, 0, "key", key); /* exactly the vendor's file */
	want_str(&pd, 0, "device_id", d1.id);
	json_free(&pd);
	buf_free(&payload);
	license_status(t, d1.access, id, "{\"state\":\"active\"}");

	/* removed and enrolled again, with a new key: a new device id keeps the license */
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", d1.id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);
	dev_enroll(t, &d2, t->folder, serial, MODEL, "11.11.73");
	assert_string_not_equal(d1.id, d2.id);
	expect_hint(t, d2.access);
	device_licenses(t, d2.access, &r, &d, 0, &payload);
	json_free(&d);
	resp_free(&r);
	parse(&(struct resp){.body = payload}, &pd);
	want_str(&pd, 0, "license_id", id);
	want_str(&pd, 0, "device_id", d2.id);
	json_free(&pd);
	buf_free(&payload);
	snprintf(uri, sizeof(uri), "/admin/v1/licenses/%s", id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, 0, "device_id", d2.id);
	want_str(&d, 0, "state", "active");
	json_free(&d);
	resp_free(&r);

	/* revoked: no longer delivered, listed for removal, the device's hint wakes it */
	snprintf(uri, sizeof(uri), "/admin/v1/licenses/%s/revoke", id);
	assert_int_equal(admin_post(t, uri, "{}", &r), 200);
	resp_free(&r);
	expect_hint(t, d2.access);
	device_licenses(t, d2.access, &r, &d, 0, NULL);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "licenses")), 0);
	want_str(&d, elem(&d, "revoked", 0), "license_id", id);
	json_free(&d);
	resp_free(&r);
	license_status(t, d2.access, id, "{\"state\":\"active\"}"); /* a stale report: ignored */
	license_status(t, d2.access, id, "{\"state\":\"removed\",\"reason\":\"revoked\"}");
	assert_int_equal(admin_post(t, uri, "{}", &r), 409);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/license-events?license_id=%s", id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	const char *want[] = {"granted", "active", "revoked", "removed"};
	for (int i = 0; i < 4; i++)
		want_str(&d, elem(&d, "events", i), "event", want[i]);
	assert_int_equal(elem(&d, "events", 4), -1);
	json_free(&d);
	resp_free(&r);
	dev_free(&d1);
	dev_free(&d2);
}

static void test_bulk_key_files_match_by_serial(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	char k1[1024], k2[1024], body[3000];

	key_file_b64("ACCC8E000001", "4711", k1, sizeof(k1)); /* the fixture's device */
	key_file_b64("ACCC8E00D002", "4712", k2, sizeof(k2)); /* not enrolled (yet) */
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"key_files\":[\"%s\",\"%s\"]}", t->org, k1,
		 k2);
	assert_int_equal(admin_post(t, "/admin/v1/licenses/import", body, &r), 200);
	parse(&r, &d);
	want_str(&d, elem(&d, "licenses", 0), "serial", "ACCC8E000001");
	want_str(&d, elem(&d, "licenses", 0), "app", "4711");
	want_str(&d, elem(&d, "licenses", 1), "serial", "ACCC8E00D002");
	json_free(&d);
	resp_free(&r);
	expect_hint(t, t->access);
	/* all or none: one bad file refuses the batch */
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"key_files\":[\"%s\",\"bm90IGEga2V5\"]}",
		 t->org, k1);
	assert_int_equal(admin_post(t, "/admin/v1/licenses/import", body, &r), 400);
	assert_non_null(strstr(buf_str(&r.body), "key_files[1]"));
	resp_free(&r);
	assert_int_equal(admin_get(t, "/admin/v1/licenses?app=4711", &r), 200);
	parse(&r, &d);
	assert_int_equal(elem(&d, "licenses", 1), -1);
	json_free(&d);
	resp_free(&r);
}

/* A report of one app whose app_id is the JSON text id. */
#define APP_WITH_ID(id)                                                                  \
	"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","  \
	"\"running\":true,\"license_state\":\"None\",\"license_exp\":0,\"app_id\":" id "}]}"

/* A device of the fixture's organization that reports apps (JSON objects of the report's
 * "apps" list) at os. */
static void dev_with_apps(struct t *t, struct dev *d, const char *serial, const char *model,
			  const char *os, const char *apps)
{
	char body[1024];
	struct resp r;
	dev_enroll(t, d, t->folder, serial, model, os);
	snprintf(body, sizeof(body), "{\"os_version\":\"%s\",\"apps\":[%s]}", os, apps);
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", d->access, NULL, body,
			      NULL, &r), 200);
	resp_free(&r);
}

/* A catalog package of app at version for aarch64, its compatibleOsVersions ranges. */
static void catalog_package(struct t *t, const char *app, const char *version,
			    const char *ranges, char id[DB_ID_LEN])
{
	assert_int_equal(crypto_random_hex(id, 16), 0);
	assert_int_equal(store_run(t->c.store, ST_APP_PACKAGES_INSERT, "sssssssssissis", id, app,
				   version, "aarch64", "2.0.0", "", ranges, app, "", (int64_t)1,
				   "00", "/nowhere", (int64_t)time(NULL), NULL), 1);
}

#define VMD(v) "{\"name\":\"vmd\",\"version\":\"" v "\",\"vendor\":\"Axis\",\"running\":true," \
	"\"license_state\":\"None\",\"license_exp\":0}"

/* One folder job over a device of each kind the rules tell apart: every skip rule gives
 * its own reason and count, in the reply and in job show, and only the devices no rule
 * leaves out get a task (an app the catalog does not hold does not block); a selection
 * skips a removed device and an id that is no device. */
static void test_job_applies_every_skip_rule(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc c, d;
	struct dev mod, cur, newer, open, str1, str2, unk, ok2, gone;
	char body[512], uri[160], job[DB_ID_LEN], old_vmd[DB_ID_LEN], fix[DB_ID_LEN];
	char strand[512], img[DB_ID_LEN];

	/* an image for AXIS OS 12.20.1, which a 2.x manifest's ranges decide */
	snprintf(body, sizeof(body), "{\"model\":\"%s\",\"version\":\"12.20.1\",\"path\":\"%s\"}",
		 MODEL, t->image_path);
	admin_post_id(t, "/admin/v1/images", body, img);
	catalog_package(t, "vmd", "4.2", "-12.19", old_vmd); /* not on 12.20.1 */
	catalog_package(t, "vmd", "4.3", "12.10-", fix);
	dev_with_apps(t, &mod, "S-MOD", "M1065-L", "11.5.0", "");
	dev_with_apps(t, &cur, "S-CUR", MODEL, "12.20.1", "");
	dev_with_apps(t, &newer, "S-NEW", MODEL, "12.30.0", "");
	dev_with_apps(t, &open, "S-OPEN", MODEL, "11.5.0", "");
	dev_with_apps(t, &str1, "S-STR1", MODEL, "11.5.0", VMD("4.2"));
	dev_with_apps(t, &str2, "S-STR2", MODEL, "11.5.0", VMD("4.2"));
	dev_with_apps(t, &unk, "S-UNK", MODEL, "11.5.0",
		      "{\"name\":\"viewer\",\"version\":\"2.0\",\"vendor\":\"V\",\"running\":false,"
		      "\"license_state\":\"None\",\"license_exp\":0}");
	dev_with_apps(t, &ok2, "S-OK2", MODEL, "11.5.0", VMD("4.3"));
	dev_with_apps(t, &gone, "S-GONE", MODEL, "11.5.0", "");
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", gone.id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"device_ids\":[\"%s\"]}", img,
		 open.id);
	admin_post(t, "/admin/v1/jobs", body, &r); /* S-OPEN's unfinished task */
	assert_int_equal(r.status, 200);
	resp_free(&r);

	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"folder_id\":\"%s\"}", img,
		 t->folder);
	assert_int_equal(admin_post(t, "/admin/v1/jobs", body, &r), 200);
	parse(&r, &c);
	assert_true(json_get_string(&c, 0, "id", job, sizeof(job)) >= 0);
	assert_int_equal(int_of(&c, 0, "targeted"), 9); /* not the removed S-GONE */
	assert_int_equal(int_of(&c, 0, "tasks_created"), 3);
	assert_int_equal(int_of(&c, 0, "skipped_count"), 6);
	snprintf(strand, sizeof(strand), "vmd 4.2 would not run on AXIS OS 12.20.1 (");
	const struct {
		const char *reason; /* a prefix for the strand reason */
		int64_t count;
	} want[] = {
		{strand, 2}, /* the most frequent first, then by text */
		{"already has an unfinished task for this image", 1},
		{"already on 12.20.1", 1},
		{"device is a M1065-L, the image is for " MODEL, 1},
		{"on 12.30.0, newer than 12.20.1 (downgrade not allowed)", 1},
	};
	int n = (int)(sizeof(want) / sizeof(want[0]));
	assert_int_equal(json_array_len(&c, json_find(&c, 0, "skipped_reasons")), n);
	for (int i = 0; i < n; i++) {
		char got[512];
		int e = elem(&c, "skipped_reasons", i);
		assert_true(json_get_string(&c, e, "reason", got, sizeof(got)) >= 0);
		if (i == 0) {
			char fixed[160];
			snprintf(fixed, sizeof(fixed), "); install vmd 4.3 first (package %s); %s:"
				 " camagent 0.1.0", fix, APP_RANGE_UNKNOWN);
			if (strncmp(got, strand, strlen(strand)) != 0 || !strstr(got, fixed))
				fail_msg("strand reason: %s", got);
		} else {
			want_str(&c, e, "reason", want[i].reason);
		}
		assert_int_equal(int_of(&c, e, "count"), want[i].count);
	}
	json_free(&c);
	resp_free(&r);

	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	static const char *const tasks[] = {"ACCC8E000001", "S-OK2", "S-UNK"};
	static const char *const skipped[] = {"S-CUR", "S-MOD", "S-NEW", "S-OPEN", "S-STR1",
					      "S-STR2"};
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "tasks")), 3);
	for (int i = 0; i < 3; i++)
		want_str(&d, elem(&d, "tasks", i), "serial", tasks[i]);
	assert_int_equal(json_array_len(&d, json_find(&d, 0, "skipped")), 6);
	for (int i = 0; i < 6; i++)
		want_str(&d, elem(&d, "skipped", i), "serial", skipped[i]);
	want_str(&d, elem(&d, "skipped", 1), "device_id", mod.id);
	json_free(&d);
	resp_free(&r);

	/* a selection: the removed device and an id that is no device, in the given order */
	snprintf(body, sizeof(body), "{\"image_id\":\"%s\",\"device_ids\":[\"%s\","
		 "\"0123456789abcdef0123456789abcdef\",\"%s\"]}", img, gone.id, mod.id);
	assert_int_equal(admin_post(t, "/admin/v1/jobs", body, &r), 200);
	parse(&r, &c);
	assert_true(json_get_string(&c, 0, "id", job, sizeof(job)) >= 0);
	assert_int_equal(int_of(&c, 0, "tasks_created"), 0);
	assert_int_equal(int_of(&c, 0, "skipped_count"), 3);
	json_free(&c);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/jobs/%s", job);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	want_str(&d, elem(&d, "skipped", 0), "serial", "S-GONE");
	want_str(&d, elem(&d, "skipped", 0), "reason", "device was removed");
	want_str(&d, elem(&d, "skipped", 1), "serial", "");
	want_str(&d, elem(&d, "skipped", 1), "reason", "no such device");
	want_str(&d, elem(&d, "skipped", 2), "reason",
		 "device is a M1065-L, the image is for " MODEL);
	json_free(&d);
	resp_free(&r);
	struct dev *all[] = {&mod, &cur, &newer, &open, &str1, &str2, &unk, &ok2, &gone};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		dev_free(all[i]);
}

static void test_report_apps_checked_and_kept(void **state)
{
	struct t *t = *state;
	struct resp r;
	struct json_doc d;
	char uri[160];
	static const char *const bad[] = {
		"{\"os_version\":\"12.0.1\",\"apps\":{}}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":true,\"license_state\":\"Valid\",\"license_exp\":0}]}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":\"yes\",\"license_state\":\"Valid\",\"license_exp\":0}]}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":true,\"license_state\":\"Fine\",\"license_exp\":0}]}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":true,\"license_state\":\"Valid\",\"license_exp\":-1}]}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":true,\"license_state\":\"Valid\"}]}",
		"{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"a\",\"version\":\"1\",\"vendor\":\"v\","
		"\"running\":true,\"license_state\":\"None\",\"license_exp\":0},{\"name\":\"a\","
		"\"version\":\"2\",\"vendor\":\"v\",\"running\":true,\"license_state\":\"None\","
		"\"license_exp\":0}]}",
		/* app_id: 1 to 10 decimal digits as a string, no leading zero */
		APP_WITH_ID("4711"),
		APP_WITH_ID("\"\""),
		APP_WITH_ID("\"0\""),
		APP_WITH_ID("\"04711\""),
		APP_WITH_ID("\"47a1\""),
		APP_WITH_ID("\"12345678901\""),
		APP_WITH_ID("null"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL, bad[i], NULL, &r);
		if (r.status != 400)
			fail_msg("%s: %d %s", bad[i], r.status, buf_str(&r.body));
		resp_free(&r);
	}
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL,
			      "{\"os_version\":\"12.0.1\",\"apps\":[{\"name\":\"vmd\",\"version\":\"4.2\","
			      "\"vendor\":\"Axis\",\"running\":true,\"license_state\":\"Valid\","
			      "\"license_exp\":1900000000,\"app_id\":\"4711\"},{\"name\":\"camagent\","
			      "\"version\":\"0.1.0\","
			      "\"vendor\":\"camagent project\",\"running\":true,\"license_state\":\"None\","
			      "\"license_exp\":0}]}", NULL, &r), 200);
	resp_free(&r);
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s/apps", t->device_id);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	int vmd = elem(&d, "apps", 1); /* by name: camagent, vmd */
	want_str(&d, vmd, "name", "vmd");
	want_str(&d, vmd, "license_state", "Valid");
	assert_int_equal(int_of(&d, vmd, "license_exp"), 1900000000);
	want_str(&d, vmd, "app_id", "4711");
	assert_true(int_of(&d, vmd, "since") > 0); /* running, since this report */
	want_str(&d, elem(&d, "apps", 0), "app_id", ""); /* the agent's list had none */
	json_free(&d);
	resp_free(&r);
	/* a report without "apps" keeps the last list; an empty one clears it */
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL,
			      "{\"os_version\":\"12.0.1\"}", NULL, &r), 200);
	resp_free(&r);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_true(elem(&d, "apps", 1) >= 0);
	json_free(&d);
	resp_free(&r);
	assert_int_equal(call(t, EVHTTP_REQ_POST, "/device/v1/report", t->access, NULL,
			      "{\"os_version\":\"12.0.1\",\"apps\":[]}", NULL, &r), 200);
	resp_free(&r);
	assert_int_equal(admin_get(t, uri, &r), 200);
	parse(&r, &d);
	assert_int_equal(elem(&d, "apps", 0), -1);
	json_free(&d);
	resp_free(&r);
}

/* A system file for serial sealed by sealer, naming key's public key. */
static void system_file(struct crypto_key *key, struct crypto_key *sealer, const char *serial,
			struct buf *out)
{
	char fp[CRYPTO_SHA256_HEX_LEN], pem[CRYPTO_PUBKEY_PEM_MAX];
	struct buf payload;
	struct json_writer w;
	assert_int_equal(crypto_key_fingerprint(key, fp), 0);
	assert_int_equal(crypto_key_public_pem(key, pem, sizeof(pem)), 0);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	jw_init(&w, &payload);
	jw_object_begin(&w);
	jw_kv_string(&w, "type", "system");
	jw_kv_string(&w, "device_id", fp);
	jw_kv_string(&w, "serial", serial);
	jw_kv_int(&w, "iat", time(NULL));
	jw_kv_int(&w, "exp", time(NULL) + 3600);
	jw_kv_string(&w, "model", MODEL);
	jw_kv_string(&w, "public_key", pem);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	buf_init(out, ENVELOPE_MAX_BYTES * 2);
	assert_int_equal(envelope_seal(sealer, payload.data, payload.len, out), 0);
	buf_free(&payload);
}

static int offline(struct t *t, const struct buf *sys, struct resp *r)
{
	struct buf body;
	struct json_writer w;
	buf_init(&body, ENVELOPE_MAX_BYTES * 4);
	jw_init(&w, &body);
	jw_object_begin(&w);
	jw_kv_string(&w, "org_id", t->org);
	jw_kv_string(&w, "system_file", buf_str(sys));
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	int status = admin_post(t, "/admin/v1/licenses/offline", buf_str(&body), r);
	buf_free(&body);
	return status;
}

static void test_offline_system_file(void **state)
{
	struct t *t = *state;
	struct crypto_key *k, *other;
	struct buf sys, payload;
	struct resp r;
	struct json_doc d, pd;
	char key[1024], fp[CRYPTO_SHA256_HEX_LEN];
	size_t len;

	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_int_equal(crypto_key_fingerprint(k, fp), 0);
	key_file_b64("ACCC8E00E001", "4711", key, sizeof(key));
	preload(t, "ACCC8E00E001", "4711", key, "", &r);
	resp_free(&r);

	system_file(k, k, "ACCC8E00E001", &sys);
	assert_int_equal(offline(t, &sys, &r), 200);
	buf_free(&sys);
	parse(&r, &d);
	want_str(&d, 0, "serial", "ACCC8E00E001");
	want_str(&d, 0, "key_fp", fp);
	want_str(&d, 0, "cloud_public_key", t->c.signer.pem);
	const char *env = json_tok_raw(&d, elem(&d, "licenses", 0), &len);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_open(t->c.signer.key, env, len, &payload), ENVELOPE_OK);
	parse(&(struct resp){.body = payload}, &pd);
	want_str(&pd, 0, "device_id", fp); /* bound to the system's own key */
	want_str(&pd, 0, "key", key);
	json_free(&pd);
	buf_free(&payload);
	json_free(&d);
	resp_free(&r);

	/* refused: sealed by a key other than the one it names */
	system_file(k, other, "ACCC8E00E001", &sys);
	assert_int_equal(offline(t, &sys, &r), 400);
	expect_error(&r, 400, "bad_signature");
	resp_free(&r);
	buf_free(&sys);
	/* refused: a serial the cloud knows with another device key */
	system_file(k, k, "ACCC8E000001", &sys);
	assert_int_equal(offline(t, &sys, &r), 400);
	expect_error(&r, 400, "wrong_serial");
	resp_free(&r);
	/* refused: tampered after sealing */
	char *p = strstr(sys.data, "\"payload\":\"");
	assert_non_null(p);
	p[12] = p[12] == 'A' ? 'B' : 'A';
	assert_int_equal(offline(t, &sys, &r), 400);
	resp_free(&r);
	buf_free(&sys);
	crypto_key_free(k);
	crypto_key_free(other);
}

/* ---- a slice's answers ---- */

enum { MIX = 7 };

/* What one answer says, with a task's envelope replaced by its payload (signatures
 * differ from one signing to the next): "status body". */
static void answer_text(struct t *t, struct reply *rp, char *out, size_t outsz)
{
	struct json_doc d;
	struct buf payload;
	size_t len;
	const char *body = buf_str(&rp->body);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	if (rp->status == 200 && json_parse(&d, body, rp->body.len, 1 << 12) == 0) {
		int task = json_find(&d, 0, "task");
		if (task >= 0 && !json_tok_is_null(&d, task)) {
			const char *env = json_tok_raw(&d, task, &len);
			assert_int_equal(envelope_open(t->c.signer.key, env, len, &payload),
					 ENVELOPE_OK);
			body = buf_str(&payload);
		}
		json_free(&d);
	}
	snprintf(out, outsz, "%d %s", rp->status, body);
	buf_free(&payload);
}

/* The answers of the devices ids[from, from + n) as one slice (n > 1) or one (n = 1),
 * into text[from..]; in a transaction rolled back, so each call starts from the same
 * state. */
static void slice_answers(struct t *t, char (*ids)[DB_ID_LEN], size_t from, size_t n,
			  int64_t now, char (*text)[2048])
{
	struct reply rp[MIX];
	for (size_t i = 0; i < n; i++)
		reply_init(&rp[i]);
	assert_int_equal(store_begin(t->c.store), 0);
	api_task_wake_answer(&t->c, ids + from, n, now, rp, NULL);
	store_rollback(t->c.store);
	for (size_t i = 0; i < n; i++) {
		answer_text(t, &rp[i], text[from + i], sizeof(text[0]));
		reply_free(&rp[i]);
	}
}

/* A slice of devices woken together is answered exactly as each one alone: removed
 * (410), a cancel notice, busy with an earlier task (nothing), a license hint, nothing,
 * a pending task, and one whose poll is not held here (never asked about). */
static void test_slice_answers_as_each_alone(void **state)
{
	struct t *t = *state;
	struct dev d[MIX];
	struct resp r, held[MIX];
	struct json_doc doc;
	struct evhttp_connection *conn[MIX] = {0};
	char ids[MIX][DB_ID_LEN], site[DB_ID_LEN], serial[32], body[256], task[4][DB_ID_LEN];
	char key[1024], uri[128];
	static char together[MIX][2048], alone[MIX][2048];

	new_folder(t, t->org, NULL, "Mix", site);
	for (int i = 0; i < MIX; i++) {
		snprintf(serial, sizeof(serial), "ACCC8E00F00%d", i);
		dev_enroll(t, &d[i], site, serial, MODEL, "11.11.73");
		strcpy(ids[i], d[i].id);
	}
	/* 1: a task it started, then cancelled */
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\"}", d[1].id, t->image);
	admin_post_id(t, "/admin/v1/tasks", body, task[0]);
	report_ok(t, d[1].access, task[0], "{\"state\":\"downloading\"}");
	snprintf(uri, sizeof(uri), "/admin/v1/tasks/%s/cancel", task[0]);
	assert_int_equal(admin_post(t, uri, NULL, &r), 200);
	resp_free(&r);
	/* 2: busy with one task, another waiting behind it */
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\"}", d[2].id, t->image);
	admin_post_id(t, "/admin/v1/tasks", body, task[1]);
	report_ok(t, d[2].access, task[1], "{\"state\":\"downloading\"}");
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\","
		 "\"allow_downgrade\":true}", d[2].id, t->image);
	admin_post_id(t, "/admin/v1/tasks", body, task[2]);
	/* 3, 4 and 6: a license issued to their serials; 4 has heard of it */
	for (int i = 3; i < MIX; i += 1 + (i == 4)) {
		snprintf(serial, sizeof(serial), "ACCC8E00F00%d", i);
		key_file_b64(serial, "4711", key, sizeof(key));
		preload(t, serial, "4711", key, "", &r);
		assert_int_equal(r.status, 200);
		resp_free(&r);
	}
	device_licenses(t, d[4].access, &r, &doc, 0, NULL); /* which spends its hint */
	json_free(&doc);
	resp_free(&r);
	/* 5: a pending task */
	snprintf(body, sizeof(body), "{\"device_id\":\"%s\",\"image_id\":\"%s\"}", d[5].id, t->image);
	admin_post_id(t, "/admin/v1/tasks", body, task[3]);
	/* 0: removed */
	snprintf(uri, sizeof(uri), "/admin/v1/devices/%s", d[0].id);
	assert_int_equal(call(t, EVHTTP_REQ_DELETE, uri, t->admin, NULL, NULL, NULL, &r), 200);
	resp_free(&r);

	int64_t now = cloud_now(&t->c);
	slice_answers(t, ids, 0, MIX, now, together);
	for (size_t i = 0; i < MIX; i++)
		slice_answers(t, ids, i, 1, now, alone);
	for (int i = 0; i < MIX; i++)
		if (strcmp(together[i], alone[i]) != 0)
			fail_msg("device %d: in a slice '%s', alone '%s'", i, together[i], alone[i]);
	assert_int_equal(atoi(together[0]), 410);
	snprintf(body, sizeof(body), "200 {\"task\":null,\"cancelled\":[\"%s\"]}", task[0]);
	assert_string_equal(together[1], body);
	assert_string_equal(together[2], "204 ");
	assert_string_equal(together[3], "200 {\"task\":null,\"check\":[\"licenses\"]}");
	assert_string_equal(together[4], "204 ");
	assert_non_null(strstr(together[5], task[3]));
	assert_non_null(strstr(together[6], "licenses"));

	/* woken for real: only the polls held here are asked about. 2 stays held, 4 hears
	 * of its license again (marked unheard in the store, with no wake of its own); the
	 * others, not holding a poll, still have their answers for their next poll. */
	for (int i = 2; i <= 4; i += 2)
		conn[i] = poll_hold(t, d[i].access, &held[i]);
	assert_int_equal(store_run(t->c.store, ST_LICENSES_RECHECK_OF_SERIAL, "ss", t->org,
				   "ACCC8E00F004"), 1);
	struct db_ids all = {0};
	for (int i = 0; i < MIX; i++)
		assert_int_equal(db_ids_add(&all, ids[i]), 0);
	wake_devices(&t->c, &all, NULL);
	db_ids_free(&all);
	run_until(t, &held[4]);
	assert_string_equal(buf_str(&held[4].body), "{\"task\":null,\"check\":[\"licenses\"]}\n");
	for (int i = 0; i < 20; i++)
		event_base_loop(t->c.base, EVLOOP_NONBLOCK);
	assert_false(held[2].done);
	assert_int_equal(wake_pending(t->c.wake), 0);
	for (int i = 1; i < MIX; i += 2) {
		assert_int_equal(call(t, EVHTTP_REQ_GET, "/device/v1/tasks/next?wait=0", d[i].access,
				      NULL, NULL, NULL, &r), 200);
		assert_non_null(strstr(buf_str(&r.body), i == 1 ? task[0] : i == 5 ? "payload"
									    : "licenses"));
		resp_free(&r);
	}
	for (int i = 0; i < MIX; i++) {
		if (conn[i])
			evhttp_connection_free(conn[i]);
		if (i == 2 || i == 4)
			resp_free(&held[i]);
		dev_free(&d[i]);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* the 413 test writes to a socket the server closes */
	log_init("test_cloud_http", getenv("TEST_DEBUG") ? LOGL_DEBUG : LOGL_ERROR, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors_and_admin_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_and_task_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_artifact_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_licenses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_held_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reenrollment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preloaded_license_follows_the_serial, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bulk_key_files_match_by_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_apps_checked_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_system_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_job_wakes_every_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recommended_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_replay_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_fields_type_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_body_with_a_key_twice_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_progress_out_of_range_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_not_returned_after_a_state_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_reaches_a_device_waiting_for_its_window,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_or_oversized_http_refused_with_json,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_folder_job_wakes_in_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_signals_wake_many_devices, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seal_pool_signs_each_payload_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promised_poll_is_not_woken_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_reconnects_to_postgres, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_answer_reaches_only_its_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_job_applies_every_skip_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slice_answers_as_each_alone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
