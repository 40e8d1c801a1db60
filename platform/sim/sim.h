/* sim: internals shared by the files of the simulated camera:
 *   sim.c   the camera directory, identity, A/B images, licenses, the ops table
 *   apps.c  installed applications, kept in <dir>/apps/<appName>.json */
#ifndef CAM_PLATFORM_SIM_H
#define CAM_PLATFORM_SIM_H

#include <stddef.h>

#include "../platform.h"

/* The appName of the agent itself on a simulated camera. */
#define SIM_AGENT_APP "camagent"

const char *sim_dir(const void *priv);
int sim_identity(void *priv, struct platform_identity *out, char *reason, size_t reasonsz);

int sim_apps_list(void *priv, struct platform_app_list *out, char *reason, size_t reasonsz);
int sim_app_install(void *priv, const struct platform_package *pkg, struct platform_app *out,
		    char *reason, size_t reasonsz);
int sim_app_remove(void *priv, const char *app, char *reason, size_t reasonsz);
int sim_app_start(void *priv, const char *app, char *reason, size_t reasonsz);
int sim_app_stop(void *priv, const char *app, char *reason, size_t reasonsz);
int sim_app_restart(void *priv, const char *app, char *reason, size_t reasonsz);
int sim_app_set_param(void *priv, const char *app, const char *name, const char *value,
		      char *reason, size_t reasonsz);

#endif
