/* api_admin_subscriptions: admin API for a product's subscription (start, allocation
 * of subscription licenses from the wallet to the current or a later year) and for
 * allocating extension licenses to one device (docs/admin-api.md; the rules are
 * domain/subscription.h and domain/wallet.h, stated in docs/licenses.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"
#include "../device/wake.h"
#include "../domain/calendar.h"
#include "../domain/device_licenses.h"
#include "../http/api.h"
#include "licensing.h"

#define ALLOCATE_MAX LICENSE_COUNT_MAX

/* Loads p (NEED_MANAGE) and refuses an archived organization's product. */
static int product_for_change(struct request *rq, struct reply *rp, struct product *p,
			      const char *type)
{
	if (product_load(rq, rp, rq->arg, NEED_MANAGE, p) != 0)
		return -1;
	if (p->archived) {
		reply_error(rp, 409, "archived",
			    "the organization is archived: its subscriptions cannot be used");
		return -1;
	}
	if (!product_sells(p, type)) {
		reply_error(rp, 400, "bad_request", "%s sells no %s licenses", p->name, type);
		return -1;
	}
	return 0;
}

/* The organization's subscription dates, or now for its first subscription. */
static int org_anchor(struct store *db, const char *org_id, int64_t now, int64_t *anchor)
{
	struct store_rows *st = store_query(db, ST_SUBSCRIPTION_ANCHOR_OF_ORG, "s", org_id);
	int r = st ? store_next(st) : DB_ERROR;
	*anchor = r == 1 && !store_is_null(st, 0) ? store_int(st, 0) : now;
	store_done(st);
	return r == 1 ? 0 : DB_ERROR;
}

