/* last_camera: what the agent last read from its camera (identity, its own app's version),
 * kept in the state dir, so that while the camera is not ready after a restart the agent
 * can still tell the cloud who it is and what ran there last. Not a cache for anything
 * the agent acts on: tasks and licenses wait for the camera itself. */
#ifndef CAM_AGENT_LAST_CAMERA_H
#define CAM_AGENT_LAST_CAMERA_H

struct agent;

/* Keeps a->ident and a->agent_version; a failure is logged (nothing depends on it). */
void last_camera_save(struct agent *a);
/* Fills a->ident and a->agent_version from the last save; 0, or -1 when there is none
 * (or it is damaged: logged) and they stay empty. */
int last_camera_load(struct agent *a);

#endif
