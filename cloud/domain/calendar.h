/* calendar: whole-year steps and dates on the UTC calendar, for the license rules
 * (subscription years, the wallet's storage limit). Pure: no clock, no time zone.
 * Not a general date library: only what those rules need. */
#ifndef CLOUD_CALENDAR_H
#define CLOUD_CALENDAR_H

#include <stdint.h>

#define CAL_DAY 86400

/* t moved by `years` calendar years, same UTC time of day. Feb 29 lands on Feb 28 of
 * a year that has none (a year from a leap day never runs into March). */
int64_t cal_add_years(int64_t t, int years);

/* "YYYY-MM-DD" of t (UTC) into out (at least 11 bytes). */
void cal_date(int64_t t, char out[11]);

#endif
