/* subscription: years, grace periods, status and allocation (see subscription.h). */
#include "subscription.h"

#include "calendar.h"

#define GRACE ((int64_t)SUB_GRACE_DAYS * CAL_DAY)

void sub_year_of(const struct sub_dates *d, int index, struct sub_year *y)
{
	if (index < 0)
		index = 0;
	y->index = index;
	y->start = cal_add_years(d->anchor, index);
	y->renewal = cal_add_years(d->anchor, index + 1);
	/* the product's first grace period runs from its own start */
	int64_t from = d->started_at > y->start && d->started_at < y->renewal ? d->started_at
										: y->start;
	y->grace_end = from + GRACE;
}

void sub_year_at(const struct sub_dates *d, int64_t now, struct sub_year *y)
{
	int k = 0;
	if (now > d->anchor) /* a first guess in whole 365.2425-day years, then exact */
		k = (int)((now - d->anchor) / (int64_t)(365.2425 * CAL_DAY));
	while (k > 0 && cal_add_years(d->anchor, k) > now)
		k--;
	while (cal_add_years(d->anchor, k + 1) <= now)
		k++;
	sub_year_of(d, k, y);
}

int64_t sub_need_cutoff(const struct sub_year *y, int64_t now)
{
	return now < y->grace_end ? now : y->grace_end;
}

/* Usage past the allocated licenses plus the growth allowance on them. */
static int over_allowance(const struct sub_usage *u)
{
	return u->usage * 100 > u->allocated * (100 + SUB_GROWTH_PERCENT);
}

enum sub_status sub_status(const struct sub_dates *d, const struct sub_usage *u, int64_t now)
{
	struct sub_year y;
	if (u->archived)
		return SUB_ARCHIVED;
	sub_year_at(d, now, &y);
	if (now < y.grace_end) {
		if (u->allocated > 0 && u->allocated >= u->need)
			return SUB_LICENSED;
		return d->started_at >= y.start ? SUB_STARTED : SUB_RENEWAL_DUE;
	}
	if (u->allocated < u->need)
		return SUB_UNLICENSED;
	return over_allowance(u) ? SUB_OVER_ALLOWANCE : SUB_LICENSED;
}

const char *sub_status_text(enum sub_status s)
{
	switch (s) {
	case SUB_ARCHIVED:
		return "archived";
	case SUB_STARTED:
		return "subscription started";
	case SUB_RENEWAL_DUE:
		return "renewal due";
	case SUB_LICENSED:
		return "fully licensed";
	case SUB_UNLICENSED:
		return "not licensed";
	case SUB_OVER_ALLOWANCE:
		return "growth allowance exceeded";
	}
	return "?";
}

int sub_allocate_check(const struct sub_dates *d, const struct sub_usage *u,
		       const struct sub_alloc *a, int64_t now, struct sub_alloc_result *res)
{
	struct sub_year cur;
	*res = (struct sub_alloc_result){0};
	sub_year_at(d, now, &cur);
	sub_year_of(d, cur.index + (a->ahead > 0 ? a->ahead : 0), &res->year);
	if (u->archived)
		res->why = "the organization is archived: its subscriptions cannot be used";
	else if (a->ahead < 0 || a->ahead > SUB_AHEAD_YEARS)
		res->why = "licenses can be allocated to the current year and up to 5 years ahead";
	else if (a->count < 1)
		res->why = "allocate at least one license";
	if (res->why)
		return -1;
	int64_t want = a->count;
	if (a->ahead == 0) {
		int64_t left = u->need - a->allocated_already;
		res->minimum = left > 0 ? left : 0;
		if (want < res->minimum)
			want = res->minimum;
	}
	if (a->wallet < want) {
		res->shortfall = want - a->wallet;
		res->why = a->ahead == 0 && a->wallet < res->minimum
				   ? "the wallet holds fewer licenses than the current need"
				   : "the wallet holds fewer licenses than asked for";
		return -1;
	}
	if (a->count < res->minimum) {
		res->why = "fewer licenses than the current need";
		return -1;
	}
	/* Late in the year (after its grace period, or a product started after the
	 * organization's dates), the dates stay: the time gone is credited back. */
	if (a->ahead == 0 && (now >= cur.grace_end || d->started_at > cur.start))
		res->credit = a->count * (now - cur.start) / (cur.renewal - cur.start);
	return 0;
}
