/* cli_cmd_org: the admin commands for the organization tree — org and folder
 * listings, folder deletion, enrollment token listing, one device's details and
 * moving a device between folders. Each prints the reply (JSON) or an id. */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

#include "../domain/policy.h"

int cmd_org_list(struct cli *c)
{
	return cli_call_print(c, "GET", "/admin/v1/orgs", NULL, NULL);
}

int cmd_folder_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (!is_hex_id(c->pos[2])) {
		fprintf(stderr, "camcloud: '%s' is not an id (32 hex digits)\n", c->pos[2]);
		return 1;
	}
	snprintf(path, sizeof(path), "/admin/v1/folders?org_id=%s", c->pos[2]);
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_folder_delete(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "folders", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "DELETE", path, NULL, NULL);
}

int cmd_token_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (c->folder && !is_hex_id(c->folder)) {
		fprintf(stderr, "camcloud: '%s' is not an id (32 hex digits)\n", c->folder);
		return 1;
	}
	if (cli_query_path(c, path, sizeof(path), "/admin/v1/enrollment-tokens", "folder_id",
			   c->folder) != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_device_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "devices", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_device_move(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "devices", c->pos[2], "/move") != 0)
		return 1;
	struct cli_body bd;
	jw_kv_string(cli_body_begin(&bd), "folder_id", c->pos[3]);
	return cli_body_send(c, &bd, path, "folder_id");
}
