/* Unit tests for update windows: parsing, persistence, and when installing is allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "../../agent/window.h"
#include "../../lib/json.h"

static int parse(const char *text, struct update_window *w)
{
	struct json_doc doc = { 0 };
	assert_int_equal(json_parse(&doc, text, strlen(text), 64), 0);
	int rc = window_from_json(&doc, json_find(&doc, 0, "window"), w);
	json_free(&doc);
	return rc;
}

static void no_window_is_always_open(void **state)
{
	struct update_window w;
	assert_int_equal(parse("{\"window\":null}", &w), 0);
	assert_int_equal(w.kind, WINDOW_NONE);
	assert_int_equal(parse("{}", &w), 0);
	assert_int_equal(window_wait(&w, 1000, 0), 0);
}

static void utc_window_waits_opens_and_closes(void **state)
{
	struct update_window w;
	assert_int_equal(parse("{\"window\":{\"kind\":\"utc\",\"start\":1000,\"end\":2000}}", &w), 0);
	assert_int_equal(window_wait(&w, 900, 0), 100);
	assert_int_equal(window_wait(&w, 1000, 0), 0);
	assert_int_equal(window_wait(&w, 1999, 0), 0);
	assert_int_equal(window_wait(&w, 2000, 0), WINDOW_CLOSED);
}

static void daily_window_in_local_time(void **state)
{
	struct update_window w;
	assert_int_equal(parse("{\"window\":{\"kind\":\"daily\",\"from\":\"02:00\",\"to\":\"04:30\"}}", &w), 0);
	/* now % 60 == 0 in these cases: waits are whole minutes */
	assert_int_equal(window_wait(&w, 60000, 1 * 60), 60 * 60);
	assert_int_equal(window_wait(&w, 60000, 2 * 60), 0);
	assert_int_equal(window_wait(&w, 60000, 4 * 60 + 29), 0);
	assert_int_equal(window_wait(&w, 60000, 4 * 60 + 30), (1440 - 150) * 60);
}

static void daily_window_across_midnight(void **state)
{
	struct update_window w;
	assert_int_equal(parse("{\"window\":{\"kind\":\"daily\",\"from\":\"22:00\",\"to\":\"04:00\"}}", &w), 0);
	assert_int_equal(window_wait(&w, 60000, 23 * 60), 0);
	assert_int_equal(window_wait(&w, 60000, 3 * 60), 0);
	assert_int_equal(window_wait(&w, 60000, 12 * 60), 10 * 3600);
}

static void bad_windows_refused(void **state)
{
	struct update_window w;
	assert_int_equal(parse("{\"window\":{\"kind\":\"utc\",\"start\":2000,\"end\":1000}}", &w), -1);
	assert_int_equal(parse("{\"window\":{\"kind\":\"daily\",\"from\":\"25:00\",\"to\":\"04:00\"}}", &w), -1);
	assert_int_equal(parse("{\"window\":{\"kind\":\"daily\",\"from\":\"2:00\",\"to\":\"04:00\"}}", &w), -1);
	assert_int_equal(parse("{\"window\":{\"kind\":\"daily\",\"from\":\"04:00\",\"to\":\"04:00\"}}", &w), -1);
	assert_int_equal(parse("{\"window\":{\"kind\":\"weekly\"}}", &w), -1);
	assert_int_equal(parse("{\"window\":\"soon\"}", &w), -1);
}

static void text_round_trip(void **state)
{
	struct update_window w = { .kind = WINDOW_DAILY, .from_min = 22 * 60 + 5, .to_min = 3 * 60 }, back;
	char text[WINDOW_TEXT_MAX];
	assert_int_equal(window_to_text(&w, text, sizeof(text)), 0);
	assert_string_equal(text, "daily:22:05-03:00");
	assert_int_equal(window_from_text(text, &back), 0);
	assert_memory_equal(&w, &back, sizeof(w));
	w = (struct update_window){ .kind = WINDOW_UTC, .start = 1764000000, .end = 1764003600 };
	assert_int_equal(window_to_text(&w, text, sizeof(text)), 0);
	assert_int_equal(window_from_text(text, &back), 0);
	assert_memory_equal(&w, &back, sizeof(w));
	assert_int_equal(window_from_text("", &back), 0);
	assert_int_equal(back.kind, WINDOW_NONE);
	assert_int_equal(window_from_text("utc:5-3", &back), -1);
	assert_int_equal(window_from_text("daily:10:00-10:00", &back), -1);
	assert_int_equal(window_from_text("hourly", &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_window_is_always_open),
		cmocka_unit_test(utc_window_waits_opens_and_closes),
		cmocka_unit_test(daily_window_in_local_time),
		cmocka_unit_test(daily_window_across_midnight),
		cmocka_unit_test(bad_windows_refused),
		cmocka_unit_test(text_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
