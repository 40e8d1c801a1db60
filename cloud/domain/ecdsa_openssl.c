/* ecdsa_openssl: sign and verify with libcrypto (see ecdsa.h). Both keep one
 * EVP_PKEY_CTX per key, initialised once, and sign or verify the SHA-256 of each
 * message with it: re-initialising a digest context per message (a provider fetch
 * each time) cost as much as the signature. A device's public key is a copy of one
 * P-256 parameter key made once with the point set in it: building the curve's group
 * from its name for every key (EVP_PKEY_fromdata) cost about as much as the
 * verification. The key is never copied out. */
#include "ecdsa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "../../lib/crypto.h"

#define SIG_DER_MAX 80 /* a DER ECDSA P-256 signature is at most 72 bytes */

struct ecdsa_key {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *sign;   /* made at the first signature */
	EVP_PKEY_CTX *verify; /* made at the first verification */
};

static int is_p256(EVP_PKEY *pkey)
{
	char group[32];
	size_t len = 0;
	return EVP_PKEY_base_id(pkey) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group), &len) == 1 &&
	       strcmp(group, "prime256v1") == 0;
}

static struct ecdsa_key *key_wrap(EVP_PKEY *pkey)
{
	struct ecdsa_key *k = NULL;
	if (pkey && is_p256(pkey) && (k = calloc(1, sizeof(*k)))) {
		k->pkey = pkey;
		return k;
	}
	free(k);
	EVP_PKEY_free(pkey);
	return NULL;
}

struct ecdsa_key *ecdsa_key_load_private(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return key_wrap(pkey);
}

/* The P-256 parameters as a key without a point, made once for the process (never
 * freed: it holds no secret). NULL when libcrypto cannot make it. */
static EVP_PKEY *p256_params(void)
{
	static EVP_PKEY *params;
	if (params)
		return params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx && EVP_PKEY_paramgen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_group_name(ctx, "prime256v1") == 1 &&
	    EVP_PKEY_paramgen(ctx, &params) != 1)
		params = NULL;
	EVP_PKEY_CTX_free(ctx);
	return params;
}

struct ecdsa_key *ecdsa_key_from_public_point(const unsigned char *point, size_t len)
{
	EVP_PKEY *params = p256_params();
	EVP_PKEY *pkey = point && params ? EVP_PKEY_dup(params) : NULL;
	/* set1_encoded_public_key refuses a point that is not on the curve */
	if (pkey && EVP_PKEY_set1_encoded_public_key(pkey, point, len) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return key_wrap(pkey);
}

struct ecdsa_key *ecdsa_key_for_thread(struct ecdsa_key *key)
{
	/* an EVP_PKEY is safe to share between threads; its contexts are not */
	if (!key || EVP_PKEY_up_ref(key->pkey) != 1)
		return NULL;
	return key_wrap(key->pkey);
}

void ecdsa_key_free(struct ecdsa_key *key)
{
	if (!key)
		return;
	EVP_PKEY_CTX_free(key->verify);
	EVP_PKEY_CTX_free(key->sign);
	EVP_PKEY_free(key->pkey); /* clears the private scalar */
	free(key);
}

/* The key's context for sign (1) or verify (0), made and initialised on first use. */
static EVP_PKEY_CTX *key_ctx(struct ecdsa_key *key, int sign)
{
	EVP_PKEY_CTX **ctx = sign ? &key->sign : &key->verify;
	if (*ctx)
		return *ctx;
	*ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
	if (!*ctx || (sign ? EVP_PKEY_sign_init(*ctx) : EVP_PKEY_verify_init(*ctx)) != 1) {
		EVP_PKEY_CTX_free(*ctx);
		*ctx = NULL;
	}
	return *ctx;
}

int ecdsa_sign(struct ecdsa_key *key, const void *msg, size_t len, char *sig_b64,
	      size_t sig_b64sz)
{
	unsigned char sig[SIG_DER_MAX], hash[SHA256_DIGEST_LENGTH];
	size_t sig_len = sizeof(sig);
	EVP_PKEY_CTX *ctx = key ? key_ctx(key, 1) : NULL;
	if (!ctx)
		return -1;
	SHA256(msg, len, hash);
	if (EVP_PKEY_sign(ctx, sig, &sig_len, hash, sizeof(hash)) != 1)
		return -1;
	return base64_encode(sig, sig_len, sig_b64, sig_b64sz) < 0 ? -1 : 0;
}

int ecdsa_verify(struct ecdsa_key *key, const void *msg, size_t len, const char *sig_b64)
{
	uint8_t sig[SIG_DER_MAX], hash[SHA256_DIGEST_LENGTH];
	int n = sig_b64 ? base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig)) : -1;
	EVP_PKEY_CTX *ctx = key && n > 0 ? key_ctx(key, 0) : NULL;
	if (!ctx)
		return -1;
	SHA256(msg, len, hash);
	return EVP_PKEY_verify(ctx, sig, (size_t)n, hash, sizeof(hash)) == 1 ? 0 : -1;
}
