/* file_check: a file read through its checking reader on a libevent loop, one chunk per
 * loop turn. It ends with the file matched and the reader rewound, or with an error when
 * the file has other bytes, shrinks or grows while it is read; its answer never comes
 * inside the start, and every turn reads at most one chunk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "../../lib/crypto.h"
#include "../../platform/file_check.h"

#define FILE_LEN (3 * FILE_CHECK_CHUNK + 12345)

struct fixture {
	char path[64];
	char sha[CRYPTO_SHA256_HEX_LEN];
	char reason[PLATFORM_REASON_MAX];
	struct image_reader r;
	struct event_base *base;
	struct file_check *check;
	int started, done, rc, turns;
	void (*each_turn)(struct fixture *f); /* meddles with the file between turns */
};

static void write_file(const char *path, size_t len, char salt)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(fputc((char)(i * 7 + salt), fp), EOF);
	assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *data = malloc(FILE_LEN);
	int fd;

	assert_non_null(f);
	assert_non_null(data);
	snprintf(f->path, sizeof(f->path), "/tmp/file-check-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	write_file(f->path, FILE_LEN, 3);
	for (size_t i = 0; i < FILE_LEN; i++)
		data[i] = (char)(i * 7 + 3);
	crypto_sha256_hex(data, FILE_LEN, f->sha);
	free(data);
	f->r.fd = -1;
	f->base = event_base_new();
	assert_non_null(f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	file_check_free(f->check);
	image_reader_close(&f->r);
	event_base_free(f->base);
	unlink(f->path);
	free(f);
	return 0;
}

static void on_checked(void *arg, int rc, const char *reason)
{
	struct fixture *f = arg;

	if (!f->started)
		fail_msg("the check answered inside its start");
	if (f->done++)
		fail_msg("the check answered twice");
	f->rc = rc;
	snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
}

/* Counts the loop's turns beside the check and lets a test change the file meanwhile. */
static void on_beside(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	f->turns++;
	if (f->each_turn)
		f->each_turn(f);
}

/* Checks the file as the task says it is (size, f->sha); the check's rc. */
static int check_as(struct fixture *f, uint64_t size)
{
	struct platform_image img = { .path = f->path, .size = size, .sha256 = f->sha };
	struct event *beside = event_new(f->base, -1, EV_PERSIST, on_beside, f);
	const struct timeval now = { 0, 0 };

	assert_non_null(beside);
	assert_int_equal(image_reader_open(&f->r, &img, f->reason, sizeof(f->reason)), 0);
	assert_int_equal(file_check_start(f->base, &f->r, on_checked, f, &f->check, f->reason,
					  sizeof(f->reason)),
			 0);
	f->started = 1;
	assert_int_equal(evtimer_add(beside, &now), 0);
	while (!f->done) {
		assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
		if (!f->done)
			assert_int_equal(evtimer_add(beside, &now), 0);
	}
	event_free(beside);
	return f->rc;
}

static void test_whole_file_matches_in_chunks(void **state)
{
	struct fixture *f = *state;
	char buf[16];

	assert_int_equal(check_as(f, FILE_LEN), 0);
	/* the loop turned between chunks: at least one turn per chunk read */
	assert_true(f->turns >= (int)(FILE_LEN / FILE_CHECK_CHUNK));
	/* rewound for the upload: the first bytes again, hashed from scratch */
	assert_int_equal(f->r.done, 0);
	assert_int_equal(image_reader_read(&f->r, buf, sizeof(buf), f->reason, sizeof(f->reason)),
			 sizeof(buf));
	assert_int_equal(buf[1], (char)(1 * 7 + 3));
}

static void test_other_bytes_fail(void **state)
{
	struct fixture *f = *state;

	f->sha[0] = f->sha[0] == 'a' ? 'b' : 'a';
	assert_int_equal(check_as(f, FILE_LEN), -1);
	assert_non_null(strstr(f->reason, "SHA-256"));
}

static void truncate_after_first_turn(struct fixture *f)
{
	if (f->turns == 1)
		assert_int_equal(truncate(f->path, FILE_CHECK_CHUNK + 10), 0);
}

static void test_truncated_while_hashed_fails(void **state)
{
	struct fixture *f = *state;

	f->each_turn = truncate_after_first_turn;
	assert_int_equal(check_as(f, FILE_LEN), -1);
	assert_non_null(strstr(f->reason, "shrank"));
}

static void grow_after_first_turn(struct fixture *f)
{
	FILE *fp;

	if (f->turns != 1)
		return;
	fp = fopen(f->path, "ab");
	assert_non_null(fp);
	assert_int_equal(fputs("more", fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void test_grown_while_hashed_fails(void **state)
{
	struct fixture *f = *state;

	f->each_turn = grow_after_first_turn;
	assert_int_equal(check_as(f, FILE_LEN), -1);
	assert_non_null(strstr(f->reason, "grew"));
}

static void rewrite_after_first_turn(struct fixture *f)
{
	if (f->turns == 1)
		write_file(f->path, FILE_LEN, 4); /* same size, other bytes */
}

static void test_changed_while_hashed_fails(void **state)
{
	struct fixture *f = *state;

	f->each_turn = rewrite_after_first_turn;
	assert_int_equal(check_as(f, FILE_LEN), -1);
	assert_non_null(strstr(f->reason, "SHA-256"));
}

static void test_freed_in_flight_never_answers(void **state)
{
	struct fixture *f = *state;
	struct platform_image img = { .path = f->path, .size = FILE_LEN, .sha256 = f->sha };

	assert_int_equal(image_reader_open(&f->r, &img, f->reason, sizeof(f->reason)), 0);
	assert_int_equal(file_check_start(f->base, &f->r, on_checked, f, &f->check, f->reason,
					  sizeof(f->reason)),
			 0);
	f->started = 1;
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	file_check_free(f->check);
	f->check = NULL;
	assert_true(event_base_loop(f->base, EVLOOP_NONBLOCK) >= 0);
	assert_int_equal(f->done, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_whole_file_matches_in_chunks),
		T(test_other_bytes_fail),
		T(test_truncated_while_hashed_fails),
		T(test_grown_while_hashed_fails),
		T(test_changed_while_hashed_fails),
		T(test_freed_in_flight_never_answers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
