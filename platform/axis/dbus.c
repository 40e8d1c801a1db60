/* dbus: the VAPIX service account. GetCredentials(s username) on com.axis.HTTPConf1,
 * object /com/axis/HTTPConf1/VAPIXServiceAccounts1, interface
 * com.axis.HTTPConf1.VAPIXServiceAccounts1, on the system bus; the reply "(s)" is
 * "user:password" [VAPIXACC][EX-VAPIX]. Fetched at every start (accounts are gone after a
 * reboot), kept in memory only, never written or logged. Asynchronous gio calls, answered
 * by GLib's context, which runs inside the agent's loop (glib_loop.c).
 *
 * Ownership: a fetch's record belongs to its GLib callbacks, which free it; dropping it
 * (the platform closes) only cancels it, then runs GLib's context until the cancelled
 * callback came, so the record is freed by the time the platform is gone and not left to a
 * context nobody runs any more. */
#include "axis.h"

#include <string.h>
#include <gio/gio.h>

#include "../../lib/log.h"
#include "glib_loop.h"

#define BUS_NAME "com.axis.HTTPConf1"
#define OBJECT_PATH "/com/axis/HTTPConf1/VAPIXServiceAccounts1"
#define INTERFACE "com.axis.HTTPConf1.VAPIXServiceAccounts1"

void axis_forget_credentials(struct axis *ax)
{
	explicit_bzero(ax->user, sizeof(ax->user));
	explicit_bzero(ax->password, sizeof(ax->password));
}

/* Splits "user:password" (the password may contain ':'). */
static int split_credentials(struct axis *ax, const char *s, char *reason, size_t reasonsz)
{
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : 0;

	if (!colon || ulen == 0 || ulen >= sizeof(ax->user) ||
	    strlen(colon + 1) >= sizeof(ax->password) || !colon[1])
		return axis_fail(reason, reasonsz,
				 "D-Bus: GetCredentials returned something other than user:password");
	memcpy(ax->user, s, ulen);
	ax->user[ulen] = '\0';
	strcpy(ax->password, colon + 1);
	return 0;
}

struct axis_cred_fetch {
	struct axis *ax;        /* NULL once dropped: the answer goes nowhere */
	int *ended;             /* dropped: set to 1 when the record is freed */
	int private_bus;        /* a connection of our own, to close */
	GCancellable *cancel;
	GDBusConnection *conn;
	platform_done_fn done;
	void *arg;
};

static void fetch_end(struct axis_cred_fetch *f, int rc, const char *reason)
{
	if (f->conn) {
		if (f->private_bus)
			g_dbus_connection_close(f->conn, NULL, NULL, NULL);
		g_object_unref(f->conn);
	}
	g_object_unref(f->cancel);
	if (f->ax) {
		f->ax->cred_fetch = NULL;
		if (rc == 0)
			log_info("VAPIX service account fetched over D-Bus");
		f->done(f->arg, rc, reason);
	}
	if (f->ended)
		*f->ended = 1;
	g_free(f);
}

static void on_called(GObject *src, GAsyncResult *res, gpointer data)
{
	struct axis_cred_fetch *f = data;
	char reason[PLATFORM_REASON_MAX] = "";
	GError *err = NULL;
	GVariant *v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	const char *s = NULL;
	int rc = -1;

	if (!f->ax)
		; /* dropped */
	else if (!v)
		axis_fail(reason, sizeof(reason), "D-Bus: %s.GetCredentials(\"%s\") failed: %s",
			  INTERFACE, f->ax->app, err ? err->message : "unknown error");
	else {
		g_variant_get(v, "(&s)", &s);
		rc = split_credentials(f->ax, s, reason, sizeof(reason));
	}
	if (v)
		g_variant_unref(v);
	g_clear_error(&err);
	fetch_end(f, rc, reason);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct axis_cred_fetch *f = data;
	char reason[PLATFORM_REASON_MAX];
	GError *err = NULL;

	(void)src;
	f->conn = f->private_bus ? g_dbus_connection_new_for_address_finish(res, &err)
				 : g_bus_get_finish(res, &err);
	if (!f->conn || !f->ax) {
		axis_fail(reason, sizeof(reason), "D-Bus: cannot connect to the %s: %s",
			  f->private_bus ? "given bus" : "system bus",
			  err ? err->message : "unknown error");
		g_clear_error(&err);
		fetch_end(f, -1, reason);
		return;
	}
	g_dbus_connection_call(f->conn, BUS_NAME, OBJECT_PATH, INTERFACE, "GetCredentials",
			       g_variant_new("(s)", f->ax->app), G_VARIANT_TYPE("(s)"),
			       G_DBUS_CALL_FLAGS_NONE, AXIS_DBUS_TIMEOUT_MS, f->cancel, on_called, f);
}

int axis_fetch_credentials_start(struct axis *ax, platform_done_fn done, void *arg,
				 char *reason, size_t reasonsz)
{
	struct axis_cred_fetch *f;

	if (!ax->glib)
		return axis_fail(reason, reasonsz, "D-Bus: no GLib context on the loop");
	if (ax->cred_fetch)
		return axis_fail(reason, reasonsz, "D-Bus: a fetch of the account is under way");
	axis_forget_credentials(ax);
	f = g_new0(struct axis_cred_fetch, 1);
	f->ax = ax;
	f->private_bus = ax->dbus_address[0] != '\0';
	f->cancel = g_cancellable_new();
	f->done = done;
	f->arg = arg;
	if (f->private_bus)
		g_dbus_connection_new_for_address(ax->dbus_address,
						  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
							  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
						  NULL, f->cancel, on_connected, f);
	else
		g_bus_get(G_BUS_TYPE_SYSTEM, f->cancel, on_connected, f);
	ax->cred_fetch = f;
	glib_loop_refresh(ax->glib); /* sources added from this thread */
	return 0;
}

void axis_fetch_credentials_drop(struct axis *ax)
{
	struct axis_cred_fetch *f = ax->cred_fetch;
	int ended = 0;

	if (!f)
		return;
	ax->cred_fetch = NULL;
	f->ax = NULL;
	f->ended = &ended;
	g_cancellable_cancel(f->cancel);
	if (glib_loop_run_until(ax->glib, &ended, AXIS_DBUS_TIMEOUT_MS) != 0)
		log_warn("D-Bus: a cancelled account fetch did not end within %d ms",
			 AXIS_DBUS_TIMEOUT_MS);
}
