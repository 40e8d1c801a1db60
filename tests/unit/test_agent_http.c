/* test_agent_http: agent/http.c against an in-process evhttp server on 127.0.0.1,
 * both on one event_base. Covers buffering, POST headers, streaming sinks, ranges,
 * size caps, transport errors, URL policy, cancellation and many concurrent requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../../agent/http.h"
#include "../../lib/log.h"
#include "../../lib/monotonic.h"

#define BIG_SIZE (5 * 1024 * 1024)
#define MANY 50

/* ---- test fixture: server + client on one base ---- */

struct server_seen {
	char authorization[256];
	char signature[256];
	char content_type[128];
	char range[128];
	int received;     /* requests that reached a handler */
	int slow_replied; /* delayed replies sent */
};

struct fixture {
	struct event_base *base;
	struct evhttp *http;
	int port;
	struct http_client *client;
	struct server_seen seen;
	int timed_out;
};

static struct fixture *fx; /* the current test's fixture, for server handlers */

static uint8_t pattern_at(uint64_t i)
{
	return (uint8_t)(i % 251);
}

static void copy_header(struct evhttp_request *req, const char *name, char *out, size_t outsz)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);

	snprintf(out, outsz, "%s", v ? v : "");
}

static void reply_text(struct evhttp_request *req, int code, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Other", b);
	evbuffer_free(b);
}

static struct evbuffer *pattern_buffer(uint64_t from, uint64_t n)
{
	struct evbuffer *b = evbuffer_new();
	uint8_t *tmp = malloc(n ? n : 1);

	assert_non_null(tmp);
	for (uint64_t i = 0; i < n; i++)
		tmp[i] = pattern_at(from + i);
	evbuffer_add(b, tmp, n);
	free(tmp);
	return b;
}

/* /big/<n>: n pattern bytes with a Content-Length. */
static void handle_big(struct evhttp_request *req, const char *arg)
{
	struct evbuffer *b = pattern_buffer(0, strtoull(arg, NULL, 10));

	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* /chunked/<n>: n pattern bytes, chunked (no Content-Length). */
static void handle_chunked(struct evhttp_request *req, const char *arg)
{
	uint64_t n = strtoull(arg, NULL, 10), off = 0;

	evhttp_send_reply_start(req, 200, "OK");
	while (off < n) {
		uint64_t k = n - off > 65536 ? 65536 : n - off;
		struct evbuffer *b = pattern_buffer(off, k);
		evhttp_send_reply_chunk(req, b);
		evbuffer_free(b);
		off += k;
	}
	evhttp_send_reply_end(req);
}

/* /range: the pattern's bytes 100..199 of 200, as a 206. */
static void handle_range(struct evhttp_request *req)
{
	struct evbuffer *b = pattern_buffer(100, 100);

	copy_header(req, "Range", fx->seen.range, sizeof(fx->seen.range));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Range",
			  "bytes 100-199/200");
	evhttp_send_reply(req, 206, "Partial Content", b);
	evbuffer_free(b);
}

static void handle_echo(struct evhttp_request *req)
{
	copy_header(req, "Authorization", fx->seen.authorization, sizeof(fx->seen.authorization));
	copy_header(req, "X-Camagent-Signature", fx->seen.signature, sizeof(fx->seen.signature));
	copy_header(req, "Content-Type", fx->seen.content_type, sizeof(fx->seen.content_type));
	evhttp_send_reply(req, 201, "Created", evhttp_request_get_input_buffer(req));
}

