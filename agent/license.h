/* license: tied-to-hardware licenses the cloud issued for this device.
 * Fetches envelopes, verifies signature and binding, installs through the
 * platform, remembers the outcome (licenses.json) and reports it once. */
#ifndef CAM_AGENT_LICENSE_H
#define CAM_AGENT_LICENSE_H

#include <stddef.h>

#define LICENSE_MAX 32
#define LICENSE_FIELD_MAX 64
#define LICENSE_REASON_MAX 256

struct agent;

struct license_entry {
	char license_id[LICENSE_FIELD_MAX];
	char app[LICENSE_FIELD_MAX];
	int active;                      /* installed on the device */
	char reason[LICENSE_REASON_MAX]; /* why it failed, "" when active */
	int reported;                    /* the cloud has acknowledged the state */
};

struct license_set {
	struct license_entry items[LICENSE_MAX];
	int count;
};

int license_store_load(const char *state_dir, struct license_set *set, char *err, size_t errsz);
int license_store_save(const char *state_dir, const struct license_set *set);

void license_fetch_start(struct agent *a);
int license_report_pending(struct agent *a);

#endif
