/* axis: the real camera behind platform.h, over the camera's local VAPIX host with the
 * D-Bus service account (see axis.h for the files). Runtime rules of an ACAP: no fork, no
 * daemon, logs to stderr (the camera's syslog). */
#include "axis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"
#include "../../lib/url.h"
#include "axparameter.h"
#include "glib_loop.h"
#include "op.h"

static void axis_close(void *priv)
{
	struct axis *ax = priv;

	if (!ax)
		return;
	axis_fetch_credentials_drop(ax);
	axis_ops_drop_all(ax);
	axis_forget_credentials(ax);
	axparameter_close(ax->params);
	glib_loop_free(ax->glib);
	explicit_bzero(ax, sizeof(*ax));
	free(ax);
}

static const struct platform_ops axis_ops = {
	.name = "axis",
	.start = axis_start,
	.identity = axis_identity,
	.install = axis_install,
	.reboot = axis_reboot,
	.boot_outcome = axis_boot_outcome,
	.commit = axis_commit,
	.rollback = axis_rollback,
	.license_install = axis_license_install,
	.license_remove = axis_license_remove,
	.read_settings = axis_read_settings,
	.watch_settings = axis_watch_settings,
	.close = axis_close,
	.apps_list = axis_apps_list,
	.app_install = axis_app_install,
	.app_remove = axis_app_remove,
	.app_start = axis_app_start,
	.app_stop = axis_app_stop,
	.app_restart = axis_app_restart,
	.app_set_param = axis_app_set_param,
};

/* GLib's context run by the agent's loop (the D-Bus account, axparameter's callbacks);
 * settings through axparameter where the camera has the library, else param.cgi. */
static void open_parameters(struct axis *ax, struct event_base *base)
{
	char why[PLATFORM_REASON_MAX];
	int rc;

	if (!base)
		return;
	if (glib_loop_start(&ax->glib, base, why, sizeof(why)) != 0) {
		log_warn("axis: no GLib context on the loop: the D-Bus account cannot be fetched: %s",
			 why);
		return;
	}
	rc = axparameter_open(&ax->params, ax->app, base, why, sizeof(why));
	if (rc == 0) {
		glib_loop_refresh(ax->glib); /* the library's sources are in the context now */
		log_info("axis: settings through axparameter");
		return;
	}
	if (rc < 0)
		log_warn("axis: settings through param.cgi only: %s", why);
}

int platform_axis_open(struct platform *out, const struct platform_axis_config *cfg,
		       char *reason, size_t reasonsz)
{
	const char *url = cfg->vapix_url && *cfg->vapix_url ? cfg->vapix_url : AXIS_DEFAULT_URL;
	const char *app = cfg->app_name && *cfg->app_name ? cfg->app_name : AXIS_DEFAULT_APP;
	struct axis *ax;
	size_t n;

	out->ops = NULL;
	out->priv = NULL;
	/* The credentials are admin level: send them only to the camera itself. Plain
	 * http only to loopback (the service-account host 127.0.0.12 is one). */
	if (!url_allowed(url, 1) || strlen(url) >= AXIS_URL_MAX)
		return axis_fail(reason, reasonsz,
				 "vapix_url must be http:// to a loopback address or https://");
	if (strlen(app) >= AXIS_APP_MAX || !cfg->state_dir || !*cfg->state_dir ||
	    strlen(cfg->state_dir) >= PATH_MAX - 32 ||
	    (cfg->dbus_address && strlen(cfg->dbus_address) >= AXIS_URL_MAX))
		return axis_fail(reason, reasonsz, "invalid axis platform configuration");
	ax = calloc(1, sizeof(*ax));
	if (!ax)
		return axis_fail(reason, reasonsz, "out of memory");
	snprintf(ax->base_url, sizeof(ax->base_url), "%s", url);
	n = strlen(ax->base_url);
	while (n > 0 && ax->base_url[n - 1] == '/')
		ax->base_url[--n] = '\0';
	snprintf(ax->app, sizeof(ax->app), "%s", app);
	snprintf(ax->state_dir, sizeof(ax->state_dir), "%s", cfg->state_dir);
	snprintf(ax->dbus_address, sizeof(ax->dbus_address), "%s",
		 cfg->dbus_address ? cfg->dbus_address : "");
	ax->auto_rollback_min = cfg->auto_rollback_min < 0 ? AXIS_DEFAULT_ROLLBACK_MIN
							   : cfg->auto_rollback_min;
	ax->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 30;
	ax->net = cfg->net && cfg->net->start ? cfg->net : NULL;
	ax->base = cfg->base;
	/* nothing asked of the camera yet: axis_start (start.c) does, on the loop */
	open_parameters(ax, cfg->base);
	log_info("axis: VAPIX at %s, app %s", ax->base_url, ax->app);
	out->ops = &axis_ops;
	out->priv = ax;
	return 0;
}
