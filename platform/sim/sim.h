/* sim: internals shared by the files of the simulated camera:
 *   sim.c   the camera directory, identity, A/B images, licenses, the ops table
 *   apps.c  installed applications, kept in <dir>/apps/<appName>.json
 *   later.c the asynchronous operations of platform.h: done here, answered on the loop */
#ifndef CAM_PLATFORM_SIM_H
#define CAM_PLATFORM_SIM_H

#include <stddef.h>

#include "../../lib/app_name.h"
#include "../platform.h"

/* The appName of the agent itself on a simulated camera. */
#define SIM_AGENT_APP CAMAGENT_APP_NAME

const char *sim_dir(const void *priv);
struct event_base *sim_base(void *priv);
struct sim_later;
struct sim_later **sim_later_head(void *priv);
void sim_later_drop_all(struct sim_later **head);

/* The work of each operation, done at once (sim.c, apps.c). */
int sim_license_install(void *priv, const char *app, const void *key, size_t keylen,
			char *reason, size_t reasonsz);
int sim_license_remove(void *priv, const char *app, char *reason, size_t reasonsz);
/* The license state list.cgi shows for app: "Valid" with the key's expiration date,
 * "Invalid" when it has expired, "None" when no key is installed. */
void sim_license_state(const void *priv, const char *app, char license[16], char expires[16]);
int sim_commit(void *priv, char *reason, size_t reasonsz);
int sim_rollback(void *priv, char *reason, size_t reasonsz);
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

/* The same as platform_ops entries, answered on the loop (later.c). */
int sim_op_commit(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz);
int sim_op_rollback(void *priv, platform_done_fn done, void *arg, char *reason,
		    size_t reasonsz);
int sim_op_license_install(void *priv, const char *app, const void *key, size_t keylen,
			   platform_done_fn done, void *arg, char *reason, size_t reasonsz);
int sim_op_license_remove(void *priv, const char *app, platform_done_fn done, void *arg,
			  char *reason, size_t reasonsz);
int sim_op_apps_list(void *priv, platform_list_done_fn done, void *arg, char *reason,
		     size_t reasonsz);
int sim_op_app_install(void *priv, const struct platform_package *pkg,
		       platform_app_done_fn done, void *arg, char *reason, size_t reasonsz);
int sim_op_app_remove(void *priv, const char *app, platform_done_fn done, void *arg,
		      char *reason, size_t reasonsz);
int sim_op_app_start(void *priv, const char *app, platform_done_fn done, void *arg,
		     char *reason, size_t reasonsz);
int sim_op_app_stop(void *priv, const char *app, platform_done_fn done, void *arg,
		    char *reason, size_t reasonsz);
int sim_op_app_restart(void *priv, const char *app, platform_done_fn done, void *arg,
		       char *reason, size_t reasonsz);
int sim_op_app_set_param(void *priv, const char *app, const char *name, const char *value,
			 platform_done_fn done, void *arg, char *reason, size_t reasonsz);

#endif
