/* session: sessions, API tokens and the bootstrap token (see session.h). */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../domain/accounts.h"
#include "../domain/roles.h"
#include "router.h"

#define SESSION_SECRET_BYTES 32

int owner_exists(struct store *db)
{
	struct store_rows *st = store_query(db, ST_OWNER_EXISTS, "");
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	return r;
}

static const char *header(struct request *rq, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(rq->ev), name);
}

int user_load(struct store *db, enum store_stmt by, const char *key, struct user_row *u)
{
	struct store_rows *st = store_query(db, by, "s", key);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, u->id, sizeof(u->id)) != 0 ||
		       store_str(st, 1, u->email, sizeof(u->email)) != 0 ||
		       store_str(st, 2, u->hash, sizeof(u->hash)) != 0 ||
		       store_str(st, 4, u->secret, sizeof(u->secret)) != 0 ||
		       store_str(st, 5, u->pending, sizeof(u->pending)) != 0))
		r = DB_ERROR;
	if (r == 1) {
		u->mfa_enabled = (int)store_int(st, 3);
		u->last_step = store_int(st, 6);
	}
	store_done(st);
	return r;
}

/* The user's e-mail and MFA state into rq->who; 1, 0 when the user is gone, -1. */
static int load_user(struct request *rq)
{
	struct user_row u;
	int r = user_load(rq->c->store, ST_USER_BY_ID, rq->who.user_id, &u);
	if (r == 1) {
		strcpy(rq->who.email, u.email);
		rq->who.mfa_enabled = u.mfa_enabled;
	}
	memset(&u, 0, sizeof(u));
	return r;
}

static void api_token(struct request *rq, struct reply *rp, const char *tok)
{
	char sha[CRYPTO_SHA256_HEX_LEN], role[16] = "";
	crypto_sha256_hex(tok, strlen(tok), sha);
	struct store_rows *st = store_query(rq->c->store, ST_API_TOKEN_BY_SHA256, "s", sha);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t expires = 0, revoked = 0;
	if (r == 1 && (store_str(st, 0, rq->who.token_id, DB_ID_LEN) != 0 ||
		       store_str(st, 1, rq->who.user_id, DB_ID_LEN) != 0 ||
		       store_str(st, 2, rq->who.token_org, DB_ID_LEN) != 0 ||
		       store_str(st, 3, role, sizeof(role)) != 0))
		r = DB_ERROR;
	if (r == 1) {
		expires = store_int(st, 4);
		revoked = store_int(st, 5);
	}
	store_done(st);
	if (r < 0) {
		reply_internal(rp);
		return;
	}
	if (r == 0 || revoked || expires <= rq->now) {
		reply_error(rp, 401, "unauthorized", "%s API token",
			    r == 0 ? "unknown" : revoked ? "revoked" : "expired");
		return;
	}
	if (role_parse(role, &rq->who.token_role) != 0 || (r = load_user(rq)) < 0 ||
	    store_run(rq->c->store, ST_API_TOKENS_TOUCH, "is", rq->now, rq->who.token_id) < 0) {
		reply_internal(rp);
		return;
	}
	if (r == 0) {
		reply_error(rp, 401, "unauthorized", "the API token's user is gone");
		return;
	}
	rq->who.kind = PRINCIPAL_API_TOKEN;
}

static void bootstrap(struct request *rq, struct reply *rp, const char *tok)
{
	uint8_t sha[CRYPTO_SHA256_LEN];
	crypto_sha256(tok, strlen(tok), sha);
	if (!crypto_equal(sha, rq->c->admin_sha, sizeof(sha))) {
		reply_error(rp, 401, "unauthorized", "wrong admin token");
		return;
	}
	int r = owner_exists(rq->c->store);
	if (r < 0)
		reply_internal(rp);
	else if (r == 1)
		reply_error(rp, 401, "bootstrap_disabled",
			    "the admin token is disabled now that an owner account exists;"
			    " sign in with camcloud login");
	else
		rq->who.kind = PRINCIPAL_BOOTSTRAP;
}

/* The value of cookie name in a Cookie header into out; 0, or -1 when absent. */
static int cookie_value(const char *cookies, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	for (const char *p = cookies; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t len = strcspn(p, ";");
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl == 0 || vl >= outsz)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p += len;
	}
	return -1;
}

