/* envelope: seal and open the signed wrapper around tasks and licenses
 * (docs/protocol.md §5), and the binding checks (type, device, serial, iat, exp)
 * that both the cloud and the agent apply to an opened payload. */
#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

#define ENV_TOKENS 32                          /* the envelope object itself */
#define PAYLOAD_TOKENS JSON_MAX_TOKENS_DEFAULT /* the payload inside it */
#define FIELD_MAX 256

const char *envelope_strerror(enum envelope_err err)
{
	switch (err) {
	case ENVELOPE_OK: return "ok";
	case ENVELOPE_MALFORMED: return "malformed envelope";
	case ENVELOPE_WRONG_KEY: return "signed by an unknown key";
	case ENVELOPE_BAD_SIGNATURE: return "bad signature";
	case ENVELOPE_WRONG_DEVICE: return "bound to another device";
	case ENVELOPE_NOT_YET_VALID: return "not yet valid";
	case ENVELOPE_EXPIRED: return "expired";
	case ENVELOPE_WRONG_TYPE: return "wrong payload type";
	}
	return "unknown envelope error";
}

/* 1 when text is a JSON object within the payload limits. */
static int is_json_object(const char *text, size_t len)
{
	struct json_doc doc;

	if (len > ENVELOPE_MAX_BYTES || json_parse(&doc, text, len, PAYLOAD_TOKENS))
		return 0;
	int ok = json_type_of(&doc, 0) == JSON_OBJECT;
	json_free(&doc);
	return ok;
}

static int write_envelope(struct buf *out, const char *payload_b64, const char *sig_b64,
			  const char *key_id)
{
	struct json_writer w;

	jw_init(&w, out);
	jw_object_begin(&w);
	jw_kv_string(&w, "payload", payload_b64);
	jw_kv_string(&w, "signature", sig_b64);
	jw_kv_string(&w, "key_id", key_id);
	jw_object_end(&w);
	return jw_finish(&w);
}

int envelope_seal_with(envelope_sign_fn sign, void *ctx, const char *key_id,
		       const char *payload_json, size_t len, struct buf *out)
{
	char sig[CRYPTO_SIG_B64_MAX];
	size_t b64sz = (len + 2) / 3 * 4 + 1, old_len = out->len;
	char *b64 = NULL;
	int rc = -1;

	if (!payload_json || !is_json_object(payload_json, len))
		return -1;
	b64 = malloc(b64sz);
	if (!b64 || base64_encode(payload_json, len, b64, b64sz) < 0 ||
	    sign(ctx, payload_json, len, sig, sizeof(sig)))
		goto cleanup;
	rc = write_envelope(out, b64, sig, key_id);
	/* An envelope the agent would refuse as too large is not worth sending. */
	if (rc == 0 && out->len - old_len > ENVELOPE_MAX_BYTES)
		rc = -1;
cleanup:
	if (rc && out->data) {
		out->len = old_len;
		out->data[old_len] = '\0';
	}
	free(b64);
	return rc;
}

static int sign_mbedtls(void *key, const void *msg, size_t len, char *sig_b64, size_t sig_b64sz)
{
	return crypto_sign(key, msg, len, sig_b64, sig_b64sz);
}

int envelope_seal(const struct crypto_key *key, const char *payload_json, size_t len,
		  struct buf *out)
{
	char fp[CRYPTO_SHA256_HEX_LEN];
	if (crypto_key_fingerprint(key, fp))
		return -1;
	return envelope_seal_with(sign_mbedtls, (void *)key, fp, payload_json, len, out);
}

/* The three envelope fields, as found in the envelope JSON. */
struct env_fields {
	char *payload_b64; /* heap, sized to the envelope */
	char sig_b64[CRYPTO_SIG_B64_MAX];
	char key_id[CRYPTO_SHA256_HEX_LEN];
};

static enum envelope_err parse_envelope(const char *env_json, size_t len, struct env_fields *f)
{
	struct json_doc doc;
	enum envelope_err err = ENVELOPE_MALFORMED;

	if (!env_json || len > ENVELOPE_MAX_BYTES || json_parse(&doc, env_json, len, ENV_TOKENS))
		return ENVELOPE_MALFORMED;
	f->payload_b64 = malloc(len + 1);
	if (f->payload_b64 && json_type_of(&doc, 0) == JSON_OBJECT &&
	    json_get_string(&doc, 0, "payload", f->payload_b64, len + 1) == 0 &&
	    json_get_string(&doc, 0, "signature", f->sig_b64, sizeof(f->sig_b64)) == 0 &&
	    json_get_string(&doc, 0, "key_id", f->key_id, sizeof(f->key_id)) == 0)
		err = ENVELOPE_OK;
	json_free(&doc);
	return err;
}

