/* rows: SQLite result rows as JSON objects (see rows.h). */
#include "rows.h"

#include "db.h"

void db_write_row(struct json_writer *w, sqlite3_stmt *st, const struct json_col *cols,
		  size_t ncols)
{
	jw_object_begin(w);
	for (size_t i = 0; i < ncols; i++) {
		int c = (int)i;
		switch (cols[i].type) {
		case COL_TEXT:
			jw_kv_string(w, cols[i].key, (const char *)sqlite3_column_text(st, c));
			break;
		case COL_INT:
			jw_kv_int(w, cols[i].key, db_col_int(st, c));
			break;
		case COL_BOOL:
			jw_kv_bool(w, cols[i].key, (int)db_col_int(st, c));
			break;
		}
	}
	jw_object_end(w);
}

int db_write_rows(struct json_writer *w, sqlite3_stmt *st, const struct json_col *cols,
		  size_t ncols)
{
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = db_step(st)) == 1)
		db_write_row(w, st, cols, ncols);
	sqlite3_finalize(st);
	jw_array_end(w);
	return r < 0 ? DB_ERROR : 0;
}
