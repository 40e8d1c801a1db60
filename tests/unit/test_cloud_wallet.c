/* The wallet rules of docs/licenses.md (cloud/domain/wallet.c, pure functions of the
 * clock), each test named after the rule it checks, and the store query behind the
 * subscription's current need (cloud/domain/license_usage.c) on a real SQLite store,
 * counted from the application inventory as the device report writes it
 * (cloud/domain/inventory.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cloud/domain/calendar.h"
#include "../../cloud/domain/inventory.h"
#include "../../cloud/domain/license_usage.h"
#include "../../cloud/domain/wallet.h"
#include "../../cloud/store/store.h"

static int64_t utc(int y, int mo, int d, int h)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h};
	return (int64_t)timegm(&tm);
}

static void test_wallet_stores_licenses_five_years_from_redemption(void **state)
{
	(void)state;
	assert_int_equal(wallet_lapses_at(utc(2027, 3, 10, 8)), utc(2032, 3, 10, 8));
	/* redeemed on a leap day: five years on there is none */
	assert_int_equal(wallet_lapses_at(utc(2028, 2, 29, 8)), utc(2033, 2, 28, 8));
	/* redeemed on New Year's Eve */
	assert_int_equal(wallet_lapses_at(utc(2027, 12, 31, 23)), utc(2032, 12, 31, 23));
}

static void test_unallocated_licenses_lapse_after_five_years(void **state)
{
	(void)state;
	int64_t lapse = wallet_lapses_at(utc(2027, 3, 10, 8));
	struct wallet_lot lots[] = {{.left = 4, .lapses_at = lapse}};
	assert_int_equal(wallet_available(lots, 1, lapse - 1), 4);
	assert_int_equal(wallet_available(lots, 1, lapse), 0);
	assert_int_equal(wallet_lot_state(lapse, lapse), LOT_LAPSED);
	int64_t take[1], shortfall = 0;
	assert_int_equal(wallet_take(lots, 1, lapse, 1, take, &shortfall), -1);
	assert_int_equal(shortfall, 1);
}

static void test_lapsing_licenses_are_shown_before_they_lapse(void **state)
{
	(void)state;
	char text[64];
	int64_t lapse = utc(2032, 3, 10, 8);
	wallet_lot_text(lapse, lapse - 91 * CAL_DAY, text, sizeof(text));
	assert_string_equal(text, "held until 2032-03-10");
	wallet_lot_text(lapse, lapse - 90 * CAL_DAY, text, sizeof(text));
	assert_string_equal(text, "lapsing on 2032-03-10");
	assert_int_equal(wallet_lot_state(lapse, lapse - 1), LOT_LAPSING);
	wallet_lot_text(lapse, lapse, text, sizeof(text));
	assert_string_equal(text, "lapsed on 2032-03-10");
}

static void test_wallet_keeps_licenses_for_later_renewals(void **state)
{
	(void)state;
	/* taking uses the lots that lapse first, never a lapsed one */
	int64_t now = utc(2030, 1, 1, 0);
	struct wallet_lot lots[] = {
		{.left = 5, .lapses_at = utc(2031, 6, 1, 0)},
		{.left = 3, .lapses_at = utc(2029, 6, 1, 0)}, /* lapsed */
		{.left = 2, .lapses_at = utc(2030, 6, 1, 0)},
	};
	int64_t take[3], shortfall = -1;
	assert_int_equal(wallet_available(lots, 3, now), 7);
	assert_int_equal(wallet_take(lots, 3, now, 4, take, &shortfall), 0);
	assert_int_equal(shortfall, 0);
	assert_int_equal(take[0], 2);
	assert_int_equal(take[1], 0);
	assert_int_equal(take[2], 2);
	assert_int_equal(wallet_take(lots, 3, now, 8, take, &shortfall), -1);
	assert_int_equal(shortfall, 1);
	assert_int_equal(take[0], 2); /* untouched on refusal */
}

/* ---- the current need, from the application inventory ---- */

