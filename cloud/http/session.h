/* session: who is calling an admin route. A console session is a random secret in
 * the cookie camcloud_session (the store keeps its SHA-256) plus a CSRF token that
 * every state-changing request made with the cookie carries in X-CSRF-Token; the CLI
 * and automation send a personal API token as bearer; the static admin token is the
 * bootstrap principal only until the first owner account exists. The role is not
 * kept here: access.c looks it up per request. docs/admin-api.md §1-2, §5. */
#ifndef CLOUD_SESSION_H
#define CLOUD_SESSION_H

#include "../domain/accounts.h"
#include "../domain/password.h"
#include "../domain/totp.h"
#include "../store/store.h"

struct request;
struct reply;

#define SESSION_COOKIE "camcloud_session"
#define API_TOKEN_PREFIX "cct_"

/* Fills rq->who from the Authorization header or the session cookie; 0, or -1 with rp
 * filled (401; 403 csrf for a cookie request without the right X-CSRF-Token). */
int session_authenticate(struct request *rq, struct reply *rp);

/* Starts a session for user_id: sets the cookie on rq's reply and puts the CSRF token
 * into csrf (CSRF_LEN). 0 or -1. */
int session_start(struct request *rq, const char *user_id, char *csrf);
/* Ends rq's session (if it has one) and clears the cookie. 0 or -1. */
int session_end(struct request *rq);

/* One user account as the store has it. */
struct user_row {
	char id[DB_ID_LEN];
	char email[EMAIL_MAX];
	char hash[PASSWORD_HASH_MAX];
	int mfa_enabled;
	char secret[BASE32_MAX], pending[BASE32_MAX]; /* TOTP secrets, base32 */
	int64_t last_step;                            /* of the last TOTP code taken */
};
/* Loads the user ST_USER_BY_ID or ST_USER_BY_EMAIL finds for key: 1, 0 none, -1. */
int user_load(struct store *db, enum store_stmt by, const char *key, struct user_row *u);

/* 1 while some owner account exists (the bootstrap token is refused then), 0, -1. */
int owner_exists(struct store *db);

#endif
