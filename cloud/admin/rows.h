/* rows: query rows of the store as JSON objects, driven by a table that names each
 * column's key and type (columns in SELECT order), for the admin API listings. */
#ifndef CLOUD_ROWS_H
#define CLOUD_ROWS_H

#include <stddef.h>

#include "../../lib/json.h"
#include "../store/store.h"

enum json_col_type {
	COL_TEXT, /* a string; SQL NULL writes null */
	COL_INT,  /* an integer (NULL: 0) */
	COL_BOOL, /* true / false (NULL: false) */
};

struct json_col {
	const char *key;
	enum json_col_type type;
};
#define JSON_COLS(a) (sizeof(a) / sizeof((a)[0]))

/* Writes the current row of st as one object: column i under cols[i].key. */
void db_write_row(struct json_writer *w, struct store_rows *st, const struct json_col *cols,
		  size_t ncols);
/* Writes every row of st (NULL: none, an error) as an array of such objects, then
 * finalizes st. Returns 0, or DB_ERROR when st is NULL or a step failed. */
int db_write_rows(struct json_writer *w, struct store_rows *st, const struct json_col *cols,
		  size_t ncols);

/* Replies 200 {"<key>": [rows of st]} (500 when a step failed); st is finalized. */
struct reply;
void reply_rows(struct reply *rp, const char *key, struct store_rows *st,
		const struct json_col *cols, size_t ncols);

#endif
