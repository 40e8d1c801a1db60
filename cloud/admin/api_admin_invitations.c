/* api_admin_invitations: inviting someone into an organization by e-mail. An admin
 * invites an address as a viewer (the only role an invitation may carry) with the
 * folders it will be granted; the mail carries a link with a single-use token (kept
 * only as its SHA-256) that works for INVITATION_TTL. Pending invitations are listed
 * and can be cancelled. The link's page (GET /invitation?token=) says what it is for;
 * joining is in invitation_join.c. */
#include <string.h>

#include "../../lib/log.h"
#include "../domain/accounts.h"
#include "../domain/invitation.h"
#include "../http/access.h"
#include "../http/api.h"
#include "../mail/mailer.h"
#include "invitation_join.h"
#include "audit_commit.h"
#include "found.h"

#define INVITE_SECRET_BYTES 16 /* 128 bits, 32 hex digits in the link */

/* "folder_ids": 1..INVITATION_FOLDERS_MAX live folders of org, into out; -1 after a 400. */
static int req_folder_ids(struct request *rq, struct reply *rp, const char *org,
			  struct db_ids *out)
{
	int arr = rq->has_json ? json_find(&rq->json, 0, "folder_ids") : -1;
	int n = arr < 0 ? -1 : json_array_len(&rq->json, arr);
	if (n < 1 || n > INVITATION_FOLDERS_MAX) {
		reply_error(rp, 400, "bad_request", "folder_ids: give the 1 to %d folders the"
			    " invitee may see", INVITATION_FOLDERS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char id[DB_ID_LEN];
		int t = json_array_at(&rq->json, arr, i);
		if (json_type_of(&rq->json, t) != JSON_STRING ||
		    json_tok_string(&rq->json, t, id, sizeof(id)) < 0 || !is_hex_id(id)) {
			reply_bad_field(rp, "folder_ids");
			return -1;
		}
		struct store_rows *st =
			store_query(rq->c->store, ST_FOLDERS_EXISTS_ID_ORG_ID, "ss", id, org);
		int r = st ? store_next(st) : DB_ERROR;
		store_done(st);
		if (r == 0)
			reply_error(rp, 400, "bad_request", "unknown folder %s in org %s", id, org);
		else if (r < 0 || db_ids_add(out, id) != 0)
			reply_internal(rp);
		if (r != 1)
			return -1;
	}
	return 0;
}

/* The organization rq->arg's name: 1, 0 after a 404, -1 after a 500. */
static int org_name(struct request *rq, struct reply *rp, char name[FIELD_NAME])
{
	struct store_rows *st = store_query(rq->c->store, ST_ORGLIFE_ORG_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 1, name, FIELD_NAME) != 0)
		r = DB_ERROR;
	store_done(st);
	return reply_unless_found(rp, r, "org");
}

/* The invitation's folders as "folder_ids": [...]; -1 when the store failed. */
static int write_folder_ids(struct json_writer *w, struct store *db, const char *id)
{
	struct db_ids f = {0};
	int r = store_collect_ids(db, &f, ST_INVITATION_FOLDER_IDS, "s", id);
	jw_key(w, "folder_ids");
	jw_array_begin(w);
	for (size_t i = 0; i < f.n; i++)
		jw_string(w, f.id[i]);
	jw_array_end(w);
	db_ids_free(&f);
	return r < 0 ? -1 : 0;
}

/* POST /admin/v1/orgs/<id>/invitations {"email","role"?,"folder_ids"}: 200 with the
 * invitation (never its token: that goes to the invitee's mail only). */
void admin_invitation_create(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char name[FIELD_NAME], typed[EMAIL_MAX + 1], email[EMAIL_MAX], role[FIELD_SHORT] = "viewer";
	char id[DB_ID_LEN], secret[2 * INVITE_SECRET_BYTES + 1], sha[CRYPTO_SHA256_HEX_LEN];
	char link[CLOUD_URL_MAX + 64], subject[MAIL_SUBJECT_MAX + 1], body[2048];
	const char *why = "";
	struct db_ids folders = {0};
	int64_t expires = rq->now + INVITATION_TTL;

	if (authorize(rq, rp, rq->arg, NULL, NEED_MANAGE) != 0 || org_name(rq, rp, name) != 1 ||
	    req_string(rq, rp, "email", typed, sizeof(typed)) != 0 ||
	    req_string_opt(rq, rp, "role", role, sizeof(role)) != 0)
		return;
	if (invitation_role_check(role, &why) != 0) {
		reply_error(rp, 400, "role_not_allowed", "%s", why);
		return;
	}
	if (email_normalize(typed, email) != 0 || !mail_addr_ok(email)) {
		reply_bad_field(rp, "email");
		return;
	}
	if (req_folder_ids(rq, rp, rq->arg, &folders) != 0)
		goto out;
	if (!rq->c->mailer) {
		reply_error(rp, 503, "mail_unavailable", "this server sends no mail (serve"
			    " --smtp-url URL --mail-from ADDR), so it cannot invite");
		goto out;
	}
	struct store_rows *st = store_query(db, ST_INVITATION_PENDING_FOR_EMAIL, "ssi", rq->arg,
					    email, rq->now);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r == 1)
		reply_error(rp, 409, "already_invited", "%s has a pending invitation to this"
			    " organization; cancel it to invite again", email);
	if (r == 0)
		r = invitation_member_check(rq, rp, rq->arg, email);
	if (r != 0) {
		if (r < 0)
			reply_internal(rp);
		goto out;
	}
	if (db_new_id(id) != 0 || crypto_random_hex(secret, INVITE_SECRET_BYTES) != 0)
		goto fail;
	crypto_sha256_hex(secret, strlen(secret), sha);
	snprintf(link, sizeof(link), "%s/invitation?token=%s", rq->c->public_url, secret);
	if (invitation_mail(name, link, expires, subject, sizeof(subject), body, sizeof(body)) != 0 ||
	    store_begin(db) != 0 ||
	    store_run(db, ST_INVITATIONS_INSERT, "ssssssii", id, rq->arg, email, role, sha,
		      rq->who.user_id, rq->now, expires) != 1)
		goto fail;
	for (size_t i = 0; i < folders.n; i++)
		if (store_run(db, ST_INVITATION_FOLDERS_INSERT, "ss", id, folders.id[i]) != 1)
			goto fail;
	if (audit(rq, &(struct audit_scope){rq->arg, NULL, NULL}, "invitation.create",
		  "invitation %s: %s invited as %s to %zu folder%s, until %lld", id, email, role,
		  folders.n, folders.n == 1 ? "" : "s", (long long)expires) != 0 ||
	    store_commit(db) != 0)
		goto fail;
	if (mailer_send(rq->c->mailer, email, subject, body, rq->arg) != 0) {
		/* nobody can use an invitation whose mail never left: close it again */
		if (store_run(db, ST_INVITATION_CLOSE, "ssis", "cancelled", "", rq->now, id) != 1)
			log_warn("invitation %s: its mail was refused and it stays pending", id);
		reply_error(rp, 503, "mail_unavailable", "the mail queue is full; invite again"
			    " later");
		goto out;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "org_id", rq->arg);
	jw_kv_string(w, "email", email);
	jw_kv_string(w, "role", role);
	jw_kv_string(w, "state", "pending");
	jw_kv_int(w, "expires_at", expires);
	if (write_folder_ids(w, db, id) != 0)
		reply_internal(rp);
	jw_object_end(w);
	goto out;
