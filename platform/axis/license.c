/* license: tied-to-hardware license keys through the VAPIX Application API [APP]:
 * applications/license.cgi?action=uploadlicensekey&package=<app> (multipart part
 * "licenseKey", octet-stream), reply text "OK" or "Error: <n>"; then applications/list.cgi
 * must show License="Valid" for the app. removelicensekey deactivates. */
#include "axis.h"

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

int axis_license_state(struct axis *ax, const char *app, char *state, size_t statesz,
		       char *reason, size_t reasonsz)
{
	struct platform_app_list *list = malloc(sizeof(*list));
	const struct platform_app *a;
	int rc = -1;

	if (!list)
		return axis_fail(reason, reasonsz, "out of memory");
	if (axis_apps_read(ax, list, reason, reasonsz) == 0) {
		a = axis_apps_find(list, app);
		if (!a)
			axis_fail(reason, reasonsz, "list.cgi: application %s is not installed", app);
		else {
			snprintf(state, statesz, "%s", a->license[0] ? a->license : "(none)");
			rc = 0;
		}
	}
	free(list);
	return rc;
}

int axis_license_install(void *priv, const char *app, const void *key, size_t keylen,
			 char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct buf reply;
	char path[160], filename[AXIS_APP_MAX + 8], state[32];
	int rc = -1;

	if (!axis_app_name_ok(app))
		return axis_fail(reason, reasonsz, "invalid application name");
	if (!key || keylen == 0 || keylen > LICENSE_KEY_MAX)
		return axis_fail(reason, reasonsz, "license key is empty or larger than %d bytes",
				 LICENSE_KEY_MAX);
	snprintf(path, sizeof(path),
		 "/axis-cgi/applications/license.cgi?action=uploadlicensekey&package=%s", app);
	snprintf(filename, sizeof(filename), "%s.xml", app);
	const struct axis_part part = { .name = "licenseKey", .filename = filename,
					.type = "application/octet-stream", .data = key,
					.len = keylen };
	buf_init(&reply, AXIS_REPLY_MAX);
	if (axis_post_multipart(ax, path, &part, 1, 0, &reply, reason, reasonsz) != 0 ||
	    axis_text_reply("license.cgi uploadlicensekey", &reply, license_codes, NULL, reason,
			    reasonsz) != 0)
		goto out;
	if (axis_license_state(ax, app, state, sizeof(state), reason, reasonsz) != 0)
		goto out;
	if (strcmp(state, "Valid") != 0) {
		axis_fail(reason, reasonsz,
			  "license.cgi accepted the key but list.cgi reports License=\"%s\" for %s",
			  state, app);
		goto out;
	}
	rc = 0;
out:
	buf_free(&reply);
	return rc;
}

int axis_license_remove(void *priv, const char *app, char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct buf reply;
	char path[160];
	int rc;

	if (!axis_app_name_ok(app))
		return axis_fail(reason, reasonsz, "invalid application name");
	snprintf(path, sizeof(path),
		 "/axis-cgi/applications/license.cgi?action=removelicensekey&package=%s", app);
	buf_init(&reply, AXIS_REPLY_MAX);
	rc = axis_post_form(ax, path, "", &reply, reason, reasonsz) != 0 ||
			     axis_text_reply("license.cgi removelicensekey", &reply,
					     license_codes, NULL, reason, reasonsz) != 0
		     ? -1
		     : 0;
	buf_free(&reply);
	if (rc == 0)
		log_info("axis: license key of %s removed", app);
	return rc;
}
