/* jobs: upgrade jobs in the database. A job is one image for a set of devices (one
 * device, a selection, a folder tree, every outdated device of a model, or for an
 * application every camera running an app); it makes
 * one task per eligible device and records why it left the others out. Also the
 * lazy task expiry and the update window columns tasks and jobs share. */
#ifndef CLOUD_JOBS_H
#define CLOUD_JOBS_H

#include <stdint.h>

#include "../http/api.h"
#include "../store/store.h"
#include "../../lib/eap.h"
#include "policy.h"

#define JOB_DEVICES_MAX 1000 /* ids in one device_ids selection */
#define TASK_TTL_DEFAULT 86400
#define TASK_TTL_MAX (366 * 86400)
/* Tasks (and skip rows) a job writes in one statement: that statement's argument, a
 * JSON object of a key a row, stays at about 40 kB for tasks. */
#define TASK_SLICE 500
/* A job making at least this many tasks refreshes the store's planner statistics
 * before its wake-up (store_tasks_grew). */
#define JOB_ANALYZE_MIN_TASKS 1000

/* Job kinds (jobs.kind) and what jobs.target then holds. */
#define JOB_KIND_DEVICE "device"           /* a device id (task create) */
#define JOB_KIND_DEVICES "devices"         /* "" (the devices are its tasks and skips) */
#define JOB_KIND_FOLDER "folder"           /* a folder id, subfolders included */
#define JOB_KIND_RECOMMENDED "recommended" /* a model */
#define JOB_KIND_RUNNING "running"         /* an appName: every camera whose inventory has it
					      running (application jobs) */

/* Task kinds (tasks.task_kind, jobs.task_kind): the payload's "kind" (protocol §6, §6a). */
#define TASK_KIND_OS "os_upgrade"
#define TASK_KIND_APP "app"
#define APP_PARAMS_JSON_MAX 4096
/* The skip reason of an action on an app the camera's inventory does not list. */
#define JOB_APP_NOT_INSTALLED "app not installed"

/* What an application task does (task_kind "app"): an action on the app of a catalog
 * package; install also checks each camera against the package's manifest. */
struct job_app {
	char action[16];                 /* install|remove|start|stop|restart|set_params */
	char package_id[DB_ID_LEN];
	char name[EAP_FIELD_MAX];        /* appName */
	char version[EAP_FIELD_MAX];     /* the package's */
	struct eap_manifest m;           /* what the catalog keeps of its manifest */
	char params[APP_PARAMS_JSON_MAX]; /* set_params: a JSON object of strings; else "" */
};

struct job_spec {
	const char *kind;
	const char *target;
	char image_id[DB_ID_LEN];
	char model[FIELD_SHORT], version[FIELD_SHORT]; /* of the image */
	int allow_downgrade;
	int override_app_check; /* upgrade even where an installed app would not run after */
	int64_t expires_at;
	struct task_window window;
	const struct job_app *app; /* NULL: an AXIS OS upgrade of image_id; else image_id is
				    * the package's artifact */
	char org_id[DB_ID_LEN];     /* the organization the job belongs to */
	char folder_id[DB_ID_LEN];  /* its one folder (a folder job, or devices of one folder); "" */
	const char *grant_user;     /* a recommended-model job: only this user's granted
				     * folders (NULL: the whole organization) */
};

/* Reads the image's model and version into spec (image_id set): 1, 0 when there is
 * no such image, DB_ERROR. */
int job_load_image(struct store *db, struct job_spec *spec);

/* Inserts the job row only (the caller holds a transaction). */
int job_insert(struct cloud *c, const struct job_spec *spec, int64_t now, char id[DB_ID_LEN]);
/* Inserts one pending task of job_id for device_id (the caller holds a transaction). */
int job_task_insert(struct cloud *c, const char *job_id, const struct job_spec *spec,
		    const char *device_id, int64_t now, char task_id[DB_ID_LEN]);

/* Creates a job of kind JOB_KIND_DEVICES (the ids in devices), JOB_KIND_FOLDER,
 * JOB_KIND_RECOMMENDED or JOB_KIND_RUNNING (these two: devices of spec->org_id only,
 * within grant_user's folders), its skip rows, its plan of tasks and the first slice of
 * them (their devices go to woken); the caller holds the transaction and records the
 * history row with what describes it (job_describe). *tasks counts every task of the
 * plan. Returns 0 when all are written, 1 when slices are left to job_plan_step after
 * the commit, -1 on error (id set on success). The caller wakes woken afterwards. */
int job_create_tx(struct cloud *c, const struct job_spec *spec, const struct db_ids *devices,
		  int64_t now, char id[DB_ID_LEN], int *tasks, int *skipped, struct db_ids *woken);
/* Writes the next slice of job_id's plan as pending tasks and adds their devices to
 * woken (the caller holds the transaction and wakes them after the commit). 1 when a
 * slice was written or another instance had just taken it (call again), 0 when the plan
 * is all written (or there is none), -1 on error. */
int job_plan_step(struct cloud *c, const char *job_id, int64_t now, struct db_ids *woken);
/* The history text of a new job. */
void job_describe(const struct job_spec *spec, const char *id, int tasks, int skipped,
		  char *out, size_t outsz);

/* Fails the unfinished tasks whose expires_at has passed (of one device, or of all
 * when device_id is NULL), with a history row each. Uses its own transaction unless
 * one is open. Returns how many expired, or -1. */
int tasks_expire(struct store *db, const char *device_id, int64_t now);

/* Three statements that select, record and fail a kind of overdue task: each takes
 * (cutoff, device_id, device_id) last; history and fail take (now, reason) and
 * (reason, now) first. */
struct lazy_fail {
	enum store_stmt count, history, fail;
	const char *reason;
};
/* Fails the tasks lf selects at cutoff (of one device, or of all when device_id is NULL),
 * with a history row each, in its own transaction unless one is open: how many, or -1. */
int tasks_fail_lazily(struct store *db, const struct lazy_fail *lf, const char *device_id,
		      int64_t cutoff, int64_t now);

/* Cancels task_id, which is in the cancellable state from, with reason (may be "");
 * when the device had started it (from is not pending) its next task poll is told
 * (tasks/next "cancelled"). The caller holds a transaction and wakes the device's
 * long poll after the commit. 0 or -1. */
int task_cancel_tx(struct store *db, const char *task_id, const char *from, const char *reason,
		   int64_t now);

/* Reads the five window columns (kind, start, end, from, to) starting at column col. */
void job_window_read(struct store_rows *st, int col, struct task_window *w);

#endif
