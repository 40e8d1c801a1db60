/* cli_cmd_wallet: the admin commands for products, their wallets, license keys and
 * subscriptions (docs/admin-api.md). Most print the server's reply (JSON); `wallet
 * show` prints one line per product and per lot for people. */
#include "cli_int.h"

#include <stdio.h>
#include <string.h>

#include "../../lib/fsutil.h"
#include "../domain/device_licenses.h"
#include "../domain/policy.h"

#define PEM_FILE_MAX 4096
#define KEY_FILE_MAX 8192

/* Reads a whole small file into b (NUL-terminated): 0, or -1 after a message. */
static int read_small(const char *path, struct buf *b, size_t max, const char *what)
{
	buf_init(b, max);
	if (fs_read_file(path, b, max) != 0) {
		fprintf(stderr, "camcloud: cannot read the %s from %s\n", what, path);
		buf_free(b);
		return -1;
	}
	return 0;
}

int cmd_product_register(struct cli *c)
{
	struct buf pem;
	if (!c->types || !c->public_key)
		return cli_usage("product register needs --types T,T.. and --public-key PEM_FILE");
	if (read_small(c->public_key, &pem, PEM_FILE_MAX, "public key") != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->pos[2]);
	jw_kv_string(w, "name", c->pos[3]);
	jw_kv_string(w, "app_id", c->pos[4]);
	jw_kv_string(w, "public_key", buf_str(&pem));
	jw_key(w, "types");
	jw_array_begin(w);
	for (const char *s = c->types; *s;) {
		size_t k = strcspn(s, ",");
		char type[64];
		snprintf(type, sizeof(type), "%.*s", (int)k, s);
		jw_string(w, type);
		s += k + (s[k] == ',');
	}
	jw_array_end(w);
	buf_free(&pem);
	return cli_body_send(c, &bd, "/admin/v1/products", "id");
}

int cmd_product_list(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_query_path(c, path, sizeof(path), "/admin/v1/products", "org_id", c->pos[2]) != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

int cmd_product_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "products", c->pos[2], "") != 0)
		return 1;
	return cli_call_print(c, "GET", path, NULL, NULL);
}

/* One product of the listing as lines: its counts, then each lot. */
static void print_wallet(const struct json_doc *d, int prod)
{
	char name[160] = "", app[160] = "", text[160] = "", type[64] = "";
	(void)json_get_string(d, prod, "name", name, sizeof(name));
	(void)json_get_string(d, prod, "app_id", app, sizeof(app));
	printf("%s (%s):", name, app);
	int types = json_find(d, prod, "types");
	for (int i = 0; i < json_array_len(d, types); i++) {
		int64_t n = 0;
		char key[96];
		if (json_tok_string(d, json_array_at(d, types, i), type, sizeof(type)) < 0)
			continue;
		snprintf(key, sizeof(key), "wallet.counts.%s", type);
		(void)json_get_int64(d, prod, key, &n);
		printf(" %s %lld", type, (long long)n);
	}
	printf("\n");
	int lots = json_find(d, prod, "wallet.lots");
	for (int i = 0; i < json_array_len(d, lots); i++) {
		int lot = json_array_at(d, lots, i);
		int64_t left = 0, total = 0;
		(void)json_get_int64(d, lot, "left", &left);
		(void)json_get_int64(d, lot, "total", &total);
		(void)json_get_string(d, lot, "type", type, sizeof(type));
		(void)json_get_string(d, lot, "state", text, sizeof(text));
		printf("  %lld of %lld %s: %s\n", (long long)left, (long long)total, type, text);
	}
}

int cmd_wallet_show(struct cli *c)
{
	char path[REQ_PATH_MAX];
	struct buf out;
	struct json_doc d;
	if (cli_query_path(c, path, sizeof(path), "/admin/v1/products", "org_id", c->pos[2]) != 0)
		return 1;
	buf_init(&out, CLI_REPLY_MAX);
	int rc = cli_call(c, "GET", path, NULL, &out) == 0 ? 0 : 1;
	if (rc == 0 && json_parse(&d, buf_str(&out), out.len, CLI_JSON_TOKENS) == 0) {
		int prods = json_find(&d, 0, "products");
		for (int i = 0; i < json_array_len(&d, prods); i++)
			print_wallet(&d, json_array_at(&d, prods, i));
		json_free(&d);
	} else if (rc == 0) {
		fprintf(stderr, "camcloud: the server's reply is not JSON\n");
		rc = 1;
	}
	buf_free(&out);
	return rc;
}

int cmd_key_redeem(struct cli *c)
{
	struct buf file = {0};
	const char *key = c->pos[3];
	if (key[0] == '@') { /* @FILE: the key as the vendor sent it */
		if (read_small(key + 1, &file, KEY_FILE_MAX, "license key") != 0)
			return 1;
		char *k = (char *)buf_str(&file);
		k[strcspn(k, "\r\n")] = '\0';
		key = k;
	}
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "org_id", c->pos[2]);
	jw_kv_string(w, "key", key);
	buf_free(&file);
	return cli_body_send(c, &bd, "/admin/v1/license-keys/redeem", NULL);
}

int cmd_subscription_start(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "products", c->pos[2], "/subscription") != 0)
		return 1;
	struct cli_body bd;
	cli_body_begin(&bd);
	return cli_body_send(c, &bd, path, NULL);
}

int cmd_subscription_allocate(struct cli *c)
{
	char path[REQ_PATH_MAX];
	int64_t count, ahead = 0;
	if (cli_id_path(path, sizeof(path), "products", c->pos[2], "/allocations") != 0)
		return 1;
	if (cli_opt_int(c->pos[3], &count) != 0 || (c->ahead && cli_opt_int(c->ahead, &ahead) != 0))
		return cli_usage("COUNT and --ahead are numbers");
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_int(w, "count", count);
	jw_kv_int(w, "ahead", ahead);
	jw_kv_bool(w, "dry_run", c->dry_run);
	return cli_body_send(c, &bd, path, NULL);
}

int cmd_extension_allocate(struct cli *c)
{
	char path[REQ_PATH_MAX];
	if (cli_id_path(path, sizeof(path), "products", c->pos[2], "/extension-allocations") != 0)
		return 1;
	static char key[DL_KEY_FILE_B64_MAX + 1];
	if (c->key_file && cli_key_file_b64(c->key_file, key) != 0)
		return 1;
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	jw_kv_string(w, "serial", c->pos[3]);
	if (c->key_file)
		jw_kv_string(w, "key_file", key);
	return cli_body_send(c, &bd, path, NULL);
}
