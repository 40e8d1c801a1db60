/* rows: query rows of the store as JSON objects (see rows.h). */
#include "rows.h"

#include "../http/reply.h"

void db_write_row(struct json_writer *w, struct store_rows *st, const struct json_col *cols,
		  size_t ncols)
{
	jw_object_begin(w);
	for (size_t i = 0; i < ncols; i++) {
		int c = (int)i;
		switch (cols[i].type) {
		case COL_TEXT:
			jw_kv_string(w, cols[i].key, store_text(st, c));
			break;
		case COL_INT:
			jw_kv_int(w, cols[i].key, store_int(st, c));
			break;
		case COL_BOOL:
			jw_kv_bool(w, cols[i].key, (int)store_int(st, c));
			break;
		}
	}
	jw_object_end(w);
}

int db_write_rows(struct json_writer *w, struct store_rows *st, const struct json_col *cols,
		  size_t ncols)
{
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		db_write_row(w, st, cols, ncols);
	store_done(st);
	jw_array_end(w);
	return r < 0 ? DB_ERROR : 0;
}

void reply_rows(struct reply *rp, const char *key, struct store_rows *st,
		const struct json_col *cols, size_t ncols)
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, key);
	int r = db_write_rows(w, st, cols, ncols);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}
