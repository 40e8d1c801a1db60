/* api_enroll: the two signed device requests, POST /device/v1/enroll (§2) and
 * POST /device/v1/auth (§3). Both verify X-Camagent-Signature over the exact body
 * bytes; enroll with the key in the body, auth with the device's stored key. The
 * checks that need no store (signature, nonce format, clock window) are made at
 * once; the store part (the nonce's single use, the token's rules, the rows) then
 * runs in the group commit of signed_group.h, and the reply leaves after its commit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../http/api.h"
#include "../domain/policy.h"
#include "signed_group.h"

struct enroll_req {
	char secret_sha[CRYPTO_SHA256_HEX_LEN], serial[FIELD_SHORT], model[FIELD_SHORT], hardware_id[FIELD_NAME];
	char arch[FIELD_SHORT], os_version[FIELD_SHORT], agent_version[FIELD_SHORT],
		nonce[FIELD_SHORT];
	char pem[CRYPTO_PUBKEY_PEM_MAX];
	char key_fp[CRYPTO_SHA256_HEX_LEN];
	int64_t ts;
};

static int signature_header(struct request *rq, struct reply *rp, char *sig, size_t sz)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->ev),
					   "X-Camagent-Signature");
	if (!h || !*h || strlen(h) >= sz) {
		reply_error(rp, 401, "unauthorized", "missing or malformed X-Camagent-Signature");
		return -1;
	}
	strcpy(sig, h);
	return 0;
}

/* Verifies sig over the body with key; fills rp (401) when it does not verify. */
static int verify_body(struct request *rq, struct reply *rp, const struct crypto_key *key,
		       const char *sig)
{
	if (signature_verify(key, buf_str(&rq->body), rq->body.len, sig) != 0) {
		reply_error(rp, 401, "unauthorized", "bad signature");
		return -1;
	}
	return 0;
}

/* The replay protection of both signed requests (§2, §3), after the signature has
 * verified: the nonce is 32 hex digits and ts is within the clock window (here), and
 * the nonce was not seen in the last POLICY_NONCE_TTL s (nonce_fresh, in the group's
 * transaction, which swept the older ones): the TTL covers the whole window, so a
 * captured body cannot be sent again while its ts would still pass. 0 when it may
 * go on; otherwise rp holds the refusal. */
static int signed_in_window(struct request *rq, struct reply *rp, int64_t ts, const char *nonce)
{
	if (!is_hex_id(nonce)) {
		reply_bad_field(rp, "nonce");
		return -1;
	}
	if (!ts_within(ts, rq->now, POLICY_TS_WINDOW)) {
		reply_error(rp, 401, "clock_skew", "ts %" PRId64 " is more than %d s off the server"
			    " clock (%" PRId64 ")", ts, POLICY_TS_WINDOW, rq->now);
		return -1;
	}
	return 0;
}

/* Uses the nonce up: 0 when fresh; otherwise rp holds why: 1 replayed, -1 an
 * internal error. */
static int nonce_fresh(struct request *rq, struct reply *rp, const char *nonce)
{
	int r = store_run(rq->c->store, ST_AUTH_NONCES_INSERT, "si", nonce, rq->now);
	if (r == 1)
		return 0;
	if (r != DB_CONSTRAINT) {
		reply_internal(rp);
		return -1;
	}
	reply_error(rp, 401, "replayed", "nonce already used");
	return 1;
}

/* The body's fields; the token's secret is kept as its SHA-256 only (the lookup's
 * key), the secret itself wiped at once. */
