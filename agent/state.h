/* state: the agent's persisted identity and enrollment (state.json in the state dir).
 * Saved atomically (temp, fsync, rename, fsync dir): a kill at any point leaves
 * either the old or the new file, never a mix. */
#ifndef CAM_AGENT_STATE_H
#define CAM_AGENT_STATE_H

#include <sys/types.h>
#include "../lib/buf.h"
#include "../lib/crypto.h"
#include "../lib/json.h"
#include "../lib/jsonfile.h"
#include "config.h"

#define STATE_NAME_MAX 128
#define STATE_ERROR_MAX 256
#define DEVICE_ID_MAX 64

enum enroll_state {
	ENROLL_NONE,      /* never enrolled: waiting for a token */
	ENROLL_ENROLLED,
	ENROLL_REFUSED,   /* the cloud refused our token; waiting for another */
	ENROLL_REMOVED,   /* an admin removed the device; waiting for a new token */
};

struct agent_state {
	enum enroll_state enroll;
	char device_id[DEVICE_ID_MAX];
	char cloud_url[CONFIG_URL_MAX];
	char cloud_key_pem[CRYPTO_PUBKEY_PEM_MAX]; /* pinned at enrollment */
	char org[STATE_NAME_MAX];
	char folder[STATE_NAME_MAX];
	/* SHA-256 of the last token used or refused: never retried by itself. */
	char spent_token_sha256[CRYPTO_SHA256_HEX_LEN];
	char last_error[STATE_ERROR_MAX];
	/* The last task that ended, for status and the settings page. */
	char last_task_id[DEVICE_ID_MAX];
	char last_task_target[DEVICE_ID_MAX];
	char last_task_state[32];
	char last_task_reason[STATE_ERROR_MAX];
};

const char *enroll_state_name(enum enroll_state s);
/* Loads state.json or, when it is damaged, its previous generation: 0 (loaded, or a
 * fresh state when there is none), JSON_FILE_PREVIOUS (err says why), or -1 when
 * nothing good is left (a fresh state; err says why). */
int state_load(const char *state_dir, struct agent_state *st, char *err, size_t errsz);
int state_save(const char *state_dir, const struct agent_state *st);
/* Forgets the enrollment (credentials, pinned key) but keeps the device key file. */
void state_forget_enrollment(struct agent_state *st, enum enroll_state why);

/* Path of a file inside the state dir; -1 if it does not fit. */
int state_path(char *out, size_t outsz, const char *state_dir, const char *name);

#endif
