/* api_admin_products: admin API for products (registering one in an organization,
 * the product overview with its wallet and subscription status) and redeeming license
 * keys into a product's wallet (docs/admin-api.md, "Products, wallet and
 * subscriptions"; the rules in docs/licenses.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../domain/calendar.h"
#include "../domain/wallet.h"
#include "../http/api.h"
#include "licensing.h"
#include "audit_commit.h"
#include "found.h"

/* Reads "types" (an array of license type names) into p->types, comma-separated. */
static int req_types(struct request *rq, struct reply *rp, struct product *p)
{
	int arr = rq->has_json ? json_find(&rq->json, 0, "types") : -1;
	int n = arr < 0 ? -1 : json_array_len(&rq->json, arr);
	p->types[0] = '\0';
	for (int i = 0; i < n; i++) {
		char type[LICENSE_TYPE_LEN];
		int t = json_array_at(&rq->json, arr, i);
		if (json_type_of(&rq->json, t) != JSON_STRING ||
		    json_tok_string(&rq->json, t, type, sizeof(type)) < 0 || !license_type_ok(type) ||
		    product_sells(p, type) ||
		    strlen(p->types) + strlen(type) + 2 > sizeof(p->types))
			break;
		if (p->types[0])
			strcat(p->types, ",");
		strcat(p->types, type);
		if (i == n - 1)
			return 0;
	}
	reply_error(rp, 400, "bad_request",
		    "types: a list of distinct license types ([a-z0-9_-], e.g. \"subscription\")");
	return -1;
}

/* 1 when org_id is archived, 0 when not, -1 after filling rp. */
static int org_archived(struct request *rq, struct reply *rp, const char *org_id)
{
	struct store_rows *st = store_query(rq->c->store, ST_ORG_ARCHIVED, "s", org_id);
	int r = st ? store_next(st) : DB_ERROR;
	int archived = r == 1 && store_int(st, 0) != 0;
	store_done(st);
	return reply_unless_found(rp, r, "organization") == 1 ? archived : -1;
}

