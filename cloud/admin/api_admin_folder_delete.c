/* api_admin_folder_delete: deleting a folder tree in two steps. DELETE without a
 * confirmation answers what the deletion would remove (subfolders, devices, tokens,
 * grants: counts and ids) and the digest of that preview; DELETE ?confirm=<digest>
 * deletes, but only when the same things would still go, so a change between the
 * preview and the confirmation is refused instead of deleting what nobody saw. */
#include <string.h>

#include "../../lib/log.h"
#include "../device/wake.h"
#include "../domain/orglife.h"
#include "../http/access.h"
#include "../http/api.h"
#include "found.h"

enum { PART_SUBFOLDERS, PART_DEVICES, PART_TOKENS, PART_GRANT_USERS, PART_GRANT_FOLDERS,
       N_PARTS };

struct delete_preview {
	struct db_ids folders; /* the whole subtree, the folder itself included */
	struct db_ids subfolders, devices, tokens;
	struct db_ids grant_users, grant_folders; /* grant i: (grant_users[i], grant_folders[i]) */
	char digest[CRYPTO_SHA256_HEX_LEN];
};

static void preview_free(struct delete_preview *p)
{
	db_ids_free(&p->folders);
	db_ids_free(&p->subfolders);
	db_ids_free(&p->devices);
	db_ids_free(&p->tokens);
	db_ids_free(&p->grant_users);
	db_ids_free(&p->grant_folders);
}

static void preview_parts(struct delete_preview *p, struct preview_part parts[N_PARTS])
{
	static const char *const kinds[N_PARTS] = {"subfolder", "device", "token", "grant-user",
						   "grant-folder"};
	const struct db_ids *lists[N_PARTS] = {&p->subfolders, &p->devices, &p->tokens,
					       &p->grant_users, &p->grant_folders};
	for (int i = 0; i < N_PARTS; i++)
		parts[i] = (struct preview_part){kinds[i], lists[i]};
}

/* The grants on the subtree, into the two parallel lists. 0 or -1. */
static int collect_grants(struct store *db, const char *id, struct delete_preview *p)
{
	struct store_rows *st = store_query(db, ST_ORGLIFE_GRANTS_IN_SUBTREE, "s", id);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && (r = store_next(st)) == 1)
		if (db_ids_add(&p->grant_users, store_text(st, 0)) != 0 ||
		    db_ids_add(&p->grant_folders, store_text(st, 1)) != 0)
			r = DB_ERROR;
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* What deleting folder id removes now, with its digest. 0 or -1. */
static int delete_preview(struct store *db, const char *id, struct delete_preview *p)
{
	struct preview_part parts[N_PARTS];
	if (store_collect_ids(db, &p->folders, ST_ORGLIFE_SUBTREE_IDS, "s", id) < 1 ||
	    collect_grants(db, id, p) != 0 ||
	    store_collect_ids(db, &p->devices, ST_ORGLIFE_DEVICE_IDS_LIVE_IN_SUBTREE, "s", id) < 0 ||
	    store_collect_ids(db, &p->tokens, ST_ORGLIFE_TOKEN_IDS_LIVE_IN_SUBTREE, "s", id) < 0)
		return -1;
	for (size_t i = 0; i < p->folders.n; i++)
		if (strcmp(p->folders.id[i], id) != 0 &&
		    db_ids_add(&p->subfolders, p->folders.id[i]) != 0)
			return -1;
	preview_parts(p, parts);
	return delete_preview_digest(id, parts, N_PARTS, p->digest);
}

static void write_ids(struct json_writer *w, const char *key, const struct db_ids *ids)
{
	jw_key(w, key);
	jw_object_begin(w);
	jw_kv_int(w, "count", (int64_t)ids->n);
	jw_key(w, "ids");
	jw_array_begin(w);
	for (size_t k = 0; k < ids->n; k++)
		jw_string(w, ids->id[k]);
	jw_array_end(w);
	jw_object_end(w);
}

static void write_preview(struct json_writer *w, const struct delete_preview *p)
{
	write_ids(w, "subfolders", &p->subfolders);
	write_ids(w, "devices", &p->devices);
	write_ids(w, "tokens", &p->tokens);
	jw_key(w, "grants");
	jw_object_begin(w);
	jw_kv_int(w, "count", (int64_t)p->grant_users.n);
	jw_key(w, "items");
	jw_array_begin(w);
	for (size_t k = 0; k < p->grant_users.n; k++) {
		jw_object_begin(w);
		jw_kv_string(w, "user_id", p->grant_users.id[k]);
		jw_kv_string(w, "folder_id", p->grant_folders.id[k]);
		jw_object_end(w);
	}
	jw_array_end(w);
	jw_object_end(w);
}

