/* cli_cmd_jobs: the admin commands for upgrade jobs and the recommended image of a
 * model. `job create` prints the job id on stdout and each skipped device on
 * stderr; the listings print the reply (JSON). */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

#include "../http/api.h"
#include "../domain/policy.h"

int cli_window(struct cli *c, struct json_writer *w)
{
	int64_t start, end;
	if (c->window_utc[0] && c->window_daily[0])
		return cli_usage("give one of --window-utc and --window-daily");
	if (c->window_utc[0]) {
		if (cli_opt_int(c->window_utc[0], &start) != 0 ||
		    cli_opt_int(c->window_utc[1], &end) != 0)
			return cli_usage("--window-utc takes START END in Unix seconds");
		jw_key(w, "window");
		jw_object_begin(w);
		jw_kv_string(w, "kind", "utc");
		jw_kv_int(w, "start", start);
		jw_kv_int(w, "end", end);
		jw_object_end(w);
	} else if (c->window_daily[0]) {
		if (!window_hhmm_valid(c->window_daily[0]) || !window_hhmm_valid(c->window_daily[1]))
			return cli_usage("--window-daily takes FROM TO as HH:MM HH:MM");
		jw_key(w, "window");
		jw_object_begin(w);
		jw_kv_string(w, "kind", "daily");
		jw_kv_string(w, "from", c->window_daily[0]);
		jw_kv_string(w, "to", c->window_daily[1]);
		jw_object_end(w);
	}
	return 0;
}

int cmd_image_recommend(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "images", c->pos[2], "/recommend") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, "id");
}

/* Tells about each device job id left out: create's reply only counts them, job show
 * lists them. */
static int print_skips(struct cli *c, const char *id)
{
	char path[REQ_PATH_MAX], serial[FIELD_SHORT], dev[DB_ID_LEN], reason[FIELD_REASON];
	struct json_doc d;
	struct buf out;
	int rc = 1;
	if (cli_id_path(path, sizeof(path), "jobs", id, "") != 0)
		return 1;
	buf_init(&out, CLI_REPLY_MAX);
	if (cli_call(c, "GET", path, NULL, &out) != 0)
		goto out;
	if (json_parse(&d, buf_str(&out), out.len, CLI_JSON_TOKENS) != 0) {
		fprintf(stderr, "camcloud: the server's reply to job show is no JSON\n");
		goto out;
	}
	int arr = json_find(&d, 0, "skipped");
	for (int i = 0; i < json_array_len(&d, arr); i++) {
		int e = json_array_at(&d, arr, i);
		if (json_get_string(&d, e, "serial", serial, sizeof(serial)) < 0 || !serial[0])
			snprintf(serial, sizeof(serial), "?");
		if (json_get_string(&d, e, "device_id", dev, sizeof(dev)) < 0)
			dev[0] = '\0';
		if (json_get_string(&d, e, "reason", reason, sizeof(reason)) < 0)
			reason[0] = '\0';
		fprintf(stderr, "camcloud: skipped %s (%s): %s\n", serial, dev, reason);
	}
	json_free(&d);
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* Prints the job id; tells about each device the job left out. */
static int print_created(struct cli *c, const struct buf *out)
{
	struct json_doc d;
	char id[DB_ID_LEN];
	int64_t skipped = 0;
	if (json_parse(&d, buf_str(out), out->len, CLI_JSON_TOKENS) != 0 ||
	    json_get_string(&d, 0, "id", id, sizeof(id)) < 0) {
		fprintf(stderr, "camcloud: the server's reply has no job id\n");
		return 1;
	}
	if (json_get_int64(&d, 0, "skipped_count", &skipped) < 0)
		skipped = 0;
	json_free(&d);
	if (skipped > 0 && print_skips(c, id) != 0)
		return 1;
	printf("%s\n", id);
	return 0;
}

/* "params": [{"name","value"}] from --param NAME=VALUE options. */
static int param_list(struct cli *c, struct json_writer *w)
{
	char name[FIELD_SHORT];
	jw_key(w, "params");
	jw_array_begin(w);
	for (int i = 0; i < c->nparams; i++) {
		const char *eq = strchr(c->params[i], '=');
		size_t n = eq ? (size_t)(eq - c->params[i]) : 0;
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, c->params[i], n);
		name[n] = '\0';
		jw_object_begin(w);
		jw_kv_string(w, "name", name);
		jw_kv_string(w, "value", eq + 1);
		jw_object_end(w);
	}
	jw_array_end(w);
	return 0;
}

int cli_job_send(struct cli *c, const char *image, const char *app_action, const char *package)
{
	int64_t ttl = 0;
	if (!!c->devices + !!c->folder + !!c->recommended + !!c->running != 1)
		return cli_usage("a job wants one of --devices, --folder, --recommended, --running");
	if (!image && !c->recommended && !package)
		return cli_usage("job create wants an IMAGE_ID (optional only with --recommended)");
	if (c->expires_in && cli_opt_int(c->expires_in, &ttl) != 0)
		return cli_usage("--expires-in takes a number of seconds");
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	if (image)
		jw_kv_string(w, "image_id", image);
	if (app_action) {
		jw_kv_string(w, "app_action", app_action);
		jw_kv_string(w, "package_id", package);
	}
	if (c->folder)
		jw_kv_string(w, "folder_id", c->folder);
	if (c->recommended)
		jw_kv_string(w, "recommended_model", c->recommended);
	if (c->org)
		jw_kv_string(w, "org_id", c->org);
	if (c->running)
		jw_kv_string(w, "running_app", c->running);
	if (c->allow_downgrade)
		jw_kv_bool(w, "allow_downgrade", 1);
	if (c->override_app_check)
		jw_kv_bool(w, "override_app_check", 1);
	if (c->expires_in)
		jw_kv_int(w, "expires_in", ttl);
	int rc = c->devices && cli_id_array(w, "device_ids", c->devices) != 0
			 ? cli_usage("--devices takes ID,ID,... (device ids)")
		 : c->nparams && param_list(c, w) != 0 ? cli_usage("--param takes NAME=VALUE")
						       : cli_window(c, w);
	jw_object_end(w);
	if (rc == 0 && jw_finish(w) != 0) {
		fprintf(stderr, "camcloud: request body too large\n");
		rc = 1;
	}
	if (rc == 0) {
		struct buf out;
		buf_init(&out, CLI_REPLY_MAX);
		rc = cli_call(c, "POST", "/admin/v1/jobs", &bd.b, &out) == 0 ? print_created(c, &out) : 1;
		buf_free(&out);
	}
	buf_free(&bd.b);
	return rc;
}

int cmd_job_create(struct cli *c)
{
	return cli_job_send(c, c->npos > 2 ? c->pos[2] : NULL, NULL, NULL);
}

int cmd_job_list(struct cli *c)
{
	return cli_call_print(c, "GET", "/admin/v1/jobs", NULL, NULL);
}

int cmd_job_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "jobs", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_job_cancel(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "jobs", c->pos[2], "/cancel") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, NULL);
}
