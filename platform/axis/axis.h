/* axis: internals shared by the files of the real-camera backend. Each file has one job:
 *   axis.c      open/close, the ops table
 *   vapix.c     HTTP to the camera's local VAPIX host (basic auth, bounded, on the
 *               agent's curl multi)
 *   dbus.c      service-account credentials from D-Bus (gio)
 *   devinfo.c   identity from basicdeviceinfo.cgi
 *   start.c     what the backend learns before the rest: ready, account, last boot, identity
 *   systemready.c  the camera's boot identity from systemready.cgi
 *   firmware.c  upgrade / status / commit / rollback over firmwaremanagement.cgi
 *   license.c   license keys over applications/license.cgi and list.cgi
 *   applist.c   the Application API's reply formats: "OK"/"Error: n" text, list.cgi XML
 *   apps.c      applications: upload.cgi, control.cgi, config.cgi, confirmed by list.cgi
 *   op.c        one asynchronous operation: a chain of VAPIX requests, one completion
 *   params.c    the ACAP's parameters over axparameter, else param.cgi
 *   axparameter.c  the axparameter library, loaded at run time
 *   glib_loop.c GLib's main context inside the libevent loop (axparameter's callbacks)
 * Facts about the VAPIX calls: the public VAPIX pages on developer.axis.com (firmware
 * management, basic device information, application API), cited per function. */
#ifndef CAM_PLATFORM_AXIS_H
#define CAM_PLATFORM_AXIS_H

#include <limits.h>
#include <stddef.h>

#include "../../lib/app_name.h"
#include "../../lib/buf.h"
#include "../platform.h"

#define AXIS_URL_MAX 256
#define AXIS_APP_MAX 64
#define AXIS_CRED_MAX 256
#define AXIS_REPLY_MAX (64 * 1024)   /* every VAPIX reply we read is small */
#define AXIS_UPLOAD_TIMEOUT_S 900     /* firmware upload over loopback: generous but bounded */
#define AXIS_DBUS_TIMEOUT_MS 5000
#define AXIS_DEFAULT_URL "http://127.0.0.12"
#define AXIS_DEFAULT_APP CAMAGENT_APP_NAME
#define AXIS_DEFAULT_ROLLBACK_MIN 10

struct axis {
	char base_url[AXIS_URL_MAX];      /* no trailing slash */
	char app[AXIS_APP_MAX];
	char state_dir[PATH_MAX];
	char dbus_address[AXIS_URL_MAX];  /* "" = system bus */
	int auto_rollback_min;
	int timeout_s;
	/* Service account, in memory only; zeroed on close and before every refetch. */
	char user[AXIS_CRED_MAX];
	char password[AXIS_CRED_MAX];
	enum platform_boot_outcome outcome; /* decided once at open */
	char outcome_why[PLATFORM_REASON_MAX]; /* for ROLLED_BACK and PENDING */
	const struct platform_net *net;   /* the agent's multi; NULL: no request can run */
	struct event_base *base;          /* the agent's loop (timers between list.cgi polls) */
	struct axis_op *ops;              /* the asynchronous operations in flight (op.h) */
	struct platform_identity ident;   /* the last identity read, for package checks */
	int have_ident;
	struct glib_loop *glib;           /* GLib's context on the loop; NULL without a loop */
	struct axis_cred_fetch *cred_fetch; /* the account's fetch in flight, or NULL */
	struct axparameter *params;       /* NULL: settings through param.cgi */
};

#define axis_fail platform_fail /* platform/platform.c */

/* dbus.c: fills ax->user/password from GetCredentials(app) on the loop (GLib's context
 * runs there: ax->glib); done(arg, rc, reason) then comes once unless dropped first (the
 * platform closes, or the call waiting for it ends). */
int axis_fetch_credentials_start(struct axis *ax, platform_done_fn done, void *arg,
				 char *reason, size_t reasonsz);
void axis_fetch_credentials_drop(struct axis *ax);
void axis_forget_credentials(struct axis *ax);

/* vapix.c. Every call: POST to base_url + path, basic auth, bounded time and reply size
 * (AXIS_REPLY_MAX). */
struct image_reader;
struct axis_part {
	const char *name;
	const char *filename;     /* NULL: no filename (the firmware json part must have none) */
	const char *type;         /* Content-Type of the part */
	const void *data;         /* in-memory contents, or ... */
	size_t len;
	/* ... an OS image read through its checking reader: the upload fails before its
	 * last byte when the bytes differ from what was verified (reason in ->failure). */
	struct image_reader *image;
};
/* One request on the agent's multi (ax->net, not NULL): 0 when started, then done(arg, rc,
 * reason) once on the loop, with the body in reply (rc 0: HTTP 200; a 401 refetches the
 * credentials and retries once). path and body are copied; parts, their data and reply
 * must live until done. axis_call_free stops a call in flight (done not called) and frees
 * one that ended; call it after done at the latest. */
struct vapix_request {
	const char *path;
	const char *body;            /* JSON or form body, or NULL with parts */
	const char *content_type;
	const struct axis_part *parts;
	int nparts;
	long timeout_s;              /* 0: the platform's timeout_s */
};
struct axis_call;
typedef void (*axis_call_done_fn)(void *arg, int rc, const char *reason);
int vapix_start(struct axis *ax, const struct vapix_request *rq, struct buf *reply,
		axis_call_done_fn done, void *arg, struct axis_call **out, char *reason,
		size_t reasonsz);
void axis_call_free(struct axis_call *c);

