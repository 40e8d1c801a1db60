/* inventory: device_apps written from a device's report (see inventory.h). */
#include "inventory.h"

/* When the device has been running name since in its current run, or 0 (not running). */
static int64_t running_since(struct store *db, const char *device_id, const char *name)
{
	struct store_rows *st = store_query(db, ST_DEVICE_APP_RUNNING_SINCE, "ss", device_id, name);
	int r = st ? store_next(st) : DB_ERROR;
	int64_t since = r == 1 ? store_int(st, 0) : r == 0 ? 0 : DB_ERROR;
	store_done(st);
	return since;
}

int inventory_replace(struct store *db, const char *device_id, const struct inventory_app *apps,
		      int n, int64_t now)
{
	int64_t since[INVENTORY_APPS_MAX];
	if (n < 0 || n > INVENTORY_APPS_MAX)
		return DB_ERROR;
	for (int i = 0; i < n; i++) { /* read before the old list goes */
		int64_t was = apps[i].running ? running_since(db, device_id, apps[i].name) : 0;
		if (was < 0)
			return DB_ERROR;
		since[i] = !apps[i].running ? 0 : was > 0 ? was : now;
	}
	if (store_run(db, ST_DEVICE_APPS_DELETE_OF_DEVICE, "s", device_id) < 0)
		return DB_ERROR;
	for (int i = 0; i < n; i++) {
		const struct inventory_app *a = &apps[i];
		if (store_run(db, ST_DEVICE_APPS_INSERT, "ssssbsisi", device_id, a->name, a->version,
			      a->vendor, a->running, a->license, a->license_exp, a->app_id,
			      since[i]) != 1)
			return DB_ERROR;
	}
	return 0;
}