struct fixture {
	char dir[64];
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[96];
	strcpy(f->dir, "/tmp/test_cloud_wallet.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/cloud.db", f->dir);
	assert_int_equal(store_open(path, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];
	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void add_device(struct store *s, const char *id, const char *serial, const char *folder)
{
	assert_int_equal(store_run(s, ST_DEVICES_INSERT_FROM_SELECT, "sssssssssiiss", id, serial,
				   "P3265-LVE", "hw", "aarch64", "pk", "fp", "11.11.73", "0.1.0",
				   (int64_t)0, (int64_t)0, NULL, folder), 1);
}

#define ORG "0123456789abcdef0123456789abcd01"
#define ORG2 "0123456789abcdef0123456789abcd02"
#define FOLDER "0123456789abcdef0123456789abcdf1"
#define FOLDER2 "0123456789abcdef0123456789abcdf2"
#define DEV(n) "0123456789abcdef0123456789abce0" #n
#define APP "4711"
#define OTHER "4712"

/* What device_id's report lists: app_id ("" none) running (1) or stopped (0), and
 * another app of the same application id under another name when other is set. */
static void report(struct store *s, const char *device_id, const char *app_id, int running,
		   int64_t now)
{
	struct inventory_app a[2] = {
		{.name = "plates", .version = "1.0", .vendor = "V", .license = "Valid",
		 .running = running},
		{.name = "counter", .version = "2.0", .vendor = "V", .license = "None",
		 .running = 1},
	};
	snprintf(a[0].app_id, sizeof(a[0].app_id), "%s", app_id);
	snprintf(a[1].app_id, sizeof(a[1].app_id), "%s", OTHER);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(inventory_replace(s, device_id, a, 2, now), 0);
	assert_int_equal(store_commit(s), 0);
}

/* What device_id's report lists when it no longer has the app. */
static void report_none(struct store *s, const char *device_id)
{
	assert_int_equal(inventory_replace(s, device_id, NULL, 0, 0), 0);
}

static void test_current_need_counts_enrolled_devices_running_the_product(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->s;
	assert_int_equal(store_run(s, ST_ORGS_INSERT, "ssi", ORG, "A", (int64_t)1), 1);
	assert_int_equal(store_run(s, ST_ORGS_INSERT, "ssi", ORG2, "B", (int64_t)1), 1);
	assert_int_equal(store_run(s, ST_FOLDERS_INSERT, "ssssi", FOLDER, ORG, NULL, "L",
				   (int64_t)1), 1);
	assert_int_equal(store_run(s, ST_FOLDERS_INSERT, "ssssi", FOLDER2, ORG2, NULL, "L",
				   (int64_t)1), 1);
	add_device(s, DEV(1), "S1", FOLDER);
	add_device(s, DEV(2), "S2", FOLDER);
	add_device(s, DEV(3), "S3", FOLDER);
	add_device(s, DEV(4), "S4", FOLDER2);
	report(s, DEV(1), APP, 1, 100);
	report(s, DEV(2), APP, 1, 200);
	report(s, DEV(3), APP, 0, 100); /* stopped; its other app runs */
	report(s, DEV(4), APP, 1, 100); /* another org */
	assert_int_equal(license_usage_count(s, ORG, APP, 1000), 2);
	assert_int_equal(license_usage_count(s, ORG, OTHER, 1000), 3);
	/* a device counts from when it started running the product */
	assert_int_equal(license_usage_count(s, ORG, APP, 150), 1);
	/* reported again while running: its start stays */
	report(s, DEV(2), APP, 1, 900);
	assert_int_equal(license_usage_count(s, ORG, APP, 250), 2);
	/* stopped and started again: counts from the new start */
	report(s, DEV(2), APP, 0, 950);
	assert_int_equal(license_usage_count(s, ORG, APP, 1000), 1);
	report(s, DEV(2), APP, 1, 1100);
	assert_int_equal(license_usage_count(s, ORG, APP, 1000), 1);
	assert_int_equal(license_usage_count(s, ORG, APP, 1100), 2);
	/* gone from the list and back: counts from its return */
	report_none(s, DEV(2));
	assert_int_equal(license_usage_count(s, ORG, APP, 1100), 1);
	report(s, DEV(2), APP, 1, 1200);
	assert_int_equal(license_usage_count(s, ORG, APP, 1150), 1);
	assert_int_equal(license_usage_count(s, ORG, APP, 1200), 2);
	/* an app whose list has no application id is nobody's product */
	report(s, DEV(3), "", 1, 1200);
	assert_int_equal(license_usage_count(s, ORG, APP, 2000), 2);
	/* a removed device is no longer enrolled */
	assert_int_equal(store_run(s, ST_DEVICES_SET_REMOVED, "s", DEV(1)), 1);
	assert_int_equal(license_usage_count(s, ORG, APP, 2000), 1);
	assert_int_equal(license_usage_count(s, ORG2, APP, 2000), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wallet_stores_licenses_five_years_from_redemption),
		cmocka_unit_test(test_unallocated_licenses_lapse_after_five_years),
		cmocka_unit_test(test_lapsing_licenses_are_shown_before_they_lapse),
		cmocka_unit_test(test_wallet_keeps_licenses_for_later_renewals),
		cmocka_unit_test_setup_teardown(
			test_current_need_counts_enrolled_devices_running_the_product, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
