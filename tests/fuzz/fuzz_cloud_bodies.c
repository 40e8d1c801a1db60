/* libFuzzer target: every camcloud request body, through the real server. An in-process
 * camcloud (cloud_open) listens on loopback; each input is one POST on a kept-alive connection:
 * the first byte picks the route, the rest is the body. Whatever the body, the server
 * answers, never with a 5xx, and always with JSON.
 *
 * So that inputs get past authentication and into the handlers, the target holds the
 * credentials a real client would (admin token, device key and access token, made in a
 * setup through the same API) and fills in placeholders in the body and path: @KEY@ (the
 * device public key), @SECRET@ (an enrollment token secret), @DEV@, @ORG@, @FOLDER@,
 * @IMAGE@, @TASK@, @LICENSE@ (ids), @TOKEN@ and @TASK2@ (a token and a task of their own,
 * for the revoke and cancel routes to spend), @TS@ (now) and @NONCE@ (fresh each time).
 * Signed routes (enroll, auth) get the body signed with the device key. */
/* fuzz-links: lib cloud tests/fuzz/tmpfiles.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../../cloud/http/server.h"
#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "tmpfiles.h"

enum auth { SIGNED, DEVICE, ADMIN };

static const struct route {
	const char *path;
	enum auth auth;
} routes[] = {
	{ "/device/v1/enroll", SIGNED },
	{ "/device/v1/auth", SIGNED },
	{ "/device/v1/report", DEVICE },
	{ "/device/v1/tasks/@TASK@/status", DEVICE },
	{ "/device/v1/licenses/@LICENSE@/status", DEVICE },
	{ "/admin/v1/orgs", ADMIN },
	{ "/admin/v1/folders", ADMIN },
	{ "/admin/v1/enrollment-tokens", ADMIN },
	{ "/admin/v1/enrollment-tokens/@TOKEN@/revoke", ADMIN },
	{ "/admin/v1/enrollment-tokens/revoke", ADMIN },
	{ "/admin/v1/devices/@DEV@/move", ADMIN },
	{ "/admin/v1/images", ADMIN },
	{ "/admin/v1/images/@IMAGE@/recommend", ADMIN },
	{ "/admin/v1/jobs", ADMIN },
	{ "/admin/v1/tasks", ADMIN },
	{ "/admin/v1/tasks/@TASK2@/cancel", ADMIN },
	{ "/admin/v1/licenses", ADMIN },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

#define ID_MAX 80

static struct cloud cloud;
static unsigned port;
static struct evhttp_connection *conn;
static struct crypto_key *device_key;
static char key_json[CRYPTO_PUBKEY_PEM_MAX * 2]; /* the PEM as a JSON string's inside */
static char admin[ID_MAX], access_token[ID_MAX], secret[ID_MAX];
static char dev[ID_MAX], org[ID_MAX], folder[ID_MAX], image[ID_MAX], task[ID_MAX], task2[ID_MAX],
	license[ID_MAX], token_id[ID_MAX];

struct answer {
	int done;
	int status;
	struct buf body;
};

static void on_answer(struct evhttp_request *req, void *arg)
{
	struct answer *a = arg;
	a->done = 1;
	if (!req)
		return;
	a->status = evhttp_request_get_response_code(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	if (n && buf_append(&a->body, evbuffer_pullup(in, (ev_ssize_t)n), n))
		abort();
}

/* Appends text to out with every placeholder replaced by its value. */
static void expand(const char *text, size_t len, struct buf *out)
{
	char ts[24], nonce[33];
	uint8_t raw[16];
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)rand();
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
	const struct { const char *name, *value; } vars[] = {
		{ "@KEY@", key_json }, { "@SECRET@", secret }, { "@DEV@", dev }, { "@ORG@", org },
		{ "@FOLDER@", folder }, { "@IMAGE@", image }, { "@TASK@", task }, { "@TASK2@", task2 },
		{ "@LICENSE@", license }, { "@TOKEN@", token_id }, { "@TS@", ts }, { "@NONCE@", nonce },
	};
	for (size_t i = 0; i < len;) {
		size_t v = 0;
		while (v < sizeof(vars) / sizeof(vars[0]) &&
		       (len - i < strlen(vars[v].name) ||
			memcmp(text + i, vars[v].name, strlen(vars[v].name))))
			v++;
		if (v < sizeof(vars) / sizeof(vars[0])) {
			if (buf_append(out, vars[v].value, strlen(vars[v].value)))
				abort();
			i += strlen(vars[v].name);
		} else {
			if (buf_append(out, text + i, 1))
				abort();
			i++;
		}
	}
}

