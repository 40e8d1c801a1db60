/* A stand-in for Axis' axparameter library with its documented interface
 * (axparameter.h), backed by the simulated camera's parameters: the param.conf that
 * camsim serves through param.cgi, named by AXPARAMETER_CONF (camsim sets it for the
 * agent it supervises). Like the real library it reads every type, passwords
 * included, and runs change callbacks on GLib's default main context; a change is
 * seen through a GFileMonitor on the file. Built as libaxparameter.so.1. */
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#include "axparameter.h"
#include "../paramconf.h"

#define VALUE_MAX 2048
#define NAME_MAX_LEN 128
#define TYPE_MAX 128

struct watcher {
	AXParameterCallback *cb;
	gpointer userdata;
};

struct _AXParameter {
	gchar *app;
	gchar *conf;            /* path of param.conf */
	GFileMonitor *monitor;
	GHashTable *watchers;   /* name -> struct watcher */
	GHashTable *seen;       /* name -> value last told to a watcher */
	GHashTable *unsynced;   /* name -> value set with do_sync FALSE */
};

static GQuark standin_error(void)
{
	return g_quark_from_static_string("axparameter-standin");
}

static gboolean fail(GError **error, const char *fmt, const char *arg)
{
	g_set_error(error, standin_error(), 1, fmt, arg);
	return FALSE;
}

/* Every parameter of the file as name -> value (and name -> type in types). */
static GHashTable *read_conf(const AXParameter *p, GHashTable **types, GError **error)
{
	gchar *text = NULL, **lines;
	GHashTable *values;

	if (!g_file_get_contents(p->conf, &text, NULL, error))
		return NULL;
	values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (types)
		*types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	lines = g_strsplit(text, "\n", -1);
	for (gchar **l = lines; *l; l++) {
		char name[NAME_MAX_LEN], value[VALUE_MAX], type[TYPE_MAX];

		if (paramconf_line(*l, name, sizeof(name), value, sizeof(value), type,
				   sizeof(type)) != 0)
			continue;
		g_hash_table_replace(values, g_strdup(name), g_strdup(value));
		if (types)
			g_hash_table_replace(*types, g_strdup(name), g_strdup(type));
	}
	g_strfreev(lines);
	g_free(text);
	return values;
}

static gboolean write_conf(const AXParameter *p, GHashTable *values, GHashTable *types,
			   GError **error)
{
	GString *out = g_string_new(NULL);
	GHashTableIter it;
	gpointer name, value;
	gboolean ok;

	g_hash_table_iter_init(&it, values);
	while (g_hash_table_iter_next(&it, &name, &value)) {
		const char *type = g_hash_table_lookup(types, name);

		g_string_append_printf(out, "%s=\"%s\" type=\"%s\"\n", (char *)name, (char *)value,
				       type ? type : "string");
	}
	ok = g_file_set_contents(p->conf, out->str, (gssize)out->len, error); /* atomic */
	g_string_free(out, TRUE);
	return ok;
}

/* A bare name is the app's own parameter; root.<App>.<Name> names it in full. */
static const gchar *own_name(const AXParameter *p, const gchar *name)
{
	size_t n = strlen(p->app);

	if (!strncmp(name, "root.", 5) && !g_ascii_strncasecmp(name + 5, p->app, n) &&
	    name[5 + n] == '.')
		return name + 5 + n + 1;
	return name;
}

static void tell_watchers(AXParameter *p)
{
	GHashTable *values = read_conf(p, NULL, NULL);
	GHashTableIter it;
	gpointer name, w;

	if (!values)
		return;
	g_hash_table_iter_init(&it, p->watchers);
	while (g_hash_table_iter_next(&it, &name, &w)) {
		const char *now = g_hash_table_lookup(values, name);
		const char *before = g_hash_table_lookup(p->seen, name);

		if (!now || (before && !strcmp(before, now)))
			continue;
		g_hash_table_replace(p->seen, g_strdup(name), g_strdup(now));
		((struct watcher *)w)->cb(name, now, ((struct watcher *)w)->userdata);
	}
	g_hash_table_unref(values);
}

static void on_file_changed(GFileMonitor *m, GFile *f, GFile *other, GFileMonitorEvent ev,
			    gpointer arg)
{
	(void)m;
	(void)f;
	(void)other;
	if (ev == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || ev == G_FILE_MONITOR_EVENT_CREATED ||
	    ev == G_FILE_MONITOR_EVENT_RENAMED || ev == G_FILE_MONITOR_EVENT_MOVED_IN ||
	    ev == G_FILE_MONITOR_EVENT_CHANGED)
		tell_watchers(arg);
}

