/* api_admin_apps: admin API §8 for the application catalog: adding a package (.eap),
 * listing the packages, one package, and the recommended package of an app for an
 * architecture. The catalog is fleet-wide, as the image catalog is: adding to it or
 * recommending needs NEED_MANAGE outside any one organization. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/crypto.h"
#include "../../lib/eap.h"
#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "../domain/apps.h"
#include "../domain/jobs.h"
#include "../domain/upload_rules.h"
#include "../http/access.h"
#include "../http/api.h"
#include "catalog_add.h"

#define APP_PACKAGE_MAX UPLOAD_APP_MAX /* 2 GiB: far above any ACAP package */

/* Copies src to dst (created, mode 0644) and fsyncs it; -1 with errno. */
static int copy_file(const char *src, const char *dst, uint64_t max)
{
	char chunk[64 * 1024];
	uint64_t total = 0;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		goto done;
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			errno = EFBIG;
			goto done;
		}
		if (fs_write_all(out, chunk, (size_t)n) != 0)
			goto done;
	}
	rc = fsync(out);
done:
	if (out >= 0 && close(out) != 0)
		rc = -1;
	close(in);
	return rc;
}

/* key: ["A", "B"] from the "A,B" a column stores. */
static void kv_comma_list(struct json_writer *w, const char *key, const char *list)
{
	jw_key(w, key);
	jw_array_begin(w);
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		char item[EAP_FIELD_MAX * 2 + 2];
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		jw_string(w, item);
		p += n + (p[n] == ',');
	}
	jw_array_end(w);
}

static void package_object(struct json_writer *w, struct store_rows *st)
{
	jw_object_begin(w);
	jw_kv_string(w, "id", store_text(st, 0));
	jw_kv_string(w, "app", store_text(st, 1));
	jw_kv_string(w, "version", store_text(st, 2));
	jw_kv_string(w, "architecture", store_text(st, 3));
	jw_kv_string(w, "schema_version", store_text(st, 4));
	jw_kv_string(w, "vendor_id", store_text(st, 5));
	kv_comma_list(w, "compatible_os_versions", store_text(st, 6));
	jw_kv_int(w, "size", store_int(st, 7));
	jw_kv_string(w, "sha256", store_text(st, 8));
	jw_kv_bool(w, "recommended", (int)store_int(st, 9));
	jw_kv_int(w, "created_at", store_int(st, 10));
	kv_comma_list(w, "params", store_text(st, 11)); /* the names its manifest declares */
	jw_object_end(w);
}

/* Answers with the package id (its row), or 404; 0 when answered with the row. */
static int reply_package(struct request *rq, struct reply *rp, const char *id)
{
	struct store_rows *st = store_query(rq->c->store, ST_APP_PACKAGE_BY_ID, "s", id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1)
		package_object(reply_json(rp, 200), st);
	else if (r == 0)
		reply_error(rp, 404, "not_found", "no such application package");
	else
		reply_internal(rp);
	store_done(st);
	return r == 1 ? 0 : -1;
}

/* The manifest of the copy at tmp, refused with the reason when the catalog cannot use it. */
static int read_package(struct reply *rp, const char *tmp, const char *given,
			struct eap_manifest *m)
{
	char why[EAP_TEXT_MAX];
	if (eap_read_manifest(tmp, m, NULL, why, sizeof(why)) != 0) {
		reply_error(rp, 400, "bad_package", "cannot read package %s: %s", given, why);
		return -1;
	}
	if (!eap_app_name_ok(m->app_name) || !m->version[0]) {
		reply_error(rp, 400, "bad_package", "package %s: appName or version unusable",
			    given);
		return -1;
	}
	if (!m->architecture[0] || strcmp(m->architecture, "all") == 0) {
		reply_error(rp, 400, "bad_package",
			    "package %s: the catalog needs one architecture (the manifest has %s)",
			    given, m->architecture[0] ? m->architecture : "none");
		return -1;
	}
	return 0;
}

