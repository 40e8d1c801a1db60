/* cli: the camcloud admin command line (see cli.h): parses the command line,
 * finds the server URL and the admin token, and dispatches to a command (cli_cmd.c). */
#include "cli.h"
#include "cli_int.h"

#include <curl/curl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/fsutil.h"

static const char usage_text[] =
	"usage: camcloud [--url URL | --url-file F] [--data DIR | --admin-token-file F] COMMAND\n"
	"       (the API token of `camcloud login` comes from $CAMCLOUD_TOKEN_FILE or\n"
	"       ~/.config/camcloud/token; $CAMCLOUD_ADMIN_TOKEN gives the bootstrap token)\n"
	"       camcloud serve --data DIR [--listen HOST:PORT] [--public-url URL] [--url-file F]\n"
	"       camcloud signing-key create FILE\n"
	"commands:\n"
	"  org create NAME | org list | org show ID | org rename ID NAME | org notes ID TEXT\n"
	"  org archive ID --confirm-id ID --risk-understood\n"
	"  invitation create ORG_ID EMAIL --folders ID,ID.. (a viewer) | invitation list ORG_ID\n"
	"  invitation cancel ID\n"
	"  folder create ORG_ID NAME [--parent ID] | folder list ORG_ID\n"
	"  folder delete ID (prints what it would remove) | folder delete ID --confirm DIGEST\n"
	"  token create FOLDER_ID [--expires-in S] [--max-uses N] [--allow-move]\n"
	"  token list [--folder ID] | token revoke TOKEN_ID|TOKEN\n"
	"  device list | device find SERIAL | device show ID | device remove ID\n"
	"  device move ID FOLDER_ID\n"
	"  image add MODEL VERSION FILE [--server-path] | image list [--model M]\n"
	"  image recommend ID\n"
	"  task create DEVICE_ID IMAGE_ID [--allow-downgrade] [--override-app-check]\n"
	"             [--expires-in S] [WINDOW]\n"
	"  task show ID | task list | task cancel ID | task wait ID STATE TIMEOUT_S\n"
	"  job create [IMAGE_ID] --devices ID,ID.. | --folder ID | --recommended MODEL [--org ID]\n"
	"             [--allow-downgrade] [--override-app-check] [--expires-in S] [WINDOW]\n"
	"  job list | job show ID | job cancel ID\n"
	"  license issue DEVICE_ID APP [--exp UNIX]\n"
	"  license list [--org ID] [--serial S] [--app A] | license wait ID STATE TIMEOUT_S\n"
	"  license preload --org ID --serial S --app A [--key-file F] [--kind tied|extension]\n"
	"                  [--exp UNIX]\n"
	"  license import --org ID PATH [--kind tied|extension]  (key files: a file or a folder)\n"
	"  license revoke ID | license events [--license ID] [--serial S] [--app A] [--org ID]\n"
	"  license offline --org ID SYSTEM_FILE  (prints the license file for it)\n"
	"  device apps ID\n"
	"  app upload FILE.eap [--server-path] | app list [--app NAME] | app show ID\n"
	"  app recommend ID   (FILE is streamed in chunks; --server-path: the server reads it)\n"
	"  app task ACTION PACKAGE_ID --devices ID,ID.. | --folder ID | --running APP\n"
	"             [--param NAME=VALUE].. [--expires-in S] [WINDOW]   (ACTION: install remove start stop restart\n"
	"             set_params; PACKAGE_ID names the app, and for install what to install)\n"
	"  product register ORG_ID NAME APP_ID --types T,T.. --public-key PEM_FILE\n"
	"  product list ORG_ID | product show ID | wallet show ORG_ID\n"
	"  key redeem ORG_ID KEY|@FILE\n"
	"  subscription start PRODUCT_ID\n"
	"  subscription allocate PRODUCT_ID COUNT [--ahead YEARS] [--dry-run]\n"
	"  extension allocate PRODUCT_ID SERIAL [--key-file F]\n"
	"  history [--csv] [--org ID] [--folder ID] [--device ID] [--user ID] [--kind K]\n"
	"  login --email E [--org ID] [--password-file F] [--totp CODE]\n"
	"  user create-owner --email E --org-name NAME [--password-file F]\n"
	"WINDOW: --window-utc START END (Unix seconds) | --window-daily HH:MM HH:MM (device time)\n";

