/* api_admin_orglife: an organization's life in the admin API — creation with its
 * default top folder, its settings (name, notes), and archiving it (confirmed with the
 * id typed back and the risk acknowledged), plus the name rules shared with folder
 * creation: no two organizations of one name for the caller, no two sibling folders
 * of one name. Folder deletion is in api_admin_folder_delete.c. */
#include <string.h>

#include "../../lib/log.h"
#include "../device/wake.h"
#include "../domain/orglife.h"
#include "../http/access.h"
#include "../http/api.h"
#include "audit_commit.h"
#include "found.h"

/* 1 (after a 409 saying why) when the query found a row, 0 when not, -1 after a 500. */
static int taken(struct store_rows *st, struct reply *rp, const char *what, const char *name,
		 const char *where)
{
	int r = st ? store_next(st) : DB_ERROR;
	store_done(st);
	if (r < 0)
		reply_internal(rp);
	else if (r == 1)
		reply_error(rp, 409, "name_taken", "%s '%s' already exists %s; give this one"
			    " another name", what, name, where);
	return r;
}

/* 0 when no live organization of the caller's other than except ("" for none) is named
 * name, else 1 after a 409 saying so; -1 after a 500. */
static int org_name_taken(struct request *rq, struct reply *rp, const char *name,
			  const char *except)
{
	const char *user = rq->who.user_id[0] ? rq->who.user_id : NULL; /* bootstrap: all */
	return taken(store_query(rq->c->store, ST_ORGLIFE_ORG_NAME_TAKEN, "sss", name, except, user),
		     rp,
		     "an organization named", name,
		     "among your organizations");
}

int folder_name_taken(struct request *rq, struct reply *rp, const char *org, const char *parent,
		      const char *name)
{
	return taken(store_query(rq->c->store, ST_ORGLIFE_FOLDER_SIBLING_TAKEN, "sss", org, name,
				 parent && parent[0] ? parent : NULL),
		     rp, "a folder named", name, "at this level");
}
/* Opens the transaction of an organization's creation or rename with the names' lock
 * held and name free for the caller: 0, or -1 after its reply (409 or 500) with the
 * transaction rolled back. The lock makes "look, then write" one step across instances. */
static int begin_with_name_free(struct request *rq, struct reply *rp, const char *name,
				const char *except)
{
	struct store *db = rq->c->store;
	if (store_begin(db) != 0) {
		reply_internal(rp);
		return -1;
	}
	if (store_run(db, ST_ORGLIFE_ORG_NAMES_LOCK, "") != 1) {
		store_rollback(db);
		reply_internal(rp);
		return -1;
	}
	if (org_name_taken(rq, rp, name, except) != 0) {
		store_rollback(db);
		return -1;
	}
	return 0;
}

/* POST /admin/v1/orgs {"name"}: the organization, its default top folder, and its
 * creator (a user) as its owner. */
void admin_org_create(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char name[FIELD_NAME], id[DB_ID_LEN], folder[DB_ID_LEN];
	if (req_string(rq, rp, "name", name, sizeof(name)) != 0 ||
	    authorize(rq, rp, NULL, NULL, NEED_READ) != 0 || begin_with_name_free(rq, rp, name, "") != 0)
		return;
	if (db_new_id(id) != 0 || db_new_id(folder) != 0 ||
	    store_run(db, ST_ORGS_INSERT, "ssi", id, name, rq->now) != 1 ||
	    (rq->who.kind == PRINCIPAL_USER && /* its creator is its owner */
	     store_run(db, ST_MEMBERSHIPS_INSERT, "sssi", id, rq->who.user_id, "owner",
		       rq->now) != 1) ||
	    store_run(db, ST_FOLDERS_INSERT, "ssssi", folder, id, NULL, ORG_DEFAULT_FOLDER,
		      rq->now) != 1 ||
	    audit(rq, &(struct audit_scope){id, NULL, NULL}, "org.create", "org %s created: %s",
		  id, name) != 0 ||
	    audit(rq, &(struct audit_scope){id, folder, NULL}, "folder.create",
		  "folder %s created in org %s: %s (the default top folder)", folder, id,
		  ORG_DEFAULT_FOLDER) != 0 ||
	    store_commit(db) != 0)
		goto fail;
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "default_folder_id", folder);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "name", name);
	jw_object_end(w);
	return;
fail:
	store_rollback(db);
	reply_internal(rp);
}

/* An organization's numbers, in the order of ORGLIFE_ORG_BY_ID's columns 3.. */
enum { ORG_CREATED_AT, ORG_FOLDERS, ORG_DEVICES, ORG_REQUIRE_MFA, ORG_FACTS };

/* The live organization rq->arg: 1 with its name and notes, 0 after a 404, -1 after a 500. */
static int org_lookup(struct request *rq, struct reply *rp, char name[FIELD_NAME],
		      char notes[ORG_NOTES_MAX], int64_t counts[ORG_FACTS])
{
	struct store_rows *st = store_query(rq->c->store, ST_ORGLIFE_ORG_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && (store_str(st, 1, name, FIELD_NAME) != 0 ||
		       store_str(st, 2, notes, ORG_NOTES_MAX) != 0))
		r = DB_ERROR;
	for (int i = 0; r == 1 && i < ORG_FACTS; i++)
		counts[i] = store_int(st, 3 + i);
	store_done(st);
	return reply_unless_found(rp, r, "org");
}

