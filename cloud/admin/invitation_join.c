/* invitation_join: signing up or accepting through an invitation (see invitation_join.h). */
#include "invitation_join.h"

#include <string.h>

#include "../../lib/log.h"
#include "../domain/invitation.h"
#include "../domain/password.h"
#include "../http/access.h"

int invitation_by_token(struct request *rq, struct reply *rp, const char *token,
			struct invitation *inv)
{
	char sha[CRYPTO_SHA256_HEX_LEN], state[16];
	if (!token || !is_hex_id(token)) {
		reply_bad_field(rp, "token");
		return 0;
	}
	crypto_sha256_hex(token, strlen(token), sha);
	struct store_rows *st = store_query(rq->c->store, ST_INVITATION_BY_TOKEN, "s", sha);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, inv->id, sizeof(inv->id)) ||
		       store_str(st, 1, inv->org_id, sizeof(inv->org_id)) ||
		       store_str(st, 2, inv->org_name, sizeof(inv->org_name)) ||
		       store_str(st, 3, inv->email, sizeof(inv->email)) ||
		       store_str(st, 4, inv->role, sizeof(inv->role)) ||
		       store_str(st, 5, state, sizeof(state))))
		r = DB_ERROR;
	inv->expires_at = r == 1 ? store_int(st, 6) : 0;
	store_done(st);
	if (r == 0)
		reply_error(rp, 404, "invitation_unknown", "no such invitation (or its"
			    " organization was archived)");
	if (r != 1) {
		if (r < 0)
			reply_internal(rp);
		return r < 0 ? -1 : 0;
	}
	enum invitation_state s = invitation_state_at(state, inv->expires_at, rq->now);
	if (s == INVITATION_PENDING)
		return 1;
	reply_error(rp, 410, s == INVITATION_EXPIRED ? "invitation_expired" : "invitation_closed",
		    "this invitation is %s; ask for a new one", invitation_state_name(s));
	return 0;
}

int invitation_member_check(struct request *rq, struct reply *rp, const char *org,
			    const char *email)
{
	struct store_rows *st = store_query(rq->c->store, ST_INVITE_MEMBER_BY_EMAIL, "ss", org,
					    email);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r == 1)
		reply_error(rp, 409, "already_member", "%s is a member of this organization"
			    " already", email);
	return r;
}

/* Makes user a viewer of the invitation's organization with its grants and uses the
 * invitation up; the caller holds the transaction. 0, or -1 after the answer (410 when
 * another request used it first, 500). */
static int invitation_join(struct request *rq, struct reply *rp, const struct invitation *inv,
			   const char *user)
{
	struct store *db = rq->c->store;
	int r = store_run(db, ST_INVITATION_CLOSE, "ssis", "accepted", user, rq->now, inv->id);
	if (r == 0) {
		reply_error(rp, 410, "invitation_closed", "this invitation was used just now");
		return -1;
	}
	if (r != 1 ||
	    store_run(db, ST_INVITE_MEMBERSHIPS_INSERT, "sssi", inv->org_id, user, inv->role,
		      rq->now) != 1 ||
	    (r = store_run(db, ST_INVITE_GRANTS_INSERT, "ssis", inv->org_id, user, rq->now,
			   inv->id)) < 0 ||
	    audit(rq, &(struct audit_scope){inv->org_id, NULL, NULL}, "invitation.accept",
		  "invitation %s accepted by %s (%s): %s with %d folder grant%s", inv->id,
		  inv->email, user, inv->role, r, r == 1 ? "" : "s") != 0) {
		reply_internal(rp);
		return -1;
	}
	return 0;
}

static void joined(struct reply *rp, const struct invitation *inv, const char *user)
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "user_id", user);
	jw_kv_string(w, "email", inv->email);
	jw_kv_string(w, "org_id", inv->org_id);
	jw_kv_string(w, "org", inv->org_name);
	jw_kv_string(w, "role", inv->role);
	jw_object_end(w);
}

void invitation_signup(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char token[DB_ID_LEN + 1] = "", password[PASSWORD_MAX + 2] = "", hash[PASSWORD_HASH_MAX];
	char user[DB_ID_LEN];
	struct invitation inv;
	if (req_string(rq, rp, "token", token, sizeof(token)) != 0 ||
	    invitation_by_token(rq, rp, token, &inv) != 1)
		return;
	if (req_string(rq, rp, "password", password, sizeof(password)) != 0)
		goto out;
	size_t n = strlen(password);
	if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
		reply_error(rp, 400, "bad_request", "password: %d to %d bytes", PASSWORD_MIN,
			    PASSWORD_MAX);
		goto out;
	}
	struct store_rows *st = store_query(db, ST_INVITE_USER_BY_EMAIL, "s", inv.email);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r == 1)
		reply_error(rp, 409, "account_exists", "an account with %s exists: sign in and"
			    " accept the invitation instead", inv.email);
	if (r != 0) {
		if (r < 0)
			reply_internal(rp);
		goto out;
	}
	if (db_new_id(user) != 0 || password_hash(password, hash) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	/* the new user is who signed up and joined */
	rq->who.kind = PRINCIPAL_USER;
	strcpy(rq->who.user_id, user);
	strcpy(rq->who.email, inv.email);
	if (store_run(db, ST_INVITE_USERS_INSERT, "sssi", user, inv.email, hash, rq->now) != 1 ||
	    audit(rq, &(struct audit_scope){inv.org_id, NULL, NULL}, "user.signup",
		  "user %s (%s) signed up through invitation %s", user, inv.email, inv.id) != 0) {
		store_rollback(db);
		reply_internal(rp);
		goto out;
	}
	if (invitation_join(rq, rp, &inv, user) != 0) {
		store_rollback(db);
		goto out;
	}
	if (store_commit(db) != 0) { /* a failed commit has rolled back */
		reply_internal(rp);
		goto out;
	}
	log_info("invitation %s: %s signed up and joined org %s", inv.id, inv.email, inv.org_id);
	joined(rp, &inv, user);
out:
	memset(password, 0, sizeof(password));
	memset(token, 0, sizeof(token));
}

void invitation_accept(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char token[DB_ID_LEN + 1] = "", email[EMAIL_MAX] = "";
	struct invitation inv;
	if (rq->who.kind != PRINCIPAL_USER) {
		reply_error(rp, 403, "forbidden", "accept an invitation signed in as the invited"
			    " user");
		return;
	}
	if (req_string(rq, rp, "token", token, sizeof(token)) != 0 ||
	    invitation_by_token(rq, rp, token, &inv) != 1)
		goto out;
	struct store_rows *st = store_query(db, ST_INVITE_USER_EMAIL, "s", rq->who.user_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, email, sizeof(email)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r != 1) {
		reply_internal(rp);
		goto out;
	}
	if (strcmp(email, inv.email) != 0) {
		reply_error(rp, 403, "wrong_account", "this invitation is for %s; sign in with"
			    " that address to accept it", inv.email);
		goto out;
	}
	if ((r = invitation_member_check(rq, rp, inv.org_id, email)) != 0) {
		if (r < 0)
			reply_internal(rp);
		goto out;
	}
	if (store_begin(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	if (invitation_join(rq, rp, &inv, rq->who.user_id) != 0) {
		store_rollback(db);
		goto out;
	}
	if (store_commit(db) != 0) {
		reply_internal(rp);
		goto out;
	}
	log_info("invitation %s: accepted by %s", inv.id, email);
	joined(rp, &inv, rq->who.user_id);
out:
	memset(token, 0, sizeof(token));
}
