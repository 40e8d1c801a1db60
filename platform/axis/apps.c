/* apps: applications on the camera through the VAPIX Application API [APP]:
 *   install   applications/upload.cgi, multipart part "packfil" (the .eap, octet-stream)
 *   control   applications/control.cgi action=start|stop|restart|remove&package=<appName>
 *   config    applications/config.cgi action=get&name=AllowUnsigned, to tell an unsigned
 *             package refused by policy from a bad signature
 * Replies are "OK" or "Error: <n>", every documented code mapped to a reason below. Nothing
 * is assumed from an "OK": the result is confirmed from list.cgi (version, Status), polled
 * briefly on a timer since the camera may take a moment to start an app. Every call runs
 * on the agent's multi (op.h): the loop goes on during an upload. Before an upload the
 * package is checked (platform/package.h): size and SHA-256 hashed on the loop, a chunk a
 * turn (platform/file_check.h), then its manifest read a piece a turn and checked against
 * the task and against this camera's architecture and AXIS OS; the upload hashes the bytes
 * it sends once more. */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"
#include "../file_check.h"
#include "../package.h"

#define UPLOAD_PATH "/axis-cgi/applications/upload.cgi"
#define CONTROL_PATH "/axis-cgi/applications/control.cgi"
#define CONFIG_PATH "/axis-cgi/applications/config.cgi"
#define CONFIRM_TRIES 20
#define CONFIRM_PAUSE_MS 100
#define PACKAGE_READ_PER_TURN (1024 * 1024) /* of the archive, unpacked: a few ms */

static const struct axis_code upload_codes[] = {
	{ 1, "invalid package" },
	{ 2, "verification failed: the signature is missing or invalid" },
	{ 3, "the package is too large" },
	{ 5, "the package is not compatible with this camera" },
	{ 10, "unspecified error in the camera" },
	{ 12, "another upload is ongoing" },
	{ 13, "the package's user or group is not allowed" },
	{ 14, "a package with the same name in another letter case exists" },
	{ 15, "the operation timed out" },
	{ 29, "invalid manifest.json or package.conf" },
	{ 0, NULL },
};

static const struct axis_code control_codes[] = {
	{ 1, "invalid package" },
	{ 4, "application not found" },
	{ 6, "the application is already running" },
	{ 7, "the application is not running" },
	{ 9, "too many applications running" },
	{ 10, "unspecified error in the camera" },
	{ 15, "the operation timed out" },
	{ 0, NULL },
};

/* ---- confirming from list.cgi ---- */

static void confirm_poll(struct axis_op *op, int rc, const char *reason);

/* Whether op->list shows op->app as wanted; fills a (NULL: absent). */
static int listed_as_wanted(struct axis_op *op, const struct platform_app **a)
{
	*a = axis_apps_find(&op->list, op->app);
	if (op->want == WANT_ABSENT)
		return !*a;
	return *a && (!op->version[0] || !strcmp((*a)->version, op->version)) &&
	       (op->want == WANT_ANY || (*a)->running == (op->want == WANT_RUNNING));
}

static void confirm_listed(struct axis_op *op, int rc, const char *reason)
{
	const struct platform_app *a;
	char why[PLATFORM_REASON_MAX];

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (listed_as_wanted(op, &a)) {
		if (a)
			log_info("axis: %s: list.cgi shows %s %s %s", op->what, a->name, a->version,
				 a->status);
		axis_op_finish(op, op->result, NULL, a);
		return;
	}
	if (--op->tries > 0) {
		axis_op_pause(op, CONFIRM_PAUSE_MS, confirm_poll);
		return;
	}
	if (op->want == WANT_ABSENT)
		snprintf(why, sizeof(why), "%s: the camera said OK but list.cgi still shows %s",
			 op->what, op->app);
	else if (!a)
		snprintf(why, sizeof(why), "%s: the camera said OK but list.cgi has no %s",
			 op->what, op->app);
	else if (op->version[0] && strcmp(a->version, op->version))
		snprintf(why, sizeof(why), "%s: the camera said OK but list.cgi shows %s %s, not %s",
			 op->what, op->app, a->version, op->version);
	else
		snprintf(why, sizeof(why), "%s: the camera said OK but list.cgi shows %s %s",
			 op->what, op->app, a->status[0] ? a->status : "without a Status");
	axis_op_finish(op, -1, why, NULL);
}

static void confirm_poll(struct axis_op *op, int rc, const char *reason)
{
	(void)rc;
	(void)reason;
	axis_op_list(op, confirm_listed);
}

/* Polls list.cgi (CONFIRM_TRIES times, CONFIRM_PAUSE_MS apart) until op->app shows
 * op->version ("" any) and op->want; then ends the operation with result. */
static void confirm(struct axis_op *op, enum axis_want want, int result)
{
	op->want = want;
	op->result = result;
	op->tries = CONFIRM_TRIES;
	axis_op_list(op, confirm_listed);
}

static void list_done(struct axis_op *op, int rc, const char *reason)
{
	axis_op_finish(op, rc, reason, NULL);
}

