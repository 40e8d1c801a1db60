/* invitation_join: joining an organization through an invitation's link. The token
 * in the link is the authority here (the invitee is no member yet, so the gate has
 * nothing to say): it is looked up by its SHA-256, must be pending and unexpired, and
 * is used once. An invitee without an account signs up with the invited address; one
 * with an account accepts while signed in as that address. Either way the user
 * becomes a viewer with grants on the invitation's folders that still exist. */
#ifndef CLOUD_INVITATION_JOIN_H
#define CLOUD_INVITATION_JOIN_H

#include <stdint.h>

#include "../domain/accounts.h"
#include "../http/api.h"

struct invitation {
	char id[DB_ID_LEN], org_id[DB_ID_LEN], org_name[FIELD_NAME];
	char email[EMAIL_MAX], role[FIELD_SHORT];
	int64_t expires_at;
};

/* 1 and *inv for a pending, unexpired invitation of token; otherwise 0 after the
 * answer (400 malformed, 404 unknown, 410 used, cancelled or expired) or -1 after a 500. */
int invitation_by_token(struct request *rq, struct reply *rp, const char *token,
			struct invitation *inv);

/* 1 after a 409 when email belongs to a member of org already, 0 when not, -1 (rp
 * untouched) when the store failed. */
int invitation_member_check(struct request *rq, struct reply *rp, const char *org,
			    const char *email);

#endif