static int enroll_fields(struct request *rq, struct reply *rp, struct enroll_req *e)
{
	char secret[FIELD_SHORT];
	int t = json_find(&rq->json, 0, "public_key");
	int r = req_string(rq, rp, "token_secret", secret, sizeof(secret));
	if (r == 0)
		crypto_sha256_hex(secret, strlen(secret), e->secret_sha);
	memset(secret, 0, sizeof(secret));
	if (r || req_string(rq, rp, "serial", e->serial, sizeof(e->serial)) ||
	    req_string(rq, rp, "model", e->model, sizeof(e->model)) ||
	    req_string(rq, rp, "hardware_id", e->hardware_id, sizeof(e->hardware_id)) ||
	    req_string(rq, rp, "arch", e->arch, sizeof(e->arch)) ||
	    req_string(rq, rp, "os_version", e->os_version, sizeof(e->os_version)) ||
	    req_string(rq, rp, "agent_version", e->agent_version, sizeof(e->agent_version)) ||
	    req_string(rq, rp, "nonce", e->nonce, sizeof(e->nonce)) ||
	    req_int(rq, rp, "ts", &e->ts))
		return -1;
	if (t < 0 || json_type_of(&rq->json, t) != JSON_STRING ||
	    json_tok_string(&rq->json, t, e->pem, sizeof(e->pem)) < 0) {
		reply_bad_field(rp, "public_key");
		return -1;
	}
	return 0;
}

static void refuse_token(struct reply *rp, enum token_verdict v, const struct token_facts *tf)
{
	switch (v) {
	case TOKEN_EXPIRED:
		reply_error(rp, 403, "token_expired", "enrollment token expired at %" PRId64,
			    tf->expires_at);
		break;
	case TOKEN_USED_UP:
		reply_error(rp, 403, "token_used_up", "enrollment token already used %" PRId64
			    " of %" PRId64 " times", tf->uses, tf->max_uses);
		break;
	case TOKEN_REVOKED:
		reply_error(rp, 403, "token_revoked", "enrollment token revoked");
		break;
	default:
		reply_error(rp, 403, "token_invalid", "enrollment token unknown");
	}
}

/* The names of an enrolled device's organization and folder, for the reply. */
struct enroll_names {
	char org[256], folder[256]; /* room for any stored name */
};

/* The token and the live device with the serial, as enroll_tx needs them. */
struct enroll_lookup {
	char token_id[DB_ID_LEN], folder_id[DB_ID_LEN], org_id[DB_ID_LEN];
	char dev_fp[CRYPTO_SHA256_HEX_LEN], dev_folder[DB_ID_LEN], dev_org[DB_ID_LEN];
	char dev_token[DB_ID_LEN];
	struct enroll_names token_names, dev_names;
	struct token_facts tf;
	int allow_move, exists, org_archived;
};

static int enroll_lookup(struct store *db, const struct enroll_req *e, struct enroll_lookup *l,
			 char device_id[DB_ID_LEN])
{
	struct store_rows *st =
		store_query(db, ST_ENROLLMENT_TOKEN_FOR_ENROLL, "s", e->secret_sha);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		l->tf.found = 1;
		store_str(st, 0, l->token_id, sizeof(l->token_id));
		store_str(st, 1, l->folder_id, sizeof(l->folder_id));
		l->tf.revoked = (int)store_int(st, 2);
		l->tf.expires_at = store_int(st, 3);
		l->tf.uses = store_int(st, 4);
		l->tf.max_uses = store_int(st, 5);
		l->allow_move = (int)store_int(st, 6);
		store_str(st, 7, l->org_id, sizeof(l->org_id));
		l->org_archived = (int)store_int(st, 8);
		if (store_str(st, 9, l->token_names.org, sizeof(l->token_names.org)) != 0 ||
		    store_str(st, 10, l->token_names.folder, sizeof(l->token_names.folder)) != 0)
			r = DB_ERROR;
	}
	store_done(st);
	if (r < 0)
		return -1;
	st = store_query(db, ST_DEVICE_LIVE_BY_SERIAL, "s", e->serial);
	r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		l->exists = 1;
		store_str(st, 0, device_id, DB_ID_LEN);
		store_str(st, 1, l->dev_fp, sizeof(l->dev_fp));
		store_str(st, 2, l->dev_folder, sizeof(l->dev_folder));
		store_str(st, 3, l->dev_org, sizeof(l->dev_org));
		store_str(st, 4, l->dev_token, sizeof(l->dev_token));
		if (store_str(st, 5, l->dev_names.folder, sizeof(l->dev_names.folder)) != 0 ||
		    store_str(st, 6, l->dev_names.org, sizeof(l->dev_names.org)) != 0)
			r = DB_ERROR;
	}
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* 409 device_conflict, recorded in the history so the admin side sees it too. */
static void refuse_conflict(struct request *rq, struct reply *rp, const char *serial,
			    const char *device_id, const struct enroll_lookup *l,
			    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* It goes into the history of the token's organization and folder (the one that tried;
 * the message names no other). */