AXParameter *ax_parameter_new(const gchar *app_name, GError **error)
{
	const char *conf = g_getenv("AXPARAMETER_CONF");
	AXParameter *p;
	GFile *file;

	if (!app_name || !*app_name)
		return fail(error, "%s", "no application name"), NULL;
	if (!conf || !*conf)
		return fail(error, "%s", "AXPARAMETER_CONF is not set"), NULL;
	p = g_new0(AXParameter, 1);
	p->app = g_strdup(app_name);
	p->conf = g_strdup(conf);
	p->watchers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p->unsynced = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	file = g_file_new_for_path(conf);
	p->monitor = g_file_monitor_file(file, G_FILE_MONITOR_WATCH_MOVES, NULL, error);
	g_object_unref(file);
	if (!p->monitor) {
		ax_parameter_free(p);
		return NULL;
	}
	g_file_monitor_set_rate_limit(p->monitor, 100);
	g_signal_connect(p->monitor, "changed", G_CALLBACK(on_file_changed), p);
	return p;
}

void ax_parameter_free(AXParameter *p)
{
	if (!p)
		return;
	if (p->monitor) {
		g_file_monitor_cancel(p->monitor);
		g_object_unref(p->monitor);
	}
	g_hash_table_unref(p->watchers);
	g_hash_table_unref(p->seen);
	g_hash_table_unref(p->unsynced);
	g_free(p->app);
	g_free(p->conf);
	g_free(p);
}

gboolean ax_parameter_get(AXParameter *p, const gchar *name, gchar **value, GError **error)
{
	GHashTable *values = read_conf(p, NULL, error);
	const char *v;

	if (!values)
		return FALSE;
	v = g_hash_table_lookup(values, own_name(p, name));
	if (v)
		*value = g_strdup(v);
	g_hash_table_unref(values);
	return v ? TRUE : fail(error, "parameter %s does not exist", name);
}

/* add, set and remove: read, change, write the whole file. */
static gboolean edit(AXParameter *p, const gchar *name, const gchar *value, const gchar *type,
		     int mode, GError **error)
{
	GHashTable *types = NULL, *values = read_conf(p, &types, error);
	gboolean exists, ok = FALSE;

	if (!values)
		return FALSE;
	name = own_name(p, name);
	exists = g_hash_table_contains(values, name);
	if (mode == 'a' && exists)
		fail(error, "parameter %s exists already", name);
	else if (mode != 'a' && !exists)
		fail(error, "parameter %s does not exist", name);
	else {
		if (mode == 'r') {
			g_hash_table_remove(values, name);
		} else {
			g_hash_table_replace(values, g_strdup(name), g_strdup(value ? value : ""));
			if (mode == 'a')
				g_hash_table_replace(types, g_strdup(name),
						     g_strdup(type ? type : "string"));
		}
		ok = write_conf(p, values, types, error);
	}
	g_hash_table_unref(values);
	g_hash_table_unref(types);
	return ok;
}

gboolean ax_parameter_add(AXParameter *p, const gchar *name, const gchar *initial_value,
			  const gchar *type, GError **error)
{
	return edit(p, name, initial_value, type, 'a', error);
}

gboolean ax_parameter_remove(AXParameter *p, const gchar *name, GError **error)
{
	return edit(p, name, NULL, NULL, 'r', error);
}

/* do_sync FALSE keeps the value until a later set with do_sync TRUE writes them all. */
gboolean ax_parameter_set(AXParameter *p, const gchar *name, const gchar *value,
			  gboolean do_sync, GError **error)
{
	GHashTableIter it;
	gpointer n, v;

	g_hash_table_replace(p->unsynced, g_strdup(own_name(p, name)), g_strdup(value));
	if (!do_sync)
		return TRUE;
	g_hash_table_iter_init(&it, p->unsynced);
	while (g_hash_table_iter_next(&it, &n, &v))
		if (!edit(p, n, v, NULL, 's', error))
			return FALSE;
	g_hash_table_remove_all(p->unsynced);
	return TRUE;
}

GList *ax_parameter_list(AXParameter *p, GError **error)
{
	GHashTable *values = read_conf(p, NULL, error);
	GList *names = NULL;
	GHashTableIter it;
	gpointer name;

	if (!values)
		return NULL;
	g_hash_table_iter_init(&it, values);
	while (g_hash_table_iter_next(&it, &name, NULL))
		names = g_list_prepend(names, g_strdup_printf("root.%s.%s", p->app, (char *)name));
	g_hash_table_unref(values);
	return names;
}

gboolean ax_parameter_register_callback(AXParameter *p, const gchar *name,
					AXParameterCallback *callback, gpointer userdata,
					GError **error)
{
	struct watcher *w;
	gchar *now = NULL;

	if (!callback)
		return fail(error, "%s", "no callback");
	w = g_new0(struct watcher, 1);
	w->cb = callback;
	w->userdata = userdata;
	name = own_name(p, name);
	g_hash_table_replace(p->watchers, g_strdup(name), w);
	if (ax_parameter_get(p, name, &now, NULL))
		g_hash_table_replace(p->seen, g_strdup(name), now); /* only changes are told */
	return TRUE;
}

void ax_parameter_unregister_callback(AXParameter *p, const gchar *name)
{
	g_hash_table_remove(p->watchers, own_name(p, name));
}
