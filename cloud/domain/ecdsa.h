/* ecdsa: camcloud's ECDSA P-256 signing and verifying, with two backends:
 * ecdsa_openssl.c (the default: a server signs every task envelope and verifies every
 * device's enrollment and auth request, and OpenSSL's libcrypto does both many times
 * faster than mbedtls) and ecdsa_mbedtls.c (through lib/crypto, for builds without a
 * usable libcrypto: the camera-architecture builds, `make CLOUD_ECDSA=mbedtls`). The wire
 * format is the one of lib/crypto.h: DER ECDSA over SHA-256 of the message, base64.
 * Key generation and storage stay in lib/crypto; this only reads the same PEM. */
#ifndef CLOUD_ECDSA_H
#define CLOUD_ECDSA_H

#include <stddef.h>

struct ecdsa_key; /* an EC P-256 key, private (can sign) or public only */

/* Reads the PEM private key at path; NULL when unreadable or not P-256. */
struct ecdsa_key *ecdsa_key_load_private(const char *path);
/* Imports an uncompressed P-256 point (0x04 || X || Y, 65 bytes); NULL when it is
 * not a point of the curve. (Much cheaper than parsing PEM through OpenSSL 3's
 * decoders, which costs more than the verification itself.) */
struct ecdsa_key *ecdsa_key_from_public_point(const unsigned char *point, size_t len);
void ecdsa_key_free(struct ecdsa_key *key);
/* The same private key for use from another thread, with a signing context of its
 * own; NULL when this backend cannot sign from several threads (mbedtls: lib/crypto
 * has one random generator per process). Free it with ecdsa_key_free. */
struct ecdsa_key *ecdsa_key_for_thread(struct ecdsa_key *key);

/* Base64 DER signature of msg into sig_b64: 0, or -1. */
__attribute__((warn_unused_result)) int ecdsa_sign(struct ecdsa_key *key, const void *msg,
						   size_t len, char *sig_b64, size_t sig_b64sz);
/* 0 when sig_b64 is a signature of msg by key, else -1. */
__attribute__((warn_unused_result)) int ecdsa_verify(struct ecdsa_key *key, const void *msg,
						     size_t len, const char *sig_b64);

#endif
