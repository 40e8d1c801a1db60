/* image_reader: the checking reader every backend installs through. It hands out
 * the image's bytes and refuses, before the last of them, an image whose size or
 * SHA-256 is not what was verified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/crypto.h"
#include "../../platform/image_reader.h"

#define IMAGE_LEN 100000

struct fixture {
	char path[64];
	char sha[CRYPTO_SHA256_HEX_LEN];
	char reason[PLATFORM_REASON_MAX];
	struct image_reader r;
};

static void write_bytes(const char *path, const char *mode, const void *data, size_t len)
{
	FILE *fp = fopen(path, mode);

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *data = malloc(IMAGE_LEN);
	int fd;

	assert_non_null(f);
	assert_non_null(data);
	snprintf(f->path, sizeof(f->path), "/tmp/image-reader-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < IMAGE_LEN; i++)
		data[i] = (char)(i * 7 + 3);
	write_bytes(f->path, "wb", data, IMAGE_LEN);
	crypto_sha256_hex(data, IMAGE_LEN, f->sha);
	free(data);
	f->r.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	image_reader_close(&f->r);
	unlink(f->path);
	free(f);
	return 0;
}

static int open_as(struct fixture *f, uint64_t size)
{
	struct platform_image img = { .path = f->path, .size = size, .sha256 = f->sha };

	return image_reader_open(&f->r, &img, f->reason, sizeof(f->reason));
}

/* Reads in odd chunks; returns the bytes handed out, or -1 - handed out on failure. */
static long read_all(struct fixture *f)
{
	char chunk[4097];
	long total = 0;
	ssize_t n;

	while ((n = image_reader_read(&f->r, chunk, sizeof(chunk), f->reason,
				      sizeof(f->reason))) > 0)
		total += n;
	return n < 0 ? -1 - total : total;
}

static void flip_byte(struct fixture *f, long at)
{
	FILE *fp = fopen(f->path, "r+b");

	assert_non_null(fp);
	assert_int_equal(fseek(fp, at, SEEK_SET), 0);
	int c = fgetc(fp);
	assert_int_equal(fseek(fp, at, SEEK_SET), 0);
	assert_int_equal(fputc(c ^ 0x55, fp), c ^ 0x55);
	assert_int_equal(fclose(fp), 0);
}

static void test_verified_image_read_whole(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(open_as(f, IMAGE_LEN), 0);
	assert_int_equal(read_all(f), IMAGE_LEN);
	/* after the end, reads stay at the end */
	assert_int_equal(read_all(f), 0);
}

static void test_changed_byte_refused_before_last_byte(void **state)
{
	struct fixture *f = *state;
	long got;

	assert_int_equal(open_as(f, IMAGE_LEN), 0);
	flip_byte(f, IMAGE_LEN / 2); /* after open: the reader sees what is on disk now */
	got = read_all(f);
	assert_true(got < 0);
	assert_true(-1 - got < IMAGE_LEN); /* the last chunk was never handed out */
	assert_non_null(strstr(f->reason, "image changed after verification: SHA-256"));
	assert_non_null(strstr(f->reason, f->sha));
}

static void test_grown_image_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(open_as(f, IMAGE_LEN), 0);
	write_bytes(f->path, "ab", "x", 1);
	assert_true(read_all(f) < 0);
	assert_string_equal(f->reason, "image changed after verification: it grew");
}

static void test_shrunk_image_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(open_as(f, IMAGE_LEN), 0);
	assert_int_equal(truncate(f->path, IMAGE_LEN - 10), 0);
	assert_true(read_all(f) < 0);
	assert_string_equal(f->reason, "image changed after verification: it shrank");
}

static void test_wrong_size_refused_at_open(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(open_as(f, IMAGE_LEN + 1), -1);
	assert_non_null(strstr(f->reason, "image changed after verification"));
	assert_int_equal(f->r.fd, -1);
}

static void test_missing_image_refused(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	assert_int_equal(open_as(f, IMAGE_LEN), -1);
	assert_non_null(strstr(f->reason, "cannot open image"));
}

static void test_rewind_hashes_again(void **state)
{
	struct fixture *f = *state;
	char chunk[1000];

	assert_int_equal(open_as(f, IMAGE_LEN), 0);
	assert_int_equal(image_reader_read(&f->r, chunk, sizeof(chunk), f->reason,
					   sizeof(f->reason)),
			 sizeof(chunk));
	assert_int_equal(image_reader_rewind(&f->r), 0);
	assert_int_equal(read_all(f), IMAGE_LEN); /* the first 1000 bytes are hashed once */
	assert_int_equal(image_reader_rewind(&f->r), 0);
	assert_int_equal(read_all(f), IMAGE_LEN);
}

static void test_close_unopened_is_safe(void **state)
{
	struct image_reader r = { .fd = -1 };

	(void)state;
	image_reader_close(&r);
	image_reader_close(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_verified_image_read_whole),
		T(test_changed_byte_refused_before_last_byte),
		T(test_grown_image_refused),
		T(test_shrunk_image_refused),
		T(test_wrong_size_refused_at_open),
		T(test_missing_image_refused),
		T(test_rewind_hashes_again),
		cmocka_unit_test(test_close_unopened_is_safe),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
