/* licensing: what the product, wallet and subscription handlers share — loading a
 * product (and asking the gate about its organization), a product's wallet and
 * subscription as the rules of domain/wallet.h and domain/subscription.h see them,
 * and taking licenses out of the wallet inside the caller's transaction. */
#ifndef CLOUD_LICENSING_H
#define CLOUD_LICENSING_H

#include <stdint.h>

#include "../../lib/crypto.h"
#include "../domain/license_key.h"
#include "../domain/subscription.h"
#include "../http/router.h"

#define PRODUCT_TYPES_LEN 272 /* comma-separated license types */
#define LICENSE_TYPE_SUBSCRIPTION "subscription"
#define LICENSE_TYPE_EXTENSION "extension"

struct product {
	char id[DB_ID_LEN];
	char org_id[DB_ID_LEN];
	char name[129];
	char app_id[LICENSE_APP_LEN];
	char types[PRODUCT_TYPES_LEN];
	char public_key[CRYPTO_PUBKEY_PEM_MAX];
	int64_t created_at;
	int archived; /* its organization is */
};

/* Loads product id and asks authorize() for `need` in its organization: 0, or -1
 * with rp filled (404 for an unknown product). */
int product_load(struct request *rq, struct reply *rp, const char *id, enum access_need need,
		 struct product *p);
/* Whether the product sells licenses of type. */
int product_sells(const struct product *p, const char *type);
/* Walks the product's types: copies the first type of the list at s into type and
 * returns the rest, or NULL at the end. for (s = p->types; (s = product_type_next(s, t));) */
const char *product_type_next(const char *s, char type[LICENSE_TYPE_LEN]);

/* The product's usable licenses of type at now: >= 0, or DB_ERROR. */
int64_t wallet_count(struct store *s, const char *product_id, const char *type, int64_t now);
/* Takes n licenses of type (earliest lapse first) within the caller's transaction.
 * 0 (with *lapses_at the latest lapse date of what was taken), 1 when the wallet is
 * short (*shortfall), DB_ERROR. */
int wallet_take_tx(struct store *s, const char *product_id, const char *type, int64_t now,
		   int64_t n, int64_t *lapses_at, int64_t *shortfall);
/* Puts a lot of n licenses into the wallet (in the caller's transaction). */
int wallet_put_tx(struct store *s, const char *product_id, const char *type, int64_t n,
		  int64_t now, int64_t lapses_at, const char *source);

/* The product's subscription dates: 1, 0 when it has none, DB_ERROR. */
int subscription_load(struct store *s, const char *product_id, struct sub_dates *d);
/* Need, usage and this year's allocation of a started subscription at now. */
int subscription_usage(struct store *s, const struct product *p, const struct sub_dates *d,
		       int64_t now, struct sub_usage *u);

#endif
