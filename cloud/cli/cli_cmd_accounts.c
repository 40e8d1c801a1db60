/* cli_cmd_accounts: the account side of the command line — `login` (signs in, makes a
 * personal API token, signs out, and keeps the token in a 0600 file that later
 * commands use), `user create-owner` (the first owner, with the bootstrap token), and
 * `history` (every page, as JSON or CSV, with its filters). */
#include "cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../domain/password.h"

#define HISTORY_PAGE "500"

/* The password from --password-file, else a prompt on the terminal without echo, else
 * a line of stdin. */
static int read_password(struct cli *c, char out[PASSWORD_MAX + 1])
{
	if (c->password_file)
		return cli_read_line(c->password_file, out, PASSWORD_MAX + 1, "password");
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	int ok = fgets(out, PASSWORD_MAX + 1, stdin) != NULL;
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	out[ok ? strcspn(out, "\r\n") : 0] = '\0';
	if (!out[0]) {
		fprintf(stderr, "camcloud: no password given\n");
		return -1;
	}
	return 0;
}

/* Where the API token lives: $CAMCLOUD_TOKEN_FILE or ~/.config/camcloud/token. */
int cli_token_path(char *out, size_t outsz)
{
	const char *env = getenv("CAMCLOUD_TOKEN_FILE"), *home = getenv("HOME");
	int n = env && *env ? snprintf(out, outsz, "%s", env)
	    : home && *home ? snprintf(out, outsz, "%s/.config/camcloud/token", home)
			    : -1;
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int save_token(const char *token)
{
	char path[PATH_MAX], dir[PATH_MAX], line[BEARER_MAX + 2];
	if (cli_token_path(path, sizeof(path)) != 0) {
		fprintf(stderr, "camcloud: set CAMCLOUD_TOKEN_FILE or HOME to keep the token\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (fs_mkdirs(dir, 0700) != 0) {
			fprintf(stderr, "camcloud: cannot make %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	int n = snprintf(line, sizeof(line), "%s\n", token);
	int rc = fs_write_atomic(path, line, (size_t)n, 0600);
	memset(line, 0, sizeof(line));
	if (rc != 0)
		fprintf(stderr, "camcloud: cannot write %s: %s\n", path, strerror(errno));
	else
		fprintf(stderr, "camcloud: signed in; API token kept in %s\n", path);
	return rc;
}

/* The one organization of the signed-in user, when --org was not given. */
static int only_org(struct cli *c, char org[DB_ID_LEN])
{
	struct buf out;
	struct json_doc d;
	int rc = -1;
	buf_init(&out, CLI_REPLY_MAX);
	if (cli_call(c, "GET", "/admin/v1/me", NULL, &out) == 0 &&
	    json_parse(&d, buf_str(&out), out.len, CLI_JSON_TOKENS) == 0) {
		int arr = json_find(&d, 0, "memberships");
		int n = arr >= 0 ? json_array_len(&d, arr) : 0;
		if (n == 1 && json_get_string(&d, json_array_at(&d, arr, 0), "org_id", org,
					      DB_ID_LEN) >= 0)
			rc = 0;
		else
			fprintf(stderr, "camcloud: you are a member of %d organizations: give --org\n",
				n);
		json_free(&d);
	}
	buf_free(&out);
	return rc;
}

int cmd_login(struct cli *c)
{
	char pw[PASSWORD_MAX + 1] = "", org[DB_ID_LEN] = "", token[BEARER_MAX] = "";
	struct cli_body bd;
	struct buf out;
	int rc = 1;
	buf_init(&out, CLI_REPLY_MAX);
	if (!c->email) {
		buf_free(&out);
		return cli_usage("login wants --email");
	}
	if (read_password(c, pw) != 0)
		goto out;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "email", c->email);
	jw_kv_string(w, "password", pw);
	if (c->totp)
		jw_kv_string(w, "totp", c->totp);
	jw_object_end(w);
	c->want_cookie = 1;
	int ok = jw_finish(w) == 0 && cli_call(c, "POST", "/admin/v1/signin", &bd.b, &out) == 0 &&
		 cli_reply_get(&out, "csrf_token", c->csrf, sizeof(c->csrf)) == 0 && c->cookie[0];
	c->want_cookie = 0;
	memset(bd.b.data, 0, bd.b.len);
	buf_free(&bd.b);
	if (!ok)
		goto out;
	if (c->org)
		snprintf(org, sizeof(org), "%s", c->org);
	else if (only_org(c, org) != 0)
		goto signout;
	w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", org);
	jw_kv_string(w, "name", "camcloud login");
	jw_object_end(w);
	if (jw_finish(w) == 0 && cli_call(c, "POST", "/admin/v1/me/api-tokens", &bd.b, &out) == 0 &&
	    cli_reply_get(&out, "token", token, sizeof(token)) == 0 && save_token(token) == 0)
		rc = 0;
	buf_free(&bd.b);
signout:
	(void)cli_call(c, "POST", "/admin/v1/signout", NULL, &out);
out:
	memset(pw, 0, sizeof(pw));
	memset(token, 0, sizeof(token));
	memset(c->cookie, 0, sizeof(c->cookie));
	if (out.data)
		memset(out.data, 0, out.len);
	buf_free(&out);
	return rc;
}

int cmd_user_create_owner(struct cli *c)
{
	char pw[PASSWORD_MAX + 1] = "";
	if (!c->email || !c->org_name)
		return cli_usage("user create-owner wants --email and --org-name");
	if (read_password(c, pw) != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "email", c->email);
	jw_kv_string(w, "password", pw);
	jw_kv_string(w, "org_name", c->org_name);
	memset(pw, 0, sizeof(pw));
	return cli_body_send(c, &bd, "/admin/v1/signup", "org.id");
}

/* Appends "&key=<escaped value>" to q when value is given. */
static int query_add(struct cli *c, char *q, size_t qsz, const char *key, const char *value)
{
	if (!value)
		return 0;
	char *esc = curl_easy_escape(c->curl, value, 0);
	size_t n = strlen(q);
	int w = esc ? snprintf(q + n, qsz - n, "&%s=%s", key, esc) : -1;
	curl_free(esc);
	if (w < 0 || (size_t)w >= qsz - n) {
		fprintf(stderr, "camcloud: %s value too long\n", key);
		return -1;
	}
	return 0;
}

/* Every event, newest first, following next_cursor: one JSON object {"events":[...]}. */
static int history_json(struct cli *c, const char *query)
{
	char path[REQ_PATH_MAX * 2], cursor[32] = "";
	struct buf out;
	int rc = 0, first = 1;
	buf_init(&out, CLI_REPLY_MAX);
	printf("{\"events\":[");
	do {
		snprintf(path, sizeof(path), "/admin/v1/history?limit=" HISTORY_PAGE "%s%s%s", query,
			 cursor[0] ? "&cursor=" : "", cursor);
		struct json_doc d;
		if (cli_call(c, "GET", path, NULL, &out) != 0 ||
		    json_parse(&d, buf_str(&out), out.len, CLI_JSON_TOKENS) != 0) {
			rc = 1;
			break;
		}
		int arr = json_find(&d, 0, "events");
		for (int i = 0; arr >= 0 && i < json_array_len(&d, arr); i++) {
			size_t len = 0;
			const char *raw = json_tok_raw(&d, json_array_at(&d, arr, i), &len);
			if (raw)
				printf("%s%.*s", first ? "" : ",", (int)len, raw);
			first = first && !raw;
		}
		if (json_get_string(&d, 0, "next_cursor", cursor, sizeof(cursor)) < 0)
			cursor[0] = '\0';
		json_free(&d);
	} while (cursor[0]);
	printf("]}\n");
	buf_free(&out);
	return rc;
}

int cmd_history(struct cli *c)
{
	char q[REQ_PATH_MAX] = "", path[REQ_PATH_MAX * 2];
	if (query_add(c, q, sizeof(q), "org_id", c->org) || query_add(c, q, sizeof(q), "folder_id", c->folder) ||
	    query_add(c, q, sizeof(q), "device_id", c->device) ||
	    query_add(c, q, sizeof(q), "user_id", c->user) || query_add(c, q, sizeof(q), "kind", c->kind))
		return 1;
	if (!c->csv)
		return history_json(c, q);
	snprintf(path, sizeof(path), "/admin/v1/history?format=csv%s", q);
	return cli_call_print(c, "GET", path, NULL, NULL);
}
