/* api_mfa: TOTP enrolment (secret and otpauth URI for a QR code), confirmation with a
 * code (which turns MFA on and hands out ten one-time recovery codes, stored hashed),
 * and turning it off again with the password and a code (docs/admin-api.md §4). */
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../domain/accounts.h"
#include "../domain/password.h"
#include "../domain/totp.h"
#include "../http/api.h"
#include "../http/session.h"
#include "audit_commit.h"

#define TOTP_ISSUER "camcloud"
#define TOTP_URI_MAX 512

static int mfa_user_load(struct request *rq, struct reply *rp, struct user_row *u)
{
	int r = user_load(rq->c->store, ST_USER_BY_ID, rq->who.user_id, u);
	if (r != 1)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

/* MFA belongs to a person: a signed-in user or that user's API token. */
static int user_only(struct request *rq, struct reply *rp)
{
	if (rq->who.kind == PRINCIPAL_USER || rq->who.kind == PRINCIPAL_API_TOKEN)
		return 0;
	reply_error(rp, 403, "forbidden", "MFA belongs to a user account");
	return -1;
}

/* Checks the password of the request body against u; -1 with rp filled when wrong. */
static int password_again(struct request *rq, struct reply *rp, const struct user_row *u)
{
	char pw[PASSWORD_MAX + 1] = "";
	if (req_string(rq, rp, "password", pw, sizeof(pw)) != 0)
		return -1;
	int ok = password_verify(u->hash, pw);
	memset(pw, 0, sizeof(pw));
	if (ok == 1)
		return 0;
	if (ok < 0)
		reply_internal(rp);
	else
		reply_error(rp, 401, "invalid_credentials", "wrong password");
	return -1;
}

int mfa_code_ok(struct request *rq, const char *user_id, const char *secret_b32,
		int64_t last_step, const char *code, const char *recovery)
{
	if (code && *code) {
		uint8_t key[TOTP_SECRET_LEN * 2];
		int n = base32_decode(secret_b32, key, sizeof(key));
		int64_t step = n > 0 ? totp_check(key, (size_t)n, rq->now, code, last_step) : -1;
		memset(key, 0, sizeof(key));
		if (step < 0)
			return 0;
		return store_run(rq->c->store, ST_USERS_SET_MFA_LAST_STEP, "is", step, user_id) == 1
			       ? 1
			       : -1;
	}
	char norm[RECOVERY_CODE_LEN], sha[CRYPTO_SHA256_HEX_LEN];
	if (!recovery || recovery_code_normalize(recovery, norm) != 0)
		return 0;
	crypto_sha256_hex(norm, strlen(norm), sha);
	int r = store_run(rq->c->store, ST_RECOVERY_CODE_USE, "ss", user_id, sha);
	return r < 0 ? -1 : r == 1;
}

void mfa_enroll(struct request *rq, struct reply *rp)
{
	struct user_row u;
	uint8_t key[TOTP_SECRET_LEN];
	char b32[BASE32_MAX], uri[TOTP_URI_MAX];
	if (user_only(rq, rp) != 0 || mfa_user_load(rq, rp, &u) != 0 ||
	    password_again(rq, rp, &u) != 0)
		goto out;
	if (u.mfa_enabled) {
		reply_error(rp, 409, "conflict", "MFA is on already; disable it first");
		goto out;
	}
	if (crypto_random(key, sizeof(key)) != 0 || base32_encode(key, sizeof(key), b32, sizeof(b32)) ||
	    totp_uri(TOTP_ISSUER, rq->who.email, b32, uri, sizeof(uri)) != 0 ||
	    store_run(rq->c->store, ST_USERS_SET_MFA_PENDING, "ss", b32, rq->who.user_id) != 1) {
		reply_internal(rp);
		goto out;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "secret", b32);
	jw_kv_string(w, "otpauth_uri", uri);
	jw_object_end(w);
out:
	memset(key, 0, sizeof(key));
	memset(&u, 0, sizeof(u));
}

/* Ten fresh recovery codes: their hashes replace the old ones, the codes go to out. */
static int recovery_codes_new(struct request *rq, char out[RECOVERY_CODES][RECOVERY_CODE_LEN])
{
	struct store *db = rq->c->store;
	if (store_run(db, ST_RECOVERY_CODES_DELETE_OF_USER, "s", rq->who.user_id) < 0)
		return -1;
	for (int i = 0; i < RECOVERY_CODES; i++) {
		uint8_t rnd[9];
		char sha[CRYPTO_SHA256_HEX_LEN];
		if (crypto_random(rnd, sizeof(rnd)) != 0 || recovery_code_format(rnd, out[i]) != 0)
			return -1;
		crypto_sha256_hex(out[i], strlen(out[i]), sha);
		if (store_run(db, ST_RECOVERY_CODES_INSERT, "ss", rq->who.user_id, sha) != 1)
			return -1;
	}
	return 0;
}

void mfa_confirm(struct request *rq, struct reply *rp)
{
	struct user_row u;
	char code[16], codes[RECOVERY_CODES][RECOVERY_CODE_LEN];
	struct store *db = rq->c->store;
	if (user_only(rq, rp) != 0 || mfa_user_load(rq, rp, &u) != 0 ||
	    req_string(rq, rp, "code", code, sizeof(code)) != 0)
		goto out;
	if (!u.pending[0]) {
		reply_error(rp, 409, "conflict", "no MFA enrolment pending: enroll first");
		goto out;
	}
	uint8_t key[TOTP_SECRET_LEN * 2];
	int n = base32_decode(u.pending, key, sizeof(key));
	int64_t step = n > 0 ? totp_check(key, (size_t)n, rq->now, code, -1) : -1;
	memset(key, 0, sizeof(key));
	if (step < 0) {
		reply_error(rp, 400, "mfa_invalid", "wrong code: check the authenticator's clock");
		goto out;
	}
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 &&
				 store_run(db, ST_USERS_ENABLE_MFA, "is", step, rq->who.user_id) == 1 &&
				 recovery_codes_new(rq, codes) == 0,
			 NULL, "user.mfa_enable", "%s turned MFA on", rq->who.email) != 0)
		goto out;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_bool(w, "mfa_enabled", 1);
	jw_key(w, "recovery_codes");
	jw_array_begin(w);
	for (int i = 0; i < RECOVERY_CODES; i++)
		jw_string(w, codes[i]);
	jw_array_end(w);
	jw_object_end(w);
