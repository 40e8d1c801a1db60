/* sqlite_store: the store over one SQLite file (WAL), the embedded default. */
#ifndef CLOUD_STORE_SQLITE_STORE_H
#define CLOUD_STORE_SQLITE_STORE_H

#include <sqlite3.h>

#include "../store.h"

/* Opens (creating and migrating) the database file at path. */
int sqlite_store_open(const char *path, struct store **out);
/* Appends column 0 of every row of st (bound, not yet stepped) to l: rows added or
 * DB_ERROR. */
int sqlite_stmt_ids(sqlite3_stmt *st, struct db_ids *l);
/* The connection underneath, for tests that look inside the file; NULL on other stores. */
sqlite3 *sqlite_store_handle(struct store *s);

#endif
