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

/* A download of the artifact into a file that holds its first `have` bytes (flip: one
 * of them changed), on a loop of its own; started. */
struct fx {
	char dir[32], path[64], hex[CRYPTO_SHA256_HEX_LEN];
	unsigned char *b;
	struct event_base *base;
	struct fake_net n;
	struct transport net;
	struct outcome out;
	struct download *d;
};

static void fx_start(struct fx *f, size_t have, int flip)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_download.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/image", f->dir);
	f->b = artifact();
	crypto_sha256_hex(f->b, TOTAL, f->hex);
	f->b[5] ^= (unsigned char)flip;
	write_file(f->path, f->b, have);
	f->base = event_base_new();
	f->net = (struct transport){ &fake_ops, &f->n };
	struct download_spec spec = { .url = "http://cloud.invalid/a", .path = f->path,
				      .size = TOTAL, .sha256 = f->hex, .done = on_done,
				      .arg = &f->out, .base = f->base };
	char reason[256];
	assert_int_equal(download_start(&f->net, &spec, &f->d, reason, sizeof(reason)), 0);
	assert_non_null(f->d);
	assert_int_equal(f->out.calls, 0); /* never inside the call */
}

/* Turns the loop until the rest is asked for or the download ended: the turns taken. */
static int fx_turn(struct fx *f)
{
	int turns = 0;
	while (!f->n.started && !f->out.calls && turns < 100) {
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		turns++;
	}
	return turns;
}

static void fx_free(struct fx *f)
{
	unlink(f->path);
	rmdir(f->dir);
	event_base_free(f->base);
	free(f->b);
}

static void test_resume_hashes_a_piece_a_turn_then_asks_for_the_rest(void **state)
{
	(void)state;
	struct fx f;
	fx_start(&f, PARTIAL, 0);
	assert_int_equal(f.n.started, 0); /* nothing asked before the file is hashed */
	assert_true(fx_turn(&f) >= 4);    /* 3 MiB and a bit, 1 MiB a turn */
	assert_int_equal(f.out.calls, 0);
	assert_int_equal(f.n.started, 1);
	assert_int_equal(f.n.spec.resume_from, PARTIAL);
	/* the rest, as a server's 206 would send it */
	for (size_t at = PARTIAL; at < TOTAL;) {
		size_t len = TOTAL - at < 16384 ? TOTAL - at : 16384;
		assert_int_equal(f.n.spec.sink(f.b + at, len, f.n.spec.sink_arg), len);
		at += len;
	}
	struct http_response resp = { .status = 206 };
	f.n.spec.done(&resp, f.n.spec.done_arg);
	assert_int_equal(f.out.calls, 1);
	assert_int_equal(f.out.outcome, DOWNLOAD_DONE);
	fx_free(&f);
}

/* A file whose start was changed while the agent was away: the hash of the whole file
 * does not match, and the file goes. */
static void test_resume_of_a_changed_file_fails_on_the_hash(void **state)
{
	(void)state;
	struct fx f;
	fx_start(&f, TOTAL, 1); /* whole, but not the artifact */
	fx_turn(&f);
	assert_int_equal(f.n.started, 0); /* whole already: nothing to ask */
	assert_int_equal(f.out.calls, 1);
	assert_int_equal(f.out.outcome, DOWNLOAD_FAILED);
	assert_non_null(strstr(f.out.reason, "SHA-256 mismatch"));
	assert_int_not_equal(access(f.path, F_OK), 0);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_hashes_a_piece_a_turn_then_asks_for_the_rest),
		cmocka_unit_test(test_resume_of_a_changed_file_fails_on_the_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
