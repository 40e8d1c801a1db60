/* api_admin: admin API §8 for creating orgs and folders, enrollment tokens, device
 * listing and removal, and the image catalog (one recommended image per model).
 * Each handler finds the organization (and folder) of what it touches, asks
 * authorize(), and records every change with audit() in the same transaction. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "../http/access.h"
#include "../http/api.h"
#include "audit_commit.h"
#include "../device/wake.h"
#include "../domain/payload.h"
#include "../domain/policy.h"
#include "catalog_add.h"

#define TOKEN_TTL_DEFAULT 86400
#define TOKEN_TTL_MAX (366 * 86400)
#define TOKEN_USES_MAX 1000000

static int req_id(struct request *rq, struct reply *rp, const char *key, char out[DB_ID_LEN])
{
	if (req_string(rq, rp, key, out, DB_ID_LEN) != 0)
		return -1;
	if (!is_hex_id(out)) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}

/* Ends the transaction of one INSERT/UPDATE (changed: its row count) with its history
 * row in where; the caller answers a failure. */
static int write_with_history(struct request *rq, int changed,
			      const struct audit_scope *where, const char *action,
			      const char *detail)
{
	return audit_commit(rq, NULL, changed == 1, where, action, "%s", detail);
}

/* The organization of folder id (live, or deleted ones too) into org: 1, 0 when there
 * is none (rp: 400 unknown folder), -1 (rp: 500). */
static int folder_org(struct request *rq, struct reply *rp, const char *id, int live,
		      char org[DB_ID_LEN])
{
	struct store_rows *st =
		store_query(rq->c->store, live ? ST_ORG_OF_FOLDER : ST_FOLDER_ORG, "s", id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, org, DB_ID_LEN) != 0)
		r = DB_ERROR;
	store_done(st);
	if (r == 0)
		reply_error(rp, 400, "bad_request", "unknown folder %s", id);
	else if (r < 0)
		reply_internal(rp);
	return r;
}

void admin_folder_create(struct request *rq, struct reply *rp)
{
	char org[DB_ID_LEN], parent[DB_ID_LEN] = "", name[FIELD_NAME], id[DB_ID_LEN], detail[256];
	if (req_id(rq, rp, "org_id", org) != 0 ||
	    req_string(rq, rp, "name", name, sizeof(name)) != 0 ||
	    req_string_opt(rq, rp, "parent_id", parent, sizeof(parent)) != 0)
		return;
	if (parent[0] && !is_hex_id(parent)) {
		reply_bad_field(rp, "parent_id");
		return;
	}
	if (authorize(rq, rp, org, parent, NEED_MANAGE) != 0)
		return;
	int r;
	if (parent[0]) {
		struct store_rows *st =
			store_query(rq->c->store, ST_FOLDERS_EXISTS_ID_ORG_ID, "ss", parent, org);
		r = st ? store_next(st) : DB_ERROR;
		store_done(st);
		if (r == 0)
			reply_error(rp, 400, "bad_request", "unknown parent folder %s in org %s",
				    parent, org);
		else if (r < 0)
			reply_internal(rp);
		if (r != 1)
			return;
	}
	if (db_new_id(id) != 0 || store_begin(rq->c->store) != 0) {
		reply_internal(rp);
		return;
	}
	snprintf(detail, sizeof(detail), "folder %s created in org %s: %s", id, org, name);
	/* The store's unique index on sibling names decides (a check before the insert
	 * could pass for two requests at once); the 409 then names the sibling. */
	r = store_run(rq->c->store, ST_FOLDERS_INSERT, "ssssi", id, org, parent[0] ? parent : NULL,
		      name, rq->now);
	if (r == DB_CONSTRAINT) {
		store_rollback(rq->c->store);
		if (folder_name_taken(rq, rp, org, parent, name) == 0)
			reply_internal(rp); /* another constraint: not a name taken */
		return;
	}
	if (audit_commit(rq, rp, r == 1, &(struct audit_scope){org, id, NULL}, "folder.create",
			 "%s", detail) != 0)
		return;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "name", name);
	jw_kv_string(w, "org_id", org);
	if (parent[0])
		jw_kv_string(w, "parent_id", parent);
	jw_object_end(w);
}

