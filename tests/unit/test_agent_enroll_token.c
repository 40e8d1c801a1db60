/* Unit tests for the enrollment token format (protocol.md §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../agent/enroll.h"

static void make_token(const char *json, char *out, size_t outsz)
{
	strcpy(out, "cam1.");
	assert_true(base64url_encode(json, strlen(json), out + 5, outsz - 5) > 0);
}

#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void valid_token_parses(void **state)
{
	char tok[1024], err[256];
	struct enroll_token t;
	make_token("{\"url\":\"https://c.example\",\"secret\":\"s3cr3t\",\"fp\":\"" FP "\"}", tok,
		   sizeof(tok));
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), 0);
	assert_string_equal(t.url, "https://c.example");
	assert_string_equal(t.secret, "s3cr3t");
	assert_string_equal(t.fp, FP);
}

static void damaged_tokens_refused(void **state)
{
	char tok[1024], err[256];
	struct enroll_token t;
	assert_int_equal(enroll_token_parse("cam2.abc", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cam1."));
	assert_int_equal(enroll_token_parse("cam1.!!!!", &t, err, sizeof(err)), -1);
	make_token("{\"url\":\"https://c\",\"secret\":\"s\"}", tok, sizeof(tok)); /* no fp */
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), -1);
	make_token("{\"url\":\"https://c\",\"secret\":\"s\",\"fp\":\"ABC\"}", tok, sizeof(tok));
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), -1);
	make_token("{\"url\":\"\",\"secret\":\"s\",\"fp\":\"" FP "\"}", tok, sizeof(tok));
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), -1);
	make_token("[1,2,3]", tok, sizeof(tok));
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), -1);
	/* Secrets never appear in the error text. */
	make_token("{\"url\":\"https://c\",\"secret\":\"topsecret\",\"fp\":\"xyz\"}", tok, sizeof(tok));
	assert_int_equal(enroll_token_parse(tok, &t, err, sizeof(err)), -1);
	assert_null(strstr(err, "topsecret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_token_parses),
		cmocka_unit_test(damaged_tokens_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
