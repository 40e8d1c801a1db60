/* access: authorization and audit for the admin API (see access.h). The facts (a
 * member's role, whether a folder lies in a grant, the organization's MFA rule) are
 * looked up here on every call, never cached, so a role change counts at once; the
 * decision itself is domain/roles.c's. */
#include "access.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "../domain/policy.h"

/* The role of rq's principal in org: ROLE_NONE when not a member (or an API token of
 * another organization), capped by an API token's role; member (if not NULL) gets the
 * user's own role there, which decides which folders it sees. -1 on a store error. */
static int principal_role(struct request *rq, const char *org, enum role *out, enum role *member)
{
	*out = ROLE_NONE;
	if (member)
		*member = ROLE_NONE;
	if (rq->who.kind == PRINCIPAL_API_TOKEN && strcmp(rq->who.token_org, org) != 0)
		return 0;
	struct store_rows *st =
		store_query(rq->c->store, ST_MEMBERSHIP_ROLE, "ss", org, rq->who.user_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && role_parse(store_text(st, 0), out) != 0)
		*out = ROLE_NONE;
	store_done(st);
	if (r < 0)
		return -1;
	if (member)
		*member = *out;
	if (rq->who.kind == PRINCIPAL_API_TOKEN)
		*out = role_cap(*out, rq->who.token_role);
	return 0;
}

