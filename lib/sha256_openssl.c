/* sha256 backend: OpenSSL libcrypto EVP (1.1 and 3 alike), which picks SHA-NI or the
 * ARMv8 crypto extensions at run time. Only the streaming digest lives here. */
#include "sha256.h"

#include <openssl/evp.h>

int sha256_stream_init(struct sha256_stream *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	s->ctx = ctx;
	s->failed = 0;
	if (!ctx)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		sha256_stream_free(s);
		return -1;
	}
	return 0;
}

void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	if (!s->ctx || EVP_DigestUpdate(s->ctx, data, len) != 1)
		s->failed = 1;
}

int sha256_stream_finish(struct sha256_stream *s, uint8_t out[SHA256_STREAM_LEN])
{
	unsigned int n = 0;

	if (s->failed || !s->ctx || EVP_DigestFinal_ex(s->ctx, out, &n) != 1 ||
	    n != SHA256_STREAM_LEN)
		return -1;
	return 0;
}

void sha256_stream_free(struct sha256_stream *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}
