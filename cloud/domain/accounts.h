/* accounts: the rules of user accounts that need no store: what an e-mail address
 * is (and its one spelling), how long a throttled sign-in waits, what a session's
 * lifetime is, and how recovery codes look. */
#ifndef CLOUD_ACCOUNTS_H
#define CLOUD_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#define EMAIL_MAX 255            /* an address and its NUL */
#define SESSION_TTL (12 * 3600)  /* absolute lifetime of a console session */
#define SESSION_IDLE (30 * 60)   /* a session unused this long ends */
#define API_TOKEN_TTL_DEFAULT (30 * 86400)
#define API_TOKEN_TTL_MAX (366 * 86400)
#define THROTTLE_FREE 3          /* failures in a row before sign-in waits */
#define THROTTLE_MAX_S (15 * 60) /* the longest wait */
#define RECOVERY_CODES 10
#define RECOVERY_CODE_LEN 15     /* "xxxx-xxxx-xxxx" and its NUL */

/* Trims and ASCII-lowercases in into out (one spelling per address): 0, or -1 for
 * something that is not an address (no single '@' with text on both sides, spaces or
 * control characters, too long). */
int email_normalize(const char *in, char out[EMAIL_MAX]);

/* Seconds a sign-in must wait after failures failed attempts in a row: 0 for the first
 * THROTTLE_FREE, then 1, 2, 4, ... doubling, never more than THROTTLE_MAX_S. */
int64_t throttle_delay(int64_t failures);

/* Whether a session created at created, last used at last_used, is still good at now. */
int session_alive(int64_t created, int64_t last_used, int64_t now);

/* A recovery code from 9 random bytes: "xxxx-xxxx-xxxx", lowercase base32 letters. */
int recovery_code_format(const uint8_t random9[9], char out[RECOVERY_CODE_LEN]);
/* The one spelling of a typed recovery code (lowercase, dashes and spaces dropped, then
 * dashes put back): 0, or -1 when it cannot be one. */
int recovery_code_normalize(const char *in, char out[RECOVERY_CODE_LEN]);

#endif
