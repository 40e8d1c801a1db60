/* cli_cmd_licenses: the admin commands for licenses on hardware — preload one against a
 * serial (with or without the vendor's key file), import vendor key files in bulk,
 * revoke, list what happened to them, license an offline system from its system file,
 * and list a device's applications. Each prints the reply (JSON) or an id. */
#include "cli_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/keyfile.h"
#include "../domain/device_licenses.h"
#include "../domain/policy.h"

#define IMPORT_BATCH 32 /* key files per request: well inside the server's body limit */

int cli_key_file_b64(const char *path, char *out)
{
	struct buf raw;
	buf_init(&raw, KEYFILE_MAX_BYTES);
	int rc = fs_read_file(path, &raw, KEYFILE_MAX_BYTES) == 0 && raw.len > 0 &&
			 base64_encode(raw.data, raw.len, out, DL_KEY_FILE_B64_MAX + 1) > 0
		     ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "camcloud: cannot read the key file %s (at most %d bytes)\n", path,
			KEYFILE_MAX_BYTES);
	buf_free(&raw);
	return rc;
}

static int need_org(const struct cli *c)
{
	if (c->org && is_hex_id(c->org))
		return 0;
	fprintf(stderr, "camcloud: --org ID (32 hex digits) is required\n");
	return -1;
}

int cmd_license_preload(struct cli *c)
{
	static char key[DL_KEY_FILE_B64_MAX + 1];
	int64_t exp = 0;
	if (need_org(c) != 0)
		return 2;
	if (!c->serial || !c->app)
		return cli_usage("license preload needs --serial S and --app A");
	if (c->exp && cli_opt_int(c->exp, &exp) != 0)
		return cli_usage("--exp takes a Unix time");
	if (c->key_file && cli_key_file_b64(c->key_file, key) != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->org);
	jw_kv_string(w, "serial", c->serial);
	jw_kv_string(w, "app", c->app);
	if (c->kind)
		jw_kv_string(w, "kind", c->kind);
	if (c->exp)
		jw_kv_int(w, "license_exp", exp);
	if (c->key_file)
		jw_kv_string(w, "key_file", key);
	return cli_body_send(c, &bd, "/admin/v1/licenses/preload", "id");
}

/* Sends one batch of key files; 0 or the exit code. */
static int import_batch(struct cli *c, char **paths, int n)
{
	static char key[DL_KEY_FILE_B64_MAX + 1];
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->org);
	if (c->kind)
		jw_kv_string(w, "kind", c->kind);
	jw_key(w, "key_files");
	jw_array_begin(w);
	for (int i = 0; i < n; i++) {
		if (cli_key_file_b64(paths[i], key) != 0) {
			buf_free(&bd.b);
			return 1;
		}
		jw_string(w, key);
	}
	jw_array_end(w);
	return cli_body_send(c, &bd, "/admin/v1/licenses/import", NULL);
}

static int regular_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* license import --org ID PATH: a key file, or every file of a folder, in batches. */
int cmd_license_import(struct cli *c)
{
	const char *path = c->pos[2];
	struct stat st;
	if (need_org(c) != 0)
		return 2;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "camcloud: %s: no such file or folder\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		char *one[1] = {(char *)path};
		return import_batch(c, one, 1);
	}
	struct dirent **names = NULL;
	int n = scandir(path, &names, regular_entry, alphasort), rc = n < 0 ? 1 : 0;
	char *batch[IMPORT_BATCH];
	int nb = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
			batch[nb] = malloc(len);
			if (!batch[nb]) {
				rc = 1;
			} else {
				snprintf(batch[nb], len, "%s/%s", path, names[i]->d_name);
				nb++;
			}
			if (rc == 0 && (nb == IMPORT_BATCH || i == n - 1))
				rc = import_batch(c, batch, nb);
			if (nb == IMPORT_BATCH || i == n - 1 || rc != 0) {
				for (int j = 0; j < nb; j++)
					free(batch[j]);
				nb = 0;
			}
		}
		free(names[i]);
	}
	free(names);
	if (n == 0)
		fprintf(stderr, "camcloud: %s holds no key files\n", path);
	return n == 0 ? 1 : rc;
}

int cmd_license_revoke(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "licenses", c->pos[2], "/revoke") != 0)
		return 1;
	return cli_call_print(c, "POST", path, NULL, "state");
}

int cmd_license_events(struct cli *c)
{
	char a[REQ_PATH_MAX], b[REQ_PATH_MAX], d[REQ_PATH_MAX], path[REQ_PATH_MAX];
	if (cli_query_path(c, a, sizeof(a), "/admin/v1/license-events", "license_id",
			   c->license_id) ||
	    cli_query_path(c, b, sizeof(b), a, "serial", c->serial) ||
	    cli_query_path(c, d, sizeof(d), b, "app", c->app) ||
	    cli_query_path(c, path, sizeof(path), d, "org_id", c->org))
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

/* license offline --org ID SYSTEM_FILE: prints the license file for that system. */
int cmd_license_offline(struct cli *c)
{
	struct buf sys;
	if (need_org(c) != 0)
		return 2;
	buf_init(&sys, 32 * 1024);
	if (fs_read_file(c->pos[2], &sys, 32 * 1024) != 0) {
		fprintf(stderr, "camcloud: cannot read the system file %s\n", c->pos[2]);
		buf_free(&sys);
		return 1;
	}
	while (sys.len > 0 && (sys.data[sys.len - 1] == '\n' || sys.data[sys.len - 1] == '\r'))
		sys.data[--sys.len] = '\0'; /* the file's last line end is not part of it */
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->org);
	jw_kv_string(w, "system_file", buf_str(&sys));
	buf_free(&sys);
	return cli_body_send(c, &bd, "/admin/v1/licenses/offline", NULL);
}

int cmd_device_apps(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "devices", c->pos[2], "/apps") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}
