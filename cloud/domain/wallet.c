/* wallet: lapse dates and taking licenses from lots (see wallet.h). */
#include "wallet.h"

#include <stdio.h>
#include <string.h>

#include "calendar.h"

int64_t wallet_lapses_at(int64_t redeemed_at)
{
	return cal_add_years(redeemed_at, WALLET_STORAGE_YEARS);
}

enum wallet_lot_state wallet_lot_state(int64_t lapses_at, int64_t now)
{
	if (now >= lapses_at)
		return LOT_LAPSED;
	if (lapses_at - now <= (int64_t)WALLET_LAPSE_NOTICE_DAYS * CAL_DAY)
		return LOT_LAPSING;
	return LOT_HELD;
}

void wallet_lot_text(int64_t lapses_at, int64_t now, char *out, size_t outsz)
{
	static const char *const words[] = {
		[LOT_HELD] = "held until",
		[LOT_LAPSING] = "lapsing on",
		[LOT_LAPSED] = "lapsed on",
	};
	char date[11];
	cal_date(lapses_at, date);
	snprintf(out, outsz, "%s %s", words[wallet_lot_state(lapses_at, now)], date);
}

int64_t wallet_available(const struct wallet_lot *lots, size_t n, int64_t now)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		if (lots[i].left > 0 && wallet_lot_state(lots[i].lapses_at, now) != LOT_LAPSED)
			sum += lots[i].left;
	return sum;
}

int wallet_take(const struct wallet_lot *lots, size_t n, int64_t now, int64_t want,
		int64_t *take, int64_t *shortfall)
{
	int64_t have = wallet_available(lots, n, now);
	if (want > have) {
		*shortfall = want - have;
		return -1;
	}
	*shortfall = 0;
	memset(take, 0, n * sizeof(*take));
	while (want > 0) {
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			if (take[i] == lots[i].left ||
			    wallet_lot_state(lots[i].lapses_at, now) == LOT_LAPSED)
				continue;
			if (best == n || lots[i].lapses_at < lots[best].lapses_at)
				best = i;
		}
		int64_t k = lots[best].left - take[best];
		if (k > want)
			k = want;
		take[best] += k;
		want -= k;
	}
	return 0;
}
