/* window: when an upgrade may be installed (protocol.md §6): at once, inside an
 * absolute UTC interval, or daily between two device-local times. Pure functions,
 * so the rules are unit-tested without waiting for a clock. */
#ifndef CAM_AGENT_WINDOW_H
#define CAM_AGENT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/protocol.h" /* enum window_kind */

struct json_doc;

struct update_window {
	enum window_kind kind;
	int64_t start, end;   /* UTC: unix seconds */
	int from_min, to_min; /* daily: minutes after local midnight */
};

#define WINDOW_TEXT_MAX 48
#define WINDOW_CLOSED (-1)

/* Reads the payload's "window" value at token tok (-1 or null: no window). */
int window_from_json(const struct json_doc *doc, int tok, struct update_window *out);
/* Text form for task.json: "", "utc:<start>-<end>" or "daily:HH:MM-HH:MM". */
int window_to_text(const struct update_window *w, char *out, size_t outsz);
int window_from_text(const char *text, struct update_window *out);
/* 0: open now; > 0: seconds until it opens; WINDOW_CLOSED: a UTC window that ended.
 * local_min is the device-local minute of the day at now (0..1439). */
int64_t window_wait(const struct update_window *w, int64_t now, int local_min);
/* The device-local minute of the day of a unix time. */
int window_local_minute(int64_t now);

#endif
