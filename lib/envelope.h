/* envelope: the signed wrapper around tasks and licenses (docs/protocol.md §5).
 * {"payload":"<base64 of payload JSON>","signature":"<base64 DER ECDSA>","key_id":"<fp>"}
 * Sealing is the cloud's job; opening (verify, then return the payload) the agent's.
 * Binding checks live here too, so both sides agree on what "bound" means. */
#ifndef CAM_ENVELOPE_H
#define CAM_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "crypto.h"

#define ENVELOPE_MAX_BYTES (64 * 1024)

enum envelope_err {
	ENVELOPE_OK = 0,
	ENVELOPE_MALFORMED,     /* not an envelope, bad base64, payload not JSON */
	ENVELOPE_WRONG_KEY,     /* key_id is not the pinned cloud key */
	ENVELOPE_BAD_SIGNATURE, /* signature does not verify */
	ENVELOPE_WRONG_DEVICE,  /* device_id or serial differ from ours */
	ENVELOPE_NOT_YET_VALID, /* iat in the future beyond the allowed skew */
	ENVELOPE_EXPIRED,       /* exp in the past */
	ENVELOPE_WRONG_TYPE,    /* payload type is not the one expected */
};

const char *envelope_strerror(enum envelope_err err);

/* Signs payload_json (already-serialized JSON) and appends the envelope JSON to out. */
__attribute__((warn_unused_result)) int envelope_seal(const struct crypto_key *key,
						       const char *payload_json, size_t len,
						       struct buf *out);

/* The same with another signer of the same format (base64 DER ECDSA P-256 over
 * SHA-256, as crypto_sign) and its key_id given: the cloud signs with its own backend. */
typedef int (*envelope_sign_fn)(void *ctx, const void *msg, size_t len, char *sig_b64,
				size_t sig_b64sz);
__attribute__((warn_unused_result)) int envelope_seal_with(envelope_sign_fn sign, void *ctx,
							    const char *key_id,
							    const char *payload_json, size_t len,
							    struct buf *out);

/* Verifies the envelope against the pinned cloud key and writes the payload JSON
 * to payload_out. Does not check binding: see envelope_check_binding. */
enum envelope_err envelope_open(const struct crypto_key *cloud_key, const char *env_json,
				size_t len, struct buf *payload_out);

struct envelope_binding {
	const char *type;      /* "task" or "license" */
	const char *device_id;
	const char *serial;
	int64_t now;           /* unix seconds */
	int64_t max_skew;      /* seconds of clock skew tolerated on iat */
};

/* Checks type, device_id, serial, iat and exp of an opened payload. */
enum envelope_err envelope_check_binding(const char *payload_json, size_t len,
					 const struct envelope_binding *want);

#endif
