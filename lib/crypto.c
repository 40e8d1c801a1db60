/* crypto: thin wrappers over mbedtls for ECDSA P-256 keys, SHA-256, randomness,
 * base64 and hex. Nothing is hand-rolled; private key bytes are zeroized after
 * use and never logged. One lazily seeded CTR-DRBG serves the whole process. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/platform_util.h>

#include "fsutil.h"

#define PRIVKEY_PEM_MAX 4096
#define PUBKEY_DER_MAX 256
#define SIG_DER_MAX 128 /* a DER ECDSA P-256 signature is at most 72 bytes */
#define FILE_CHUNK (64 * 1024)

struct crypto_key {
	mbedtls_pk_context pk;
	int has_private;
};

static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static int g_drbg_ready;

/* ---- randomness ---- */

static mbedtls_ctr_drbg_context *drbg(void)
{
	static const char pers[] = "camagent-crypto";

	if (g_drbg_ready)
		return &g_drbg;
	mbedtls_entropy_init(&g_entropy);
	mbedtls_ctr_drbg_init(&g_drbg);
	if (mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1)) {
		mbedtls_ctr_drbg_free(&g_drbg);
		mbedtls_entropy_free(&g_entropy);
		return NULL;
	}
	g_drbg_ready = 1;
	return &g_drbg;
}

int crypto_random(void *out, size_t len)
{
	mbedtls_ctr_drbg_context *d = drbg();
	unsigned char *p = out;

	if (!d)
		return -1;
	while (len > 0) {
		size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(d, p, n))
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void to_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int crypto_random_hex(char *out, size_t nbytes)
{
	uint8_t chunk[32];

	while (nbytes > 0) {
		size_t n = nbytes < sizeof(chunk) ? nbytes : sizeof(chunk);
		if (crypto_random(chunk, n))
			return -1;
		to_hex(chunk, n, out);
		out += 2 * n;
		nbytes -= n;
	}
	*out = '\0';
	return 0;
}

/* ---- SHA-256 ---- */

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(data, len, h);
	to_hex(h, sizeof(h), out);
}

int crypto_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
		     uint8_t out[CRYPTO_SHA1_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	return md && mbedtls_md_hmac(md, key, keylen, msg, len, out) == 0 ? 0 : -1;
}

int sha256_stream_finish_hex(struct sha256_stream *s, char out[CRYPTO_SHA256_HEX_LEN])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	if (sha256_stream_finish(s, h))
		return -1;
	to_hex(h, sizeof(h), out);
	return 0;
}

/* Feeds everything readable from fd to s; returns bytes read or -1. */
static int64_t hash_fd(int fd, struct sha256_stream *s)
{
	unsigned char *chunk = malloc(FILE_CHUNK);
	int64_t total = 0;

	if (!chunk)
		return -1;
	for (;;) {
		ssize_t n = read(fd, chunk, FILE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			total = n < 0 ? -1 : total;
			break;
		}
		sha256_stream_update(s, chunk, (size_t)n);
		total += n;
	}
	free(chunk);
	return total;
}

int crypto_sha256_file(const char *path, char out[CRYPTO_SHA256_HEX_LEN], uint64_t *size_out)
{
	struct sha256_stream s = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int64_t total = -1;

	if (fd < 0)
		return -1;
	if (sha256_stream_init(&s))
		errno = ENOMEM;
	else
		total = hash_fd(fd, &s);
	int saved = errno;
	close(fd);
	if (total >= 0 && sha256_stream_finish_hex(&s, out)) {
		saved = EIO;
		total = -1;
	}
	if (total >= 0 && size_out)
		*size_out = (uint64_t)total;
	sha256_stream_free(&s);
	errno = saved;
	return total >= 0 ? 0 : -1;
}

/* ---- keys ---- */

static struct crypto_key *key_new(void)
{
	struct crypto_key *k = calloc(1, sizeof(*k));

	if (k)
		mbedtls_pk_init(&k->pk);
	return k;
}

void crypto_key_free(struct crypto_key *key)
{
	if (!key)
		return;
	mbedtls_pk_free(&key->pk); /* zeroizes the private scalar */
	free(key);
}

/* 1 when pk holds an EC key on P-256, else 0. */
static int is_p256(const mbedtls_pk_context *pk)
{
	return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	       mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

int crypto_key_generate(struct crypto_key **out)
{
	struct crypto_key *k = key_new();
	mbedtls_ctr_drbg_context *d = drbg();

	*out = NULL;
	if (!k || !d)
		goto cleanup;
	if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
				mbedtls_ctr_drbg_random, d))
		goto cleanup;
	k->has_private = 1;
	*out = k;
	return 0;
cleanup:
	crypto_key_free(k);
	return -1;
}

