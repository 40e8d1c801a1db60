/* config: the agent's settings, from a "key = value" file and command-line flags.
 * Flags win over the file; SIGHUP reloads the file and re-applies the flags. */
#ifndef CAM_AGENT_CONFIG_H
#define CAM_AGENT_CONFIG_H

#include <stddef.h>

#include <stdint.h>
#include <limits.h>
#include "../lib/log.h"

#define CONFIG_URL_MAX 512
#define CONFIG_TOKEN_MAX 1024
#define CONFIG_FILE_MAX (64 * 1024)

struct agent_config {
	char cloud_url[CONFIG_URL_MAX];            /* optional: the token carries the URL */
	char enrollment_token[CONFIG_TOKEN_MAX];
	char state_dir[PATH_MAX];
	char platform[16];                         /* "sim" or "axis" */
	char sim_dir[PATH_MAX];
	char vapix_url[CONFIG_URL_MAX];            /* axis: the camera's local VAPIX host */
	char axis_app_name[64];                    /* axis: the ACAP's appName */
	char axis_dbus_address[CONFIG_URL_MAX];    /* axis: "" = the system bus */
	int axis_auto_rollback_min;                /* axis: upgrade autoRollback; 0 = never */
	int local_api_port;                        /* settings page API on 127.0.0.1; 0 = off */
	char ca_file[PATH_MAX];
	int allow_insecure_http;                   /* http:// to loopback only */
	int long_poll_s;
	int heartbeat_s;
	int license_check_s;
	int retry_max_s;                           /* cap of the error backoff */
	int request_timeout_s;                     /* a control request, or a stalled download */
	uint64_t download_max_bytes_per_s;         /* 0: unlimited */
	enum log_level log_level;
	int use_syslog;
};

/* One setting given on the command line; applied after the file. */
struct config_override {
	const char *key;
	const char *value;
};

void config_defaults(struct agent_config *c);
/* defaults, then the file (if path), then the overrides: what start and SIGHUP use. */
int config_build(struct agent_config *c, const char *path, const struct config_override *ov,
		 int nov, char *err, size_t errsz);
/* Sets one key; -1 with a message in err for an unknown key or a bad value. */
int config_set(struct agent_config *c, const char *key, const char *value, char *err, size_t errsz);
/* Applies every line of the file; -1 with "file:line: why" in err. */
int config_load_file(struct agent_config *c, const char *path, char *err, size_t errsz);
/* Checks the combination is usable (state dir set, platform known, ...). */
int config_validate(const struct agent_config *c, char *err, size_t errsz);

#endif
