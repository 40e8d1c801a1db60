/* ecdsa_openssl: sign and verify with libcrypto (see ecdsa.h). Signing
 * keeps one EVP_PKEY_CTX, initialised once, and signs the SHA-256 of each message
 * with it: re-initialising a digest-sign context per message (a provider fetch
 * each time) cost as much as the signature. The key is never copied out. */
#include "ecdsa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "../../lib/crypto.h"

#define SIG_DER_MAX 80 /* a DER ECDSA P-256 signature is at most 72 bytes */

struct ecdsa_key {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *sign; /* made at the first signature */
	EVP_MD_CTX *md;     /* for verifying */
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
	if (pkey && is_p256(pkey) && (k = calloc(1, sizeof(*k))) && (k->md = EVP_MD_CTX_new())) {
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

struct ecdsa_key *ecdsa_key_from_public_point(const unsigned char *point, size_t len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = point ? EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL) : NULL;
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key_wrap(pkey);
}

void ecdsa_key_free(struct ecdsa_key *key)
{
	if (!key)
		return;
	EVP_MD_CTX_free(key->md);
	EVP_PKEY_CTX_free(key->sign);
	EVP_PKEY_free(key->pkey); /* clears the private scalar */
	free(key);
}

int ecdsa_sign(struct ecdsa_key *key, const void *msg, size_t len, char *sig_b64,
	      size_t sig_b64sz)
{
	unsigned char sig[SIG_DER_MAX], hash[SHA256_DIGEST_LENGTH];
	size_t sig_len = sizeof(sig);
	if (!key)
		return -1;
	if (!key->sign) {
		key->sign = EVP_PKEY_CTX_new(key->pkey, NULL);
		if (!key->sign || EVP_PKEY_sign_init(key->sign) != 1) {
			EVP_PKEY_CTX_free(key->sign);
			key->sign = NULL;
			return -1;
		}
	}
	SHA256(msg, len, hash);
	if (EVP_PKEY_sign(key->sign, sig, &sig_len, hash, sizeof(hash)) != 1)
		return -1;
	return base64_encode(sig, sig_len, sig_b64, sig_b64sz) < 0 ? -1 : 0;
}

int ecdsa_verify(struct ecdsa_key *key, const void *msg, size_t len, const char *sig_b64)
{
	uint8_t sig[SIG_DER_MAX];
	int n = sig_b64 ? base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig)) : -1;
	if (!key || n <= 0 || EVP_MD_CTX_reset(key->md) != 1 ||
	    EVP_DigestVerifyInit(key->md, NULL, EVP_sha256(), NULL, key->pkey) != 1)
		return -1;
	return EVP_DigestVerify(key->md, sig, (size_t)n, msg, len) == 1 ? 0 : -1;
}