/* POSTs body (placeholders expanded) to the route; the answer's status and body in *a. */
static void post(const struct route *r, const char *body, size_t len, struct answer *a)
{
	struct buf path, text;
	char hdr[ID_MAX + 16], sig[CRYPTO_SIG_B64_MAX];
	buf_init(&path, 1024);
	buf_init(&text, 2 * CLOUD_BODY_MAX);
	expand(r->path, strlen(r->path), &path);
	expand(body, len, &text);
	memset(a, 0, sizeof(*a));
	buf_init(&a->body, 1 << 20);

	if (!conn) /* kept alive between requests; libevent reconnects when the server closed it */
		conn = evhttp_connection_base_new(cloud.base, NULL, "127.0.0.1", (ev_uint16_t)port);
	struct evhttp_request *req = evhttp_request_new(on_answer, a);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", "127.0.0.1");
	evhttp_add_header(h, "Content-Type", "application/json");
	if (r->auth == SIGNED) {
		if (crypto_sign(device_key, buf_str(&text), text.len, sig, sizeof(sig)))
			abort();
		evhttp_add_header(h, "X-Camagent-Signature", sig);
	} else {
		snprintf(hdr, sizeof(hdr), "Bearer %s", r->auth == ADMIN ? admin : access_token);
		evhttp_add_header(h, "Authorization", hdr);
	}
	evbuffer_add(evhttp_request_get_output_buffer(req), buf_str(&text), text.len);
	if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, buf_str(&path)))
		abort();
	while (!a->done)
		event_base_loop(cloud.base, EVLOOP_ONCE);
	buf_free(&text);
	buf_free(&path);
}

/* One setup call: POST, expect 2xx, copy the string field key of the answer into out
 * (and key2 into out2 when given). */
static void setup_call2(int route, const char *body, const char *key, char *out,
			const char *key2, char *out2)
{
	struct answer a;
	struct json_doc doc = { 0 };
	post(&routes[route], body, strlen(body), &a);
	if (a.status / 100 != 2 || json_parse(&doc, buf_str(&a.body), a.body.len, 256) ||
	    json_get_string(&doc, 0, key, out, ID_MAX) ||
	    (key2 && json_get_string(&doc, 0, key2, out2, 1024))) {
		fprintf(stderr, "fuzz setup: POST %s %s: %d %s\n", routes[route].path, body, a.status,
			buf_str(&a.body));
		abort();
	}
	json_free(&doc);
	buf_free(&a.body);
}

static void setup_call(int route, const char *body, const char *key, char *out)
{
	setup_call2(route, body, key, out, NULL, NULL);
}

