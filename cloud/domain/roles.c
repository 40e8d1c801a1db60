/* roles: who may do what (see roles.h). */
#include "roles.h"

#include <string.h>

static const char *const names[] = {"", "viewer", "operator", "admin", "owner"};

const char *role_name(enum role r)
{
	return r >= ROLE_NONE && r <= ROLE_OWNER ? names[r] : "";
}

int role_parse(const char *name, enum role *out)
{
	for (int r = ROLE_VIEWER; name && r <= ROLE_OWNER; r++)
		if (strcmp(name, names[r]) == 0) {
			*out = (enum role)r;
			return 0;
		}
	return -1;
}

enum role role_cap(enum role user_role, enum role token_role)
{
	return user_role < token_role ? user_role : token_role;
}

int role_sees_all_folders(enum role r)
{
	return r >= ROLE_ADMIN;
}

/* The most a role may need: operate for an operator, read for a viewer... */
static enum access_need role_ceiling(enum role r)
{
	switch (r) {
	case ROLE_OWNER:
		return NEED_OWN;
	case ROLE_ADMIN:
		return NEED_MANAGE;
	case ROLE_OPERATOR:
		return NEED_OPERATE;
	default:
		return NEED_READ;
	}
}

enum role_verdict role_decide(enum role r, enum role_place place, enum access_need need)
{
	if (r == ROLE_NONE)
		return VERDICT_HIDDEN;
	if (!role_sees_all_folders(r)) {
		if (place == PLACE_NOT_GRANTED)
			return VERDICT_HIDDEN;
		/* organization-wide, operators and viewers only read (members, their tree) */
		if (place == PLACE_ORG && need > NEED_READ)
			return VERDICT_FORBIDDEN;
	}
	return need <= role_ceiling(r) ? VERDICT_ALLOW : VERDICT_FORBIDDEN;
}

enum role_verdict role_may_change(enum role actor, enum role old, enum role new_role)
{
	if (actor == ROLE_NONE)
		return VERDICT_HIDDEN;
	if (actor < ROLE_ADMIN)
		return VERDICT_FORBIDDEN;
	if ((old == ROLE_OWNER || new_role == ROLE_OWNER) && actor != ROLE_OWNER)
		return VERDICT_FORBIDDEN;
	return VERDICT_ALLOW;
}

int role_change_keeps_owner(int owners, enum role old, enum role new_role)
{
	return old == ROLE_OWNER && new_role != ROLE_OWNER && owners <= 1 ? -1 : 0;
}