static void handle_signed(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char longval[400];

	/* lower case name and padding: capture must be case-insensitive and trimmed */
	evhttp_add_header(h, "x-camcloud-signature", "  MEUCIQ+sig/abc==\t ");
	memset(longval, 'x', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	evhttp_add_header(h, "Content-Range", longval); /* over-long: dropped, not cut */
	reply_text(req, 200, "{\"signed\":true}");
}

static void slow_reply(evutil_socket_t fd, short what, void *arg)
{
	reply_text(arg, 200, "slow");
	fx->seen.slow_replied++;
}

static void handle_slow(struct evhttp_request *req)
{
	struct timeval tv = { 0, 150 * 1000 };

	assert_int_equal(event_base_once(fx->base, -1, EV_TIMEOUT, slow_reply, req, &tv), 0);
}

/* /hold/<ms>: answers after ms milliseconds, sending nothing before (a long poll). */
static void handle_hold(struct evhttp_request *req, const char *ms)
{
	long n = strtol(ms, NULL, 10);
	struct timeval tv = { n / 1000, (n % 1000) * 1000 };

	assert_int_equal(event_base_once(fx->base, -1, EV_TIMEOUT, slow_reply, req, &tv), 0);
}

static void server_cb(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	fx->seen.received++;
	if (strncmp(uri, "/big/", 5) == 0)
		handle_big(req, uri + 5);
	else if (strncmp(uri, "/chunked/", 9) == 0)
		handle_chunked(req, uri + 9);
	else if (strcmp(uri, "/range") == 0)
		handle_range(req);
	else if (strcmp(uri, "/echo") == 0)
		handle_echo(req);
	else if (strcmp(uri, "/signed") == 0)
		handle_signed(req);
	else if (strcmp(uri, "/slow") == 0)
		handle_slow(req);
	else if (strncmp(uri, "/hold/", 6) == 0)
		handle_hold(req, uri + 6);
	else if (strncmp(uri, "/id/", 4) == 0)
		reply_text(req, 200, uri + 4);
	else if (strcmp(uri, "/hello") == 0)
		reply_text(req, 200, "hello world");
	else
		reply_text(req, 404, "{\"error\":{\"code\":\"not_found\"}}");
}

static int bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len),
			 0);
	return ntohs(sin.sin_port);
}

static int setup_with(void **state, long low_speed_time_s)
{
	struct http_client_config cfg = { .allow_insecure_http = 1, .connect_timeout_s = 5,
					  .low_speed_time_s = low_speed_time_s };
	struct evhttp_bound_socket *bs;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->http = evhttp_new(fx->base);
	assert_non_null(fx->http);
	evhttp_set_allowed_methods(fx->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(fx->http, server_cb, NULL);
	bs = evhttp_bind_socket_with_handle(fx->http, "127.0.0.1", 0);
	assert_non_null(bs);
	fx->port = bound_port(bs);
	assert_int_equal(http_client_new(&fx->client, fx->base, &cfg), 0);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 10);
}

/* A client whose low-speed abort trips after 1 s of silence. */
static int setup_impatient(void **state)
{
	return setup_with(state, 1);
}

static int teardown(void **state)
{
	http_client_free(fx->client);
	evhttp_free(fx->http);
	event_base_free(fx->base);
	free(fx);
	fx = NULL;
	return 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	fx->timed_out = 1;
}

/* Runs the loop until *counter reaches target (or 20 s pass: a failure). */
static void run_until(const int *counter, int target)
{
	struct event *deadline = evtimer_new(fx->base, on_deadline, NULL);
	struct timeval tv = { 20, 0 };

	evtimer_add(deadline, &tv);
	fx->timed_out = 0;
	while (*counter < target && !fx->timed_out)
		event_base_loop(fx->base, EVLOOP_ONCE);
	event_free(deadline);
	assert_false(fx->timed_out);
}

