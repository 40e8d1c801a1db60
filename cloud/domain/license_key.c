/* license_key: reading and verifying vendor license keys (see license_key.h). The
 * signature is checked with the cloud's ECDSA backend (ecdsa.h). */
#include "license_key.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/json.h"
#include "ecdsa.h"

#define PAYLOAD_MAX 2048
#define SIG_DER_MAX 80

int license_type_ok(const char *type)
{
	size_t n = strlen(type);
	if (n < 1 || n >= LICENSE_TYPE_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", type[i]))
			return 0;
	return 1;
}

static int is_hex32(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

static int read_licenses(const struct json_doc *d, struct license_key *out, const char **why)
{
	int arr = json_find(d, 0, "licenses");
	int n = arr < 0 ? -1 : json_array_len(d, arr);
	if (n < 1 || n > LICENSE_KEY_TYPES) {
		*why = "the key holds no licenses (or too many types)";
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int e = json_array_at(d, arr, i);
		int64_t count = 0;
		if (json_get_string(d, e, "type", out->lic[i].type, LICENSE_TYPE_LEN) != 0 ||
		    !license_type_ok(out->lic[i].type) || json_get_int64(d, e, "count", &count) != 0 ||
		    count < 1 || count > LICENSE_COUNT_MAX) {
			*why = "a license entry of the key is malformed";
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(out->lic[j].type, out->lic[i].type) == 0) {
				*why = "the key names a license type twice";
				return -1;
			}
		out->lic[i].count = count;
	}
	out->ntypes = (size_t)n;
	return 0;
}

int license_key_parse(const char *key, struct license_key *out, const char **why)
{
	uint8_t payload[PAYLOAD_MAX + 1];
	struct json_doc d;
	int64_t v = 0;
	const char *dot = strchr(key, '.');
	memset(out, 0, sizeof(*out));
	*why = "not a license key (expected PAYLOAD.SIGNATURE)";
	if (!dot || strchr(dot + 1, '.') || strlen(key) >= LICENSE_KEY_MAX)
		return -1;
	int n = base64url_decode(key, (size_t)(dot - key), payload, PAYLOAD_MAX);
	if (n <= 0)
		return -1;
	payload[n] = '\0';
	if (json_parse(&d, (const char *)payload, (size_t)n, 64) != 0)
		return -1;
	int rc = -1;
	if (json_get_int64(&d, 0, "v", &v) != 0 || v != 1)
		*why = "unknown license key version";
	else if (json_get_string(&d, 0, "key_id", out->key_id, sizeof(out->key_id)) != 0 ||
		 !is_hex32(out->key_id))
		*why = "the key has no key id";
	else if (json_get_string(&d, 0, "app", out->app_id, sizeof(out->app_id)) != 0 ||
		 !out->app_id[0])
		*why = "the key names no application";
	else
		rc = read_licenses(&d, out, why);
	json_free(&d);
	return rc;
}

static struct ecdsa_key *public_key(const char *pem)
{
	struct crypto_key *k = NULL;
	uint8_t point[CRYPTO_PUBKEY_POINT_LEN];
	if (crypto_key_from_public_pem(&k, pem) != 0)
		return NULL;
	int rc = crypto_key_public_point(k, point);
	crypto_key_free(k);
	return rc == 0 ? ecdsa_key_from_public_point(point, sizeof(point)) : NULL;
}

int license_key_public_ok(const char *pem)
{
	struct ecdsa_key *k = public_key(pem);
	ecdsa_key_free(k);
	return k ? 0 : -1;
}

int license_key_verify(const char *key, const char *public_pem)
{
	uint8_t der[SIG_DER_MAX];
	char sig_b64[CRYPTO_SIG_B64_MAX];
	const char *dot = strchr(key, '.');
	if (!dot)
		return -1;
	int n = base64url_decode(dot + 1, strlen(dot + 1), der, sizeof(der));
	if (n <= 0 || base64_encode(der, (size_t)n, sig_b64, sizeof(sig_b64)) < 0)
		return -1;
	struct ecdsa_key *k = public_key(public_pem);
	int rc = k ? ecdsa_verify(k, key, (size_t)(dot - key), sig_b64) : -1;
	ecdsa_key_free(k);
	return rc;
}
