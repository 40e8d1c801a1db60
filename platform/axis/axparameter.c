/* axparameter: see axparameter.h. The function types follow the documented interface
 * (ax_parameter_new/get/register_callback/unregister_callback/free); the library's
 * soname is tried with and without its version. */
#include "axparameter.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "../../lib/log.h"

typedef struct _AXParameter AXParameter;
typedef void AXParameterCallback(const gchar *name, const gchar *value, gpointer data);

#define AXP_NAMES_MAX 8

struct axparameter {
	void *lib;
	AXParameter *handle;
	AXParameter *(*new_handle)(const gchar *app_name, GError **error);
	void (*free_handle)(AXParameter *parameter);
	gboolean (*get)(AXParameter *parameter, const gchar *name, gchar **value, GError **error);
	gboolean (*register_callback)(AXParameter *parameter, const gchar *name,
				      AXParameterCallback *callback, gpointer userdata,
				      GError **error);
	void (*unregister_callback)(AXParameter *parameter, const gchar *name);
	char *watched[AXP_NAMES_MAX];
	struct event *deferred; /* runs the listener outside the library's callback */
	void (*changed)(void *arg);
	void *arg;
};

static const char *const library_names[] = { "libaxparameter.so.1", "libaxparameter.so", NULL };

static int fail_gerror(char *reason, size_t reasonsz, const char *what, GError *err)
{
	snprintf(reason, reasonsz, "axparameter: %s: %s", what, err ? err->message : "failed");
	if (err)
		g_error_free(err);
	return -1;
}

static int load_symbols(struct axparameter *p)
{
	*(void **)&p->new_handle = dlsym(p->lib, "ax_parameter_new");
	*(void **)&p->free_handle = dlsym(p->lib, "ax_parameter_free");
	*(void **)&p->get = dlsym(p->lib, "ax_parameter_get");
	*(void **)&p->register_callback = dlsym(p->lib, "ax_parameter_register_callback");
	*(void **)&p->unregister_callback = dlsym(p->lib, "ax_parameter_unregister_callback");
	return p->new_handle && p->free_handle && p->get && p->register_callback &&
			       p->unregister_callback
		       ? 0
		       : -1;
}

static void run_listener(evutil_socket_t fd, short what, void *arg)
{
	struct axparameter *p = arg;

	(void)fd;
	(void)what;
	if (p->changed)
		p->changed(p->arg);
}

/* The library's callback: no library call from here, only note it for the loop. */
static void on_parameter_changed(const gchar *name, const gchar *value, gpointer data)
{
	struct axparameter *p = data;

	(void)value; /* may be a secret */
	log_info("axparameter: %s changed", name);
	event_active(p->deferred, EV_TIMEOUT, 0);
}

int axparameter_open(struct axparameter **out, const char *app, struct event_base *base,
		     char *reason, size_t reasonsz)
{
	struct axparameter *p;
	GError *err = NULL;
	void *lib = NULL;

	*out = NULL;
	for (int i = 0; library_names[i] && !lib; i++)
		lib = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return 1;
	p = calloc(1, sizeof(*p));
	if (!p) {
		dlclose(lib);
		snprintf(reason, reasonsz, "axparameter: out of memory");
		return -1;
	}
	p->lib = lib;
	if (load_symbols(p) != 0) {
		snprintf(reason, reasonsz, "axparameter: the library lacks a documented function");
		axparameter_close(p);
		return -1;
	}
	p->deferred = event_new(base, -1, 0, run_listener, p);
	p->handle = p->deferred ? p->new_handle(app, &err) : NULL;
	if (!p->handle) {
		fail_gerror(reason, reasonsz, "ax_parameter_new", err);
		axparameter_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

int axparameter_get(struct axparameter *p, const char *name, char *out, size_t outsz,
		    char *reason, size_t reasonsz)
{
	GError *err = NULL;
	gchar *value = NULL;
	size_t n;

	if (!p->get(p->handle, name, &value, &err))
		return fail_gerror(reason, reasonsz, name, err);
	n = strlen(value);
	if (n >= outsz) {
		snprintf(reason, reasonsz, "axparameter: %s is longer than %zu characters", name,
			 outsz - 1);
	} else {
		memcpy(out, value, n + 1);
	}
	explicit_bzero(value, n);
	g_free(value);
	return n < outsz ? 0 : -1;
}

int axparameter_watch(struct axparameter *p, const char *const *names,
		      void (*changed)(void *arg), void *arg, char *reason, size_t reasonsz)
{
	GError *err = NULL;

	p->changed = changed;
	p->arg = arg;
	for (int i = 0; names[i]; i++) {
		if (i >= AXP_NAMES_MAX - 1) {
			snprintf(reason, reasonsz, "axparameter: too many parameters to watch");
			return -1;
		}
		if (!p->register_callback(p->handle, names[i], on_parameter_changed, p, &err))
			return fail_gerror(reason, reasonsz, names[i], err);
		free(p->watched[i]);
		p->watched[i] = strdup(names[i]);
	}
	return 0;
}

void axparameter_close(struct axparameter *p)
{
	if (!p)
		return;
	for (int i = 0; i < AXP_NAMES_MAX; i++) {
		if (p->watched[i] && p->handle)
			p->unregister_callback(p->handle, p->watched[i]);
		free(p->watched[i]);
	}
	if (p->handle)
		p->free_handle(p->handle);
	if (p->deferred)
		event_free(p->deferred);
	/* dlclose is skipped on purpose: GLib types the library registered stay in use. */
	free(p);
}
