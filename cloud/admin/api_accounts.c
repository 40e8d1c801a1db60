/* api_accounts: sign-up, sign-in, sign-out and /me (docs/admin-api.md §3). Sign-in
 * failures are throttled per account and per source address (accounts.h) and recorded
 * in the history; the password never is. */
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../domain/accounts.h"
#include "../domain/password.h"
#include "../domain/totp.h"
#include "../http/api.h"
#include "../http/session.h"

#define TOTP_FIELD 16

/* The bootstrap token as bearer (for the first sign-up): 1 when given and right. */
static int bootstrap_given(struct request *rq)
{
	char tok[BEARER_MAX];
	uint8_t sha[CRYPTO_SHA256_LEN];
	const char *h =
		evhttp_find_header(evhttp_request_get_input_headers(rq->ev), "Authorization");
	if (bearer_parse(h, tok, sizeof(tok)) != 0)
		return 0;
	crypto_sha256(tok, strlen(tok), sha);
	memset(tok, 0, sizeof(tok));
	return crypto_equal(sha, rq->c->admin_sha, sizeof(sha));
}

static int req_email(struct request *rq, struct reply *rp, char email[EMAIL_MAX])
{
	char raw[EMAIL_MAX];
	if (req_string(rq, rp, "email", raw, sizeof(raw)) != 0)
		return -1;
	if (email_normalize(raw, email) != 0) {
		reply_bad_field(rp, "email");
		return -1;
	}
	return 0;
}

static int req_password(struct request *rq, struct reply *rp, char pw[PASSWORD_MAX + 1])
{
	if (req_string(rq, rp, "password", pw, PASSWORD_MAX + 1) != 0)
		return -1;
	if (strlen(pw) < PASSWORD_MIN) {
		reply_error(rp, 400, "bad_request", "password must be %d to %d bytes",
			    PASSWORD_MIN, PASSWORD_MAX);
		return -1;
	}
	return 0;
}

/* "user": {"id","email"[,"mfa_enabled"]} (mfa < 0: left out) */
static void write_user(struct json_writer *w, const char *id, const char *email, int mfa)
{
	jw_key(w, "user");
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "email", email);
	if (mfa >= 0)
		jw_kv_bool(w, "mfa_enabled", mfa);
	jw_object_end(w);
}

