/* invitation: the rules of inviting someone into an organization by e-mail — which
 * role an invitation may carry (viewer only: the manual's security rule; roles are
 * raised afterwards by promotion), how long it lasts, what state it is in at a time,
 * and the mail that carries its link. Pure functions: no HTTP, no SQL. */
#ifndef CLOUD_INVITATION_H
#define CLOUD_INVITATION_H

#include <stddef.h>
#include <stdint.h>

/* The manual gives no lifetime; seven days, as docs/admin-api.md says. */
#define INVITATION_TTL (7 * 86400)
#define INVITATION_FOLDERS_MAX 64 /* folders one invitation may grant */

enum invitation_state {
	INVITATION_PENDING,
	INVITATION_ACCEPTED,
	INVITATION_CANCELLED,
	INVITATION_EXPIRED, /* pending past its expiry: never stored, decided at a time */
};

/* 0 when an invitation may carry role (a role name), else -1 and *why says why. */
int invitation_role_check(const char *role, const char **why);

/* The state of a stored invitation ("pending", "accepted", "cancelled") at now. */
enum invitation_state invitation_state_at(const char *stored, int64_t expires_at, int64_t now);
const char *invitation_state_name(enum invitation_state s);

/* The subject and plain-text body of the invitation mail: who is invited to which
 * organization, the link, and until when it works. 0, or -1 when a buffer is short. */
int invitation_mail(const char *org_name, const char *link, int64_t expires_at,
		    char *subject, size_t subject_size, char *body, size_t body_size);

#endif