int app_catalog_add(struct request *rq, struct reply *rp, const char *tmp, const char *given,
		    const char *sha, uint64_t size, char id[DB_ID_LEN])
{
	char dir[PATH_MAX], final[PATH_MAX + 96], old_sha[CRYPTO_SHA256_HEX_LEN] = "";
	char ranges[APP_RANGES_MAX], params[APP_PARAMS_MAX];
	struct eap_manifest m;
	struct store *db = rq->c->store;

	if (size == 0) {
		reply_error(rp, 400, "bad_package", "package file %s is empty", given);
		return -1;
	}
	if (read_package(rp, tmp, given, &m) != 0)
		return -1;
	if (app_ranges_text(&m, ranges, sizeof(ranges)) != 0 ||
	    app_params_text(&m, params, sizeof(params)) != 0) {
		reply_error(rp, 400, "bad_package", "package %s: manifest fields too long", given);
		return -1;
	}
	struct store_rows *st = store_query(db, ST_APP_PACKAGES_BY_NAME_VERSION_ARCH, "sss",
					    m.app_name, m.version, m.architecture);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, id, DB_ID_LEN) != 0 ||
		       store_str(st, 1, old_sha, sizeof(old_sha)) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r == 1 && strcmp(old_sha, sha) != 0) {
		reply_error(rp, 409, "conflict", "%s %s for %s is in the catalog with other content",
			    m.app_name, m.version, m.architecture);
		return -1;
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	if (r == 0) {
		snprintf(dir, sizeof(dir), "%s/apps", rq->c->data_dir);
		snprintf(final, sizeof(final), "%s/%s.eap", dir, sha);
		if (db_new_id(id) != 0 || fs_mkdirs(dir, 0755) != 0 || rename(tmp, final) != 0 ||
		    fs_fsync_dir_of(final) != 0 || store_begin(db) != 0) {
			reply_internal(rp);
			return -1;
		}
		char artifact[DB_ID_LEN], label[EAP_FIELD_MAX * 2 + 2];
		snprintf(label, sizeof(label), "%s/%s", m.app_name, m.architecture);
		if (db_new_id(artifact) != 0 ||
		    store_run(db, ST_APP_ARTIFACT_INSERT, "sssissi", artifact, label, m.version,
			      (int64_t)size, sha, final, rq->now) != 1 ||
		    store_run(db, ST_APP_PACKAGES_INSERT, "sssssssssissis", id, m.app_name,
			      m.version, m.architecture, m.schema_version, m.vendor_id, ranges,
			      m.friendly_name, params, (int64_t)size, sha, final, rq->now,
			      artifact) != 1 ||
		    audit(rq, &(struct audit_scope){0}, "app.add",
			  "package %s added: %s %s for %s, schema %s, %" PRIu64 " bytes, %s", id,
			  m.app_name, m.version, m.architecture, m.schema_version, size, sha) != 0 ||
		    store_commit(db) != 0) {
			store_rollback(db);
			reply_internal(rp);
			return -1;
		}
		log_info("application package %s added: %s %s for %s", id, m.app_name, m.version,
			 m.architecture);
	}
	return reply_package(rq, rp, id);
}

/* POST /admin/v1/apps {"path"}: copies the .eap into the data directory (what the
 * catalog keeps is the copy: it is hashed and read, not the caller's file) and adds it;
 * the same package again answers the existing row. */