void admin_token_create(struct request *rq, struct reply *rp)
{
	char folder[DB_ID_LEN], id[DB_ID_LEN], secret[33], sha[CRYPTO_SHA256_HEX_LEN], detail[256];
	char token[TOKEN_STRING_MAX], org[DB_ID_LEN];
	int64_t ttl = TOKEN_TTL_DEFAULT, max_uses = 1;
	int allow_move = 0;

	if (req_id(rq, rp, "folder_id", folder) != 0 ||
	    req_int_opt(rq, rp, "expires_in", &ttl) != 0 ||
	    req_int_opt(rq, rp, "max_uses", &max_uses) != 0 ||
	    req_bool_opt(rq, rp, "allow_move", &allow_move) != 0)
		return;
	if (ttl < 1 || ttl > TOKEN_TTL_MAX || max_uses < 1 || max_uses > TOKEN_USES_MAX) {
		reply_bad_field(rp, ttl < 1 || ttl > TOKEN_TTL_MAX ? "expires_in" : "max_uses");
		return;
	}
	if (folder_org(rq, rp, folder, 1, org) != 1 ||
	    authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (db_new_id(id) != 0 || crypto_random_hex(secret, 16) != 0 ||
	    token_string(rq->c->public_url, secret, rq->c->signer.fp, token, sizeof(token)) != 0 ||
	    store_begin(rq->c->store) != 0) {
		log_error("admin: cannot make an enrollment token");
		reply_internal(rp);
		goto out;
	}
	crypto_sha256_hex(secret, strlen(secret), sha);
	snprintf(detail, sizeof(detail), "enrollment token %s for folder %s: max_uses %" PRId64
		 ", expires_at %" PRId64 "%s", id, folder, max_uses, rq->now + ttl,
		 allow_move ? ", may move devices of the org here" : "");
	if (audit_commit(rq, rp,
			 store_run(rq->c->store, ST_ENROLLMENT_TOKENS_INSERT, "sssiiib", id, folder,
				   sha, rq->now + ttl, max_uses, rq->now, allow_move) == 1,
			 &(struct audit_scope){org, folder, NULL}, "token.create", "%s", detail) != 0)
		goto out;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "token", token);
	jw_kv_int(w, "expires_at", rq->now + ttl);
	jw_kv_int(w, "max_uses", max_uses);
	jw_kv_bool(w, "allow_move", allow_move);
	jw_object_end(w);
out:
	memset(secret, 0, sizeof(secret));
	memset(token, 0, sizeof(token));
}

