/* pg_none: pg_store_open for builds without libpq (the camera-architecture builds,
 * `make CLOUD_PG=none`): camcloud there runs on SQLite only and says so. */
#include "pg_store.h"

#include "../../../lib/log.h"

int pg_store_open(const char *conninfo, struct store **out)
{
	(void)conninfo;
	*out = NULL;
	log_error("store: this camcloud was built without PostgreSQL (CLOUD_PG=none)");
	return -1;
}