/* POST /admin/v1/products/ID/subscription: starts it (grace period of 30 days). */
void admin_subscription_start(struct request *rq, struct reply *rp)
{
	struct product p;
	struct sub_dates d;
	struct sub_year y;
	char date[11];
	struct store *db = rq->c->store;
	if (product_for_change(rq, rp, &p, LICENSE_TYPE_SUBSCRIPTION) != 0)
		return;
	int r = subscription_load(db, p.id, &d);
	if (r == 1) {
		cal_date(d.started_at, date);
		reply_error(rp, 409, "conflict", "the subscription of %s started on %s", p.name,
			    date);
		return;
	}
	d.started_at = rq->now;
	if (r < 0 || org_anchor(db, p.org_id, rq->now, &d.anchor) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	sub_year_at(&d, rq->now, &y);
	cal_date(y.grace_end, date);
	r = store_run(db, ST_SUBSCRIPTIONS_INSERT, "sii", p.id, d.anchor, d.started_at);
	if (r != 1 ||
	    audit(rq, &(struct audit_scope){p.org_id, NULL, NULL}, "subscription.start",
		  "subscription of %s (%s) started; grace period ends %s", p.name, p.app_id,
		  date) != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		if (r == DB_CONSTRAINT)
			reply_error(rp, 409, "conflict", "the subscription has just started");
		else
			reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "product_id", p.id);
	jw_kv_string(w, "status", sub_status_text(SUB_STARTED));
	jw_kv_int(w, "started_at", d.started_at);
	jw_kv_int(w, "grace_end", y.grace_end);
	jw_kv_string(w, "grace_end_date", date);
	jw_kv_int(w, "renewal_at", y.renewal);
	jw_object_end(w);
}

static int64_t allocated_to(struct store *db, const char *product_id, int year)
{
	struct store_rows *st = store_query(db, ST_SUB_ALLOCATED_OF_YEAR, "si", product_id,
					    (int64_t)year);
	int64_t n = st && store_next(st) == 1 ? store_int(st, 0) : DB_ERROR;
	store_done(st);
	return n;
}

/* The answer to an allocation that was only asked about, or refused: why not. */
static void allocation_verdict(struct reply *rp, int status, const struct sub_alloc *a,
			       const struct sub_usage *u, const struct sub_alloc_result *res)
{
	struct json_writer *w = reply_json(rp, status);
	jw_object_begin(w);
	if (status != 200) { /* the error object of every refusal, and the details */
		char msg[256];
		if (res->shortfall)
			snprintf(msg, sizeof(msg), "%s: %" PRId64 " short (wallet %" PRId64
				 ", current need %" PRId64 ")", res->why, res->shortfall, a->wallet,
				 u->need);
		else
			snprintf(msg, sizeof(msg), "%s", res->why);
		jw_key(w, "error");
		jw_object_begin(w);
		jw_kv_string(w, "code", res->shortfall ? "wallet_short" : "refused");
		jw_kv_string(w, "message", msg);
		jw_object_end(w);
	}
	jw_kv_bool(w, "allowed", res->why == NULL);
	jw_key(w, "why");
	jw_string(w, res->why);
	jw_kv_int(w, "shortfall", res->shortfall);
	jw_kv_int(w, "minimum", res->minimum);
	jw_kv_int(w, "credit", res->credit);
	jw_kv_int(w, "wallet", a->wallet);
	jw_kv_int(w, "need", u->need);
	jw_kv_int(w, "year", res->year.index);
	jw_object_end(w);
}

/* POST /admin/v1/products/ID/allocations {count, ahead?, dry_run?}: subscription
 * licenses from the wallet to the current year (ahead 0) or up to 5 years ahead. */
void admin_subscription_allocate(struct request *rq, struct reply *rp)
{
	struct product p;
	struct sub_dates d;
	struct sub_usage u;
	struct sub_alloc a = {0};
	struct sub_alloc_result res;
	int64_t ahead = 0, lapses = 0, shortfall = 0;
	int dry_run = 0;
	char id[DB_ID_LEN], from[11], to[11];
	struct store *db = rq->c->store;
	if (req_int(rq, rp, "count", &a.count) != 0 || req_int_opt(rq, rp, "ahead", &ahead) != 0 ||
	    req_bool_opt(rq, rp, "dry_run", &dry_run) != 0)
		return;
	if (a.count > ALLOCATE_MAX || ahead < -1 || ahead > SUB_AHEAD_YEARS + 1) {
		reply_bad_field(rp, a.count > ALLOCATE_MAX ? "count" : "ahead");
		return;
	}
	a.ahead = (int)ahead;
	if (product_load(rq, rp, rq->arg, dry_run ? NEED_READ : NEED_MANAGE, &p) != 0)
		return;
	int r = subscription_load(db, p.id, &d);
	if (r == 0) {
		reply_error(rp, 409, "not_started", "start the subscription of %s first", p.name);
		return;
	}
	if (r < 0 || subscription_usage(db, &p, &d, rq->now, &u) != 0) {
		reply_internal(rp);
		return;
	}
	struct sub_year cur;
	sub_year_at(&d, rq->now, &cur);
	a.wallet = wallet_count(db, p.id, LICENSE_TYPE_SUBSCRIPTION, rq->now);
	a.allocated_already = a.ahead == 0 ? u.allocated : allocated_to(db, p.id, cur.index + a.ahead);
	if (a.wallet < 0 || a.allocated_already < 0) {
		reply_internal(rp);
		return;
	}
	int ok = sub_allocate_check(&d, &u, &a, rq->now, &res) == 0;
	if (dry_run || !ok) {
		allocation_verdict(rp, ok || dry_run ? 200 : 409, &a, &u, &res);
		return;
	}
	if (db_new_id(id) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	cal_date(res.year.start, from);
	cal_date(res.year.renewal, to);
	r = wallet_take_tx(db, p.id, LICENSE_TYPE_SUBSCRIPTION, rq->now, a.count, &lapses,
			   &shortfall);
	if (r == 0 && res.credit > 0)
		r = wallet_put_tx(db, p.id, LICENSE_TYPE_SUBSCRIPTION, res.credit, rq->now, lapses,
				  id);
	if (r == 0 && store_run(db, ST_SUB_ALLOCATIONS_INSERT, "ssiiii", id, p.id,
				(int64_t)res.year.index, a.count, res.credit, rq->now) != 1)
		r = DB_ERROR;
	if (r == 0 &&
	    audit(rq, &(struct audit_scope){p.org_id, NULL, NULL}, "subscription.allocate",
		  "%" PRId64 " subscription licenses of %s allocated to the year %s to %s"
		  "; %" PRId64 " credited back to the wallet",
		  a.count, p.name, from, to, res.credit) != 0)
		r = DB_ERROR;
	if (r != 0 || store_commit(db) != 0) {
		store_rollback(db);
		if (r == 1) /* taken meanwhile by another allocation */
			reply_error(rp, 409, "wallet_short", "the wallet holds fewer licenses than"
				    " asked for: %" PRId64 " short", shortfall);
		else
			reply_internal(rp);
		return;
	}
	if (a.ahead == 0)
		u.allocated += a.count;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_int(w, "year", res.year.index);
	jw_kv_int(w, "year_start", res.year.start);
	jw_kv_int(w, "renewal_at", res.year.renewal);
	jw_kv_int(w, "licenses", a.count);
	jw_kv_int(w, "credited", res.credit);
	jw_kv_string(w, "status", sub_status_text(sub_status(&d, &u, rq->now)));
	jw_object_end(w);
}

/* POST /admin/v1/products/ID/extension-allocations {serial, key_file?}: one extension
 * license from the wallet, granted to the organization's enrolled device with that
 * serial — with the vendor's key file for that serial when the camera needs one (an
 * Axis camera installs nothing else; device_license_grant checks that it names this
 * serial and application). */
void admin_extension_allocate(struct request *rq, struct reply *rp)
{
	struct product p;
	char serial[FIELD_SHORT], dev[DB_ID_LEN] = "", id[DB_ID_LEN];
	char grant[DB_ID_LEN];
	int64_t lapses = 0, shortfall = 0;
	struct store *db = rq->c->store;
	static char key_file[DL_KEY_FILE_B64_MAX + 1];
	key_file[0] = '\0';
	if (req_string(rq, rp, "serial", serial, sizeof(serial)) != 0 ||
	    req_string_opt(rq, rp, "key_file", key_file, sizeof(key_file)) != 0 ||
	    product_for_change(rq, rp, &p, LICENSE_TYPE_EXTENSION) != 0)
		return;
	int r = device_license_holder(db, p.org_id, serial, dev);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no enrolled device %s in this organization",
			    serial);
		return;
	}
	if (r < 0 || db_new_id(id) != 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	/* the wallet gives one and the device licenses record it, in one transaction */
	r = wallet_take_tx(db, p.id, LICENSE_TYPE_EXTENSION, rq->now, 1, &lapses, &shortfall);
	if (r == 0)
		r = device_license_grant(db, rq->now, p.org_id, serial, p.app_id,
					 LICENSE_KIND_EXTENSION, 0, key_file[0] ? key_file : NULL,
					 grant);
	if (r == 0 && store_run(db, ST_EXTENSION_ALLOCATIONS_INSERT, "ssssis", id, p.id, serial,
				dev, rq->now, grant) != 1)
		r = DB_ERROR;
	if (r == 0 &&
	    audit(rq, &(struct audit_scope){p.org_id, NULL, dev}, "extension.allocate",
		  "an extension license of %s (%s) allocated to %s", p.name, p.app_id,
		  serial) != 0)
		r = DB_ERROR;
	if (r != 0 || store_commit(db) != 0) {
		store_rollback(db);
		if (r == 1)
			reply_error(rp, 409, "wallet_short",
				    "the wallet holds no extension licenses of %s", p.name);
		else if (r != DB_ERROR)
			reply_error(rp, 400, "bad_request", "%s", device_license_refusal(r));
		else
			reply_internal(rp);
		return;
	}
	device_wake(rq->c, db, dev); /* it fetches the new license now */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "serial", serial);
	jw_kv_string(w, "device_id", dev);
	jw_kv_string(w, "license_id", grant);
	jw_object_end(w);
}
