/* tasks: the OS-upgrade task state machine (docs/architecture.md has the diagram).
 *
 *   received -> downloading -> verifying -> [waiting_window] -> installing
 *            -> rebooting -> verifying_version -> succeeded   (any step -> failed)
 *
 * Every transition goes through task_set_state(), which persists task.json and
 * only then makes the transition (logging old -> new), so a kill or a power loss
 * at any point resumes (or fails cleanly); tasks.c lists every edge. The cloud is told each state;
 * the last unreported one is retried until acknowledged. */
#ifndef CAM_AGENT_TASKS_H
#define CAM_AGENT_TASKS_H

#include <stdint.h>
#include "../lib/crypto.h"
#include "window.h"

struct agent;
struct download;

enum task_state {
	TASK_NONE,
	TASK_RECEIVED,
	TASK_DOWNLOADING,
	TASK_VERIFYING,
	TASK_WAITING_WINDOW,
	TASK_INSTALLING,
	TASK_REBOOTING,
	TASK_VERIFYING_VERSION,
	TASK_SUCCEEDED,
	TASK_FAILED,
};

#define TASK_FIELD_MAX 64
#define TASK_REASON_MAX 256
#define TASK_URL_MAX 512
#define TASK_APP_PARAMS_MAX 2048

struct task_run {
	enum task_state state;
	enum task_state reported;    /* last state the cloud acknowledged */
	int progress;                /* 0..100 while downloading */
	int reported_progress;
	char task_id[TASK_FIELD_MAX];
	char model[TASK_FIELD_MAX];
	char target_version[TASK_FIELD_MAX];
	char from_version[TASK_FIELD_MAX];
	char artifact_url[TASK_URL_MAX];
	char sha256[CRYPTO_SHA256_HEX_LEN];
	uint64_t size;
	int allow_downgrade;
	int64_t exp;
	struct update_window window; /* when installing is allowed */
	char reason[TASK_REASON_MAX];
	/* an application task (payload kind "app"): app_action set; target_version is the
	 * package's version (install), artifact_url "" for the other actions */
	char app_action[16];
	char app_name[TASK_FIELD_MAX];
	char app_params[TASK_APP_PARAMS_MAX]; /* set_params: JSON [{"name","value"}] */
	/* runtime only */
	struct download *dl;
	int install_running;         /* the platform's install goes on on the loop */
	int download_failures;       /* attempts in a row that brought no byte */
	int download_advanced;       /* the attempt running has brought bytes */
	int64_t retry_at;            /* next download attempt (or wake-up) not before this */
	int64_t reboot_deadline;     /* a device that reboots by itself must have done so by then */
	int64_t progress_reported_at;
	enum task_state sent_state;  /* what the status report in flight says */
	int sent_progress;
};

const char *task_state_name(enum task_state s);
int task_state_parse(const char *name, enum task_state *out);

/* Fills t's task fields from a verified task payload (protocol §5); -1 when a field is
 * missing or malformed. */
int task_payload_read(struct task_run *t, const char *payload, size_t len);

/* Persistence of the one current task (task.json in the state dir). Load: 0 (loaded,
 * or no task), JSON_FILE_PREVIOUS (err says why), or -1 when nothing good is left:
 * then t is no task, or, when the damaged file still names a valid task id, that
 * task failed and not yet reported. Clear removes both generations. */
int task_store_load(const char *state_dir, struct task_run *t, char *err, size_t errsz);
int task_store_save(const char *state_dir, const struct task_run *t);
int task_store_clear(const char *state_dir);

/* Called once at start: settles what a restart or a reboot left behind. */
void tasks_resume(struct agent *a);
/* Sequencer hooks; each returns 1 when it started something. */
int tasks_report_pending(struct agent *a);
int tasks_advance(struct agent *a);
void tasks_poll_start(struct agent *a, int wait_s);
/* 1 when the sequencer should hold a poll while the task waits (for its window),
 * so that a cancellation or the next task reaches us within one poll. */
int tasks_poll_while_waiting(const struct agent *a);
/* 1 for an application task that downloads nothing (every action but install). */
int task_is_app_without_package(const struct task_run *t);
/* The shape checks of a task's outside values: id, artifact path, digest, size, expiry. */
int tasks_fields_valid(const char *task_id, const char *artifact_url, const char *sha256,
		       int64_t size, int64_t exp);
int tasks_active(const struct agent *a);
/* Drops the current task and its download (decommission). */
void tasks_abandon(struct agent *a);

#endif
