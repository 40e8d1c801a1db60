/* Unit tests for cloud/mail/mailer against a real local SMTP sink (tests/tools/
 * smtp_sink.py, Debian python3-aiosmtpd) started and stopped by each test: a mail
 * arrives whole (headers, an encoded UTF-8 subject, CRLF lines, a leading dot kept);
 * sending returns at once and the loop does the transfer; a relay that refuses is
 * retried with a growing wait; one that never answers is given up after the attempts
 * with the reason reported; malformed input and a full queue are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../cloud/mail/mailer.h"
#include "../../lib/buf.h"
#include "../../lib/fsutil.h"

#define SINK_SCRIPT "tests/tools/smtp_sink.py"
#define SINK_PYTHON "/usr/bin/python3" /* the interpreter Debian's aiosmtpd is for */

struct t {
	char dir[64];
	char url[64];
	pid_t sink;
	struct event_base *base;
	struct mail_result last;
	char why[512];
	char tag[MAIL_TAG_MAX + 1];
	int done;
};

static void on_done(void *arg, const struct mail_result *r)
{
	struct t *t = arg;
	t->last = *r;
	snprintf(t->why, sizeof(t->why), "%s", r->why);
	t->last.why = t->why;
	snprintf(t->tag, sizeof(t->tag), "%s", r->tag);
	t->last.to = t->last.subject = NULL; /* owned by the mailer, gone after the call */
	t->done++;
}

/* Starts the sink (refusing the first fail_first mails) and waits for its port. */
static void sink_start(struct t *t, int fail_first)
{
	char port_file[96], fails[16], mails[96];
	snprintf(port_file, sizeof(port_file), "%s/port", t->dir);
	snprintf(mails, sizeof(mails), "%s/mails", t->dir);
	snprintf(fails, sizeof(fails), "%d", fail_first);
	t->sink = fork();
	assert_true(t->sink >= 0);
	if (t->sink == 0) {
		execl(SINK_PYTHON, SINK_PYTHON, SINK_SCRIPT, "--dir", mails, "--port-file", port_file,
		      "--fail-first", fails, (char *)NULL);
		_exit(127);
	}
	struct buf b;
	buf_init(&b, 64);
	for (int i = 0; i < 200 && fs_read_file(port_file, &b, 64) != 0; i++)
		usleep(50 * 1000);
	assert_true(b.len > 0);
	snprintf(t->url, sizeof(t->url), "smtp://127.0.0.1:%d", atoi(buf_str(&b)));
	buf_free(&b);
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/camcloud-mail.XXXXXX");
	if (!t || !mkdtemp(t->dir))
		return -1;
	t->base = event_base_new();
	*state = t;
	return t->base ? 0 : -1;
}

static int teardown(void **state)
{
	struct t *t = *state;
	char cmd[128];
	if (t->sink > 0) {
		kill(t->sink, SIGTERM);
		waitpid(t->sink, NULL, 0);
	}
	event_base_free(t->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static struct mailer *new_mailer(struct t *t, int attempts, int first_retry_ms, size_t queue)
{
	struct mailer *m = NULL;
	struct mailer_config cfg = {
		.smtp_url = t->url, .from = "camcloud@example.test", .max_attempts = attempts,
		.first_retry_ms = first_retry_ms, .timeout_s = 10, .queue_max = queue,
		.done = on_done, .done_arg = t,
	};
	assert_int_equal(mailer_new(t->base, &cfg, &m), 0);
	return m;
}

/* Runs the loop until `want` mails are done (or 20 s pass). */
static void run_until_done(struct t *t, int want)
{
	struct timeval limit, now;
	gettimeofday(&limit, NULL);
	limit.tv_sec += 20;
	while (t->done < want) {
		event_base_loop(t->base, EVLOOP_ONCE);
		gettimeofday(&now, NULL);
		if (timercmp(&now, &limit, >))
			fail_msg("mail not done within 20 s");
	}
}

static double ms_since(const struct timeval *start)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	       (double)(now.tv_usec - start->tv_usec) / 1000.0;
}

static void read_mail(struct t *t, int n, struct buf *out)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/mails/%04d.eml", t->dir, n);
	buf_init(out, 1 << 20);
	assert_int_equal(fs_read_file(path, out, 1 << 20), 0);
}

