/* Unit tests for the shared version order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../lib/version.h"

static void numeric_fields(void **state)
{
	assert_true(version_compare("11.11.73", "12.0.1") < 0);
	assert_true(version_compare("12.0.10", "12.0.9") > 0);
	assert_true(version_compare("12.0", "12.0.1") < 0);
	assert_int_equal(version_compare("12.0.1", "12.0.1"), 0);
	assert_int_equal(version_compare("12.00.1", "12.0.1"), 0);
}

static void pre_releases_first(void **state)
{
	assert_true(version_compare("12.0.1-beta", "12.0.1") < 0);
	assert_true(version_compare("12.0.1", "12.0.1-beta") > 0);
	assert_true(version_compare("12.0.1-alpha", "12.0.1-beta") < 0);
}

static void numbers_beyond_64_bits(void **state)
{
	assert_true(version_compare("1.99999999999999999999999", "1.100000000000000000000000") < 0);
	assert_true(version_compare("1.18446744073709551616", "1.18446744073709551615") > 0);
}

static void text_and_empty(void **state)
{
	assert_int_equal(version_compare("", ""), 0);
	assert_true(version_compare("", "1") < 0);
	assert_true(version_compare("1.a", "1.b") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numeric_fields),
		cmocka_unit_test(pre_releases_first),
		cmocka_unit_test(numbers_beyond_64_bits),
		cmocka_unit_test(text_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
