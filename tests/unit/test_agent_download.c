/* download: a resume hashes what the file already holds a piece a loop turn before it
 * asks for the rest, so a partial image of hundreds of MB does not hold the agent's loop;
 * the digest still covers the whole file. Against a transport that records the request
 * and lets the test feed the body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "../../agent/download.h"
#include "../../lib/crypto.h"

#define TOTAL (4u << 20)
#define PARTIAL (3u * (1u << 20) + 12345u) /* more than three REHASH_CHUNKs */

struct fake_net {
	int started;
	struct http_request_spec spec;
	char dummy;
};

static struct http_request *fake_start(void *priv, const struct http_request_spec *spec)
{
	struct fake_net *n = priv;
	n->started++;
	n->spec = *spec;
	return (struct http_request *)&n->dummy;
}

static void fake_cancel(void *priv, struct http_request *req)
{
	(void)priv;
	(void)req;
}

static const struct transport_ops fake_ops = { fake_start, fake_cancel };

struct outcome {
	int calls;
	enum download_outcome outcome;
	char reason[256];
};

static void on_done(enum download_outcome o, const char *reason, const struct api_result *r,
		    void *arg)
{
	struct outcome *out = arg;
	(void)r;
	out->calls++;
	out->outcome = o;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

static unsigned char *artifact(void)
{
	unsigned char *b = malloc(TOTAL);
	assert_non_null(b);
	for (size_t i = 0; i < TOTAL; i++)
		b[i] = (unsigned char)(i * 7 + (i >> 13));
	return b;
}

static void write_file(const char *path, const unsigned char *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
}

static void test_resume_hashes_a_piece_a_turn_then_asks_for_the_rest(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_download.XXXXXX", path[64], hex[CRYPTO_SHA256_HEX_LEN];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/image", dir);
	unsigned char *b = artifact();
	crypto_sha256_hex(b, TOTAL, hex);
	write_file(path, b, PARTIAL);

	struct event_base *base = event_base_new();
	struct fake_net n = { 0 };
	struct transport net = { &fake_ops, &n };
	struct outcome out = { 0 };
	struct download_spec spec = { .url = "http://cloud.invalid/a", .path = path,
				      .size = TOTAL, .sha256 = hex, .done = on_done, .arg = &out,
				      .base = base };
	struct download *d = NULL;
	char reason[256];
	assert_int_equal(download_start(&net, &spec, &d, reason, sizeof(reason)), 0);
	assert_non_null(d);
	assert_int_equal(n.started, 0); /* nothing asked before the file is hashed */
	int turns = 0;
	while (!n.started && !out.calls && turns < 100) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		turns++;
	}
	assert_int_equal(out.calls, 0);
	assert_int_equal(n.started, 1);
	assert_true(turns >= 4); /* 3 MiB and a bit, 1 MiB a turn */
	assert_int_equal(n.spec.resume_from, PARTIAL);
	/* the rest, as a server's 206 would send it */
	for (size_t at = PARTIAL; at < TOTAL;) {
		size_t len = TOTAL - at < 16384 ? TOTAL - at : 16384;
		assert_int_equal(n.spec.sink(b + at, len, n.spec.sink_arg), len);
		at += len;
	}
	struct http_response resp = { .status = 206 };
	n.spec.done(&resp, n.spec.done_arg);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.outcome, DOWNLOAD_DONE);

	unlink(path);
	rmdir(dir);
	event_base_free(base);
	free(b);
}

/* A file whose start was changed while the agent was away: the hash of the whole file
 * does not match, and the file goes. */
static void test_resume_of_a_changed_file_fails_on_the_hash(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_download.XXXXXX", path[64], hex[CRYPTO_SHA256_HEX_LEN];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/image", dir);
	unsigned char *b = artifact();
	crypto_sha256_hex(b, TOTAL, hex);
	b[5] ^= 1;
	write_file(path, b, TOTAL); /* whole, but not the artifact */

	struct event_base *base = event_base_new();
	struct fake_net n = { 0 };
	struct transport net = { &fake_ops, &n };
	struct outcome out = { 0 };
	struct download_spec spec = { .url = "http://cloud.invalid/a", .path = path,
				      .size = TOTAL, .sha256 = hex, .done = on_done, .arg = &out,
				      .base = base };
	struct download *d = NULL;
	char reason[256];
	assert_int_equal(download_start(&net, &spec, &d, reason, sizeof(reason)), 0);
	assert_int_equal(out.calls, 0); /* never inside the call */
	for (int turns = 0; !out.calls && turns < 100; turns++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(n.started, 0); /* whole already: nothing to ask */
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.outcome, DOWNLOAD_FAILED);
	assert_non_null(strstr(out.reason, "SHA-256 mismatch"));
	assert_int_not_equal(access(path, F_OK), 0);

	rmdir(dir);
	event_base_free(base);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_hashes_a_piece_a_turn_then_asks_for_the_rest),
		cmocka_unit_test(test_resume_of_a_changed_file_fails_on_the_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
