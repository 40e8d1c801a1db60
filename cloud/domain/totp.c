/* totp: RFC 6238 codes, base32, otpauth URIs (see totp.h). */
#include "totp.h"

#include <stdio.h>
#include <string.h>

#include "../../lib/crypto.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int64_t hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
	uint8_t msg[8], mac[CRYPTO_SHA1_LEN];
	if (digits < 6 || digits > 8)
		return -1;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)(counter & 0xff);
	if (crypto_hmac_sha1(key, keylen, msg, sizeof(msg), mac) != 0)
		return -1;
	/* RFC 4226 §5.3 dynamic truncation */
	int off = mac[CRYPTO_SHA1_LEN - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	uint32_t mod = 1;
	for (int i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

int64_t totp_step(int64_t t)
{
	return t >= 0 ? t / TOTP_STEP : -1;
}

int64_t totp_check(const uint8_t *key, size_t keylen, int64_t now, const char *code,
		   int64_t last_step)
{
	int64_t want = 0;
	if (!code || strlen(code) != TOTP_DIGITS)
		return -1;
	for (const char *p = code; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		want = want * 10 + (*p - '0');
	}
	int64_t step = totp_step(now);
	for (int64_t s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
		if (s < 0 || s <= last_step)
			continue;
		int64_t v = hotp(key, keylen, (uint64_t)s, TOTP_DIGITS);
		if (v >= 0 && v == want)
			return s;
	}
	return -1;
}

int base32_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (n + 1 >= outsz)
			return -1;
		out[n++] = b32[(acc << (5 - bits)) & 31];
	}
	if (n >= outsz)
		return -1;
	out[n] = '\0';
	return 0;
}

int base32_decode(const char *in, uint8_t *out, size_t outsz)
{
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = in; *p; p++) {
		if (*p == '=' || *p == ' ')
			continue;
		char ch = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		const char *hit = strchr(b32, ch);
		if (!hit || !ch)
			return -1;
		acc = (acc << 5) | (uint32_t)(hit - b32);
		bits += 5;
		if (bits >= 8) {
			if (n >= outsz)
				return -1;
			out[n++] = (uint8_t)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return (int)n;
}

/* Percent-encodes s (RFC 3986 unreserved kept) into out at *n. */
static int uri_escape(const char *s, char *out, size_t outsz, size_t *n)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || strchr("-._~", ch);
		int w = keep ? snprintf(out + *n, outsz - *n, "%c", ch)
			     : snprintf(out + *n, outsz - *n, "%%%02X", ch);
		if (w < 0 || (size_t)w >= outsz - *n)
			return -1;
		*n += (size_t)w;
	}
	return 0;
}

int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	     size_t outsz)
{
	size_t n = 0;
	int w = snprintf(out, outsz, "otpauth://totp/");
	if (w < 0 || (size_t)w >= outsz)
		return -1;
	n = (size_t)w;
	if (uri_escape(issuer, out, outsz, &n) || uri_escape(":", out, outsz, &n) ||
	    uri_escape(account, out, outsz, &n))
		return -1;
	w = snprintf(out + n, outsz - n, "?secret=%s&issuer=", secret_b32);
	if (w < 0 || (size_t)w >= outsz - n)
		return -1;
	n += (size_t)w;
	if (uri_escape(issuer, out, outsz, &n))
		return -1;
	w = snprintf(out + n, outsz - n, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
		     TOTP_STEP);
	return w < 0 || (size_t)w >= outsz - n ? -1 : 0;
}
