/* camsim: a camera simulated at the VAPIX level, for testing platform/axis and the agent
 * on it. It serves the endpoints as the public VAPIX documentation describes them,
 * on loopback:
 *   /axis-cgi/basicdeviceinfo.cgi        getAllProperties, getAllUnrestrictedProperties, ...
 *   /axis-cgi/systemready.cgi            systemready (uptime, bootid), getSupportedVersions
 *   /axis-cgi/firmwaremanagement.cgi     status, upgrade (multipart), commit, rollback, purge,
 *                                        reboot, stopAuto, getSupportedVersions
 *   /axis-cgi/applications/license.cgi   uploadlicensekey, removelicensekey ("OK"/"Error: n")
 *   /axis-cgi/applications/list.cgi      XML list of applications: version, Status, License
 *   /axis-cgi/applications/upload.cgi    install or upgrade an .eap (part "packfil")
 *   /axis-cgi/applications/control.cgi   start, stop, restart, remove
 *   /axis-cgi/applications/config.cgi    get/set AllowUnsigned (and AllowRoot on 11.5-11.11)
 *   /axis-cgi/param.cgi                  action=list|update of the apps' parameters (text)
 *   /local/<app>/...                     the settings page (--html) and its API (proxied to
 *                                        the agent's local API, --app-api-port)
 * with basic auth for the service account it hands out over D-Bus (com.axis.HTTPConf1 on
 * the bus given by --dbus-address), A/B firmware with commit/rollback/auto-rollback, and a
 * "reboot" that restarts the agent process it supervises (camsim ... -- AGENT_CMD...),
 * which is also the agent's own app (--app-name): stopped, started and restarted with it,
 * and restarted when a package of that app is uploaded (see appctl.c).
 * Images are the sim format of platform/sim/mkimage.sh (CAMSIM-IMAGE header); license keys
 * are key files as lib/keyfile.h reads them. Fault switches: the file <dir>/faults. */
#ifndef CAMSIM_H
#define CAMSIM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../../lib/buf.h"

#define CS_FIELD 64
#define CS_TEXT 256
#define CS_APPS 16
#define CS_KEY_MAX (16 * 1024)

/* An installed application: what list.cgi shows of it [APP]. */
struct cs_app {
	char name[CS_FIELD];
	char nice[CS_TEXT];
	char vendor[CS_TEXT];
	char version[CS_FIELD];
	char app_id[CS_FIELD];
	char setting_page[CS_TEXT];
	char vendor_url[CS_TEXT];
	int needs_license;      /* copyProtection axis; the main app (camagent) uses none */
	int custom_license;     /* copyProtection custom: License="Custom" */
	int running;            /* Status; for the agent's own app: it should run */
	char key[CS_KEY_MAX];   /* installed key, "" when none */
	size_t keylen;
	int64_t exp;            /* of the installed key; 0: never */
};

struct cs_fault {
	int kind;               /* FAULT_* */
	int value;              /* error code, HTTP status or delay seconds */
};
enum { FAULT_NONE, FAULT_ERROR, FAULT_HTTP, FAULT_TRUNCATE, FAULT_GARBAGE, FAULT_EMPTY,
       FAULT_DELAY, FAULT_INVALID, FAULT_OK };

struct camsim {
	struct event_base *base;
	struct evhttp *http;
	char dir[PATH_MAX];
	char url[128];
	char app[CS_FIELD];
	char param_group[CS_FIELD];
	const char *commit_key;  /* "isCommited" (documented) or "isCommitted" */

	/* identity */
	char serial[CS_FIELD], model[CS_FIELD], hwid[CS_FIELD], arch[CS_FIELD];

	/* firmware: A/B */
	char active[CS_FIELD];
	char inactive[CS_FIELD];     /* "" when none */
	int committed;
	char last_upgrade_at[40];
	char boot_id[40];            /* systemready.cgi's bootid: new at every boot */
	double booted_at;            /* cs_now() at the last boot, for its uptime */
	int pending;                 /* an accepted image waits for the reboot */
	char pending_version[CS_FIELD];
	int pending_boots;
	int pending_auto_commit;
	int pending_rollback_min;    /* -1: never */
	char pending_factory[8];
	int rollback_armed;          /* auto-rollback timer running */
	double rollback_at;          /* monotonic seconds */
	struct event *rollback_timer;
	double minute_s;             /* how long a "minute" is (tests shrink it) */
	int64_t clock_offset;        /* the camera's clock minus the host's */

	/* reboot */
	int reboot_scheduled, rebooting, reboot_rollback;
	char reboot_why[128];
	double reboot_delay_s, down_s;
	/* Set once before the D-Bus thread starts: until cs_now() reaches it the camera is
	 * still starting (systemready "no", the CGIs 503, no service account on D-Bus). */
	double ready_at;
	struct event *reboot_timer, *kill_timer;
	int boots, rollbacks, upgrades;

	/* service account (read by the D-Bus thread: guarded in dbus.c) */
	char user[CS_FIELD];
	char password[CS_FIELD];
	char web_user[128];          /* "user:password" for /local/ pages; "" = service account */