void admin_app_upload(struct request *rq, struct reply *rp)
{
	char given[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 32];
	char sha[CRYPTO_SHA256_HEX_LEN], id[DB_ID_LEN];
	uint64_t size = 0;

	if (req_string(rq, rp, "path", given, sizeof(given)) != 0 ||
	    authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0)
		return;
	snprintf(dir, sizeof(dir), "%s/apps", rq->c->data_dir);
	if (db_new_id(id) != 0 || fs_mkdirs(dir, 0755) != 0) {
		reply_internal(rp);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s/.upload-%s", dir, id);
	if (copy_file(given, tmp, APP_PACKAGE_MAX) != 0)
		reply_error(rp, 400, "bad_request", "cannot read package file %s: %s", given,
			    strerror(errno));
	else if (crypto_sha256_file(tmp, sha, &size) != 0)
		reply_error(rp, 400, "bad_package", "package file %s is unreadable", given);
	else
		(void)app_catalog_add(rq, rp, tmp, given, sha, size, id);
	(void)unlink(tmp); /* gone already when it was kept */
}

/* GET /admin/v1/apps[?app=NAME] */
void admin_app_list(struct request *rq, struct reply *rp)
{
	const char *app = evhttp_find_header(&rq->query, "app");
	if (catalog_read(rq, rp) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_APP_PACKAGES_BY_APP, "ss", app, app);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "packages");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		package_object(w, st);
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* GET /admin/v1/apps/<id> */
void admin_app_show(struct request *rq, struct reply *rp)
{
	if (catalog_read(rq, rp) == 0)
		(void)reply_package(rq, rp, rq->arg);
}

/* POST /admin/v1/apps/<id>/recommend: the one recommended package of its app for its
 * architecture (the previous one is cleared). */
void admin_app_recommend(struct request *rq, struct reply *rp)
{
	char app[EAP_FIELD_MAX] = "", version[EAP_FIELD_MAX] = "", arch[EAP_FIELD_MAX] = "";
	struct store *db = rq->c->store;
	if (authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0)
		return;
	struct store_rows *st = store_query(db, ST_APP_PACKAGE_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 1, app, sizeof(app)) != 0 ||
		       store_str(st, 2, version, sizeof(version)) != 0 ||
		       store_str(st, 3, arch, sizeof(arch)) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such application package");
		return;
	}
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	if (store_run(db, ST_APP_PACKAGES_UNRECOMMEND, "ss", app, arch) < 0 ||
	    store_run(db, ST_APP_PACKAGE_RECOMMEND, "s", rq->arg) != 1 ||
	    audit(rq, &(struct audit_scope){0}, "app.recommend",
		  "package %s recommended for %s on %s: %s", rq->arg, app, arch, version) != 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	(void)reply_package(rq, rp, rq->arg);
}

static int action_known(const char *a)
{
	static const char *const actions[] = {"install", "remove", "start", "stop",
					      "restart", "set_params", NULL};
	for (int i = 0; actions[i]; i++)
		if (strcmp(a, actions[i]) == 0)
			return 1;
	return 0;
}

/* 1 when name is one of the package's declared parameters ("A,B" as stored). */
static int param_declared(const char *declared, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = declared; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* "params": [{"name","value"}] of a set_params task, as the JSON array the payload
 * carries; each name must be one the package's manifest declares. */
static int req_app_params(struct request *rq, struct reply *rp, const char *declared,
			  struct job_app *app)
{
	int arr = json_find(&rq->json, 0, "params");
	int n = arr >= 0 ? json_array_len(&rq->json, arr) : -1;
	char name[EAP_FIELD_MAX], value[EAP_TEXT_MAX];
	struct buf out;
	struct json_writer w;
	if (n < 1 || n > EAP_PARAMS) {
		reply_error(rp, 400, "bad_request", "set_params needs params: [{\"name\",\"value\"}]"
			    " (1 to %d)", EAP_PARAMS);
		return -1;
	}
	buf_init(&out, sizeof(app->params) - 1);
	jw_init(&w, &out);
	jw_array_begin(&w);
	for (int i = 0; i < n; i++) {
		int e = json_array_at(&rq->json, arr, i);
		if (json_get_string(&rq->json, e, "name", name, sizeof(name)) != 0 ||
		    json_get_string(&rq->json, e, "value", value, sizeof(value)) != 0 ||
		    !is_printable(value, sizeof(value))) {
			reply_bad_field(rp, "params");
			buf_free(&out);
			return -1;
		}
		if (!param_declared(declared, name)) {
			reply_error(rp, 400, "bad_request",
				    "%s does not declare a parameter %s (its manifest has: %s)",
				    app->name, name, declared[0] ? declared : "none");
			buf_free(&out);
			return -1;
		}
		jw_object_begin(&w);
		jw_kv_string(&w, "name", name);
		jw_kv_string(&w, "value", value);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	int rc = jw_finish(&w) == 0 && out.len < sizeof(app->params) ? 0 : -1;
	if (rc == 0)
		memcpy(app->params, out.data, out.len + 1);
	else
		reply_bad_field(rp, "params");
	buf_free(&out);
	return rc;
}

int req_app_task(struct request *rq, struct reply *rp, struct job_app *app,
		 struct job_spec *spec)
{
	char declared[APP_PARAMS_MAX];
	memset(app, 0, sizeof(*app));
	if (req_string_opt(rq, rp, "app_action", app->action, sizeof(app->action)) != 0)
		return -1;
	if (!app->action[0])
		return 0;
	if (!action_known(app->action)) {
		reply_bad_field(rp, "app_action");
		return -1;
	}
	if (req_string(rq, rp, "package_id", app->package_id, sizeof(app->package_id)) != 0)
		return -1;
	if (!is_hex_id(app->package_id)) {
		reply_bad_field(rp, "package_id");
		return -1;
	}
	struct store_rows *st =
		store_query(rq->c->store, ST_APP_PACKAGE_FOR_JOB, "s", app->package_id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 &&
	    (store_str(st, 0, app->name, sizeof(app->name)) != 0 ||
	     store_str(st, 1, app->version, sizeof(app->version)) != 0 ||
	     store_str(st, 5, spec->image_id, sizeof(spec->image_id)) != 0 ||
	     store_str(st, 6, declared, sizeof(declared)) != 0 ||
	     app_manifest_of_row(store_text(st, 3), store_text(st, 2), store_text(st, 4),
				 &app->m) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 400, "bad_request", "unknown application package %s",
			    app->package_id);
		return -1;
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	snprintf(spec->model, sizeof(spec->model), "%s/%s", app->name, app->m.architecture);
	snprintf(spec->version, sizeof(spec->version), "%s", app->version);
	spec->app = app;
	if (strcmp(app->action, "set_params") == 0)
		return req_app_params(rq, rp, declared, app) == 0 ? 1 : -1;
	return 1;
}
