/* db: SQLite open/migrate and small statement helpers for the SQLite store.
 * The steps of migration version v+1 run in one transaction together with the
 * PRAGMA user_version bump. */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../lib/log.h"
#include "../migrations.h"
#include "sqlite_store.h"

/* The page cache, at most (SQLite grows it as pages are read): 64 MiB. */
#define DB_CACHE_KIB_TEXT "65536"

static int exec_plain(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("db: %s (while running: %.60s)", err ? err : sqlite3_errmsg(db), sql);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int db_latest_version(void)
{
	return migrations_latest();
}

static int run_steps(sqlite3 *db, int version)
{
	size_t i = 0;
	const char *sql;
	while ((sql = migration_sql(version, DIALECT_SQLITE, &i)))
		if (exec_plain(db, sql) != 0)
			return -1;
	return 0;
}

int db_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA user_version", "");
	if (!st)
		return -1;
	int v = db_step(st) == 1 ? (int)sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

int db_migrate(sqlite3 *db)
{
	return db_migrate_to(db, migrations_latest());
}

int db_migrate_to(sqlite3 *db, int target)
{
	int v = db_schema_version(db);
	if (v < 0 || target > migrations_latest())
		return -1;
	if (v > migrations_latest()) {
		log_error("db: schema version %d is newer than this camcloud (%d)", v,
			  migrations_latest());
		return -1;
	}
	for (; v < target; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (db_begin(db) != 0)
			return -1;
		if (run_steps(db, v + 1) != 0 || exec_plain(db, pragma) != 0) {
			db_rollback(db);
			log_error("db: migration %d failed", v + 1);
			return -1;
		}
		if (db_commit(db) != 0)
			return -1;
		log_info("db: migrated schema to version %d", v + 1);
	}
	return v;
}

int db_open(const char *path, sqlite3 **out)
{
	return db_open_at(path, db_latest_version(), out);
}

int db_open_at(const char *path, int version, sqlite3 **out)
{
	sqlite3 *db = NULL;
	*out = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		log_error("db: open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *st = db_stmt(db, "PRAGMA journal_mode = WAL", "");
	int wal = 0;
	if (st && db_step(st) == 1)
		wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	/* synchronous NORMAL in WAL mode: a commit is durable once the WAL is checkpointed
	 * (a power cut can lose the last commits, never corrupt the file; docs/operations.md).
	 * The page cache holds a fleet's devices and tasks (the default 2 MiB re-read them
	 * from the file on every query at 10,000 devices). */
	if (!wal || exec_plain(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
			       " PRAGMA cache_size = -" DB_CACHE_KIB_TEXT) != 0 ||
	    db_migrate_to(db, version) < 0) {
		log_error("db: cannot prepare %s%s", path, wal ? "" : " (WAL mode refused)");
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void db_close(sqlite3 *db)
{
	if (db && sqlite3_close(db) != SQLITE_OK)
		log_warn("db: close: %s", sqlite3_errmsg(db));
}

/* Binds the arguments described by types to parameters 1, 2, ... of st. */
static int bind_v(sqlite3_stmt *st, const char *types, va_list ap)
{
	int rc = SQLITE_OK;
	for (int i = 1; types[i - 1] && rc == SQLITE_OK; i++) {
		switch (types[i - 1]) {
		case 's':
		case 'j': {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'b':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int) ? 1 : 0);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK)
		log_error("db: bind: %s (%.60s)", sqlite3_errstr(rc), sqlite3_sql(st));
	return rc;
}

static sqlite3_stmt *stmt_v(sqlite3 *db, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("db: prepare: %s (%.60s)", sqlite3_errmsg(db), sql);
		return NULL;
	}
	if (bind_v(st, types, ap) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int db_rebind_v(sqlite3_stmt *st, const char *types, va_list ap)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return bind_v(st, types, ap);
}

int db_rebind(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_rebind_v(st, types, ap);
	va_end(ap);
	return rc == SQLITE_OK ? 0 : DB_ERROR;
}

int db_rerun(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = db_rebind_v(st, types, ap);
	va_end(ap);
	if (rc != SQLITE_OK)
		return DB_ERROR;
	while ((rc = db_step(st)) == 1)
		;
	return rc < 0 ? rc : sqlite3_changes(sqlite3_db_handle(st));
}

sqlite3_stmt *db_stmt(sqlite3 *db, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = stmt_v(db, sql, types, ap);
	va_end(ap);
	return st;
}

int db_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONSTRAINT;
	log_error("db: step: %s (%.60s)", sqlite3_errmsg(sqlite3_db_handle(st)), sqlite3_sql(st));
	return DB_ERROR;
}

int db_exec(sqlite3 *db, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = stmt_v(db, sql, types, ap);
	va_end(ap);
	if (!st)
		return DB_ERROR;
	int rc;
	while ((rc = db_step(st)) == 1)
		;
	sqlite3_finalize(st);
	return rc < 0 ? rc : sqlite3_changes(db);
}

int db_ids_collect(sqlite3 *db, struct db_ids *l, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = stmt_v(db, sql, types, ap);
	va_end(ap);
	int added = st ? sqlite_stmt_ids(st, l) : DB_ERROR;
	sqlite3_finalize(st);
	return added;
}

int db_col_str(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	return store_copy_text((const char *)sqlite3_column_text(st, col), out, outsz);
}

int64_t db_col_int(sqlite3_stmt *st, int col)
{
	return (int64_t)sqlite3_column_int64(st, col);
}

int db_begin(sqlite3 *db)
{
	return exec_plain(db, "BEGIN IMMEDIATE");
}

int db_commit(sqlite3 *db)
{
	if (exec_plain(db, "COMMIT") == 0)
		return 0;
	db_rollback(db);
	return -1;
}

void db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)exec_plain(db, "ROLLBACK");
}

int db_history(sqlite3 *db, int64_t now, const char *action, const char *detail)
{
	return db_exec(db, "INSERT INTO history (at, action, detail) VALUES (?, ?, ?)", "iss",
		       now, action, detail) == 1 ? 0 : -1;
}

int db_historyf(sqlite3 *db, int64_t now, const char *action, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return db_history(db, now, action, detail);
}
