/* pg_store: the store over PostgreSQL (libpq), for fleets past one machine. */
#ifndef CLOUD_STORE_PG_STORE_H
#define CLOUD_STORE_PG_STORE_H

#include "../store.h"

/* Connects with a libpq connection string ("host=/run/pg dbname=camcloud") and
 * migrates the database to the latest schema. */
int pg_store_open(const char *conninfo, struct store **out);

#endif
