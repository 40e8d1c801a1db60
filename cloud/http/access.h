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

#include "../store/store.h"

struct request;
struct reply;

#include "access_need.h" /* enum access_need: NEED_READ .. NEED_OWN */

enum principal_kind {
	PRINCIPAL_NONE,
	PRINCIPAL_BOOTSTRAP, /* the static admin token: every organization */
	PRINCIPAL_USER,      /* a signed-in user (console session) */
	PRINCIPAL_API_TOKEN, /* a user's personal API token (one org, a capped role) */
};

struct principal {
	enum principal_kind kind;
	char user_id[DB_ID_LEN];
	char token_id[DB_ID_LEN];
};

/* 0 when rq->who may do `need` in org_id — in folder_id and its subfolders when given,
 * organization-wide when folder_id is NULL or "". Otherwise fills rp (404 for an
 * organization the principal cannot see, so ids do not leak; 403 inside one it can)
 * and returns -1. org_id NULL or "" asks about creating a new organization. */
int authorize(struct request *rq, struct reply *rp, const char *org_id,
	      const char *folder_id, enum access_need need);

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

#endif
