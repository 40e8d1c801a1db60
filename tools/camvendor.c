/* camvendor: the vendor side of license keys (docs/licenses.md, "License keys"), a
 * tool apart from camcloud so that camcloud never holds a vendor's private key.
 *   camvendor keygen --key KEY [--pub PUB]   a key-signing key pair: the private key
 *                                            in KEY (mode 0600), the public key (PEM)
 *                                            to PUB or stdout, to register a product
 *   camvendor pubkey --key KEY               the public key of KEY again
 *   camvendor mint --key KEY --app ID --type T --count N [--type T --count N ...]
 *                  [--key-id HEX32]          prints one signed license key */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/crypto.h"
#include "../lib/json.h"

#define TYPES_MAX 8
#define COUNT_MAX 1000000

struct args {
	const char *cmd, *key, *pub, *app, *key_id;
	const char *types[TYPES_MAX];
	long counts[TYPES_MAX];
	int ntypes, ncounts;
};

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "camvendor: %s\n", why);
	fputs("usage: camvendor keygen --key KEY [--pub PUB]\n"
	      "       camvendor pubkey --key KEY\n"
	      "       camvendor mint --key KEY --app APP_ID --type T --count N"
	      " [--type T --count N ...] [--key-id HEX32]\n",
	      stderr);
	return 2;
}

static int parse(struct args *a, int argc, char **argv)
{
	if (argc < 2)
		return -1;
	a->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -1;
		i++;
		if (strcmp(o, "--key") == 0)
			a->key = v;
		else if (strcmp(o, "--pub") == 0)
			a->pub = v;
		else if (strcmp(o, "--app") == 0)
			a->app = v;
		else if (strcmp(o, "--key-id") == 0)
			a->key_id = v;
		else if (strcmp(o, "--type") == 0 && a->ntypes < TYPES_MAX)
			a->types[a->ntypes++] = v;
		else if (strcmp(o, "--count") == 0 && a->ncounts < TYPES_MAX) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n < 1 || n > COUNT_MAX)
				return -1;
			a->counts[a->ncounts++] = n;
		} else
			return -1;
	}
	return a->key ? 0 : -1;
}

static int print_public(const struct crypto_key *k, const char *path)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX];
	if (crypto_key_public_pem(k, pem, sizeof(pem)) != 0)
		return 1;
	FILE *f = path ? fopen(path, "w") : stdout;
	if (!f || fputs(pem, f) < 0 || (path && fclose(f) != 0)) {
		fprintf(stderr, "camvendor: cannot write %s\n", path ? path : "stdout");
		return 1;
	}
	return 0;
}

/* The payload of docs/licenses.md, signed over its base64url text. */
static int mint(const struct args *a, const struct crypto_key *k)
{
	char kid[33], payload_b64[2048], sig_b64[CRYPTO_SIG_B64_MAX], sig_url[CRYPTO_SIG_B64_MAX];
	uint8_t der[CRYPTO_SIG_B64_MAX];
	struct buf b;
	struct json_writer w;
	if (!a->app || a->ntypes < 1 || a->ntypes != a->ncounts)
		return usage("mint needs --app and --type/--count pairs");
	if (a->key_id) {
		if (strlen(a->key_id) != 32 || strspn(a->key_id, "0123456789abcdef") != 32)
			return usage("--key-id: 32 lowercase hex digits");
		strcpy(kid, a->key_id);
	} else if (crypto_random_hex(kid, 16) != 0) {
		return 1;
	}
	buf_init(&b, 1024);
	jw_init(&w, &b);
	jw_object_begin(&w);
	jw_kv_int(&w, "v", 1);
	jw_kv_string(&w, "key_id", kid);
	jw_kv_string(&w, "app", a->app);
	jw_key(&w, "licenses");
	jw_array_begin(&w);
	for (int i = 0; i < a->ntypes; i++) {
		jw_object_begin(&w);
		jw_kv_string(&w, "type", a->types[i]);
		jw_kv_int(&w, "count", a->counts[i]);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	int rc = jw_finish(&w) != 0 ||
		 base64url_encode(b.data, b.len, payload_b64, sizeof(payload_b64)) < 0;
	buf_free(&b);
	if (rc)
		return 1;
	int n;
	if (crypto_sign(k, payload_b64, strlen(payload_b64), sig_b64, sizeof(sig_b64)) != 0 ||
	    (n = base64_decode(sig_b64, strlen(sig_b64), der, sizeof(der))) <= 0 ||
	    base64url_encode(der, (size_t)n, sig_url, sizeof(sig_url)) < 0) {
		fprintf(stderr, "camvendor: signing failed\n");
		return 1;
	}
	printf("%s.%s\n", payload_b64, sig_url);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct crypto_key *k = NULL;
	memset(&a, 0, sizeof(a));
	if (parse(&a, argc, argv) != 0)
		return usage(NULL);
	int rc;
	if (strcmp(a.cmd, "keygen") == 0) {
		if (access(a.key, F_OK) == 0) { /* a vendor's only key: never replaced */
			fprintf(stderr, "camvendor: %s exists; not replacing a key\n", a.key);
			rc = 1;
		} else if (crypto_key_generate(&k) != 0 || crypto_key_save_private(k, a.key) != 0) {
			fprintf(stderr, "camvendor: cannot create %s\n", a.key);
			rc = 1;
		} else {
			rc = print_public(k, a.pub);
		}
	} else if (strcmp(a.cmd, "pubkey") == 0 || strcmp(a.cmd, "mint") == 0) {
		if (crypto_key_load_private(&k, a.key) != 0) {
			fprintf(stderr, "camvendor: cannot read the private key %s\n", a.key);
			rc = 1;
		} else {
			rc = strcmp(a.cmd, "mint") == 0 ? mint(&a, k) : print_public(k, NULL);
		}
	} else {
		rc = usage("unknown command");
	}
	crypto_key_free(k);
	return rc;
}
