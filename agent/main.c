/* camagent: command line. `run` (default) starts the daemon in the foreground
 * (never forks: systemd or the camera's supervisor runs it); `status` prints
 * what the agent last knew; `sim-create` makes a simulated camera. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "agent.h"
#include "license_offline.h"
#include "status.h"

#define MAX_OVERRIDES 32

static void usage(FILE *out)
{
	fprintf(out,
		"usage: camagent [run] [options]      run the agent in the foreground\n"
		"       camagent status [options]     print enrollment, task and license state\n"
		"       camagent sim-create DIR SERIAL MODEL VERSION [ARCH] [HARDWARE_ID]\n"
		"       camagent version\n"
		"options (each overrides the config file; see docs/architecture.md):\n"
		"  --config FILE            key = value settings file (reloaded on SIGHUP)\n"
		"  --state-dir DIR          where keys and state live\n"
		"  --sim-dir DIR            simulated camera directory (platform sim)\n"
		"  --token TOKEN            enrollment token (cam1....)\n"
		"  --cloud-url URL          override the cloud URL the token names\n"
		"  --allow-insecure-http    allow http:// to loopback (tests, demo)\n"
		"  --log-level LEVEL        error, warn, info or debug\n"
		"  --set KEY=VALUE          any config key\n"
		"offline systems:\n"
		"  camagent license export-system-file OUT [options]  the system file for camcloud\n"
		"  camagent license import FILE [options]             activate its license file\n");
}

/* Maps a flag to a config key; NULL if it is not a setting flag. */
static const char *flag_key(const char *flag)
{
	static const char *const map[][2] = {
		{ "--state-dir", "state_dir" },   { "--sim-dir", "sim_dir" },
		{ "--token", "enrollment_token" }, { "--cloud-url", "cloud_url" },
		{ "--log-level", "log_level" },   { "--ca-file", "ca_file" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(flag, map[i][0]))
			return map[i][1];
	return NULL;
}

struct cli {
	const char *command;
	const char *config_path;
	struct config_override overrides[MAX_OVERRIDES];
	int noverrides;
};

static int add_override(struct cli *cli, const char *key, const char *value)
{
	if (cli->noverrides == MAX_OVERRIDES) {
		fprintf(stderr, "camagent: too many options\n");
		return -1;
	}
	cli->overrides[cli->noverrides++] = (struct config_override){ key, value };
	return 0;
}

static int parse_args(int argc, char **argv, struct cli *cli)
{
	static char set_keys[MAX_OVERRIDES][64];
	int i = 1;
	cli->command = "run";
	if (argc > 1 && argv[1][0] != '-')
		cli->command = argv[i++];
	for (; i < argc; i++) {
		const char *key = flag_key(argv[i]);
		if (!strcmp(argv[i], "--allow-insecure-http")) {
			if (add_override(cli, "allow_insecure_http", "true"))
				return -1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(AGENT_EXIT_OK);
		} else if (i + 1 >= argc) {
			fprintf(stderr, "camagent: %s needs a value\n", argv[i]);
			return -1;
		} else if (!strcmp(argv[i], "--config")) {
			cli->config_path = argv[++i];
		} else if (key) {
			if (add_override(cli, key, argv[++i]))
				return -1;
		} else if (!strcmp(argv[i], "--set")) {
			const char *kv = argv[++i], *eq = strchr(kv, '=');
			size_t klen = eq ? (size_t)(eq - kv) : 0;
			if (!eq || klen == 0 || klen >= sizeof(set_keys[0])) {
				fprintf(stderr, "camagent: --set expects KEY=VALUE\n");
				return -1;
			}
			char *k = set_keys[cli->noverrides];
			memcpy(k, kv, klen);
			k[klen] = '\0';
			if (add_override(cli, k, eq + 1))
				return -1;
		} else {
			fprintf(stderr, "camagent: unknown option %s\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static int sim_create(int argc, char **argv)
{
	char reason[PLATFORM_REASON_MAX];
	if (argc < 6) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	const char *arch = argc > 6 ? argv[6] : "aarch64";
	const char *hwid = argc > 7 ? argv[7] : "7A1";
	if (platform_sim_create(argv[2], argv[3], argv[4], hwid, arch, argv[5], reason,
				sizeof(reason))) {
		fprintf(stderr, "camagent: sim-create %s: %s\n", argv[2], reason);
		return AGENT_EXIT_PLATFORM;
	}
	return AGENT_EXIT_OK;
}

/* camagent license export-system-file OUT | import FILE [options]: offline systems. */
static int license_command(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct agent_config cfg;
	char err[512];
	if (argc < 4 || (strcmp(argv[2], "export-system-file") && strcmp(argv[2], "import"))) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	/* the options after FILE, as for run; no local API next to a running agent */
	if (parse_args(argc - 3, argv + 3, &cli) || add_override(&cli, "local_api_port", "0")) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	if (config_build(&cfg, cli.config_path, cli.overrides, cli.noverrides, err, sizeof(err)) ||
	    config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "camagent: %s\n", err);
		return AGENT_EXIT_CONFIG;
	}
	log_init("camagent", cfg.log_level, 0);
	struct agent a;
	int rc = agent_init(&a, &cfg, cli.config_path, cli.overrides, cli.noverrides);
	if (rc == AGENT_EXIT_OK) {
		agent_settle(&a); /* the camera's answer to its start */
		if (!a.camera_up) {
			fprintf(stderr, "camagent: the camera is not ready: %s\n", a.camera_not_ready);
			rc = AGENT_EXIT_PLATFORM;
		}
	}
	if (rc == AGENT_EXIT_OK)
		rc = !strcmp(argv[2], "import") ? license_import_file(&a, argv[3])
						: license_export_system_file(&a, argv[3]);
	agent_free(&a);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct agent_config cfg;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "version")) {
		printf("camagent %s\n", CAMAGENT_VERSION);
		return AGENT_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "sim-create"))
		return sim_create(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "license"))
		return license_command(argc, argv);
	if (parse_args(argc, argv, &cli)) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	if (config_build(&cfg, cli.config_path, cli.overrides, cli.noverrides, err, sizeof(err))) {
		fprintf(stderr, "camagent: %s\n", err);
		return AGENT_EXIT_CONFIG;
	}
	if (!strcmp(cli.command, "status")) {
		if (!cfg.state_dir[0]) {
			fprintf(stderr, "camagent: status needs --state-dir or --config\n");
			return AGENT_EXIT_USAGE;
		}
		return status_print(cfg.state_dir, stdout) ? AGENT_EXIT_STATE : AGENT_EXIT_OK;
	}
	if (strcmp(cli.command, "run")) {
		fprintf(stderr, "camagent: unknown command '%s'\n", cli.command);
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	if (config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "camagent: %s\n", err);
		return AGENT_EXIT_CONFIG;
	}
	log_init("camagent", cfg.log_level, cfg.use_syslog);
	log_info("camagent %s starting", CAMAGENT_VERSION);

	struct agent a;
	int rc = agent_init(&a, &cfg, cli.config_path, cli.overrides, cli.noverrides);
	if (rc == AGENT_EXIT_OK)
		rc = agent_run(&a);
	agent_free(&a);
	log_info("camagent stopped (exit %d)", rc);
	return rc;
}
