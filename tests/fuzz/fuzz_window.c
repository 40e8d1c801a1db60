/* libFuzzer target: update windows from task.json text and from task payloads. */
/* fuzz-links: lib agent/window.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/window.h"
#include "../../lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256];
	struct update_window w;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (!window_from_text(text, &w)) {
		char back[WINDOW_TEXT_MAX];
		struct update_window again;
		if (window_to_text(&w, back, sizeof(back)) || window_from_text(back, &again) ||
		    memcmp(&w, &again, sizeof(w)))
			abort(); /* what we accept must survive our own round trip */
		(void)window_wait(&w, 1764000000, 600);
	}
	struct json_doc doc = { 0 };
	if (!json_parse(&doc, (const char *)data, size, 64) &&
	    !window_from_json(&doc, json_find(&doc, 0, "window"), &w))
		(void)window_wait(&w, 1764000000, 0);
	json_free(&doc);
	return 0;
}
