/* platform: the camera behind one interface. The agent reaches the device only
 * through these operations: identity, OS image install across a reboot, licenses.
 * Backends: sim/ (a camera kept in a directory) and axis/ (local VAPIX). */
#ifndef CAM_PLATFORM_H
#define CAM_PLATFORM_H

#include <stddef.h>

#define PLATFORM_FIELD_MAX 64
#define PLATFORM_REASON_MAX 256
#define PLATFORM_REBOOTS_BY_ITSELF 1

struct platform_identity {
	char serial[PLATFORM_FIELD_MAX];
	char model[PLATFORM_FIELD_MAX];       /* product number, e.g. P3265-LVE */
	char hardware_id[PLATFORM_FIELD_MAX];
	char arch[PLATFORM_FIELD_MAX];        /* aarch64 | armv7hf */
	char os_version[PLATFORM_FIELD_MAX];  /* running AXIS OS version */
};

/* Settings an installer gave the camera (the ACAP's parameters). Empty strings and
 * long_poll_s 0 mean "not set". The enrollment token is a secret: never log it. */
#define PLATFORM_SETTING_URL_MAX 512
#define PLATFORM_SETTING_TOKEN_MAX 1024
struct platform_settings {
	char cloud_url[PLATFORM_SETTING_URL_MAX];
	char enrollment_token[PLATFORM_SETTING_TOKEN_MAX];
	int long_poll_s;
};

/* What the last boot did with a pending upgrade. */
enum platform_boot_outcome {
	PLATFORM_BOOT_NORMAL,       /* no upgrade was pending */
	PLATFORM_BOOT_UPGRADED,     /* booted the new image; uncommitted until platform commit */
	PLATFORM_BOOT_ROLLED_BACK,  /* the new image did not come up; back on the old one */
};

struct platform_ops {
	const char *name;
	int (*identity)(void *priv, struct platform_identity *out, char *reason, size_t reasonsz);
	/* Writes the verified image at path into the inactive slot and arms it for the
	 * next boot. Fails with a precise reason (wrong model, invalid image, ...). */
	int (*install)(void *priv, const char *image_path, char *reason, size_t reasonsz);
	/* Asks for a reboot. 0: the caller must stop and exit now, the device restarts;
	 * PLATFORM_REBOOTS_BY_ITSELF: the device reboots on its own shortly (a camera after
	 * an accepted upgrade): keep running until it does; -1: failed, with a reason. */
	int (*reboot)(void *priv, char *reason, size_t reasonsz);
	enum platform_boot_outcome (*boot_outcome)(void *priv);
	/* Makes the running image permanent (after the agent confirmed it works). */
	int (*commit)(void *priv, char *reason, size_t reasonsz);
	/* Returns to the previous image (reboots on success). */
	int (*rollback)(void *priv, char *reason, size_t reasonsz);
	/* Installs a tied-to-hardware license key file for app. */
	int (*license_install)(void *priv, const char *app, const void *key, size_t keylen,
			       char *reason, size_t reasonsz);
	int (*license_remove)(void *priv, const char *app, char *reason, size_t reasonsz);
	/* Optional (NULL when the backend has none): the camera-side settings. */
	int (*read_settings)(void *priv, struct platform_settings *out, char *reason,
			     size_t reasonsz);
	void (*close)(void *priv);
};

struct platform {
	const struct platform_ops *ops;
	void *priv;
};

/* Each backend's constructor. The sim keeps its camera in dir (see platform/sim/sim.c). */
int platform_sim_open(struct platform *out, const char *dir, char *reason, size_t reasonsz);
/* Creates a new simulated camera in dir (fails if one already exists there). */
int platform_sim_create(const char *dir, const char *serial, const char *model,
			const char *hardware_id, const char *arch, const char *os_version,
			char *reason, size_t reasonsz);

/* The real camera over local VAPIX (platform/axis/). Credentials come from D-Bus at
 * open and stay in memory only. */
struct platform_axis_config {
	const char *vapix_url;    /* NULL: "http://127.0.0.12" (the service-account host) */
	const char *app_name;     /* NULL: "camagent"; the ACAP's appName */
	const char *state_dir;    /* the platform's own small state (pending upgrade) */
	const char *dbus_address; /* NULL: the system bus; tests pass a private bus */
	int auto_rollback_min;    /* upgrade's autoRollback in minutes; 0: "never"; <0: 10 */
	int timeout_s;            /* per VAPIX call except the upload; 0: 30 */
};
int platform_axis_open(struct platform *out, const struct platform_axis_config *cfg,
		       char *reason, size_t reasonsz);

void platform_close(struct platform *p);

/* For backends: writes the reason (when reason is not NULL) and returns -1. */
__attribute__((format(printf, 3, 4))) int platform_fail(char *reason, size_t reasonsz,
							const char *fmt, ...);

#endif
