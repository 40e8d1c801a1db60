/* access: the one authorization gate of the admin API, and the one way an action is
 * recorded with who did it.
 *
 * The router authenticates the caller of an admin route into rq->who (a principal).
 * Every admin handler, once it knows which organization (and folder) the object it
 * reads or changes belongs to, asks authorize() whether that principal may do that
 * there; nothing else decides access, and no handler compares roles itself. Every
 * change is then written with audit(), which adds who (user or API token), from
 * where (the peer address) and in which organization, folder and device. */
#ifndef CLOUD_ACCESS_H
#define CLOUD_ACCESS_H

#include "../../lib/crypto.h"
#include "../domain/accounts.h"
#include "../domain/roles.h"
#include "../store/store.h"

#define CSRF_LEN 65 /* 64 hex digits and the NUL */

struct request;
struct reply;

#include "access_need.h" /* enum access_need: NEED_READ .. NEED_OWN */

enum principal_kind {
	PRINCIPAL_NONE,
	PRINCIPAL_BOOTSTRAP, /* the static admin token: every organization, until an owner exists */
	PRINCIPAL_USER,      /* a signed-in user (console session) */
	PRINCIPAL_API_TOKEN, /* a user's personal API token (one org, a capped role) */
};

struct principal {
	enum principal_kind kind;
	char user_id[DB_ID_LEN];
	char email[EMAIL_MAX];
	int mfa_enabled;
	char token_id[DB_ID_LEN];    /* API token: its id */
	char token_org[DB_ID_LEN];   /* API token: the one organization it acts in */
	enum role token_role;        /* API token: the most it may do there */
	char session_sha[CRYPTO_SHA256_HEX_LEN]; /* session: its key, for sign-out */
	char csrf[CSRF_LEN];         /* session: the token state-changing requests carry */
};

/* rq->who is filled by the router through session.h (session_authenticate). */

/* 0 when rq->who may do `need` in org_id — in folder_id and its subfolders when given,
 * organization-wide when folder_id is NULL or "". Otherwise fills rp (404 for an
 * organization or folder the principal cannot see, so ids do not leak; 403 inside one
 * it can; 403 mfa_enrollment_required in an organization that requires MFA of a member
 * without it) and returns -1. org_id NULL or "" asks about no organization: with
 * NEED_READ creating one (a signed-in user), with NEED_MANAGE the global image catalog
 * (admin or owner of at least one organization). */
int authorize(struct request *rq, struct reply *rp, const char *org_id,
	      const char *folder_id, enum access_need need);

/* The role a new API token of rq's user gets in org_id: wanted ("" or NULL: the user's
 * own role there), never above the user's. 0 and *out, or -1 with rp filled (404 not a
 * member, 403 above the user's role, 400 no such role). */
int access_token_role(struct request *rq, struct reply *rp, const char *org_id,
		      const char *wanted, enum role *out);

/* May rq's principal change a member of org_id from old to new_role (ROLE_NONE:
 * remove)? Admins manage members below owner, only owners touch ownership, and the
 * last owner stays. 0, or -1 with rp filled (403, 409 last_owner). */
int access_role_change(struct request *rq, struct reply *rp, const char *org_id,
		       enum role old, enum role new_role);

/* What a list shows the caller: one organization ("" : every one, for the bootstrap
 * principal only) and, for operators and viewers, only the folders granted to them. */
struct access_view {
	char org_id[DB_ID_LEN];
	char grant_user[DB_ID_LEN]; /* "": every folder of the organization */
};
/* Resolves and authorizes the view of a list or an organization-wide action: org_id as
 * given (a query or body field; NULL or "": the caller's only organization, its API
 * token's, or for the bootstrap principal all of them, unless one_org asks for exactly
 * one), need checked within the granted folders. 0, or -1 with rp filled. */
int access_view(struct request *rq, struct reply *rp, const char *org_id,
		enum access_need need, int one_org, struct access_view *v);
/* The view's statement arguments: NULL for "every". */
const char *view_org(const struct access_view *v);
const char *view_user(const struct access_view *v);

/* Where an action happened; any member may be NULL. */
struct audit_scope {
	const char *org_id;
	const char *folder_id;
	const char *device_id;
};

/* Appends one history row for rq's principal: 0, or -1 when the store failed (the
 * caller rolls back and answers 500). detail is printf-formatted, plain text. */
int audit(struct request *rq, const struct audit_scope *where, const char *action,
	  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for an actor that is not (yet) rq's principal: a sign-in, failed or not, of
 * the user user_id (NULL: none found) who gave email. */
int audit_actor(struct request *rq, const struct audit_scope *where, const char *user_id,
		const char *email, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