/* Runs the loop for ms milliseconds. */
static void run_for(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static void url(char *out, size_t outsz, const char *path)
{
	snprintf(out, outsz, "http://127.0.0.1:%d%s", fx->port, path);
}

/* ---- a done callback that keeps a copy of the response ---- */

struct result {
	int calls;
	long status;
	CURLcode curl_code;
	char error[CURL_ERROR_SIZE];
	char body[1024];
	size_t body_len;
	char signature[HTTP_HEADER_VALUE_MAX];
	char content_range[HTTP_HEADER_VALUE_MAX];
	uint64_t content_length;
	int *counter;           /* incremented too, when set */
	struct http_request *cancel_on_done;
	struct http_request **start_on_done; /* where to store a request started from done */
};

static void on_done(const struct http_response *resp, void *arg)
{
	struct result *res = arg;

	res->calls++;
	res->status = resp->status;
	res->curl_code = resp->curl_code;
	snprintf(res->error, sizeof(res->error), "%s", resp->error);
	res->body_len = resp->body.len;
	snprintf(res->body, sizeof(res->body), "%s", buf_str(&resp->body));
	snprintf(res->signature, sizeof(res->signature), "%s", resp->signature);
	snprintf(res->content_range, sizeof(res->content_range), "%s", resp->content_range);
	res->content_length = resp->content_length;
	if (res->counter)
		(*res->counter)++;
}

static struct http_request *get(const char *path, struct result *res)
{
	char u[128];
	struct http_request_spec spec = { .done = on_done, .done_arg = res };

	url(u, sizeof(u), path);
	spec.url = u; /* copied by curl */
	return http_start(fx->client, &spec);
}

/* Starts a GET of path, held (a long poll) or not, with a cap of timeout_s. */
static struct http_request *get_held(const char *path, struct result *res, int held,
				     long timeout_s)
{
	char u[128];
	struct http_request_spec spec = { .done = on_done, .done_arg = res, .held = held,
					  .timeout_s = timeout_s };

	url(u, sizeof(u), path);
	spec.url = u;
	return http_start(fx->client, &spec);
}

/*
 * Runs the loop until *counter reaches target; returns how many times it woke while the
 * server held the request, counting from 0.5 s after the server had it up to its reply.
 * The wake-ups around connect, send and the answer vary with how a loaded machine splits
 * them; the silence in the middle should have one, the server's own reply timer.
 */
static int count_silent_wakeups_until(const int *counter, int target)
{
	double held_since = 0;
	int wakeups = 0, turns = 0;

	while (*counter < target) {
		int silent = fx->seen.received > 0 && fx->seen.slow_replied == 0;

		if (silent && held_since == 0)
			held_since = monotonic_now();
		event_base_loop(fx->base, EVLOOP_ONCE);
		wakeups += silent && monotonic_now() - held_since >= 0.5;
		assert_true(++turns < 1000);
	}
	return wakeups;
}

/* ---- tests ---- */

static void test_get_buffered(void **state)
{
	struct result res = { 0 };

	assert_non_null(get("/hello", &res));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.curl_code, CURLE_OK);
	assert_string_equal(res.error, "");
	assert_string_equal(res.body, "hello world");
	assert_int_equal(res.content_length, 11);
	assert_string_equal(res.signature, "");
}

static void test_non_2xx_is_delivered(void **state)
{
	struct result res = { 0 };

	assert_non_null(get("/nothing-here", &res));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 404);
	assert_int_equal(res.curl_code, CURLE_OK);
	assert_string_equal(res.body, "{\"error\":{\"code\":\"not_found\"}}");
}

static void test_post_echo_with_headers(void **state)
{
	struct result res = { 0 };
	char u[128];
	const char body[] = "{\"device_id\":\"abc\",\"n\":1}";
	struct http_request_spec spec = {
		.method = "POST", .body = body, .body_len = strlen(body),
		.bearer = "tok-123", .signature = "MEUCIQsig==", .timeout_s = 10,
		.done = on_done, .done_arg = &res,
	};

	url(u, sizeof(u), "/echo");
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 201);
	assert_string_equal(res.body, body);
	assert_string_equal(fx->seen.authorization, "Bearer tok-123");
	assert_string_equal(fx->seen.signature, "MEUCIQsig==");
	assert_string_equal(fx->seen.content_type, "application/json");
}

static void test_post_body_is_copied(void **state)
{
	struct result res = { 0 };
	char u[128], body[64];
	struct http_request_spec spec = { .method = "POST", .done = on_done, .done_arg = &res };

	url(u, sizeof(u), "/echo");
	snprintf(body, sizeof(body), "{\"copied\":true}");
	spec.url = u;
	spec.body = body;
	spec.body_len = strlen(body);
	assert_non_null(http_start(fx->client, &spec));
	memset(body, 'X', sizeof(body) - 1); /* the caller's copy is gone */
	run_until(&res.calls, 1);
	assert_string_equal(res.body, "{\"copied\":true}");
}

static void test_signature_captured(void **state)
{
	struct result res = { 0 };

	assert_non_null(get("/signed", &res));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.signature, "MEUCIQ+sig/abc==");
	assert_string_equal(res.content_range, ""); /* over-long value dropped */
}

struct sink_state {
	uint64_t bytes;
	int mismatch;
};

