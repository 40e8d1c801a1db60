/* Unit tests for lib/json: strict parsing (malformed input is rejected), typed
 * reads, dotted paths, unescaping, and writer -> reader round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/json.h"

static int parses(const char *text, size_t len, int max_tokens)
{
	struct json_doc doc;
	int rc = json_parse(&doc, text, len, max_tokens);

	json_free(&doc);
	return rc;
}

#define PARSES(s) parses((s), sizeof(s) - 1, JSON_MAX_TOKENS_DEFAULT)

static void test_valid_documents(void **state)
{
	static const char *ok[] = {
		"{}", "[]", " { } ", "\t\r\n[ ]\n", "{\"a\":1}", "{\"a\" : [1, 2.5, -3e+2, 0.0e-1]}",
		"{\"a\":{\"b\":{\"c\":[true,false,null,\"x\"]}}}", "[[],{},[[]],\"\"]",
		"1", "-0", " 42 ", "\"str\"", "true", "null", "\"\\u00e9\\ud83d\\ude00\"",
		"{\"k\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", "[1e10,1E-2,-0.5]",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (parses(ok[i], strlen(ok[i]), 64) != 0)
			fail_msg("valid JSON rejected: %s", ok[i]);
}

static void test_malformed_documents(void **state)
{
	static const char *bad[] = {
		"", " ", "{", "[", "}", "{\"a\":1", "{\"a\":1,", "[1,2", "\"abc",
		"{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]", "[,1]", "{,}", "{\"a\"}", "{\"a\":}",
		"{1:2}", "{\"a\":1 \"b\":2}", "{\"a\":1}x", "{\"a\":1}{}", "[] []", "[]]", "1 2",
		"01", "1.", ".5", "-", "1e", "1e+", "+1", "--1", "0x10", "tru", "nul", "truex",
		"True", "NaN", "Infinity", "[true false]", "'a'", "{'a':1}", "[1,,2]",
		"\"a\\x\"", "\"\\u12G4\"", "\"\\u123\"", "\"\\", "\"tab\there\"", "\"nl\n\"",
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"",
		"\xef\xbb\xbf{}", "{\"a\":1}/", "[1]/*c*/", "{\"a\":[}", "{\"a\":{]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parses(bad[i], strlen(bad[i]), 64) == 0)
			fail_msg("malformed JSON accepted: %s", bad[i]);
}

static void test_duplicate_keys_refused_at_every_level(void **state)
{
	static const char *dup[] = {
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":1}", "{\"x\":{\"k\":1,\"k\":1}}",
		"[{\"a\":1},{\"b\":[{\"c\":0,\"c\":0}]}]", "{\"a\":1,\"\\u0061\":2}",
		"{\"\\u00e9\":1,\"\xc3\xa9\":2}", "{\"a\":{},\"a\":{}}",
		"{\"payload\":\"x\",\"signature\":\"y\",\"payload\":\"z\"}",
	};
	static const char *distinct[] = {
		"{\"a\":1,\"b\":{\"a\":1}}", "[{\"a\":1},{\"a\":2}]", "{\"a\":1,\"A\":2}",
		"{\"a\":1,\"ab\":2,\"b\":3}", "{\"a\":[\"a\",\"a\"]}", "{\"a\":\"a\",\"\\u0062\":1}",
	};
	for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++)
		if (parses(dup[i], strlen(dup[i]), 64) == 0)
			fail_msg("duplicate key accepted: %s", dup[i]);
	for (size_t i = 0; i < sizeof(distinct) / sizeof(distinct[0]); i++)
		if (parses(distinct[i], strlen(distinct[i]), 64) != 0)
			fail_msg("distinct keys refused: %s", distinct[i]);
}

