/* apps: the rules of the application catalog — what of a package's manifest the catalog
 * keeps, and whether an AXIS OS upgrade would strand an app installed on a device (the
 * agent's own package first). The manifest rules themselves are lib/eap.h's, so the
 * camera, the agent and the cloud agree. No HTTP here. */
#ifndef CLOUD_APPS_H
#define CLOUD_APPS_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/app_name.h"
#include "../../lib/eap.h"
#include "../store/store.h"

#define APP_AGENT_NAME CAMAGENT_APP_NAME /* the agent's own appName */
#define APP_RANGES_MAX 512        /* os_ranges text: "MIN-MAX,MIN-MAX" */
#define APP_PARAMS_MAX 2048       /* params text: "name,name" */

/* compatibleOsVersions as stored: "12.10-13,14-" (either bound may be empty). */
int app_ranges_text(const struct eap_manifest *m, char *out, size_t outsz);
/* The paramConfig names as stored: "Name,Other". */
int app_params_text(const struct eap_manifest *m, char *out, size_t outsz);
/* A manifest with what the catalog keeps of a package (schema, architecture, OS ranges),
 * enough for eap_compatible(); -1 when the stored text is not ours. */
int app_manifest_of_row(const char *schema_version, const char *arch, const char *ranges,
			struct eap_manifest *m);

/* What the cloud knows is installed on a device: every app of its inventory
 * (device_apps, the device report's list), the agent's own first (at the version the
 * inventory lists, else the agent_version the device reports), each with the catalog's
 * package of that app and version for the device's architecture when there is one
 * (in_catalog set, m filled from the row). Calls fn once per app; fn returns non-zero to
 * stop. Returns fn's value, 0, or -1 on a store error. */
struct app_installed {
	const char *name, *version, *device_arch;
	int in_catalog;
	struct eap_manifest m;
};
int apps_installed_on(struct store *db, const char *device_id,
		      int (*fn)(void *arg, const struct app_installed *app), void *arg);

/* Whether upgrading a device to AXIS OS target_os would leave an installed app unable
 * to run, every installed app the catalog holds checked against its declared range (the
 * agent's own first). An app the catalog does not hold has an unknown range: it does not
 * block, it is listed in unknown (and named after the reason when another app blocks). */
#define APP_STRAND_UNKNOWN_MAX 32
#define APP_RANGE_UNKNOWN "AXIS OS range unknown (not in the catalog)"
struct app_unknown {
	char name[EAP_FIELD_MAX], version[EAP_FIELD_MAX];
};
struct app_strand {
	char reason[1024];      /* the first app that would not run, why, and the fix */
	char fix_id[DB_ID_LEN]; /* the catalog package whose app task fixes it, or "" */
	struct app_unknown unknown[APP_STRAND_UNKNOWN_MAX];
	int nunknown;
};
/* 0: none would; 1: one would (out->reason, out->fix_id); -1: store error. */
int app_strand_check(struct store *db, const char *device_id, const char *target_os,
		     struct app_strand *out);

/* The same check fed app by app, for a caller that read the installed apps itself (a job
 * reads those of all its devices in its one candidate query): begin, add each app in the
 * order apps_installed_on gives them (the agent's own first, then by name), end (which
 * answers as app_strand_check). memo (NULL: none) keeps the catalog's fix found last, so
 * that a job whose devices share an app and an architecture looks it up once. */
struct app_fix_memo {
	char app[EAP_FIELD_MAX], arch[EAP_FIELD_MAX], version[EAP_FIELD_MAX];
	char fix_id[DB_ID_LEN];
	int valid;
};
struct app_strand_run {
	struct store *db;
	const char *target_os;
	struct app_strand *out;
	struct app_fix_memo *memo;
	int stranded, error;
};
void app_strand_begin(struct app_strand_run *s, struct store *db, const char *target_os,
		      struct app_strand *out, struct app_fix_memo *memo);
/* 0 to go on, 1 after a store error (end then answers -1). */
int app_strand_add(struct app_strand_run *s, const struct app_installed *app);
int app_strand_end(struct app_strand_run *s);
/* An installed app from the columns at col of a row: its name, version, then the
 * catalog package's app_name (NULL: not in the catalog), schema_version, architecture
 * and os_ranges; device_arch is the device's. 1, or 0 when the columns name no app (or
 * one without a version). Text of the row: valid until the next store_next. */
int app_installed_read(struct store_rows *st, int col, const char *device_arch,
		       struct app_installed *app);

/* The agent's own app replaced (task state rebooting): the new agent must say more within
 * this long, or the task fails with APP_OVERDUE_REASON. Longer than the agent's own wait
 * for the camera's restart (agent/app_task.h), so a slow camera is told apart. */
#define APP_CHECKIN_DEADLINE_S 900
#define APP_OVERDUE_REASON "the new agent never checked in after its package was installed"
/* Fails the app tasks of device_id (or of all, NULL) overdue at now, with a history row
 * each; inside the caller's transaction when one is open. Returns how many, or -1. */
int app_tasks_overdue(struct store *db, const char *device_id, int64_t now);

#endif
