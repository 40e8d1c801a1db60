/* totp: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) with HMAC-SHA-1
 * from lib/crypto, the base32 the secrets travel in (RFC 4648), and the otpauth:// URI
 * authenticator apps read from a QR code. The clock is the caller's. */
#ifndef CLOUD_TOTP_H
#define CLOUD_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP 30      /* seconds per code */
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1     /* steps accepted either side of now (clock drift) */
#define TOTP_SECRET_LEN 20 /* bytes of a new secret: 160 bits, as RFC 4226 recommends */
#define BASE32_MAX 64     /* a base32 secret and its NUL */

/* The HOTP value of counter with digits digits (6..8); -1 on failure. */
int64_t hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits);
/* The step of time t: floor(t / TOTP_STEP). */
int64_t totp_step(int64_t t);

/* Checks a TOTP_DIGITS code against the steps now-TOTP_WINDOW..now+TOTP_WINDOW, never
 * one at or before last_step (a code once used, or an older one, does not work again).
 * Returns the step that matched (store it as the new last_step), or -1. */
int64_t totp_check(const uint8_t *key, size_t keylen, int64_t now, const char *code,
		   int64_t last_step);

/* RFC 4648 base32 without padding: 0, or -1 when out is too small / in is not base32. */
int base32_encode(const uint8_t *in, size_t len, char *out, size_t outsz);
/* Decodes (case-insensitive, '=' padding and spaces ignored); bytes written or -1. */
int base32_decode(const char *in, uint8_t *out, size_t outsz);

/* otpauth://totp/<issuer>:<account>?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30,
 * account percent-encoded; 0, or -1 when out is too small. */
int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	     size_t outsz);

#endif