/* Revokes the token found by sql (by id or by secret_sha256); idempotent. */
static void revoke_where(struct request *rq, struct reply *rp, enum store_stmt sql, const char *val)
{
	char id[DB_ID_LEN] = "", folder[DB_ID_LEN] = "", org[DB_ID_LEN] = "", detail[128];
	struct store *db = rq->c->store;
	struct store_rows *st = store_query(db, sql, "s", val);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, id, sizeof(id)) != 0 ||
		       store_str(st, 1, folder, sizeof(folder)) != 0 ||
		       store_str(st, 2, org, sizeof(org)) != 0))
		r = DB_ERROR;
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such enrollment token");
		return;
	}
	if (r == 1 && authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (r < 0 || store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	snprintf(detail, sizeof(detail), "enrollment token %s revoked", id);
	r = store_run(db, ST_ENROLLMENT_TOKENS_SET_REVOKED, "s", id);
	/* revoking a revoked token changes nothing and is not history */
	if ((r == 0 ? store_commit(db)
		    : write_with_history(rq, r, &(struct audit_scope){org, folder, NULL},
					 "token.revoke", detail)) != 0) {
		reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_bool(w, "revoked", 1);
	jw_object_end(w);
}

void admin_token_revoke(struct request *rq, struct reply *rp)
{
	revoke_where(rq, rp, ST_ENROLLMENT_TOKENS_BY_ID, rq->arg);
}

void admin_token_revoke_secret(struct request *rq, struct reply *rp)
{
	char secret[FIELD_SHORT], sha[CRYPTO_SHA256_HEX_LEN];
	if (req_string(rq, rp, "secret", secret, sizeof(secret)) != 0)
		return;
	crypto_sha256_hex(secret, strlen(secret), sha);
	memset(secret, 0, sizeof(secret));
	revoke_where(rq, rp, ST_ENROLLMENT_TOKENS_BY_SECRET_SHA256, sha);
}

/* GET /admin/v1/enrollment-tokens[?folder_id=]: never the secret (only its hash is kept). */
void admin_token_list(struct request *rq, struct reply *rp)
{
	const char *folder = evhttp_find_header(&rq->query, "folder_id");
	char org[DB_ID_LEN] = "";
	struct access_view v;
	if (folder && !is_hex_id(folder)) {
		reply_bad_field(rp, "folder_id");
		return;
	}
	if (folder ? folder_org(rq, rp, folder, 0, org) != 1 ||
			     authorize(rq, rp, org, folder, NEED_MANAGE) != 0
		   : access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_MANAGE, 0,
				 &v) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_ENROLLMENT_TOKENS_BY_FOLDER_ID, "ss",
					    folder, folder ? org : view_org(&v));
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "tokens");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		struct token_facts tf = {
			.found = 1,
			.expires_at = store_int(st, 3),
			.max_uses = store_int(st, 4),
			.uses = store_int(st, 5),
			.revoked = (int)store_int(st, 6),
		};
		jw_object_begin(w);
		jw_kv_string(w, "id", store_text(st, 0));
		jw_kv_string(w, "folder_id", store_text(st, 1));
		jw_kv_string(w, "folder", store_text(st, 2));
		jw_kv_int(w, "expires_at", tf.expires_at);
		jw_kv_int(w, "max_uses", tf.max_uses);
		jw_kv_int(w, "uses", tf.uses);
		jw_kv_bool(w, "revoked", tf.revoked);
		jw_kv_bool(w, "allow_move", (int)store_int(st, 7));
		jw_kv_string(w, "state", token_state_name(token_check(&tf, rq->now)));
		jw_kv_int(w, "created_at", store_int(st, 8));
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

void admin_device_list(struct request *rq, struct reply *rp)
{
	const char *serial = evhttp_find_header(&rq->query, "serial");
	struct access_view v;
	if (access_view(rq, rp, evhttp_find_header(&rq->query, "org_id"), NEED_READ, 0, &v) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_DEVICES_LIVE_LIST, "sss", serial,
					    view_org(&v), view_user(&v));
	struct json_writer *w = reply_json(rp, 200);
	static const char *const keys[] = {"id", "serial", "model", "os_version", "org", "folder"};
	jw_object_begin(w);
	jw_key(w, "devices");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1) {
		int64_t seen = store_int(st, 6);
		jw_object_begin(w);
		for (int i = 0; i < 6; i++)
			jw_kv_string(w, keys[i], store_text(st, i));
		jw_kv_int(w, "last_seen", seen);
		jw_kv_bool(w, "online", seen > 0 && rq->now - seen <= POLICY_ONLINE_WINDOW);
		jw_kv_string(w, "agent_version", store_text(st, 7));
		jw_kv_string(w, "arch", store_text(st, 8));
		jw_kv_string(w, "folder_id", store_text(st, 9));
		jw_kv_string(w, "hardware_id", store_text(st, 10));
		jw_kv_string(w, "folder_path", store_text(st, 11));
		jw_object_end(w);
	}
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

int device_remove_tx(struct request *rq, const char *device_id, const char *why)
{
	struct store *db = rq->c->store;
	int r = store_run(db, ST_DEVICES_SET_REMOVED, "s", device_id);
	if (r != 1)
		return r < 0 ? -1 : 0; /* removing a removed device changes nothing */
	if (store_run(db, ST_TASKS_CANCEL_OF_REMOVED_DEVICE, "is", rq->now, device_id) < 0 ||
	    audit(rq, &(struct audit_scope){NULL, NULL, device_id}, "device.remove",
		  "device %s removed%s%s", device_id, why[0] ? ": " : "", why) != 0)
		return -1;
	return 1;
}

int object_scope(struct request *rq, struct reply *rp, enum store_stmt sql, const char *id,
		 const char *what, char org[DB_ID_LEN], char folder[DB_ID_LEN], int *col2)
{
	org[0] = folder[0] = '\0';
	struct store_rows *st = store_query(rq->c->store, sql, "s", id);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, DB_ID_LEN) != 0 ||
		       store_str(st, 1, folder, DB_ID_LEN) != 0))
		r = DB_ERROR;
	if (r == 1 && col2)
		*col2 = (int)store_int(st, 2);
	store_done(st);
	/* objects of no organization (older than accounts) are the bootstrap principal's */
	if (r == 0 || (r == 1 && !org[0] && rq->who.kind != PRINCIPAL_BOOTSTRAP))
		reply_error(rp, 404, "not_found", "no such %s", what);
	else if (r < 0)
		reply_internal(rp);
	else
		return 0;
	return -1;
}

