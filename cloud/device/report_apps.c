/* report_apps: see report_apps.h. */
#include "report_apps.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/eap.h"

/* License values of applications/list.cgi [APP]. */
static int license_value_known(const char *v)
{
	static const char *const known[] = {"Valid", "Invalid", "Missing", "Custom", "None"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(v, known[i]))
			return 1;
	return 0;
}

/* One entry; the name of the first bad field, or NULL. */
static const char *app_read(const struct json_doc *d, int o, struct inventory_app *a)
{
	int id;
	if (json_type_of(d, o) != JSON_OBJECT)
		return "apps";
	if (json_get_string(d, o, "name", a->name, sizeof(a->name)) ||
	    !is_printable(a->name, sizeof(a->name) - 1))
		return "apps.name";
	if (json_get_string(d, o, "version", a->version, sizeof(a->version)) ||
	    (a->version[0] && !is_printable(a->version, sizeof(a->version) - 1)))
		return "apps.version";
	if (json_get_string(d, o, "vendor", a->vendor, sizeof(a->vendor)) ||
	    (a->vendor[0] && !is_printable(a->vendor, sizeof(a->vendor) - 1)))
		return "apps.vendor";
	if (json_get_bool(d, o, "running", &a->running))
		return "apps.running";
	if (json_get_string(d, o, "license_state", a->license, sizeof(a->license)) ||
	    !license_value_known(a->license))
		return "apps.license_state";
	if (json_get_int64(d, o, "license_exp", &a->license_exp) || a->license_exp < 0)
		return "apps.license_exp";
	a->app_id[0] = '\0';
	id = json_find(d, o, "app_id");
	if (id >= 0 && (json_tok_string(d, id, a->app_id, sizeof(a->app_id)) != 0 ||
			!eap_app_id_ok(a->app_id)))
		return "apps.app_id";
	return NULL;
}

/* The apps array token, -1 when the report has none (absent or null). */
static int apps_token(const struct request *rq)
{
	int arr = rq->has_json ? json_find(&rq->json, 0, "apps") : -1;
	return arr < 0 || json_tok_is_null(&rq->json, arr) ? -1 : arr;
}

int report_apps_check(struct request *rq, struct reply *rp)
{
	int arr = apps_token(rq);
	if (arr < 0)
		return 0;
	int len = json_array_len(&rq->json, arr);
	if (len < 0 || len > REPORT_APPS_MAX) {
		reply_bad_field(rp, "apps");
		return -1;
	}
	for (int i = 0; i < len; i++) {
		struct inventory_app a;
		const char *bad = app_read(&rq->json, json_array_at(&rq->json, arr, i), &a);
		for (int j = 0; !bad && j < i; j++) { /* one entry per application */
			char other[FIELD_NAME];
			int o = json_array_at(&rq->json, arr, j);
			if (json_get_string(&rq->json, o, "name", other, sizeof(other)) == 0 &&
			    !strcmp(other, a.name))
				bad = "apps.name";
		}
		if (bad) {
			reply_bad_field(rp, bad);
			return -1;
		}
	}
	return 0;
}

int report_apps_store(struct request *rq)
{
	int arr = apps_token(rq);
	if (arr < 0)
		return 0;
	int n = json_array_len(&rq->json, arr);
	struct inventory_app *apps = n > 0 ? calloc((size_t)n, sizeof(*apps)) : NULL;
	int rc = n < 0 || (n > 0 && !apps) ? DB_ERROR : 0;
	for (int i = 0; rc == 0 && i < n; i++)
		if (app_read(&rq->json, json_array_at(&rq->json, arr, i), &apps[i]) != NULL)
			rc = DB_ERROR; /* checked by report_apps_check() before */
	if (rc == 0)
		rc = inventory_replace(rq->c->store, rq->device_id, apps, n, rq->now);
	free(apps);
	return rc;
}