int axis_apps_list(void *priv, platform_list_done_fn done, void *arg, char *reason,
		   size_t reasonsz)
{
	struct axis_op *op = axis_op_new(priv, arg, reason, reasonsz);

	if (!op)
		return -1;
	op->list_done = done;
	if (axis_op_list_request(op, list_done, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}

/* ---- install ---- */

/* config.cgi get AllowUnsigned after an upload refused for its signature: the reason says
 * when the camera takes only signed packages. The reply form is not in the documentation
 * read: value="true|false" in XML, Name=value or a bare word all count as false. */
static void on_allow_unsigned(struct axis_op *op, int rc, const char *reason)
{
	const char *s = buf_str(&op->reply);
	char why[PLATFORM_REASON_MAX];

	(void)reason;
	snprintf(why, sizeof(why), "%s", op->value ? op->value : "upload.cgi refused");
	if (rc == 0 && !strstr(s, "result=\"error\"") && !strstr(s, "Error") &&
	    (strstr(s, "\"false\"") || strstr(s, "=false") || !strncmp(s, "false", 5))) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n,
			 "; the camera's AllowUnsigned is false: it installs only validly signed "
			 "packages");
	}
	axis_op_finish(op, -1, why, NULL);
}

static void on_uploaded(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	if (rc != 0) {
		axis_op_finish(op, -1, op->image.failure[0] ? op->image.failure : reason, NULL);
		return;
	}
	if (axis_text_reply("upload.cgi", &op->reply, upload_codes, &op->code, why,
			    sizeof(why)) != 0) {
		const struct vapix_request rq = {
			.path = CONFIG_PATH, .body = "action=get&name=AllowUnsigned",
			.content_type = "application/x-www-form-urlencoded" };

		if (op->code != 2 || !(op->value = strdup(why))) {
			axis_op_finish(op, -1, why, NULL);
			return;
		}
		axis_op_next(op, &rq, on_allow_unsigned);
		return;
	}
	image_reader_close(&op->image);
	confirm(op, op->want, op->result);
}

static int upload(struct axis_op *op, char *reason, size_t reasonsz)
{
	const struct vapix_request rq = { .path = UPLOAD_PATH, .parts = op->parts, .nparts = 1,
					  .timeout_s = AXIS_UPLOAD_TIMEOUT_S };

	log_info("axis: uploading %s %s (%s)", op->app, op->version, op->parts[0].filename);
	return axis_op_request(op, &rq, on_uploaded, reason, reasonsz);
}

/* An upgrade keeps a running app running (the agent's own is being restarted). */
static void on_listed_before(struct axis_op *op, int rc, const char *reason)
{
	const struct platform_app *a = axis_apps_find(&op->list, op->app);

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	char why[PLATFORM_REASON_MAX];

	if (a && a->running)
		op->want = WANT_RUNNING;
	if (upload(op, why, sizeof(why)) != 0)
		axis_op_finish(op, -1, why, NULL);
}

/* The manifest read, a piece a turn: its rules, then the upload (the list first for
 * another app: an upgrade keeps it running). */
static void manifest_turn(struct axis_op *op, int rc, const char *reason)
{
	struct platform_identity id;
	struct eap_manifest *m = NULL;
	char why[PLATFORM_REASON_MAX], msg[PLATFORM_REASON_MAX];
	int has_exe = 0, own;

	(void)reason;
	rc = eap_manifest_read_step(op->manifest, PACKAGE_READ_PER_TURN, why, sizeof(why));
	if (rc == 1) {
		axis_op_pause(op, 0, manifest_turn);
		return;
	}
	if (rc != 0 || !(m = calloc(1, sizeof(*m))) ||
	    eap_manifest_read_end(op->manifest, m, &has_exe, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "package: %s", m || rc ? why : "out of memory");
		free(m);
		axis_op_finish(op, -1, msg, NULL);
		return;
	}
	eap_manifest_read_free(op->manifest);
	op->manifest = NULL;
	/* the identity as read at start: the OS changes only across a reboot */
	if (axis_identity(op->ax, &id, msg, sizeof(msg)) != 0 ||
	    platform_package_accepts(m, has_exe, op->app[0] ? op->app : NULL,
				     op->version[0] ? op->version : NULL, &id, msg,
				     sizeof(msg)) != 0) {
		free(m);
		axis_op_finish(op, -1, msg, NULL);
		return;
	}
	own = strcmp(m->app_name, op->ax->app) == 0;
	snprintf(op->app, sizeof(op->app), "%s", m->app_name);
	snprintf(op->version, sizeof(op->version), "%s", m->version);
	free(m);
	op->result = own ? PLATFORM_APP_RESTARTS_AGENT : 0;
	if (own ? upload(op, msg, sizeof(msg)) != 0
		: axis_op_list_request(op, on_listed_before, msg, sizeof(msg)) != 0)
		axis_op_finish(op, -1, msg, NULL);
}

/* The package matched its size and SHA-256 (hashed on the loop, file_check.h): its
 * manifest next, before anything of it is trusted. */
