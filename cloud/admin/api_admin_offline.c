/* api_admin_offline: licensing a system that never reaches the cloud (docs/licenses.md
 * "Offline systems"). Its system file is an envelope (protocol §5) sealed by the device's
 * own key, with a payload of type "system": serial, model, installed applications and
 * the public key itself. The cloud checks the signature against that key and the key's
 * fingerprint against key_id, then that the serial is not an enrolled device's with
 * another key, and answers with a license file: its licenses for that serial, each in a
 * camcloud envelope bound to the serial and the device key (device_id = fingerprint). */
#include <stdio.h>
#include <string.h>

#include "../../lib/envelope.h"
#include "../../lib/json.h"
#include "../http/api.h"
#include "../domain/device_licenses.h"

#define SYSTEM_FILE_MAX (32 * 1024)
#define OFFLINE_LICENSE_TTL (30 * 86400) /* time to carry the license file to the system */
#define SYSTEM_FILE_SKEW 300

struct system_file {
	char serial[FIELD_SHORT], model[FIELD_SHORT], fp[CRYPTO_SHA256_HEX_LEN];
};

/* The payload's public key, without trusting anything yet. */
static int system_key(const char *text, size_t len, struct crypto_key **key)
{
	static char pem[CRYPTO_PUBKEY_PEM_MAX];
	static uint8_t raw[SYSTEM_FILE_MAX];
	static char b64[SYSTEM_FILE_MAX * 2];
	struct json_doc d = {0}, p = {0};
	int rc = -1, n;
	if (json_parse(&d, text, len, 64) == 0 &&
	    json_get_string(&d, 0, "payload", b64, sizeof(b64)) == 0 &&
	    (n = base64_decode(b64, strlen(b64), raw, sizeof(raw) - 1)) > 0 &&
	    json_parse(&p, (const char *)raw, (size_t)n, 1024) == 0 &&
	    json_get_string(&p, 0, "public_key", pem, sizeof(pem)) == 0 &&
	    crypto_key_from_public_pem(key, pem) == 0)
		rc = 0;
	json_free(&p);
	json_free(&d);
	return rc;
}

/* 0 with f filled, or -1 after a 400 saying what does not check out. */
static int system_file_check(struct request *rq, struct reply *rp, const char *text,
			     struct system_file *f)
{
	struct crypto_key *key = NULL;
	struct buf payload;
	struct json_doc p = {0};
	int rc = -1;
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	if (system_key(text, strlen(text), &key) != 0 || crypto_key_fingerprint(key, f->fp) != 0) {
		reply_error(rp, 400, "bad_request", "not a system file (no device public key)");
		goto out;
	}
	enum envelope_err e = envelope_open(key, text, strlen(text), &payload);
	if (e != ENVELOPE_OK) {
		reply_error(rp, 400, "bad_signature", "system file refused: %s",
			    envelope_strerror(e));
		goto out;
	}
	if (json_parse(&p, payload.data, payload.len, 1024) != 0 ||
	    json_get_string(&p, 0, "serial", f->serial, sizeof(f->serial)) != 0 ||
	    json_get_string(&p, 0, "model", f->model, sizeof(f->model)) != 0 ||
	    !is_printable(f->serial, sizeof(f->serial) - 1)) {
		reply_bad_field(rp, "system_file.serial");
		goto out;
	}
	struct envelope_binding want = {.type = "system", .device_id = f->fp, .serial = f->serial,
					.now = rq->now, .max_skew = SYSTEM_FILE_SKEW};
	e = envelope_check_binding(payload.data, payload.len, &want);
	if (e != ENVELOPE_OK) {
		reply_error(rp, 400, "bad_request", "system file refused: %s", envelope_strerror(e));
		goto out;
	}
	rc = 0;
out:
	json_free(&p);
	buf_free(&payload);
	crypto_key_free(key);
	return rc;
}

/* A serial enrolled with another key is not this system's to claim. */
static int serial_checks_out(struct request *rq, struct reply *rp, const struct system_file *f)
{
	char fp[CRYPTO_SHA256_HEX_LEN] = "";
	struct store_rows *st = store_query(rq->c->store, ST_DEVICE_KEY_FP_OF_SERIAL, "s", f->serial);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, fp, sizeof(fp)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	if (r == 1 && strcmp(fp, f->fp) != 0) {
		reply_error(rp, 400, "wrong_serial",
			    "serial %s is enrolled with another device key", f->serial);
		return -1;
	}
	return 0;
}

/* POST /admin/v1/licenses/offline {"org_id","system_file":"<the file's text>"} */
void admin_license_offline(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN];
	static char text[SYSTEM_FILE_MAX];
	struct system_file f;
	if (req_string(rq, rp, "org_id", org, sizeof(org)) != 0 ||
	    req_string(rq, rp, "system_file", text, sizeof(text)) != 0)
		return;
	if (!is_hex_id(org)) {
		reply_bad_field(rp, "org_id");
		return;
	}
	if (authorize(rq, rp, org, NULL, NEED_MANAGE) != 0 ||
	    system_file_check(rq, rp, text, &f) != 0 || serial_checks_out(rq, rp, &f) != 0)
		return;
	struct store *db = rq->c->store;
	struct store_rows *st = store_query(db, ST_LICENSES_OF_ORG_SERIAL, "ssi", org, f.serial,
					    rq->now);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "type", "license_file");
	jw_kv_string(w, "serial", f.serial);
	jw_kv_string(w, "key_fp", f.fp);
	jw_kv_string(w, "cloud_public_key", rq->c->signer.pem);
	jw_key(w, "licenses");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR, n = 0;
	while (r == 1 && (r = store_next(st)) == 1) {
		if (license_envelope(rq->c, st, f.fp, rq->now, OFFLINE_LICENSE_TTL, w) != 0)
			r = DB_ERROR;
		n++;
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0 || audit(rq, &(struct audit_scope){org, NULL, NULL}, "license.offline",
			   "license file for offline system %s (%s): %d license%s", f.serial,
			   f.model, n, n == 1 ? "" : "s") != 0)
		reply_internal(rp);
}
