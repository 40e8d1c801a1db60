/* api_members: an organization's members — list with roles and grants, change a role,
 * remove a member, set the folders an operator or viewer may reach (docs/admin-api.md
 * §6; the MFA rule is one of the organization's settings, api_admin_orglife.c). Who
 * may is access.c's to say. */
#include <stdio.h>
#include <string.h>

#include "../domain/roles.h"
#include "../http/api.h"
#include "../http/session.h"
#include "audit_commit.h"
#include "found.h"

int write_grants(struct request *rq, struct json_writer *w, const char *user_id,
		 const char *org_id)
{
	static const struct json_col cols[] = {{"folder_id", COL_TEXT}, {"path", COL_TEXT}};
	struct store_rows *st =
		store_query(rq->c->store, ST_GRANTS_OF_MEMBER, "ss", user_id, org_id);
	jw_key(w, "grants");
	return db_write_rows(w, st, cols, JSON_COLS(cols));
}

/* GET /admin/v1/orgs/<org>/members */
void member_list(struct request *rq, struct reply *rp)
{
	if (authorize(rq, rp, rq->arg, NULL, NEED_READ) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_MEMBERS_OF_ORG, "s", rq->arg);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "members");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		char uid[DB_ID_LEN];
		if (store_str(st, 0, uid, sizeof(uid)) != 0) {
			r = DB_ERROR;
			break;
		}
		jw_object_begin(w);
		jw_kv_string(w, "user_id", uid);
		jw_kv_string(w, "email", store_text(st, 1));
		jw_kv_string(w, "role", store_text(st, 2));
		jw_kv_bool(w, "mfa_enabled", (int)store_int(st, 3));
		if (write_grants(rq, w, uid, rq->arg) != 0)
			r = DB_ERROR;
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

static void member_reply(struct reply *rp, const char *user_id, const char *key,
			 const char *val, int is_bool)
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "user_id", user_id);
	if (is_bool)
		jw_kv_bool(w, key, 1);
	else
		jw_kv_string(w, key, val);
	jw_object_end(w);
}

/* POST /admin/v1/orgs/<org>/members {"email"}: an existing account joins as a viewer
 * (the manual's rule for invitations; roles are raised afterwards). */
void member_add(struct request *rq, struct reply *rp)
{
	char raw[EMAIL_MAX], email[EMAIL_MAX];
	struct user_row u;
	struct store *db = rq->c->store;
	if (req_string(rq, rp, "email", raw, sizeof(raw)) != 0)
		return;
	if (email_normalize(raw, email) != 0) {
		reply_bad_field(rp, "email");
		return;
	}
	if (authorize(rq, rp, rq->arg, NULL, NEED_MANAGE) != 0)
		return;
	int r = user_load(db, ST_USER_BY_EMAIL, email, &u);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no account with this e-mail");
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	r = store_run(db, ST_MEMBERSHIPS_INSERT, "sssi", rq->arg, u.id, "viewer", rq->now);
	if (r == DB_CONSTRAINT) {
		store_rollback(db);
		reply_error(rp, 409, "conflict", "%s is a member already", email);
		return;
	}
	if (audit_commit(rq, rp, r == 1, &(struct audit_scope){rq->arg, NULL, NULL}, "member.add",
			 "%s (%s) added as viewer", email, u.id) != 0)
		return;
	member_reply(rp, u.id, "role", "viewer", 0);
}

/* The member rq->arg2's role in org rq->arg, after checking the caller may see the
 * organization; -1 with rp filled (404 when not a member). */
static int member_role(struct request *rq, struct reply *rp, enum role *out)
{
	if (authorize(rq, rp, rq->arg, NULL, NEED_READ) != 0)
		return -1;
	struct store_rows *st =
		store_query(rq->c->store, ST_MEMBERSHIP_ROLE, "ss", rq->arg, rq->arg2);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && role_parse(store_text(st, 0), out) != 0)
		r = DB_ERROR;
	store_done(st);
	return reply_unless_found(rp, r, "member") == 1 ? 0 : -1;
}


