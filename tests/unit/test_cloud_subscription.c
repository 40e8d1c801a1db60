/* The subscription rules of docs/licenses.md as pure functions of the clock
 * (cloud/domain/subscription.c), each test named after the rule it checks, across
 * year ends and leap days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "../../cloud/domain/calendar.h"
#include "../../cloud/domain/subscription.h"

#define DAY CAL_DAY

/* Epoch seconds of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h};
	return (int64_t)timegm(&tm);
}

static struct sub_dates started(int64_t at)
{
	return (struct sub_dates){.anchor = at, .started_at = at};
}

static void test_start_opens_30_day_grace_period(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 12, 15, 9));
	struct sub_usage u = {.need = 3, .usage = 3};
	struct sub_year y;
	sub_year_at(&d, utc(2027, 12, 15, 9), &y);
	assert_int_equal(y.index, 0);
	assert_int_equal(y.grace_end, utc(2028, 1, 14, 9)); /* across the year end */
	assert_int_equal(y.renewal, utc(2028, 12, 15, 9));
	assert_int_equal(sub_status(&d, &u, utc(2028, 1, 14, 8)), SUB_STARTED);
	assert_string_equal(sub_status_text(SUB_STARTED), "subscription started");
	/* the grace period ends: unlicensed without an allocation */
	assert_int_equal(sub_status(&d, &u, utc(2028, 1, 14, 9)), SUB_UNLICENSED);
}

static void test_leap_day_start_renews_on_feb_28(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2028, 2, 29, 12));
	struct sub_year y;
	sub_year_at(&d, utc(2029, 2, 28, 11), &y);
	assert_int_equal(y.index, 0);
	assert_int_equal(y.renewal, utc(2029, 2, 28, 12));
	assert_int_equal(y.grace_end, utc(2028, 3, 30, 12));
	sub_year_at(&d, utc(2029, 2, 28, 12), &y);
	assert_int_equal(y.index, 1);
	assert_int_equal(y.start, utc(2029, 2, 28, 12));
	assert_int_equal(y.grace_end, utc(2029, 3, 30, 12));
	/* four years on, the anniversary is a leap day again */
	sub_year_at(&d, utc(2032, 3, 1, 0), &y);
	assert_int_equal(y.index, 4);
	assert_int_equal(y.start, utc(2032, 2, 29, 12));
}

static void test_fully_licensed_when_allocation_matches_need(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 6, 1, 0));
	struct sub_usage u = {.need = 5, .usage = 5, .allocated = 4};
	int64_t later = utc(2027, 9, 1, 0);
	assert_int_equal(sub_status(&d, &u, later), SUB_UNLICENSED);
	assert_string_equal(sub_status_text(SUB_UNLICENSED), "not licensed");
	u.allocated = 5;
	assert_int_equal(sub_status(&d, &u, later), SUB_LICENSED);
	assert_string_equal(sub_status_text(SUB_LICENSED), "fully licensed");
	/* within the grace period too, once it matches */
	assert_int_equal(sub_status(&d, &u, utc(2027, 6, 2, 0)), SUB_LICENSED);
}

static void test_allocation_refused_when_wallet_below_need(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 6, 1, 0));
	struct sub_usage u = {.need = 10, .usage = 10};
	struct sub_alloc a = {.count = 10, .wallet = 7};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 5, 0), &r), -1);
	assert_int_equal(r.shortfall, 3);
	assert_int_equal(r.minimum, 10);
	assert_string_equal(r.why, "the wallet holds fewer licenses than the current need");
	/* fewer than the need is no way round it */
	a.count = 7;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 5, 0), &r), -1);
	assert_int_equal(r.shortfall, 3);
	a.wallet = 12;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 5, 0), &r), -1);
	assert_string_equal(r.why, "fewer licenses than the current need");
	assert_int_equal(r.shortfall, 0);
	a.count = 10;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 5, 0), &r), 0);
	assert_null(r.why);
	assert_int_equal(r.credit, 0);
	/* what is already allocated counts toward the need */
	a = (struct sub_alloc){.count = 2, .wallet = 2, .allocated_already = 8};
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 5, 0), &r), 0);
	assert_int_equal(r.minimum, 2);
}