void admin_product_register(struct request *rq, struct reply *rp)
{
	struct product p;
	char id[DB_ID_LEN];
	struct store *db = rq->c->store;
	memset(&p, 0, sizeof(p));
	if (req_string(rq, rp, "org_id", p.org_id, sizeof(p.org_id)) != 0 ||
	    req_string(rq, rp, "name", p.name, sizeof(p.name)) != 0 ||
	    req_string(rq, rp, "app_id", p.app_id, sizeof(p.app_id)) != 0)
		return;
	int t = rq->has_json ? json_find(&rq->json, 0, "public_key") : -1;
	if (t < 0 || json_type_of(&rq->json, t) != JSON_STRING ||
	    json_tok_string(&rq->json, t, p.public_key, sizeof(p.public_key)) < 0 ||
	    license_key_public_ok(p.public_key) != 0) {
		reply_error(rp, 400, "bad_request",
			    "public_key: the vendor's key-signing public key (EC P-256, PEM)");
		return;
	}
	if (req_types(rq, rp, &p) != 0 || authorize(rq, rp, p.org_id, NULL, NEED_MANAGE) != 0)
		return;
	int archived = org_archived(rq, rp, p.org_id);
	if (archived < 0)
		return;
	if (archived) {
		reply_error(rp, 409, "archived", "the organization is archived");
		return;
	}
	if (db_new_id(id) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int r = store_run(db, ST_PRODUCTS_INSERT, "ssssssi", id, p.org_id, p.name, p.app_id,
			  p.types, p.public_key, rq->now);
	if (r == DB_CONSTRAINT) {
		store_rollback(db);
		reply_error(rp, 409, "conflict", "application %s is already registered in this"
			    " organization", p.app_id);
		return;
	}
	if (audit_commit(rq, rp, r == 1, &(struct audit_scope){p.org_id, NULL, NULL},
			 "product.register", "product %s: %s (%s), sells %s", id, p.name, p.app_id,
			 p.types) != 0)
		return;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_object_end(w);
}

/* "wallet": {"counts": {type: usable}, "lots": [...]} of product p at now. */
static int product_wallet(struct json_writer *w, struct store *db, const struct product *p,
			  int64_t now)
{
	char text[64];
	jw_key(w, "wallet");
	jw_object_begin(w);
	jw_key(w, "counts");
	jw_object_begin(w);
	char type[LICENSE_TYPE_LEN];
	for (const char *s = p->types; (s = product_type_next(s, type));) {
		int64_t n = wallet_count(db, p->id, type, now);
		if (n < 0)
			return DB_ERROR;
		jw_kv_int(w, type, n);
	}
	jw_object_end(w);
	jw_key(w, "lots");
	jw_array_begin(w);
	struct store_rows *st = store_query(db, ST_WALLET_LOTS_OF_PRODUCT, "s", p->id);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		int64_t lapses = store_int(st, 5);
		wallet_lot_text(lapses, now, text, sizeof(text));
		jw_object_begin(w);
		jw_kv_string(w, "id", store_text(st, 0));
		jw_kv_string(w, "type", store_text(st, 1));
		jw_kv_int(w, "total", store_int(st, 2));
		jw_kv_int(w, "left", store_int(st, 3));
		jw_kv_int(w, "redeemed_at", store_int(st, 4));
		jw_kv_int(w, "lapses_at", lapses);
		jw_kv_string(w, "state", text);
		jw_kv_string(w, "source", store_text(st, 6));
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	return r < 0 ? DB_ERROR : 0;
}

/* "subscription": null, or its status, dates, need, usage and allocations. */
static int product_subscription(struct json_writer *w, struct store *db,
				const struct product *p, int64_t now, int *flagged)
{
	struct sub_dates d;
	struct sub_usage u;
	struct sub_year y;
	char date[11];
	jw_key(w, "subscription");
	int r = subscription_load(db, p->id, &d);
	if (r <= 0) {
		jw_null(w);
		return r;
	}
	if (subscription_usage(db, p, &d, now, &u) != 0)
		return DB_ERROR;
	sub_year_at(&d, now, &y);
	enum sub_status s = sub_status(&d, &u, now);
	*flagged |= s == SUB_OVER_ALLOWANCE;
	jw_object_begin(w);
	jw_kv_string(w, "status", sub_status_text(s));
	jw_kv_int(w, "started_at", d.started_at);
	jw_kv_int(w, "year", y.index);
	jw_kv_int(w, "year_start", y.start);
	jw_kv_int(w, "renewal_at", y.renewal);
	jw_kv_int(w, "grace_end", y.grace_end);
	cal_date(y.grace_end, date);
	jw_kv_string(w, "grace_end_date", date);
	cal_date(y.renewal, date);
	jw_kv_string(w, "renewal_date", date);
	jw_kv_int(w, "need", u.need);
	jw_kv_int(w, "usage", u.usage);
	jw_kv_int(w, "allocated", u.allocated);
	jw_key(w, "allocations");
	jw_array_begin(w);
	struct store_rows *st =
		store_query(db, ST_SUB_ALLOCATED_BY_YEAR, "si", p->id, (int64_t)y.index);
	r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		struct sub_year k;
		sub_year_of(&d, (int)store_int(st, 0), &k);
		jw_object_begin(w);
		jw_kv_int(w, "year", k.index);
		jw_kv_int(w, "year_start", k.start);
		jw_kv_int(w, "renewal_at", k.renewal);
		jw_kv_int(w, "licenses", store_int(st, 1));
		jw_kv_int(w, "credited", store_int(st, 2));
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	return r < 0 ? DB_ERROR : 0;
}

static int product_object(struct json_writer *w, struct store *db, const struct product *p,
			  int64_t now, int *flagged)
{
	static const struct json_col ext_cols[] = {
		{"id", COL_TEXT}, {"serial", COL_TEXT}, {"device_id", COL_TEXT},
		{"allocated_at", COL_INT}, {"license_id", COL_TEXT},
	};
	jw_object_begin(w);
	jw_kv_string(w, "id", p->id);
	jw_kv_string(w, "org_id", p->org_id);
	jw_kv_string(w, "name", p->name);
	jw_kv_string(w, "app_id", p->app_id);
	jw_key(w, "types");
	jw_array_begin(w);
	char type[LICENSE_TYPE_LEN];
	for (const char *s = p->types; (s = product_type_next(s, type));)
		jw_string(w, type);
	jw_array_end(w);
	jw_kv_int(w, "created_at", p->created_at);
	jw_kv_bool(w, "archived", p->archived);
	if (product_wallet(w, db, p, now) != 0 || product_subscription(w, db, p, now, flagged) != 0)
		return DB_ERROR;
	jw_key(w, "extension_allocations");
	int r = db_write_rows(w, store_query(db, ST_EXTENSION_ALLOCATIONS_OF_PRODUCT, "s", p->id),
			      ext_cols, JSON_COLS(ext_cols));
	jw_object_end(w);
	return r;
}

void admin_product_show(struct request *rq, struct reply *rp)
{
	struct product p;
	int flagged = 0;
	if (product_load(rq, rp, rq->arg, NEED_READ, &p) != 0)
		return;
	if (product_object(reply_json(rp, 200), rq->c->store, &p, rq->now, &flagged) != 0)
		reply_internal(rp);
}

/* GET /admin/v1/products?org_id=: every product of the organization with its wallet
 * and subscription, and whether the organization is flagged for growing past its
 * growth allowance. */
void admin_product_list(struct request *rq, struct reply *rp)
{
	const char *org = evhttp_find_header(&rq->query, "org_id");
	struct db_ids ids = {0};
	int flagged = 0;
	if (!org || !is_hex_id(org)) {
		reply_bad_field(rp, "org_id");
		return;
	}
	if (authorize(rq, rp, org, NULL, NEED_READ) != 0)
		return;
	int r = store_collect_ids(rq->c->store, &ids, ST_PRODUCT_IDS_OF_ORG, "s", org);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "org_id", org);
	jw_key(w, "products");
	jw_array_begin(w);
	for (size_t i = 0; r >= 0 && i < ids.n; i++) {
		struct product p;
		if (product_load(rq, rp, ids.id[i], NEED_READ, &p) != 0 ||
		    product_object(w, rq->c->store, &p, rq->now, &flagged) != 0)
			r = DB_ERROR;
	}
	jw_array_end(w);
	jw_kv_bool(w, "organization_flagged", flagged);
	jw_object_end(w);
	db_ids_free(&ids);
	if (r < 0)
		reply_internal(rp);
}