int crypto_key_save_private(const struct crypto_key *key, const char *path)
{
	unsigned char pem[PRIVKEY_PEM_MAX];
	int rc = -1;

	if (!key || !key->has_private)
		return -1;
	/* mbedtls_pk_write_key_pem takes a non-const context but does not modify it. */
	if (mbedtls_pk_write_key_pem((mbedtls_pk_context *)&key->pk, pem, sizeof(pem)))
		goto cleanup;
	rc = fs_write_atomic(path, pem, strlen((const char *)pem), 0600);
cleanup:
	{
		int saved = errno;
		mbedtls_platform_zeroize(pem, sizeof(pem));
		errno = saved;
	}
	return rc;
}

/* Reads a small secret file into buf (NUL-terminated) without stdio buffers. */
static ssize_t read_secret(const char *path, unsigned char *buf, size_t bufsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			if (n < 0)
				return -1;
			break;
		}
		len += (size_t)n;
		if (len == bufsz - 1) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int crypto_key_load_private(struct crypto_key **out, const char *path)
{
	unsigned char pem[PRIVKEY_PEM_MAX];
	struct crypto_key *k = key_new();
	int rc = -1;

	*out = NULL;
	ssize_t len = read_secret(path, pem, sizeof(pem));
	if (!k || len < 0)
		goto cleanup;
	/* PEM input must include the terminating NUL in its length. */
	if (mbedtls_pk_parse_key(&k->pk, pem, (size_t)len + 1, NULL, 0) || !is_p256(&k->pk))
		goto cleanup;
	k->has_private = 1;
	*out = k;
	k = NULL;
	rc = 0;
cleanup:
	mbedtls_platform_zeroize(pem, sizeof(pem));
	crypto_key_free(k);
	return rc;
}

int crypto_key_load_or_create(struct crypto_key **out, const char *path, int *created)
{
	struct stat st;

	*out = NULL;
	if (created)
		*created = 0;
	if (stat(path, &st) == 0)
		return crypto_key_load_private(out, path);
	if (errno != ENOENT)
		return -1;
	/* Only a missing file means "new device": a corrupt key is an error, not a reset. */
	if (crypto_key_generate(out))
		return -1;
	if (crypto_key_save_private(*out, path)) {
		crypto_key_free(*out);
		*out = NULL;
		return -1;
	}
	if (created)
		*created = 1;
	return 0;
}

int crypto_key_public_pem(const struct crypto_key *key, char *out, size_t outsz)
{
	if (!key || !out || outsz == 0)
		return -1;
	if (mbedtls_pk_write_pubkey_pem((mbedtls_pk_context *)&key->pk, (unsigned char *)out,
					outsz)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int crypto_key_public_point(const struct crypto_key *key, uint8_t out[CRYPTO_PUBKEY_POINT_LEN])
{
	size_t olen = 0;
	if (!key || !is_p256(&key->pk))
		return -1;
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
	if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, out,
					   CRYPTO_PUBKEY_POINT_LEN) ||
	    olen != CRYPTO_PUBKEY_POINT_LEN)
		return -1;
	return 0;
}

int crypto_key_from_public_point(struct crypto_key **out, const uint8_t *point, size_t len)
{
	struct crypto_key *k = key_new();
	mbedtls_ecp_keypair *ec;

	*out = NULL;
	if (!k || len != CRYPTO_PUBKEY_POINT_LEN ||
	    mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)))
		goto cleanup;
	ec = mbedtls_pk_ec(k->pk);
	if (mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP256R1) ||
	    mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, point, len) ||
	    mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q))
		goto cleanup;
	*out = k;
	return 0;
cleanup:
	crypto_key_free(k);
	return -1;
}

int crypto_key_from_public_pem(struct crypto_key **out, const char *pem)
{
	struct crypto_key *k = key_new();

	*out = NULL;
	if (!k || !pem)
		goto cleanup;
	if (mbedtls_pk_parse_public_key(&k->pk, (const unsigned char *)pem, strlen(pem) + 1) ||
	    !is_p256(&k->pk))
		goto cleanup;
	*out = k;
	return 0;
cleanup:
	crypto_key_free(k);
	return -1;
}

int crypto_key_fingerprint(const struct crypto_key *key, char out[CRYPTO_SHA256_HEX_LEN])
{
	unsigned char der[PUBKEY_DER_MAX];

	if (!key)
		return -1;
	/* The DER is written at the end of the buffer; the return value is its length. */
	int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&key->pk, der, sizeof(der));
	if (n <= 0)
		return -1;
	crypto_sha256_hex(der + sizeof(der) - (size_t)n, (size_t)n, out);
	return 0;
}

/* ---- signatures ---- */