static size_t count_sink(const void *data, size_t len, void *arg)
{
	struct sink_state *s = arg;
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_at(s->bytes + i))
			s->mismatch = 1;
	s->bytes += len;
	return len;
}

static void test_sink_streams_large_body(void **state)
{
	struct result res = { 0 };
	struct sink_state sink = { 0 };
	char u[128], path[64];
	struct http_request_spec spec = { .sink = count_sink, .sink_arg = &sink,
					  .done = on_done, .done_arg = &res };

	snprintf(path, sizeof(path), "/big/%d", BIG_SIZE);
	url(u, sizeof(u), path);
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.curl_code, CURLE_OK);
	assert_int_equal(sink.bytes, BIG_SIZE);
	assert_false(sink.mismatch);
	assert_int_equal(res.body_len, 0);
	assert_int_equal(res.content_length, BIG_SIZE);
}

static size_t refusing_sink(const void *data, size_t len, void *arg)
{
	return 0;
}

static void test_sink_can_abort(void **state)
{
	struct result res = { 0 };
	char u[128];
	struct http_request_spec spec = { .sink = refusing_sink, .done = on_done, .done_arg = &res };

	url(u, sizeof(u), "/big/100000");
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.curl_code, CURLE_WRITE_ERROR);
	assert_string_not_equal(res.error, "");
}

static void test_resume_sends_range(void **state)
{
	struct result res = { 0 };
	struct sink_state sink = { .bytes = 100 };
	char u[128];
	struct http_request_spec spec = { .resume_from = 100, .max_recv_speed = 1 << 20,
					  .sink = count_sink, .sink_arg = &sink,
					  .done = on_done, .done_arg = &res };

	url(u, sizeof(u), "/range");
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res.calls, 1);
	assert_string_equal(fx->seen.range, "bytes=100-");
	assert_int_equal(res.status, 206);
	assert_int_equal(res.curl_code, CURLE_OK);
	assert_string_equal(res.content_range, "bytes 100-199/200");
	assert_int_equal(sink.bytes, 200);
	assert_false(sink.mismatch);
}

static void check_too_large(const char *path)
{
	struct result res = { 0 };

	assert_non_null(get(path, &res));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_not_equal(res.curl_code, CURLE_OK);
	assert_string_equal(res.error, "response body too large");
	assert_int_equal(res.body_len, 0);
}

static void test_body_over_max_fails(void **state)
{
	char path[64];

	snprintf(path, sizeof(path), "/big/%d", HTTP_BODY_MAX + 1);
	check_too_large(path); /* refused from Content-Length */
	snprintf(path, sizeof(path), "/chunked/%d", 2 * HTTP_BODY_MAX);
	check_too_large(path); /* refused while receiving */
}

static void test_body_at_max_ok(void **state)
{
	struct result res = { 0 };
	char path[64];

	snprintf(path, sizeof(path), "/chunked/%d", HTTP_BODY_MAX);
	assert_non_null(get(path, &res));
	run_until(&res.calls, 1);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body_len, HTTP_BODY_MAX);
}

static void test_connection_refused(void **state)
{
	struct result res = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char u[128];
	struct http_request_spec spec = { .done = on_done, .done_arg = &res };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* bound but not listening: connecting to it is refused */
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x", ntohs(sin.sin_port));
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res.calls, 1);
	close(fd);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.curl_code, CURLE_COULDNT_CONNECT);
	assert_string_not_equal(res.error, "");
}

