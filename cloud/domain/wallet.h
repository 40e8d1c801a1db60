/* wallet: the rules of a product's wallet, as pure functions of the clock. A wallet
 * holds lots: the licenses of one type one redeemed key (or a credit) added, kept
 * for up to 5 years from redemption; what is not allocated by then lapses. Taking
 * licenses uses the lots that lapse first. The store holds the lots; this decides. */
#ifndef CLOUD_WALLET_H
#define CLOUD_WALLET_H

#include <stddef.h>
#include <stdint.h>

#define WALLET_STORAGE_YEARS 5
/* A lot is listed as "lapsing on DATE" this long before it lapses. */
#define WALLET_LAPSE_NOTICE_DAYS 90

/* When the unallocated licenses of a lot redeemed at redeemed_at lapse. */
int64_t wallet_lapses_at(int64_t redeemed_at);

enum wallet_lot_state {
	LOT_HELD,    /* usable, lapse date still far */
	LOT_LAPSING, /* usable, lapses within the notice period */
	LOT_LAPSED,  /* no longer usable */
};
enum wallet_lot_state wallet_lot_state(int64_t lapses_at, int64_t now);
/* "held until DATE", "lapsing on DATE", "lapsed on DATE" into out. */
void wallet_lot_text(int64_t lapses_at, int64_t now, char *out, size_t outsz);

struct wallet_lot {
	int64_t left;      /* licenses still in it */
	int64_t lapses_at;
};

/* Licenses usable at now across lots. */
int64_t wallet_available(const struct wallet_lot *lots, size_t n, int64_t now);

/* Plans taking `want` licenses: take[i] from lots[i], earliest lapse first, never
 * from a lapsed lot. 0, or -1 with *shortfall the number missing (take untouched). */
int wallet_take(const struct wallet_lot *lots, size_t n, int64_t now, int64_t want,
		int64_t *take, int64_t *shortfall);

#endif
