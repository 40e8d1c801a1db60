/* report: identity, AXIS OS version and inventory to the cloud (protocol.md §4),
 * at start, after a change, and as a heartbeat. */
#ifndef CAM_AGENT_REPORT_H
#define CAM_AGENT_REPORT_H

struct agent;
struct json_writer;
void report_start(struct agent *a);
/* "apps": the applications the device runs, as its own list shows them (protocol §4);
 * nothing when the platform has no list or it cannot be read (logged). */
void report_write_apps(struct json_writer *w, struct agent *a);

#endif
