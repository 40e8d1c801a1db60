/* Unit tests for lib/buf: the size cap, NUL termination, printf and reuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/buf.h"

static void test_empty_is_empty_string(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_append_and_terminate(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append_str(&b, "def"), 0);
	assert_int_equal(b.len, 6);
	assert_int_equal(b.data[6], '\0');
	assert_string_equal(buf_str(&b), "abcdef");
	/* Binary data with NULs keeps its length. */
	assert_int_equal(buf_append(&b, "\0x", 2), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdef\0x", 9);
	buf_free(&b);
}

static void test_zero_length_append_allocates(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_append(&b, "x", 1), -1);
	buf_free(&b);
}

static void test_cap_is_enforced(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	errno = 0;
	assert_int_equal(buf_append(&b, "x", 1), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_str(&b), "0123456789");
	assert_true(b.alloc <= 11);
	buf_free(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "01234567890", 11), -1);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_huge_append_does_not_wrap(void **state)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
}

static void test_printf(void **state)
{
	struct buf b;

	buf_init(&b, 20);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_int_equal(buf_printf(&b, ";%05d", 7), 0);
	assert_string_equal(buf_str(&b), "n=42;00007");
	assert_int_equal(b.len, 10);
	/* Over the cap: fails, content unchanged. */
	assert_int_equal(buf_printf(&b, "%s", "01234567890"), -1);
	assert_string_equal(buf_str(&b), "n=42;00007");
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), 0);
	assert_int_equal(b.len, 20);
	buf_free(&b);
}

static void test_reset_keeps_allocation(void **state)
{
	struct buf b;

	buf_init(&b, 1000);
	assert_int_equal(buf_append_str(&b, "hello world"), 0);
	char *data = b.data;
	size_t alloc = b.alloc;
	buf_reset(&b);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.alloc, alloc);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_append_str(&b, "x"), 0);
	assert_string_equal(buf_str(&b), "x");
	buf_free(&b);
}

static void test_free_zeroed_and_twice(void **state)
{
	struct buf b;

	memset(&b, 0, sizeof(b));
	buf_free(&b);
	buf_init(&b, 10);
	assert_int_equal(buf_append_str(&b, "abc"), 0);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	/* Reusable after free, cap kept. */
	assert_int_equal(buf_append_str(&b, "0123456789"), 0);
	assert_int_equal(buf_append_str(&b, "x"), -1);
	buf_free(&b);
}

static void test_growth_keeps_content(void **state)
{
	struct buf b;
	const size_t n = 100000;

	buf_init(&b, n);
	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + i % 26);
		assert_int_equal(buf_append(&b, &c, 1), 0);
	}
	assert_int_equal(b.len, n);
	assert_true(b.alloc <= n + 1);
	for (size_t i = 0; i < n; i++)
		if (b.data[i] != (char)('a' + i % 26))
			fail_msg("byte %zu wrong", i);
	assert_int_equal(b.data[n], '\0');
	assert_int_equal(buf_append(&b, "x", 1), -1);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_empty_string),
		cmocka_unit_test(test_append_and_terminate),
		cmocka_unit_test(test_zero_length_append_allocates),
		cmocka_unit_test(test_cap_is_enforced),
		cmocka_unit_test(test_huge_append_does_not_wrap),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_free_zeroed_and_twice),
		cmocka_unit_test(test_growth_keeps_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
