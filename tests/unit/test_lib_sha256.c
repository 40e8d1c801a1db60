/* Unit tests for lib/sha256 (the streaming digest): known-answer vectors, whole and
 * fed in odd chunk sizes, and free on every lifecycle state. Built against the default
 * backend as test_lib_sha256 and linked with the mbedtls backend as test_lib_sha256_mbedtls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/crypto.h"
#include "../../lib/sha256.h"

#define MIB (1024 * 1024)

/* Streams len bytes of data in chunks of the given sizes (cycled) and returns the hex. */
static void stream_hex(const void *data, size_t len, const size_t *chunks, size_t nchunks,
		       char out[CRYPTO_SHA256_HEX_LEN])
{
	struct sha256_stream s = { 0 };
	const uint8_t *p = data;
	size_t off = 0, i = 0;

	assert_int_equal(sha256_stream_init(&s), 0);
	while (off < len) {
		size_t n = chunks[i++ % nchunks];
		if (n > len - off)
			n = len - off;
		sha256_stream_update(&s, p + off, n);
		off += n;
	}
	assert_int_equal(sha256_stream_finish_hex(&s, out), 0);
	sha256_stream_free(&s);
}

static void test_empty_input_gives_the_known_digest(void **state)
{
	const size_t whole[] = { 1 };
	char hex[CRYPTO_SHA256_HEX_LEN];

	stream_hex("", 0, whole, 1, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc_gives_the_known_digest_whole_and_byte_by_byte(void **state)
{
	const size_t whole[] = { 3 }, bytes[] = { 1 };
	const char *want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char hex[CRYPTO_SHA256_HEX_LEN];

	stream_hex("abc", 3, whole, 1, hex);
	assert_string_equal(hex, want);
	stream_hex("abc", 3, bytes, 1, hex);
	assert_string_equal(hex, want);
}

static void test_two_block_message_gives_the_known_digest(void **state)
{
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	const size_t odd[] = { 55, 1 }; /* splits right at the padding boundary */
	char hex[CRYPTO_SHA256_HEX_LEN];

	stream_hex(msg, strlen(msg), odd, 2, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_one_mib_of_a_in_odd_chunks_gives_the_known_digest(void **state)
{
	const char *want = "9bc1b2a288b26af7257a36277ae3816a7d4f16e89c1e7e77d0a5c48bad62b360";
	const size_t whole[] = { MIB }, odd[] = { 1, 63, 65, 4097, 999, 65537, 7 };
	char hex[CRYPTO_SHA256_HEX_LEN];
	char *a = malloc(MIB);

	assert_non_null(a);
	memset(a, 'a', MIB);
	stream_hex(a, MIB, whole, 1, hex);
	assert_string_equal(hex, want);
	stream_hex(a, MIB, odd, sizeof(odd) / sizeof(odd[0]), hex);
	assert_string_equal(hex, want);
	free(a);
}

static void test_streams_are_independent(void **state)
{
	struct sha256_stream x = { 0 }, y = { 0 };
	char hx[CRYPTO_SHA256_HEX_LEN], hy[CRYPTO_SHA256_HEX_LEN];

	assert_int_equal(sha256_stream_init(&x), 0);
	assert_int_equal(sha256_stream_init(&y), 0);
	sha256_stream_update(&x, "ab", 2);
	sha256_stream_update(&y, "", 0);
	sha256_stream_update(&x, "c", 1);
	assert_int_equal(sha256_stream_finish_hex(&x, hx), 0);
	assert_int_equal(sha256_stream_finish_hex(&y, hy), 0);
	assert_string_equal(hx, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(hy, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_stream_free(&x);
	sha256_stream_free(&y);
}

static void test_a_stream_never_initialized_fails_to_finish_and_frees(void **state)
{
	struct sha256_stream s = { 0 };
	uint8_t out[SHA256_STREAM_LEN];

	sha256_stream_update(&s, "abc", 3);
	assert_int_equal(sha256_stream_finish(&s, out), -1);
	sha256_stream_free(&s);
	sha256_stream_free(&s); /* twice: free leaves it zeroed */
	assert_null(s.ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_input_gives_the_known_digest),
		cmocka_unit_test(test_abc_gives_the_known_digest_whole_and_byte_by_byte),
		cmocka_unit_test(test_two_block_message_gives_the_known_digest),
		cmocka_unit_test(test_one_mib_of_a_in_odd_chunks_gives_the_known_digest),
		cmocka_unit_test(test_streams_are_independent),
		cmocka_unit_test(test_a_stream_never_initialized_fails_to_finish_and_frees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