static void test_url_allowed_table(void **state)
{
	static const struct {
		const char *url;
		int insecure_ok; /* allowed with allow_insecure_http */
		int secure_ok;   /* allowed without */
	} cases[] = {
		{ "https://cloud.example.com/device/v1/poll", 1, 1 },
		{ "https://10.0.0.1/x", 1, 1 },
		{ "HTTPS://cloud.example.com:8443", 1, 1 },
		{ "https://[2001:db8::1]:443/x", 1, 1 },
		{ "http://127.0.0.1:8080/device/v1/poll", 1, 0 },
		{ "http://127.1.2.3/", 1, 0 },
		{ "http://localhost:1234", 1, 0 },
		{ "http://LOCALHOST/x", 1, 0 },
		{ "http://[::1]:80/x", 1, 0 },
		{ "http://10.0.0.1/x", 0, 0 },
		{ "http://192.168.1.2:80/", 0, 0 },
		{ "http://cloud.example.com/", 0, 0 },
		{ "http://127.0.0.1.evil.com/", 0, 0 },
		{ "http://127.0.0.1@evil.com/", 0, 0 },
		{ "http://evil.com#@127.0.0.1/", 0, 0 },
		{ "http://localhost.evil.com/", 0, 0 },
		{ "http://127.0.0.256/", 0, 0 },
		{ "http://127.1/", 0, 0 },
		{ "http://0x7f.0.0.1/", 0, 0 },
		{ "http://[::2]/", 0, 0 },
		{ "http://127.0.0.1:80x/", 0, 0 },
		{ "ftp://127.0.0.1/", 0, 0 },
		{ "file:///etc/passwd", 0, 0 },
		{ "https://", 0, 0 },
		{ "https:///path", 0, 0 },
		{ "https://exa mple.com/", 0, 0 },
		{ "https://example.com/\r\nX: y", 0, 0 },
		{ "127.0.0.1:80", 0, 0 },
		{ "", 0, 0 },
		{ "garbage", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (http_url_allowed(cases[i].url, 1) != cases[i].insecure_ok ||
		    http_url_allowed(cases[i].url, 0) != cases[i].secure_ok)
			fail_msg("url policy wrong for '%s'", cases[i].url);
	}
	assert_false(http_url_allowed(NULL, 1));
}

static void test_start_refuses(void **state)
{
	struct result res = { 0 };
	struct http_client *strict;
	struct http_client_config cfg = { 0 };
	/* Not loopback by policy; even a regression would stay on this machine. */
	struct http_request_spec spec = { .url = "http://0.0.0.0:9/x", .done = on_done,
					  .done_arg = &res };
	char u[128];

	assert_null(http_start(fx->client, &spec));
	spec.url = "gopher://127.0.0.1/";
	assert_null(http_start(fx->client, &spec));
	url(u, sizeof(u), "/hello");
	spec.url = u;
	spec.method = "DELETE";
	assert_null(http_start(fx->client, &spec));
	spec.method = "POST";
	spec.bearer = "tok\r\nX-Evil: 1";
	assert_null(http_start(fx->client, &spec));

	/* without allow_insecure_http even loopback http is refused */
	assert_int_equal(http_client_new(&strict, fx->base, &cfg), 0);
	spec.method = NULL;
	spec.bearer = NULL;
	assert_null(http_start(strict, &spec));
	http_client_free(strict);
	run_for(50);
	assert_int_equal(res.calls, 0);
}

static void test_long_poll_outlasts_low_speed_window(void **state)
{
	struct result held = { 0 };

	assert_non_null(get_held("/hold/2500", &held, 1, 10));
	int wakeups = count_silent_wakeups_until(&held.calls, 1);
	assert_int_equal(held.curl_code, CURLE_OK);
	assert_int_equal(held.status, 200);
	assert_string_equal(held.body, "slow");
	/* The reply timer (and one to spare), not curl's speed check each second (six). */
	assert_true(wakeups <= 2);
}

static void test_silent_plain_request_is_cut_by_low_speed_abort(void **state)
{
	struct result plain = { 0 };

	assert_non_null(get_held("/hold/2500", &plain, 0, 10));
	run_until(&plain.calls, 1);
	assert_int_equal(plain.curl_code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(plain.status, 0);
}

static void test_long_poll_ends_at_its_cap(void **state)
{
	struct result held = { 0 };

	assert_non_null(get_held("/hold/4000", &held, 1, 2));
	run_until(&held.calls, 1);
	assert_int_equal(held.curl_code, CURLE_OPERATION_TIMEDOUT);
	run_until(&fx->seen.slow_replied, 1); /* let the server finish before teardown */
}

static void test_long_poll_without_cap_is_refused(void **state)
{
	struct result held = { 0 };

	assert_null(get_held("/hold/10", &held, 1, 0));
	assert_int_equal(held.calls, 0);
}

static void test_cancel_before_run(void **state)
{
	struct result slow = { 0 }, fast = { 0 };
	struct http_request *r = get("/slow", &slow);

	assert_non_null(r);
	http_cancel(r);
	assert_non_null(get("/hello", &fast));
	run_until(&fast.calls, 1);
	run_for(300);
	assert_int_equal(slow.calls, 0);
	assert_int_equal(fast.status, 200);
}

static void on_done_cancel_other(const struct http_response *resp, void *arg)
{
	struct result *res = arg;

	on_done(resp, arg);
	http_cancel(res->cancel_on_done);
}

static void test_cancel_from_done(void **state)
{
	struct result slow = { 0 }, fast = { 0 };
	char u[128];
	struct http_request_spec spec = { .done = on_done_cancel_other, .done_arg = &fast };

	fast.cancel_on_done = get("/slow", &slow);
	assert_non_null(fast.cancel_on_done);
	url(u, sizeof(u), "/hello");
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&fast.calls, 1);
	/* the server answers the cancelled request later: nothing may reach its callback */
	run_until(&fx->seen.slow_replied, 1);
	run_for(100);
	assert_int_equal(slow.calls, 0);
}

static void on_done_cancel_self(const struct http_response *resp, void *arg)
{
	struct result *res = arg;

	on_done(resp, arg);
	http_cancel(res->cancel_on_done); /* allowed: a no-op */
}

static void test_cancel_self_in_done(void **state)
{
	struct result res = { 0 };
	char u[128];
	struct http_request_spec spec = { .done = on_done_cancel_self, .done_arg = &res };

	url(u, sizeof(u), "/hello");
	spec.url = u;
	res.cancel_on_done = http_start(fx->client, &spec);
	assert_non_null(res.cancel_on_done);
	run_until(&res.calls, 1);
	run_for(50);
	assert_int_equal(res.calls, 1);
}

static void on_done_start_next(const struct http_response *resp, void *arg)
{
	struct result *res = arg;
	struct result *next = res + 1;

	on_done(resp, arg);
	*res->start_on_done = get("/id/second", next);
}

static void test_start_from_done(void **state)
{
	struct result res[2] = { { 0 }, { 0 } };
	struct http_request *second = NULL;
	char u[128];
	struct http_request_spec spec = { .done = on_done_start_next, .done_arg = &res[0] };

	res[0].start_on_done = &second;
	url(u, sizeof(u), "/id/first");
	spec.url = u;
	assert_non_null(http_start(fx->client, &spec));
	run_until(&res[1].calls, 1);
	assert_non_null(second);
	assert_string_equal(res[0].body, "first");
	assert_string_equal(res[1].body, "second");
}

static void test_many_concurrent(void **state)
{
	struct result *res = calloc(MANY, sizeof(*res));
	int finished = 0;
	char path[32], want[16];

	assert_non_null(res);
	for (int i = 0; i < MANY; i++) {
		res[i].counter = &finished;
		snprintf(path, sizeof(path), "/id/%d", i);
		assert_non_null(get(path, &res[i]));
	}
	run_until(&finished, MANY);
	for (int i = 0; i < MANY; i++) {
		snprintf(want, sizeof(want), "%d", i);
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, 200);
		assert_string_equal(res[i].body, want);
	}
	free(res);
}

static void test_client_free_cancels_pending(void **state)
{
	struct result res[3] = { { 0 }, { 0 }, { 0 } };

	for (int i = 0; i < 3; i++)
		assert_non_null(get("/slow", &res[i]));
	run_until(&fx->seen.received, 3);
	http_client_free(fx->client);
	fx->client = NULL;
	run_until(&fx->seen.slow_replied, 3);
	run_for(50);
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_buffered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_2xx_is_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_echo_with_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_body_is_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_captured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_streams_large_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_can_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_sends_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_over_max_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_at_max_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test(test_url_allowed_table),
		cmocka_unit_test_setup_teardown(test_start_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_outlasts_low_speed_window,
						setup_impatient, teardown),
		cmocka_unit_test_setup_teardown(test_silent_plain_request_is_cut_by_low_speed_abort,
						setup_impatient, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_ends_at_its_cap, setup_impatient,
						teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_without_cap_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_before_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_self_in_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_from_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_free_cancels_pending, setup, teardown),
	};

	log_init("test_agent_http", LOGL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