fail:
	store_rollback(db);
	reply_internal(rp);
out:
	memset(secret, 0, sizeof(secret));
	memset(link, 0, sizeof(link));
	memset(body, 0, sizeof(body));
	db_ids_free(&folders);
}

/* GET /admin/v1/orgs/<id>/invitations: the pending ones (expired ones say so). */
void admin_invitation_list(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char name[FIELD_NAME];
	if (authorize(rq, rp, rq->arg, NULL, NEED_MANAGE) != 0 || org_name(rq, rp, name) != 1)
		return;
	int r = 0;
	struct store_rows *st = store_query(db, ST_INVITATIONS_PENDING_OF_ORG, "s", rq->arg);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "org_id", rq->arg);
	jw_key(w, "invitations");
	jw_array_begin(w);
	while (st && (r = store_next(st)) == 1) {
		int64_t exp = store_int(st, 5);
		jw_object_begin(w);
		jw_kv_string(w, "id", store_text(st, 0));
		jw_kv_string(w, "email", store_text(st, 1));
		jw_kv_string(w, "role", store_text(st, 2));
		jw_kv_string(w, "state", invitation_state_name(invitation_state_at(
						  store_text(st, 3), exp, rq->now)));
		jw_kv_int(w, "created_at", store_int(st, 4));
		jw_kv_int(w, "expires_at", exp);
		jw_kv_string(w, "invited_by", store_text(st, 6));
		if (write_folder_ids(w, db, store_text(st, 0)) != 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	jw_array_end(w);
	jw_object_end(w);
	store_done(st);
	if (r < 0 || !st)
		reply_internal(rp);
}

/* POST /admin/v1/invitations/<id>/cancel: a pending invitation's link stops working. */
void admin_invitation_cancel(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char org[DB_ID_LEN], email[EMAIL_MAX], state[16];
	struct store_rows *st = store_query(db, ST_INVITATION_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, sizeof(org)) || store_str(st, 1, email, sizeof(email)) ||
		       store_str(st, 2, state, sizeof(state))))
		r = DB_ERROR;
	int64_t exp = r == 1 ? store_int(st, 3) : 0;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such invitation");
		return;
	}
	if (r < 0) {
		reply_internal(rp);
		return;
	}
	if (authorize(rq, rp, org, NULL, NEED_MANAGE) != 0)
		return;
	enum invitation_state s = invitation_state_at(state, exp, rq->now);
	if (s == INVITATION_ACCEPTED || s == INVITATION_CANCELLED) {
		reply_error(rp, 409, "not_pending", "the invitation of %s is %s already", email,
			    invitation_state_name(s));
		return;
	}
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 &&
				 store_run(db, ST_INVITATION_CLOSE, "ssis", "cancelled",
					   rq->who.user_id, rq->now, rq->arg) == 1,
			 &(struct audit_scope){org, NULL, NULL}, "invitation.cancel",
			 "invitation %s of %s cancelled", rq->arg, email) != 0)
		return;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "state", "cancelled");
	jw_object_end(w);
}

/* GET /invitation?token=<secret>: what the link in the mail opens — the organization,
 * the address, until when, and how to join (no account: sign up; else accept). */
void invitation_show(struct request *rq, struct reply *rp)
{
	struct invitation inv;
	if (invitation_by_token(rq, rp, evhttp_find_header(&rq->query, "token"), &inv) != 1)
		return;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "org", inv.org_name);
	jw_kv_string(w, "email", inv.email);
	jw_kv_string(w, "role", inv.role);
	jw_kv_string(w, "state", "pending");
	jw_kv_int(w, "expires_at", inv.expires_at);
	jw_kv_string(w, "signup", "POST /admin/v1/invitations/signup {\"token\",\"password\"}");
	jw_kv_string(w, "accept", "POST /admin/v1/invitations/accept {\"token\"}, signed in");
	jw_object_end(w);
}
