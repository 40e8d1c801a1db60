/* password: Argon2id password hashes through libargon2 (RFC 9106), in the encoded
 * form "$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>", so each hash carries its own
 * random salt and the parameters it was made with; verification reads them back. */
#ifndef CLOUD_PASSWORD_H
#define CLOUD_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 160 /* the encoded form and its NUL */
#define PASSWORD_MIN 10
#define PASSWORD_MAX 128

/* Parameters of new hashes: OWASP's Argon2id floor (19 MiB, 2 passes, 1 lane). */
#define PASSWORD_M_KIB 19456
#define PASSWORD_T 2
#define PASSWORD_P 1
#define PASSWORD_SALT_LEN 16

/* 0 and the encoded hash of password, or -1 (no randomness, libargon2 failed). */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
/* 1 when password matches encoded, 0 when not, -1 for a damaged encoded string. */
int password_verify(const char *encoded, const char *password);

#endif
