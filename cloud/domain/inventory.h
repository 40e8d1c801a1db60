/* inventory: the applications each device has installed, as its report lists them
 * (protocol §4 "apps"), kept in device_apps — one inventory that the wallet's current
 * need (license_usage.h), the OS-upgrade strand check (apps.h) and application jobs
 * (jobs.h) all read. This is its one writer; parsing the report is report_apps.c's. */
#ifndef CLOUD_INVENTORY_H
#define CLOUD_INVENTORY_H

#include <stdint.h>

#include "../../lib/eap.h"
#include "../http/api.h"
#include "../store/store.h"

#define INVENTORY_APPS_MAX 32 /* entries in one report */
#define INVENTORY_APP_ID_MAX (EAP_APP_ID_DIGITS + 1) /* ApplicationID, lib/eap.h */

struct inventory_app {
	char name[FIELD_NAME], version[FIELD_SHORT], vendor[FIELD_NAME], license[16];
	char app_id[INVENTORY_APP_ID_MAX]; /* "" when the camera's list has none */
	int running;
	int64_t license_exp;
};

/* Replaces device_id's list with apps[0..n) reported at now, inside the caller's
 * transaction. An app's `since` (when the device was first reported running it in its
 * current run) is kept while it keeps running; it is reset when the app stops or
 * disappears. 0 or DB_ERROR. */
__attribute__((warn_unused_result)) int inventory_replace(struct store *db,
							   const char *device_id,
							   const struct inventory_app *apps,
							   int n, int64_t now);

#endif
