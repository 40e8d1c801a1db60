/* Unit tests for lib/crypto: hashes against known vectors, ECDSA sign/verify
 * (tampering, wrong key), key files (mode 0600, PEM round trips, fingerprints),
 * curve/type checks on public keys, base64 and base64url. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"

static char tmpdir[] = "/tmp/test_lib_crypto.XXXXXX";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *path_in(const char *name)
{
	static char p[2][512];
	static int next;
	char *s = p[next++ % 2];

	snprintf(s, sizeof(p[0]), "%s/%s", tmpdir, name);
	return s;
}

static const char RSA_PUB[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCw0ZWyWlM5Mq+Bo0wHtlVgS46r\n"
	"AdTbPGGmrkpqs67APm9TVd6H3HOtpIbbS9KH/PsZ5W+Gp/45GoMWliszmXdhvCHd\n"
	"tsbW3XT3lc0WfnI2kCteFbUIZMkMDBNDXDOJ7mC/xfhWGx35bMXX8S+TxEDu5zVd\n"
	"P5Pwsbz6/GooUt6mewIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const char P384_PUB[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEaGCgtB8jGIxSqMPB7q5HlLaGsBWCzo22\n"
	"kwo0B78Hqi8daM70CLD4Ch5emI2bbfCu86ASWdwd4z7wqX1AGX+TuL/Kt4PuYtOz\n"
	"++jHBjvnCyV+aomPdpvUJ7B5aBaebdYk\n"
	"-----END PUBLIC KEY-----\n";
static const char K256_PUB[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAExB/X/CwLiwdRvwzWt0/gfOLV4B3tmGxR\n"
	"wycHHM/sSM8X0FPGYKZdNJFJa9UImOepZzCILyhz8MaDxV1g4e64fA==\n"
	"-----END PUBLIC KEY-----\n";
static const char ED25519_PUB[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEATv7vtudIuoglydX6cuVPZpw2+lN9HLe4AA8Yeq5WNS0=\n"
	"-----END PUBLIC KEY-----\n";

/* ---- hashes and randomness ---- */

static void test_sha256_vectors(void **state)
{
	char hex[CRYPTO_SHA256_HEX_LEN];
	uint8_t raw[CRYPTO_SHA256_LEN];

	crypto_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	crypto_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256("abc", 3, raw);
	assert_int_equal(raw[0], 0xba);
	assert_int_equal(raw[31], 0xad);
}

