/* dbus: the camera's service-account D-Bus API, com.axis.HTTPConf1 with
 * GetCredentials(s username) -> "user:password" [VAPIXACC], on the (private, test) bus
 * given by --dbus-address. gio dispatches method calls through a GMainContext, so the
 * service runs in its own thread with its own loop; the credentials it hands out are
 * camsim's current service account (new after every reboot), guarded by a mutex. */
#include "camsim.h"

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#define BUS_NAME "com.axis.HTTPConf1"
#define OBJECT_PATH "/com/axis/HTTPConf1/VAPIXServiceAccounts1"
#define INTERFACE "com.axis.HTTPConf1.VAPIXServiceAccounts1"

static const char introspection[] =
	"<node><interface name='" INTERFACE "'>"
	"<method name='GetCredentials'>"
	"<arg type='s' name='username' direction='in'/>"
	"<arg type='s' name='credentials' direction='out'/>"
	"</method></interface></node>";

static GMutex cred_lock;
static GThread *thread;
static GMainLoop *loop;
static GMainContext *context;
static GAsyncQueue *ready;

struct start {
	struct camsim *cs;
	char address[512];
	char err[256];
};

void cs_credentials_lock(void)
{
	g_mutex_lock(&cred_lock);
}

void cs_credentials_unlock(void)
{
	g_mutex_unlock(&cred_lock);
}

static void on_call(GDBusConnection *c, const gchar *sender, const gchar *path,
		    const gchar *iface, const gchar *method, GVariant *params,
		    GDBusMethodInvocation *inv, gpointer data)
{
	struct camsim *cs = data;
	const gchar *username = NULL;
	char reply[2 * CS_FIELD + 2];

	g_variant_get(params, "(&s)", &username);
	if (!username || !*username) {
		g_dbus_method_invocation_return_dbus_error(inv, "com.axis.HTTPConf1.Error",
							   "empty username");
		return;
	}
	if (!cs_ready(cs)) {
		g_dbus_method_invocation_return_dbus_error(inv, "com.axis.HTTPConf1.Error",
							   "the service is not up yet");
		return;
	}
	cs_credentials_lock();
	snprintf(reply, sizeof(reply), "%s:%s", cs->user, cs->password);
	cs_credentials_unlock();
	fprintf(stderr, "camsim: D-Bus GetCredentials(\"%s\") answered\n", username);
	g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", reply));
	memset(reply, 0, sizeof(reply));
}

static const GDBusInterfaceVTable vtable = { on_call, NULL, NULL, { 0 } };

static gpointer run(gpointer arg)
{
	struct start *st = arg;
	GError *err = NULL;
	GDBusConnection *conn = NULL;
	GDBusNodeInfo *info = NULL;
	GVariant *r = NULL;
	guint reg = 0, owner = 0;

	context = g_main_context_new();
	g_main_context_push_thread_default(context);
	conn = g_dbus_connection_new_for_address_sync(
		st->address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &err);
	if (conn)
		info = g_dbus_node_info_new_for_xml(introspection, &err);
	if (info)
		reg = g_dbus_connection_register_object(conn, OBJECT_PATH, info->interfaces[0],
							&vtable, st->cs, NULL, &err);
	if (reg)
		r = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
						"org.freedesktop.DBus", "RequestName",
						g_variant_new("(su)", BUS_NAME, 4u /* DO_NOT_QUEUE */),
						G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000,
						NULL, &err);
	if (r)
		g_variant_get(r, "(u)", &owner);
	if (!r || owner != 1)
		snprintf(st->err, sizeof(st->err), "D-Bus: cannot serve %s on %s: %s", BUS_NAME,
			 st->address, err ? err->message : "the name is taken");
	g_clear_error(&err);
	if (r)
		g_variant_unref(r);
	if (!st->err[0])
		loop = g_main_loop_new(context, FALSE);
	g_async_queue_push(ready, GINT_TO_POINTER(1));
	if (loop) {
		g_main_loop_run(loop);
		g_main_loop_unref(loop);
	}
	if (reg)
		g_dbus_connection_unregister_object(conn, reg);
	if (info)
		g_dbus_node_info_unref(info);
	if (conn) {
		g_dbus_connection_close_sync(conn, NULL, NULL);
		g_object_unref(conn);
	}
	g_main_context_pop_thread_default(context);
	return NULL;
}

int cs_dbus_start(struct camsim *cs, const char *address, char *err, size_t errsz)
{
	static struct start st;

	st.cs = cs;
	snprintf(st.address, sizeof(st.address), "%s", address);
	ready = g_async_queue_new();
	thread = g_thread_new("camsim-dbus", run, &st);
	g_async_queue_pop(ready);
	if (st.err[0]) {
		snprintf(err, errsz, "%s", st.err);
		g_thread_join(thread);
		thread = NULL;
		return -1;
	}
	fprintf(stderr, "camsim: serving %s on the test bus\n", BUS_NAME);
	return 0;
}

static gboolean quit(gpointer data)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

void cs_dbus_stop(void)
{
	if (!thread)
		return;
	g_main_context_invoke(context, quit, NULL);
	g_thread_join(thread);
	thread = NULL;
	g_main_context_unref(context);
	g_async_queue_unref(ready);
}