/* JSON API replies (basicdeviceinfo.cgi, firmwaremanagement.cgi): errors arrive as HTTP 200
 * with an "error" object [FW][BDI]. Returns 0 and the token of "data" in *data_tok, or -1
 * with reason "<what>: error <code> (<meaning>): <message>" via the meaning table. */
struct json_doc;
struct axis_code { int code; const char *meaning; };
struct platform_app_list;
int axis_json_reply(const char *what, const struct buf *reply, struct json_doc *doc,
		    int max_tokens, const struct axis_code *codes, int *data_tok, char *reason,
		    size_t reasonsz);
/* Copies s into out for a log line or reason: printable ASCII only, cut at outsz. */
void axis_printable(char *out, size_t outsz, const char *s, size_t len);

/* firmware.c. At start (start.c): axis_fw_pending says whether an upgrade is pending (1,
 * 0, or -1 on a damaged record; ax->outcome is NORMAL until decided); then, with the reply
 * to the status request (axis_fw_status_body) and the camera's bootid ("" unknown),
 * axis_fw_decide sets ax->outcome. */
int axis_fw_pending(struct axis *ax, char *reason, size_t reasonsz);
void axis_fw_status_body(char *out, size_t outsz);
int axis_fw_decide(struct axis *ax, const struct buf *status_reply, const char *boot_id,
		   char *reason, size_t reasonsz);
int axis_install(void *priv, const struct platform_image *img, platform_done_fn done, void *arg,
		 char *reason, size_t reasonsz);
int axis_reboot(void *priv, char *reason, size_t reasonsz);
enum platform_boot_outcome axis_boot_outcome(void *priv, char *why, size_t whysz);
int axis_commit(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz);
int axis_rollback(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz);

/* devinfo.c: the identity read at start (start.c: axis_identity_parse of the reply to
 * axis_identity_body, into ax->ident). */
extern const char axis_identity_body[];
int axis_identity_parse(struct axis *ax, const struct buf *reply, char *reason,
			size_t reasonsz);
int axis_identity(void *priv, struct platform_identity *out, char *reason, size_t reasonsz);
/* devinfo.c: a string field of a VAPIX JSON reply fit for a platform field: non-empty,
 * printable, shorter than outsz; -1 (out "") otherwise. */
int axis_json_field(const struct json_doc *doc, int obj, const char *key, char *out,
		    size_t outsz);
/* systemready.c: _parse reads a reply to axis_systemready_body (asked at start and before
 * an image upload): 0 with the camera's bootid (new at every boot) and *ready, -1 with
 * reason. */
#define AXIS_BOOT_ID_MAX 64
extern const char axis_systemready_body[];
int axis_systemready_parse(const struct buf *reply, char *out, size_t outsz, int *ready,
			   char *reason, size_t reasonsz);

/* start.c: the platform's start operation (platform.h). */
int axis_start(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz);

/* license.c */
int axis_license_install(void *priv, const char *app, const void *key, size_t keylen,
			 platform_done_fn done, void *arg, char *reason, size_t reasonsz);
int axis_license_remove(void *priv, const char *app, platform_done_fn done, void *arg,
			char *reason, size_t reasonsz);

/* params.c */
/* The app parameters the agent reads, by their manifest names. */
extern const char *const axis_setting_names[];
int axis_watch_settings(void *priv, void (*changed)(void *arg), void *arg, char *reason,
			size_t reasonsz);
/* Reads CloudUrl, EnrollmentToken and LongPollSeconds of group root.<app> (either case of
 * compared without case) from a param.cgi list reply into out; -1 with reason when malformed. */
int axis_params_parse(const char *app, const struct buf *reply, struct platform_settings *out,
		      char *reason, size_t reasonsz);
int axis_read_settings(void *priv, platform_settings_done_fn done, void *arg, char *reason,
		       size_t reasonsz);
/* param.cgi action=update of root.<app>.<name> (either group-name case), read back when
 * the type allows (a password is not readable). */
int axis_app_set_param(void *priv, const char *app, const char *name, const char *value,
		       platform_done_fn done, void *arg, char *reason, size_t reasonsz);

/* applist.c */
/* Used in a URL query and as a file name: [A-Za-z0-9][A-Za-z0-9._-]*. */
int axis_app_name_ok(const char *app);
/* "OK" -> 0; "Error: <n>" -> -1 with "<what>: Error <n> (<meaning from codes>)" and *code
 * (may be NULL) set; anything else -1 "unexpected reply". */
int axis_text_reply(const char *what, const struct buf *reply, const struct axis_code *codes,
		    int *code, char *reason, size_t reasonsz);
/* Every application a list.cgi reply shows. */
int axis_apps_parse(const char *xml, size_t len, struct platform_app_list *out, char *reason,
		    size_t reasonsz);
const struct platform_app *axis_apps_find(const struct platform_app_list *l, const char *app);

/* apps.c */
int axis_apps_list(void *priv, platform_list_done_fn done, void *arg, char *reason,
		   size_t reasonsz);
int axis_app_install(void *priv, const struct platform_package *pkg, platform_app_done_fn done,
		     void *arg, char *reason, size_t reasonsz);
int axis_app_remove(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		    size_t reasonsz);
int axis_app_start(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		   size_t reasonsz);
int axis_app_stop(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		  size_t reasonsz);
int axis_app_restart(void *priv, const char *app, platform_done_fn done, void *arg,
		     char *reason, size_t reasonsz);

#endif