int device_scope(struct request *rq, struct reply *rp, const char *id, int live,
		 char org[DB_ID_LEN], char folder[DB_ID_LEN])
{
	int removed = 0;
	if (object_scope(rq, rp, ST_DEVICE_SCOPE, id, "device", org, folder, &removed) != 0)
		return -1;
	if (live && removed) {
		reply_error(rp, 404, "not_found", "no such device");
		return -1;
	}
	return 0;
}

void admin_device_remove(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char org[DB_ID_LEN], folder[DB_ID_LEN];
	if (device_scope(rq, rp, rq->arg, 0, org, folder) != 0 ||
	    authorize(rq, rp, org, folder, NEED_MANAGE) != 0)
		return;
	if (store_begin(db) != 0 || device_remove_tx(rq, rq->arg, "") < 0 ||
	    store_commit(db) != 0) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	device_wake(rq->c, db, rq->arg); /* its held poll learns at once: 410 */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_bool(w, "removed", 1);
	jw_object_end(w);
}

static void image_object(struct json_writer *w, const char *id, const char *model,
			 const char *version, int64_t size, const char *sha, int recommended)
{
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "model", model);
	jw_kv_string(w, "version", version);
	jw_kv_int(w, "size", size);
	jw_kv_string(w, "sha256", sha);
	jw_kv_bool(w, "recommended", recommended);
	jw_object_end(w);
}

int image_catalog_add(struct request *rq, struct reply *rp, const char *model,
		      const char *version, const char *file, int move_in, const char *sha,
		      uint64_t size, char id[DB_ID_LEN])
{
	char old_sha[CRYPTO_SHA256_HEX_LEN] = "", dir[PATH_MAX], kept[PATH_MAX + 48];
	char detail[PATH_MAX + 256];
	struct store *db = rq->c->store;
	if (size == 0 || size > INT64_MAX) {
		reply_error(rp, 400, "bad_request", "image file %s is empty", file);
		return -1;
	}
	int recommended = 0;
	struct store_rows *st = store_query(db, ST_IMAGES_BY_MODEL_VERSION, "ss", model, version);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, id, DB_ID_LEN) != 0 ||
		       store_str(st, 1, old_sha, sizeof(old_sha)) != 0))
		r = DB_ERROR;
	if (r == 1)
		recommended = (int)store_int(st, 2);
	store_done(st);
	if (r == 1 && strcmp(old_sha, sha) != 0) {
		reply_error(rp, 400, "bad_request", "image %s %s already exists with other content",
			    model, version);
		return -1;
	}
	if (r == 0) { /* new image; an identical one is returned as is */
		snprintf(dir, sizeof(dir), "%s/images", rq->c->data_dir);
		if (db_new_id(id) != 0) {
			reply_internal(rp);
			return -1;
		}
		snprintf(kept, sizeof(kept), "%s/%s.bin", dir, id);
		if (move_in && (fs_mkdirs(dir, 0755) != 0 || rename(file, kept) != 0 ||
				fs_fsync_dir_of(kept) != 0)) {
			reply_internal(rp);
			return -1;
		}
		const char *where = move_in ? kept : file;
		snprintf(detail, sizeof(detail), "image %s added: %s %s, %" PRIu64 " bytes, %s", id,
			 model, version, size, where);
		r = store_begin(db) == 0 &&
				    write_with_history(rq,
						       store_run(db, ST_IMAGES_INSERT, "sssissi", id,
								 model, version, (int64_t)size, sha,
								 where, rq->now),
						       NULL, "image.add", detail) == 0
			    ? 1
			    : -1;
		if (r < 0 && move_in)
			(void)unlink(kept);
	}
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	image_object(reply_json(rp, 200), id, model, version, (int64_t)size, sha, recommended);
	return 0;
}