static void test_root_types(void **state)
{
	static const struct {
		const char *text;
		enum json_type type;
	} cases[] = {
		{ "{}", JSON_OBJECT }, { " [ ] ", JSON_ARRAY }, { "{\"a\":1}", JSON_OBJECT },
		{ "[1]", JSON_ARRAY }, { "\"s\"", JSON_STRING }, { " 12 ", JSON_PRIMITIVE },
		{ "null", JSON_PRIMITIVE },
	};
	struct json_doc doc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(json_parse(&doc, cases[i].text, strlen(cases[i].text), 8), 0);
		assert_int_equal(json_type_of(&doc, 0), cases[i].type);
		json_free(&doc);
	}
	assert_int_equal(json_parse(&doc, "[]", 2, 8), 0);
	assert_int_equal(json_array_len(&doc, 0), 0);
	assert_int_equal(json_array_at(&doc, 0, 0), -1);
	json_free(&doc);
	assert_int_equal(json_parse(&doc, "{}", 2, 8), 0);
	assert_int_equal(json_find(&doc, 0, "a"), -1);
	json_free(&doc);
	int64_t v;
	assert_int_equal(json_parse(&doc, " -17 ", 5, 8), 0);
	assert_int_equal(json_tok_int64(&doc, 0, &v), 0);
	assert_int_equal(v, -17);
	json_free(&doc);
}

static void test_embedded_nul_and_length(void **state)
{
	/* A NUL inside the given length is garbage, not an end of text. */
	assert_int_equal(parses("{\"a\":1}\0x", 9, 16), -1);
	assert_int_equal(parses("{\"a\":1}\0", 8, 16), -1);
	assert_int_equal(parses("[\"a\0b\"]", 7, 16), -1);
	/* Truncated by len: the bytes beyond len are not read. */
	assert_int_equal(parses("{\"a\":1}garbage", 7, 16), 0);
	assert_int_equal(parses("{\"a\":1}", 6, 16), -1);
	struct json_doc doc;
	assert_int_equal(json_parse(&doc, NULL, 0, 16), -1);
	json_free(&doc);
}

static void test_depth_limit(void **state)
{
	char deep[200];
	int n;

	for (n = 0; n < 64; n++)
		deep[n] = '[';
	for (int i = 0; i < 64; i++)
		deep[n++] = ']';
	assert_int_equal(parses(deep, (size_t)n, 200), 0);
	for (n = 0; n < 65; n++)
		deep[n] = '[';
	for (int i = 0; i < 65; i++)
		deep[n++] = ']';
	assert_int_equal(parses(deep, (size_t)n, 200), -1);
}

static void test_token_limit(void **state)
{
	/* [1,2,3] is 4 tokens; {"a":[1]} is 4 (object, key, array, 1). */
	assert_int_equal(parses("[1,2,3]", 7, 4), 0);
	assert_int_equal(parses("[1,2,3]", 7, 3), -1);
	assert_int_equal(parses("{\"a\":[1]}", 9, 4), 0);
	assert_int_equal(parses("{\"a\":[1]}", 9, 3), -1);
	assert_int_equal(parses("1", 1, 1), 0);
	assert_int_equal(parses("1", 1, 0), -1);
	assert_int_equal(parses("[]", 2, -5), -1);
}