/* POST /admin/v1/orgs/<org>/members/<user>/role {"role"} */
void member_set_role(struct request *rq, struct reply *rp)
{
	char want[16];
	enum role old, new_role;
	struct store *db = rq->c->store;
	if (req_string(rq, rp, "role", want, sizeof(want)) != 0)
		return;
	if (role_parse(want, &new_role) != 0) {
		reply_bad_field(rp, "role");
		return;
	}
	if (member_role(rq, rp, &old) != 0 ||
	    access_role_change(rq, rp, rq->arg, old, new_role) != 0)
		return;
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 &&
				 store_run(db, ST_MEMBERSHIPS_SET_ROLE, "sss", want, rq->arg,
					   rq->arg2) == 1,
			 &(struct audit_scope){rq->arg, NULL, NULL}, "member.role",
			 "member %s: role %s -> %s", rq->arg2, role_name(old), want) != 0)
		return;
	member_reply(rp, rq->arg2, "role", want, 0);
}

/* DELETE /admin/v1/orgs/<org>/members/<user> */
void member_remove(struct request *rq, struct reply *rp)
{
	enum role old;
	struct store *db = rq->c->store;
	if (member_role(rq, rp, &old) != 0 ||
	    access_role_change(rq, rp, rq->arg, old, ROLE_NONE) != 0)
		return;
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 &&
				 store_run(db, ST_GRANTS_DELETE_OF_MEMBER, "ss", rq->arg,
					   rq->arg2) >= 0 &&
				 store_run(db, ST_MEMBERSHIPS_DELETE, "ss", rq->arg, rq->arg2) == 1,
			 &(struct audit_scope){rq->arg, NULL, NULL}, "member.remove",
			 "member %s (%s) removed", rq->arg2, role_name(old)) != 0)
		return;
	member_reply(rp, rq->arg2, "removed", NULL, 1);
}

/* POST /admin/v1/orgs/<org>/members/<user>/grants {"folder_ids":[...]}: replaces them. */
void member_grants(struct request *rq, struct reply *rp)
{
	enum role old;
	char folder[DB_ID_LEN], org[DB_ID_LEN];
	struct store *db = rq->c->store;
	int arr = rq->has_json ? json_find(&rq->json, 0, "folder_ids") : -1;
	if (arr < 0 || json_type_of(&rq->json, arr) != JSON_ARRAY) {
		reply_bad_field(rp, "folder_ids");
		return;
	}
	if (member_role(rq, rp, &old) != 0 ||
	    authorize(rq, rp, rq->arg, NULL, NEED_MANAGE) != 0)
		return;
	if (store_begin(db) != 0 ||
	    store_run(db, ST_GRANTS_DELETE_OF_MEMBER, "ss", rq->arg, rq->arg2) < 0)
		goto fail;
	int n = json_array_len(&rq->json, arr);
	for (int i = 0; i < n; i++) {
		int t = json_array_at(&rq->json, arr, i);
		if (json_type_of(&rq->json, t) != JSON_STRING ||
		    json_tok_string(&rq->json, t, folder, sizeof(folder)) < 0 || !is_hex_id(folder)) {
			store_rollback(db);
			reply_bad_field(rp, "folder_ids");
			return;
		}
		struct store_rows *st = store_query(db, ST_ORG_OF_FOLDER, "s", folder);
		int r = st ? store_next(st) : DB_ERROR;
		if (r == 1 && store_str(st, 0, org, sizeof(org)) != 0)
			r = DB_ERROR;
		store_done(st);
		if (r == 0 || (r == 1 && strcmp(org, rq->arg) != 0)) {
			store_rollback(db);
			reply_error(rp, 400, "bad_request", "no folder %s in this organization", folder);
			return;
		}
		r = r < 0 ? r : store_run(db, ST_GRANTS_INSERT, "sssi", rq->arg, rq->arg2, folder, rq->now);
		if (r < 0 && r != DB_CONSTRAINT) /* a folder named twice is granted once */
			goto fail;
	}
	if (audit_commit(rq, rp, 1, &(struct audit_scope){rq->arg, NULL, NULL}, "member.grants",
			 "member %s (%s): %d folder grant%s set", rq->arg2, role_name(old), n,
			 n == 1 ? "" : "s") != 0)
		return;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "user_id", rq->arg2);
	if (write_grants(rq, w, rq->arg2, rq->arg) != 0)
		reply_internal(rp);
	else
		jw_object_end(w);
	return;
fail:
	store_rollback(db);
	reply_internal(rp);
}