/* POST /admin/v1/images {"model","version","path"}: an image file the server reads,
 * recorded where it is. */
void admin_image_add(struct request *rq, struct reply *rp)
{
	char model[FIELD_SHORT], version[FIELD_SHORT], path[PATH_MAX], real[PATH_MAX];
	char id[DB_ID_LEN] = "", sha[CRYPTO_SHA256_HEX_LEN];
	uint64_t size = 0;

	if (req_string(rq, rp, "model", model, sizeof(model)) != 0 ||
	    req_string(rq, rp, "version", version, sizeof(version)) != 0 ||
	    req_string(rq, rp, "path", path, sizeof(path)) != 0 ||
	    authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0) /* the catalog is global */
		return;
	if (!realpath(path, real) || crypto_sha256_file(real, sha, &size) != 0) {
		reply_error(rp, 400, "bad_request", "cannot read image file %s: %s", path,
			    strerror(errno));
		return;
	}
	(void)image_catalog_add(rq, rp, model, version, real, 0, sha, size, id);
}

int catalog_read(struct request *rq, struct reply *rp)
{
	if (rq->who.kind == PRINCIPAL_NONE)
		return authorize(rq, rp, NULL, NULL, NEED_READ); /* the router lets none through */
	return 0;
}

void admin_image_list(struct request *rq, struct reply *rp)
{
	const char *model = evhttp_find_header(&rq->query, "model");
	if (catalog_read(rq, rp) != 0)
		return;
	struct store_rows *st = store_query(rq->c->store, ST_IMAGES_BY_MODEL, "ss", model, model);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_key(w, "images");
	jw_array_begin(w);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		image_object(w, store_text(st, 0), store_text(st, 1), store_text(st, 2),
			     store_int(st, 3), store_text(st, 4), (int)store_int(st, 5));
	store_done(st);
	jw_array_end(w);
	jw_object_end(w);
	if (r < 0)
		reply_internal(rp);
}

/* POST /admin/v1/images/<id>/recommend: the one recommended image of its model. */
void admin_image_recommend(struct request *rq, struct reply *rp)
{
	char model[FIELD_SHORT] = "", version[FIELD_SHORT] = "";
	struct store *db = rq->c->store;
	if (authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0)
		return;
	struct store_rows *st = store_query(db, ST_IMAGES_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	int already = 0;
	if (r == 1) {
		store_str(st, 0, model, sizeof(model));
		store_str(st, 1, version, sizeof(version));
		already = (int)store_int(st, 2);
	}
	store_done(st);
	if (r == 0) {
		reply_error(rp, 404, "not_found", "no such image");
		return;
	}
	if (r < 0 || (!already && store_begin(db) != 0)) {
		reply_internal(rp);
		return;
	}
	if (!already &&
	    (store_run(db, ST_IMAGES_UNRECOMMEND_MODEL, "s", model) < 0 ||
	     store_run(db, ST_IMAGE_RECOMMEND, "s", rq->arg) !=
		     1 ||
	     audit(rq, NULL, "image.recommend", "image %s recommended for %s: %s", rq->arg,
		   model, version) != 0 ||
	     store_commit(db) != 0)) {
		store_rollback(db);
		reply_internal(rp);
		return;
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "model", model);
	jw_kv_string(w, "version", version);
	jw_kv_bool(w, "recommended", 1);
	jw_object_end(w);
}
