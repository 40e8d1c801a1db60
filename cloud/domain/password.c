/* password: Argon2id through libargon2 (see password.h). */
#include "password.h"

#include <string.h>
#include <argon2.h>

#include "../../lib/crypto.h"

#define PASSWORD_TAG_LEN 32

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
	uint8_t salt[PASSWORD_SALT_LEN];
	if (crypto_random(salt, sizeof(salt)) != 0)
		return -1;
	int r = argon2id_hash_encoded(PASSWORD_T, PASSWORD_M_KIB, PASSWORD_P, password,
				      strlen(password), salt, sizeof(salt), PASSWORD_TAG_LEN,
				      out, PASSWORD_HASH_MAX);
	memset(salt, 0, sizeof(salt));
	return r == ARGON2_OK ? 0 : -1;
}

int password_verify(const char *encoded, const char *password)
{
	if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0)
		return -1;
	int r = argon2id_verify(encoded, password, strlen(password));
	if (r == ARGON2_OK)
		return 1;
	return r == ARGON2_VERIFY_MISMATCH ? 0 : -1;
}
