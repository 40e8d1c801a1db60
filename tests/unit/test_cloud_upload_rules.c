/* Unit tests for cloud/domain/upload_rules: the Content-Range of a chunk (what it
 * accepts and every way it refuses), the kinds and their size limits, and the deadline
 * of an abandoned upload; and the router's body limit per route, which the gate asks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/upload_rules.h"
#include "../../cloud/http/router.h"

static void test_content_range_accepted(void **state)
{
	struct content_range r;
	assert_int_equal(content_range_parse("bytes 0-1048575/67108864", &r), 0);
	assert_true(r.first == 0 && r.last == 1048575 && r.total == 67108864);
	assert_int_equal(content_range_parse("bytes 9-9/10", &r), 0);
	assert_true(r.first == 9 && r.last == 9 && r.total == 10);
	assert_int_equal(content_range_parse("bytes 0-0/1", &r), 0);
	assert_int_equal(content_range_parse("bytes 0-9223372036854775806/9223372036854775807", &r), 0);
	assert_true(r.last == 9223372036854775806ULL);
}

static void test_content_range_refused(void **state)
{
	static const char *const bad[] = {
		"", "bytes", "bytes ", "bytes 0-9", "bytes 0-9/", "bytes -9/10", "bytes 0-/10",
		"bytes 5-4/10",              /* backwards */
		"bytes 0-10/10",             /* past the total */
		"bytes 0-9/*", "bytes */10", /* unknown total, unsatisfied form */
		"bytes=0-9/10", "Bytes 0-9/10", "bytes  0-9/10", "bytes 0-9/10 ", "bytes +0-9/10",
		"bytes 0 - 9/10", "bytes 0-9/10,11-12/13",
		"bytes 0-9/99999999999999999999", /* 20 digits */
	};
	struct content_range r = {1, 2, 3};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (content_range_parse(bad[i], &r) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(content_range_parse(NULL, &r), -1);
	assert_true(r.first == 1 && r.last == 2 && r.total == 3); /* untouched */
}

static void test_kinds_and_limits(void **state)
{
	assert_int_equal(upload_kind_parse("app"), UPLOAD_KIND_APP);
	assert_int_equal(upload_kind_parse("image"), UPLOAD_KIND_IMAGE);
	assert_int_equal(upload_kind_parse("App"), UPLOAD_KIND_NONE);
	assert_int_equal(upload_kind_parse(NULL), UPLOAD_KIND_NONE);
	assert_string_equal(upload_kind_name(UPLOAD_KIND_IMAGE), "image");
	assert_true(upload_size_max(UPLOAD_KIND_APP) == (uint64_t)1 << 31);
	assert_true(upload_size_max(UPLOAD_KIND_IMAGE) == (uint64_t)1 << 32);
	assert_true(upload_size_max(UPLOAD_KIND_NONE) == 0);
	assert_true(upload_expires_at(1000) == 1000 + 24 * 3600);
}

static void test_body_limit_per_route(void **state)
{
	const char *id = "0123456789abcdef0123456789abcdef";
	char path[64];
	snprintf(path, sizeof(path), "/admin/v1/uploads/%s", id);
	assert_int_equal(router_body_max("PUT", path), UPLOAD_CHUNK_MAX);
	assert_int_equal(router_body_max("GET", path), CLOUD_BODY_MAX);
	assert_int_equal(router_body_max("POST", "/admin/v1/uploads"), CLOUD_BODY_MAX);
	assert_int_equal(router_body_max("PUT", "/admin/v1/uploads/not-an-id"), CLOUD_BODY_MAX);
	snprintf(path, sizeof(path), "/admin/v1/uploads/%s/finish", id);
	assert_int_equal(router_body_max("POST", path), CLOUD_BODY_MAX);
	assert_int_equal(router_body_max("PUT", path), CLOUD_BODY_MAX);
	assert_int_equal(router_body_max("POST", "/admin/v1/apps"), CLOUD_BODY_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_range_accepted),
		cmocka_unit_test(test_content_range_refused),
		cmocka_unit_test(test_kinds_and_limits),
		cmocka_unit_test(test_body_limit_per_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
