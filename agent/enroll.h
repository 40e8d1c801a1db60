/* enroll: the enrollment token, enrollment (proof of key possession, pinning of
 * the cloud key named by the token) and authentication (signed request ->
 * short-lived bearer token). docs/protocol.md §2-3. */
#ifndef CAM_AGENT_ENROLL_H
#define CAM_AGENT_ENROLL_H

#include "../lib/crypto.h"
#include "config.h"

struct agent;

#define TOKEN_SECRET_MAX 128

struct enroll_token {
	char url[CONFIG_URL_MAX];
	char secret[TOKEN_SECRET_MAX];
	char fp[CRYPTO_SHA256_HEX_LEN];
};

/* Parses "cam1.<base64url(JSON)>"; -1 with a reason a person can act on. */
int enroll_token_parse(const char *text, struct enroll_token *out, char *err, size_t errsz);

struct agent_state;
/* The one setter of the enrollment machine (docs/architecture.md): saves next
 * first and only then makes it the agent's state, logging old -> new; -1 (state
 * unchanged) when the save fails. */
int enroll_set_state(struct agent *a, const struct agent_state *next);

void enroll_start(struct agent *a);
void auth_start(struct agent *a);

#endif