static void on_package_checked(void *arg, int rc, const char *reason)
{
	struct axis_op *op = arg;
	char why[PLATFORM_REASON_MAX], msg[PLATFORM_REASON_MAX];

	file_check_free(op->check);
	op->check = NULL;
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "package: %s", reason);
		axis_op_finish(op, -1, msg, NULL);
		return;
	}
	if (eap_manifest_read_start(&op->manifest, op->data, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "package: %s", why);
		axis_op_finish(op, -1, msg, NULL);
		return;
	}
	manifest_turn(op, 0, NULL);
}

int axis_app_install(void *priv, const struct platform_package *pkg, platform_app_done_fn done,
		     void *arg, char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct axis_op *op;
	const char *base;

	if (!pkg || !pkg->path || !pkg->sha256_hex)
		return axis_fail(reason, reasonsz, "package: no file or no SHA-256 given");
	if (!(op = axis_op_new(ax, arg, reason, reasonsz)))
		return -1;
	op->app_done = done;
	snprintf(op->app, sizeof(op->app), "%s", pkg->app_name ? pkg->app_name : "");
	snprintf(op->version, sizeof(op->version), "%s", pkg->version ? pkg->version : "");
	snprintf(op->what, sizeof(op->what), "upload.cgi");
	op->want = WANT_ANY;
	op->data = strdup(pkg->path);
	op->len = op->data ? strlen(pkg->path) + 1 : 0;
	/* hashed on the loop before the manifest is trusted, then once more on the way up */
	const struct platform_image img = { .path = pkg->path, .size = pkg->size,
					    .sha256 = pkg->sha256_hex };
	char why[PLATFORM_REASON_MAX];
	if (!op->data) {
		snprintf(why, sizeof(why), "out of memory");
	} else if (image_reader_open(&op->image, &img, why, sizeof(why)) == 0 &&
		   file_check_start(ax->base, &op->image, on_package_checked, op, &op->check, why,
				    sizeof(why)) == 0) {
		base = strrchr(pkg->path, '/') ? strrchr(pkg->path, '/') + 1 : pkg->path;
		snprintf(op->name, sizeof(op->name), "%s", base);
		op->parts[0] = (struct axis_part){ .name = "packfil", .filename = op->name,
						   .type = "application/octet-stream",
						   .image = &op->image };
		return 0;
	}
	axis_op_drop(op);
	return axis_fail(reason, reasonsz, "package: %s", why);
}

/* ---- control ---- */

static void on_control(struct axis_op *op, int rc, const char *reason);

static int control_request(struct axis_op *op, const char *action, char *reason,
			   size_t reasonsz)
{
	char form[AXIS_APP_MAX + 48];
	const struct vapix_request rq = { .path = CONTROL_PATH, .body = form,
					  .content_type = "application/x-www-form-urlencoded" };

	snprintf(op->action, sizeof(op->action), "%s", action);
	snprintf(op->what, sizeof(op->what), "control.cgi %s", action);
	snprintf(form, sizeof(form), "action=%s&package=%s", action, op->app);
	return axis_op_request(op, &rq, on_control, reason, reasonsz);
}

/* control.cgi's answer: confirmed from list.cgi in the state the action leads to. */
static void on_control(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (axis_text_reply(op->what, &op->reply, control_codes, &op->code, why, sizeof(why))) {
		/* Whether restart starts a stopped app is UNCONFIRMED: on "not running" start it. */
		if (!strcmp(op->action, "restart") && op->code == 7 &&
		    control_request(op, "start", why, sizeof(why)) == 0)
			return;
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	if (op->result && !strcmp(op->app, op->ax->app)) { /* a restart of the agent's own app */
		axis_op_finish(op, PLATFORM_APP_RESTARTS_AGENT, NULL, NULL);
		return;
	}
	snprintf(op->what, sizeof(op->what), "control.cgi %s", op->result ? "restart" : op->action);
	confirm(op, op->want, 0);
}

static int control(struct axis *ax, const char *action, const char *app, enum axis_want want,
		   platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op = axis_op_for_app(ax, app, done, arg, reason, reasonsz);

	if (!op)
		return -1;
	op->want = want;
	op->result = !strcmp(action, "restart"); /* names the confirmation after the action asked */
	if (control_request(op, action, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}

int axis_app_start(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		   size_t reasonsz)
{
	return control(priv, "start", app, WANT_RUNNING, done, arg, reason, reasonsz);
}

int axis_app_stop(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		  size_t reasonsz)
{
	return control(priv, "stop", app, WANT_STOPPED, done, arg, reason, reasonsz);
}

int axis_app_restart(void *priv, const char *app, platform_done_fn done, void *arg,
		     char *reason, size_t reasonsz)
{
	return control(priv, "restart", app, WANT_RUNNING, done, arg, reason, reasonsz);
}

int axis_app_remove(void *priv, const char *app, platform_done_fn done, void *arg, char *reason,
		    size_t reasonsz)
{
	return control(priv, "remove", app, WANT_ABSENT, done, arg, reason, reasonsz);
}
