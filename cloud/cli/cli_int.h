/* cli_int: what the parts of the admin command line share — the parsed command
 * line (struct cli), the admin HTTP call and JSON body helpers (cli_http.c) and
 * the commands (cli_cmd.c), dispatched from cli.c. */
#ifndef CLOUD_CLI_INT_H
#define CLOUD_CLI_INT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/buf.h"
#include "../../lib/json.h"
#include "../http/router.h"
#include "../http/server.h"

#define CLI_MAX_POS 8
#define CLI_REPLY_MAX (64 * 1024 * 1024)
#define CLI_JSON_TOKENS (1 << 20)

struct cli {
	const char *pos[CLI_MAX_POS]; /* positionals: noun, verb, arguments */
	int npos;
	const char *url_opt, *url_file, *data_dir, *token_file;
	const char *parent, *expires_in, *max_uses, *exp;
	const char *folder, *model, *devices, *recommended, *running;
	const char *serial, *app, *key_file, *org, *kind, *license_id;
	const char *params[32]; /* --param NAME=VALUE, repeatable */
	int nparams;
	const char *email, *password_file, *totp, *org_name, *device, *user;
	const char *confirm, *confirm_id; /* folder delete's digest, archive's id typed back */
	const char *folders;              /* invitation create: ID,ID,... */
	int csv;
	/* a console session (camcloud login only): sent instead of the bearer token */
	char cookie[BEARER_MAX];
	char csrf[CSRF_LEN];
	int want_cookie; /* keep the session cookie of the next reply */
	const char *window_utc[2], *window_daily[2]; /* START END (Unix) / HH:MM HH:MM */
	const char *types, *public_key, *ahead;
	int allow_downgrade, allow_move, dry_run, risk_understood;
	int override_app_check; /* an OS upgrade that would strand an installed app */
	int server_path;        /* app upload, image add: a file the server reads itself */
	char url[CLOUD_URL_MAX];
	char token[BEARER_MAX];
	CURL *curl;
};

/* Prints why (if any) and the usage text to stderr; returns exit code 2. */
int cli_usage(const char *why);

/* One admin request. 0 on 2xx (reply body in out), else prints why and returns -1. */
int cli_call(struct cli *c, const char *method, const char *path, const struct buf *body,
	     struct buf *out);
/* A request of any body: data (len bytes; NULL: none) of content_type (NULL: JSON),
 * with one more header line ("Name: value") when header is set. */
struct cli_raw {
	const char *method, *path;
	const void *data;
	size_t len;
	const char *content_type, *header;
};
/* 0 when the server answered (its status in *status, whatever it is; the body in out),
 * -1 when no answer came (printed: the connection failed or dropped; *status 0). */
int cli_call_raw(struct cli *c, const struct cli_raw *rq, struct buf *out, long *status);
/* Prints the error of a reply (its message, else the status) to stderr. */
void cli_print_error(const struct buf *body, long status);

/* Reads key (a string, dotted paths allowed) of the JSON reply in body. */
int cli_reply_get(const struct buf *body, const char *key, char *out, size_t outsz);
/* Calls and prints one string field of the reply (key NULL: the whole reply).
 * Returns the exit code. */
int cli_call_print(struct cli *c, const char *method, const char *path, struct buf *body,
		   const char *key);

/* A JSON object request body: begin, add fields with jw_*, send (POST). */
struct cli_body {
	struct buf b;
	struct json_writer w;
};
struct json_writer *cli_body_begin(struct cli_body *bd);
int cli_body_send(struct cli *c, struct cli_body *bd, const char *path, const char *key);

/* Adds key: path as an absolute path when the file exists here (the server reads it). */
void cli_kv_file(struct json_writer *w, const char *key, const char *path);
/* A non-negative decimal number; -1 otherwise. */
int cli_opt_int(const char *s, int64_t *out);
/* "/admin/v1/<what>/<id><tail>", refusing (with a message) an id that is not one. */
int cli_id_path(char *out, size_t outsz, const char *what, const char *id, const char *tail);
/* "<base>?<key>=<escaped value>" ('&' when base has a query already; value NULL: base
 * alone); -1 (after a message) when it does not fit. out must not be base. */
int cli_query_path(struct cli *c, char *out, size_t outsz, const char *base, const char *key,
		   const char *value);
