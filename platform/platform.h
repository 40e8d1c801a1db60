/* platform: the camera behind one interface. The agent reaches the device only
 * through these operations: identity, OS image install across a reboot, licenses,
 * applications.
 * Backends: sim/ (a camera kept in a directory) and axis/ (local VAPIX). */
#ifndef CAM_PLATFORM_H
#define CAM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

struct event_base;

#define PLATFORM_FIELD_MAX 64
#define PLATFORM_REASON_MAX 256
#define PLATFORM_REBOOTS_BY_ITSELF 1
/* An operation that goes on on the agent's loop: its done callback brings the result. */
#define PLATFORM_IN_PROGRESS 2

/* The result of an operation that goes on on the loop: rc 0, -1, or an operation's own
 * code (PLATFORM_APP_*), reason for -1 (valid during the call only). Called exactly once,
 * on the loop, unless the platform is closed first (then never). */
typedef void (*platform_done_fn)(void *arg, int rc, const char *reason);

/* The agent's one curl multi on its loop, lent to a backend, so the backend's requests
 * run beside the agent's own and none blocks the loop. */
typedef void (*platform_transfer_done_fn)(CURL *easy, CURLcode result, void *arg);
struct platform_net {
	/* Runs the configured handle easy; done is called once, later, on the loop, when
	 * the transfer ended (easy stays the caller's to clean up). NULL: not started. */
	void *(*start)(void *priv, CURL *easy, platform_transfer_done_fn done, void *arg);
	/* Stops a started transfer; its done is not called. */
	void (*cancel)(void *priv, void *transfer);
	void *priv;
};

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
/* settings: what was read, NULL unless rc is 0; valid during the call only. */
typedef void (*platform_settings_done_fn)(void *arg, int rc, const char *reason,
					  const struct platform_settings *settings);

/* What the last boot did with a pending upgrade. */
enum platform_boot_outcome {
	PLATFORM_BOOT_NORMAL,       /* no upgrade was pending */
	PLATFORM_BOOT_UPGRADED,     /* booted the new image; uncommitted until platform commit */
	PLATFORM_BOOT_ROLLED_BACK,  /* back on the old image; why says what happened */
	PLATFORM_BOOT_PENDING,      /* an accepted image waits for the device's own reboot:
				     * the agent restarted before it */
};

/* An image to install, with what the signed task says it is. */
struct platform_image {
	const char *path;
	uint64_t size;
	const char *sha256; /* 64 lowercase hex digits */
};

/* An installed application (ACAP) as the device lists it. */
#define PLATFORM_APPS_MAX 32
#define PLATFORM_APP_RESTARTS_AGENT 1 /* the device restarts this process by itself, shortly */
#define PLATFORM_APP_AGENT_EXIT 2     /* this process must exit now; its supervisor starts the
					 new one (a simulated camera) */
struct platform_app {
	char name[PLATFORM_FIELD_MAX];        /* appName */
	char nice_name[PLATFORM_FIELD_MAX];
	char vendor[PLATFORM_FIELD_MAX];
	char version[PLATFORM_FIELD_MAX];
	char app_id[16];                      /* ApplicationID (vendor key files name it), or "" */
	char status[16];                      /* Running | Stopped | Idle */
	int running;                          /* status is Running */
	char license[16];                     /* Valid | Invalid | Missing | Custom | None */
	char license_expires[16];             /* YYYY-MM-DD or "" */
};
struct platform_app_list {
	struct platform_app apps[PLATFORM_APPS_MAX];
	int count;
};
/* The results that carry data: app is the app as listed afterwards (install), list what
 * the device lists; both NULL unless rc >= 0, valid during the call only. */
typedef void (*platform_app_done_fn)(void *arg, int rc, const char *reason,
				     const struct platform_app *app);
typedef void (*platform_list_done_fn)(void *arg, int rc, const char *reason,
				      const struct platform_app_list *list);
/* A package to install, with what the task says it is. The backend checks size and
 * SHA-256 of the file right before handing it over, reads its manifest and refuses a
 * package for another app or version, or one the device would not run (architecture,
 * AXIS OS range, manifest schema), before anything reaches the device. */
struct platform_package {
	const char *path;
	uint64_t size;
	const char *sha256_hex;   /* 64 lowercase hex digits */
	const char *app_name;     /* expected appName; NULL: any */
	const char *version;      /* expected version; NULL: any */
};

