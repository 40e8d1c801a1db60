/* pg_store: store operations over one libpq connection. Each statement of the
 * catalogue is prepared on the server the first time it is used (its parameter types
 * taken from that first call's types) and kept for the life of the connection.
 * Results are read whole, so a query may stay open while others run. A write inside
 * a transaction runs under a savepoint: PostgreSQL aborts the whole transaction on
 * an error, while the domain expects (as SQLite gives it) that only the refused
 * statement is undone, say a UNIQUE conflict it then answers.
 * Signals between instances are PostgreSQL's NOTIFY on the one channel PG_CHANNEL,
 * sent over the main connection (so they leave with its transaction's commit) and
 * heard on a second connection that does nothing but LISTEN, so every signal makes
 * its socket readable for the event loop (the main connection's queries would
 * swallow them).
 * A lost main connection (PostgreSQL restarted, the backend killed, the network cut)
 * is opened again before the next transaction or statement outside one, at most once
 * every PG_RECONNECT_S seconds: the request that met the loss fails, the ones after
 * it find the store again. A transaction it broke is not replayed: its statements
 * fail until the caller's commit or rollback ends it. */
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "../../../lib/log.h"
#include "../../../lib/monotonic.h"
#include "../migrations.h"
#include "../statements.h"

#define PG_PARAMS_MAX 32
#define PG_SQL_MAX 4096
/* Type oids of pg_type: text, int8, int4, json. */
#define OID_JSON 114
#define OID_TEXT 25
#define OID_INT8 20
#define OID_INT4 23
#define PG_CHANNEL "camcloud"
#define PG_RECONNECT_S 1

struct pg_rows {
	struct store_rows base;
	PGresult *res;
	int row; /* the current row; -1 before the first */
	int n;
};

struct pg_store {
	struct store store;
	PGconn *conn;
	PGconn *listener;  /* LISTEN PG_CHANNEL only; NULL until pg_listen */
	char *conninfo;    /* kept to open the listener, and to reconnect */
	int in_tx;         /* between begin and commit or rollback, as the caller sees it */
	double retry_at;   /* no reconnect before this (monotonic_now) */
	unsigned char prepared[ST_COUNT]; /* on this connection: reset when it is replaced */
	unsigned char writes[ST_COUNT]; /* is_write of the statement, once prepared */
};

static const struct store_ops pg_ops;

/* Rewrites SQLite placeholders (? and ?N) as $N, numbering ? as SQLite does: one past
 * the highest number seen so far. Quoted text is copied as it is. */
