/* Unit tests for cloud/signing: its signatures come from OpenSSL but must be exactly
 * what the agent's mbedtls verifies (reply signatures and sealed envelopes), device
 * signatures made with mbedtls must verify through it, a reloaded key is the same
 * key, and a key file that is not P-256 is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cloud/domain/ecdsa.h"
#include "../../cloud/domain/signing.h"
#include "../../lib/envelope.h"
#include "../../lib/log.h"

struct fixture {
	char dir[64];
	char path[128];
	struct signer s;
};

static const char msg[] = "{\"device_id\":\"0123456789abcdef0123456789abcdef\",\"n\":1}";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_cloud_signing.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/signing.key", f->dir);
	if (signer_load(&f->s, f->path) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	signer_free(&f->s);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The agent's view of the cloud key: only the public PEM it pinned. */
static struct crypto_key *pinned_key(const struct signer *s)
{
	struct crypto_key *k = NULL;
	assert_int_equal(crypto_key_from_public_pem(&k, s->pem), 0);
	return k;
}

static void test_reply_signature_verifies_with_mbedtls(void **state)
{
	struct fixture *f = *state;
	char sig[CRYPTO_SIG_B64_MAX];
	struct crypto_key *pinned = pinned_key(&f->s);
	assert_int_equal(signer_sign(&f->s, msg, strlen(msg), sig, sizeof(sig)), 0);
	assert_int_equal(crypto_verify(pinned, msg, strlen(msg), sig), 0);
	/* DER: a SEQUENCE of two INTEGERs, at most 72 bytes */
	uint8_t der[128];
	int n = base64_decode(sig, strlen(sig), der, sizeof(der));
	assert_true(n >= 8 && n <= 72);
	assert_int_equal(der[0], 0x30);
	/* and it is bound to the bytes */
	char other[sizeof(msg)];
	memcpy(other, msg, sizeof(msg));
	other[3] ^= 1;
	assert_int_not_equal(crypto_verify(pinned, other, strlen(other), sig), 0);
	crypto_key_free(pinned);
}

/* Signing again gives a signature that verifies again (random nonces with OpenSSL,
 * RFC 6979 deterministic ones with mbedtls: both are sound). */
static void test_signatures_are_fresh(void **state)
{
	struct fixture *f = *state;
	char a[CRYPTO_SIG_B64_MAX], b[CRYPTO_SIG_B64_MAX];
	struct crypto_key *pinned = pinned_key(&f->s);
	assert_int_equal(signer_sign(&f->s, msg, strlen(msg), a, sizeof(a)), 0);
	assert_int_equal(signer_sign(&f->s, msg, strlen(msg), b, sizeof(b)), 0);
	assert_int_equal(crypto_verify(pinned, msg, strlen(msg), a), 0);
	assert_int_equal(crypto_verify(pinned, msg, strlen(msg), b), 0);
	crypto_key_free(pinned);
}

static void test_sealed_envelope_opens_on_the_agent(void **state)
{
	struct fixture *f = *state;
	struct crypto_key *pinned = pinned_key(&f->s);
	struct buf env, payload;
	buf_init(&env, ENVELOPE_MAX_BYTES);
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	assert_int_equal(signer_seal(&f->s, msg, strlen(msg), &env), 0);
	assert_int_equal(envelope_open(pinned, env.data, env.len, &payload), ENVELOPE_OK);
	assert_string_equal(payload.data, msg);
	assert_non_null(strstr(env.data, f->s.fp)); /* key_id */

	/* another key does not open it */
	struct crypto_key *other = NULL;
	buf_reset(&payload);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_int_equal(envelope_open(other, env.data, env.len, &payload), ENVELOPE_WRONG_KEY);
	crypto_key_free(other);

	/* not a JSON object: nothing sealed, out untouched */
	buf_reset(&env);
	assert_int_not_equal(signer_seal(&f->s, "[1]", 3, &env), 0);
	assert_int_equal(env.len, 0);
	buf_free(&env);
	buf_free(&payload);
	crypto_key_free(pinned);
}

static void test_device_signature_verifies(void **state)
{
	(void)state;
	struct crypto_key *device = NULL, *other = NULL, *device_pub = NULL;
	char pem[CRYPTO_PUBKEY_PEM_MAX], sig[CRYPTO_SIG_B64_MAX];
	assert_int_equal(crypto_key_generate(&device), 0);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_int_equal(crypto_key_public_pem(device, pem, sizeof(pem)), 0);
	assert_int_equal(crypto_key_from_public_pem(&device_pub, pem), 0);
	assert_int_equal(crypto_sign(device, msg, strlen(msg), sig, sizeof(sig)), 0);

	assert_int_equal(signature_verify(device_pub, msg, strlen(msg), sig), 0);
	assert_int_not_equal(signature_verify(other, msg, strlen(msg), sig), 0);
	assert_int_not_equal(signature_verify(device_pub, msg, strlen(msg) - 1, sig), 0);
	assert_int_not_equal(signature_verify(device_pub, msg, strlen(msg), "AAAA"), 0);
	assert_int_not_equal(signature_verify(device_pub, msg, strlen(msg), "not base64!"), 0);
	assert_int_not_equal(signature_verify(NULL, msg, strlen(msg), sig), 0);
	crypto_key_free(device);
	crypto_key_free(other);
	crypto_key_free(device_pub);
}

static void test_reloaded_key_is_the_same(void **state)
{
	struct fixture *f = *state;
	struct signer again;
	char sig[CRYPTO_SIG_B64_MAX];
	assert_int_equal(signer_load(&again, f->path), 0);
	assert_string_equal(again.fp, f->s.fp);
	assert_int_equal(signer_sign(&again, msg, strlen(msg), sig, sizeof(sig)), 0);
	struct crypto_key *pinned = pinned_key(&f->s);
	assert_int_equal(crypto_verify(pinned, msg, strlen(msg), sig), 0);
	crypto_key_free(pinned);
	signer_free(&again);
}

static void test_key_that_is_not_p256_is_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t point[CRYPTO_PUBKEY_POINT_LEN];
	struct crypto_key *pinned = pinned_key(&f->s);
	assert_int_equal(crypto_key_public_point(pinned, point), 0);
	crypto_key_free(pinned);
	struct ecdsa_key *k = ecdsa_key_from_public_point(point, sizeof(point));
	assert_non_null(k);
	ecdsa_key_free(k);
	point[40] ^= 1; /* off the curve */
	assert_null(ecdsa_key_from_public_point(point, sizeof(point)));
	assert_null(ecdsa_key_from_public_point(point, 33));

	char path[160];
	struct signer s2;
	snprintf(path, sizeof(path), "%s/other.key", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("-----BEGIN EC PRIVATE KEY-----\nnot a key\n-----END EC PRIVATE KEY-----\n", fp);
	fclose(fp);
	assert_int_not_equal(signer_load(&s2, path), 0);
	assert_null(ecdsa_key_load_private(path));
	unlink(path);
}

int main(void)
{
	log_init("test", LOGL_ERROR, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_signature_verifies_with_mbedtls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signatures_are_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_envelope_opens_on_the_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_device_signature_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reloaded_key_is_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_that_is_not_p256_is_refused, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
