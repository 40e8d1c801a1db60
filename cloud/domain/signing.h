/* signing: the cloud signing key (ECDSA P-256, <data dir>/signing.key, 0600).
 * It seals task and license envelopes and signs enrollment replies
 * (X-Camcloud-Signature). The private key never leaves this module. The key file is
 * made and read by lib/crypto (mbedtls), which also gives its fingerprint and public
 * PEM; the signatures themselves come from OpenSSL's libcrypto (ecdsa.h),
 * in the same format, because a fleet's wake-up is one signature per device.
 * Device signatures (enrollment, auth) are verified here too, for the same reason. */
#ifndef CLOUD_SIGNING_H
#define CLOUD_SIGNING_H

#include <stddef.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"

struct ecdsa_key;

struct signer {
	struct crypto_key *key;            /* the key as lib/crypto reads it (public side) */
	struct ecdsa_key *signing;          /* the same key, for signing */
	char fp[CRYPTO_SHA256_HEX_LEN];    /* hex SHA-256 of the DER public key */
	char pem[CRYPTO_PUBKEY_PEM_MAX];   /* public key */
};

/* Loads path, or creates a new key there when absent. */
int signer_load(struct signer *s, const char *path);
/* Loads the key file several instances share (--signing-key): it must exist (made
 * with `camcloud signing-key create FILE`, never here, so that two instances cannot
 * each make their own) and be readable by its owner only (0600 or 0400). */
int signer_load_shared(struct signer *s, const char *path);
void signer_free(struct signer *s);
/* out: s for signing from another thread (its own context, the same key and
 * fingerprint; no public parts). -1 when the backend cannot (ecdsa_key_for_thread). */
int signer_for_thread(const struct signer *s, struct signer *out);

/* Seals payload JSON into an envelope appended to out. */
int signer_seal(const struct signer *s, const char *payload, size_t len, struct buf *out);
/* Base64 DER signature over body, for X-Camcloud-Signature. */
int signer_sign(const struct signer *s, const void *body, size_t len, char *sig, size_t sigsz);

/* crypto_verify through libcrypto: 0 when sig_b64 (X-Camagent-Signature) is a
 * signature of msg by key (a device's public key), -1 otherwise. */
int signature_verify(const struct crypto_key *key, const void *msg, size_t len,
		     const char *sig_b64);

#endif
