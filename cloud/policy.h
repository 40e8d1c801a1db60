/* policy: the cloud's decisions as pure functions (no I/O, no clock), so the
 * rules of docs/protocol.md can be unit-tested apart from HTTP and SQL:
 * enrollment token checks, enrollment outcome, timestamp window, task state
 * order, Range header parsing and small input validators. */
#ifndef CLOUD_POLICY_H
#define CLOUD_POLICY_H

#include <stdint.h>

#define POLICY_TS_WINDOW 300        /* ± seconds accepted on a signed request's ts */
#define POLICY_NONCE_TTL 600        /* seconds a nonce is remembered */
#define POLICY_ACCESS_TTL 900       /* access token lifetime */
#define POLICY_ONLINE_WINDOW 600    /* a device seen this recently is online */
#define POLICY_HEARTBEAT 300        /* seconds between reports asked of devices */
#define POLICY_WAIT_DEFAULT 60
#define POLICY_WAIT_MAX 300

enum token_verdict { TOKEN_OK, TOKEN_INVALID, TOKEN_REVOKED, TOKEN_EXPIRED, TOKEN_USED_UP };

struct token_facts {
	int found;
	int revoked;
	int64_t expires_at;
	int64_t uses;
	int64_t max_uses;
};

enum token_verdict token_check(const struct token_facts *t, int64_t now);
/* The §1 error code for a refusal ("token_invalid", ...); NULL for TOKEN_OK. */
const char *token_verdict_code(enum token_verdict v);

enum enroll_action {
	ENROLL_REFUSE,   /* answer 403 with the token verdict */
	ENROLL_NEW,      /* create the device, use the token once */
	ENROLL_RETRY,    /* same serial, same key: same device_id, token not used again */
	ENROLL_CONFLICT, /* same serial, other key: 409 device_conflict */
};
/* device_exists: a live (not removed) device has this serial; same_key: with this key. */
enum enroll_action enroll_decide(enum token_verdict v, int device_exists, int same_key);

/* 1 when ts is within ±window seconds of now. */
int ts_within(int64_t ts, int64_t now, int64_t window);

/* Task states in their only order: pending (cloud side), received, downloading,
 * verifying, installing, rebooting, verifying_version, then a final one:
 * succeeded, failed or cancelled (cloud side). */
int task_state_rank(const char *state); /* -1 for an unknown state */
int task_state_is_final(const char *state);
/* States a device may report. */
int task_state_reportable(const char *state);
/* Cancel is allowed only before installing starts. */
int task_state_cancellable(const char *state);

enum task_transition {
	TASK_ADVANCE, /* move to the new state */
	TASK_SAME,    /* same non-final state again: progress update only */
	TASK_IGNORE,  /* already passed, or the task is final: accepted, no change */
};
enum task_transition task_state_transition(const char *cur, const char *next);

enum range_result {
	RANGE_NONE,          /* no Range header: whole file, 200 */
	RANGE_OK,            /* bytes=<from>- with from < size: 206 */
	RANGE_MALFORMED,     /* anything but a single bytes=<from>- */
	RANGE_UNSATISFIABLE, /* from >= size */
};
/* header may be NULL. */
enum range_result range_parse(const char *header, uint64_t size, uint64_t *from);

/* Parses the wait= query value (NULL: default). -1 when malformed; clamps to MAX. */
int wait_parse(const char *arg, int *out);

/* 32 lowercase hex digits. */
int is_hex_id(const char *s);
/* 1 when s is non-empty, at most max bytes and free of control characters. */
int is_printable(const char *s, unsigned max);
int license_state_reportable(const char *state);

#endif