static void test_sha256_stream_and_file(void **state)
{
	size_t n = 200001; /* several 64 KiB chunks plus a remainder */
	uint8_t *data = malloc(n);
	char one[CRYPTO_SHA256_HEX_LEN], streamed[CRYPTO_SHA256_HEX_LEN];
	char file[CRYPTO_SHA256_HEX_LEN];
	struct sha256_stream s;
	uint64_t size = 0;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	crypto_sha256_hex(data, n, one);
	assert_int_equal(sha256_stream_init(&s), 0);
	for (size_t off = 0; off < n; off += 999)
		sha256_stream_update(&s, data + off, n - off < 999 ? n - off : 999);
	assert_int_equal(sha256_stream_finish_hex(&s, streamed), 0);
	sha256_stream_free(&s);
	assert_string_equal(one, streamed);

	assert_int_equal(fs_write_atomic(path_in("blob"), data, n, 0600), 0);
	assert_int_equal(crypto_sha256_file(path_in("blob"), file, &size), 0);
	assert_string_equal(one, file);
	assert_int_equal(size, n);
	assert_int_equal(crypto_sha256_file(path_in("blob"), file, NULL), 0);
	assert_int_equal(fs_write_atomic(path_in("empty"), "", 0, 0600), 0);
	assert_int_equal(crypto_sha256_file(path_in("empty"), file, &size), 0);
	assert_string_equal(file, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	assert_int_equal(crypto_sha256_file(path_in("missing"), file, &size), -1);
	assert_int_equal(crypto_sha256_file(tmpdir, file, &size), -1); /* a directory */
	free(data);
}

static void test_random(void **state)
{
	char a[33], b[33];
	uint8_t big[5000] = { 0 };
	int nonzero = 0;

	assert_int_equal(crypto_random_hex(a, 16), 0);
	assert_int_equal(crypto_random_hex(b, 16), 0);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	for (int i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_int_equal(crypto_random(big, sizeof(big)), 0); /* larger than one DRBG request */
	for (size_t i = sizeof(big) - 100; i < sizeof(big); i++)
		nonzero += big[i] != 0;
	assert_true(nonzero > 50);
	char h[100];
	assert_int_equal(crypto_random_hex(h, 40), 0);
	assert_int_equal(strlen(h), 80);
}

static void test_equal_and_strerror(void **state)
{
	char msg[128];

	assert_true(crypto_equal("secret", "secret", 6));
	assert_false(crypto_equal("secret", "secreT", 6));
	assert_true(crypto_equal("a", "b", 0));
	const char *s = crypto_strerror(-0x3080, msg, sizeof(msg));
	assert_ptr_equal(s, msg);
	assert_non_null(strstr(msg, "-0x3080: "));
	assert_true(strlen(msg) > strlen("-0x3080: "));
	crypto_strerror(-0x3080, msg, 4);
	assert_int_equal(strlen(msg), 3);
}

/* ---- keys and signatures ---- */

static void test_sign_verify(void **state)
{
	struct crypto_key *k = NULL, *other = NULL;
	char sig[CRYPTO_SIG_B64_MAX], sig2[CRYPTO_SIG_B64_MAX];
	const char msg[] = "{\"type\":\"task\"}";

	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_int_equal(crypto_sign(k, msg, strlen(msg), sig, sizeof(sig)), 0);
	assert_int_equal(crypto_verify(k, msg, strlen(msg), sig), 0);
	/* Tampered message, wrong key. */
	assert_int_equal(crypto_verify(k, "{\"type\":\"tasK\"}", strlen(msg), sig), -1);
	assert_int_equal(crypto_verify(k, msg, strlen(msg) - 1, sig), -1);
	assert_int_equal(crypto_verify(other, msg, strlen(msg), sig), -1);
	/* Signature of another message. */
	assert_int_equal(crypto_sign(k, "x", 1, sig2, sizeof(sig2)), 0);
	assert_int_equal(crypto_verify(k, msg, strlen(msg), sig2), -1);
	/* Empty message signs too. */
	assert_int_equal(crypto_sign(k, "", 0, sig2, sizeof(sig2)), 0);
	assert_int_equal(crypto_verify(k, "", 0, sig2), 0);
	/* Output buffer too small. */
	assert_int_equal(crypto_sign(k, msg, strlen(msg), sig2, 20), -1);
	crypto_key_free(k);
	crypto_key_free(other);
	crypto_key_free(NULL);
}

static void test_tampered_signature(void **state)
{
	struct crypto_key *k = NULL;
	char sig[CRYPTO_SIG_B64_MAX], bad[CRYPTO_SIG_B64_MAX + 8];
	uint8_t der[128];
	const char msg[] = "payload";

	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_sign(k, msg, 7, sig, sizeof(sig)), 0);
	int n = base64_decode(sig, strlen(sig), der, sizeof(der));
	assert_true(n >= 64 && n <= 72);
	assert_int_equal(der[0], 0x30); /* DER SEQUENCE */
	for (int i = 0; i < n; i++) {
		der[i] ^= 0x01;
		assert_true(base64_encode(der, (size_t)n, bad, sizeof(bad)) > 0);
		if (crypto_verify(k, msg, 7, bad) == 0)
			fail_msg("signature with byte %d flipped verified", i);
		der[i] ^= 0x01;
	}
	/* Truncated, extended, not base64, empty. */
	assert_true(base64_encode(der, (size_t)n - 1, bad, sizeof(bad)) > 0);
	assert_int_equal(crypto_verify(k, msg, 7, bad), -1);
	der[n] = 0;
	assert_true(base64_encode(der, (size_t)n + 1, bad, sizeof(bad)) > 0);
	assert_int_equal(crypto_verify(k, msg, 7, bad), -1);
	assert_int_equal(crypto_verify(k, msg, 7, "!!!!"), -1);
	assert_int_equal(crypto_verify(k, msg, 7, ""), -1);
	assert_int_equal(crypto_verify(k, msg, 7, NULL), -1);
	snprintf(bad, sizeof(bad), " %s", sig);
	assert_int_equal(crypto_verify(k, msg, 7, bad), -1);
	assert_int_equal(crypto_verify(k, msg, 7, sig), 0);
	crypto_key_free(k);
}

static void test_public_pem_round_trip(void **state)
{
	struct crypto_key *k = NULL, *pub = NULL, *pub2 = NULL;
	char pem[CRYPTO_PUBKEY_PEM_MAX], pem2[CRYPTO_PUBKEY_PEM_MAX];
	char fp1[CRYPTO_SHA256_HEX_LEN], fp2[CRYPTO_SHA256_HEX_LEN], fp3[CRYPTO_SHA256_HEX_LEN];
	char sig[CRYPTO_SIG_B64_MAX];

	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_public_pem(k, pem, sizeof(pem)), 0);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----\n"));
	assert_null(strstr(pem, "PRIVATE"));
	assert_int_equal(crypto_key_from_public_pem(&pub, pem), 0);
	assert_int_equal(crypto_key_fingerprint(k, fp1), 0);
	assert_int_equal(crypto_key_fingerprint(pub, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(strlen(fp1), 64);
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", fp1[i]));
	/* PEM -> key -> PEM is stable. */
	assert_int_equal(crypto_key_public_pem(pub, pem2, sizeof(pem2)), 0);
	assert_string_equal(pem, pem2);
	assert_int_equal(crypto_key_from_public_pem(&pub2, pem2), 0);
	assert_int_equal(crypto_key_fingerprint(pub2, fp3), 0);
	assert_string_equal(fp1, fp3);
	/* A public key verifies but cannot sign. */
	assert_int_equal(crypto_sign(k, "m", 1, sig, sizeof(sig)), 0);
	assert_int_equal(crypto_verify(pub, "m", 1, sig), 0);
	assert_int_equal(crypto_sign(pub, "m", 1, sig, sizeof(sig)), -1);
	assert_int_equal(crypto_key_save_private(pub, path_in("pub-as-private")), -1);
	assert_false(fs_exists(path_in("pub-as-private")));
	/* Too-small PEM buffer. */
	assert_int_equal(crypto_key_public_pem(k, pem2, 50), -1);
	crypto_key_free(k);
	crypto_key_free(pub);
	crypto_key_free(pub2);
}

static void test_fingerprints_differ(void **state)
{
	struct crypto_key *a = NULL, *b = NULL;
	char fa[CRYPTO_SHA256_HEX_LEN], fb[CRYPTO_SHA256_HEX_LEN], fa2[CRYPTO_SHA256_HEX_LEN];

	assert_int_equal(crypto_key_generate(&a), 0);
	assert_int_equal(crypto_key_generate(&b), 0);
	assert_int_equal(crypto_key_fingerprint(a, fa), 0);
	assert_int_equal(crypto_key_fingerprint(a, fa2), 0);
	assert_int_equal(crypto_key_fingerprint(b, fb), 0);
	assert_string_equal(fa, fa2);
	assert_string_not_equal(fa, fb);
	crypto_key_free(a);
	crypto_key_free(b);
}

static void test_public_pem_rejects_other_keys(void **state)
{
	struct crypto_key *k = (struct crypto_key *)1, *priv = NULL;
	char pem[512];

	assert_int_equal(crypto_key_from_public_pem(&k, RSA_PUB), -1);
	assert_null(k);
	assert_int_equal(crypto_key_from_public_pem(&k, P384_PUB), -1);
	assert_int_equal(crypto_key_from_public_pem(&k, K256_PUB), -1);
	assert_int_equal(crypto_key_from_public_pem(&k, ED25519_PUB), -1);
	assert_int_equal(crypto_key_from_public_pem(&k, "not a pem"), -1);
	assert_int_equal(crypto_key_from_public_pem(&k, ""), -1);
	assert_int_equal(crypto_key_from_public_pem(&k, NULL), -1);
	/* A private key PEM is not a public key PEM. */
	assert_int_equal(crypto_key_generate(&priv), 0);
	assert_int_equal(crypto_key_save_private(priv, path_in("p.pem")), 0);
	FILE *f = fopen(path_in("p.pem"), "r");
	assert_non_null(f);
	size_t n = fread(pem, 1, sizeof(pem) - 1, f);
	pem[n] = '\0';
	fclose(f);
	assert_int_equal(crypto_key_from_public_pem(&k, pem), -1);
	/* A corrupted P-256 public key. */
	assert_int_equal(crypto_key_public_pem(priv, pem, sizeof(pem)), 0);
	char *body = strchr(pem, '\n') + 20;
	*body = *body == 'A' ? 'B' : 'A';
	assert_int_equal(crypto_key_from_public_pem(&k, pem), -1);
	assert_null(k);
	crypto_key_free(priv);
}

static void test_private_key_file(void **state)
{
	struct crypto_key *k = NULL, *loaded = NULL;
	char fp1[CRYPTO_SHA256_HEX_LEN], fp2[CRYPTO_SHA256_HEX_LEN], sig[CRYPTO_SIG_B64_MAX];
	struct stat st;
	const char *p = path_in("device.key");
	mode_t old = umask(0); /* the mode must not depend on the umask */

	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_save_private(k, p), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(crypto_key_load_private(&loaded, p), 0);
	assert_int_equal(crypto_key_fingerprint(k, fp1), 0);
	assert_int_equal(crypto_key_fingerprint(loaded, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(crypto_sign(loaded, "m", 1, sig, sizeof(sig)), 0);
	assert_int_equal(crypto_verify(k, "m", 1, sig), 0);
	/* Overwrite keeps the mode. */
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(crypto_key_save_private(loaded, p), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	crypto_key_free(k);
	crypto_key_free(loaded);
}

static void test_load_private_failures(void **state)
{
	struct crypto_key *k = (struct crypto_key *)1;

	assert_int_equal(crypto_key_load_private(&k, path_in("missing.key")), -1);
	assert_null(k);
	assert_int_equal(fs_write_atomic(path_in("rsa.pem"), RSA_PUB, strlen(RSA_PUB), 0600), 0);
	assert_int_equal(crypto_key_load_private(&k, path_in("rsa.pem")), -1);
	assert_int_equal(fs_write_atomic(path_in("junk.key"), "junk", 4, 0600), 0);
	assert_int_equal(crypto_key_load_private(&k, path_in("junk.key")), -1);
	assert_null(k);
}

static void test_load_or_create(void **state)
{
	struct crypto_key *a = NULL, *b = NULL, *c = (struct crypto_key *)1;
	char fa[CRYPTO_SHA256_HEX_LEN], fb[CRYPTO_SHA256_HEX_LEN];
	const char *p = path_in("loc.key");
	int created = -1;
	struct stat st;

	assert_int_equal(crypto_key_load_or_create(&a, p, &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(crypto_key_load_or_create(&b, p, &created), 0);
	assert_int_equal(created, 0);
	assert_int_equal(crypto_key_fingerprint(a, fa), 0);
	assert_int_equal(crypto_key_fingerprint(b, fb), 0);
	assert_string_equal(fa, fb);
	/* A corrupt key file is an error, never silently replaced. */
	assert_int_equal(fs_write_atomic(p, "corrupt", 7, 0600), 0);
	assert_int_equal(crypto_key_load_or_create(&c, p, &created), -1);
	assert_null(c);
	assert_int_equal(created, 0);
	struct buf txt;
	buf_init(&txt, 100);
	assert_int_equal(fs_read_file(p, &txt, 100), 0);
	assert_string_equal(buf_str(&txt), "corrupt");
	buf_free(&txt);
	/* Missing directory: cannot save. */
	assert_int_equal(crypto_key_load_or_create(&c, path_in("nodir/x.key"), &created), -1);
	assert_null(c);
	crypto_key_free(a);
	crypto_key_free(b);
}

/* ---- base64 ---- */

static void test_base64_vectors(void **state)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
				     "Zm9vYmFy" };
	char out[32];
	uint8_t dec[32];

	for (int i = 0; i < 7; i++) {
		int n = base64_encode(plain[i], strlen(plain[i]), out, sizeof(out));
		assert_int_equal(n, strlen(enc[i]));
		assert_string_equal(out, enc[i]);
		n = base64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec));
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], (size_t)n);
	}
	/* Output buffer sizes: "foo" needs 4 chars + NUL; decoding needs 3 bytes. */
	assert_int_equal(base64_encode("foo", 3, out, 4), -1);
	assert_int_equal(base64_encode("foo", 3, out, 5), 4);
	assert_int_equal(base64_decode("Zm9v", 4, dec, 2), -1);
	assert_int_equal(base64_decode("Zm9v", 4, dec, 3), 3);
}

static void test_base64_bad_input(void **state)
{
	static const char *bad[] = { "Zm9", "Zm9v!", "Zm9v Zm9v", "Zg=", "Z===", "====",
				     "Zg=a", "Zm9vYg=\n", "Zm-v", "Zm_v", "Zg==Zg==", "\nZm9v" };
	uint8_t dec[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (base64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)) != -1)
			fail_msg("bad base64 accepted: %s", bad[i]);
	assert_int_equal(base64_decode(NULL, 0, dec, sizeof(dec)), -1);
}

