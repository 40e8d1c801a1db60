/* store: the one door to camcloud's persistent state. The cloud names what it wants
 * done (a statement of statements.def: "the tasks of a job", "mark a license's check
 * as sent") and binds arguments; a backend (sqlite/, postgres/) owns the SQL dialect,
 * prepares each statement once and keeps it, and runs transactions. No SQL text lives
 * outside store/. */
#ifndef CLOUD_STORE_H
#define CLOUD_STORE_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#define DB_ID_LEN 33 /* 32 hex digits + NUL */

/* Return codes. */
#define DB_OK 0
#define DB_ERROR (-1)
#define DB_CONSTRAINT (-2) /* a UNIQUE / PRIMARY KEY / CHECK constraint refused the write */

/* Every statement the cloud runs, by what it does (statements.def). */
enum store_stmt {
#define STMT(name, sql) ST_##name,
#include "statements.def"
#undef STMT
	ST_COUNT
};

/* The rows of one query; the backend's cursor starts with this. */
struct store_rows {
	const struct store_ops *ops;
};

/* A signal from another instance sharing the store (store_notify's payload). */
typedef void (*store_signal_fn)(void *arg, const char *payload);

/* A savepoint in the current transaction, for work that shares one commit with
 * other work (a group commit): SET one, then RELEASE it (keep what was done since) or
 * UNDO (roll back to it and release it: only that work is undone). Not nested. */
enum store_savepoint { STORE_SAVEPOINT_SET, STORE_SAVEPOINT_RELEASE, STORE_SAVEPOINT_UNDO };

/* Arguments are described by types, one char each:
 *   's' const char * (NULL binds NULL)   'i' int64_t   'b' int (0/1)
 *   'j' const char *, JSON text (a json parameter where the dialect types it) */
struct store_ops {
	/* Runs a statement to completion: rows changed (>= 0), DB_ERROR or DB_CONSTRAINT. */
	int (*run)(void *impl, enum store_stmt id, const char *types, va_list ap);
	/* Starts a query; NULL (after logging) on failure. */
	struct store_rows *(*query)(void *impl, enum store_stmt id, const char *types,
				    va_list ap);
	/* 1 for a row, 0 when done, DB_ERROR / DB_CONSTRAINT. */
	int (*next)(struct store_rows *r);
	/* Column col of the current row: as text (NULL for SQL NULL), as an integer (NULL: 0). */
	const char *(*text)(struct store_rows *r, int col);
	int64_t (*integer)(struct store_rows *r, int col);
	void (*done)(struct store_rows *r);
	/* One writer transaction at a time; commit rolls back when it fails. */
	int (*begin)(void *impl);
	int (*commit)(void *impl);
	void (*rollback)(void *impl);
	int (*in_transaction)(void *impl);
	/* Runs the savepoint statement store_savepoint_sql(op) in the transaction: 0 or -1. */
	int (*savepoint)(void *impl, enum store_savepoint op);
	/* Refreshes the planner's statistics of the tasks table (store_tasks_grew); NULL
	 * where the planner keeps no such statistics to go stale (SQLite). */
	int (*analyze_tasks)(void *impl);
	void (*close)(void *impl);
	/* Signals between instances sharing the store; NULL on a store that only one
	 * instance opens (SQLite). notify sends payload with the current transaction
	 * (at once outside one); listen (re)opens the listening side and returns the
	 * descriptor to watch (-1 on failure); signals hands every signal that arrived
	 * from other instances to fn: 0, or -1 when the listening side was lost. */
	int (*notify)(void *impl, const char *payload);
	int (*listen)(void *impl);
	int (*signals)(void *impl, store_signal_fn fn, void *arg);
};

struct store {
	const struct store_ops *ops;
	void *impl;
};

/* Opens the store a spec names, "postgres:CONNINFO" (a libpq connection string) or
 * a SQLite file path ("sqlite:" prefix optional), and migrates it to the latest schema. */
int store_open(const char *spec, struct store **out);
void store_close(struct store *s);

/* After a bulk insert of tasks (a large job), outside a transaction: the planner's
 * statistics are refreshed where it keeps some. PostgreSQL's, left from before the job,
 * planned a slice's wake-up as a scan of every task (25 ms a slice of 200 at 10,000
 * tasks) until autovacuum came by. 0, or -1 (logged; plans are only slower). */
int store_tasks_grew(struct store *s);

int store_run(struct store *s, enum store_stmt id, const char *types, ...);
struct store_rows *store_query(struct store *s, enum store_stmt id, const char *types, ...);
int store_next(struct store_rows *r);
/* Copies column col as text into out (never truncating: -1 when too long). NULL → "". */
int store_str(struct store_rows *r, int col, char *out, size_t outsz);
const char *store_text(struct store_rows *r, int col);
/* The same for any text s (NULL → ""), for the backends. */
int store_copy_text(const char *s, char *out, size_t outsz);
int64_t store_int(struct store_rows *r, int col);
int store_is_null(struct store_rows *r, int col);
/* Ends a query (NULL is fine). */
void store_done(struct store_rows *r);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
int store_in_transaction(struct store *s);
int store_savepoint(struct store *s, enum store_savepoint op);
/* The statement of op, the same on both backends. */
const char *store_savepoint_sql(enum store_savepoint op);

/* Signals between instances (see store_ops.notify). store_listen is STORE_NO_SIGNALS
 * on a store only one instance opens; store_notify is then a no-op that succeeds. */
#define STORE_NO_SIGNALS (-2)
int store_notify(struct store *s, const char *payload);
int store_listen(struct store *s);
int store_signals(struct store *s, store_signal_fn fn, void *arg);
/* The wake-up signals: the held polls of the devices named are to be answered. The
 * cloud sends them after the change has committed (device_wake, job_wake), so other
 * instances read the change when they hear them. A payload is STORE_WAKE_PREFIX and
 * one to STORE_WAKE_IDS_MAX ids back to back, which keeps it under PostgreSQL's
 * 8000 bytes; n ids take as many signals as they need. 0, or -1 when one failed. */
#define STORE_WAKE_PREFIX "d:"
#define STORE_WAKE_IDS_MAX 240
int store_notify_wake(struct store *s, char (*ids)[DB_ID_LEN], size_t n);

/* A growing list of ids (say, the devices to wake after a commit). */
struct db_ids {
	char (*id)[DB_ID_LEN];
	size_t n, cap;
};
void db_ids_free(struct db_ids *l);
int db_ids_add(struct db_ids *l, const char *id);
/* Appends column 0 of every row of a query (each an id of at most 32 characters) to l.
 * Returns the number of rows added or DB_ERROR. */
int store_collect_ids(struct store *s, struct db_ids *l, enum store_stmt id,
		      const char *types, ...);

/* Appends column 0 of the remaining rows of r to l (r stays open): rows added or DB_ERROR. */
int store_rows_ids(struct store_rows *r, struct db_ids *l);

/* Fresh random id (32 lowercase hex digits). */
int db_new_id(char out[DB_ID_LEN]);

#endif
