/* sha256: streaming SHA-256 for images and files, constant memory whatever the size.
 * One backend is linked, chosen by the Makefile's HASH: OpenSSL libcrypto (default; it
 * uses SHA-NI / ARMv8 crypto extensions and is on the camera already) or mbedtls.
 * Keys, signatures and one-shot hashes stay in crypto.c on mbedtls. */
#ifndef CAM_SHA256_H
#define CAM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_STREAM_LEN 32

struct sha256_stream {
	void *ctx;   /* the backend's context; NULL before init and after free */
	int failed;  /* a backend call failed; finish reports it */
};

/* -1 when the backend cannot make a context (out of memory). */
__attribute__((warn_unused_result)) int sha256_stream_init(struct sha256_stream *s);
/* A failure is kept in the stream and reported by finish. */
void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len);
/* -1 when any step failed: the digest is then not to be trusted. */
__attribute__((warn_unused_result)) int sha256_stream_finish(struct sha256_stream *s,
							     uint8_t out[SHA256_STREAM_LEN]);
/* Accepts a zeroed, never-initialized or already freed stream. */
void sha256_stream_free(struct sha256_stream *s);

#endif
