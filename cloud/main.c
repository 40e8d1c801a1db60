/* camcloud entry point: `camcloud serve ...` runs the server, every other command
 * is the admin command line (cli.c) talking to a running server over HTTP. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "cli/cli.h"
#include "http/server.h"

static int serve_usage(void)
{
	fprintf(stderr, "usage: camcloud serve --data DIR [--listen HOST:PORT] [--public-url URL]\n"
			"                      [--url-file FILE] [--log-level error|warn|info|debug]\n"
			"                      [--header-timeout S] [--body-timeout S] [--idle-timeout S]\n"
			"                      [--max-conns-per-source N] [--store postgres:CONNINFO]\n"
			"  PORT 0 picks a free port; the bound URL is written to FILE and DIR/server.url.\n"
			"  Defaults: header 10 s, body 30 s, idle 60 s, 128 connections per address.\n"
			"  The store is SQLite in DIR/camcloud.db unless --store names a PostgreSQL\n"
			"  database by a libpq connection string.\n"
			"  --smtp-url smtp://HOST[:PORT] --mail-from ADDR: the relay mail goes out\n"
			"  through (invitations), and its sender address.\n"
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

int main(int argc, char **argv)
{
	log_init("camcloud", LOGL_INFO, 0);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("camcloud %s\n", CAMAGENT_VERSION);
		return 0;
	}
	return cli_main(argc, argv);
}
