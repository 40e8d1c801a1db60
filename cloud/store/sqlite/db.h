/* db: the SQLite connection under the SQLite store. Opens in WAL mode with a busy
 * timeout, applies the schema migrations (../migrations.h; the version is kept in
 * PRAGMA user_version) and offers bind-by-format helpers to the backend and to the
 * unit tests that look inside the file. */
#ifndef CLOUD_STORE_SQLITE_DB_H
#define CLOUD_STORE_SQLITE_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sqlite3.h>

#include "../store.h"

/* Opens (creating if needed) the database at path and migrates it. */
int db_open(const char *path, sqlite3 **out);
/* Same, migrating no further than version (tests build older databases with it). */
int db_open_at(const char *path, int version, sqlite3 **out);
void db_close(sqlite3 *db);

/* Applies the pending migrations; returns the schema version reached or -1. */
int db_migrate(sqlite3 *db);
int db_migrate_to(sqlite3 *db, int version);
int db_schema_version(sqlite3 *db);
int db_latest_version(void);

/* Prepares sql and binds the arguments described by types, one char each:
 *   's' const char * (NULL binds SQL NULL)   'i' int64_t   'b' int (0/1)
 * Returns NULL (after logging) on failure. */
sqlite3_stmt *db_stmt(sqlite3 *db, const char *sql, const char *types, ...);
/* Same, then steps to completion: rows changed (>= 0), DB_ERROR or DB_CONSTRAINT. */
int db_exec(sqlite3 *db, const char *sql, const char *types, ...);
/* A statement run many times (say, once per device of a job) is prepared once:
 * db_rebind resets st and binds new arguments (0 or DB_ERROR); db_rerun does the
 * same and steps to completion, returning what db_exec returns. */
int db_rebind(sqlite3_stmt *st, const char *types, ...);
int db_rerun(sqlite3_stmt *st, const char *types, ...);
int db_rebind_v(sqlite3_stmt *st, const char *types, va_list ap);
/* Steps a statement: 1 for a row, 0 when done, DB_ERROR / DB_CONSTRAINT. */
int db_step(sqlite3_stmt *st);

/* Copies column col as text into out (truncating never: -1 when too long). NULL → "". */
int db_col_str(sqlite3_stmt *st, int col, char *out, size_t outsz);
int64_t db_col_int(sqlite3_stmt *st, int col);

/* Appends column 0 of every row of sql (each an id of at most 32 characters) to l.
 * Returns the number of rows added or DB_ERROR. */
int db_ids_collect(sqlite3 *db, struct db_ids *l, const char *sql, const char *types, ...);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* Appends a history row (at = now). */
int db_history(sqlite3 *db, int64_t now, const char *action, const char *detail);
/* Same with a printf-formatted detail (plain text for people, not JSON). */
int db_historyf(sqlite3 *db, int64_t now, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
