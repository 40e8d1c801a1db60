/* libFuzzer target: the strict JSON reader, and the writer fed by what it read.
 * Whatever the input: no crash, no leak, and a document that parses must survive a
 * read -> write -> read round trip of its strings. */
/* fuzz-links: lib */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc = { 0 };
	if (json_parse(&doc, (const char *)data, size, 256)) {
		json_free(&doc);
		return 0;
	}
	struct buf out;
	struct json_writer w;
	buf_init(&out, 1 << 20);
	jw_init(&w, &out);
	jw_array_begin(&w);
	char s[4096];
	for (int i = 0; i < doc.count; i++) {
		int64_t n;
		int b;
		if (!json_tok_string(&doc, i, s, sizeof(s)))
			jw_string(&w, s);
		else if (!json_tok_int64(&doc, i, &n))
			jw_int(&w, n);
		else if (!json_tok_bool(&doc, i, &b))
			jw_bool(&w, b);
	}
	(void)json_find(&doc, 0, "a.b.c");
	(void)json_array_len(&doc, 0);
	jw_array_end(&w);
	if (jw_finish(&w) == 0) {
		struct json_doc again = { 0 };
		if (json_parse(&again, out.data, out.len, doc.count + 8))
			abort(); /* our own writer produced JSON our reader refuses */
		json_free(&again);
	}
	buf_free(&out);
	json_free(&doc);
	return 0;
}
