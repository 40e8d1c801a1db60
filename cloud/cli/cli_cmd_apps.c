/* cli_cmd_apps: the admin commands of the application catalog. `app upload` streams the
 * package (cli_upload.c; --server-path: the server reads the file itself) and prints the
 * package id; the listings print the reply (JSON). */
#include "cli_int.h"

int cmd_app_upload(struct cli *c)
{
	if (!c->server_path)
		return cli_upload_file(c, c->pos[2], "app", NULL);
	struct cli_body bd;
	cli_kv_file(cli_body_begin(&bd), "path", c->pos[2]);
	return cli_body_send(c, &bd, "/admin/v1/apps", "id");
}

int cmd_app_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_query_path(c, path, sizeof(path), "/admin/v1/apps", "app", c->app) != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_app_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "apps", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_app_recommend(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "apps", c->pos[2], "/recommend") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, "id");
}

/* app task ACTION PACKAGE_ID --devices ..|--folder ..|--running APP [--param NAME=VALUE].. [WINDOW] */
int cmd_app_task(struct cli *c)
{
	return cli_job_send(c, NULL, c->pos[2], c->pos[3]);
}
