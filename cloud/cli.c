/* cli: the camcloud admin command line (see cli.h): argument parsing, the admin
 * HTTP call over libcurl's easy interface, and the commands themselves. */
#include "cli.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/buf.h"
#include "../lib/crypto.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "payload.h"
#include "policy.h"
#include "api.h"
#include "server.h"

#define CLI_MAX_POS 8
#define CLI_REPLY_MAX (64 * 1024 * 1024)
#define CLI_JSON_TOKENS (1 << 20)
#define CLI_POLL_NS (200 * 1000 * 1000L)

struct cli {
	const char *pos[CLI_MAX_POS];
	int npos;
	const char *url_opt, *url_file, *data_dir, *token_file;
	const char *parent, *expires_in, *max_uses, *exp;
	int allow_downgrade;
	char url[CLOUD_URL_MAX];
	char token[BEARER_MAX];
	CURL *curl;
};

static const char usage_text[] =
	"usage: camcloud [--url URL | --url-file F] [--data DIR | --admin-token-file F] COMMAND\n"
	"       camcloud serve --data DIR [--listen HOST:PORT] [--public-url URL] [--url-file F]\n"
	"commands:\n"
	"  org create NAME\n"
	"  folder create ORG_ID NAME [--parent ID]\n"
	"  token create FOLDER_ID [--expires-in S] [--max-uses N]\n"
	"  token revoke TOKEN_ID|TOKEN\n"
	"  device list | device find SERIAL | device remove ID\n"
	"  image add MODEL VERSION PATH | image list\n"
	"  task create DEVICE_ID IMAGE_ID [--allow-downgrade] [--expires-in S]\n"
	"  task show ID | task list | task cancel ID | task wait ID STATE TIMEOUT_S\n"
	"  license issue DEVICE_ID APP [--exp UNIX] | license list\n"
	"  license wait ID STATE TIMEOUT_S\n"
	"  history\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "camcloud: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

/* ---- HTTP ---- */

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	return buf_append(arg, p, sz * n) == 0 ? sz * n : 0;
}

static void print_error(const struct buf *body, long status)
{
	struct json_doc d;
	char msg[1024];
	if (body->len && json_parse(&d, buf_str(body), body->len, 64) == 0) {
		int ok = json_get_string(&d, 0, "error.message", msg, sizeof(msg)) >= 0;
		json_free(&d);
		if (ok) {
			fprintf(stderr, "camcloud: %s\n", msg);
			return;
		}
	}
	fprintf(stderr, "camcloud: server answered HTTP %ld\n", status);
}

/* One admin request. 0 on 2xx (reply body in out), else prints why and returns -1. */
static int call(struct cli *c, const char *method, const char *path, const struct buf *body,
		struct buf *out)
{
	char url[CLOUD_URL_MAX + REQ_PATH_MAX], auth[BEARER_MAX + 32], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL, *h2;
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", c->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	h2 = curl_slist_append(h, auth);
	memset(auth, 0, sizeof(auth));
	h = h2 ? curl_slist_append(h2, "Content-Type: application/json") : NULL;
	if (!h) {
		curl_slist_free_all(h2);
		fprintf(stderr, "camcloud: out of memory\n");
		return -1;
	}
	buf_reset(out);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, buf_str(body));
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	CURLcode rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "camcloud: %s %s: %s\n", method, url,
			err[0] ? err : curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		print_error(out, status);
		return -1;
	}
	return 0;
}

/* Reads key (a string) of the JSON object in body into out. */
static int reply_get(const struct buf *body, const char *key, char *out, size_t outsz)
{
	struct json_doc d;
	if (json_parse(&d, buf_str(body), body->len, CLI_JSON_TOKENS) != 0) {
		fprintf(stderr, "camcloud: the server's reply is not JSON\n");
		return -1;
	}
	int rc = json_get_string(&d, 0, key, out, outsz) >= 0 ? 0 : -1;
	json_free(&d);
	if (rc != 0)
		fprintf(stderr, "camcloud: the server's reply has no '%s'\n", key);
	return rc;
}

/* POSTs/GETs and prints one string field of the reply (an id, a token). */
static int call_print(struct cli *c, const char *method, const char *path, struct buf *body,
		      const char *key)
{
	char val[TOKEN_STRING_MAX];
	struct buf out;
	buf_init(&out, CLI_REPLY_MAX);
	int rc = call(c, method, path, body, &out) == 0 && (!key || reply_get(&out, key, val,
									      sizeof(val)) == 0) ? 0 : 1;
	if (rc == 0)
		printf("%s\n", key ? val : buf_str(&out));
	buf_free(&out);
	return rc;
}