int crypto_sign(const struct crypto_key *key, const void *msg, size_t len, char *sig_b64,
		size_t sig_b64sz)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t sig_len = 0;
	mbedtls_ctr_drbg_context *d = drbg();

	if (!key || !key->has_private || !d)
		return -1;
	crypto_sha256(msg, len, hash);
	if (mbedtls_pk_sign((mbedtls_pk_context *)&key->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash),
			    sig, &sig_len, mbedtls_ctr_drbg_random, d))
		return -1;
	return base64_encode(sig, sig_len, sig_b64, sig_b64sz) < 0 ? -1 : 0;
}

int crypto_verify(const struct crypto_key *key, const void *msg, size_t len, const char *sig_b64)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	uint8_t sig[SIG_DER_MAX];

	if (!key || !sig_b64)
		return -1;
	int n = base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig));
	if (n <= 0)
		return -1;
	crypto_sha256(msg, len, hash);
	if (mbedtls_pk_verify((mbedtls_pk_context *)&key->pk, MBEDTLS_MD_SHA256, hash,
			      sizeof(hash), sig, (size_t)n))
		return -1;
	return 0;
}

/* ---- base64 ---- */

int base64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	size_t olen = 0;

	if (!out || outsz == 0 || len > (size_t)INT_MAX / 4 * 3)
		return -1;
	out[0] = '\0'; /* mbedtls writes nothing at all for empty input */
	if (len > 0 && mbedtls_base64_encode((unsigned char *)out, outsz, &olen, in, len)) {
		out[0] = '\0';
		return -1;
	}
	return (int)olen;
}

static int b64_char_ok(char c, int url)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return url ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

/* Strict standard base64: whole quartets, only the alphabet, '=' only as final padding. */
static int b64_valid(const char *in, size_t len)
{
	size_t pad = 0;

	if (len % 4)
		return 0;
	while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char_ok(in[i], 0))
			return 0;
	return 1;
}

int base64_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	size_t olen = 0;

	if (!in || !b64_valid(in, len) || len > INT_MAX)
		return -1;
	if (len == 0)
		return 0;
	if (!out || outsz == 0 ||
	    mbedtls_base64_decode(out, outsz, &olen, (const unsigned char *)in, len))
		return -1;
	return (int)olen;
}

static void b64_to_url(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
}

int base64url_encode(const void *in, size_t len, char *out, size_t outsz)
{
	size_t full = len / 3 * 3, olen = 0;
	char tail[5];

	if (base64_encode(in, full, out, outsz) < 0)
		return -1;
	olen = strlen(out);
	if (len > full) {
		size_t tlen = len - full + 1; /* 1 byte -> 2 chars, 2 bytes -> 3 chars */
		if (base64_encode((const uint8_t *)in + full, len - full, tail, sizeof(tail)) < 0 ||
		    outsz - olen <= tlen) {
			out[0] = '\0';
			return -1;
		}
		memcpy(out + olen, tail, tlen);
		olen += tlen;
		out[olen] = '\0';
	}
	b64_to_url(out, olen);
	return (int)olen;
}

/* Decodes one group of 2..4 url-safe characters, restoring padding. */
static int b64url_group(const char *in, size_t n, uint8_t *out, size_t outsz)
{
	char q[4] = { '=', '=', '=', '=' };
	uint8_t tmp[3];
	size_t olen = 0;

	for (size_t i = 0; i < n; i++) {
		if (!b64_char_ok(in[i], 1))
			return -1;
		q[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	if (mbedtls_base64_decode(tmp, sizeof(tmp), &olen, (const unsigned char *)q, 4) ||
	    olen > outsz)
		return -1;
	memcpy(out, tmp, olen);
	mbedtls_platform_zeroize(tmp, sizeof(tmp));
	return (int)olen;
}

int base64url_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	size_t o = 0;

	if (!in || len % 4 == 1 || len > INT_MAX || (len > 0 && !out))
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		size_t n = len - i < 4 ? len - i : 4;
		int got = b64url_group(in + i, n, out + o, outsz - o);
		if (got < 0)
			return -1;
		o += (size_t)got;
	}
	return (int)o;
}

int crypto_equal(const void *a, const void *b, size_t len)
{
	return mbedtls_ct_memcmp(a, b, len) == 0;
}

const char *crypto_strerror(int mbedtls_err, char *buf, size_t bufsz)
{
	if (!buf || bufsz == 0)
		return "";
	int n = snprintf(buf, bufsz, "-0x%04x: ", (unsigned)(mbedtls_err < 0 ? -mbedtls_err
									      : mbedtls_err));
	if (n >= 0 && (size_t)n < bufsz)
		mbedtls_strerror(mbedtls_err, buf + n, bufsz - (size_t)n);
	return buf;
}