static void test_more_can_be_allocated_for_future_periods(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 6, 1, 0));
	struct sub_usage u = {.need = 10, .usage = 10, .allocated = 10};
	struct sub_alloc a = {.ahead = 1, .count = 3, .wallet = 3};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 8, 1, 0), &r), 0);
	assert_int_equal(r.year.index, 1);
	assert_int_equal(r.year.start, utc(2028, 6, 1, 0));
	assert_int_equal(r.credit, 0); /* a future year is whole */
	assert_int_equal(r.minimum, 0);
}

static void test_renew_up_to_five_years_ahead(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 6, 1, 0));
	struct sub_usage u = {0};
	struct sub_alloc a = {.ahead = 5, .count = 1, .wallet = 1};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 7, 1, 0), &r), 0);
	assert_int_equal(r.year.start, utc(2032, 6, 1, 0));
	a.ahead = 6;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 7, 1, 0), &r), -1);
	assert_non_null(strstr(r.why, "up to 5 years ahead"));
	a.ahead = -1;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 7, 1, 0), &r), -1);
}

static void test_late_allocation_keeps_dates_and_credits_overlap(void **state)
{
	(void)state;
	/* a 365-day year from 2027-01-01; allocated on day 146 (after the grace period) */
	struct sub_dates d = started(utc(2027, 1, 1, 0));
	struct sub_usage u = {.need = 10, .usage = 10};
	struct sub_alloc a = {.count = 10, .wallet = 10};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 1, 1, 0) + 146 * DAY, &r), 0);
	assert_int_equal(r.credit, 4); /* 10 * 146 / 365 */
	assert_int_equal(r.year.start, utc(2027, 1, 1, 0));
	assert_int_equal(r.year.renewal, utc(2028, 1, 1, 0)); /* the dates stay */
	/* within the grace period nothing is credited */
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 1, 30, 0), &r), 0);
	assert_int_equal(r.credit, 0);
	/* the day before renewal, almost everything comes back */
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 12, 31, 0), &r), 0);
	assert_int_equal(r.credit, 9);
}

static void test_new_product_date_keeps_org_dates_and_credits_overlap(void **state)
{
	(void)state;
	/* the organization's dates start 2027-03-01; a product started on 2027-09-01 */
	struct sub_dates d = {.anchor = utc(2027, 3, 1, 0), .started_at = utc(2027, 9, 1, 0)};
	struct sub_usage u = {.need = 4, .usage = 4};
	struct sub_year y;
	sub_year_at(&d, utc(2027, 9, 1, 0), &y);
	assert_int_equal(y.start, utc(2027, 3, 1, 0));
	assert_int_equal(y.renewal, utc(2028, 3, 1, 0));
	assert_int_equal(y.grace_end, utc(2027, 10, 1, 0)); /* its own grace period */
	assert_int_equal(sub_status(&d, &u, utc(2027, 9, 2, 0)), SUB_STARTED);
	struct sub_alloc a = {.count = 4, .wallet = 4};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 9, 2, 0), &r), 0);
	/* 4 * 185 days / 366 days (2028 is a leap year) */
	assert_int_equal(r.credit, 4 * (utc(2027, 9, 2, 0) - utc(2027, 3, 1, 0)) /
					   (utc(2028, 3, 1, 0) - utc(2027, 3, 1, 0)));
	assert_int_equal(r.credit, 2);
}

static void test_renewal_opens_new_grace_period(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 12, 31, 18));
	struct sub_usage u = {.need = 2, .usage = 2, .allocated = 0};
	int64_t renewal = utc(2028, 12, 31, 18);
	struct sub_year y;
	sub_year_at(&d, renewal, &y);
	assert_int_equal(y.index, 1);
	assert_int_equal(y.grace_end, renewal + 30 * DAY); /* into the next calendar year */
	assert_int_equal(sub_status(&d, &u, renewal + DAY), SUB_RENEWAL_DUE);
	assert_string_equal(sub_status_text(SUB_RENEWAL_DUE), "renewal due");
	/* allocate within 30 days, or it is not licensed */
	assert_int_equal(sub_status(&d, &u, renewal + 30 * DAY), SUB_UNLICENSED);
	u.allocated = 2;
	assert_int_equal(sub_status(&d, &u, renewal + 30 * DAY), SUB_LICENSED);
}

