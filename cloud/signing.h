/* signing: the cloud signing key (ECDSA P-256, <data dir>/signing.key, 0600).
 * It seals task and license envelopes and signs enrollment replies
 * (X-Camcloud-Signature). The private key never leaves this module. */
#ifndef CLOUD_SIGNING_H
#define CLOUD_SIGNING_H

#include <stddef.h>

#include "../lib/buf.h"
#include "../lib/crypto.h"

struct signer {
	struct crypto_key *key;
	char fp[CRYPTO_SHA256_HEX_LEN];    /* hex SHA-256 of the DER public key */
	char pem[CRYPTO_PUBKEY_PEM_MAX];   /* public key */
};

/* Loads path, or creates a new key there when absent. */
int signer_load(struct signer *s, const char *path);
void signer_free(struct signer *s);

/* Seals payload JSON into an envelope appended to out. */
int signer_seal(const struct signer *s, const char *payload, size_t len, struct buf *out);
/* Base64 DER signature over body, for X-Camcloud-Signature. */
int signer_sign(const struct signer *s, const void *body, size_t len, char *sig, size_t sigsz);

#endif