static int state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static void cookie_session(struct request *rq, struct reply *rp, const char *secret)
{
	struct principal *p = &rq->who;
	crypto_sha256_hex(secret, strlen(secret), p->session_sha);
	struct store_rows *st = store_query(rq->c->store, ST_SESSION_BY_SHA256, "s",
					    p->session_sha);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t created = 0, used = 0;
	if (r == 1 && (store_str(st, 0, p->user_id, DB_ID_LEN) != 0 ||
		       store_str(st, 1, p->csrf, sizeof(p->csrf)) != 0))
		r = DB_ERROR;
	if (r == 1) {
		created = store_int(st, 2);
		used = store_int(st, 3);
	}
	store_done(st);
	if (r < 0) {
		reply_internal(rp);
		return;
	}
	if (r == 0 || !session_alive(created, used, rq->now)) {
		if (r == 1 && store_run(rq->c->store, ST_SESSIONS_DELETE, "s", p->session_sha) < 0)
			reply_internal(rp);
		else
			reply_error(rp, 401, "unauthorized", "%s; sign in again",
				    r == 0 ? "unknown session" : "session expired");
		return;
	}
	const char *h = header(rq, "X-CSRF-Token");
	int csrf_ok = h && strlen(h) == strlen(p->csrf) && crypto_equal(h, p->csrf, strlen(h));
	if (state_changing(rq->method) && !csrf_ok) {
		reply_error(rp, 403, "csrf", "missing or wrong X-CSRF-Token header");
		return;
	}
	if ((r = load_user(rq)) < 0 ||
	    store_run(rq->c->store, ST_SESSIONS_TOUCH, "is", rq->now, p->session_sha) < 0) {
		reply_internal(rp);
		return;
	}
	if (r == 0) {
		reply_error(rp, 401, "unauthorized", "the session's user is gone");
		return;
	}
	p->kind = PRINCIPAL_USER;
}

int session_authenticate(struct request *rq, struct reply *rp)
{
	char tok[BEARER_MAX];
	const char *h = header(rq, "Authorization");
	if (h) {
		if (bearer_parse(h, tok, sizeof(tok)) != 0)
			reply_error(rp, 401, "unauthorized", "malformed Authorization header");
		else if (strncmp(tok, API_TOKEN_PREFIX, strlen(API_TOKEN_PREFIX)) == 0)
			api_token(rq, rp, tok);
		else
			bootstrap(rq, rp, tok);
		memset(tok, 0, sizeof(tok));
	} else if (cookie_value(header(rq, "Cookie"), SESSION_COOKIE, tok, sizeof(tok)) == 0) {
		cookie_session(rq, rp, tok);
		memset(tok, 0, sizeof(tok));
	} else {
		reply_error(rp, 401, "unauthorized",
			    "sign in (POST /admin/v1/signin) or give a bearer token");
	}
	if (rp->status == 0 && rq->who.kind == PRINCIPAL_NONE)
		reply_internal(rp);
	return rp->status == 0 ? 0 : -1;
}

static int set_cookie(struct request *rq, const char *value, int64_t max_age)
{
	char c[256];
	snprintf(c, sizeof(c), SESSION_COOKIE "=%s; Path=/admin/v1; HttpOnly; Secure;"
		 " SameSite=Strict; Max-Age=%lld", value, (long long)max_age);
	int r = evhttp_add_header(evhttp_request_get_output_headers(rq->ev), "Set-Cookie", c);
	memset(c, 0, sizeof(c));
	return r == 0 ? 0 : -1;
}

int session_start(struct request *rq, const char *user_id, char *csrf)
{
	char secret[2 * SESSION_SECRET_BYTES + 1], sha[CRYPTO_SHA256_HEX_LEN];
	int rc = -1;
	if (crypto_random_hex(secret, SESSION_SECRET_BYTES) != 0 ||
	    crypto_random_hex(csrf, (CSRF_LEN - 1) / 2) != 0)
		goto out;
	crypto_sha256_hex(secret, strlen(secret), sha);
	if (store_run(rq->c->store, ST_SESSIONS_DELETE_STALE, "i", rq->now - SESSION_TTL) < 0 ||
	    store_run(rq->c->store, ST_SESSIONS_INSERT, "sssii", sha, user_id, csrf, rq->now,
		      rq->now) != 1 ||
	    set_cookie(rq, secret, SESSION_TTL) != 0)
		goto out;
	rc = 0;
out:
	memset(secret, 0, sizeof(secret));
	return rc;
}

int session_end(struct request *rq)
{
	if (rq->who.session_sha[0] &&
	    store_run(rq->c->store, ST_SESSIONS_DELETE, "s", rq->who.session_sha) < 0)
		return -1;
	return set_cookie(rq, "", 0);
}