static void refuse_conflict(struct request *rq, struct reply *rp, const char *serial,
			    const char *device_id, const struct enroll_lookup *l,
			    const char *fmt, ...)
{
	const char *token_id = l->token_id;
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error(rp, 409, "device_conflict", "%s", msg);
	if (audit(rq, &(struct audit_scope){l->org_id, l->folder_id, NULL}, "device.enroll_refused",
		  "device %s (%s), token %s: %s", serial, device_id, token_id[0] ? token_id : "-",
		  msg) != 0)
		log_warn("enroll: could not record the refusal of %s", serial);
	log_info("enroll: %s refused: %s", serial, msg);
}

/* Moves the live device into the token's folder (ENROLL_MOVE), using the token once
 * (in the caller's transaction). */
static int enroll_move(struct request *rq, const struct enroll_req *e,
		       const struct enroll_lookup *l, const char *device_id)
{
	struct store *db = rq->c->store;
	if (store_run(db, ST_DEVICES_SET_FOLDER_ID_ENROLL_TOKEN_ID, "sss", l->folder_id,
		      l->token_id, device_id) != 1 ||
	    store_run(db, ST_ENROLLMENT_TOKENS_SET_USES, "s", l->token_id) != 1 ||
	    audit(rq, &(struct audit_scope){l->org_id, l->folder_id, device_id}, "device.move",
		  "device %s (%s) moved from folder %s to %s by enrolling with token %s",
		  e->serial, device_id, l->dev_folder, l->folder_id, l->token_id) != 0)
		return -1;
	log_info("enroll: %s (%s) moved to folder %s", e->serial, device_id, l->folder_id);
	return 0;
}

/* Looks the token and the serial up and creates (or moves) the device when allowed,
 * in the caller's transaction. 0: device_id and the names of its organization and
 * folder are set, rp untouched; otherwise rp holds why: 1 a refusal (what it wrote
 * stays), -1 an internal error. */