struct platform_ops {
	const char *name;
	/* Optional (NULL: the backend is ready once open): what the backend learns from the
	 * device before the other operations may be used (a camera: ready, its account, what
	 * the last boot did, its identity). On the loop as the license operations below; a
	 * device not ready answers -1 with why (close the platform, open it again later). */
	int (*start)(void *priv, platform_done_fn done, void *arg, char *reason,
		     size_t reasonsz);
	/* The device's identity (a camera: as read at start). */
	int (*identity)(void *priv, struct platform_identity *out, char *reason, size_t reasonsz);
	/* Writes the image into the inactive slot and arms it for the next boot. The
	 * backend hashes exactly the bytes it writes (platform/image_reader.h) and arms
	 * nothing unless they match img's size and SHA-256. Fails with a precise reason
	 * (wrong model, invalid image, image changed after verification, ...).
	 * 0 or -1 when it finished at once; PLATFORM_IN_PROGRESS when it goes on on the loop
	 * (a camera's upload): done(arg, rc, reason) then brings the result. */
	int (*install)(void *priv, const struct platform_image *img, platform_done_fn done,
		       void *arg, char *reason, size_t reasonsz);
	/* Asks for a reboot. 0: the caller must stop and exit now, the device restarts;
	 * PLATFORM_REBOOTS_BY_ITSELF: the device reboots on its own shortly (a camera after
	 * an accepted upgrade): keep running until it does; -1: failed, with a reason. */
	int (*reboot)(void *priv, char *reason, size_t reasonsz);
	/* why: for ROLLED_BACK and PENDING, what happened, in words for the cloud. */
	enum platform_boot_outcome (*boot_outcome)(void *priv, char *why, size_t whysz);
	/* Makes the running image permanent (after the agent confirmed it works). On the loop
	 * as the license and application operations below. */
	int (*commit)(void *priv, platform_done_fn done, void *arg, char *reason,
		      size_t reasonsz);
	/* Returns to the previous image (reboots on success); on the loop as commit. */
	int (*rollback)(void *priv, platform_done_fn done, void *arg, char *reason,
			size_t reasonsz);
	/* The license and application operations below run on the agent's loop, on both
	 * backends alike: 0 when started, then done brings the result once, later (never
	 * before the call returned); -1 with reason when nothing was started (done is not
	 * called). */
	/* Installs a tied-to-hardware license key file for app (key is copied). */
	int (*license_install)(void *priv, const char *app, const void *key, size_t keylen,
			       platform_done_fn done, void *arg, char *reason, size_t reasonsz);
	int (*license_remove)(void *priv, const char *app, platform_done_fn done, void *arg,
			      char *reason, size_t reasonsz);
	/* Optional (NULL when the backend has none): the camera-side settings, on the loop as
	 * the license operations: done's settings (rc 0 only) may hold the enrollment token:
	 * the backend zeroes them after the call. */
	int (*read_settings)(void *priv, platform_settings_done_fn done, void *arg, char *reason,
			     size_t reasonsz);
	/* Optional: calls changed(arg) on the agent's loop whenever the camera-side settings
	 * change. 0: watching; 1: this camera cannot tell (read them again on SIGHUP). */
	int (*watch_settings)(void *priv, void (*changed)(void *arg), void *arg, char *reason,
			      size_t reasonsz);
	void (*close)(void *priv);
	/* Optional (NULL when the backend has none): applications, asynchronous as the
	 * licenses above. Each confirms its result from the device's own list (version,
	 * running state) before done says 0. */
	int (*apps_list)(void *priv, platform_list_done_fn done, void *arg, char *reason,
			 size_t reasonsz);
	/* Installs or upgrades; done's app: the app as listed afterwards. A fresh install is
	 * stopped, an upgrade keeps the running state. For the agent's own app, rc
	 * PLATFORM_APP_RESTARTS_AGENT or PLATFORM_APP_AGENT_EXIT (then persist and go). */
	int (*app_install)(void *priv, const struct platform_package *pkg,
			   platform_app_done_fn done, void *arg, char *reason, size_t reasonsz);
	int (*app_remove)(void *priv, const char *app, platform_done_fn done, void *arg,
			  char *reason, size_t reasonsz);
	int (*app_start)(void *priv, const char *app, platform_done_fn done, void *arg,
			 char *reason, size_t reasonsz);
	int (*app_stop)(void *priv, const char *app, platform_done_fn done, void *arg,
			char *reason, size_t reasonsz);
	/* For the agent's own app: rc PLATFORM_APP_RESTARTS_AGENT or PLATFORM_APP_AGENT_EXIT
	 * as for an install (done may never come when the restart is quicker). */
	int (*app_restart)(void *priv, const char *app, platform_done_fn done, void *arg,
			   char *reason, size_t reasonsz);
	/* Sets one of app's parameters (a name its manifest's paramConfig declares). */
	int (*app_set_param)(void *priv, const char *app, const char *name, const char *value,
			     platform_done_fn done, void *arg, char *reason, size_t reasonsz);
};

struct platform {
	const struct platform_ops *ops;
	void *priv;
};

/* Each backend's constructor. The sim keeps its camera in dir (see platform/sim/sim.c);
 * its asynchronous operations complete through base, as a camera's would. */
int platform_sim_open(struct platform *out, const char *dir, struct event_base *base,
		      char *reason, size_t reasonsz);
/* Creates a new simulated camera in dir (fails if one already exists there). */
int platform_sim_create(const char *dir, const char *serial, const char *model,
			const char *hardware_id, const char *arch, const char *os_version,
			char *reason, size_t reasonsz);

/* The real camera over local VAPIX (platform/axis/). Open asks nothing of the camera;
 * start does, on the loop. Credentials come from D-Bus at start and stay in memory only. */
struct platform_axis_config {
	const char *vapix_url;    /* NULL: "http://127.0.0.12" (the service-account host) */
	const char *app_name;     /* NULL: "camagent"; the ACAP's appName */
	const char *state_dir;    /* the platform's own small state (pending upgrade) */
	const char *dbus_address; /* NULL: the system bus; tests pass a private bus */
	int auto_rollback_min;    /* upgrade's autoRollback in minutes; 0: "never"; <0: 10 */
	int timeout_s;            /* per VAPIX call except the upload; 0: 30 */
	/* The agent's curl multi: every request runs there (the image upload: install returns
	 * PLATFORM_IN_PROGRESS); required by start and every operation. */
	const struct platform_net *net;
	/* The agent's loop: with it, settings come through axparameter where the camera has
	 * it (its callbacks run on this loop); NULL: param.cgi only. */
	struct event_base *base;
};
int platform_axis_open(struct platform *out, const struct platform_axis_config *cfg,
		       char *reason, size_t reasonsz);

void platform_close(struct platform *p);

/* For backends: writes the reason (when reason is not NULL) and returns -1. */
__attribute__((format(printf, 3, 4))) int platform_fail(char *reason, size_t reasonsz,
							const char *fmt, ...);

#endif
