/* store: the calls the cloud makes, forwarded to the backend's operations, and the
 * few helpers every backend shares (id lists, fresh ids). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/log.h"
#include "postgres/pg_store.h"
#include "sqlite/sqlite_store.h"

int store_open(const char *spec, struct store **out)
{
	*out = NULL;
	if (strncmp(spec, "postgres:", 9) == 0)
		return pg_store_open(spec + 9, out);
	if (strncmp(spec, "sqlite:", 7) == 0)
		spec += 7;
	return sqlite_store_open(spec, out);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s->impl);
}

int store_run(struct store *s, enum store_stmt id, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = s->ops->run(s->impl, id, types, ap);
	va_end(ap);
	return rc;
}

struct store_rows *store_query(struct store *s, enum store_stmt id, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct store_rows *r = s->ops->query(s->impl, id, types, ap);
	va_end(ap);
	return r;
}

int store_next(struct store_rows *r)
{
	return r->ops->next(r);
}

const char *store_text(struct store_rows *r, int col)
{
	return r->ops->text(r, col);
}

int store_is_null(struct store_rows *r, int col)
{
	return r->ops->text(r, col) == NULL;
}

int64_t store_int(struct store_rows *r, int col)
{
	return r->ops->integer(r, col);
}

int store_str(struct store_rows *r, int col, char *out, size_t outsz)
{
	return store_copy_text(r->ops->text(r, col), out, outsz);
}

int store_copy_text(const char *s, char *out, size_t outsz)
{
	size_t n = s ? strlen(s) : 0;
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

void store_done(struct store_rows *r)
{
	if (r)
		r->ops->done(r);
}

int store_begin(struct store *s)
{
	return s->ops->begin(s->impl);
}

int store_commit(struct store *s)
{
	return s->ops->commit(s->impl);
}

void store_rollback(struct store *s)
{
	s->ops->rollback(s->impl);
}

int store_in_transaction(struct store *s)
{
	return s->ops->in_transaction(s->impl);
}

int store_savepoint(struct store *s, enum store_savepoint op)
{
	return s->ops->savepoint(s->impl, op);
}

int store_tasks_grew(struct store *s)
{
	return s->ops->analyze_tasks ? s->ops->analyze_tasks(s->impl) : 0;
}

const char *store_savepoint_sql(enum store_savepoint op)
{
	switch (op) {
	case STORE_SAVEPOINT_SET:
		return "SAVEPOINT one_item";
	case STORE_SAVEPOINT_RELEASE:
		return "RELEASE SAVEPOINT one_item";
	case STORE_SAVEPOINT_UNDO:
		break;
	}
	return "ROLLBACK TO SAVEPOINT one_item; RELEASE SAVEPOINT one_item";
}

int store_notify(struct store *s, const char *payload)
{
	return s->ops->notify ? s->ops->notify(s->impl, payload) : 0;
}

int store_listen(struct store *s)
{
	return s->ops->listen ? s->ops->listen(s->impl) : STORE_NO_SIGNALS;
}

int store_signals(struct store *s, store_signal_fn fn, void *arg)
{
	return s->ops->signals ? s->ops->signals(s->impl, fn, arg) : 0;
}

int store_notify_wake(struct store *s, char (*ids)[DB_ID_LEN], size_t n)
{
	char payload[sizeof(STORE_WAKE_PREFIX) + STORE_WAKE_IDS_MAX * (DB_ID_LEN - 1)];
	_Static_assert(sizeof(payload) <= 8000, "PostgreSQL's NOTIFY takes under 8000 bytes");
	int rc = 0;
	for (size_t i = 0; i < n;) {
		size_t len = strlen(STORE_WAKE_PREFIX);
		memcpy(payload, STORE_WAKE_PREFIX, len);
		for (size_t k = 0; k < STORE_WAKE_IDS_MAX && i < n; k++, i++) {
			if (strlen(ids[i]) != DB_ID_LEN - 1)
				return -1;
			memcpy(payload + len, ids[i], DB_ID_LEN - 1);
			len += DB_ID_LEN - 1;
		}
		payload[len] = '\0';
		if (store_notify(s, payload) != 0)
			rc = -1;
	}
	return rc;
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
			log_error("store: out of memory for %zu ids", cap);
			return -1;
		}
		l->id = p;
		l->cap = cap;
	}
	strcpy(l->id[l->n++], id);
	return 0;
}

int store_collect_ids(struct store *s, struct db_ids *l, enum store_stmt id,
		      const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	struct store_rows *r = s->ops->query(s->impl, id, types, ap);
	va_end(ap);
	int added = r ? store_rows_ids(r, l) : DB_ERROR;
	store_done(r);
	return added;
}

int store_rows_ids(struct store_rows *r, struct db_ids *l)
{
	int rc, added = 0;
	char one[DB_ID_LEN];
	while ((rc = store_next(r)) == 1) {
		if (store_str(r, 0, one, sizeof(one)) != 0 || db_ids_add(l, one) != 0)
			return DB_ERROR;
		added++;
	}
	return rc < 0 ? DB_ERROR : added;
}

int db_new_id(char out[DB_ID_LEN])
{
	if (crypto_random_hex(out, 16) != 0) {
		log_error("store: no randomness for a new id");
		return -1;
	}
	return 0;
}