int cli_usage(const char *why)
{
	if (why)
		fprintf(stderr, "camcloud: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

struct command {
	const char *noun, *verb; /* verb NULL: one-word command */
	int nargs;               /* positionals after noun (and verb) */
	int (*fn)(struct cli *c);
};

static const struct command commands[] = {
	{"org", "create", 1, cmd_org_create},
	{"org", "list", 0, cmd_org_list},
	{"org", "show", 1, cmd_org_show},
	{"org", "rename", 2, cmd_org_rename},
	{"org", "notes", 2, cmd_org_notes},
	{"org", "archive", 1, cmd_org_archive},
	{"invitation", "create", 2, cmd_invitation_create},
	{"invitation", "list", 1, cmd_invitation_list},
	{"invitation", "cancel", 1, cmd_invitation_cancel},
	{"folder", "create", 2, cmd_folder_create},
	{"folder", "list", 1, cmd_folder_list},
	{"folder", "delete", 1, cmd_folder_delete},
	{"token", "create", 1, cmd_token_create},
	{"token", "list", 0, cmd_token_list},
	{"token", "revoke", 1, cmd_token_revoke},
	{"device", "list", 0, cmd_device_list},
	{"device", "find", 1, cmd_device_find},
	{"device", "show", 1, cmd_device_show},
	{"device", "remove", 1, cmd_device_remove},
	{"device", "move", 2, cmd_device_move},
	{"image", "add", 3, cmd_image_add},
	{"image", "list", 0, cmd_image_list},
	{"image", "recommend", 1, cmd_image_recommend},
	{"job", "create", 0, cmd_job_create},
	{"job", "create", 1, cmd_job_create},
	{"job", "list", 0, cmd_job_list},
	{"job", "show", 1, cmd_job_show},
	{"job", "cancel", 1, cmd_job_cancel},
	{"task", "create", 2, cmd_task_create},
	{"task", "show", 1, cmd_task_show},
	{"task", "list", 0, cmd_task_list},
	{"task", "wait", 3, cmd_task_wait},
	{"task", "cancel", 1, cmd_task_cancel},
	{"license", "issue", 2, cmd_license_issue},
	{"license", "list", 0, cmd_license_list},
	{"license", "wait", 3, cmd_license_wait},
	{"app", "upload", 1, cmd_app_upload},
	{"app", "list", 0, cmd_app_list},
	{"app", "show", 1, cmd_app_show},
	{"app", "recommend", 1, cmd_app_recommend},
	{"app", "task", 2, cmd_app_task},
	{"license", "preload", 0, cmd_license_preload},
	{"license", "import", 1, cmd_license_import},
	{"license", "revoke", 1, cmd_license_revoke},
	{"license", "events", 0, cmd_license_events},
	{"license", "offline", 1, cmd_license_offline},
	{"device", "apps", 1, cmd_device_apps},
	{"product", "register", 3, cmd_product_register},
	{"product", "list", 1, cmd_product_list},
	{"product", "show", 1, cmd_product_show},
	{"wallet", "show", 1, cmd_wallet_show},
	{"key", "redeem", 2, cmd_key_redeem},
	{"subscription", "start", 1, cmd_subscription_start},
	{"subscription", "allocate", 2, cmd_subscription_allocate},
	{"extension", "allocate", 2, cmd_extension_allocate},
	{"history", NULL, 0, cmd_history},
	{"login", NULL, 0, cmd_login},
	{"user", "create-owner", 0, cmd_user_create_owner},
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
		{"--folder", offsetof(struct cli, folder)},
		{"--model", offsetof(struct cli, model)},
		{"--devices", offsetof(struct cli, devices)},
		{"--recommended", offsetof(struct cli, recommended)},
		{"--running", offsetof(struct cli, running)},
		{"--serial", offsetof(struct cli, serial)},
		{"--app", offsetof(struct cli, app)},
		{"--key-file", offsetof(struct cli, key_file)},
		{"--confirm", offsetof(struct cli, confirm)},
		{"--confirm-id", offsetof(struct cli, confirm_id)},
		{"--folders", offsetof(struct cli, folders)},
		{"--org", offsetof(struct cli, org)},
		{"--kind", offsetof(struct cli, kind)},
		{"--license", offsetof(struct cli, license_id)},
		{"--types", offsetof(struct cli, types)},
		{"--public-key", offsetof(struct cli, public_key)},
		{"--ahead", offsetof(struct cli, ahead)},
		{"--email", offsetof(struct cli, email)},
		{"--password-file", offsetof(struct cli, password_file)},
		{"--totp", offsetof(struct cli, totp)},
		{"--org-name", offsetof(struct cli, org_name)},
		{"--device", offsetof(struct cli, device)},
		{"--user", offsetof(struct cli, user)},
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--allow-downgrade") == 0) {
			c->allow_downgrade = 1;
			continue;
		}
		if (strcmp(a, "--param") == 0) {
			if (i + 1 == argc || c->nparams == (int)(sizeof(c->params) / sizeof(c->params[0])))
				return -1;
			c->params[c->nparams++] = argv[++i];
			continue;
		}
		if (strcmp(a, "--server-path") == 0) {
			c->server_path = 1;
			continue;
		}
		if (strcmp(a, "--override-app-check") == 0) {
			c->override_app_check = 1;
			continue;
		}
		if (strcmp(a, "--allow-move") == 0) {
			c->allow_move = 1;
			continue;
		}
		if (strcmp(a, "--dry-run") == 0) {
			c->dry_run = 1;
			continue;
		}
		if (strcmp(a, "--risk-understood") == 0) {
			c->risk_understood = 1;
			continue;
		}
		if (strcmp(a, "--csv") == 0) {
			c->csv = 1;
			continue;
		}
		if (strcmp(a, "--window-utc") == 0 || strcmp(a, "--window-daily") == 0) {
			const char **pair = strcmp(a, "--window-utc") == 0 ? c->window_utc
									  : c->window_daily;
			if (i + 2 >= argc)
				return -1;
			pair[0] = argv[++i];
			pair[1] = argv[++i];
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

int cli_read_line(const char *path, char *out, size_t outsz, const char *what)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = fs_read_file(path, &b, 4096);
	size_t n = rc == 0 ? strcspn(buf_str(&b), "\r\n") : 0; /* a password may hold spaces */
	while (n && (b.data[n - 1] == ' ' || b.data[n - 1] == '\t'))
		n--;
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

/* The token: --admin-token-file, $CAMCLOUD_TOKEN_FILE (the API token of `camcloud
 * login`), $CAMCLOUD_ADMIN_TOKEN, DIR/admin.token of --data (the bootstrap token), else
 * the API token `camcloud login` kept in ~/.config/camcloud/token. */
static int resolve_token(struct cli *c)
{
	char path[PATH_MAX];
	const char *env_file = getenv("CAMCLOUD_TOKEN_FILE");
	const char *env_admin = getenv("CAMCLOUD_ADMIN_TOKEN");
	if (c->token_file)
		return cli_read_line(c->token_file, c->token, sizeof(c->token), "admin token");
	if (env_file && *env_file)
		return cli_read_line(env_file, c->token, sizeof(c->token), "API token");
	if (env_admin && *env_admin) {
		if (strlen(env_admin) >= sizeof(c->token))
			return cli_usage("CAMCLOUD_ADMIN_TOKEN too long");
		strcpy(c->token, env_admin);
		return 0;
	}
	if (c->data_dir) {
		snprintf(path, sizeof(path), "%s/admin.token", c->data_dir);
		return cli_read_line(path, c->token, sizeof(c->token), "admin token");
	}
	if (cli_token_path(path, sizeof(path)) == 0 && fs_exists(path))
		return cli_read_line(path, c->token, sizeof(c->token), "API token");
	return cli_usage("no token: camcloud login, or give --data or --admin-token-file");
}

static int resolve(struct cli *c, int need_token)
{
	char path[PATH_MAX];
	if (c->url_opt) {
		if (strlen(c->url_opt) >= sizeof(c->url))
			return cli_usage("--url too long");
		strcpy(c->url, c->url_opt);
	} else if (c->url_file || c->data_dir) {
		if (!c->url_file)
			snprintf(path, sizeof(path), "%s/server.url", c->data_dir);
		if (cli_read_line(c->url_file ? c->url_file : path, c->url, sizeof(c->url), "URL") != 0)
			return 1;
	} else {
		return cli_usage("no server: give --url, --url-file or --data");
	}
	size_t n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (!need_token)
		return 0;
	int rc = resolve_token(c);
	return rc < 0 ? 1 : rc;
}

int cli_main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof(c));
	if (parse_args(&c, argc, argv) != 0 || c.npos == 0)
		return cli_usage(NULL);
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
		return cli_usage("unknown command or wrong number of arguments");
	int rc = resolve(&c, cmd->fn != cmd_login); /* login signs in itself */
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
