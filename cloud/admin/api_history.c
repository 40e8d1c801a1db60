/* api_history: GET /admin/v1/history — who did what, when, from where, in which
 * organization, folder and device; filtered by folder (with its subfolders), device,
 * user and kind (an action or its prefix), newest first in pages with a cursor, or all
 * of it as CSV (docs/admin-api.md §8). Operators and viewers see their folders' rows. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/api.h"

#define HISTORY_PAGE_DEFAULT 100
#define HISTORY_PAGE_MAX 500
#define HISTORY_CSV_CHUNK 500

static const char *const csv_head =
	"seq,at,action,user_id,email,token_id,peer,org_id,folder_id,device_id,detail\r\n";

struct history_query {
	struct access_view view;
	const char *folder, *device, *user, *kind;
	int64_t cursor, limit;
};

/* An optional id filter of the query string; -1 after a 400 for a malformed one. */
static int query_id(struct request *rq, struct reply *rp, const char *key, const char **out)
{
	*out = evhttp_find_header(&rq->query, key);
	if (*out && !is_hex_id(*out)) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}

static int query_int(struct request *rq, struct reply *rp, const char *key, int64_t lo,
		     int64_t hi, int64_t *out)
{
	const char *v = evhttp_find_header(&rq->query, key);
	char *end;
	if (!v)
		return 0;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		reply_bad_field(rp, key);
		return -1;
	}
	*out = n;
	return 0;
}

static int history_query_read(struct request *rq, struct reply *rp, struct history_query *q)
{
	memset(q, 0, sizeof(*q));
	q->cursor = INT64_MAX;
	q->limit = HISTORY_PAGE_DEFAULT;
	q->kind = evhttp_find_header(&rq->query, "kind");
	if (query_id(rq, rp, "folder_id", &q->folder) || query_id(rq, rp, "device_id", &q->device) ||
	    query_id(rq, rp, "user_id", &q->user) ||
	    query_int(rq, rp, "cursor", 1, INT64_MAX, &q->cursor) ||
	    query_int(rq, rp, "limit", 1, HISTORY_PAGE_MAX, &q->limit))
		return -1;
	if (q->kind && (!*q->kind || !is_printable(q->kind, 64))) {
		reply_bad_field(rp, "kind");
		return -1;
	}
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0,
			&q->view) != 0)
		return -1;
	/* a folder filter must itself be a folder the caller may see */
	if (q->folder && rq->who.kind != PRINCIPAL_BOOTSTRAP &&
	    authorize(rq, rp, q->view.org_id, q->folder, NEED_READ) != 0)
		return -1;
	return 0;
}

static struct store_rows *history_page(struct request *rq, const struct history_query *q,
				       int64_t cursor, int64_t limit)
{
	return store_query(rq->c->store, ST_HISTORY_PAGE, "ssssssii", view_org(&q->view),
			   q->folder, q->device, q->user, q->kind, view_user(&q->view), cursor,
			   limit);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
static int csv_field(struct buf *b, const char *s, int last)
{
	s = s ? s : "";
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int r = quote ? buf_append(b, "\"", 1) : 0;
	for (const char *p = s; r == 0 && *p; p++)
		r = *p == '"' ? buf_append(b, "\"\"", 2) : buf_append(b, p, 1);
	if (r == 0 && quote)
		r = buf_append(b, "\"", 1);
	return r == 0 ? buf_append(b, last ? "\r\n" : ",", last ? 2 : 1) : -1;
}

/* Every row, page by page, as CSV. */
static void history_csv(struct request *rq, struct reply *rp, const struct history_query *q)
{
	static const int order[] = {2, 7, 8, 9, 10, 4, 5, 6, 3}; /* after seq, at */
	struct buf *b = reply_text(rp, 200, "text/csv; charset=utf-8");
	int64_t cursor = INT64_MAX;
	int r = buf_append(b, csv_head, strlen(csv_head));
	for (int rows = HISTORY_CSV_CHUNK; r == 0 && rows == HISTORY_CSV_CHUNK;) {
		struct store_rows *st = history_page(rq, q, cursor, HISTORY_CSV_CHUNK);
		int n = st ? 1 : DB_ERROR;
		rows = 0;
		while (r == 0 && n == 1 && (n = store_next(st)) == 1) {
			char num[48];
			cursor = store_int(st, 0);
			rows++;
			snprintf(num, sizeof(num), "%" PRId64 ",%" PRId64 ",", cursor, store_int(st, 1));
			r = buf_append(b, num, strlen(num));
			for (int i = 0; r == 0 && i < 9; i++)
				r = csv_field(b, store_text(st, order[i]), i == 8);
		}
		store_done(st);
		if (n < 0)
			r = -1;
	}
	if (r != 0)
		reply_internal(rp);
}

void admin_history(struct request *rq, struct reply *rp)
{
	static const struct json_col cols[] = {
		{"seq", COL_INT},       {"at", COL_INT},        {"action", COL_TEXT},
		{"detail", COL_TEXT},   {"org_id", COL_TEXT},   {"folder_id", COL_TEXT},
		{"device_id", COL_TEXT}, {"user_id", COL_TEXT}, {"email", COL_TEXT},
		{"token_id", COL_TEXT}, {"peer", COL_TEXT},
	};
	struct history_query q;
	const char *format = evhttp_find_header(&rq->query, "format");
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		reply_bad_field(rp, "format");
		return;
	}
	if (history_query_read(rq, rp, &q) != 0)
		return;
	if (format && strcmp(format, "csv") == 0) {
		history_csv(rq, rp, &q);
		return;
	}
	struct store_rows *st = history_page(rq, &q, q.cursor, q.limit);
	struct json_writer *w = reply_json(rp, 200);
	int64_t last = 0, n = 0;
	int r = st ? 1 : DB_ERROR;
	jw_object_begin(w);
	jw_key(w, "events");
	jw_array_begin(w);
	while (r == 1 && (r = store_next(st)) == 1) {
		last = store_int(st, 0);
		n++;
		db_write_row(w, st, cols, JSON_COLS(cols));
	}
	store_done(st);
	jw_array_end(w);
	jw_key(w, "next_cursor");
	if (n == q.limit) {
		char c[24];
		snprintf(c, sizeof(c), "%" PRId64, last);
		jw_string(w, c);
	} else {
		jw_null(w);
	}
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}
