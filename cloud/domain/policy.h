/* policy: the cloud's decisions as pure functions (no I/O, no clock), so the
 * rules of docs/protocol.md can be unit-tested apart from HTTP and SQL:
 * enrollment token checks, enrollment and re-enrollment outcome, timestamp window,
 * task state order, update windows, which devices a job skips, version order,
 * Range header parsing and small input validators. */
#ifndef CLOUD_POLICY_H
#define CLOUD_POLICY_H

#include "../../lib/protocol.h"
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
/* What `token list` shows: "active", "expired", "revoked", "used_up" ("invalid"). */
const char *token_state_name(enum token_verdict v);

enum enroll_action {
	ENROLL_REFUSE,          /* answer 403 with the token verdict */
	ENROLL_NEW,             /* create the device, use the token once */
	ENROLL_RETRY,           /* same device_id, token not used again */
	ENROLL_CONFLICT,        /* same serial, other key: 409 device_conflict */
	ENROLL_MOVE,            /* same org, token allows moving: move it, use the token once */
	ENROLL_CONFLICT_FOLDER, /* same org, other folder, token does not allow moving: 409 */
	ENROLL_CONFLICT_ORG,    /* enrolled in another organization: 409 */
};
/* What is known when a serial enrolls. The device_* facts are about the live (not
 * removed) device with this serial, if any. */
struct enroll_facts {
	enum token_verdict verdict;
	int allow_move;      /* the token may move a device of its org into its folder */
	int device_exists;
	int same_key;        /* ... enrolled with the key of this request */
	int same_enrollment; /* ... enrolled (or last moved) with this very token */
	int same_folder;     /* ... is in the token's folder */
	int same_org;        /* ... is in the token's organization */
};
enum enroll_action enroll_decide(const struct enroll_facts *f);

/* 1 when ts is within ±window seconds of now. */
int ts_within(int64_t ts, int64_t now, int64_t window);

/* Task states in their only order: pending (cloud side), received, downloading,
 * verifying, waiting_window, installing, rebooting, verifying_version, then a final
 * one: succeeded, failed or cancelled (cloud side). */
int task_state_rank(const char *state); /* -1 for an unknown state */
int task_state_is_final(const char *state);
/* States a device may report. */
int task_state_reportable(const char *state);
/* Cancel is allowed only before installing starts (waiting_window included). */
int task_state_cancellable(const char *state);
/* The reason a task gets when its expires_at passes before a final state. */
#define TASK_EXPIRED_REASON "expired before the device finished"

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

/* Update window of a task (protocol §6): none (install at once), an absolute UTC
 * interval, or a daily local-time interval ("22:00"-"04:00" spans midnight). */
struct task_window {
	enum window_kind kind;
	int64_t start, end; /* WINDOW_UTC */
	char from[6], to[6]; /* WINDOW_DAILY, "HH:MM" */
};
/* window_kind_name, window_kind_parse, window_hhmm_valid: lib/protocol.h. */
/* NULL when w is acceptable for a new task at now, else the offending field
 * ("window.start", "window.end", "window.from", "window.to"). */
const char *window_check(const struct task_window *w, int64_t now);

/* When a new task expires: now + ttl, or when ttl < 0 (not given) now + default_ttl
 * stretched to the end of a UTC window. -1 when a given ttl ends before a UTC window
 * opens (the task could never install). */
int task_expiry(int64_t now, int64_t ttl, int64_t default_ttl, const struct task_window *w,
		int64_t *expires_at);

/* Why a job leaves a device out (JOB_ELIGIBLE: it gets a task). */
enum job_skip {
	JOB_ELIGIBLE,
	JOB_SKIP_UNKNOWN,      /* no such device */
	JOB_SKIP_REMOVED,      /* removed by an admin */
	JOB_SKIP_MODEL,        /* the image is for another model */
	JOB_SKIP_SAME_VERSION, /* already runs the target version */
	JOB_SKIP_NEWER,        /* runs a newer version and the job does not allow downgrades */
	JOB_SKIP_OPEN_TASK,    /* already has an unfinished task for this image */
};
struct job_candidate {
	int found, removed;
	const char *model, *os_version;
	int open_task_same_image;
};
enum job_skip job_skip_decide(const struct job_candidate *d, const char *image_model,
			      const char *image_version, int allow_downgrade);

/* Parses the wait= query value (NULL: default). -1 when malformed; clamps to MAX. */
int wait_parse(const char *arg, int *out);

/* 32 lowercase hex digits (lib/protocol.h). */
#define is_hex_id proto_is_id
/* 1 when s is non-empty, at most max bytes and free of control characters. */
int is_printable(const char *s, unsigned max);
/* What a device may report of a license: active, failed, removed, expired. */
int license_state_reportable(const char *state);
/* 1 when a license in state cur moves to the reported state: a change, not out of a
 * final state (removed, expired), and out of revoked only to removed. */
int license_state_follows(const char *cur, const char *reported);

#endif
