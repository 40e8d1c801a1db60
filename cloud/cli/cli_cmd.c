/* cli_cmd: the admin commands (org, folder, token, device, image, task, license,
 * history): each builds its request, prints an id, a token or the JSON reply, and
 * returns the exit code. task/license wait poll every 200 ms. */
#include "cli_int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/crypto.h"
#include "../../lib/monotonic.h"
#include "../http/api.h"
#include "../domain/payload.h"
#include "../domain/policy.h"

#define CLI_POLL_NS (200 * 1000 * 1000L)

int cmd_org_create(struct cli *c)
{
	struct cli_body bd;
	jw_kv_string(cli_body_begin(&bd), "name", c->pos[2]);
	return cli_body_send(c, &bd, "/admin/v1/orgs", "id");
}

int cmd_folder_create(struct cli *c)
{
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->pos[2]);
	jw_kv_string(w, "name", c->pos[3]);
	if (c->parent)
		jw_kv_string(w, "parent_id", c->parent);
	return cli_body_send(c, &bd, "/admin/v1/folders", "id");
}

int cmd_token_create(struct cli *c)
{
	int64_t ttl = 0, uses = 0;
	if ((c->expires_in && cli_opt_int(c->expires_in, &ttl) != 0) ||
	    (c->max_uses && cli_opt_int(c->max_uses, &uses) != 0))
		return cli_usage("--expires-in and --max-uses take a number");
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "folder_id", c->pos[2]);
	if (c->expires_in)
		jw_kv_int(w, "expires_in", ttl);
	if (c->max_uses)
		jw_kv_int(w, "max_uses", uses);
	if (c->allow_move)
		jw_kv_bool(w, "allow_move", 1);
	return cli_body_send(c, &bd, "/admin/v1/enrollment-tokens", "token");
}

/* The secret inside a printable "cam1." token. */
static int token_secret_of(const char *token, char *out, size_t outsz)
{
	uint8_t raw[TOKEN_STRING_MAX];
	struct json_doc d;
	const char *b = token + 5;
	int n = base64url_decode(b, strlen(b), raw, sizeof(raw) - 1);
	if (n <= 0)
		return -1;
	raw[n] = '\0';
	int rc = -1;
	if (json_parse(&d, (const char *)raw, (size_t)n, 64) == 0) {
		rc = json_get_string(&d, 0, "secret", out, outsz) >= 0 ? 0 : -1;
		json_free(&d);
	}
	memset(raw, 0, sizeof(raw));
	return rc;
}

/* token revoke takes the token's id or the printable token itself. */
int cmd_token_revoke(struct cli *c)
{
	char path[REQ_PATH_MAX], secret[FIELD_SHORT];
	if (strncmp(c->pos[2], "cam1.", 5) != 0) {
		if (cli_id_path(path, sizeof(path), "enrollment-tokens", c->pos[2], "/revoke") != 0)
			return 1;
		return cli_call_print(c, "POST", path, NULL, "id");
	}
	if (token_secret_of(c->pos[2], secret, sizeof(secret)) != 0) {
		fprintf(stderr, "camcloud: not a readable cam1. token\n");
		return 1;
	}
	struct cli_body bd;
	jw_kv_string(cli_body_begin(&bd), "secret", secret);
	memset(secret, 0, sizeof(secret));
	int rc = cli_body_send(c, &bd, "/admin/v1/enrollment-tokens/revoke", "id");
	return rc;
}

int cmd_device_list(struct cli *c)
{
	return cli_call_print(c, "GET", "/admin/v1/devices", NULL, NULL);
}

int cmd_device_find(struct cli *c)
{
	char path[REQ_PATH_MAX * 2], id[DB_ID_LEN] = "";
	struct buf out;
	struct json_doc d;
	char *esc = curl_easy_escape(c->curl, c->pos[2], 0);
	if (!esc || strlen(esc) > REQ_PATH_MAX) {
		curl_free(esc);
		return cli_usage("serial too long");
	}
	snprintf(path, sizeof(path), "/admin/v1/devices?serial=%s", esc);
	curl_free(esc);
	buf_init(&out, CLI_REPLY_MAX);
	int rc = cli_call(c, "GET", path, NULL, &out) == 0 ? 0 : 1;
	if (rc == 0 && json_parse(&d, buf_str(&out), out.len, CLI_JSON_TOKENS) == 0) {
		int arr = json_find(&d, 0, "devices");
		int first = arr >= 0 ? json_array_at(&d, arr, 0) : -1;
		if (first < 0 || json_get_string(&d, first, "id", id, sizeof(id)) < 0)
			id[0] = '\0';
		json_free(&d);
	}
	if (rc == 0 && id[0])
		printf("%s\n", id);
	else if (rc == 0)
		fprintf(stderr, "camcloud: no device with serial %s\n", c->pos[2]);
	buf_free(&out);
	return rc == 0 && id[0] ? 0 : 1;
}

int cmd_device_remove(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "devices", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "DELETE", path, NULL, "id");
}

/* image add MODEL VERSION FILE: streamed (cli_upload.c), or with --server-path a file
 * the server reads and records where it is. */
int cmd_image_add(struct cli *c)
{
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "model", c->pos[2]);
	jw_kv_string(w, "version", c->pos[3]);
	if (c->server_path) {
		cli_kv_file(w, "path", c->pos[4]);
		return cli_body_send(c, &bd, "/admin/v1/images", "id");
	}
	jw_object_end(w);
	int rc = jw_finish(w) == 0 ? cli_upload_file(c, c->pos[4], "image", &bd.b) : 1;
	buf_free(&bd.b);
	return rc;
}

