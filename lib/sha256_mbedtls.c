/* sha256 backend: mbedtls' portable C, for builds without OpenSSL (make HASH=mbedtls).
 * About a ninth of OpenSSL's speed where the CPU has SHA instructions. */
#include "sha256.h"

#include <stdlib.h>

#include <mbedtls/sha256.h>

int sha256_stream_init(struct sha256_stream *s)
{
	mbedtls_sha256_context *ctx = malloc(sizeof(*ctx));

	s->ctx = ctx;
	s->failed = 0;
	if (!ctx)
		return -1;
	mbedtls_sha256_init(ctx);
	if (mbedtls_sha256_starts_ret(ctx, 0)) {
		sha256_stream_free(s);
		return -1;
	}
	return 0;
}

void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	if (!s->ctx || mbedtls_sha256_update_ret(s->ctx, data, len))
		s->failed = 1;
}

int sha256_stream_finish(struct sha256_stream *s, uint8_t out[SHA256_STREAM_LEN])
{
	if (s->failed || !s->ctx || mbedtls_sha256_finish_ret(s->ctx, out))
		return -1;
	return 0;
}

void sha256_stream_free(struct sha256_stream *s)
{
	if (s->ctx) {
		mbedtls_sha256_free(s->ctx);
		free(s->ctx);
	}
	s->ctx = NULL;
}
