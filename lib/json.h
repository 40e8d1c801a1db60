/* json: a strict, bounded reader over jsmn ("get by key") and an escaping writer.
 * The reader never allocates per lookup; the writer never uses printf templates,
 * so every string that reaches the wire is escaped. */
#ifndef CAM_JSON_H
#define CAM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define JSON_MAX_TOKENS_DEFAULT 512

struct json_doc {
	const char *text; /* not owned; must outlive the doc */
	size_t len;
	void *tokens;     /* jsmntok_t[], private to json.c */
	int count;
};

/* Parses text[0..len). Root token is index 0. Fails (-1) on malformed JSON,
 * on more than max_tokens tokens, and on trailing garbage. */
__attribute__((warn_unused_result)) int json_parse(struct json_doc *doc, const char *text,
						    size_t len, int max_tokens);
void json_free(struct json_doc *doc);

enum json_type { JSON_NONE, JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_PRIMITIVE };
enum json_type json_type_of(const struct json_doc *doc, int tok);

/* Value token of key in object tok, or -1. Key may be a dotted path ("artifact.size"). */
int json_find(const struct json_doc *doc, int obj, const char *key);
int json_array_len(const struct json_doc *doc, int arr);   /* -1 if not an array */
int json_array_at(const struct json_doc *doc, int arr, int i); /* -1 if out of range */

/* Typed reads of a token; -1 on wrong type, overflow or a too-small buffer. */
int json_tok_string(const struct json_doc *doc, int tok, char *out, size_t outsz);
int json_tok_int64(const struct json_doc *doc, int tok, int64_t *out);
int json_tok_bool(const struct json_doc *doc, int tok, int *out);
int json_tok_is_null(const struct json_doc *doc, int tok);
/* The raw text of any token (objects included), not NUL-terminated. */
const char *json_tok_raw(const struct json_doc *doc, int tok, size_t *len);

/* Typed reads of obj[key]; -1 when missing or of the wrong type. */
int json_get_string(const struct json_doc *doc, int obj, const char *key, char *out, size_t outsz);
int json_get_int64(const struct json_doc *doc, int obj, const char *key, int64_t *out);
int json_get_bool(const struct json_doc *doc, int obj, const char *key, int *out);

/* Writer: appends to a buf; the first error sticks and json_writer_finish reports it. */
#define JSON_WRITER_MAX_DEPTH 16
struct json_writer {
	struct buf *out;
	int depth;
	int first[JSON_WRITER_MAX_DEPTH]; /* no element written yet at this depth */
	int after_key;
	int failed;
};

void jw_init(struct json_writer *w, struct buf *out);
void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);
void jw_key(struct json_writer *w, const char *key);
void jw_string(struct json_writer *w, const char *s); /* NULL writes null */
void jw_int(struct json_writer *w, int64_t v);
void jw_bool(struct json_writer *w, int v);
void jw_null(struct json_writer *w);
/* Inserts already-valid JSON text verbatim (e.g. an envelope received earlier). */
void jw_raw(struct json_writer *w, const char *json, size_t len);
void jw_kv_string(struct json_writer *w, const char *key, const char *s);
void jw_kv_int(struct json_writer *w, const char *key, int64_t v);
void jw_kv_bool(struct json_writer *w, const char *key, int v);
/* 0 when the document is complete and nothing failed, else -1. */
__attribute__((warn_unused_result)) int jw_finish(struct json_writer *w);

#endif
