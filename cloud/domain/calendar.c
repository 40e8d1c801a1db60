/* calendar: civil dates from day numbers and back (the well-known days-from-civil
 * arithmetic on a proleptic Gregorian calendar), for whole-year steps. */
#include "calendar.h"

#include <stdio.h>

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of y-m-d. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void split(int64_t t, int64_t *days, int64_t *secs)
{
	*days = t / CAL_DAY;
	*secs = t % CAL_DAY;
	if (*secs < 0) {
		*secs += CAL_DAY;
		(*days)--;
	}
}

int64_t cal_add_years(int64_t t, int years)
{
	int64_t days, secs, y;
	int m, d;
	split(t, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	y += years;
	if (m == 2 && d == 29 && !is_leap(y))
		d = 28;
	return days_from_civil(y, m, d) * CAL_DAY + secs;
}

void cal_date(int64_t t, char out[11])
{
	int64_t days, secs, y;
	int m, d;
	split(t, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", (int)(y % 10000), m, d);
}
