/* dbus: the VAPIX service account. GetCredentials(s username) on com.axis.HTTPConf1,
 * object /com/axis/HTTPConf1/VAPIXServiceAccounts1, interface
 * com.axis.HTTPConf1.VAPIXServiceAccounts1, on the system bus; the reply "(s)" is
 * "user:password" [VAPIXACC][EX-VAPIX]. Fetched at every start (accounts are gone after a
 * reboot), kept in memory only, never written or logged. */
#include "axis.h"

#include <string.h>
#include <gio/gio.h>

#include "../../lib/log.h"

#define BUS_NAME "com.axis.HTTPConf1"
#define OBJECT_PATH "/com/axis/HTTPConf1/VAPIXServiceAccounts1"
#define INTERFACE "com.axis.HTTPConf1.VAPIXServiceAccounts1"

void axis_forget_credentials(struct axis *ax)
{
	explicit_bzero(ax->user, sizeof(ax->user));
	explicit_bzero(ax->password, sizeof(ax->password));
}

static GDBusConnection *connect_bus(const struct axis *ax, char *reason, size_t reasonsz)
{
	GError *err = NULL;
	GDBusConnection *c;

	if (ax->dbus_address[0])
		c = g_dbus_connection_new_for_address_sync(
			ax->dbus_address,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
				G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &err);
	else
		c = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &err);
	if (!c) {
		axis_fail(reason, reasonsz, "D-Bus: cannot connect to the %s: %s",
			  ax->dbus_address[0] ? "given bus" : "system bus",
			  err ? err->message : "unknown error");
		g_clear_error(&err);
	}
	return c;
}

/* Splits "user:password" (the password may contain ':'). */
/* A private connection is ours to close; the shared system bus connection is not. */
static void disconnect_bus(const struct axis *ax, GDBusConnection *c)
{
	if (ax->dbus_address[0])
		(void)g_dbus_connection_close_sync(c, NULL, NULL);
	g_object_unref(c);
}

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

int axis_fetch_credentials(struct axis *ax, char *reason, size_t reasonsz)
{
	GError *err = NULL;
	GDBusConnection *c;
	GVariant *v;
	const char *s = NULL;
	int rc;

	axis_forget_credentials(ax);
	c = connect_bus(ax, reason, reasonsz);
	if (!c)
		return -1;
	v = g_dbus_connection_call_sync(c, BUS_NAME, OBJECT_PATH, INTERFACE, "GetCredentials",
					g_variant_new("(s)", ax->app), G_VARIANT_TYPE("(s)"),
					G_DBUS_CALL_FLAGS_NONE, AXIS_DBUS_TIMEOUT_MS, NULL, &err);
	if (!v) {
		axis_fail(reason, reasonsz, "D-Bus: %s.GetCredentials(\"%s\") failed: %s", INTERFACE,
			  ax->app, err ? err->message : "unknown error");
		g_clear_error(&err);
		disconnect_bus(ax, c);
		return -1;
	}
	g_variant_get(v, "(&s)", &s);
	rc = split_credentials(ax, s, reason, reasonsz);
	g_variant_unref(v);
	disconnect_bus(ax, c);
	if (rc == 0)
		log_info("VAPIX service account fetched over D-Bus");
	return rc;
}
