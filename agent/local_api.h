/* local_api: the settings page's API, a tiny HTTP server on 127.0.0.1:<local_api_port> on
 * the agent's own event loop. The camera's Apache reaches it through the manifest's
 * reverseProxy (admin access), so it listens on loopback only.
 *   GET  /api/status            the status.json document
 *   POST /api/enrollment-token  {"token":"cam1..."}: checked, kept (0600 file
 *                               enrollment_token in the state dir), enrollment starts
 * The same paths without the /api prefix are accepted too (whether the reverse proxy strips
 * its apiPath depends on the manifest's target). The token is never logged. */
#ifndef CAM_AGENT_LOCAL_API_H
#define CAM_AGENT_LOCAL_API_H

#include <stddef.h>

struct agent;

/* Starts the server when cfg.local_api_port is set. A port that cannot be bound is logged
 * and the agent runs on without the page API (it is not needed to manage the camera). */
void local_api_start(struct agent *a);
void local_api_stop(struct agent *a);

/* The token an installer gave through the page in an earlier run; 0 with it in out, -1 if
 * there is none. */
int local_api_saved_token(const char *state_dir, char *out, size_t outsz);

#endif
