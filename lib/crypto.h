/* crypto: the only door to mbedtls. ECDSA P-256 keys, SHA-256, HMAC-SHA-1, randomness,
 * base64 and hex. Nothing here is hand-rolled; it only wraps mbedtls. */
#ifndef CAM_CRYPTO_H
#define CAM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "sha256.h"

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA256_HEX_LEN 65    /* 64 hex digits + NUL */
#define CRYPTO_PUBKEY_PEM_MAX 512
#define CRYPTO_SIG_B64_MAX 128      /* base64 of a DER ECDSA P-256 signature */

__attribute__((warn_unused_result)) int crypto_random(void *out, size_t len);
/* Random lowercase hex string of 2*nbytes digits (out must hold 2*nbytes+1). */
__attribute__((warn_unused_result)) int crypto_random_hex(char *out, size_t nbytes);

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN]);
/* HMAC-SHA-1 (20 bytes), for TOTP (RFC 6238 names SHA-1 as its default); -1 on failure. */
#define CRYPTO_SHA1_LEN 20
__attribute__((warn_unused_result)) int crypto_hmac_sha1(const void *key, size_t keylen,
							  const void *msg, size_t len,
							  uint8_t out[CRYPTO_SHA1_LEN]);

/* The streaming digest of lib/sha256.h as lowercase hex; -1 when a step failed. */
__attribute__((warn_unused_result)) int sha256_stream_finish_hex(struct sha256_stream *s,
								 char out[CRYPTO_SHA256_HEX_LEN]);
/* Hashes a whole file (and optionally returns its size); -1 on I/O or hash error. */
__attribute__((warn_unused_result)) int crypto_sha256_file(const char *path,
							    char out[CRYPTO_SHA256_HEX_LEN],
							    uint64_t *size_out);

/* An ECDSA P-256 key: private (can sign) or public only (can verify). */
struct crypto_key;

__attribute__((warn_unused_result)) int crypto_key_generate(struct crypto_key **out);
/* Private key as PEM, written atomically with mode 0600. */
__attribute__((warn_unused_result)) int crypto_key_save_private(const struct crypto_key *key,
								 const char *path);
__attribute__((warn_unused_result)) int crypto_key_load_private(struct crypto_key **out,
								 const char *path);
/* Loads the private key at path, or generates and saves one if the file is absent. */
__attribute__((warn_unused_result)) int crypto_key_load_or_create(struct crypto_key **out,
								   const char *path, int *created);
__attribute__((warn_unused_result)) int crypto_key_public_pem(const struct crypto_key *key,
							       char *out, size_t outsz);
/* The public point, uncompressed (0x04 || X || Y), for another backend to import. */
#define CRYPTO_PUBKEY_POINT_LEN 65
__attribute__((warn_unused_result)) int crypto_key_public_point(
	const struct crypto_key *key, uint8_t out[CRYPTO_PUBKEY_POINT_LEN]);
/* The reverse: a public key from an uncompressed point; -1 when it is not on P-256. */
__attribute__((warn_unused_result)) int crypto_key_from_public_point(struct crypto_key **out,
								      const uint8_t *point,
								      size_t len);
/* Accepts only an EC P-256 public key. */
__attribute__((warn_unused_result)) int crypto_key_from_public_pem(struct crypto_key **out,
								    const char *pem);
/* SHA-256 (hex) of the DER SubjectPublicKeyInfo: what enrollment tokens pin. */
__attribute__((warn_unused_result)) int crypto_key_fingerprint(const struct crypto_key *key,
								char out[CRYPTO_SHA256_HEX_LEN]);
void crypto_key_free(struct crypto_key *key);

/* ECDSA P-256 over SHA-256(msg); signature is DER, then base64. */
__attribute__((warn_unused_result)) int crypto_sign(const struct crypto_key *key, const void *msg,
						     size_t len, char *sig_b64, size_t sig_b64sz);
/* 0 when sig_b64 is a valid signature of msg by key, -1 otherwise. */
__attribute__((warn_unused_result)) int crypto_verify(const struct crypto_key *key,
						       const void *msg, size_t len,
						       const char *sig_b64);

/* Standard base64 (with padding). Encoded output is NUL-terminated.
 * Return the number of bytes written (without NUL), or -1 if out is too small or input bad. */
int base64_encode(const void *in, size_t len, char *out, size_t outsz);
int base64_decode(const char *in, size_t len, uint8_t *out, size_t outsz);
/* URL-safe base64 without padding (for tokens pasted by people). */
int base64url_encode(const void *in, size_t len, char *out, size_t outsz);
int base64url_decode(const char *in, size_t len, uint8_t *out, size_t outsz);

/* Constant-time comparison of two equal-length secrets. */
int crypto_equal(const void *a, const void *b, size_t len);

/* mbedtls error code to text, for log lines ("-0x%04x: text"). */
const char *crypto_strerror(int mbedtls_err, char *buf, size_t bufsz);

#endif