out:
	memset(codes, 0, sizeof(codes));
	memset(&u, 0, sizeof(u));
}

void mfa_disable(struct request *rq, struct reply *rp)
{
	struct user_row u;
	char code[32];
	struct store *db = rq->c->store;
	if (user_only(rq, rp) != 0 || mfa_user_load(rq, rp, &u) != 0 ||
	    password_again(rq, rp, &u) != 0 || req_string(rq, rp, "code", code, sizeof(code)) != 0)
		goto out;
	if (!u.mfa_enabled) {
		reply_error(rp, 409, "conflict", "MFA is not on");
		goto out;
	}
	if (store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	int digits = strspn(code, "0123456789") == strlen(code);
	int r = mfa_code_ok(rq, rq->who.user_id, u.secret, u.last_step, digits ? code : "",
			    digits ? "" : code);
	if (r != 1) {
		store_rollback(db);
		if (r < 0)
			reply_internal(rp);
		else
			reply_error(rp, 400, "mfa_invalid", "wrong or used MFA code");
		goto out;
	}
	if (audit_commit(rq, rp,
			 store_run(db, ST_USERS_DISABLE_MFA, "s", rq->who.user_id) == 1 &&
				 store_run(db, ST_RECOVERY_CODES_DELETE_OF_USER, "s",
					   rq->who.user_id) >= 0,
			 NULL, "user.mfa_disable", "%s turned MFA off", rq->who.email) != 0)
		goto out;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_bool(w, "mfa_enabled", 0);
	jw_object_end(w);
out:
	memset(&u, 0, sizeof(u));
}