/* Why a key id that is already in redeemed_keys cannot redeem again. */
static void refuse_redeemed(struct request *rq, struct reply *rp, const char *org_id,
			    const char *key_id)
{
	char other[DB_ID_LEN] = "", date[11];
	struct store_rows *st = store_query(rq->c->store, ST_REDEEMED_KEY_BY_ID, "s", key_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, other, sizeof(other)) != 0)
		r = DB_ERROR;
	int64_t at = r == 1 ? store_int(st, 1) : 0;
	store_done(st);
	if (r != 1) {
		reply_internal(rp);
		return;
	}
	cal_date(at, date);
	reply_error(rp, 409, "already_redeemed",
		    "license key %s was already redeemed on %s %s", key_id, date,
		    strcmp(other, org_id) == 0 ? "in this organization"
					       : "in another organization");
}

/* POST /admin/v1/license-keys/redeem {org_id, key}: every license of the key into the
 * wallet of the organization's product it names, once. */
void admin_key_redeem(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], key[LICENSE_KEY_MAX], pid[DB_ID_LEN] = "";
	struct license_key k;
	struct product p;
	const char *why;
	struct store *db = rq->c->store;
	if (req_string(rq, rp, "org_id", org, sizeof(org)) != 0 ||
	    req_string(rq, rp, "key", key, sizeof(key)) != 0 ||
	    authorize(rq, rp, org, NULL, NEED_MANAGE) != 0)
		return;
	if (license_key_parse(key, &k, &why) != 0) {
		reply_error(rp, 400, "invalid_key", "%s", why);
		return;
	}
	struct store_rows *st = store_query(db, ST_PRODUCT_BY_ORG_APP, "ss", org, k.app_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, pid, sizeof(pid)) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 409, "product_not_registered",
			    "the key is for application %s, which is not registered in this"
			    " organization", k.app_id);
		return;
	}
	if (r < 0) {
		reply_internal(rp);
		return;
	}
	if (product_load(rq, rp, pid, NEED_MANAGE, &p) != 0)
		return;
	if (p.archived) {
		reply_error(rp, 409, "archived", "the organization is archived");
		return;
	}
	if (license_key_verify(key, p.public_key) != 0) {
		reply_error(rp, 400, "bad_signature",
			    "the key is not signed by the vendor key of %s", p.name);
		return;
	}
	st = store_query(db, ST_REDEEMED_KEY_BY_ID, "s", k.key_id);
	r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r != 0) {
		if (r == 1)
			refuse_redeemed(rq, rp, org, k.key_id);
		else
			reply_internal(rp);
		return;
	}
	for (size_t i = 0; i < k.ntypes; i++)
		if (!product_sells(&p, k.lic[i].type)) {
			reply_error(rp, 400, "invalid_key", "%s sells no %s licenses", p.name,
				    k.lic[i].type);
			return;
		}
	if (store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	r = store_run(db, ST_REDEEMED_KEYS_INSERT, "sssi", k.key_id, org, p.id, rq->now);
	if (r == DB_CONSTRAINT) {
		store_rollback(db);
		refuse_redeemed(rq, rp, org, k.key_id);
		return;
	}
	char what[256] = "";
	for (size_t i = 0; r == 1 && i < k.ntypes; i++) {
		size_t n = strlen(what);
		snprintf(what + n, sizeof(what) - n, "%s%" PRId64 " %s", i ? ", " : "",
			 k.lic[i].count, k.lic[i].type);
		if (wallet_put_tx(db, p.id, k.lic[i].type, k.lic[i].count, rq->now,
				  wallet_lapses_at(rq->now), k.key_id) != 0)
			r = DB_ERROR;
	}
	if (audit_commit(rq, rp, r == 1, &(struct audit_scope){org, NULL, NULL},
			 "license_key.redeem", "license key %s redeemed for %s (%s): %s", k.key_id,
			 p.name, p.app_id, what) != 0)
		return;
	log_info("license key %s redeemed for product %s", k.key_id, p.id);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "key_id", k.key_id);
	jw_kv_string(w, "product_id", p.id);
	jw_key(w, "added");
	jw_object_begin(w);
	for (size_t i = 0; i < k.ntypes; i++)
		jw_kv_int(w, k.lic[i].type, k.lic[i].count);
	jw_object_end(w);
	jw_kv_int(w, "lapses_at", wallet_lapses_at(rq->now));
	jw_object_end(w);
}
