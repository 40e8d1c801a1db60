/* apps: applications on the camera through the VAPIX Application API [APP]:
 *   install   applications/upload.cgi, multipart part "packfil" (the .eap, octet-stream)
 *   control   applications/control.cgi action=start|stop|restart|remove&package=<appName>
 *   config    applications/config.cgi action=get&name=AllowUnsigned, to tell an unsigned
 *             package refused by policy from a bad signature
 * Replies are "OK" or "Error: <n>", every documented code mapped to a reason below. Nothing
 * is assumed from an "OK": the result is confirmed from list.cgi (version, Status), polled
 * briefly since the camera may take a moment to start an app. Before an upload the
 * package is checked (platform/package.h): size and SHA-256 hashed right before the upload
 * (there is no checking reader yet, so the file is read twice: hashed, then sent), its
 * manifest against the task and against this camera's architecture and AXIS OS. */
#include "axis.h"
#include "../image_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/log.h"
#include "../package.h"

#define UPLOAD_PATH "/axis-cgi/applications/upload.cgi"
#define CONTROL_PATH "/axis-cgi/applications/control.cgi"
#define CONFIG_PATH "/axis-cgi/applications/config.cgi"
#define CONFIRM_TRIES 20
#define CONFIRM_PAUSE_MS 100

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

enum want { WANT_STOPPED, WANT_RUNNING, WANT_ANY, WANT_ABSENT };

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls list.cgi (tries times) until app shows version (NULL: any) and the wanted state. */
static int confirm(struct axis *ax, const char *what, const char *app, const char *version,
		   enum want want, struct platform_app *out, char *reason, size_t reasonsz,
		   int tries)
{
	struct platform_app_list *list = malloc(sizeof(*list));
	const struct platform_app *a = NULL;
	int rc = -1;

	if (!list)
		return axis_fail(reason, reasonsz, "out of memory");
	for (int i = 0; i < tries; i++) {
		if (i)
			pause_ms(CONFIRM_PAUSE_MS);
		if (axis_apps_read(ax, list, reason, reasonsz) != 0)
			goto out;
		a = axis_apps_find(list, app);
		if (want == WANT_ABSENT ? !a
					: a && (!version || !strcmp(a->version, version)) &&
						  (want == WANT_ANY || a->running == (want == WANT_RUNNING))) {
			if (out && a)
				*out = *a;
			rc = 0;
			goto out;
		}
	}
	if (want == WANT_ABSENT)
		axis_fail(reason, reasonsz, "%s: the camera said OK but list.cgi still shows %s",
			  what, app);
	else if (!a)
		axis_fail(reason, reasonsz, "%s: the camera said OK but list.cgi has no %s", what,
			  app);
	else if (version && strcmp(a->version, version))
		axis_fail(reason, reasonsz, "%s: the camera said OK but list.cgi shows %s %s, not %s",
			  what, app, a->version, version);
	else
		axis_fail(reason, reasonsz, "%s: the camera said OK but list.cgi shows %s %s", what,
			  app, a->status[0] ? a->status : "without a Status");
out:
	free(list);
	return rc;
}

int axis_apps_list(void *priv, struct platform_app_list *out, char *reason, size_t reasonsz)
{
	return axis_apps_read(priv, out, reason, reasonsz);
}

/* config.cgi get AllowUnsigned: 1 true, 0 false, -1 unknown. The reply form is not in the
 * documentation read: value="true|false" in XML, Name=value or a bare word all count. */
static int allow_unsigned(struct axis *ax)
{
	struct buf reply;
	char reason[64];
	const char *s;
	int v = -1;

	buf_init(&reply, AXIS_REPLY_MAX);
	if (axis_post_form(ax, CONFIG_PATH, "action=get&name=AllowUnsigned", &reply, reason,
			   sizeof(reason)) == 0) {
		s = buf_str(&reply);
		if (strstr(s, "result=\"error\"") || strstr(s, "Error"))
			v = -1;
		else if (strstr(s, "\"true\"") || strstr(s, "=true") || !strncmp(s, "true", 4))
			v = 1;
		else if (strstr(s, "\"false\"") || strstr(s, "=false") || !strncmp(s, "false", 5))
			v = 0;
	}
	buf_free(&reply);
	return v;
}