static void test_base64url(void **state)
{
	const uint8_t bytes[] = { 0xfb, 0xff, 0xbf };
	char out[64];
	uint8_t dec[128], data[100];

	assert_int_equal(base64url_encode(bytes, 3, out, sizeof(out)), 4);
	assert_string_equal(out, "-_-_");
	assert_int_equal(base64url_encode(bytes, 2, out, sizeof(out)), 3);
	assert_string_equal(out, "-_8");
	assert_int_equal(base64url_encode(bytes, 1, out, sizeof(out)), 2);
	assert_string_equal(out, "-w");
	assert_int_equal(base64url_encode("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Unpadded output needs no room for padding. */
	assert_int_equal(base64url_encode(bytes, 2, out, 4), 3);
	assert_int_equal(base64url_encode(bytes, 2, out, 3), -1);
	assert_int_equal(base64url_decode("-_8", 3, dec, sizeof(dec)), 2);
	assert_memory_equal(dec, bytes, 2);
	assert_int_equal(base64url_decode("-_-_", 4, dec, 3), 3);
	assert_int_equal(base64url_decode("-_-_", 4, dec, 2), -1);
	assert_int_equal(base64url_decode("-_8", 3, dec, 1), -1);

	for (size_t len = 0; len <= sizeof(data); len++) {
		char enc[160];
		assert_int_equal(crypto_random(data, len), 0);
		int n = base64url_encode(data, len, enc, sizeof(enc));
		assert_int_equal(n, (int)((len * 4 + 2) / 3));
		assert_null(strpbrk(enc, "+/="));
		assert_int_equal(base64url_decode(enc, (size_t)n, dec, sizeof(dec)), (int)len);
		assert_memory_equal(dec, data, len);
	}

	static const char *bad[] = { "a", "abcde", "-w=", "-w==", "+w", "/w", "ab!c", "ab c",
				     "ab\nc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (base64url_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)) != -1)
			fail_msg("bad base64url accepted: %s", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_stream_and_file),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_equal_and_strerror),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_public_pem_round_trip),
		cmocka_unit_test(test_fingerprints_differ),
		cmocka_unit_test(test_public_pem_rejects_other_keys),
		cmocka_unit_test(test_private_key_file),
		cmocka_unit_test(test_load_private_failures),
		cmocka_unit_test(test_load_or_create),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_bad_input),
		cmocka_unit_test(test_base64url),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