/* Deletes what p lists; the caller holds the transaction. Tokens revoked, or -1. */
static int delete_previewed(struct request *rq, const struct delete_preview *p, const char *why)
{
	struct store *db = rq->c->store;
	int tokens = 0;
	for (size_t i = 0; i < p->folders.n; i++) {
		int r;
		if (store_run(db, ST_FOLDERS_SET_DELETED, "s", p->folders.id[i]) != 1 ||
		    (r = store_run(db, ST_ENROLLMENT_TOKENS_REVOKE_OF_FOLDER, "s",
				   p->folders.id[i])) < 0 ||
		    store_run(db, ST_ORGLIFE_GRANTS_REVOKE_OF_FOLDER, "s", p->folders.id[i]) < 0)
			return -1;
		tokens += r;
	}
	for (size_t i = 0; i < p->devices.n; i++)
		if (device_remove_tx(rq, p->devices.id[i], why) < 0)
			return -1;
	return tokens;
}

/* The live folder rq->arg: 1 with its org and name, 0 after a 404, -1 after a 500. */
static int folder_lookup(struct request *rq, struct reply *rp, char org[DB_ID_LEN],
			 char name[FIELD_NAME])
{
	struct store_rows *st = store_query(rq->c->store, ST_ORGLIFE_FOLDER_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 0, org, DB_ID_LEN) != 0 ||
		       store_str(st, 1, name, FIELD_NAME) != 0))
		r = DB_ERROR;
	store_done(st);
	return reply_unless_found(rp, r, "folder");
}

/* DELETE /admin/v1/folders/<id>[?confirm=<digest>]: the preview, or the deletion. */
void admin_folder_delete(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char org[DB_ID_LEN], name[FIELD_NAME], why[FIELD_NAME + 64];
	struct delete_preview p;
	int tokens = -1;

	memset(&p, 0, sizeof(p));
	const char *confirm = evhttp_find_header(&rq->query, "confirm");
	if (folder_lookup(rq, rp, org, name) != 1 ||
	    authorize(rq, rp, org, rq->arg, NEED_MANAGE) != 0)
		return;
	/* the preview is taken inside the transaction that deletes, so what is compared
	 * with the digest is exactly what goes */
	if ((confirm && store_begin(db) != 0) || delete_preview(db, rq->arg, &p) != 0)
		goto fail;
	if (confirm && strcmp(confirm, p.digest) != 0) {
		store_rollback(db);
		reply_error(rp, 409, "preview_changed", "what deleting folder %s removes is not"
			    " what the confirmed preview listed (or confirm is not its digest);"
			    " preview again", rq->arg);
		goto out;
	}
	snprintf(why, sizeof(why), "folder %s ('%s') deleted", rq->arg, name);
	if (confirm &&
	    ((tokens = delete_previewed(rq, &p, why)) < 0 ||
	     audit(rq, &(struct audit_scope){org, rq->arg, NULL}, "folder.delete",
		   "folder %s ('%s') deleted with %zu subfolder%s: %zu devices removed,"
		   " %d tokens revoked, %zu grants revoked", rq->arg, name, p.subfolders.n,
		   p.subfolders.n == 1 ? "" : "s", p.devices.n, tokens, p.grant_users.n) != 0 ||
	     store_commit(db) != 0))
		goto fail;
	if (confirm) {
		log_info("folder %s deleted: %zu folders, %zu devices removed, %d tokens revoked",
			 rq->arg, p.folders.n, p.devices.n, tokens);
		for (size_t i = 0; i < p.devices.n; i++)
			device_wake(rq->c, db, p.devices.id[i]); /* held polls learn at once: 410 */
	}
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_string(w, "name", name);
	jw_kv_string(w, "org_id", org);
	jw_kv_bool(w, "deleted", confirm != NULL);
	write_preview(w, &p);
	if (confirm) {
		jw_kv_int(w, "folders", (int64_t)p.folders.n);
		jw_kv_int(w, "devices_removed", (int64_t)p.devices.n);
		jw_kv_int(w, "tokens_revoked", tokens);
	} else {
		jw_kv_string(w, "confirm", p.digest);
	}
	jw_object_end(w);
	goto out;
fail:
	store_rollback(db);
	reply_internal(rp);
out:
	preview_free(&p);
}