static void setup(void)
{
	char dir[256], path[300], pem[CRYPTO_PUBKEY_PEM_MAX], tok[1024], body[4096];
	struct buf b;
	snprintf(dir, sizeof(dir), "%s/cloud", fuzz_tmpdir());
	struct serve_options opt = { .data_dir = dir, .listen = "127.0.0.1:0", .log_level = "error" };
	if (cloud_open(&cloud, &opt))
		abort();
	const char *colon = strrchr(cloud.base_url, ':');
	port = colon ? (unsigned)atoi(colon + 1) : 0;
	snprintf(path, sizeof(path), "%s/admin.token", dir);
	buf_init(&b, 4096);
	if (fs_read_file(path, &b, 4096))
		abort();
	snprintf(admin, sizeof(admin), "%.*s", (int)strcspn(buf_str(&b), "\r\n"), buf_str(&b));
	buf_free(&b);

	if (crypto_key_generate(&device_key) || crypto_key_public_pem(device_key, pem, sizeof(pem)))
		abort();
	for (size_t i = 0, o = 0; pem[i] && o + 3 < sizeof(key_json); i++) {
		if (pem[i] == '\n') {
			key_json[o++] = '\\';
			key_json[o++] = 'n';
		} else {
			key_json[o++] = pem[i];
		}
		key_json[o] = '\0';
	}

	setup_call(5, "{\"name\":\"Fuzz Org\"}", "id", org);
	setup_call(6, "{\"org_id\":\"@ORG@\",\"name\":\"Site F\"}", "id", folder);
	setup_call2(7, "{\"folder_id\":\"@FOLDER@\",\"max_uses\":1000000}", "id", token_id,
		    "token", tok);
	setup_call(7, "{\"folder_id\":\"@FOLDER@\"}", "id", token_id); /* to be revoked */
	/* the secret is inside the token: cam1.<base64url JSON> */
	{
		uint8_t raw[1024];
		struct json_doc d = { 0 };
		const char *b64 = strchr(tok, '.');
		int n = b64 ? base64url_decode(b64 + 1, strlen(b64 + 1), raw, sizeof(raw)) : -1;
		if (n <= 0 || json_parse(&d, (const char *)raw, (size_t)n, 16) ||
		    json_get_string(&d, 0, "secret", secret, sizeof(secret)))
			abort();
		json_free(&d);
	}
	snprintf(body, sizeof(body),
		 "{\"token_secret\":\"@SECRET@\",\"serial\":\"ACCC8EFUZZ01\",\"model\":\"P3265-LVE\","
		 "\"hardware_id\":\"7C2\",\"arch\":\"aarch64\",\"os_version\":\"11.11.73\","
		 "\"agent_version\":\"fuzz\",\"public_key\":\"@KEY@\",\"nonce\":\"@NONCE@\","
		 "\"ts\":@TS@}");
	setup_call(0, body, "device_id", dev);
	setup_call(1, "{\"device_id\":\"@DEV@\",\"nonce\":\"@NONCE@\",\"ts\":@TS@}", "access_token",
		   access_token);
	snprintf(path, sizeof(path), "%s/image.bin", fuzz_tmpdir());
	FILE *f = fopen(path, "wb");
	if (!f || fputs("AXIS OS image for fuzzing\n", f) < 0 || fclose(f))
		abort();
	snprintf(body, sizeof(body), "{\"model\":\"P3265-LVE\",\"version\":\"12.0.1\",\"path\":\"%s\"}",
		 path);
	setup_call(11, body, "id", image);
	setup_call(14, "{\"device_id\":\"@DEV@\",\"image_id\":\"@IMAGE@\"}", "id", task);
	setup_call(14, "{\"device_id\":\"@DEV@\",\"image_id\":\"@IMAGE@\"}", "id", task2);
	setup_call(16, "{\"device_id\":\"@DEV@\",\"app\":\"vmd\"}", "id", license);
}

static void close_cloud(void)
{
	if (conn)
		evhttp_connection_free(conn);
	cloud_close(&cloud);
	crypto_key_free(device_key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct answer a;
	struct json_doc doc = { 0 };
	if (!ready) {
		setup();
		atexit(close_cloud);
		ready = 1;
	}
	if (size < 1 || size - 1 > CLOUD_BODY_MAX)
		return 0;
	post(&routes[data[0] % NROUTES], (const char *)data + 1, size - 1, &a);
	if (getenv("FUZZ_VERBOSE")) /* to see where seeds get: FUZZ_VERBOSE=1 ./fuzz_cloud_bodies seed */
		fprintf(stderr, "POST %s: %d %s\n", routes[data[0] % NROUTES].path, a.status,
			buf_str(&a.body));
	if (a.status < 200 || a.status >= 500) {
		fprintf(stderr, "POST %s answered %d: %s\n", routes[data[0] % NROUTES].path,
			a.status, buf_str(&a.body));
		abort(); /* no answer, or a server error, for a body a client chose */
	}
	if (a.status != 204 && json_parse(&doc, buf_str(&a.body), a.body.len, 4096)) {
		fprintf(stderr, "POST %s answered %d with non-JSON: %s\n",
			routes[data[0] % NROUTES].path, a.status, buf_str(&a.body));
		abort();
	}
	json_free(&doc);
	buf_free(&a.body);
	return 0;
}
