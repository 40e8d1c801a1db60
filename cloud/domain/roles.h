/* roles: the rules of who may do what in an organization (docs/admin-api.md §7), as
 * pure functions: no store, no HTTP. cloud/http/access.c asks them after looking the
 * facts up; nothing else compares roles. */
#ifndef CLOUD_ROLES_H
#define CLOUD_ROLES_H

#include "../http/access_need.h"

/* Lowest first, so a cap is the smaller of two. */
enum role { ROLE_NONE, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN, ROLE_OWNER };

/* "owner", "admin", "operator", "viewer" (ROLE_NONE: ""). */
const char *role_name(enum role r);
/* 0 and the role for one of those names, -1 for anything else ("" included). */
int role_parse(const char *name, enum role *out);
/* The role an API token acts with: the lower of the user's and the token's. */
enum role role_cap(enum role user_role, enum role token_role);

/* Where an action happens, as seen by the role: the whole organization, a folder in
 * (or below) one granted to the member, or a folder outside every grant. */
enum role_place { PLACE_ORG, PLACE_GRANTED, PLACE_NOT_GRANTED };

enum role_verdict {
	VERDICT_ALLOW,
	VERDICT_HIDDEN,    /* the object does not exist for this member: 404 */
	VERDICT_FORBIDDEN, /* visible, but the role may not: 403 */
};

/* The one decision: may a member with role r do need at place? */
enum role_verdict role_decide(enum role r, enum role_place place, enum access_need need);

/* Whether the role sees every folder of the organization (owner, admin) or only those
 * granted to it (operator, viewer). */
int role_sees_all_folders(enum role r);

/* May actor (role in the org) change a member from old to new (ROLE_NONE: remove)?
 * Admins manage everyone below owner; only an owner gives or takes ownership. */
enum role_verdict role_may_change(enum role actor, enum role old, enum role new_role);

/* 0 when the change leaves an owner (owners: how many the org has now), -1 when it
 * would remove the last one. */
int role_change_keeps_owner(int owners, enum role old, enum role new_role);

#endif
