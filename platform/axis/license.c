/* license: tied-to-hardware license keys through the VAPIX Application API [APP]:
 * applications/license.cgi?action=uploadlicensekey&package=<app> (multipart part
 * "licenseKey", octet-stream), reply text "OK" or "Error: <n>"; then applications/list.cgi
 * must show License="Valid" for the app. removelicensekey deactivates. Both run on the
 * agent's multi (op.h). */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"

#define LICENSE_KEY_MAX (16 * 1024)

static const struct axis_code license_codes[] = {
	{ 21, "invalid license key file" },
	{ 22, "file upload failed" },
	{ 23, "failed to remove the license key file" },
	{ 24, "application not installed" },
	{ 25, "the key's application ID does not match the installed application" },
	{ 26, "the key cannot be used with this application version" },
	{ 30, "the key is for another device (wrong serial number)" },
	{ 31, "the license key has expired" },
	{ 0, NULL },
};

/* list.cgi must show License="Valid" for the app now. */
static void on_listed(struct axis_op *op, int rc, const char *reason)
{
	const struct platform_app *a = axis_apps_find(&op->list, op->app);
	char why[PLATFORM_REASON_MAX];

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (!a)
		snprintf(why, sizeof(why), "list.cgi: application %s is not installed", op->app);
	else if (strcmp(a->license, "Valid") != 0)
		snprintf(why, sizeof(why),
			 "license.cgi accepted the key but list.cgi reports License=\"%s\" for %s",
			 a->license[0] ? a->license : "(none)", op->app);
	else {
		log_info("axis: license key of %s installed", op->app);
		axis_op_finish(op, 0, NULL, NULL);
		return;
	}
	axis_op_finish(op, -1, why, NULL);
}

static void on_license_reply(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];
	int install = !strcmp(op->action, "uploadlicensekey");

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (axis_text_reply(op->what, &op->reply, license_codes, NULL, why, sizeof(why)) != 0) {
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	if (install) {
		axis_op_list(op, on_listed);
		return;
	}
	log_info("axis: license key of %s removed", op->app);
	axis_op_finish(op, 0, NULL, NULL);
}

/* One license.cgi call: action with the key as its multipart part, or without. */
static int license_call(struct axis *ax, const char *action, const char *app, const void *key,
			size_t keylen, platform_done_fn done, void *arg, char *reason,
			size_t reasonsz)
{
	char path[160];
	struct axis_op *op = axis_op_for_app(ax, app, done, arg, reason, reasonsz);
	int rc;

	if (!op)
		return -1;
	snprintf(op->action, sizeof(op->action), "%s", action);
	snprintf(op->what, sizeof(op->what), "license.cgi %s", action);
	snprintf(path, sizeof(path), "/axis-cgi/applications/license.cgi?action=%s&package=%s",
		 action, app);
	if (key) {
		snprintf(op->name, sizeof(op->name), "%s.xml", app);
		op->data = malloc(keylen);
		if (!op->data) {
			axis_op_drop(op);
			return axis_fail(reason, reasonsz, "out of memory");
		}
		memcpy(op->data, key, keylen);
		op->len = keylen;
		op->parts[0] = (struct axis_part){ .name = "licenseKey", .filename = op->name,
					       .type = "application/octet-stream", .data = op->data,
					       .len = keylen };
	}
	const struct vapix_request rq = {
		.path = path, .parts = key ? op->parts : NULL, .nparts = key ? 1 : 0,
		.body = key ? NULL : "", .content_type = "application/x-www-form-urlencoded" };
	rc = axis_op_request(op, &rq, on_license_reply, reason, reasonsz);
	if (rc != 0)
		axis_op_drop(op);
	return rc;
}

int axis_license_install(void *priv, const char *app, const void *key, size_t keylen,
			 platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	if (!key || keylen == 0 || keylen > LICENSE_KEY_MAX)
		return axis_fail(reason, reasonsz, "license key is empty or larger than %d bytes",
				 LICENSE_KEY_MAX);
	return license_call(priv, "uploadlicensekey", app, key, keylen, done, arg, reason,
			    reasonsz);
}

int axis_license_remove(void *priv, const char *app, platform_done_fn done, void *arg,
			char *reason, size_t reasonsz)
{
	return license_call(priv, "removelicensekey", app, NULL, 0, done, arg, reason, reasonsz);
}
