/* subscription: the rules of a product's subscription in an organization, as pure
 * functions of the clock (docs/licenses.md gives them with the manual's words).
 *
 * The organization has one set of subscription dates: the anchor, the start of its
 * first subscription; every subscription year runs from one anniversary of the anchor
 * to the next (the renewal date). A product started later keeps these dates. Each
 * year opens with a 30-day grace period (the first one from the product's own start)
 * in which licenses are allocated from the wallet. The year's need is the usage
 * (enrolled devices running the product) at the end of that grace period; devices
 * added later join the next year's need, free, up to the growth allowance of 100% of
 * the allocated licenses. Nothing here reads the store or the clock. */
#ifndef CLOUD_SUBSCRIPTION_H
#define CLOUD_SUBSCRIPTION_H

#include <stdint.h>

#define SUB_GRACE_DAYS 30
#define SUB_AHEAD_YEARS 5      /* licenses can be allocated this many years ahead */
#define SUB_GROWTH_PERCENT 100 /* annual growth allowance, of the allocated licenses */

struct sub_dates {
	int64_t anchor;     /* the organization's subscription dates */
	int64_t started_at; /* this product's subscription start (>= anchor) */
};

/* One subscription year. */
struct sub_year {
	int index;         /* 0: the year of the anchor, 1: after the first renewal ... */
	int64_t start;     /* its renewal date (the anchor for year 0) */
	int64_t renewal;   /* the next renewal date */
	int64_t grace_end; /* allocate by then */
};

/* Where the year index lands (index < 0 is clamped to 0). */
void sub_year_of(const struct sub_dates *d, int index, struct sub_year *y);
/* The year that holds now (the first when now is before it). */
void sub_year_at(const struct sub_dates *d, int64_t now, struct sub_year *y);

/* The moment the current year's need is counted: now during the grace period, its
 * end afterwards (devices added since join the next year's need). */
int64_t sub_need_cutoff(const struct sub_year *y, int64_t now);

struct sub_usage {
	int64_t need;      /* devices running the product at sub_need_cutoff */
	int64_t usage;     /* devices running it now */
	int64_t allocated; /* licenses allocated to the current year */
	int archived;      /* the organization is archived */
};

enum sub_status {
	SUB_ARCHIVED,       /* unusable: the organization is archived */
	SUB_STARTED,        /* first grace period, not yet fully licensed */
	SUB_RENEWAL_DUE,    /* a renewal's grace period, not yet fully licensed */
	SUB_LICENSED,       /* allocated covers the need */
	SUB_UNLICENSED,     /* grace over, allocated below the need */
	SUB_OVER_ALLOWANCE, /* usage grew past the growth allowance: allocate more */
};
enum sub_status sub_status(const struct sub_dates *d, const struct sub_usage *u, int64_t now);
/* "subscription started", "renewal due", "fully licensed", "not licensed",
 * "growth allowance exceeded", "archived" */
const char *sub_status_text(enum sub_status s);

/* An allocation request: `count` licenses for the year `ahead` years after the
 * current one (0: the current year). */
struct sub_alloc {
	int ahead;
	int64_t count;
	int64_t wallet;            /* licenses usable in the wallet */
	int64_t allocated_already; /* to that year */
};
struct sub_alloc_result {
	const char *why;   /* NULL when allowed; a reason a person reads otherwise */
	int64_t shortfall; /* licenses missing from the wallet (why set) */
	int64_t minimum;   /* licenses the current year still needs */
	int64_t credit;    /* licenses credited back to the wallet for the time gone */
	struct sub_year year; /* the year allocated to */
};
/* Decides an allocation at now: 0 when allowed (res->credit set), -1 with res->why. */
int sub_allocate_check(const struct sub_dates *d, const struct sub_usage *u,
		       const struct sub_alloc *a, int64_t now, struct sub_alloc_result *res);

#endif