int axis_app_install(void *priv, const struct platform_package *pkg, struct platform_app *out,
		     char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct platform_identity id;
	struct eap_manifest *m = calloc(1, sizeof(*m));
	struct buf reply;
	const char *base;
	enum want want = WANT_ANY;
	char scratch[PLATFORM_REASON_MAX];
	struct image_reader image = { .fd = -1 };
	int code, own, rc = -1;

	buf_init(&reply, AXIS_REPLY_MAX);
	if (!m) {
		axis_fail(reason, reasonsz, "out of memory");
		goto out;
	}
	if (axis_identity(ax, &id, reason, reasonsz) != 0 ||
	    platform_package_check(pkg, &id, m, reason, reasonsz) != 0)
		goto out;
	own = strcmp(m->app_name, ax->app) == 0;
	/* an upgrade keeps a running app running (the agent's own is being restarted) */
	if (!own && confirm(ax, "list.cgi", m->app_name, NULL, WANT_RUNNING, NULL, scratch,
			    sizeof(scratch), 1) == 0)
		want = WANT_RUNNING;
	/* the bytes uploaded are hashed on the way: checked against the task once more */
	const struct platform_image img = { .path = pkg->path, .size = pkg->size,
					    .sha256 = pkg->sha256_hex };
	if (image_reader_open(&image, &img, reason, reasonsz) != 0)
		goto out;
	base = strrchr(pkg->path, '/') ? strrchr(pkg->path, '/') + 1 : pkg->path;
	const struct axis_part part = { .name = "packfil", .filename = base,
					.type = "application/octet-stream", .image = &image };
	log_info("axis: uploading %s %s (%s)", m->app_name, m->version, base);
	if (axis_post_multipart(ax, UPLOAD_PATH, &part, 1, AXIS_UPLOAD_TIMEOUT_S, &reply, reason,
				reasonsz) != 0) {
		if (image.failure[0])
			snprintf(reason, reasonsz, "%s", image.failure);
		goto out;
	}
	if (axis_text_reply("upload.cgi", &reply, upload_codes, &code, reason, reasonsz) != 0) {
		int au = code == 2 ? allow_unsigned(ax) : -1;
		size_t n = strlen(reason);

		if (au == 0 && n < reasonsz)
			snprintf(reason + n, reasonsz - n,
				 "; the camera's AllowUnsigned is false: it installs only validly "
				 "signed packages");
		goto out;
	}
	if (confirm(ax, "upload.cgi", m->app_name, m->version, want, out, reason, reasonsz,
		    CONFIRM_TRIES) != 0)
		goto out;
	log_info("axis: %s %s installed (%s)", m->app_name, m->version, out->status);
	rc = own ? PLATFORM_APP_RESTARTS_AGENT : 0;
out:
	image_reader_close(&image);
	buf_free(&reply);
	free(m);
	return rc;
}

static int control(struct axis *ax, const char *action, const char *app, int *code,
		   char *reason, size_t reasonsz)
{
	char form[AXIS_APP_MAX + 48], what[48];
	struct buf reply;
	int rc;

	if (!axis_app_name_ok(app))
		return axis_fail(reason, reasonsz, "invalid application name");
	snprintf(form, sizeof(form), "action=%s&package=%s", action, app);
	snprintf(what, sizeof(what), "control.cgi %s", action);
	buf_init(&reply, AXIS_REPLY_MAX);
	rc = axis_post_form(ax, CONTROL_PATH, form, &reply, reason, reasonsz) != 0 ||
			     axis_text_reply(what, &reply, control_codes, code, reason, reasonsz) != 0
		     ? -1
		     : 0;
	buf_free(&reply);
	return rc;
}

/* control.cgi action, then list.cgi must show the wanted state. */
static int control_confirmed(struct axis *ax, const char *action, const char *app,
			     enum want want, char *reason, size_t reasonsz)
{
	char what[48];

	if (control(ax, action, app, NULL, reason, reasonsz) != 0)
		return -1;
	snprintf(what, sizeof(what), "control.cgi %s", action);
	return confirm(ax, what, app, NULL, want, NULL, reason, reasonsz, CONFIRM_TRIES);
}

int axis_app_start(void *priv, const char *app, char *reason, size_t reasonsz)
{
	return control_confirmed(priv, "start", app, WANT_RUNNING, reason, reasonsz);
}

int axis_app_stop(void *priv, const char *app, char *reason, size_t reasonsz)
{
	return control_confirmed(priv, "stop", app, WANT_STOPPED, reason, reasonsz);
}

int axis_app_restart(void *priv, const char *app, char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	int code = 0;

	/* Whether restart starts a stopped app is UNCONFIRMED: on "not running" start it. */
	if (control(ax, "restart", app, &code, reason, reasonsz) != 0 &&
	    (code != 7 || control(ax, "start", app, NULL, reason, reasonsz) != 0))
		return -1;
	if (strcmp(app, ax->app) == 0)
		return PLATFORM_APP_RESTARTS_AGENT;
	return confirm(ax, "control.cgi restart", app, NULL, WANT_RUNNING, NULL, reason, reasonsz,
		       CONFIRM_TRIES);
}

int axis_app_remove(void *priv, const char *app, char *reason, size_t reasonsz)
{
	return control_confirmed(priv, "remove", app, WANT_ABSENT, reason, reasonsz);
}