/* The highest role the principal holds in any organization (an API token: in its own). */
static int principal_best_role(struct request *rq, enum role *out)
{
	if (rq->who.kind == PRINCIPAL_API_TOKEN)
		return principal_role(rq, rq->who.token_org, out, NULL);
	*out = ROLE_NONE;
	struct store_rows *st =
		store_query(rq->c->store, ST_MEMBERSHIP_ROLES_OF_USER, "s", rq->who.user_id);
	int r = st ? 1 : DB_ERROR;
	enum role one;
	while (r == 1 && (r = store_next(st)) == 1)
		if (role_parse(store_text(st, 0), &one) == 0 && one > *out)
			*out = one;
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* 1 when folder lies in (or below) a folder granted to the principal, 0 when not, -1. */
static int folder_granted(struct request *rq, const char *folder)
{
	struct store_rows *st =
		store_query(rq->c->store, ST_FOLDER_IN_GRANT, "ss", folder, rq->who.user_id);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	return r;
}

/* 0 when org does not require MFA or the user has it; else fills rp (403), -1. */
static int mfa_rule(struct request *rq, struct reply *rp, const char *org)
{
	struct store_rows *st = store_query(rq->c->store, ST_ORG_REQUIRE_MFA, "s", org);
	int r = st ? store_next(st) : DB_ERROR;
	int required = r == 1 && store_int(st, 0) != 0;
	if (required && !rq->who.mfa_enabled)
		reply_error(rp, 403, "mfa_enrollment_required",
			    "organization %s requires multi-factor authentication: enrol at"
			    " POST /admin/v1/me/mfa/enroll, then sign in again",
			    store_text(st, 1));
	store_done(st);
	if (r < 0)
		reply_internal(rp);
	return r < 0 || (required && !rq->who.mfa_enabled) ? -1 : 0;
}

static int verdict_reply(struct reply *rp, enum role_verdict v, enum role role)
{
	if (v == VERDICT_HIDDEN)
		reply_error(rp, 404, "not_found", "no such resource");
	else if (v == VERDICT_FORBIDDEN)
		reply_error(rp, 403, "forbidden", "your role (%s) does not allow this here",
			    role == ROLE_NONE ? "none" : role_name(role));
	return v == VERDICT_ALLOW ? 0 : -1;
}

/* Actions outside any one organization (see access.h). */
static int authorize_global(struct request *rq, struct reply *rp, enum access_need need)
{
	enum role best = ROLE_NONE;
	if (need <= NEED_READ) {
		if (rq->who.kind == PRINCIPAL_USER)
			return 0;
		reply_error(rp, 403, "forbidden", "an API token acts in its own organization only");
		return -1;
	}
	if (principal_best_role(rq, &best) != 0) {
		reply_internal(rp);
		return -1;
	}
	return verdict_reply(rp, best >= ROLE_ADMIN ? VERDICT_ALLOW : VERDICT_FORBIDDEN, best);
}

/* The checks shared by authorize and access_view: role, then the MFA rule. role gets
 * what the principal may do; member (if not NULL) the user's own role, whose folders
 * it sees (an admin's token capped to viewer still sees every folder, read-only). */
static int authorize_in(struct request *rq, struct reply *rp, const char *org,
			const char *folder, enum access_need need, enum role *role,
			enum role *member)
{
	enum role own;
	if (principal_role(rq, org, role, &own) != 0) {
		reply_internal(rp);
		return -1;
	}
	if (member)
		*member = own;
	enum role_place place = PLACE_ORG;
	if (folder && *folder && *role != ROLE_NONE) {
		int g = role_sees_all_folders(own) ? 1 : folder_granted(rq, folder);
		if (g < 0) {
			reply_internal(rp);
			return -1;
		}
		place = g ? PLACE_GRANTED : PLACE_NOT_GRANTED;
	} else if (folder == NULL && *role != ROLE_NONE && need > NEED_READ) {
		place = PLACE_GRANTED; /* access_view: within the visible folders */
	}
	enum role_verdict v = role_decide(*role, place, need);
	if (v == VERDICT_HIDDEN)
		return verdict_reply(rp, v, *role);
	if (mfa_rule(rq, rp, org) != 0)
		return -1;
	return verdict_reply(rp, v, *role);
}

/* The bootstrap principal sees every organization there is: 0, or -1 with a 404. */
static int org_exists(struct request *rq, struct reply *rp, const char *org)
{
	struct store_rows *st = store_query(rq->c->store, ST_ORGS_EXISTS_ID, "s", org);
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such resource");
	else if (r < 0)
		reply_internal(rp);
	return r == 1 ? 0 : -1;
}

int authorize(struct request *rq, struct reply *rp, const char *org_id,
	      const char *folder_id, enum access_need need)
{
	enum role role;
	switch (rq->who.kind) {
	case PRINCIPAL_BOOTSTRAP:
		return org_id && *org_id ? org_exists(rq, rp, org_id) : 0;
	case PRINCIPAL_USER:
	case PRINCIPAL_API_TOKEN:
		break;
	default:
		reply_error(rp, 401, "unauthorized", "sign in or give a bearer token");
		return -1;
	}
	if (!org_id || !*org_id)
		return authorize_global(rq, rp, need);
	/* "" asks organization-wide; NULL is access_view's "within the grants" */
	return authorize_in(rq, rp, org_id, folder_id ? folder_id : "", need, &role, NULL);
}

int access_token_role(struct request *rq, struct reply *rp, const char *org_id,
		      const char *wanted, enum role *out)
{
	enum role have;
	if (authorize_in(rq, rp, org_id, "", NEED_READ, &have, NULL) != 0)
		return -1;
	if (!wanted || !*wanted) {
		*out = have;
		return 0;
	}
	if (role_parse(wanted, out) != 0) {
		reply_bad_field(rp, "role");
		return -1;
	}
	if (role_cap(have, *out) != *out) {
		reply_error(rp, 403, "forbidden", "a token's role (%s) cannot be above yours (%s)",
			    wanted, role_name(have));
		return -1;
	}
	return 0;
}

int access_role_change(struct request *rq, struct reply *rp, const char *org_id,
		       enum role old, enum role new_role)
{
	enum role actor = ROLE_OWNER;
	if (rq->who.kind != PRINCIPAL_BOOTSTRAP &&
	    authorize_in(rq, rp, org_id, "", NEED_MANAGE, &actor, NULL) != 0)
		return -1;
	if (verdict_reply(rp, role_may_change(actor, old, new_role), actor) != 0)
		return -1;
	struct store_rows *st = store_query(rq->c->store, ST_OWNERS_COUNT, "s", org_id);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t owners = r == 1 ? store_int(st, 0) : 0;
	store_done(st);
	if (r != 1) {
		reply_internal(rp);
		return -1;
	}
	if (role_change_keeps_owner((int)owners, old, new_role) != 0) {
		reply_error(rp, 409, "last_owner", "an organization needs at least one owner:"
			    " promote another member first");
		return -1;
	}
	return 0;
}

/* The caller's one organization when none was named; 1 and out set, 0 when there is
 * none or several (rp filled), -1 on error (rp filled). */
static int default_org(struct request *rq, struct reply *rp, int one_org, char out[DB_ID_LEN])
{
	if (rq->who.kind == PRINCIPAL_API_TOKEN) {
		strcpy(out, rq->who.token_org);
		return 1;
	}
	if (rq->who.kind == PRINCIPAL_BOOTSTRAP && !one_org) {
		out[0] = '\0'; /* every organization */
		return 1;
	}
	struct store_rows *st =
		rq->who.kind == PRINCIPAL_BOOTSTRAP
			? store_query(rq->c->store, ST_ORGS_FIRST_TWO, "")
			: store_query(rq->c->store, ST_MEMBERSHIPS_OF_USER, "s", rq->who.user_id);
	int n = 0, r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		if (n++ == 0 && store_str(st, 0, out, DB_ID_LEN) != 0)
			r = DB_ERROR;
	store_done(st);
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	if (n == 1)
		return 1;
	if (n == 0)
		reply_error(rp, 404, "not_found", "no organization to act in yet");
	else
		reply_error(rp, 400, "bad_request",
			    "give org_id: there is more than one organization");
	return 0;
}

int access_view(struct request *rq, struct reply *rp, const char *org_id,
		enum access_need need, int one_org, struct access_view *v)
{
	enum role role = ROLE_OWNER, member = ROLE_OWNER;
	memset(v, 0, sizeof(*v));
	if (rq->who.kind == PRINCIPAL_NONE)
		return authorize(rq, rp, NULL, NULL, need);
	if (org_id && *org_id) {
		if (!is_hex_id(org_id)) {
			reply_bad_field(rp, "org_id");
			return -1;
		}
		strcpy(v->org_id, org_id);
	} else if (default_org(rq, rp, one_org, v->org_id) != 1) {
		return -1;
	}
	if (rq->who.kind == PRINCIPAL_BOOTSTRAP)
		return 0;
	if (authorize_in(rq, rp, v->org_id, NULL, need, &role, &member) != 0)
		return -1;
	if (!role_sees_all_folders(member))
		strcpy(v->grant_user, rq->who.user_id);
	return 0;
}

const char *view_org(const struct access_view *v)
{
	return v->org_id[0] ? v->org_id : NULL;
}

const char *view_user(const struct access_view *v)
{
	return v->grant_user[0] ? v->grant_user : NULL;
}

/* Fills the organization and folder of where from its device (or folder) when the
 * caller named only that. */
static int scope_complete(struct request *rq, const struct audit_scope *where,
			  char org[DB_ID_LEN], char folder[DB_ID_LEN])
{
	org[0] = folder[0] = '\0';
	if (where && where->org_id)
		snprintf(org, DB_ID_LEN, "%s", where->org_id);
	if (where && where->folder_id)
		snprintf(folder, DB_ID_LEN, "%s", where->folder_id);
	struct store_rows *st = NULL;
	if (where && where->device_id && (!org[0] || !folder[0]))
		st = store_query(rq->c->store, ST_DEVICE_PLACE, "s", where->device_id);
	else if (folder[0] && !org[0])
		st = store_query(rq->c->store, ST_FOLDER_ORG, "s", folder);
	else
		return 0;
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && !org[0])
		store_str(st, 0, org, DB_ID_LEN);
	if (r == 1 && !folder[0] && where->device_id)
		store_str(st, 1, folder, DB_ID_LEN);
	store_done(st);
	return r < 0 ? -1 : 0;
}