static void org_object(struct reply *rp, const char *id, const char *name, const char *notes,
		       const int64_t counts[ORG_FACTS])
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "name", name);
	jw_kv_string(w, "notes", notes);
	jw_kv_int(w, "created_at", counts[ORG_CREATED_AT]);
	jw_kv_int(w, "folders", counts[ORG_FOLDERS]);
	jw_kv_int(w, "devices", counts[ORG_DEVICES]);
	jw_kv_bool(w, "require_mfa", (int)counts[ORG_REQUIRE_MFA]);
	jw_object_end(w);
}

/* GET /admin/v1/orgs/<id>: one live organization with its notes. */
void admin_org_show(struct request *rq, struct reply *rp)
{
	char name[FIELD_NAME], notes[ORG_NOTES_MAX];
	int64_t counts[ORG_FACTS];
	if (authorize(rq, rp, rq->arg, NULL, NEED_READ) != 0 ||
	    org_lookup(rq, rp, name, notes, counts) != 1)
		return;
	org_object(rp, rq->arg, name, notes, counts);
}

/* POST /admin/v1/orgs/<id>/settings {"name"?, "notes"?, "require_mfa"?}: rename,
 * describe, require MFA of every member; what is not given stays. */
void admin_org_settings(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char name[FIELD_NAME], notes[ORG_NOTES_MAX], old_name[FIELD_NAME] = "";
	int64_t counts[ORG_FACTS];
	int require = -1;
	if (authorize(rq, rp, rq->arg, NULL, NEED_MANAGE) != 0 ||
	    org_lookup(rq, rp, name, notes, counts) != 1)
		return;
	strcpy(old_name, name);
	if (req_string_opt(rq, rp, "name", name, sizeof(name)) != 0 ||
	    req_string_opt(rq, rp, "notes", notes, sizeof(notes)) != 0 ||
	    req_bool_opt(rq, rp, "require_mfa", &require) != 0)
		return;
	if (require >= 0)
		counts[ORG_REQUIRE_MFA] = require;
	if (!name[0]) {
		reply_bad_field(rp, "name");
		return;
	}
	if (begin_with_name_free(rq, rp, name, rq->arg) != 0)
		return;
	if (audit_commit(rq, rp,
			 store_run(db, ST_ORGLIFE_ORG_SET_NAME_NOTES, "sss", name, notes,
					   rq->arg) == 1 &&
				 store_run(db, ST_ORGS_SET_REQUIRE_MFA, "bs",
					   (int)counts[ORG_REQUIRE_MFA], rq->arg) == 1,
			 &(struct audit_scope){rq->arg, NULL, NULL}, "org.update",
			 "org %s settings: name '%s'%s%s, notes of %zu bytes, require_mfa %s",
			 rq->arg, name, strcmp(name, old_name) ? ", was " : "",
			 strcmp(name, old_name) ? old_name : "", strlen(notes),
			 counts[ORG_REQUIRE_MFA] ? "on" : "off") != 0)
		return;
	org_object(rp, rq->arg, name, notes, counts);
}

/* POST /admin/v1/orgs/<id>/archive {"confirm_id", "risk_understood": true}: the
 * organization is archived, its devices decommissioned and its tokens revoked. */
void admin_org_archive(struct request *rq, struct reply *rp)
{
	struct store *db = rq->c->store;
	char name[FIELD_NAME], notes[ORG_NOTES_MAX], typed[DB_ID_LEN + 1] = "", why[96];
	int64_t counts[ORG_FACTS];
	int risk = 0, tokens = -1;
	struct db_ids devices = {0};
	if (authorize(rq, rp, rq->arg, NULL, NEED_OWN) != 0 ||
	    org_lookup(rq, rp, name, notes, counts) != 1 ||
	    req_string_opt(rq, rp, "confirm_id", typed, sizeof(typed)) != 0 ||
	    req_bool_opt(rq, rp, "risk_understood", &risk) != 0)
		return;
	enum archive_verdict v = archive_check(rq->arg, typed, risk);
	if (v != ARCHIVE_OK) {
		reply_error(rp, 400, "confirmation_required", "%s", archive_refusal(v));
		return;
	}
	snprintf(why, sizeof(why), "organization %s archived", rq->arg);
	if (store_begin(db) != 0 ||
	    store_run(db, ST_ORGLIFE_ORG_SET_ARCHIVED, "is", rq->now, rq->arg) != 1 ||
	    store_collect_ids(db, &devices, ST_ORGLIFE_DEVICE_IDS_LIVE_OF_ORG, "s", rq->arg) < 0)
		goto fail;
	for (size_t i = 0; i < devices.n; i++)
		if (device_remove_tx(rq, devices.id[i], why) < 0)
			goto fail;
	if ((tokens = store_run(db, ST_ORGLIFE_TOKENS_REVOKE_OF_ORG, "s", rq->arg)) < 0 ||
	    audit(rq, &(struct audit_scope){rq->arg, NULL, NULL}, "org.archive",
		  "org %s ('%s') archived: %zu devices decommissioned, %d tokens revoked", rq->arg,
		  name, devices.n, tokens) != 0 ||
	    store_commit(db) != 0)
		goto fail;
	log_info("org %s archived: %zu devices decommissioned", rq->arg, devices.n);
	for (size_t i = 0; i < devices.n; i++)
		device_wake(rq->c, db, devices.id[i]); /* held polls learn at once: 410 */
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_string(w, "id", rq->arg);
	jw_kv_bool(w, "archived", 1);
	jw_kv_int(w, "devices_removed", (int64_t)devices.n);
	jw_kv_int(w, "tokens_revoked", tokens);
	jw_object_end(w);
	db_ids_free(&devices);
	return;
fail:
	store_rollback(db);
	reply_internal(rp);
	db_ids_free(&devices);
}
