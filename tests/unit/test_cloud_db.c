/* Unit tests for cloud/db: migrations on a fresh database, on an already-migrated
 * one (a no-op), from older schema versions (tasks become one-device jobs), refusal
 * of a newer schema; WAL mode; the statement helpers (binding, constraint reporting,
 * bounded reads) and id lists; the queries every task poll runs read the tasks table
 * through an index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cloud/store/sqlite/db.h"
#include "../../cloud/store/statements.h"
#include "../../lib/log.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_cloud_db.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/camcloud.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];
	static const char *const suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int table_has_column(sqlite3 *db, const char *table, const char *column)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", column, table);
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return ok;
}

static void test_fresh_database(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	assert_int_equal(db_open(f->path, &db), 0);
	assert_int_equal(db_schema_version(db), db_latest_version());
	assert_true(db_latest_version() >= 3);
	static const char *const tables[] = {"orgs", "folders", "enrollment_tokens", "devices",
					     "access_tokens", "auth_nonces", "images", "tasks",
					     "licenses", "history", "jobs", "job_skips"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		assert_true(table_has_column(db, tables[i], "*"));
	assert_true(table_has_column(db, "licenses", "check_sent"));

	sqlite3_stmt *st = db_stmt(db, "PRAGMA journal_mode", "");
	assert_non_null(st);
	assert_int_equal(db_step(st), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	db_close(db);
}

static void test_already_migrated_is_a_noop(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	assert_int_equal(db_open(f->path, &db), 0);
	assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
				 "ssi", "0123456789abcdef0123456789abcdef", "Acme", (int64_t)5), 1);
	db_close(db);

	assert_int_equal(db_open(f->path, &db), 0);
	assert_int_equal(db_schema_version(db), db_latest_version());
	assert_int_equal(db_migrate(db), db_latest_version());
	sqlite3_stmt *st = db_stmt(db, "SELECT name FROM orgs", "");
	assert_int_equal(db_step(st), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "Acme");
	assert_int_equal(db_step(st), 0);
	sqlite3_finalize(st);
	db_close(db);
}

static void test_migrates_from_older_version(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	/* a version-1 database */
	assert_int_equal(db_open_at(f->path, 1, &db), 0);
	assert_int_equal(db_schema_version(db), 1);
	assert_false(table_has_column(db, "licenses", "check_sent"));
	assert_false(table_has_column(db, "jobs", "*"));
	db_close(db);

	assert_int_equal(db_open(f->path, &db), 0);
	assert_int_equal(db_schema_version(db), db_latest_version());
	assert_true(table_has_column(db, "licenses", "check_sent"));
	assert_true(table_has_column(db, "tasks", "window_kind"));
	db_close(db);
}

/* Version 3 turns every earlier task into a one-device job of its own. */
static void test_migration_3_makes_jobs_of_tasks(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	assert_int_equal(db_open_at(f->path, 2, &db), 0);
	static const char *const rows[] = {
		"INSERT INTO orgs VALUES ('o', 'Acme', 0)",
		"INSERT INTO folders (id, org_id, name, created_at) VALUES ('f', 'o', 'L', 0)",
		("INSERT INTO devices (id, org_id, folder_id, serial, model, hardware_id, arch,"
		 " public_key, key_fp, os_version, agent_version, created_at)"
		 " VALUES ('d', 'o', 'f', 'S1', 'M', 'h', 'a', 'p', 'k', '1', '1', 0)"),
		"INSERT INTO images VALUES ('i', 'M', '2', 1, 'sha', '/x', 0)",
		("INSERT INTO tasks (id, device_id, image_id, state, allow_downgrade, created_at,"
		 " updated_at, expires_at, seq) VALUES ('t', 'd', 'i', 'downloading', 1, 5, 6, 7, 8)"),
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(db_exec(db, rows[i], ""), 1);
	db_close(db);

	assert_int_equal(db_open(f->path, &db), 0);
	sqlite3_stmt *st = db_stmt(db, "SELECT t.job_id, t.window_kind, j.kind, j.target,"
				   " j.image_id, j.allow_downgrade, j.created_at, j.expires_at"
				   " FROM tasks t JOIN jobs j ON j.id = t.job_id", "");
	assert_int_equal(db_step(st), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "t");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "device");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "d");
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "i");
	assert_int_equal(db_col_int(st, 5), 1);
	assert_int_equal(db_col_int(st, 6), 5);
	assert_int_equal(db_col_int(st, 7), 7);
	assert_int_equal(db_step(st), 0);
	sqlite3_finalize(st);
	/* one recommended image per model */
	assert_int_equal(db_exec(db, "INSERT INTO images (id, model, version, size, sha256, path,"
				 " created_at, recommended) VALUES ('i2', 'M', '3', 1, 's', '/y', 0, 1)",
				 ""), 1);
	assert_int_equal(db_exec(db, "UPDATE images SET recommended = 1 WHERE id = 'i'", ""),
			 DB_CONSTRAINT);
	db_close(db);
}