static int enroll_tx(struct request *rq, struct reply *rp, const struct enroll_req *e,
		     char device_id[DB_ID_LEN], struct enroll_names *names)
{
	struct store *db = rq->c->store;
	struct enroll_lookup l;

	memset(&l, 0, sizeof(l));
	if (enroll_lookup(db, e, &l, device_id) != 0)
		goto fail;
	struct enroll_facts f = {
		.verdict = token_check(&l.tf, rq->now),
		.allow_move = l.allow_move,
		.device_exists = l.exists,
		.same_key = strcmp(l.dev_fp, e->key_fp) == 0,
		.same_enrollment = l.token_id[0] && strcmp(l.dev_token, l.token_id) == 0,
		.same_folder = strcmp(l.dev_folder, l.folder_id) == 0,
		.same_org = strcmp(l.dev_org, l.org_id) == 0,
	};
	if (l.org_archived) { /* its tokens were revoked too; say why plainly */
		reply_error(rp, 403, "org_archived", "the organization of this enrollment token"
			    " was archived");
		return 1;
	}
	switch (enroll_decide(&f)) {
	case ENROLL_REFUSE:
		refuse_token(rp, f.verdict, &l.tf);
		if (l.tf.found && /* a token of an organization: its admins see the attempt */
		    audit(rq, &(struct audit_scope){l.org_id, l.folder_id, NULL},
			  "device.enroll_refused", "device %s, token %s: %s", e->serial, l.token_id,
			  token_state_name(f.verdict)) != 0)
			log_warn("enroll: could not record the refusal of %s", e->serial);
		return 1;
	case ENROLL_CONFLICT:
		refuse_conflict(rq, rp, e->serial, device_id, &l,
				"serial %s is already enrolled with another key", e->serial);
		return 1;
	case ENROLL_CONFLICT_ORG:
		refuse_conflict(rq, rp, e->serial, device_id, &l,
				"device %s is enrolled in another organization", e->serial);
		return 1;
	case ENROLL_CONFLICT_FOLDER:
		refuse_conflict(rq, rp, e->serial, device_id, &l,
				"device %s is already enrolled in folder '%s'; this token does not"
				" allow moving it", e->serial, l.dev_names.folder);
		return 1;
	case ENROLL_RETRY:
		log_info("enroll: %s enrolled again with the same key (retry): %s", e->serial,
			 device_id);
		*names = l.dev_names;
		return 0;
	case ENROLL_MOVE:
		if (enroll_move(rq, e, &l, device_id) != 0)
			goto fail;
		*names = l.token_names;
		return 0;
	case ENROLL_NEW:
		break;
	}
	if (db_new_id(device_id) != 0)
		goto fail;
	if (store_run(db, ST_DEVICES_INSERT_FROM_SELECT, "sssssssssiiss", device_id, e->serial,
		      e->model, e->hardware_id, e->arch, e->pem, e->key_fp, e->os_version,
		      e->agent_version, rq->now, rq->now, l.token_id, l.folder_id) != 1 ||
	    store_run(db, ST_ENROLLMENT_TOKENS_SET_USES, "s", l.token_id) != 1 ||
	    /* licenses follow the serial: preloaded ones, or those of an earlier enrollment,
	     * reach this device on its first poll */
	    store_run(db, ST_LICENSES_RECHECK_OF_SERIAL, "ss", l.org_id, e->serial) < 0 ||
	    audit(rq, &(struct audit_scope){l.org_id, l.folder_id, device_id}, "device.enroll",
		  "device %s (%s, %s) enrolled as %s", e->serial, e->model, e->os_version,
		  device_id) != 0)
		goto fail;
	log_info("enroll: %s (%s) enrolled as %s", e->serial, e->model, device_id);
	*names = l.token_names;
	return 0;
fail:
	reply_internal(rp);
	return -1;
}

/* The store part of an enrollment, in the group's transaction: the nonce, the
 * device and its history row, and the reply (sent after the commit). A refusal keeps
 * what it wrote (the nonce, the refused attempt's row); an internal error none. */
static int enroll_work(struct request *rq, struct reply *rp, void *arg)
{
	const struct enroll_req *e = arg;
	char device_id[DB_ID_LEN];
	struct enroll_names names;
	int r = nonce_fresh(rq, rp, e->nonce);
	if (r == 0)
		r = enroll_tx(rq, rp, e, device_id, &names);
	if (r != 0)
		return r;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "device_id", device_id);
	jw_kv_string(w, "serial", e->serial);
	jw_kv_string(w, "org", names.org);
	jw_kv_string(w, "folder", names.folder);
	jw_kv_string(w, "cloud_public_key", rq->c->signer.pem);
	jw_object_end(w);
	rp->sign = 1;
	return 0;
}

void api_enroll(struct request *rq, struct reply *rp)
{
	struct enroll_req e;
	char sig[CRYPTO_SIG_B64_MAX];
	struct crypto_key *key = NULL;

	memset(&e, 0, sizeof(e));
	if (signature_header(rq, rp, sig, sizeof(sig)) != 0 || enroll_fields(rq, rp, &e) != 0)
		goto out;
	if (crypto_key_from_public_pem(&key, e.pem) != 0 ||
	    crypto_key_fingerprint(key, e.key_fp) != 0) {
		reply_error(rp, 400, "bad_request", "public_key is not an EC P-256 public key");
		goto out;
	}
	if (verify_body(rq, rp, key, sig) == 0 && signed_in_window(rq, rp, e.ts, e.nonce) == 0)
		(void)signed_group_add(rq, rp, enroll_work, &e, sizeof(e));
out:
	crypto_key_free(key);
}

