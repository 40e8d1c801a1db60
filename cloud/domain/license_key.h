/* license_key: the license keys a product's vendor sells (docs/licenses.md, "License
 * keys"). A key is two base64url parts joined by a dot:
 *     base64url(payload JSON) "." base64url(DER ECDSA P-256 signature)
 * the signature over the first part's text, by the vendor's key-signing key. The
 * payload is {"v":1,"key_id":"<32 hex>","app":"<application id>",
 * "licenses":[{"type":"subscription","count":10}, ...]}. tools/camvendor makes them;
 * camcloud only verifies, with the public key the product was registered with. */
#ifndef CLOUD_LICENSE_KEY_H
#define CLOUD_LICENSE_KEY_H

#include <stddef.h>
#include <stdint.h>

#define LICENSE_KEY_MAX 4096   /* the whole key, as text */
#define LICENSE_KEY_TYPES 8    /* license types one key may hold */
#define LICENSE_TYPE_LEN 33
#define LICENSE_APP_LEN 129
#define LICENSE_COUNT_MAX 1000000

struct license_key {
	char key_id[33];
	char app_id[LICENSE_APP_LEN];
	size_t ntypes;
	struct {
		char type[LICENSE_TYPE_LEN];
		int64_t count;
	} lic[LICENSE_KEY_TYPES];
};

/* Reads the payload of key (nothing is trusted yet). 0, or -1 with *why. */
int license_key_parse(const char *key, struct license_key *out, const char **why);
/* 0 when key's signature checks with the PEM public key, else -1. */
int license_key_verify(const char *key, const char *public_pem);
/* 0 when pem is an EC P-256 public key. */
int license_key_public_ok(const char *pem);
/* A license type name: 1-32 of [a-z0-9_-]. */
int license_type_ok(const char *type);

#endif
