/* license_usage: counts out of the application inventory (see license_usage.h). */
#include "license_usage.h"

int64_t license_usage_count(struct store *s, const char *org_id, const char *app_id,
			    int64_t since)
{
	struct store_rows *r = store_query(s, ST_DEVICE_APPS_RUNNING_COUNT, "ssi", org_id, app_id,
					   since);
	int64_t n = r && store_next(r) == 1 ? store_int(r, 0) : DB_ERROR;
	store_done(r);
	return n;
}
