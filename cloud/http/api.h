/* api: the route handlers of docs/protocol.md (device API §2-7, admin API §8).
 * Each one follows the contract in router.h: exactly one reply_* per call. */
#ifndef CLOUD_API_H
#define CLOUD_API_H

#include "../domain/policy.h"
#include "router.h"
#include "../admin/rows.h"

/* Buffer sizes of text fields (the longest accepted value is one byte less). */
#define FIELD_SHORT 65   /* serials, models, versions, architectures, nonces */
#define FIELD_NAME 129   /* org / folder / app names, hardware ids */
#define FIELD_REASON 257 /* failure reasons */

/* api_enroll.c: §2, §3 (signed, no bearer) */
void api_enroll(struct request *rq, struct reply *rp);
void api_auth(struct request *rq, struct reply *rp);

/* api_device.c: §4, §6, §7 (device bearer) */
void api_report(struct request *rq, struct reply *rp);
void api_task_next(struct request *rq, struct reply *rp);
void api_task_status(struct request *rq, struct reply *rp);
void api_artifact(struct request *rq, struct reply *rp);
void api_licenses(struct request *rq, struct reply *rp);
void api_license_status(struct request *rq, struct reply *rp);
/* Fills rp with what tasks/next has for the device right now: 200 {"task": null,
 * "cancelled": [ids]} when an admin cancelled a task it had started, else 200
 * {"task": envelope} for its oldest task not yet acknowledged (none while it works on
 * one), else 200 {"task": null, "check": ["licenses"]} when a license was issued
 * since it last looked. Returns 1 when it filled rp, 0 when there
 * is nothing (rp untouched), -1 on error (rp: 500). */
int api_task_answer(struct cloud *c, const char *device_id, int64_t now, struct reply *rp);
/* Writes one license envelope from a row (id, app, license_exp, serial, kind, key_file),
 * bound to device_id (the device id, or an offline system's key fingerprint) and valid
 * ttl seconds. */
int license_envelope(struct cloud *c, struct store_rows *st, const char *device_id,
		     int64_t now, int64_t ttl, struct json_writer *w);
/* longpoll_answer_fn: for each of the n devices ids, 410 when removed, else what
 * api_task_answer has, else 204; a slice's answers take a few statements in all
 * (task_answers.h). With ticket, a task envelope may be left to the seal pool
 * (ticket[i] > 0, rp[i] untouched; api_task_sealed answers it); NULL seals them all. */
void api_task_wake_answer(struct cloud *c, char (*ids)[DB_ID_LEN], size_t n, int64_t now,
			  struct reply *rp, uint64_t *ticket);
/* seal_done_fn: a woken poll's envelope back from the seal pool, sent to its device
 * when that request is still held for it. */
void api_task_sealed(struct cloud *c, const char *device_id, uint64_t ticket,
		     const struct buf *env);

/* api_admin.c: folders, tokens, devices, images */
void admin_folder_create(struct request *rq, struct reply *rp);
void admin_token_create(struct request *rq, struct reply *rp);
void admin_token_list(struct request *rq, struct reply *rp);
void admin_token_revoke(struct request *rq, struct reply *rp);
void admin_token_revoke_secret(struct request *rq, struct reply *rp);
void admin_device_list(struct request *rq, struct reply *rp);
void admin_device_remove(struct request *rq, struct reply *rp);
void admin_image_add(struct request *rq, struct reply *rp);
void admin_image_list(struct request *rq, struct reply *rp);
void admin_image_recommend(struct request *rq, struct reply *rp);
/* Marks a device removed, cancels its unfinished tasks and records why (may be "").
 * The caller holds a transaction and wakes the device's long poll after the commit.
 * 1 when removed now, 0 when it already was, -1 on error. */
int device_remove_tx(struct request *rq, const char *device_id, const char *why);
/* The organization and folder (columns 0, 1 of sql run with id) of the object id, for
 * authorize(); col2 (if not NULL) gets column 2. -1 with rp filled: 404 "no such
 * <what>" (also for an object of no organization, unless the caller is the bootstrap
 * principal), 500. */
int object_scope(struct request *rq, struct reply *rp, enum store_stmt sql, const char *id,
		 const char *what, char org[DB_ID_LEN], char folder[DB_ID_LEN], int *col2);
/* The global catalogs (images, application packages) are read by every principal, an
 * API token of any organization included: 0, or -1 with rp filled (no credentials). */
int catalog_read(struct request *rq, struct reply *rp);
/* The organization and folder of device id (live: removed ones count as absent), for
 * authorize(); -1 with rp filled (404 no such device, 500). */
int device_scope(struct request *rq, struct reply *rp, const char *id, int live,
		 char org[DB_ID_LEN], char folder[DB_ID_LEN]);

/* api_admin_org.c: the organization tree, moving devices, a device's details */
void admin_org_list(struct request *rq, struct reply *rp);
void admin_folder_list(struct request *rq, struct reply *rp);
void admin_device_show(struct request *rq, struct reply *rp);
void admin_device_move(struct request *rq, struct reply *rp);

/* api_admin_orglife.c: an organization's creation (with its default top folder),
 * settings and archive */
void admin_org_create(struct request *rq, struct reply *rp);
void admin_org_show(struct request *rq, struct reply *rp);
void admin_org_settings(struct request *rq, struct reply *rp);
void admin_org_archive(struct request *rq, struct reply *rp);
/* 0 when no live sibling folder under parent (NULL or "": a top folder) of org is named
 * name, else 1 after a 409 saying so; -1 after a 500. */
