/* camcloud entry point: `camcloud serve ...` runs the server, every other command
 * is the admin command line (cli.c) talking to a running server over HTTP. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/crypto.h"
#include "../lib/fsutil.h"
#include "../lib/log.h"
#include "cli/cli.h"
#include "device/seal_pool.h"
#include "http/server.h"

static int serve_usage(void)
{
	fprintf(stderr, "usage: camcloud serve --data DIR [--listen HOST:PORT] [--public-url URL]\n"
			"                      [--url-file FILE] [--log-level error|warn|info|debug]\n"
			"                      [--header-timeout S] [--body-timeout S] [--idle-timeout S]\n"
			"                      [--max-conns-per-source N] [--store postgres:CONNINFO]\n"
			"                      [--signing-key FILE] [--admin-token-file FILE]\n"
			"                      [--sign-threads N]\n"
			"  PORT 0 picks a free port; the bound URL is written to FILE and DIR/server.url.\n"
			"  Defaults: header 10 s, body 30 s, idle 60 s, 128 connections per address.\n"
			"  The store is SQLite in DIR/camcloud.db unless --store names a PostgreSQL\n"
			"  database by a libpq connection string.\n"
			"  --smtp-url smtp://HOST[:PORT] --mail-from ADDR: the relay mail goes out\n"
			"  through (invitations), and its sender address.\n"
			"  Several instances on one PostgreSQL share one signing key and one admin\n"
			"  token: FILEs that must exist (camcloud signing-key create FILE makes a key).\n"
			"  --sign-threads N: threads that sign the task envelopes of woken long polls\n"
			"  (default: one per CPU, at most 8; 0 signs them on the event loop).\n"
			"  --test-clock FILE (tests only): the clock reads epoch seconds from FILE.\n");
	return 2;
}

/* A whole number 1..1000000; -1 otherwise. */
static int positive(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"public-url", required_argument, NULL, 'p'},
		{"url-file", required_argument, NULL, 'u'},
		{"log-level", required_argument, NULL, 'v'},
		{"header-timeout", required_argument, NULL, 'H'},
		{"body-timeout", required_argument, NULL, 'B'},
		{"idle-timeout", required_argument, NULL, 'I'},
		{"max-conns-per-source", required_argument, NULL, 'S'},
		{"store", required_argument, NULL, 's'},
		{"test-clock", required_argument, NULL, 'T'},
		{"smtp-url", required_argument, NULL, 'M'},
		{"mail-from", required_argument, NULL, 'F'},
		{"signing-key", required_argument, NULL, 'K'},
		{"admin-token-file", required_argument, NULL, 'A'},
		{"sign-threads", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct serve_options o;
	int ch;
	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.data_dir = optarg;
			break;
		case 's':
			o.store = optarg;
			break;
		case 'T':
			o.clock_file = optarg;
			break;
		case 'M':
			o.smtp_url = optarg;
			break;
		case 'F':
			o.mail_from = optarg;
			break;
		case 'K':
			o.signing_key = optarg;
			break;
		case 'A':
			o.admin_token_file = optarg;
			break;
		case 'W':
			if (strcmp(optarg, "0") == 0)
				o.sign_threads = SIGN_THREADS_NONE;
			else if (positive(optarg, &o.sign_threads) != 0 ||
				 o.sign_threads > SEAL_THREADS_MAX)
				return serve_usage();
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 'p':
			o.public_url = optarg;
			break;
		case 'u':
			o.url_file = optarg;
			break;
		case 'v':
			o.log_level = optarg;
			break;
		case 'H':
		case 'B':
		case 'I':
		case 'S':
			if (positive(optarg, ch == 'H' ? &o.header_timeout_s : ch == 'B' ? &o.body_timeout_s
					     : ch == 'I' ? &o.idle_timeout_s : &o.per_source) != 0)
				return serve_usage();
			break;
		default:
			return serve_usage();
		}
	}
	if (optind != argc || !o.data_dir)
		return serve_usage();
	return server_run(&o);
}

/* `camcloud signing-key create FILE`: a new cloud signing key (0600) for instances
 * that share one (--signing-key); an existing file is never replaced. */
static int signing_key_create(const char *path)
{
	struct crypto_key *key = NULL;
	char fp[CRYPTO_SHA256_HEX_LEN];
	int created = 0;
	if (fs_exists(path)) {
		log_error("%s exists; a signing key is never replaced", path);
		return 1;
	}
	umask(077);
	if (crypto_key_load_or_create(&key, path, &created) != 0 || !created ||
	    crypto_key_fingerprint(key, fp) != 0) {
		log_error("cannot create the signing key %s", path);
		crypto_key_free(key);
		return 1;
	}
	printf("%s\n", fp);
	crypto_key_free(key);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("camcloud", LOGL_INFO, 0);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (argc == 4 && strcmp(argv[1], "signing-key") == 0 && strcmp(argv[2], "create") == 0)
		return signing_key_create(argv[3]);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("camcloud %s\n", CAMAGENT_VERSION);
		return 0;
	}
	return cli_main(argc, argv);
}
