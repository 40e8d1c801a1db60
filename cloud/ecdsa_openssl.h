/* ecdsa_openssl: ECDSA P-256 through OpenSSL's libcrypto, for camcloud only (the agent
 * keeps mbedtls). A server signs every task envelope and verifies every device's
 * enrollment and auth request, and libcrypto does both many times faster. The wire
 * format is the one of lib/crypto.h: DER ECDSA over SHA-256 of the message, base64.
 * Key generation and storage stay in lib/crypto; this only reads the same PEM. */
#ifndef CLOUD_ECDSA_OPENSSL_H
#define CLOUD_ECDSA_OPENSSL_H

#include <stddef.h>

struct ossl_key; /* an EC P-256 key, private (can sign) or public only */

/* Reads the PEM private key at path; NULL when unreadable or not P-256. */
struct ossl_key *ossl_key_load_private(const char *path);
/* Imports an uncompressed P-256 point (0x04 || X || Y, 65 bytes); NULL when it is
 * not a point of the curve. (Much cheaper than parsing PEM through OpenSSL 3's
 * decoders, which costs more than the verification itself.) */
struct ossl_key *ossl_key_from_public_point(const unsigned char *point, size_t len);
void ossl_key_free(struct ossl_key *key);

/* Base64 DER signature of msg into sig_b64: 0, or -1. */
__attribute__((warn_unused_result)) int ossl_sign(struct ossl_key *key, const void *msg,
						   size_t len, char *sig_b64, size_t sig_b64sz);
/* 0 when sig_b64 is a signature of msg by key, else -1. */
__attribute__((warn_unused_result)) int ossl_verify(struct ossl_key *key, const void *msg,
						     size_t len, const char *sig_b64);

#endif
