/* The axparameter interface as Axis documents it (axsdk/axparameter.h in the ACAP
 * Native SDK): what the stand-in library implements and the agent loads at run time. */
#ifndef CS_AXPARAMETER_H
#define CS_AXPARAMETER_H

#include <glib.h>

typedef struct _AXParameter AXParameter;
typedef void AXParameterCallback(const gchar *name, const gchar *value, gpointer data);

AXParameter *ax_parameter_new(const gchar *app_name, GError **error);
void ax_parameter_free(AXParameter *parameter);
gboolean ax_parameter_add(AXParameter *parameter, const gchar *name, const gchar *initial_value,
			  const gchar *type, GError **error);
gboolean ax_parameter_remove(AXParameter *parameter, const gchar *name, GError **error);
gboolean ax_parameter_set(AXParameter *parameter, const gchar *name, const gchar *value,
			  gboolean do_sync, GError **error);
gboolean ax_parameter_get(AXParameter *parameter, const gchar *name, gchar **value,
			  GError **error);
GList *ax_parameter_list(AXParameter *parameter, GError **error);
gboolean ax_parameter_register_callback(AXParameter *parameter, const gchar *name,
					AXParameterCallback *callback, gpointer userdata,
					GError **error);
void ax_parameter_unregister_callback(AXParameter *parameter, const gchar *name);

#endif
