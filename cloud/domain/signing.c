/* signing: load-or-create the cloud key and sign with it (see signing.h). */
#include "signing.h"

#include <string.h>
#include <sys/stat.h>

#include "../../lib/envelope.h"
#include "../../lib/log.h"
#include "ecdsa.h"

int signer_load(struct signer *s, const char *path)
{
	int created = 0;
	memset(s, 0, sizeof(*s));
	if (crypto_key_load_or_create(&s->key, path, &created) != 0) {
		log_error("signing: cannot load or create the key %s", path);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warn("signing: %s is readable by others (mode %03o)", path,
			 (unsigned)(st.st_mode & 0777));
	if (crypto_key_fingerprint(s->key, s->fp) != 0 ||
	    crypto_key_public_pem(s->key, s->pem, sizeof(s->pem)) != 0) {
		log_error("signing: cannot export the public key of %s", path);
		signer_free(s);
		return -1;
	}
	if (!(s->signing = ecdsa_key_load_private(path))) {
		log_error("signing: OpenSSL cannot read the P-256 key in %s", path);
		signer_free(s);
		return -1;
	}
	if (created)
		log_info("signing: created a new cloud signing key in %s", path);
	return 0;
}

int signer_load_shared(struct signer *s, const char *path)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("signing: the shared key %s does not exist (make it once with"
			  " `camcloud signing-key create FILE`)", path);
		return -1;
	}
	if (st.st_mode & 077) {
		log_error("signing: %s is readable by others (mode %03o); it must be 0600", path,
			  (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return signer_load(s, path);
}

void signer_free(struct signer *s)
{
	crypto_key_free(s->key);
	ecdsa_key_free(s->signing);
	memset(s, 0, sizeof(*s));
}

int signer_for_thread(const struct signer *s, struct signer *out)
{
	memset(out, 0, sizeof(*out));
	if (!(out->signing = ecdsa_key_for_thread(s->signing)))
		return -1;
	memcpy(out->fp, s->fp, sizeof(out->fp));
	return 0;
}

static int sign_ossl(void *key, const void *msg, size_t len, char *sig, size_t sigsz)
{
	return ecdsa_sign(key, msg, len, sig, sigsz);
}

int signer_seal(const struct signer *s, const char *payload, size_t len, struct buf *out)
{
	if (envelope_seal_with(sign_ossl, s->signing, s->fp, payload, len, out) != 0) {
		log_error("signing: cannot seal an envelope");
		return -1;
	}
	return 0;
}

int signer_sign(const struct signer *s, const void *body, size_t len, char *sig, size_t sigsz)
{
	if (ecdsa_sign(s->signing, body, len, sig, sigsz) != 0) {
		log_error("signing: cannot sign a reply");
		return -1;
	}
	return 0;
}

int signature_verify(const struct crypto_key *key, const void *msg, size_t len,
		     const char *sig_b64)
{
	uint8_t point[CRYPTO_PUBKEY_POINT_LEN];
	struct ecdsa_key *k = NULL;
	if (crypto_key_public_point(key, point) == 0)
		k = ecdsa_key_from_public_point(point, sizeof(point));
	int r = k ? ecdsa_verify(k, msg, len, sig_b64) : -1;
	ecdsa_key_free(k);
	return r;
}