int cmd_image_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_query_path(c, path, sizeof(path), "/admin/v1/images", "model", c->model) != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_task_create(struct cli *c)
{
	int64_t ttl = 0;
	if (c->expires_in && cli_opt_int(c->expires_in, &ttl) != 0)
		return cli_usage("--expires-in takes a number of seconds");
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "device_id", c->pos[2]);
	jw_kv_string(w, "image_id", c->pos[3]);
	if (c->allow_downgrade)
		jw_kv_bool(w, "allow_downgrade", 1);
	if (c->override_app_check)
		jw_kv_bool(w, "override_app_check", 1);
	if (c->expires_in)
		jw_kv_int(w, "expires_in", ttl);
	int rc = cli_window(c, w);
	if (rc != 0) {
		buf_free(&bd.b);
		return rc;
	}
	return cli_body_send(c, &bd, "/admin/v1/tasks", "id");
}

int cmd_task_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "tasks", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_task_list(struct cli *c)
{
	return cli_call_print(c, "GET", "/admin/v1/tasks", NULL, NULL);
}

int cmd_task_cancel(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "tasks", c->pos[2], "/cancel") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, "state");
}

int cmd_license_issue(struct cli *c)
{
	int64_t exp = 0;
	if (c->exp && cli_opt_int(c->exp, &exp) != 0)
		return cli_usage("--exp takes a Unix time");
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "device_id", c->pos[2]);
	jw_kv_string(w, "app", c->pos[3]);
	if (c->exp)
		jw_kv_int(w, "license_exp", exp);
	return cli_body_send(c, &bd, "/admin/v1/licenses", "id");
}

int cmd_license_list(struct cli *c)
{
	char a[REQ_PATH_MAX], b[REQ_PATH_MAX], path[REQ_PATH_MAX];
	if (cli_query_path(c, a, sizeof(a), "/admin/v1/licenses", "org_id", c->org) ||
	    cli_query_path(c, b, sizeof(b), a, "serial", c->serial) ||
	    cli_query_path(c, path, sizeof(path), b, "app", c->app))
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}


/* Whether waiting for want is hopeless once the thing is in state. A license goes
 * pending -> active | failed, then active -> expired, or -> revoked -> removed. */
static int is_final(const char *kind, const char *state, const char *want)
{
	if (strcmp(kind, "task") == 0)
		return task_state_is_final(state);
	if (strcmp(state, "removed") == 0 || strcmp(state, "expired") == 0)
		return 1;
	if (strcmp(state, "revoked") == 0)
		return strcmp(want, "removed") != 0;
	if (strcmp(state, "active") == 0)
		return strcmp(want, "pending") == 0 || strcmp(want, "failed") == 0;
	if (strcmp(state, "failed") == 0)
		return strcmp(want, "pending") == 0 || strcmp(want, "active") == 0;
	return 0;
}

/* task wait / license wait: polls every 200 ms until the state is reached. */
static int wait_state(struct cli *c, const char *kind)
{
	char path[REQ_PATH_MAX], state[32] = "", last[32] = "", reason[FIELD_REASON] = "";
	char *end;
	const char *want = c->pos[3];
	double timeout = strtod(c->pos[4], &end);
	int64_t progress = -1, last_progress = -2;
	struct buf out;

	if (*end || !(timeout >= 0))
		return cli_usage("TIMEOUT_S must be a number of seconds");
	if (cli_id_path(path, sizeof(path), strcmp(kind, "task") == 0 ? "tasks" : "licenses",
		    c->pos[2], "") != 0)
		return 1;
	buf_init(&out, CLI_REPLY_MAX);
	double deadline = monotonic_now() + timeout;
	int rc = -1;
	while (rc < 0) {
		struct json_doc d;
		if (cli_call(c, "GET", path, NULL, &out) != 0 ||
		    json_parse(&d, buf_str(&out), out.len, 256) != 0) {
			rc = 1;
			break;
		}
		int ok = json_get_string(&d, 0, "state", state, sizeof(state)) >= 0;
		if (json_get_int64(&d, 0, "progress", &progress) < 0)
			progress = -1;
		if (json_get_string(&d, 0, "reason", reason, sizeof(reason)) < 0)
			reason[0] = '\0';
		json_free(&d);
		if (!ok) {
			fprintf(stderr, "camcloud: the server's reply has no state\n");
			rc = 1;
			break;
		}
		if (strcmp(state, last) != 0 || progress != last_progress) {
			if (progress >= 0)
				printf("%s %s: %s %" PRId64 "%%\n", kind, c->pos[2], state, progress);
			else
				printf("%s %s: %s\n", kind, c->pos[2], state);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", state);
			last_progress = progress;
		}
		if (strcmp(state, want) == 0) {
			rc = 0;
		} else if (is_final(kind, state, want)) {
			fprintf(stderr, "camcloud: %s %s ended %s%s%s, not %s\n", kind, c->pos[2], state,
				reason[0] ? ": " : "", reason, want);
			rc = 1;
		} else if (monotonic_now() >= deadline) {
			fprintf(stderr, "camcloud: timed out after %g s: %s %s is %s, not %s\n", timeout,
				kind, c->pos[2], state, want);
			rc = 1;
		} else {
			struct timespec ts = {0, CLI_POLL_NS};
			nanosleep(&ts, NULL);
		}
	}
	buf_free(&out);
	return rc;
}

int cmd_task_wait(struct cli *c)
{
	return wait_state(c, "task");
}

int cmd_license_wait(struct cli *c)
{
	return wait_state(c, "license");
}