static void test_id_lists(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	struct db_ids l = {0};
	char id[DB_ID_LEN];
	assert_int_equal(db_open(f->path, &db), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "%032d", i);
		assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, 'o', ?)",
					 "si", id, (int64_t)i), 1);
	}
	assert_int_equal(db_ids_collect(db, &l, "SELECT id FROM orgs WHERE created_at >= ?"
					" ORDER BY created_at", "i", (int64_t)5), 35);
	assert_int_equal(l.n, 35);
	assert_string_equal(l.id[0], "00000000000000000000000000000005");
	assert_string_equal(l.id[34], "00000000000000000000000000000039");
	/* appends; a value longer than an id is refused */
	assert_int_equal(db_ids_collect(db, &l, "SELECT id FROM orgs WHERE created_at = 0", ""), 1);
	assert_int_equal(l.n, 36);
	assert_int_equal(db_ids_add(&l, "0123456789abcdef0123456789abcdef0"), -1);
	assert_int_equal(db_ids_collect(db, &l, "SELECT id || 'x' FROM orgs", ""), DB_ERROR);
	assert_int_equal(db_ids_collect(db, &l, "SELEKT", ""), DB_ERROR);
	db_ids_free(&l);
	assert_int_equal(l.n, 0);
	db_close(db);
}

/* Every task poll (and every answer of a fleet-wide wake-up) runs these for one device:
 * a plan that reads the whole tasks table makes a wake-up of N devices cost N^2. */
static void test_task_poll_queries_search_an_index(void **state)
{
	static const enum store_stmt per_poll[] = {ST_APP_TASKS_OVERDUE_COUNT,
						    ST_TASKS_EXPIRED_COUNT};
	struct fixture *f = *state;
	sqlite3 *db;
	char sql[4096];
	assert_int_equal(db_open(f->path, &db), 0);
	for (size_t i = 0; i < sizeof(per_poll) / sizeof(per_poll[0]); i++) {
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", store_sql(per_poll[i]));
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		int steps = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(st, 3);
			steps++;
			if (strstr(detail, "tasks") && strncmp(detail, "SEARCH", 6) != 0)
				fail_msg("%s reads the tasks table as: %s", store_stmt_name(per_poll[i]),
					 detail);
		}
		sqlite3_finalize(st);
		assert_true(steps > 0);
	}
	db_close(db);
}

/* A wake-up's answers read and change the rows of a whole slice of devices at once
 * (task_answers.c): each must find them through an index, never by reading a table
 * (only the slice's own list, ids, is scanned). */
static void test_slice_answer_queries_search_an_index(void **state)
{
	static const enum store_stmt per_slice[] = {
		ST_DEVICES_REMOVED_OF_LIST, ST_TASK_CANCEL_NOTICES_OF_LIST,
		ST_TASK_CANCEL_NOTICES_CLEAR_OF_LIST, ST_TASK_PENDING_OF_LIST,
		ST_LICENSES_HINT_DUE_OF_LIST};
	/* the list itself: its json_each, or the table ids made of it ("SCAN TABLE ids" is
	 * how SQLite before 3.36, the cameras' sysroot, says it) */
	static const char *const scanned[] = {"SCAN ids", "SCAN TABLE ids", "SCAN CONSTANT ROW",
					      "SCAN json_each VIRTUAL TABLE INDEX 1:",
					      "SCAN TABLE json_each VIRTUAL TABLE INDEX 1:"};
	struct fixture *f = *state;
	sqlite3 *db;
	char sql[4096];
	assert_int_equal(db_open(f->path, &db), 0);
	for (size_t i = 0; i < sizeof(per_slice) / sizeof(per_slice[0]); i++) {
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", store_sql(per_slice[i]));
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		int searches = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(st, 3);
			int ok = strncmp(detail, "SCAN ", 5) != 0;
			for (size_t k = 0; !ok && k < sizeof(scanned) / sizeof(scanned[0]); k++)
				ok = strcmp(detail, scanned[k]) == 0;
			ok = ok || strncmp(detail, "SCAN SUBQUERY ", 14) == 0; /* ids, before 3.36 */
			if (!ok)
				fail_msg("%s reads a table as: %s", store_stmt_name(per_slice[i]), detail);
			searches += strncmp(detail, "SEARCH ", 7) == 0;
		}
		sqlite3_finalize(st);
		assert_true(searches > 0);
	}
	db_close(db);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	char pragma[64];
	assert_int_equal(db_open(f->path, &db), 0);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", db_latest_version() + 1);
	/* rows changed: a pragma reports the last insert's (a migration's) */
	assert_true(db_exec(db, pragma, "") >= 0);
	db_close(db);
	assert_int_equal(db_open(f->path, &db), -1);
	assert_null(db);
}

