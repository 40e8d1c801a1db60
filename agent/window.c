/* window: parsing, persistence and the "may we install now" rule of update windows. */
#include "window.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/json.h"
#include "../lib/protocol.h"

int window_from_json(const struct json_doc *doc, int tok, struct update_window *out)
{
	char kind[16], from[8], to[8];
	memset(out, 0, sizeof(*out));
	if (tok < 0 || json_tok_is_null(doc, tok))
		return 0;
	enum window_kind k;
	if (json_get_string(doc, tok, "kind", kind, sizeof(kind)) || window_kind_parse(kind, &k))
		return -1;
	if (k == WINDOW_UTC) {
		out->kind = WINDOW_UTC;
		if (json_get_int64(doc, tok, "start", &out->start) ||
		    json_get_int64(doc, tok, "end", &out->end) || out->end <= out->start ||
		    !proto_time_ok(out->start) || !proto_time_ok(out->end))
			return -1;
		return 0;
	}
	if (k == WINDOW_DAILY) {
		out->kind = WINDOW_DAILY;
		if (json_get_string(doc, tok, "from", from, sizeof(from)) ||
		    json_get_string(doc, tok, "to", to, sizeof(to)) || proto_hhmm_parse(from, &out->from_min) ||
		    proto_hhmm_parse(to, &out->to_min) || out->from_min == out->to_min)
			return -1;
		return 0;
	}
	return -1;
}

int window_to_text(const struct update_window *w, char *out, size_t outsz)
{
	int n = 0;
	switch (w->kind) {
	case WINDOW_NONE:
		n = snprintf(out, outsz, "%s", "");
		break;
	case WINDOW_UTC:
		n = snprintf(out, outsz, "utc:%lld-%lld", (long long)w->start, (long long)w->end);
		break;
	case WINDOW_DAILY:
		n = snprintf(out, outsz, "daily:%02d:%02d-%02d:%02d", w->from_min / 60, w->from_min % 60,
			     w->to_min / 60, w->to_min % 60);
		break;
	}
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int window_from_text(const char *text, struct update_window *out)
{
	long long s, e;
	char from[6], to[6], tail;
	memset(out, 0, sizeof(*out));
	if (!*text)
		return 0;
	if (sscanf(text, "utc:%lld-%lld%c", &s, &e, &tail) == 2 && e > s && proto_time_ok(s) &&
	    proto_time_ok(e)) {
		out->kind = WINDOW_UTC;
		out->start = s;
		out->end = e;
		return 0;
	}
	if (sscanf(text, "daily:%5[0-9:]-%5[0-9:]%c", from, to, &tail) == 2 &&
	    !proto_hhmm_parse(from, &out->from_min) && !proto_hhmm_parse(to, &out->to_min) &&
	    out->from_min != out->to_min) {
		out->kind = WINDOW_DAILY;
		return 0;
	}
	return -1;
}

int64_t window_wait(const struct update_window *w, int64_t now, int local_min)
{
	switch (w->kind) {
	case WINDOW_NONE:
		return 0;
	case WINDOW_UTC:
		if (now >= w->end)
			return WINDOW_CLOSED;
		return now >= w->start ? 0 : w->start - now;
	case WINDOW_DAILY: {
		int open = w->from_min < w->to_min
				   ? local_min >= w->from_min && local_min < w->to_min
				   : local_min >= w->from_min || local_min < w->to_min; /* spans midnight */
		if (open)
			return 0;
		int minutes = (w->from_min - local_min + 1440) % 1440;
		/* Wake at the start of the opening minute, not a minute late. */
		return (int64_t)minutes * 60 - now % 60;
	}
	}
	return 0;
}

int window_local_minute(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}