static int placeholders(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	int highest = 0, quoted = 0;
	for (const char *p = in; *p; p++) {
		char piece[16];
		const char *add = piece;
		if (*p == '\'')
			quoted = !quoted;
		if (*p == '?' && !quoted) {
			int n;
			if (p[1] >= '0' && p[1] <= '9') {
				n = (int)strtol(p + 1, (char **)&p, 10);
				p--;
			} else {
				n = highest + 1;
			}
			if (n > highest)
				highest = n;
			snprintf(piece, sizeof(piece), "$%d", n);
		} else {
			piece[0] = *p;
			piece[1] = '\0';
		}
		size_t len = strlen(add);
		if (o + len >= outsz)
			return -1;
		memcpy(out + o, add, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

/* A statement that writes, a common table expression's too (no statement of the
 * catalogue spells these words inside a string). */
static int is_write(const char *sql)
{
	return strstr(sql, "INSERT ") || strstr(sql, "UPDATE ") || strstr(sql, "DELETE ");
}

static int simple(struct pg_store *s, const char *sql)
{
	PGresult *res = PQexec(s->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		log_error("store: %s: %s", sql, PQerrorMessage(s->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

static int prepare(struct pg_store *s, enum store_stmt id, const char *types)
{
	char sql[PG_SQL_MAX], name[16];
	Oid oids[PG_PARAMS_MAX];
	int n = (int)strlen(types);
	if (n > PG_PARAMS_MAX || placeholders(store_sql(id), sql, sizeof(sql)) != 0) {
		log_error("store: %s does not fit", store_stmt_name(id));
		return -1;
	}
	for (int i = 0; i < n; i++)
		oids[i] = types[i] == 'i'   ? OID_INT8
			  : types[i] == 'b' ? OID_INT4
			  : types[i] == 'j' ? OID_JSON
					    : OID_TEXT;
	snprintf(name, sizeof(name), "s%d", (int)id);
	PGresult *res = PQprepare(s->conn, name, sql, n, oids);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("store: prepare %s: %s", store_stmt_name(id), PQerrorMessage(s->conn));
	PQclear(res);
	if (ok) {
		s->prepared[id] = 1;
		s->writes[id] = is_write(store_sql(id)) ? 1 : 0;
	}
	return ok ? 0 : -1;
}

/* What every session of camcloud runs first. JIT compiling pays for long analytic
 * queries; every statement here is short, and compiling one (the job candidates at
 * 10,000 devices) took longer than running it. */
static int session_settings(struct pg_store *s)
{
	return simple(s, "SET client_min_messages = warning") == 0 &&
			       simple(s, "SET jit = off") == 0
		       ? 0
		       : -1;
}

/* 0 when the main connection is usable: as it was, or opened again now that it was
 * lost (a new session: its statements are prepared again as they are used). */
static int connected(struct pg_store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	double now = monotonic_now();
	if (now < s->retry_at)
		return -1;
	s->retry_at = now + PG_RECONNECT_S;
	PGconn *fresh = PQconnectdb(s->conninfo);
	if (PQstatus(fresh) != CONNECTION_OK) {
		log_error("store: the connection to PostgreSQL is lost and cannot be opened"
			  " again (next try in %d s): %s", PG_RECONNECT_S, PQerrorMessage(fresh));
		PQfinish(fresh);
		return -1;
	}
	PQfinish(s->conn);
	s->conn = fresh;
	memset(s->prepared, 0, sizeof(s->prepared));
	if (session_settings(s) != 0)
		return -1;
	log_warn("store: the connection to PostgreSQL was lost; opened it again");
	return 0;
}

/* The next result of a pipeline's query and the NULL that ends it: the result (to clear),
 * NULL when the connection broke. */
static PGresult *pipeline_result(PGconn *conn)
{
	PGresult *res = PQgetResult(conn);
	if (res && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PGresult *end = PQgetResult(conn);
		if (end) { /* a query gives one result here: anything more is a broken stream */
			PQclear(end);
			PQclear(res);
			return NULL;
		}
	}
	return res;
}

/* A write inside a transaction, under a savepoint of its own (a constraint it breaks
 * must not abort the transaction, as it does not on SQLite): SAVEPOINT, the statement
 * and RELEASE go out in one round trip (libpq's pipeline mode), where one each cost
 * three. When the statement fails, the RELEASE is skipped (the pipeline aborts) and
 * the caller rolls back to the savepoint. The statement's result, or NULL (broken
 * connection or pipeline). */
static PGresult *exec_guarded(struct pg_store *s, const char *name, int n,
			      const char *const *values)
{
	PGconn *conn = s->conn;
	if (PQenterPipelineMode(conn) != 1)
		return NULL;
	PGresult *res = NULL, *set = NULL, *release = NULL, *sync = NULL;
	if (PQsendQueryParams(conn, "SAVEPOINT one_statement", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	    PQsendQueryPrepared(conn, name, n, values, NULL, NULL, 0) == 1 &&
	    PQsendQueryParams(conn, "RELEASE SAVEPOINT one_statement", 0, NULL, NULL, NULL, NULL,
			      0) == 1 &&
	    PQpipelineSync(conn) == 1) {
		set = pipeline_result(conn);
		res = set ? pipeline_result(conn) : NULL;
		release = res ? pipeline_result(conn) : NULL;
		sync = release ? PQgetResult(conn) : NULL;
	}
	int ok = set && PQresultStatus(set) == PGRES_COMMAND_OK && res && release &&
		 sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	if (ok && PQresultStatus(release) != PGRES_COMMAND_OK &&
	    PQresultStatus(release) != PGRES_PIPELINE_ABORTED)
		ok = 0;
	PQclear(set);
	PQclear(release);
	PQclear(sync);
	if (PQexitPipelineMode(conn) != 1 || !ok) {
		log_error("store: a statement under its savepoint: %s", PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Runs statement id with the arguments; the result, or NULL after logging. *constraint
 * is set when a constraint refused it. */
static PGresult *execute(struct pg_store *s, enum store_stmt id, const char *types, va_list ap,
			 int *constraint)
{
	char ints[PG_PARAMS_MAX][24], name[16];
	const char *values[PG_PARAMS_MAX];
	int n = (int)strlen(types);
	*constraint = 0;
	if ((!s->in_tx && connected(s) != 0) || id >= ST_COUNT || n > PG_PARAMS_MAX ||
	    (!s->prepared[id] && prepare(s, id, types) != 0))
		return NULL;
	for (int i = 0; i < n; i++) {
		switch (types[i]) {
		case 's':
		case 'j':
			values[i] = va_arg(ap, const char *);
			break;
		case 'i':
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, va_arg(ap, int64_t));
			values[i] = ints[i];
			break;
		case 'b':
			snprintf(ints[i], sizeof(ints[i]), "%d", va_arg(ap, int) ? 1 : 0);
			values[i] = ints[i];
			break;
		default:
			log_error("store: bad argument type '%c' for %s", types[i], store_stmt_name(id));
			return NULL;
		}
	}
	int guarded = s->writes[id] && PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
	snprintf(name, sizeof(name), "s%d", (int)id);
	PGresult *res = guarded ? exec_guarded(s, name, n, values)
				: PQexecPrepared(s->conn, name, n, values, NULL, NULL, 0);
	if (!res)
		return NULL;
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	*constraint = state && strncmp(state, "23", 2) == 0;
	if (!*constraint)
		log_error("store: %s: %s", store_stmt_name(id), PQerrorMessage(s->conn));
	PQclear(res);
	if (guarded)
		(void)simple(s, "ROLLBACK TO SAVEPOINT one_statement");
	return NULL;
}

static int pg_run(void *impl, enum store_stmt id, const char *types, va_list ap)
{
	int constraint;
	PGresult *res = execute(impl, id, types, ap, &constraint);
	if (!res)
		return constraint ? DB_CONSTRAINT : DB_ERROR;
	int changed = atoi(PQcmdTuples(res));
	PQclear(res);
	return changed;
}

static struct store_rows *pg_query(void *impl, enum store_stmt id, const char *types,
				   va_list ap)
{
	int constraint;
	struct pg_rows *r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("store: out of memory for a cursor");
		return NULL;
	}
	if (!(r->res = execute(impl, id, types, ap, &constraint))) {
		free(r);
		return NULL;
	}
	r->base.ops = &pg_ops;
	r->row = -1;
	r->n = PQntuples(r->res);
	return &r->base;
}

static int pg_rows_next(struct store_rows *base)
{
	struct pg_rows *r = (struct pg_rows *)base;
	if (r->row + 1 >= r->n)
		return 0;
	r->row++;
	return 1;
}

static const char *pg_rows_text(struct store_rows *base, int col)
{
	struct pg_rows *r = (struct pg_rows *)base;
	if (r->row < 0 || col >= PQnfields(r->res) || PQgetisnull(r->res, r->row, col))
		return NULL;
	return PQgetvalue(r->res, r->row, col);
}

/* Integers as SQLite reads them: a boolean is 1 or 0, NULL or text that is no number 0. */
static int64_t pg_rows_integer(struct store_rows *base, int col)
{
	const char *v = pg_rows_text(base, col);
	if (!v)
		return 0;
	if (v[0] == 't' && !v[1])
		return 1;
	return strtoll(v, NULL, 10);
}

static void pg_rows_done(struct store_rows *base)
{
	struct pg_rows *r = (struct pg_rows *)base;
	PQclear(r->res);
	free(r);
}

/* A BEGIN that met a connection lost since the last statement is sent again on the
 * new one: it had changed nothing. */
static int pg_begin(void *impl)
{
	struct pg_store *s = impl;
	if (connected(s) != 0)
		return -1;
	int rc = simple(s, "BEGIN");
	if (rc != 0 && PQstatus(s->conn) != CONNECTION_OK && connected(s) == 0)
		rc = simple(s, "BEGIN");
	s->in_tx = rc == 0;
	return rc;
}

static int pg_commit(void *impl)
{
	struct pg_store *s = impl;
	s->in_tx = 0;
	if (simple(s, "COMMIT") == 0)
		return 0;
	if (PQstatus(s->conn) == CONNECTION_OK)
		(void)simple(s, "ROLLBACK");
	return -1;
}

static void pg_rollback(void *impl)
{
	struct pg_store *s = impl;
	s->in_tx = 0;
	if (PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		(void)simple(s, "ROLLBACK");
}

static int pg_in_transaction(void *impl)
{
	return ((struct pg_store *)impl)->in_tx;
}

static int pg_analyze_tasks(void *impl)
{
	return simple(impl, "ANALYZE tasks");
}

static int pg_savepoint(void *impl, enum store_savepoint op)
{
	return simple(impl, store_savepoint_sql(op));
}

static void pg_close(void *impl)
{
	struct pg_store *s = impl;
	PQfinish(s->conn);
	if (s->listener)
		PQfinish(s->listener);
	free(s->conninfo);
	free(s);
}

static int pg_notify(void *impl, const char *payload)
{
	struct pg_store *s = impl;
	const char *values[1] = {payload};
	PGresult *res = PQexecParams(s->conn, "SELECT pg_notify('" PG_CHANNEL "', $1)", 1, NULL,
				     values, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		log_error("store: notify: %s", PQerrorMessage(s->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

static int pg_listen(void *impl)
{
	struct pg_store *s = impl;
	if (s->listener)
		PQfinish(s->listener);
	s->listener = PQconnectdb(s->conninfo);
	PGresult *res = PQstatus(s->listener) == CONNECTION_OK
				? PQexec(s->listener, "LISTEN " PG_CHANNEL)
				: NULL;
	int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || PQsetnonblocking(s->listener, 1) != 0) {
		log_error("store: cannot listen for other instances: %s",
			  PQerrorMessage(s->listener));
		PQfinish(s->listener);
		s->listener = NULL;
		return -1;
	}
	return PQsocket(s->listener);
}

/* Signals of this instance's own main connection were handled where they were sent. */
static int pg_signals(void *impl, store_signal_fn fn, void *arg)
{
	struct pg_store *s = impl;
	if (!s->listener || PQconsumeInput(s->listener) == 0 ||
	    PQstatus(s->listener) != CONNECTION_OK) {
		log_error("store: the listening connection is lost: %s",
			  s->listener ? PQerrorMessage(s->listener) : "not open");
		return -1;
	}
	int self = PQbackendPID(s->conn);
	PGnotify *n;
	while ((n = PQnotifies(s->listener))) {
		if (n->be_pid != self)
			fn(arg, n->extra);
		PQfreemem(n);
	}
	return 0;
}

static const struct store_ops pg_ops = {
	.run = pg_run,
	.query = pg_query,
	.next = pg_rows_next,
	.text = pg_rows_text,
	.integer = pg_rows_integer,
	.done = pg_rows_done,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.savepoint = pg_savepoint,
	.analyze_tasks = pg_analyze_tasks,
	.close = pg_close,
	.notify = pg_notify,
	.listen = pg_listen,
	.signals = pg_signals,
};

static int schema_version(struct pg_store *s)
{
	if (simple(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") != 0)
		return -1;
	PGresult *res = PQexec(s->conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	int v = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
			? atoi(PQgetvalue(res, 0, 0))
			: -1;
	PQclear(res);
	return v;
}

/* Brings the schema to the latest version, one transaction per version; a lock keeps
 * two instances starting together from migrating at once. */
static int migrate(struct pg_store *s)
{
	if (simple(s, "SELECT pg_advisory_lock(7342001)") != 0)
		return -1;
	int v = schema_version(s), rc = v < 0 ? -1 : 0;
	if (v > migrations_latest()) {
		log_error("store: schema version %d is newer than this camcloud (%d)", v,
			  migrations_latest());
		rc = -1;
	}
	for (; rc == 0 && v < migrations_latest(); v++) {
		char bump[80];
		size_t i = 0;
		const char *sql;
		rc = simple(s, "BEGIN");
		while (rc == 0 && (sql = migration_sql(v + 1, DIALECT_POSTGRES, &i)))
			rc = sql[0] ? simple(s, sql) : 0;
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version VALUES (%d)", v + 1);
		if (rc == 0 && (rc = simple(s, bump)) == 0)
			rc = simple(s, "COMMIT");
		if (rc != 0) {
			(void)simple(s, "ROLLBACK");
			log_error("store: migration %d failed", v + 1);
		} else {
			log_info("store: migrated schema to version %d", v + 1);
		}
	}
	(void)simple(s, "SELECT pg_advisory_unlock(7342001)");
	return rc;
}

int pg_store_open(const char *conninfo, struct store **out)
{
	*out = NULL;
	struct pg_store *s = calloc(1, sizeof(*s));
	if (!s) {
		log_error("store: out of memory");
		return -1;
	}
	s->conninfo = strdup(conninfo);
	s->conn = PQconnectdb(conninfo);
	if (!s->conninfo || PQstatus(s->conn) != CONNECTION_OK) {
		log_error("store: cannot connect to PostgreSQL: %s", PQerrorMessage(s->conn));
		pg_close(s);
		return -1;
	}
	if (session_settings(s) != 0 || migrate(s) != 0) {
		pg_close(s);
		return -1;
	}
	s->store.ops = &pg_ops;
	s->store.impl = s;
	*out = &s->store;
	return 0;
}
