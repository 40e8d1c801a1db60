/* licensing: products, wallets and subscriptions for the admin handlers (see
 * licensing.h). */
#include "licensing.h"

#include <stdio.h>
#include <string.h>

#include "../domain/license_usage.h"
#include "../domain/wallet.h"

#define LOTS_MAX 256 /* lots of one type considered at once, earliest lapse first */

int product_load(struct request *rq, struct reply *rp, const char *id, enum access_need need,
		 struct product *p)
{
	struct store_rows *st = store_query(rq->c->store, ST_PRODUCT_BY_ID, "s", id);
	int r = st ? store_next(st) : DB_ERROR;
	memset(p, 0, sizeof(*p));
	if (r == 1 && (store_str(st, 0, p->id, sizeof(p->id)) ||
		       store_str(st, 1, p->org_id, sizeof(p->org_id)) ||
		       store_str(st, 2, p->name, sizeof(p->name)) ||
		       store_str(st, 3, p->app_id, sizeof(p->app_id)) ||
		       store_str(st, 4, p->types, sizeof(p->types)) ||
		       store_str(st, 5, p->public_key, sizeof(p->public_key))))
		r = DB_ERROR;
	if (r == 1) {
		p->created_at = store_int(st, 6);
		p->archived = store_int(st, 7) != 0;
	}
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such product");
		return -1;
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	return authorize(rq, rp, p->org_id, NULL, need);
}

const char *product_type_next(const char *s, char type[LICENSE_TYPE_LEN])
{
	if (!*s)
		return NULL;
	size_t k = strcspn(s, ",");
	snprintf(type, LICENSE_TYPE_LEN, "%.*s", (int)k, s);
	return s + k + (s[k] == ',');
}

int product_sells(const struct product *p, const char *type)
{
	char t[LICENSE_TYPE_LEN];
	for (const char *s = p->types; (s = product_type_next(s, t));)
		if (strcmp(t, type) == 0)
			return 1;
	return 0;
}

/* The lots of type with licenses left, earliest lapse first: count, or DB_ERROR. */
static int lots_load(struct store *s, const char *product_id, const char *type,
		     struct wallet_lot *lots, char (*ids)[DB_ID_LEN])
{
	struct store_rows *st =
		store_query(s, ST_WALLET_LOTS_OF_PRODUCT_TYPE, "ss", product_id, type);
	int n = 0, r = st ? 1 : DB_ERROR;
	while (r == 1 && n < LOTS_MAX && (r = store_next(st)) == 1) {
		if (store_str(st, 0, ids[n], DB_ID_LEN) != 0) {
			r = DB_ERROR;
			break;
		}
		lots[n].left = store_int(st, 1);
		lots[n].lapses_at = store_int(st, 2);
		n++;
	}
	store_done(st);
	return r < 0 ? DB_ERROR : n;
}

int64_t wallet_count(struct store *s, const char *product_id, const char *type, int64_t now)
{
	struct wallet_lot lots[LOTS_MAX];
	char ids[LOTS_MAX][DB_ID_LEN];
	int n = lots_load(s, product_id, type, lots, ids);
	return n < 0 ? DB_ERROR : wallet_available(lots, (size_t)n, now);
}

int wallet_take_tx(struct store *s, const char *product_id, const char *type, int64_t now,
		   int64_t n, int64_t *lapses_at, int64_t *shortfall)
{
	struct wallet_lot lots[LOTS_MAX];
	char ids[LOTS_MAX][DB_ID_LEN];
	int64_t take[LOTS_MAX];
	int k = lots_load(s, product_id, type, lots, ids);
	if (k < 0)
		return DB_ERROR;
	if (wallet_take(lots, (size_t)k, now, n, take, shortfall) != 0)
		return 1;
	*lapses_at = 0;
	for (int i = 0; i < k; i++) {
		if (!take[i])
			continue;
		if (store_run(s, ST_WALLET_LOT_TAKE, "isi", take[i], ids[i], take[i]) != 1)
			return DB_ERROR; /* changed under us: the caller rolls back */
		if (lots[i].lapses_at > *lapses_at)
			*lapses_at = lots[i].lapses_at;
	}
	return 0;
}

int wallet_put_tx(struct store *s, const char *product_id, const char *type, int64_t n,
		  int64_t now, int64_t lapses_at, const char *source)
{
	char id[DB_ID_LEN];
	if (db_new_id(id) != 0)
		return DB_ERROR;
	return store_run(s, ST_WALLET_LOTS_INSERT, "sssiiiis", id, product_id, type, n, n, now,
			 lapses_at, source) == 1 ? 0 : DB_ERROR;
}

int subscription_load(struct store *s, const char *product_id, struct sub_dates *d)
{
	struct store_rows *st = store_query(s, ST_SUBSCRIPTION_OF_PRODUCT, "s", product_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		d->anchor = store_int(st, 0);
		d->started_at = store_int(st, 1);
	}
	store_done(st);
	return r;
}

int subscription_usage(struct store *s, const struct product *p, const struct sub_dates *d,
		       int64_t now, struct sub_usage *u)
{
	struct sub_year y;
	sub_year_at(d, now, &y);
	memset(u, 0, sizeof(*u));
	u->archived = p->archived;
	u->need = license_usage_count(s, p->org_id, p->app_id, sub_need_cutoff(&y, now));
	u->usage = license_usage_count(s, p->org_id, p->app_id, now);
	struct store_rows *st =
		store_query(s, ST_SUB_ALLOCATED_OF_YEAR, "si", p->id, (int64_t)y.index);
	int r = st ? store_next(st) : DB_ERROR;
	u->allocated = r == 1 ? store_int(st, 0) : 0;
	store_done(st);
	return r == 1 && u->need >= 0 && u->usage >= 0 ? 0 : DB_ERROR;
}