static int vaudit(struct request *rq, const struct audit_scope *where, const char *user_id,
		  const char *email, const char *token_id, const char *action, const char *fmt,
		  va_list ap)
{
	char detail[512], org[DB_ID_LEN], folder[DB_ID_LEN];
	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (scope_complete(rq, where, org, folder) != 0)
		return -1;
	const char *nz_user = user_id && *user_id ? user_id : NULL;
	const char *nz_email = email && *email ? email : NULL;
	const char *nz_token = token_id && *token_id ? token_id : NULL;
	return store_run(rq->c->store, ST_HISTORY_APPEND_SCOPED, "isssssssss", rq->now, action,
			 detail, org[0] ? org : NULL, folder[0] ? folder : NULL,
			 where && where->device_id ? where->device_id : NULL, nz_user, nz_email,
			 nz_token, rq->peer[0] ? rq->peer : NULL) == 1
		       ? 0
		       : -1;
}

int audit(struct request *rq, const struct audit_scope *where, const char *action,
	  const char *fmt, ...)
{
	va_list ap;
	const struct principal *p = &rq->who;
	const char *email = p->kind == PRINCIPAL_BOOTSTRAP ? "(bootstrap admin token)" : p->email;
	va_start(ap, fmt);
	int r = vaudit(rq, where, p->user_id, email, p->token_id, action, fmt, ap);
	va_end(ap);
	return r;
}

int audit_actor(struct request *rq, const struct audit_scope *where, const char *user_id,
		const char *email, const char *action, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vaudit(rq, where, user_id, email, NULL, action, fmt, ap);
	va_end(ap);
	return r;
}