static void test_mail_sent_to_sink(void **state)
{
	struct t *t = *state;
	struct buf mail;
	sink_start(t, 0);
	struct mailer *m = new_mailer(t, 1, 0, 0);
	assert_int_equal(mailer_send(m, "viewer@example.test", "Invitation à Acme",
				     "Hello,\n.a line with a leading dot\nBye\n", "org-1"), 0);
	/* queued, not sent: sending never waits for the relay */
	assert_int_equal(mailer_pending(m), 1);
	assert_int_equal(t->done, 0);
	run_until_done(t, 1);
	assert_int_equal(t->last.sent, 1);
	assert_int_equal(t->last.attempts, 1);
	assert_string_equal(t->last.why, "");
	assert_string_equal(t->tag, "org-1");
	assert_int_equal(mailer_pending(m), 0);
	read_mail(t, 1, &mail);
	const char *s = buf_str(&mail);
	assert_non_null(strstr(s, "X-Sink-From: camcloud@example.test\r\n"));
	assert_non_null(strstr(s, "X-Sink-To: viewer@example.test\r\n"));
	assert_non_null(strstr(s, "To: <viewer@example.test>\r\n"));
	assert_non_null(strstr(s, "From: <camcloud@example.test>\r\n"));
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?SW52aXRhdGlvbiDDoCBBY21l?=\r\n"));
	assert_non_null(strstr(s, "Message-ID: <"));
	assert_non_null(strstr(s, "\r\n\r\nHello,\r\n.a line with a leading dot\r\nBye\r\n"));
	buf_free(&mail);
	mailer_free(m);
}

static void test_mail_retries_with_backoff(void **state)
{
	struct t *t = *state;
	struct timeval start;
	sink_start(t, 2); /* the first two are refused with 451 */
	struct mailer *m = new_mailer(t, 5, 200, 0);
	gettimeofday(&start, NULL);
	assert_int_equal(mailer_send(m, "a@example.test", "retry", "x\n", NULL), 0);
	run_until_done(t, 1);
	assert_int_equal(t->last.sent, 1);
	assert_int_equal(t->last.attempts, 3);
	assert_true(ms_since(&start) >= 200 + 400); /* waited 200 ms, then twice that */
	struct buf mail;
	read_mail(t, 1, &mail); /* exactly one copy arrived */
	buf_free(&mail);
	char path[128];
	snprintf(path, sizeof(path), "%s/mails/0002.eml", t->dir);
	assert_int_not_equal(access(path, F_OK), 0);
	mailer_free(m);
}

static void test_mail_failure_reported(void **state)
{
	struct t *t = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	close(fd);
	snprintf(t->url, sizeof(t->url), "smtp://127.0.0.1:%d", ntohs(a.sin_port));
	struct mailer *m = new_mailer(t, 3, 50, 0);
	assert_int_equal(mailer_send(m, "a@example.test", "lost", "x\n", NULL), 0);
	run_until_done(t, 1);
	assert_int_equal(t->done, 1);
	assert_int_equal(t->last.sent, 0);
	assert_int_equal(t->last.attempts, 3);
	assert_true(strlen(t->last.why) > 0);
	mailer_free(m);
}

static void test_mail_refuses_malformed(void **state)
{
	struct t *t = *state;
	struct mailer *m = NULL;
	snprintf(t->url, sizeof(t->url), "smtp://127.0.0.1:9");
	struct mailer_config bad = {.smtp_url = "http://relay.example.test", .from = "a@b.test"};
	assert_int_equal(mailer_new(t->base, &bad, &m), -1);
	bad.smtp_url = t->url;
	bad.from = "no address";
	assert_int_equal(mailer_new(t->base, &bad, &m), -1);
	m = new_mailer(t, 1, 0, 1);
	assert_int_equal(mailer_send(m, "a@example.test\r\nBcc: x@evil.test", "s", "b", NULL), -1);
	assert_int_equal(mailer_send(m, "<a@example.test>", "s", "b", NULL), -1);
	assert_int_equal(mailer_send(m, "a@@example.test", "s", "b", NULL), -1);
	assert_int_equal(mailer_send(m, "a@example.test", "s\r\nBcc: x@evil.test", "b", NULL), -1);
	assert_int_equal(mailer_send(m, "a@example.test", "s", "a bare\rCR", NULL), -1);
	assert_int_equal(mailer_pending(m), 0);
	assert_int_equal(mailer_send(m, "a@example.test", "s", "b", NULL), 0);
	assert_int_equal(mailer_send(m, "b@example.test", "s", "b", NULL), -1); /* queue of one */
	assert_int_equal(mailer_pending(m), 1);
	mailer_free(m); /* with a mail in flight: dropped, no report */
	assert_int_equal(t->done, 0);
	assert_true(mail_addr_ok("first.last+tag@sub.example.test"));
	assert_false(mail_addr_ok("@example.test"));
	assert_false(mail_addr_ok("a@"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mail_sent_to_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_retries_with_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_failure_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_refuses_malformed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
