/* status: what `camagent status` and the settings page show. The running agent
 * writes status.json (throttled, it is not state); `camagent status` reads it
 * together with state.json, task.json and licenses.json. */
#ifndef CAM_AGENT_STATUS_H
#define CAM_AGENT_STATUS_H

#include <stdio.h>

struct agent;
struct buf;
void status_write(struct agent *a);
/* The status.json document into out (also served by the local API); 0 or -1. */
int status_json(struct agent *a, struct buf *out);
/* Prints a human-readable status of the agent whose state dir is given; 0 or -1. */
int status_print(const char *state_dir, FILE *out);

#endif
