/* invitation: rules of e-mail invitations (see invitation.h). */
#include "invitation.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int invitation_role_check(const char *role, const char **why)
{
	if (role && strcmp(role, "viewer") == 0)
		return 0;
	*why = "invitations are limited to the viewer role, for security; promote the member"
	       " once they have joined";
	return -1;
}

enum invitation_state invitation_state_at(const char *stored, int64_t expires_at, int64_t now)
{
	if (strcmp(stored, "accepted") == 0)
		return INVITATION_ACCEPTED;
	if (strcmp(stored, "cancelled") == 0)
		return INVITATION_CANCELLED;
	return now >= expires_at ? INVITATION_EXPIRED : INVITATION_PENDING;
}

const char *invitation_state_name(enum invitation_state s)
{
	static const char *const names[] = {"pending", "accepted", "cancelled", "expired"};
	return names[s];
}

int invitation_mail(const char *org_name, const char *link, int64_t expires_at,
		    char *subject, size_t subject_size, char *body, size_t body_size)
{
	char until[40];
	time_t t = (time_t)expires_at;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		return -1;
	int n = snprintf(subject, subject_size, "You are invited to %s", org_name);
	int m = snprintf(body, body_size,
			 "You have been invited to the organization %s as a viewer.\n"
			 "\n"
			 "Open this link to join. Without an account, sign up there with this\n"
			 "e-mail address; with one, sign in and accept:\n"
			 "\n"
			 "%s\n"
			 "\n"
			 "The link works once, until %s. If you did not expect this\n"
			 "invitation, ignore this mail.\n",
			 org_name, link, until);
	return n < 0 || (size_t)n >= subject_size || m < 0 || (size_t)m >= body_size ? -1 : 0;
}
