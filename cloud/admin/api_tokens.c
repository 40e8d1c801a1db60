/* api_tokens: personal API tokens for the command line and automation (docs/admin-api.md
 * §5): one organization each, a role no higher than the user's there (the lower of the
 * two counts on every request), an expiry, revocable; the secret is shown once and only
 * its SHA-256 is kept. */
#include <stdio.h>
#include <string.h>

#include "../domain/accounts.h"
#include "../http/api.h"
#include "../http/session.h"
#include "audit_commit.h"

#define API_TOKEN_SECRET_BYTES 24
#define API_TOKEN_MAX (sizeof(API_TOKEN_PREFIX) + 2 * API_TOKEN_SECRET_BYTES)

static int own_user(struct request *rq, struct reply *rp)
{
	if (rq->who.kind == PRINCIPAL_USER || rq->who.kind == PRINCIPAL_API_TOKEN)
		return 0;
	reply_error(rp, 403, "forbidden", "API tokens belong to a user account");
	return -1;
}

void api_token_create(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN] = "", role_want[16] = "", name[FIELD_NAME] = "", id[DB_ID_LEN];
	char secret[2 * API_TOKEN_SECRET_BYTES + 1], token[API_TOKEN_MAX];
	char sha[CRYPTO_SHA256_HEX_LEN];
	int64_t ttl = API_TOKEN_TTL_DEFAULT;
	enum role role;
	struct store *db = rq->c->store;

	if (own_user(rq, rp) != 0 || req_string(rq, rp, "org_id", org, sizeof(org)) != 0 ||
	    req_string_opt(rq, rp, "role", role_want, sizeof(role_want)) != 0 ||
	    req_string_opt(rq, rp, "name", name, sizeof(name)) != 0 ||
	    req_int_opt(rq, rp, "expires_in", &ttl) != 0)
		return;
	if (!is_hex_id(org) || ttl < 1 || ttl > API_TOKEN_TTL_MAX) {
		reply_bad_field(rp, !is_hex_id(org) ? "org_id" : "expires_in");
		return;
	}
	if (access_token_role(rq, rp, org, role_want, &role) != 0)
		return;
	if (db_new_id(id) != 0 || crypto_random_hex(secret, API_TOKEN_SECRET_BYTES) != 0 ||
	    store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	snprintf(token, sizeof(token), API_TOKEN_PREFIX "%s", secret);
	crypto_sha256_hex(token, strlen(token), sha);
	if (audit_commit(rq, rp,
			 store_run(db, ST_API_TOKENS_INSERT, "ssssssii", id, rq->who.user_id, org,
				   role_name(role), name, sha, rq->now, rq->now + ttl) == 1,
			 &(struct audit_scope){org, NULL, NULL}, "api_token.create",
			 "API token %s (%s) of %s: role %s, expires_at %lld", id, name,
			 rq->who.email, role_name(role), (long long)(rq->now + ttl)) != 0)
		goto out;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "token", token);
	jw_kv_string(w, "org_id", org);
	jw_kv_string(w, "role", role_name(role));
	jw_kv_string(w, "name", name);
	jw_kv_int(w, "expires_at", rq->now + ttl);
	jw_object_end(w);
out:
	memset(secret, 0, sizeof(secret));
	memset(token, 0, sizeof(token));
}

void api_token_list(struct request *rq, struct reply *rp)
{
	static const struct json_col cols[] = {
		{"id", COL_TEXT},         {"org_id", COL_TEXT},     {"role", COL_TEXT},
		{"name", COL_TEXT},       {"created_at", COL_INT}, {"expires_at", COL_INT},
		{"last_used_at", COL_INT}, {"revoked", COL_BOOL},
	};
	if (own_user(rq, rp) != 0)
		return;
	struct store_rows *st =
		store_query(rq->c->store, ST_API_TOKENS_OF_USER, "s", rq->who.user_id);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "tokens");
	int r = db_write_rows(w, st, cols, JSON_COLS(cols));
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void api_token_revoke(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN] = "";
	struct store *db = rq->c->store;
	if (own_user(rq, rp) != 0)
		return;
	struct store_rows *st =
		store_query(db, ST_API_TOKEN_ORG_OF_USER, "ss", rq->arg, rq->who.user_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, org, sizeof(org)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such API token of yours");
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	r = store_run(db, ST_API_TOKENS_REVOKE, "ss", rq->arg, rq->who.user_id);
	if (r < 0 || (r == 1 && audit(rq, &(struct audit_scope){org, NULL, NULL}, "api_token.revoke",
				      "API token %s of %s revoked", rq->arg, rq->who.email) != 0) ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_bool(w, "revoked", 1);
	jw_object_end(w);
}
