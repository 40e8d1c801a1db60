/* ecdsa_mbedtls: sign and verify through lib/crypto (mbedtls), the backend for builds
 * without a usable OpenSSL libcrypto (see ecdsa.h). Slower per signature, the same
 * bytes on the wire. */
#include "ecdsa.h"

#include <stdlib.h>

#include "../../lib/crypto.h"

struct ecdsa_key {
	struct crypto_key *key;
};

static struct ecdsa_key *wrap(struct crypto_key *key)
{
	struct ecdsa_key *k = key ? malloc(sizeof(*k)) : NULL;

	if (!k) {
		crypto_key_free(key);
		return NULL;
	}
	k->key = key;
	return k;
}

struct ecdsa_key *ecdsa_key_load_private(const char *path)
{
	struct crypto_key *key = NULL;

	return crypto_key_load_private(&key, path) == 0 ? wrap(key) : NULL;
}

struct ecdsa_key *ecdsa_key_from_public_point(const unsigned char *point, size_t len)
{
	struct crypto_key *key = NULL;

	return crypto_key_from_public_point(&key, point, len) == 0 ? wrap(key) : NULL;
}

struct ecdsa_key *ecdsa_key_for_thread(struct ecdsa_key *key)
{
	(void)key; /* crypto_sign draws from the one generator of lib/crypto */
	return NULL;
}

void ecdsa_key_free(struct ecdsa_key *key)
{
	if (!key)
		return;
	crypto_key_free(key->key);
	free(key);
}

int ecdsa_sign(struct ecdsa_key *key, const void *msg, size_t len, char *sig_b64,
	       size_t sig_b64sz)
{
	return crypto_sign(key->key, msg, len, sig_b64, sig_b64sz);
}

int ecdsa_verify(struct ecdsa_key *key, const void *msg, size_t len, const char *sig_b64)
{
	return crypto_verify(key->key, msg, len, sig_b64);
}