/* Loads the device's public key and removed flag; fills rp when unknown. */
static int load_device_key(struct request *rq, struct reply *rp, const char *device_id,
			   struct crypto_key **key, int *removed)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX];
	struct store_rows *st =
		store_query(rq->c->store, ST_DEVICE_KEY, "s", device_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		*removed = (int)store_int(st, 1);
		if (store_str(st, 0, pem, sizeof(pem)) != 0 ||
		    crypto_key_from_public_pem(key, pem) != 0) {
			log_error("auth: stored key of device %s does not load", device_id);
			r = DB_ERROR;
		}
	}
	store_done(st);
	if (r == 0)
		reply_error(rp, 401, "unauthorized", "unknown device");
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

/* What an auth's store part needs: the device, its nonce and the new token. */
struct auth_req {
	char device_id[DB_ID_LEN], nonce[FIELD_SHORT];
	char token[65], sha[CRYPTO_SHA256_HEX_LEN];
};

/* The store part of an auth, in the group's transaction: the nonce, the token and
 * last_seen; a replay keeps nothing new but its nonce check. */
static int auth_work(struct request *rq, struct reply *rp, void *arg)
{
	const struct auth_req *a = arg;
	struct store *db = rq->c->store;
	int r = nonce_fresh(rq, rp, a->nonce);
	if (r != 0)
		return r;
	if (store_run(db, ST_ACCESS_TOKENS_DELETE, "i", rq->now) < 0 ||
	    store_run(db, ST_ACCESS_TOKENS_INSERT, "ssi", a->sha, a->device_id,
		      rq->now + POLICY_ACCESS_TTL) != 1 ||
	    store_run(db, ST_DEVICES_SET_LAST_SEEN, "is", rq->now, a->device_id) < 0) {
		reply_internal(rp);
		return -1;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "access_token", a->token);
	jw_kv_int(w, "expires_in", POLICY_ACCESS_TTL);
	jw_object_end(w);
	return 0;
}

void api_auth(struct request *rq, struct reply *rp)
{
	char sig[CRYPTO_SIG_B64_MAX];
	struct auth_req a;
	struct crypto_key *key = NULL;
	int removed = 0;
	int64_t ts;

	memset(&a, 0, sizeof(a));
	if (signature_header(rq, rp, sig, sizeof(sig)) != 0 ||
	    req_string(rq, rp, "device_id", a.device_id, sizeof(a.device_id)) != 0 ||
	    req_string(rq, rp, "nonce", a.nonce, sizeof(a.nonce)) != 0 ||
	    req_int(rq, rp, "ts", &ts) != 0)
		goto out;
	if (!is_hex_id(a.device_id)) {
		reply_bad_field(rp, "device_id");
		goto out;
	}
	if (load_device_key(rq, rp, a.device_id, &key, &removed) != 0 ||
	    verify_body(rq, rp, key, sig) != 0)
		goto out;
	if (removed) {
		reply_error(rp, 410, "device_removed", "device was removed by an admin");
		goto out;
	}
	if (signed_in_window(rq, rp, ts, a.nonce) != 0)
		goto out;
	if (crypto_random_hex(a.token, 32) != 0) {
		log_error("auth: no randomness for an access token");
		reply_internal(rp);
		goto out;
	}
	crypto_sha256_hex(a.token, strlen(a.token), a.sha);
	(void)signed_group_add(rq, rp, auth_work, &a, sizeof(a));
out:
	memset(&a, 0, sizeof(a));
	crypto_key_free(key);
}