static void test_devices_added_during_year_join_next_renewal_need(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 4, 1, 0));
	struct sub_year y;
	sub_year_at(&d, utc(2027, 4, 10, 0), &y);
	/* during the grace period the need is counted now */
	assert_int_equal(sub_need_cutoff(&y, utc(2027, 4, 10, 0)), utc(2027, 4, 10, 0));
	/* afterwards at its end: devices added later do not count this year */
	sub_year_at(&d, utc(2027, 11, 1, 0), &y);
	assert_int_equal(sub_need_cutoff(&y, utc(2027, 11, 1, 0)), utc(2027, 5, 1, 0));
	/* and join the need of the next year at its grace period */
	sub_year_at(&d, utc(2028, 4, 20, 0), &y);
	assert_int_equal(y.index, 1);
	assert_int_equal(sub_need_cutoff(&y, utc(2028, 4, 20, 0)), utc(2028, 4, 20, 0));
	/* more usage than need, within the allowance, is still fully licensed */
	struct sub_usage u = {.need = 10, .usage = 15, .allocated = 10};
	assert_int_equal(sub_status(&d, &u, utc(2027, 11, 1, 0)), SUB_LICENSED);
}

static void test_growth_allowance_is_100_percent_of_allocated(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 4, 1, 0));
	int64_t t = utc(2027, 11, 1, 0);
	struct sub_usage u = {.need = 10, .usage = 20, .allocated = 10};
	assert_int_equal(sub_status(&d, &u, t), SUB_LICENSED);
	u.usage = 21; /* past 100% growth: flagged, allocation required */
	assert_int_equal(sub_status(&d, &u, t), SUB_OVER_ALLOWANCE);
	assert_string_equal(sub_status_text(SUB_OVER_ALLOWANCE), "growth allowance exceeded");
	u.allocated = 11; /* allocating more clears it */
	assert_int_equal(sub_status(&d, &u, t), SUB_LICENSED);
	/* nothing allocated allows no growth */
	u = (struct sub_usage){.need = 0, .usage = 1, .allocated = 0};
	assert_int_equal(sub_status(&d, &u, t), SUB_OVER_ALLOWANCE);
}

static void test_archived_org_makes_subscription_unusable(void **state)
{
	(void)state;
	struct sub_dates d = started(utc(2027, 4, 1, 0));
	struct sub_usage u = {.need = 1, .usage = 1, .allocated = 1, .archived = 1};
	assert_int_equal(sub_status(&d, &u, utc(2027, 6, 1, 0)), SUB_ARCHIVED);
	struct sub_alloc a = {.count = 1, .wallet = 5};
	struct sub_alloc_result r;
	assert_int_equal(sub_allocate_check(&d, &u, &a, utc(2027, 6, 1, 0), &r), -1);
	assert_non_null(strstr(r.why, "archived"));
}

static void test_year_lookup_across_many_years(void **state)
{
	(void)state;
	/* every anniversary for 40 years from a leap day: the year holding t is exact */
	struct sub_dates d = started(utc(2024, 2, 29, 23));
	for (int k = 0; k < 40; k++) {
		struct sub_year y;
		int64_t start = cal_add_years(d.anchor, k);
		sub_year_at(&d, start, &y);
		assert_int_equal(y.index, k);
		sub_year_at(&d, start - 1, &y);
		assert_int_equal(y.index, k ? k - 1 : 0);
	}
	char date[11];
	cal_date(cal_add_years(utc(2024, 2, 29, 23), 1), date);
	assert_string_equal(date, "2025-02-28");
	cal_date(cal_add_years(utc(2024, 2, 29, 23), 4), date);
	assert_string_equal(date, "2028-02-29");
	cal_date(cal_add_years(utc(2027, 12, 31, 23), 1), date);
	assert_string_equal(date, "2028-12-31");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_opens_30_day_grace_period),
		cmocka_unit_test(test_leap_day_start_renews_on_feb_28),
		cmocka_unit_test(test_fully_licensed_when_allocation_matches_need),
		cmocka_unit_test(test_allocation_refused_when_wallet_below_need),
		cmocka_unit_test(test_more_can_be_allocated_for_future_periods),
		cmocka_unit_test(test_renew_up_to_five_years_ahead),
		cmocka_unit_test(test_late_allocation_keeps_dates_and_credits_overlap),
		cmocka_unit_test(test_new_product_date_keeps_org_dates_and_credits_overlap),
		cmocka_unit_test(test_renewal_opens_new_grace_period),
		cmocka_unit_test(test_devices_added_during_year_join_next_renewal_need),
		cmocka_unit_test(test_growth_allowance_is_100_percent_of_allocated),
		cmocka_unit_test(test_archived_org_makes_subscription_unusable),
		cmocka_unit_test(test_year_lookup_across_many_years),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
