/* db: SQLite open/migrate and small statement helpers for the cloud.
 * Migrations are an ordered array; entry i brings the schema to version i+1 and
 * runs in one transaction together with the PRAGMA user_version bump. */
#include "db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crypto.h"
#include "../lib/log.h"

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE orgs ("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE folders ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
	" parent_id TEXT REFERENCES folders(id), name TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE enrollment_tokens ("
	" id TEXT PRIMARY KEY, folder_id TEXT NOT NULL REFERENCES folders(id),"
	" secret_sha256 TEXT NOT NULL UNIQUE, expires_at BIGINT NOT NULL,"
	" max_uses BIGINT NOT NULL, uses BIGINT NOT NULL DEFAULT 0,"
	" revoked INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	"CREATE TABLE devices ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
	" folder_id TEXT NOT NULL REFERENCES folders(id), serial TEXT NOT NULL,"
	" model TEXT NOT NULL, hardware_id TEXT NOT NULL, arch TEXT NOT NULL,"
	" public_key TEXT NOT NULL, key_fp TEXT NOT NULL, os_version TEXT NOT NULL,"
	" agent_version TEXT NOT NULL, last_seen BIGINT NOT NULL DEFAULT 0, last_report TEXT,"
	" removed INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	/* A serial is unique among live devices; a removed one may enroll again. */
	"CREATE UNIQUE INDEX devices_serial_live ON devices(serial) WHERE removed = 0;"
	"CREATE TABLE access_tokens ("
	" token_sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" expires_at BIGINT NOT NULL);"
	"CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);"
	"CREATE TABLE auth_nonces (nonce TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);"
	"CREATE INDEX auth_nonces_seen ON auth_nonces(seen_at);"
	"CREATE TABLE images ("
	" id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL,"
	" size BIGINT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, UNIQUE (model, version));"
	"CREATE TABLE tasks ("
	" id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" image_id TEXT NOT NULL REFERENCES images(id), state TEXT NOT NULL,"
	" progress INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
	" allow_downgrade INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, seq BIGINT NOT NULL);"
	"CREATE INDEX tasks_device ON tasks(device_id, state);"
	"CREATE TABLE licenses ("
	" id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" app TEXT NOT NULL, license_exp BIGINT NOT NULL DEFAULT 0, state TEXT NOT NULL,"
	" reason TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"
	"CREATE INDEX licenses_device ON licenses(device_id);"
	"CREATE TABLE history ("
	" seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, action TEXT NOT NULL,"
	" detail TEXT NOT NULL);",
	/* 2: one "check licenses" hint per issued license on the task long poll */
	"ALTER TABLE licenses ADD COLUMN check_sent INTEGER NOT NULL DEFAULT 0;",
	/* 3: organization model (moves, folder deletion) and upgrade jobs with windows */
	"ALTER TABLE enrollment_tokens ADD COLUMN allow_move INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE folders ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX folders_parent ON folders(parent_id);"
	/* the token that enrolled (or last moved) the device: a retry with it is idempotent */
	"ALTER TABLE devices ADD COLUMN enroll_token_id TEXT;"
	"CREATE INDEX devices_folder ON devices(folder_id) WHERE removed = 0;"
	"ALTER TABLE images ADD COLUMN recommended INTEGER NOT NULL DEFAULT 0;"
	"CREATE UNIQUE INDEX images_recommended ON images(model) WHERE recommended = 1;"
	"CREATE TABLE jobs ("
	" id TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id),"
	" kind TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',"
	" allow_downgrade INTEGER NOT NULL DEFAULT 0,"
	" window_kind TEXT NOT NULL DEFAULT '', window_start BIGINT NOT NULL DEFAULT 0,"
	" window_end BIGINT NOT NULL DEFAULT 0, window_from TEXT NOT NULL DEFAULT '',"
	" window_to TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL, seq BIGINT NOT NULL);"
	"CREATE TABLE job_skips ("
	" job_id TEXT NOT NULL REFERENCES jobs(id), device_id TEXT NOT NULL,"
	" serial TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX job_skips_job ON job_skips(job_id);"
	"ALTER TABLE tasks ADD COLUMN job_id TEXT REFERENCES jobs(id);"
	"ALTER TABLE tasks ADD COLUMN window_kind TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN window_start BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN window_end BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN window_from TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN window_to TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX tasks_job ON tasks(job_id);"
	"CREATE INDEX tasks_open_expiry ON tasks(expires_at)"
	" WHERE state NOT IN ('succeeded', 'failed', 'cancelled');"
	/* every task belongs to a job: the earlier ones become one-device jobs */
	"INSERT INTO jobs (id, image_id, kind, target, allow_downgrade, created_at, expires_at, seq)"
	" SELECT id, image_id, 'device', device_id, allow_downgrade, created_at, expires_at, seq"
	" FROM tasks;"
	"UPDATE tasks SET job_id = id;",
	/* 1: a device that had started a task the admin cancelled is still to be told */
	"ALTER TABLE tasks ADD COLUMN cancel_notice INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int db_latest_version(void)
{
	return N_MIGRATIONS;
}

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
	return db_migrate_to(db, N_MIGRATIONS);
}

int db_migrate_to(sqlite3 *db, int target)
{
	int v = db_schema_version(db);
	if (v < 0 || target > N_MIGRATIONS)
		return -1;
	if (v > N_MIGRATIONS) {
		log_error("db: schema version %d is newer than this camcloud (%d)", v,
			  N_MIGRATIONS);
		return -1;
	}
	for (; v < target; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (db_begin(db) != 0)
			return -1;
		if (exec_plain(db, migrations[v]) != 0 || exec_plain(db, pragma) != 0) {
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
	if (!wal || exec_plain(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL") != 0 ||
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
		case 's': {
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

static int rebind_v(sqlite3_stmt *st, const char *types, va_list ap)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return bind_v(st, types, ap);
}

int db_rebind(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = rebind_v(st, types, ap);
	va_end(ap);
	return rc == SQLITE_OK ? 0 : DB_ERROR;
}

int db_rerun(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = rebind_v(st, types, ap);
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

void db_ids_free(struct db_ids *l)
{
	free(l->id);
	memset(l, 0, sizeof(*l));
}

int db_ids_add(struct db_ids *l, const char *id)
{
	if (strlen(id) >= DB_ID_LEN)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->id, cap * sizeof(*l->id));
		if (!p) {
			log_error("db: out of memory for %zu ids", cap);
			return -1;
		}
		l->id = p;
		l->cap = cap;
	}
	strcpy(l->id[l->n++], id);
	return 0;
}

int db_ids_collect(sqlite3 *db, struct db_ids *l, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = stmt_v(db, sql, types, ap);
	va_end(ap);
	if (!st)
		return DB_ERROR;
	int rc, added = 0;
	char id[DB_ID_LEN];
	while ((rc = db_step(st)) == 1) {
		if (db_col_str(st, 0, id, sizeof(id)) != 0 || db_ids_add(l, id) != 0) {
			rc = DB_ERROR;
			break;
		}
		added++;
	}
	sqlite3_finalize(st);
	return rc < 0 ? DB_ERROR : added;
}

int db_col_str(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return -1;
	}
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
	return 0;
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

int db_new_id(char out[DB_ID_LEN])
{
	if (crypto_random_hex(out, 16) != 0) {
		log_error("db: no randomness for a new id");
		return -1;
	}
	return 0;
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
