/* cli_cmd_org: the admin commands for the organization tree — org and folder
 * listings, an organization's settings and archive, folder deletion (preview, then
 * confirm), enrollment token listing, one device's details and
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

/* Without --confirm the server answers what the deletion would remove and the
 * digest to confirm it with; nothing is deleted. */
int cmd_folder_delete(struct cli *c)
{
	char path[REQ_PATH_MAX], base[REQ_PATH_MAX];
	if (cli_id_path(base, sizeof(base), "folders", c->pos[2], "") != 0 ||
	    cli_query_path(c, path, sizeof(path), base, "confirm", c->confirm) != 0)
		return 1;
	return cli_call_print(c, "DELETE", path, NULL, NULL);
}

int cmd_org_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "orgs", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

/* Changes one setting (key) of organization pos[2] to pos[3]. */
static int org_setting(struct cli *c, const char *key)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "orgs", c->pos[2], "/settings") != 0)
		return 1;
	struct cli_body bd;
	jw_kv_string(cli_body_begin(&bd), key, c->pos[3]);
	return cli_body_send(c, &bd, path, key);
}

int cmd_org_rename(struct cli *c)
{
	return org_setting(c, "name");
}

int cmd_org_notes(struct cli *c)
{
	return org_setting(c, "notes");
}

int cmd_org_archive(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "orgs", c->pos[2], "/archive") != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "confirm_id", c->confirm_id ? c->confirm_id : "");
	jw_kv_bool(w, "risk_understood", c->risk_understood);
	return cli_body_send(c, &bd, path, NULL);
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

/* Prints the invitation's id; the link goes to the invitee's mail only. */
int cmd_invitation_create(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (!c->folders)
		return cli_usage("invitation create wants --folders ID,ID,... (what the viewer sees)");
	if (cli_id_path(path, sizeof(path), "orgs", c->pos[2], "/invitations") != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "email", c->pos[3]);
	if (cli_id_array(w, "folder_ids", c->folders) != 0) {
		buf_free(&bd.b);
		return cli_usage("--folders takes ID,ID,... (folder ids)");
	}
	return cli_body_send(c, &bd, path, "id");
}

int cmd_invitation_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "orgs", c->pos[2], "/invitations") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_invitation_cancel(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "invitations", c->pos[2], "/cancel") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, "state");
}