	/* applications */
	struct cs_app apps[CS_APPS];
	int napps;
	int app_removed;             /* a factory default (or control.cgi remove) removed the agent */
	int allow_unsigned;          /* config.cgi AllowUnsigned; -1: the OS default */
	int allow_root;              /* config.cgi AllowRoot (AXIS OS 11.5 to 11.11); -1: default */
	int max_running;             /* apps running at once before AXIS OS 12.6; 0: no limit */
	size_t max_package;          /* upload.cgi: larger packages get Error 3 */
	double app_restart_s;        /* upgrade of the agent's app -> its restart */
	struct event *app_restart_timer;
	int app_upgrades;            /* the agent's own app replaced */

	/* the supervised agent */
	char **agent_argv;
	pid_t child;
	int stopping;
	int restart_pending;         /* stopped to be started again (app restart or upgrade) */
	int restarts;
	int agent_starts;
	struct event *respawn_timer, *sigchld, *sigterm, *sigint;

	/* web */
	char html_dir[PATH_MAX];
	char axparameter_dir[PATH_MAX]; /* stand-in libaxparameter for the agent; "": none */
	int app_api_port;

	/* faults */
	struct cs_rule *rules;
	int nrules;
	char *rules_text;
};

/* main.c */
double cs_now(void); /* monotonic seconds */
int64_t cs_wallclock(const struct camsim *cs);
void cs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cs_schedule_reboot(struct camsim *cs, int rollback, const char *why);
void cs_save_state(struct camsim *cs);
void cs_new_credentials(struct camsim *cs);
void cs_new_boot_id(struct camsim *cs);
int cs_version_compare(const char *a, const char *b);

/* vapix.c: the HTTP front: routing, auth, faults, replies */
int cs_http_start(struct camsim *cs, const char *listen, char *err, size_t errsz);
int cs_authorized(struct camsim *cs, struct evhttp_request *req, int web);
void cs_reply_401(struct evhttp_request *req, const struct camsim *cs);
/* Takes the next fault for (cgi, method) from <dir>/faults; kind FAULT_NONE when none. */
void cs_fault_take(struct camsim *cs, const char *cgi, const char *method, struct cs_fault *f);
/* Sends a reply, mangled by f (truncate, garbage, empty, http, delay) when one is set. */
void cs_send(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f, int status,
	     const char *ctype, const char *body, size_t len);
/* Request body as a NUL-terminated buf (caller frees). */
int cs_body(struct evhttp_request *req, struct buf *out, size_t max);

/* fw.c: basicdeviceinfo.cgi, systemready.cgi and firmwaremanagement.cgi */
void cs_basicdeviceinfo(struct camsim *cs, struct evhttp_request *req);
void cs_firmware(struct camsim *cs, struct evhttp_request *req);
void cs_systemready(struct camsim *cs, struct evhttp_request *req);
int cs_ready(const struct camsim *cs); /* past --not-ready */
void cs_boot(struct camsim *cs); /* what the camera does when it powers up after a reboot */
void cs_arm_rollback(struct camsim *cs);

/* main.c: the agent's own app as the camera runs it */
void cs_agent_start(struct camsim *cs);   /* control.cgi start */
void cs_agent_stop(struct camsim *cs);    /* control.cgi stop / remove: no respawn */
void cs_agent_restart(struct camsim *cs); /* control.cgi restart, or after its upgrade */

/* apps.c: applications/license.cgi, applications/list.cgi, param.cgi */
void cs_license(struct camsim *cs, struct evhttp_request *req);
void cs_list(struct camsim *cs, struct evhttp_request *req);
/* Query string and form body merged; value of key or NULL. */
const char *cs_arg(struct evhttp_request *req, const struct buf *body, const char *key,
		   char *out, size_t outsz);
struct cs_app *cs_find_app(struct camsim *cs, const char *name);
/* "OK" or "Error: <code>" as the application CGIs answer [APP]. */
void cs_app_text(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		 const char *msg);
void cs_app_error(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f,
		  int code);
int cs_app_running(const struct camsim *cs, const struct cs_app *a);

/* appctl.c: applications/upload.cgi, control.cgi, config.cgi; installed apps persisted in
 * <dir>/apps.json (license keys in <dir>/licenses/) */
void cs_upload(struct camsim *cs, struct evhttp_request *req);
void cs_control(struct camsim *cs, struct evhttp_request *req);
void cs_config(struct camsim *cs, struct evhttp_request *req);
void cs_apps_load(struct camsim *cs);
void cs_apps_save(struct camsim *cs);
int cs_allow_unsigned(const struct camsim *cs);

/* params.c: param.cgi list and update; the parameters a package declares, at install */
struct eap_manifest;
void cs_param(struct camsim *cs, struct evhttp_request *req);
int cs_params_install(struct camsim *cs, const char *group, const struct eap_manifest *m);

/* multipart.c */
struct cs_part {
	char name[64];
	char filename[128];
	int has_filename;
	char type[96];
	const char *data;
	size_t len;
};
/* Parses a multipart/form-data body; -1 with why on anything malformed. */
int cs_multipart(const char *content_type, const char *body, size_t len, struct cs_part *parts,
		 int maxparts, int *nparts, char *why, size_t whysz);

/* web.c: /local/<app>/ static pages and the API proxy */
void cs_web(struct camsim *cs, struct evhttp_request *req, const char *path);

/* dbus.c: com.axis.HTTPConf1 on a private bus, served from its own thread */
int cs_dbus_start(struct camsim *cs, const char *address, char *err, size_t errsz);
void cs_dbus_stop(void);
void cs_credentials_lock(void);
void cs_credentials_unlock(void);

#endif