int folder_name_taken(struct request *rq, struct reply *rp, const char *org, const char *parent,
		      const char *name);

/* api_admin_folder_delete.c: the preview, then the confirmed deletion of a folder tree */
void admin_folder_delete(struct request *rq, struct reply *rp);

/* api_admin_invitations.c, invitation_join.c: invitations by e-mail */
void admin_invitation_create(struct request *rq, struct reply *rp);
void admin_invitation_list(struct request *rq, struct reply *rp);
void admin_invitation_cancel(struct request *rq, struct reply *rp);
void invitation_show(struct request *rq, struct reply *rp);   /* the mail's link */
void invitation_signup(struct request *rq, struct reply *rp); /* no account yet */
void invitation_accept(struct request *rq, struct reply *rp); /* signed in */

/* api_admin_jobs.c: upgrade jobs */
void admin_job_create(struct request *rq, struct reply *rp);
void admin_job_list(struct request *rq, struct reply *rp);
void admin_job_show(struct request *rq, struct reply *rp);
void admin_job_cancel(struct request *rq, struct reply *rp);
/* Reads the optional "window" object of a task or job request (absent or null: none);
 * -1 after a 400 naming the bad field. */
int req_window(struct request *rq, struct reply *rp, struct task_window *w);

/* api_admin_tasks.c: tasks */
void admin_task_create(struct request *rq, struct reply *rp);
void admin_task_show(struct request *rq, struct reply *rp);
void admin_task_list(struct request *rq, struct reply *rp);
void admin_task_cancel(struct request *rq, struct reply *rp);

/* api_admin_licenses.c: licenses on devices (docs/licenses.md) */
void admin_license_issue(struct request *rq, struct reply *rp);
void admin_license_list(struct request *rq, struct reply *rp);
void admin_license_show(struct request *rq, struct reply *rp);
void admin_license_preload(struct request *rq, struct reply *rp);
void admin_license_import(struct request *rq, struct reply *rp);
void admin_license_revoke(struct request *rq, struct reply *rp);
void admin_license_events(struct request *rq, struct reply *rp);
void admin_license_offline(struct request *rq, struct reply *rp);
void admin_device_apps(struct request *rq, struct reply *rp);

/* api_admin_apps.c: the application catalog */
void admin_app_upload(struct request *rq, struct reply *rp);
void admin_app_list(struct request *rq, struct reply *rp);
void admin_app_show(struct request *rq, struct reply *rp);
void admin_app_recommend(struct request *rq, struct reply *rp);
/* Reads the application part of a job request: "app_action", "package_id" (a catalog
 * package: the app, and for install what to install) and, for set_params, "params":
 * [{"name","value"}] of names the package declares. Fills app and points spec at it
 * (image_id: the package's artifact). 1 for an application job, 0 when the request has
 * no app_action, -1 after a reply. */
struct job_app;
struct job_spec;
int req_app_task(struct request *rq, struct reply *rp, struct job_app *app,
		 struct job_spec *spec);

/* api_admin_products.c: products, their wallets, license keys */
void admin_product_register(struct request *rq, struct reply *rp);
void admin_product_list(struct request *rq, struct reply *rp);
void admin_product_show(struct request *rq, struct reply *rp);
void admin_key_redeem(struct request *rq, struct reply *rp);

/* api_admin_subscriptions.c: subscriptions and extension licenses */
void admin_subscription_start(struct request *rq, struct reply *rp);
void admin_subscription_allocate(struct request *rq, struct reply *rp);
void admin_extension_allocate(struct request *rq, struct reply *rp);

/* api_history.c: GET /admin/v1/history (filters, cursor pages, CSV) */
void admin_history(struct request *rq, struct reply *rp);

/* api_accounts.c: sign-up, sign-in (throttled), sign-out, /me (docs/admin-api.md §3) */
void account_signup(struct request *rq, struct reply *rp);
void account_signin(struct request *rq, struct reply *rp);
void account_signout(struct request *rq, struct reply *rp);
void account_me(struct request *rq, struct reply *rp);

/* api_mfa.c: TOTP enrolment, confirmation with recovery codes, disabling (§4) */
void mfa_enroll(struct request *rq, struct reply *rp);
void mfa_confirm(struct request *rq, struct reply *rp);
void mfa_disable(struct request *rq, struct reply *rp);
/* Checks a TOTP code (code) or, when code is empty, a recovery code (recovery) of the
 * user with the base32 secret and last used step given; a good one is used up (its step
 * or the recovery code). 1 good, 0 not, -1 store error. The caller holds a transaction. */
int mfa_code_ok(struct request *rq, const char *user_id, const char *secret_b32,
		int64_t last_step, const char *code, const char *recovery);

/* api_tokens.c: personal API tokens (§5) */
void api_token_create(struct request *rq, struct reply *rp);
void api_token_list(struct request *rq, struct reply *rp);
void api_token_revoke(struct request *rq, struct reply *rp);

/* api_members.c: members, roles, folder grants (§6); the MFA rule is an org setting */
void member_list(struct request *rq, struct reply *rp);
void member_add(struct request *rq, struct reply *rp);
void member_set_role(struct request *rq, struct reply *rp);
void member_remove(struct request *rq, struct reply *rp);
void member_grants(struct request *rq, struct reply *rp);
/* Writes "grants": [{"folder_id","path"}] of user_id in org_id; 0 or DB_ERROR. */
int write_grants(struct request *rq, struct json_writer *w, const char *user_id,
		 const char *org_id);

#endif