static void test_helpers(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	char id[DB_ID_LEN], id2[DB_ID_LEN], small[4];
	assert_int_equal(db_open(f->path, &db), 0);

	assert_int_equal(db_new_id(id), 0);
	assert_int_equal(db_new_id(id2), 0);
	assert_int_equal(strlen(id), 32);
	assert_string_not_equal(id, id2);

	assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
				 "ssi", id, "Acme", (int64_t)1), 1);
	/* the primary key refuses a duplicate: reported as a constraint, not an error */
	assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
				 "ssi", id, "Again", (int64_t)2), DB_CONSTRAINT);
	/* NOT NULL through a NULL binding */
	assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
				 "ssi", id2, NULL, (int64_t)2), DB_CONSTRAINT);
	/* bad SQL and bad type letters fail cleanly */
	assert_int_equal(db_exec(db, "SELEKT 1", ""), DB_ERROR);
	assert_null(db_stmt(db, "SELECT ?", "x", 1));

	sqlite3_stmt *st = db_stmt(db, "SELECT name, created_at, ? FROM orgs WHERE id = ?", "bs",
				   7, id);
	assert_int_equal(db_step(st), 1);
	assert_int_equal(db_col_str(st, 0, small, sizeof(small)), -1); /* "Acme" needs 5 */
	assert_string_equal(small, "");
	char name[8];
	assert_int_equal(db_col_str(st, 0, name, sizeof(name)), 0);
	assert_string_equal(name, "Acme");
	assert_int_equal(db_col_int(st, 1), 1);
	assert_int_equal(db_col_int(st, 2), 1); /* 'b' binds 0/1 */
	sqlite3_finalize(st);

	/* a rolled-back transaction leaves nothing */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_history(db, 10, "test.action", "kept?"), 0);
	db_rollback(db);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_historyf(db, 11, "test.action", "n=%d", 42), 0);
	assert_int_equal(db_commit(db), 0);
	st = db_stmt(db, "SELECT at, detail FROM history", "");
	assert_int_equal(db_step(st), 1);
	assert_int_equal(db_col_int(st, 0), 11);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "n=42");
	assert_int_equal(db_step(st), 0);
	sqlite3_finalize(st);
	db_close(db);
}

static void test_serial_unique_among_live_devices(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	const char *org = "00000000000000000000000000000001";
	const char *folder = "00000000000000000000000000000002";
	static const char ins[] =
		"INSERT INTO devices (id, org_id, folder_id, serial, model, hardware_id, arch,"
		" public_key, key_fp, os_version, agent_version, created_at, removed)"
		" VALUES (?, ?, ?, 'S1', 'M', 'H', 'aarch64', 'pem', 'fp', '1', '1', 0, ?)";
	assert_int_equal(db_open(f->path, &db), 0);
	assert_int_equal(db_exec(db, "INSERT INTO orgs (id, name, created_at) VALUES (?, 'o', 0)",
				 "s", org), 1);
	assert_int_equal(db_exec(db, "INSERT INTO folders (id, org_id, name, created_at)"
				 " VALUES (?, ?, 'f', 0)", "ss", folder, org), 1);
	assert_int_equal(db_exec(db, ins, "sssb", "d1000000000000000000000000000000", org, folder,
				 0), 1);
	assert_int_equal(db_exec(db, ins, "sssb", "d2000000000000000000000000000000", org, folder,
				 0), DB_CONSTRAINT);
	/* once removed, the serial may enroll again */
	assert_int_equal(db_exec(db, "UPDATE devices SET removed = 1", ""), 1);
	assert_int_equal(db_exec(db, ins, "sssb", "d2000000000000000000000000000000", org, folder,
				 0), 1);
	db_close(db);
}

int main(void)
{
	log_init("test_cloud_db", LOGL_ERROR, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_migrated_is_a_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_older_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_3_makes_jobs_of_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slice_answer_queries_search_an_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_task_poll_queries_search_an_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_unique_among_live_devices, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