/* Decodes payload_b64 into a fresh heap buffer; returns its length or -1. */
static int decode_payload(const char *b64, char **out)
{
	size_t n = strlen(b64);
	size_t cap = n / 4 * 3 + 1;

	*out = malloc(cap);
	if (!*out)
		return -1;
	int got = base64_decode(b64, n, (uint8_t *)*out, cap);
	if (got < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[got] = '\0';
	return got;
}

static enum envelope_err check_signer(const struct crypto_key *cloud_key,
				      const struct env_fields *f)
{
	char fp[CRYPTO_SHA256_HEX_LEN];
	uint8_t der[CRYPTO_SIG_B64_MAX];

	if (crypto_key_fingerprint(cloud_key, fp) || strcmp(fp, f->key_id) != 0)
		return ENVELOPE_WRONG_KEY;
	if (base64_decode(f->sig_b64, strlen(f->sig_b64), der, sizeof(der)) <= 0)
		return ENVELOPE_MALFORMED;
	return ENVELOPE_OK;
}

enum envelope_err envelope_open(const struct crypto_key *cloud_key, const char *env_json,
				size_t len, struct buf *payload_out)
{
	struct env_fields f = { 0 };
	char *payload = NULL;
	int plen;
	enum envelope_err err = parse_envelope(env_json, len, &f);

	if (err)
		goto cleanup;
	err = check_signer(cloud_key, &f);
	if (err)
		goto cleanup;
	plen = decode_payload(f.payload_b64, &payload);
	if (plen < 0) {
		err = ENVELOPE_MALFORMED;
		goto cleanup;
	}
	if (crypto_verify(cloud_key, payload, (size_t)plen, f.sig_b64)) {
		err = ENVELOPE_BAD_SIGNATURE;
		goto cleanup;
	}
	if (!is_json_object(payload, (size_t)plen) ||
	    buf_append(payload_out, payload, (size_t)plen))
		err = ENVELOPE_MALFORMED;
cleanup:
	free(f.payload_b64);
	free(payload);
	return err;
}

/* The binding fields every payload carries. */
struct binding {
	char type[FIELD_MAX];
	char device_id[FIELD_MAX];
	char serial[FIELD_MAX];
	int64_t iat, exp;
};

static int read_binding(const char *payload_json, size_t len, struct binding *b)
{
	struct json_doc doc;
	int rc = -1;

	if (!payload_json || len > ENVELOPE_MAX_BYTES ||
	    json_parse(&doc, payload_json, len, PAYLOAD_TOKENS))
		return -1;
	if (json_type_of(&doc, 0) == JSON_OBJECT &&
	    json_get_string(&doc, 0, "type", b->type, sizeof(b->type)) == 0 &&
	    json_get_string(&doc, 0, "device_id", b->device_id, sizeof(b->device_id)) == 0 &&
	    json_get_string(&doc, 0, "serial", b->serial, sizeof(b->serial)) == 0 &&
	    json_get_int64(&doc, 0, "iat", &b->iat) == 0 &&
	    json_get_int64(&doc, 0, "exp", &b->exp) == 0)
		rc = 0;
	json_free(&doc);
	return rc;
}

static int same(const char *want, const char *got)
{
	return want && strcmp(want, got) == 0;
}

/* iat > now + skew, without overflowing for extreme values. */
static int too_early(int64_t iat, int64_t now, int64_t skew)
{
	if (skew < 0)
		skew = 0;
	if (now > INT64_MAX - skew)
		return 0;
	return iat > now + skew;
}

enum envelope_err envelope_check_binding(const char *payload_json, size_t len,
					 const struct envelope_binding *want)
{
	struct binding b;

	if (!want || read_binding(payload_json, len, &b))
		return ENVELOPE_MALFORMED;
	if (!same(want->type, b.type))
		return ENVELOPE_WRONG_TYPE;
	if (!same(want->device_id, b.device_id) || !same(want->serial, b.serial))
		return ENVELOPE_WRONG_DEVICE;
	if (too_early(b.iat, want->now, want->max_skew))
		return ENVELOPE_NOT_YET_VALID;
	if (b.exp <= want->now)
		return ENVELOPE_EXPIRED;
	return ENVELOPE_OK;
}