/* Adds key: [ids] from "ID,ID,..."; -1 for an empty or over-long item. */
int cli_id_array(struct json_writer *w, const char *key, const char *list);
/* Adds "window" from --window-utc / --window-daily (nothing without them); returns
 * the exit code of a usage error, or 0. */
int cli_window(struct cli *c, struct json_writer *w);

/* The commands (cli_cmd.c); each returns the exit code. */
int cmd_org_create(struct cli *c);
int cmd_folder_create(struct cli *c);
int cmd_token_create(struct cli *c);
int cmd_token_revoke(struct cli *c);
int cmd_device_list(struct cli *c);
int cmd_device_find(struct cli *c);
int cmd_device_remove(struct cli *c);
int cmd_image_add(struct cli *c);
int cmd_image_list(struct cli *c);
int cmd_task_create(struct cli *c);
int cmd_task_show(struct cli *c);
int cmd_task_list(struct cli *c);
int cmd_task_cancel(struct cli *c);
int cmd_license_issue(struct cli *c);
int cmd_license_list(struct cli *c);
int cmd_task_wait(struct cli *c);
int cmd_license_wait(struct cli *c);
/* cli_cmd_org.c */
int cmd_org_list(struct cli *c);
int cmd_folder_list(struct cli *c);
int cmd_folder_delete(struct cli *c);
int cmd_token_list(struct cli *c);
int cmd_device_show(struct cli *c);
int cmd_device_move(struct cli *c);
/* cli_cmd_licenses.c */
int cmd_license_preload(struct cli *c);
int cmd_license_import(struct cli *c);
int cmd_license_revoke(struct cli *c);
int cmd_license_events(struct cli *c);
int cmd_license_offline(struct cli *c);
int cmd_device_apps(struct cli *c);
int cmd_org_show(struct cli *c);
int cmd_org_rename(struct cli *c);
int cmd_org_notes(struct cli *c);
int cmd_org_archive(struct cli *c);
int cmd_invitation_create(struct cli *c);
int cmd_invitation_list(struct cli *c);
int cmd_invitation_cancel(struct cli *c);
/* cli_cmd_jobs.c */
int cmd_image_recommend(struct cli *c);
int cmd_job_create(struct cli *c);
int cmd_job_list(struct cli *c);
int cmd_job_show(struct cli *c);
int cmd_job_cancel(struct cli *c);
/* cli_cmd_apps.c */
int cmd_app_upload(struct cli *c);
int cmd_app_list(struct cli *c);
int cmd_app_show(struct cli *c);
int cmd_app_recommend(struct cli *c);
int cmd_app_task(struct cli *c);
/* cli_upload.c: sends the local file path through the upload API (kind "app" or
 * "image"; finish_body: the JSON of the finish request, NULL for none), in chunks,
 * resuming where the server stands after a dropped connection; prints the id of what
 * the catalog made of it. Returns the exit code. */
int cli_upload_file(struct cli *c, const char *path, const char *kind,
		    const struct buf *finish_body);
/* Creates a job (POST /admin/v1/jobs) for the targets and options of the command line:
 * an OS upgrade of image, or app_action on the app of package; prints the job id and
 * each skipped device. Returns the exit code. */
int cli_job_send(struct cli *c, const char *image, const char *app_action, const char *package);
/* The key file at path, base64 (one line) into out (DL_KEY_FILE_B64_MAX + 1 bytes): 0, or
 * -1 after a message (cli_cmd_licenses.c). */
int cli_key_file_b64(const char *path, char *out);
/* cli_cmd_wallet.c */
int cmd_product_register(struct cli *c);
int cmd_product_list(struct cli *c);
int cmd_product_show(struct cli *c);
int cmd_wallet_show(struct cli *c);
int cmd_key_redeem(struct cli *c);
int cmd_subscription_start(struct cli *c);
int cmd_subscription_allocate(struct cli *c);
int cmd_extension_allocate(struct cli *c);
/* cli_cmd_accounts.c */
int cmd_login(struct cli *c);
int cmd_user_create_owner(struct cli *c);
int cmd_history(struct cli *c);
/* Reads the first line of path into out (trimmed); what names it in the error. */
int cli_read_line(const char *path, char *out, size_t outsz, const char *what);
/* Where `camcloud login` keeps the API token; -1 when neither variable is set. */
int cli_token_path(char *out, size_t outsz);

#endif
