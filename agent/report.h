/* report: identity, AXIS OS version and inventory to the cloud (protocol.md §4),
 * at start, after a change, and as a heartbeat. */
#ifndef CAM_AGENT_REPORT_H
#define CAM_AGENT_REPORT_H

struct agent;
void report_start(struct agent *a);

#endif