void account_signup(struct request *rq, struct reply *rp)
{
	char email[EMAIL_MAX], pw[PASSWORD_MAX + 1] = "", hash[PASSWORD_HASH_MAX];
	char org_name[FIELD_NAME] = "", uid[DB_ID_LEN], oid[DB_ID_LEN] = "";
	struct store *db = rq->c->store;

	if (req_email(rq, rp, email) != 0 || req_password(rq, rp, pw) != 0 ||
	    req_string_opt(rq, rp, "org_name", org_name, sizeof(org_name)) != 0)
		goto out;
	int owners = owner_exists(db);
	if (owners < 0) {
		reply_internal(rp);
		goto out;
	}
	if (!owners && (!bootstrap_given(rq) || !org_name[0])) {
		reply_error(rp, 401, "unauthorized", "the first account is the owner of a new"
			    " organization: give org_name and the admin token as bearer");
		goto out;
	}
	if (password_hash(pw, hash) != 0 || db_new_id(uid) != 0 ||
	    (org_name[0] && db_new_id(oid) != 0) || store_begin(db) != 0) {
		log_error("accounts: cannot hash a password or start a transaction");
		reply_internal(rp);
		goto out;
	}
	int r = store_run(db, ST_USERS_INSERT, "sssi", uid, email, hash, rq->now);
	if (r == DB_CONSTRAINT) {
		store_rollback(db);
		reply_error(rp, 409, "conflict", "an account with this e-mail exists");
		goto out;
	}
	if (r != 1 ||
	    (oid[0] && (store_run(db, ST_ORGS_INSERT, "ssi", oid, org_name, rq->now) != 1 ||
			store_run(db, ST_MEMBERSHIPS_INSERT, "sssi", oid, uid, "owner", rq->now) != 1 ||
			audit_actor(rq, &(struct audit_scope){oid, NULL, NULL}, uid, email,
				    "org.create", "org %s created: %s, owner %s", oid, org_name,
				    email) != 0)) ||
	    audit_actor(rq, &(struct audit_scope){oid[0] ? oid : NULL, NULL, NULL}, uid, email,
			"user.signup", "account %s signed up%s", email,
			!owners ? " as the first owner (bootstrap)" : "") != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		goto out;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	write_user(w, uid, email, -1);
	jw_key(w, "org");
	if (oid[0]) {
		jw_object_begin(w);
		jw_kv_string(w, "id", oid);
		jw_kv_string(w, "name", org_name);
		jw_object_end(w);
	} else {
		jw_null(w);
	}
	jw_object_end(w);
out:
	memset(pw, 0, sizeof(pw));
}

/* Seconds the sign-in must still wait for key ("email:..." or "addr:..."); -1 on error. */
static int64_t throttle_wait(struct request *rq, const char *key)
{
	struct store_rows *st = store_query(rq->c->store, ST_THROTTLE_GET, "s", key);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t wait = 0;
	if (r == 1) {
		int64_t until = store_int(st, 1) + throttle_delay(store_int(st, 0));
		wait = until > rq->now ? until - rq->now : 0;
	}
	store_done(st);
	return r < 0 ? -1 : wait;
}

struct signin_keys {
	char account[EMAIL_MAX + 8];
	char addr[sizeof(((struct request *)0)->peer) + 8];
};

/* Records a failed sign-in in the history of every organization the account belongs
 * to (its admins see attempts on their members), or in none for an unknown one. */
static int signin_failure_rows(struct request *rq, const char *user_id, const char *email,
			       const char *why)
{
	struct db_ids orgs = {0};
	const char *peer = rq->peer[0] ? rq->peer : "?";
	int r = user_id ? store_collect_ids(rq->c->store, &orgs, ST_MEMBERSHIPS_OF_USER, "s",
					    user_id)
			: 0;
	for (size_t i = 0; r >= 0 && i < orgs.n; i++)
		r = audit_actor(rq, &(struct audit_scope){orgs.id[i], NULL, NULL}, user_id, email,
				"user.signin_failed", "sign-in of %s from %s refused: %s", email,
				peer, why);
	if (r == 0 && orgs.n == 0)
		r = audit_actor(rq, NULL, user_id, email, "user.signin_failed",
				"sign-in of %s from %s refused: %s", email, peer, why);
	db_ids_free(&orgs);
	return r < 0 ? -1 : 0;
}

/* Counts one failure against both keys and records it; 0 or -1. */
static int signin_failed(struct request *rq, const struct signin_keys *k, const char *user_id,
			 const char *email, const char *why)
{
	struct store *db = rq->c->store;
	if (store_begin(db) != 0 || store_run(db, ST_THROTTLE_FAIL, "si", k->account, rq->now) != 1 ||
	    store_run(db, ST_THROTTLE_FAIL, "si", k->addr, rq->now) != 1 ||
	    signin_failure_rows(rq, user_id, email, why) != 0 || store_commit(db) != 0) {
		store_rollback(db);
		return -1;
	}
	return 0;
}

/* The part of sign-in after the throttle: 1 signed in, 0 refused (rp filled). */
static int signin_check(struct request *rq, struct reply *rp, const struct signin_keys *k,
			const char *email, const char *pw, struct user_row *u)
{
	char code[TOTP_FIELD] = "", recovery[32] = "";
	int r = user_load(rq->c->store, ST_USER_BY_EMAIL, email, u);
	int ok = r == 1 ? password_verify(u->hash, pw) : 0;
	if (r == 0) { /* the same Argon2id work, so the answer's time tells no account apart */
		char scratch[PASSWORD_HASH_MAX];
		(void)password_hash(pw, scratch);
		memset(scratch, 0, sizeof(scratch));
	}
	if (r < 0 || ok < 0 ||
	    req_string_opt(rq, rp, "totp", code, sizeof(code)) != 0 ||
	    req_string_opt(rq, rp, "recovery_code", recovery, sizeof(recovery)) != 0) {
		if (r < 0 || ok < 0)
			reply_internal(rp);
		return 0;
	}
	if (ok != 1) {
		if (signin_failed(rq, k, r == 1 ? u->id : NULL, email, "wrong e-mail or password"))
			reply_internal(rp);
		else
			reply_error(rp, 401, "invalid_credentials", "wrong e-mail or password");
		return 0;
	}
	if (!u->mfa_enabled)
		return 1;
	if (!code[0] && !recovery[0]) {
		reply_error(rp, 401, "mfa_required", "give the code of your authenticator app"
			    " (totp) or a recovery code (recovery_code)");
		return 0;
	}
	if (store_begin(rq->c->store) != 0) {
		reply_internal(rp);
		return 0;
	}
	r = mfa_code_ok(rq, u->id, u->secret, u->last_step, code, recovery);
	if (r != 1 || store_commit(rq->c->store) != 0) {
		store_rollback(rq->c->store);
		if (r < 0 || (r == 0 && signin_failed(rq, k, u->id, email, "wrong MFA code")))
			reply_internal(rp);
		else
			reply_error(rp, 401, "mfa_invalid", "wrong or used MFA code");
		return 0;
	}
	return 1;
}

void account_signin(struct request *rq, struct reply *rp)
{
	char email[EMAIL_MAX], pw[PASSWORD_MAX + 1] = "", csrf[CSRF_LEN];
	struct signin_keys k;
	struct user_row u;
	struct store *db = rq->c->store;

	memset(&u, 0, sizeof(u));
	if (req_email(rq, rp, email) != 0 ||
	    req_string(rq, rp, "password", pw, sizeof(pw)) != 0)
		goto out;
	snprintf(k.account, sizeof(k.account), "email:%s", email);
	snprintf(k.addr, sizeof(k.addr), "addr:%s", rq->peer);
	int64_t wa = throttle_wait(rq, k.account), wb = throttle_wait(rq, k.addr);
	if (wa < 0 || wb < 0) {
		reply_internal(rp);
		goto out;
	}
	if (wa > 0 || wb > 0) {
		char s[24];
		snprintf(s, sizeof(s), "%lld", (long long)(wa > wb ? wa : wb));
		reply_error(rp, 429, "throttled", "too many failed sign-ins: wait %s s", s);
		evhttp_add_header(evhttp_request_get_output_headers(rq->ev), "Retry-After", s);
		goto out;
	}
	if (signin_check(rq, rp, &k, email, pw, &u) != 1)
		goto out;
	if (store_begin(db) != 0 || store_run(db, ST_THROTTLE_CLEAR, "s", k.account) < 0 ||
	    store_run(db, ST_THROTTLE_CLEAR, "s", k.addr) < 0 || session_start(rq, u.id, csrf) != 0 ||
	    audit_actor(rq, NULL, u.id, email, "user.signin", "%s signed in from %s", email,
			rq->peer[0] ? rq->peer : "?") != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		goto out;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	write_user(w, u.id, email, u.mfa_enabled);
	jw_kv_string(w, "csrf_token", csrf);
	jw_kv_int(w, "expires_at", rq->now + SESSION_TTL);
	jw_object_end(w);
out:
	memset(pw, 0, sizeof(pw));
	memset(&u, 0, sizeof(u));
}

void account_signout(struct request *rq, struct reply *rp)
{
	if (session_end(rq) != 0) {
		reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_bool(w, "signed_out", 1);
	jw_object_end(w);
}

static int write_memberships(struct request *rq, struct json_writer *w)
{
	struct store_rows *st =
		store_query(rq->c->store, ST_MEMBERSHIPS_OF_USER, "s", rq->who.user_id);
	int r = st ? 1 : DB_ERROR;
	jw_key(w, "memberships");
	jw_array_begin(w);
	while (r == 1 && (r = store_next(st)) == 1) {
		char org[DB_ID_LEN];
		if (store_str(st, 0, org, sizeof(org)) != 0) {
			r = DB_ERROR;
			break;
		}
		if (rq->who.kind == PRINCIPAL_API_TOKEN && strcmp(org, rq->who.token_org) != 0)
			continue;
		jw_object_begin(w);
		jw_kv_string(w, "org_id", org);
		jw_kv_string(w, "org_name", store_text(st, 1));
		/* an API token acts with at most its own role: say the one it has */
		enum role role = ROLE_NONE;
		(void)role_parse(store_text(st, 2), &role);
		if (rq->who.kind == PRINCIPAL_API_TOKEN)
			role = role_cap(role, rq->who.token_role);
		jw_kv_string(w, "role", role_name(role));
		if (write_grants(rq, w, rq->who.user_id, org) != 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	return r < 0 ? -1 : 0;
}

void account_me(struct request *rq, struct reply *rp)
{
	static const char *const kinds[] = {"none", "bootstrap", "user", "api_token"};
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "principal", kinds[rq->who.kind]);
	int r = 0;
	if (rq->who.kind == PRINCIPAL_BOOTSTRAP) {
		jw_key(w, "user");
		jw_null(w);
		jw_key(w, "memberships");
		jw_array_begin(w);
		jw_array_end(w);
	} else {
		write_user(w, rq->who.user_id, rq->who.email, rq->who.mfa_enabled);
		if (rq->who.kind == PRINCIPAL_USER)
			jw_kv_string(w, "csrf_token", rq->who.csrf);
		else
			jw_kv_string(w, "token_id", rq->who.token_id);
		r = write_memberships(rq, w);
	}
	jw_object_end(w);
	if (r != 0)
		reply_internal(rp);
}