static void test_find_and_paths(void **state)
{
	static const char text[] =
		"{\"big\":[[1,2,{\"size\":99}],{\"x\":{\"size\":98}}],"
		"\"artifact\":{\"url\":\"/a\",\"size\":1234,\"sha256\":\"ab\"},"
		"\"n\":5,\"esc\\u0061ped\":\"yes\",\"a.b\":1}";
	struct json_doc doc;
	int64_t v;
	char s[16];

	assert_int_equal(json_parse(&doc, text, sizeof(text) - 1, 64), 0);
	assert_int_equal(json_type_of(&doc, 0), JSON_OBJECT);
	assert_int_equal(json_get_int64(&doc, 0, "artifact.size", &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(json_get_string(&doc, 0, "artifact.url", s, sizeof(s)), 0);
	assert_string_equal(s, "/a");
	assert_int_equal(json_get_int64(&doc, 0, "n", &v), 0);
	assert_int_equal(v, 5);
	/* The "size" keys inside "big" are not members of the root. */
	assert_int_equal(json_find(&doc, 0, "size"), -1);
	assert_int_equal(json_find(&doc, 0, "missing"), -1);
	assert_int_equal(json_find(&doc, 0, "artifact.missing"), -1);
	assert_int_equal(json_find(&doc, 0, "n.x"), -1);  /* through a number */
	assert_int_equal(json_find(&doc, 0, "artifact."), -1);
	assert_int_equal(json_find(&doc, 0, ""), -1);
	/* Keys are compared after unescaping. */
	assert_int_equal(json_get_string(&doc, 0, "escaped", s, sizeof(s)), 0);
	assert_string_equal(s, "yes");
	/* Searching a non-object token fails. */
	int big = json_find(&doc, 0, "big");
	assert_int_equal(json_type_of(&doc, big), JSON_ARRAY);
	assert_int_equal(json_find(&doc, big, "size"), -1);
	assert_int_equal(json_find(NULL, 0, "n"), -1);
	json_free(&doc);
}

static void test_arrays(void **state)
{
	static const char text[] = "{\"a\":[[1,[2,3]],{\"k\":[4]},\"s\",7],\"o\":{}}";
	struct json_doc doc;
	int64_t v;
	char s[4];

	assert_int_equal(json_parse(&doc, text, sizeof(text) - 1, 64), 0);
	int a = json_find(&doc, 0, "a");
	assert_int_equal(json_array_len(&doc, a), 4);
	assert_int_equal(json_type_of(&doc, json_array_at(&doc, a, 0)), JSON_ARRAY);
	assert_int_equal(json_type_of(&doc, json_array_at(&doc, a, 1)), JSON_OBJECT);
	assert_int_equal(json_tok_string(&doc, json_array_at(&doc, a, 2), s, sizeof(s)), 0);
	assert_string_equal(s, "s");
	assert_int_equal(json_tok_int64(&doc, json_array_at(&doc, a, 3), &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(json_array_at(&doc, a, 4), -1);
	assert_int_equal(json_array_at(&doc, a, -1), -1);
	int inner = json_array_at(&doc, json_array_at(&doc, a, 0), 1);
	assert_int_equal(json_array_len(&doc, inner), 2);
	assert_int_equal(json_tok_int64(&doc, json_array_at(&doc, inner, 1), &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(json_get_int64(&doc, json_array_at(&doc, a, 1), "k", &v), -1);
	assert_int_equal(json_array_len(&doc, json_find(&doc, 0, "o")), -1);
	assert_int_equal(json_array_len(&doc, 999), -1);
	assert_int_equal(json_type_of(&doc, 999), JSON_NONE);
	assert_int_equal(json_type_of(&doc, -1), JSON_NONE);
	json_free(&doc);
}

/* Parses a one-element array and reads the element as a string. */
static int read_string(const char *json, char *out, size_t outsz)
{
	struct json_doc doc;

	if (json_parse(&doc, json, strlen(json), 8))
		return -2;
	int rc = json_tok_string(&doc, json_array_at(&doc, 0, 0), out, outsz);
	json_free(&doc);
	return rc;
}

static void test_string_unescape(void **state)
{
	char s[64];

	assert_int_equal(read_string("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]", s, sizeof(s)), 0);
	assert_string_equal(s, "a\"b\\c/d\b\f\n\r\t");
	assert_int_equal(read_string("[\"\\u0041\\u00e9\\u20AC\"]", s, sizeof(s)), 0);
	assert_string_equal(s, "A\xc3\xa9\xe2\x82\xac");
	assert_int_equal(read_string("[\"\\ud83d\\ude00!\"]", s, sizeof(s)), 0);
	assert_string_equal(s, "\xf0\x9f\x98\x80!");
	assert_int_equal(read_string("[\"\\uDBFF\\uDFFF\"]", s, sizeof(s)), 0);
	assert_string_equal(s, "\xf4\x8f\xbf\xbf");
	assert_int_equal(read_string("[\"\"]", s, sizeof(s)), 0);
	assert_string_equal(s, "");
}

static void test_string_bad_escapes(void **state)
{
	char s[64];

	assert_int_equal(read_string("[\"\\ud83d\"]", s, sizeof(s)), -1);        /* lone high */
	assert_int_equal(read_string("[\"\\ud83dx\"]", s, sizeof(s)), -1);
	assert_int_equal(read_string("[\"\\ud83d\\u0041\"]", s, sizeof(s)), -1); /* high + BMP */
	assert_int_equal(read_string("[\"\\ud83d\\ud83d\"]", s, sizeof(s)), -1); /* high + high */
	assert_int_equal(read_string("[\"\\ude00\"]", s, sizeof(s)), -1);        /* lone low */
	assert_int_equal(read_string("[\"a\\u0000b\"]", s, sizeof(s)), -1);      /* NUL */
	assert_int_equal(read_string("[\"\\x41\"]", s, sizeof(s)), -2);          /* bad escape */
	assert_int_equal(read_string("[\"\\u00\"]", s, sizeof(s)), -2);
	assert_int_equal(read_string("[\"\\U0041\"]", s, sizeof(s)), -2);
}

static void test_string_buffer_size(void **state)
{
	char s[8];

	assert_int_equal(read_string("[\"abc\"]", s, 4), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(read_string("[\"abcd\"]", s, 4), -1);
	assert_int_equal(read_string("[\"\\u20ac\"]", s, 4), 0); /* 3 UTF-8 bytes + NUL */
	assert_int_equal(read_string("[\"\\u20ac\"]", s, 3), -1);
	assert_int_equal(read_string("[\"\"]", s, 0), -1);
	assert_int_equal(read_string("[5]", s, sizeof(s)), -1); /* not a string */
}

static int read_int(const char *json, int64_t *v)
{
	struct json_doc doc;

	if (json_parse(&doc, json, strlen(json), 8))
		return -2;
	int rc = json_tok_int64(&doc, json_array_at(&doc, 0, 0), v);
	json_free(&doc);
	return rc;
}

static void test_int64(void **state)
{
	int64_t v = 0;

	assert_int_equal(read_int("[0]", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(read_int("[-0]", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(read_int("[1764000000]", &v), 0);
	assert_int_equal(v, 1764000000);
	assert_int_equal(read_int("[-42]", &v), 0);
	assert_int_equal(v, -42);
	assert_int_equal(read_int("[9223372036854775807]", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(read_int("[-9223372036854775808]", &v), 0);
	assert_true(v == INT64_MIN);
	v = 7;
	assert_int_equal(read_int("[9223372036854775808]", &v), -1);
	assert_int_equal(read_int("[-9223372036854775809]", &v), -1);
	assert_int_equal(read_int("[99999999999999999999999]", &v), -1);
	assert_int_equal(read_int("[18446744073709551616]", &v), -1);
	assert_int_equal(read_int("[1.5]", &v), -1);
	assert_int_equal(read_int("[1.0]", &v), -1);
	assert_int_equal(read_int("[1e3]", &v), -1);
	assert_int_equal(read_int("[true]", &v), -1);
	assert_int_equal(read_int("[null]", &v), -1);
	assert_int_equal(read_int("[\"5\"]", &v), -1);
	assert_int_equal(read_int("[[5]]", &v), -1);
	assert_int_equal(v, 7); /* untouched on failure */
}

static void test_bool_and_null(void **state)
{
	static const char text[] =
		"{\"t\":true,\"f\":false,\"n\":null,\"one\":1,\"s\":\"true\",\"z\":0}";
	struct json_doc doc;
	int b = 5;

	assert_int_equal(json_parse(&doc, text, sizeof(text) - 1, 64), 0);
	assert_int_equal(json_get_bool(&doc, 0, "t", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(json_get_bool(&doc, 0, "f", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(json_get_bool(&doc, 0, "n", &b), -1);
	assert_int_equal(json_get_bool(&doc, 0, "one", &b), -1);
	assert_int_equal(json_get_bool(&doc, 0, "z", &b), -1);
	assert_int_equal(json_get_bool(&doc, 0, "s", &b), -1);
	assert_int_equal(json_get_bool(&doc, 0, "missing", &b), -1);
	assert_true(json_tok_is_null(&doc, json_find(&doc, 0, "n")));
	assert_false(json_tok_is_null(&doc, json_find(&doc, 0, "f")));
	assert_false(json_tok_is_null(&doc, json_find(&doc, 0, "missing")));
	json_free(&doc);
}

static void test_raw(void **state)
{
	static const char text[] = " {\"o\":{\"a\":[1,2]},\"s\":\"x\\\"y\",\"i\":-5} ";
	struct json_doc doc;
	size_t n;

	assert_int_equal(json_parse(&doc, text, sizeof(text) - 1, 64), 0);
	const char *r = json_tok_raw(&doc, json_find(&doc, 0, "o"), &n);
	assert_int_equal(n, 11);
	assert_memory_equal(r, "{\"a\":[1,2]}", 11);
	r = json_tok_raw(&doc, json_find(&doc, 0, "s"), &n);
	assert_int_equal(n, 6);
	assert_memory_equal(r, "\"x\\\"y\"", 6);
	r = json_tok_raw(&doc, json_find(&doc, 0, "i"), &n);
	assert_int_equal(n, 2);
	assert_memory_equal(r, "-5", 2);
	r = json_tok_raw(&doc, 0, &n);
	assert_int_equal(n, sizeof(text) - 3);
	assert_null(json_tok_raw(&doc, 99, &n));
	json_free(&doc);

	assert_int_equal(json_parse(&doc, " \"str\" ", 7, 4), 0);
	r = json_tok_raw(&doc, 0, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(r, "\"str\"", 5);
	json_free(&doc);
}

static void test_writer_output(void **state)
{
	struct buf b;
	struct json_writer w;

	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_kv_string(&w, "s", "a\"b\\c\x01\n");
	jw_kv_int(&w, "min", INT64_MIN);
	jw_kv_bool(&w, "t", 1);
	jw_kv_bool(&w, "f", 0);
	jw_key(&w, "n");
	jw_string(&w, NULL);
	jw_key(&w, "arr");
	jw_array_begin(&w);
	jw_int(&w, 1);
	jw_null(&w);
	jw_array_begin(&w);
	jw_array_end(&w);
	jw_object_begin(&w);
	jw_object_end(&w);
	jw_raw(&w, " {\"x\": [1]} ", 12);
	jw_array_end(&w);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(buf_str(&b),
			    "{\"s\":\"a\\\"b\\\\c\\u0001\\u000a\",\"min\":-9223372036854775808,"
			    "\"t\":true,\"f\":false,\"n\":null,\"arr\":[1,null,[],{}, {\"x\": [1]} ]}");
	buf_free(&b);
}

static void test_writer_invalid_utf8_replaced(void **state)
{
	struct buf b;
	struct json_writer w;

	buf_init(&b, 256);
	jw_init(&w, &b);
	jw_string(&w, "a\xff" "b\xc3\xa9\xe2\x82");
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(buf_str(&b), "\"a\\ufffdb\xc3\xa9\\ufffd\\ufffd\"");
	buf_free(&b);
}

/* Runs a writer sequence expected to fail; asserts jw_finish reports it. */
#define EXPECT_WRITER_FAIL(ops)                       \
	do {                                              \
		struct buf b_;                                \
		struct json_writer w_;                        \
		buf_init(&b_, 4096);                          \
		jw_init(&w_, &b_);                            \
		struct json_writer *w = &w_;                  \
		ops;                                          \
		if (jw_finish(w) != -1)                       \
			fail_msg("writer accepted: %s", #ops);    \
		buf_free(&b_);                                \
	} while (0)

static void test_writer_misuse(void **state)
{
	EXPECT_WRITER_FAIL((void)w);                                      /* nothing written */
	EXPECT_WRITER_FAIL(jw_object_begin(w));                           /* unclosed */
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_array_begin(w); jw_array_end(w));
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_int(w, 1); jw_object_end(w)); /* no key */
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_key(w, "k"); jw_int(w, 1); jw_array_end(w));
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_key(w, "a"); jw_key(w, "b"); jw_int(w, 1);
			   jw_object_end(w));
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_key(w, "a"); jw_object_end(w)); /* dangling key */
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_array_end(w));          /* mismatched */
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_object_end(w));
	EXPECT_WRITER_FAIL(jw_object_end(w));                             /* end at depth 0 */
	EXPECT_WRITER_FAIL(jw_int(w, 1); jw_int(w, 2));                   /* two roots */
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_object_end(w); jw_object_begin(w);
			   jw_object_end(w));
	EXPECT_WRITER_FAIL(jw_key(w, "k"));                               /* key at root */
	EXPECT_WRITER_FAIL(jw_object_begin(w); jw_key(w, NULL); jw_int(w, 1); jw_object_end(w));
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_raw(w, "{\"a\":}", 6); jw_array_end(w));
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_raw(w, "1,2", 3); jw_array_end(w));
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_raw(w, "", 0); jw_array_end(w));
	EXPECT_WRITER_FAIL(jw_array_begin(w); jw_raw(w, NULL, 0); jw_array_end(w));
	/* Too deep: JSON_WRITER_MAX_DEPTH levels cannot all be opened. */
	EXPECT_WRITER_FAIL(for (int i = 0; i < JSON_WRITER_MAX_DEPTH; i++) jw_array_begin(w);
			   for (int i = 0; i < JSON_WRITER_MAX_DEPTH; i++) jw_array_end(w));
}

static void test_writer_depth_ok(void **state)
{
	struct buf b;
	struct json_writer w;

	buf_init(&b, 4096);
	jw_init(&w, &b);
	for (int i = 0; i < JSON_WRITER_MAX_DEPTH - 1; i++)
		jw_array_begin(&w);
	for (int i = 0; i < JSON_WRITER_MAX_DEPTH - 1; i++)
		jw_array_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_int_equal(b.len, 2 * (JSON_WRITER_MAX_DEPTH - 1));
	buf_free(&b);
}

static void test_writer_buffer_cap(void **state)
{
	struct buf b;
	struct json_writer w;

	buf_init(&b, 16);
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_kv_string(&w, "key", "a value that is far too long");
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), -1);
	buf_free(&b);

	/* Exactly at the cap is fine. */
	buf_init(&b, 9);
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_kv_int(&w, "k", 123);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(buf_str(&b), "{\"k\":123}");
	buf_free(&b);
}

static void test_round_trip_nasty_strings(void **state)
{
	char all[200];
	size_t n = 0;
	for (int c = 1; c < 0x80; c++)
		all[n++] = (char)c;
	memcpy(all + n, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\xef\xbf\xbf", 13);
	const char *strs[] = {
		all, "", "\"", "\\", "\\u0000", "</script>", "\"},{\"admin\":true", "\x7f\x1f\x01",
		"line1\nline2\r\n\ttab", "\xe2\x80\xa8\xe2\x80\xa9", "k.e.y",
	};
	struct buf b;
	struct json_writer w;
	struct json_doc doc;
	char out[256], key[16];

	buf_init(&b, 1 << 16);
	jw_init(&w, &b);
	jw_object_begin(&w);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		jw_kv_string(&w, key, strs[i]);
	}
	jw_key(&w, "nested");
	jw_array_begin(&w);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		jw_string(&w, strs[i]);
	jw_array_end(&w);
	jw_object_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	/* The output contains no raw control characters. */
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20);

	assert_int_equal(json_parse(&doc, b.data, b.len, 64), 0);
	int arr = json_find(&doc, 0, "nested");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(json_get_string(&doc, 0, key, out, sizeof(out)), 0);
		assert_string_equal(out, strs[i]);
		assert_int_equal(json_tok_string(&doc, json_array_at(&doc, arr, (int)i), out,
						 sizeof(out)), 0);
		assert_string_equal(out, strs[i]);
	}
	json_free(&doc);
	buf_free(&b);
}

static void test_round_trip_ints(void **state)
{
	const int64_t vals[] = { 0, 1, -1, 300, INT64_MAX, INT64_MIN, 1764000000 };
	struct buf b;
	struct json_writer w;
	struct json_doc doc;
	int64_t v;

	buf_init(&b, 1024);
	jw_init(&w, &b);
	jw_array_begin(&w);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		jw_int(&w, vals[i]);
	jw_array_end(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_int_equal(json_parse(&doc, b.data, b.len, 16), 0);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_int_equal(json_tok_int64(&doc, json_array_at(&doc, 0, (int)i), &v), 0);
		assert_true(v == vals[i]);
	}
	json_free(&doc);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_documents),
		cmocka_unit_test(test_malformed_documents),
		cmocka_unit_test(test_duplicate_keys_refused_at_every_level),
		cmocka_unit_test(test_root_types),
		cmocka_unit_test(test_embedded_nul_and_length),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_token_limit),
		cmocka_unit_test(test_find_and_paths),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_string_unescape),
		cmocka_unit_test(test_string_bad_escapes),
		cmocka_unit_test(test_string_buffer_size),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_bool_and_null),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_writer_output),
		cmocka_unit_test(test_writer_invalid_utf8_replaced),
		cmocka_unit_test(test_writer_misuse),
		cmocka_unit_test(test_writer_depth_ok),
		cmocka_unit_test(test_writer_buffer_cap),
		cmocka_unit_test(test_round_trip_nasty_strings),
		cmocka_unit_test(test_round_trip_ints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
