/* sqlite_store: store operations over SQLite. Each statement of the catalogue is
 * prepared the first time it is used and kept for the life of the connection; a
 * query that is still open when the same statement is asked for again (a nested
 * use) gets a private copy, finalized when it is done. */
#include "sqlite_store.h"

#include <stdlib.h>

#include "../../../lib/log.h"
#include "../statements.h"
#include "db.h"

struct sqlite_rows {
	struct store_rows base;
	sqlite3_stmt *st;
	int busy;  /* a query over this cursor is open */
	int owned; /* a private copy: finalize and free on done */
};

struct sqlite_store {
	struct store store;
	sqlite3 *db;
	struct sqlite_rows kept[ST_COUNT];
};

static const struct store_ops sqlite_ops;

static sqlite3_stmt *prepare(sqlite3 *db, enum store_stmt id)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db, store_sql(id), -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
	    SQLITE_OK) {
		log_error("store: prepare %s: %s", store_stmt_name(id), sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

/* The kept cursor of id, or a private one while the kept one is busy; bound. */
static struct sqlite_rows *open_rows(struct sqlite_store *s, enum store_stmt id,
				     const char *types, va_list ap)
{
	if (id >= ST_COUNT)
		return NULL;
	struct sqlite_rows *r = &s->kept[id];
	if (r->busy) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			log_error("store: out of memory for a cursor");
			return NULL;
		}
		r->base.ops = &sqlite_ops;
		r->owned = 1;
	}
	if (!r->st && !(r->st = prepare(s->db, id))) {
		if (r->owned)
			free(r);
		return NULL;
	}
	if (db_rebind_v(r->st, types, ap) != 0) {
		sqlite3_reset(r->st);
		if (r->owned) {
			sqlite3_finalize(r->st);
			free(r);
		}
		return NULL;
	}
	r->busy = 1;
	return r;
}

static void sqlite_rows_done(struct store_rows *base)
{
	struct sqlite_rows *r = (struct sqlite_rows *)base;
	if (r->owned) {
		sqlite3_finalize(r->st);
		free(r);
		return;
	}
	sqlite3_reset(r->st);
	sqlite3_clear_bindings(r->st);
	r->busy = 0;
}

static struct store_rows *sqlite_query(void *impl, enum store_stmt id, const char *types,
				   va_list ap)
{
	struct sqlite_rows *r = open_rows(impl, id, types, ap);
	return r ? &r->base : NULL;
}

static int sqlite_run(void *impl, enum store_stmt id, const char *types, va_list ap)
{
	struct sqlite_store *s = impl;
	struct sqlite_rows *r = open_rows(s, id, types, ap);
	if (!r)
		return DB_ERROR;
	int rc;
	while ((rc = db_step(r->st)) == 1)
		;
	sqlite_rows_done(&r->base);
	return rc < 0 ? rc : sqlite3_changes(s->db);
}

static int sqlite_rows_next(struct store_rows *base)
{
	return db_step(((struct sqlite_rows *)base)->st);
}

static const char *sqlite_rows_text(struct store_rows *base, int col)
{
	return (const char *)sqlite3_column_text(((struct sqlite_rows *)base)->st, col);
}

static int64_t sqlite_rows_integer(struct store_rows *base, int col)
{
	return (int64_t)sqlite3_column_int64(((struct sqlite_rows *)base)->st, col);
}

static int sqlite_begin(void *impl)
{
	return db_begin(((struct sqlite_store *)impl)->db);
}

static int sqlite_commit(void *impl)
{
	return db_commit(((struct sqlite_store *)impl)->db);
}

static void sqlite_rollback(void *impl)
{
	db_rollback(((struct sqlite_store *)impl)->db);
}

static int sqlite_in_transaction(void *impl)
{
	return !sqlite3_get_autocommit(((struct sqlite_store *)impl)->db);
}

static int sqlite_savepoint(void *impl, enum store_savepoint op)
{
	sqlite3 *db = ((struct sqlite_store *)impl)->db;
	if (sqlite3_exec(db, store_savepoint_sql(op), NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	log_error("store: %s: %s", store_savepoint_sql(op), sqlite3_errmsg(db));
	return -1;
}

static void sqlite_close(void *impl)
{
	struct sqlite_store *s = impl;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->kept[i].st);
	db_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.run = sqlite_run,
	.query = sqlite_query,
	.next = sqlite_rows_next,
	.text = sqlite_rows_text,
	.integer = sqlite_rows_integer,
	.done = sqlite_rows_done,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.in_transaction = sqlite_in_transaction,
	.savepoint = sqlite_savepoint,
	.close = sqlite_close,
};

int sqlite_store_open(const char *path, struct store **out)
{
	*out = NULL;
	struct sqlite_store *s = calloc(1, sizeof(*s));
	if (!s) {
		log_error("store: out of memory");
		return -1;
	}
	if (db_open(path, &s->db) != 0) {
		free(s);
		return -1;
	}
	for (int i = 0; i < ST_COUNT; i++)
		s->kept[i].base.ops = &sqlite_ops;
	s->store.ops = &sqlite_ops;
	s->store.impl = s;
	*out = &s->store;
	return 0;
}

int sqlite_stmt_ids(sqlite3_stmt *st, struct db_ids *l)
{
	struct sqlite_rows r = {.base.ops = &sqlite_ops, .st = st, .busy = 1};
	return store_rows_ids(&r.base, l);
}

sqlite3 *sqlite_store_handle(struct store *s)
{
	return s && s->ops == &sqlite_ops ? ((struct sqlite_store *)s->impl)->db : NULL;
}