/* ---- JSON bodies ---- */

struct body {
	struct buf b;
	struct json_writer w;
};

static struct json_writer *body_begin(struct body *bd)
{
	buf_init(&bd->b, 64 * 1024);
	jw_init(&bd->w, &bd->b);
	jw_object_begin(&bd->w);
	return &bd->w;
}

/* Closes the object and sends it; prints key of the reply (or all of it if NULL). */
static int body_send(struct cli *c, struct body *bd, const char *path, const char *key)
{
	jw_object_end(&bd->w);
	int rc = jw_finish(&bd->w) == 0 ? call_print(c, "POST", path, &bd->b, key) : 1;
	if (rc && bd->w.failed)
		fprintf(stderr, "camcloud: request body too large\n");
	if (bd->b.data)
		memset(bd->b.data, 0, bd->b.len); /* it may hold a token secret */
	buf_free(&bd->b);
	return rc;
}

static int opt_int(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	long long v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* ---- commands ---- */

static int cmd_org_create(struct cli *c)
{
	struct body bd;
	jw_kv_string(body_begin(&bd), "name", c->pos[2]);
	return body_send(c, &bd, "/admin/v1/orgs", "id");
}

static int cmd_folder_create(struct cli *c)
{
	struct body bd;
	struct json_writer *w = body_begin(&bd);
	jw_kv_string(w, "org_id", c->pos[2]);
	jw_kv_string(w, "name", c->pos[3]);
	if (c->parent)
		jw_kv_string(w, "parent_id", c->parent);
	return body_send(c, &bd, "/admin/v1/folders", "id");
}

static int cmd_token_create(struct cli *c)
{
	int64_t ttl = 0, uses = 0;
	if ((c->expires_in && opt_int(c->expires_in, &ttl) != 0) ||
	    (c->max_uses && opt_int(c->max_uses, &uses) != 0))
		return usage("--expires-in and --max-uses take a number");
	struct body bd;
	struct json_writer *w = body_begin(&bd);
	jw_kv_string(w, "folder_id", c->pos[2]);
	if (c->expires_in)
		jw_kv_int(w, "expires_in", ttl);
	if (c->max_uses)
		jw_kv_int(w, "max_uses", uses);
	return body_send(c, &bd, "/admin/v1/enrollment-tokens", "token");
}

/* Builds "/admin/v1/<what>/<id><tail>" with id checked to be an id. */
static int id_path(char *out, size_t outsz, const char *what, const char *id, const char *tail)
{
	if (!is_hex_id(id)) {
		fprintf(stderr, "camcloud: '%s' is not an id (32 hex digits)\n", id);
		return -1;
	}
	snprintf(out, outsz, "/admin/v1/%s/%s%s", what, id, tail);
	return 0;
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
static int cmd_token_revoke(struct cli *c)
{
	char path[REQ_PATH_MAX], secret[FIELD_SHORT];
	if (strncmp(c->pos[2], "cam1.", 5) != 0) {
		if (id_path(path, sizeof(path), "enrollment-tokens", c->pos[2], "/revoke") != 0)
			return 1;
		return call_print(c, "POST", path, NULL, "id");
	}
	if (token_secret_of(c->pos[2], secret, sizeof(secret)) != 0) {
		fprintf(stderr, "camcloud: not a readable cam1. token\n");
		return 1;
	}
	struct body bd;
	jw_kv_string(body_begin(&bd), "secret", secret);
	memset(secret, 0, sizeof(secret));
	int rc = body_send(c, &bd, "/admin/v1/enrollment-tokens/revoke", "id");
	return rc;
}

static int cmd_device_list(struct cli *c)
{
	return call_print(c, "GET", "/admin/v1/devices", NULL, NULL);
}

static int cmd_device_find(struct cli *c)
{
	char path[REQ_PATH_MAX * 2], id[DB_ID_LEN] = "";
	struct buf out;
	struct json_doc d;
	char *esc = curl_easy_escape(c->curl, c->pos[2], 0);
	if (!esc || strlen(esc) > REQ_PATH_MAX) {
		curl_free(esc);
		return usage("serial too long");
	}
	snprintf(path, sizeof(path), "/admin/v1/devices?serial=%s", esc);
	curl_free(esc);
	buf_init(&out, CLI_REPLY_MAX);
	int rc = call(c, "GET", path, NULL, &out) == 0 ? 0 : 1;
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

static int cmd_device_remove(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (id_path(path, sizeof(path), "devices", c->pos[2], "") != 0)
		return 1;
	return call_print(c, "DELETE", path, NULL, "id");
}

static int cmd_image_add(struct cli *c)
{
	char real[PATH_MAX];
	struct body bd;
	struct json_writer *w = body_begin(&bd);
	jw_kv_string(w, "model", c->pos[2]);
	jw_kv_string(w, "version", c->pos[3]);
	/* The server reads the file: send an absolute path when it exists here. */
	jw_kv_string(w, "path", realpath(c->pos[4], real) ? real : c->pos[4]);
	return body_send(c, &bd, "/admin/v1/images", "id");
}

static int cmd_image_list(struct cli *c)
{
	return call_print(c, "GET", "/admin/v1/images", NULL, NULL);
}

static int cmd_task_create(struct cli *c)
{
	int64_t ttl = 0;
	if (c->expires_in && opt_int(c->expires_in, &ttl) != 0)
		return usage("--expires-in takes a number of seconds");
	struct body bd;
	struct json_writer *w = body_begin(&bd);
	jw_kv_string(w, "device_id", c->pos[2]);
	jw_kv_string(w, "image_id", c->pos[3]);
	if (c->allow_downgrade)
		jw_kv_bool(w, "allow_downgrade", 1);
	if (c->expires_in)
		jw_kv_int(w, "expires_in", ttl);
	return body_send(c, &bd, "/admin/v1/tasks", "id");
}

static int cmd_task_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (id_path(path, sizeof(path), "tasks", c->pos[2], "") != 0)
		return 1;
	return call_print(c, "GET", path, NULL, NULL);
}

static int cmd_task_list(struct cli *c)
{
	return call_print(c, "GET", "/admin/v1/tasks", NULL, NULL);
}

static int cmd_task_cancel(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (id_path(path, sizeof(path), "tasks", c->pos[2], "/cancel") != 0)
		return 1;
	return call_print(c, "POST", path, NULL, "state");
}

static int cmd_license_issue(struct cli *c)
{
	int64_t exp = 0;
	if (c->exp && opt_int(c->exp, &exp) != 0)
		return usage("--exp takes a Unix time");
	struct body bd;
	struct json_writer *w = body_begin(&bd);
	jw_kv_string(w, "device_id", c->pos[2]);
	jw_kv_string(w, "app", c->pos[3]);
	if (c->exp)
		jw_kv_int(w, "license_exp", exp);
	return body_send(c, &bd, "/admin/v1/licenses", "id");
}

static int cmd_license_list(struct cli *c)
{
	return call_print(c, "GET", "/admin/v1/licenses", NULL, NULL);
}

static int cmd_history(struct cli *c)
{
	return call_print(c, "GET", "/admin/v1/history", NULL, NULL);
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_final(const char *kind, const char *state)
{
	if (strcmp(kind, "task") == 0)
		return task_state_is_final(state);
	return strcmp(state, "active") == 0 || strcmp(state, "failed") == 0 ||
	       strcmp(state, "revoked") == 0;
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
		return usage("TIMEOUT_S must be a number of seconds");
	if (id_path(path, sizeof(path), strcmp(kind, "task") == 0 ? "tasks" : "licenses",
		    c->pos[2], "") != 0)
		return 1;
	buf_init(&out, CLI_REPLY_MAX);
	double deadline = now_mono() + timeout;
	int rc = -1;
	while (rc < 0) {
		struct json_doc d;
		if (call(c, "GET", path, NULL, &out) != 0 ||
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
		} else if (is_final(kind, state)) {
			fprintf(stderr, "camcloud: %s %s ended %s%s%s, not %s\n", kind, c->pos[2], state,
				reason[0] ? ": " : "", reason, want);
			rc = 1;
		} else if (now_mono() >= deadline) {
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

static int cmd_task_wait(struct cli *c)
{
	return wait_state(c, "task");
}

static int cmd_license_wait(struct cli *c)
{
	return wait_state(c, "license");
}

/* ---- dispatch ---- */

struct command {
	const char *noun, *verb; /* verb NULL: one-word command */
	int nargs;               /* positionals after noun (and verb) */
	int (*fn)(struct cli *c);
};

static const struct command commands[] = {
	{"org", "create", 1, cmd_org_create},
	{"folder", "create", 2, cmd_folder_create},
	{"token", "create", 1, cmd_token_create},
	{"token", "revoke", 1, cmd_token_revoke},
	{"device", "list", 0, cmd_device_list},
	{"device", "find", 1, cmd_device_find},
	{"device", "remove", 1, cmd_device_remove},
	{"image", "add", 3, cmd_image_add},
	{"image", "list", 0, cmd_image_list},
	{"task", "create", 2, cmd_task_create},
	{"task", "show", 1, cmd_task_show},
	{"task", "list", 0, cmd_task_list},
	{"task", "wait", 3, cmd_task_wait},
	{"task", "cancel", 1, cmd_task_cancel},
	{"license", "issue", 2, cmd_license_issue},
	{"license", "list", 0, cmd_license_list},
	{"license", "wait", 3, cmd_license_wait},
	{"history", NULL, 0, cmd_history},
};

static int parse_args(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t off;
	} valued[] = {
		{"--url", offsetof(struct cli, url_opt)},
		{"--url-file", offsetof(struct cli, url_file)},
		{"--data", offsetof(struct cli, data_dir)},
		{"--admin-token-file", offsetof(struct cli, token_file)},
		{"--parent", offsetof(struct cli, parent)},
		{"--expires-in", offsetof(struct cli, expires_in)},
		{"--max-uses", offsetof(struct cli, max_uses)},
		{"--exp", offsetof(struct cli, exp)},
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--allow-downgrade") == 0) {
			c->allow_downgrade = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0) {
			if (c->npos == CLI_MAX_POS)
				return -1;
			c->pos[c->npos++] = a;
			continue;
		}
		size_t k = 0, n = sizeof(valued) / sizeof(valued[0]);
		for (; k < n && strcmp(a, valued[k].name) != 0; k++)
			;
		if (k == n || i + 1 == argc)
			return -1;
		*(const char **)((char *)c + valued[k].off) = argv[++i];
	}
	return 0;
}

/* Reads the first line of path into out (trimmed). */
static int read_line(const char *path, char *out, size_t outsz, const char *what)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = fs_read_file(path, &b, 4096);
	size_t n = rc == 0 ? strcspn(buf_str(&b), "\r\n ") : 0;
	if (rc != 0 || n == 0 || n >= outsz) {
		fprintf(stderr, "camcloud: cannot read the %s from %s\n", what, path);
		rc = -1;
	} else {
		memcpy(out, b.data, n);
		out[n] = '\0';
	}
	if (b.data)
		memset(b.data, 0, b.len);
	buf_free(&b);
	return rc;
}

static int resolve(struct cli *c)
{
	char path[PATH_MAX];
	if (c->url_opt) {
		if (strlen(c->url_opt) >= sizeof(c->url))
			return usage("--url too long");
		strcpy(c->url, c->url_opt);
	} else if (c->url_file || c->data_dir) {
		if (!c->url_file)
			snprintf(path, sizeof(path), "%s/server.url", c->data_dir);
		if (read_line(c->url_file ? c->url_file : path, c->url, sizeof(c->url), "URL") != 0)
			return 1;
	} else {
		return usage("no server: give --url, --url-file or --data");
	}
	size_t n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (!c->token_file && !c->data_dir)
		return usage("no admin token: give --data or --admin-token-file");
	if (!c->token_file)
		snprintf(path, sizeof(path), "%s/admin.token", c->data_dir);
	return read_line(c->token_file ? c->token_file : path, c->token, sizeof(c->token),
			 "admin token") == 0 ? 0 : 1;
}

int cli_main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof(c));
	if (parse_args(&c, argc, argv) != 0 || c.npos == 0)
		return usage(NULL);
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && !cmd; i++) {
		const struct command *k = &commands[i];
		int words = k->verb ? 2 : 1;
		if (strcmp(c.pos[0], k->noun) == 0 &&
		    (!k->verb || (c.npos > 1 && strcmp(c.pos[1], k->verb) == 0)) &&
		    c.npos == words + k->nargs)
			cmd = k;
	}
	if (!cmd)
		return usage("unknown command or wrong number of arguments");
	int rc = resolve(&c);
	if (rc != 0)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c.curl = curl_easy_init())) {
		fprintf(stderr, "camcloud: cannot initialise libcurl\n");
		return 1;
	}
	rc = cmd->fn(&c);
	memset(c.token, 0, sizeof(c.token));
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
	return rc;
}
