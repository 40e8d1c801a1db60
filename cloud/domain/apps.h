/* apps: the rules of the application catalog — what of a package's manifest the catalog
 * keeps, and whether an AXIS OS upgrade would strand an app installed on a device (the
 * agent's own package first). The manifest rules themselves are lib/eap.h's, so the
 * camera, the agent and the cloud agree. No HTTP here. */
#ifndef CLOUD_APPS_H
#define CLOUD_APPS_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/eap.h"
#include "../store/store.h"

#define APP_AGENT_NAME "camagent" /* the agent's own appName */
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

/* Whether upgrading device_id to AXIS OS target_os would leave an installed app unable
 * to run. The installed apps are read through apps_installed_on() below. 0: none would;
 * 1: one would, reason says which and why and fix_id names a catalog package that runs
 * on target_os (the application task that fixes it), "" when the catalog has none;
 * -1: store error. */
int app_strand_check(struct store *db, const char *device_id, const char *target_os,
		     char *reason, size_t reasonsz, char fix_id[DB_ID_LEN]);

/* What the cloud knows is installed on a device, as catalog rows: today the agent's own
 * package (the version the device reports as agent_version, for its architecture); the
 * application inventory of the device report joins here when it lands. Calls fn once per
 * app the catalog holds a package for (m filled from the row); an app the catalog does
 * not hold cannot be checked and is not passed. fn returns non-zero to stop. Returns
 * fn's value, 0, or -1 on a store error. */
struct app_installed {
	const char *name, *version, *device_arch;
	struct eap_manifest m;
};
int apps_installed_on(struct store *db, const char *device_id,
		      int (*fn)(void *arg, const struct app_installed *app), void *arg);

/* The agent's own app replaced (task state rebooting): the new agent must say more within
 * this long, or the task fails with APP_OVERDUE_REASON. Longer than the agent's own wait
 * for the camera's restart (agent/app_task.h), so a slow camera is told apart. */
#define APP_CHECKIN_DEADLINE_S 900
#define APP_OVERDUE_REASON "the new agent never checked in after its package was installed"
/* Fails the app tasks of device_id (or of all, NULL) overdue at now, with a history row
 * each; inside the caller's transaction when one is open. Returns how many, or -1. */
int app_tasks_overdue(struct store *db, const char *device_id, int64_t now);

#endif
