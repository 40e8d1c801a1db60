/* license_usage: the reported usage of a product, the "current need" of its
 * subscription: enrolled (not removed) devices of the organization that report the
 * product's application running. It lives in the device_applications table
 * (device_id, app_id, running, since, updated_at), which the device report fills
 * through license_usage_record(); `since` is when the device was first reported
 * running the application in its current run, so a device that starts running it
 * during a subscription year counts only from then (it joins the next year's need). */
#ifndef CLOUD_LICENSE_USAGE_H
#define CLOUD_LICENSE_USAGE_H

#include <stdint.h>

#include "../store/store.h"

/* Records that device_id reports app_id running (1) or not (0) at now: 0, or DB_ERROR. */
__attribute__((warn_unused_result)) int license_usage_record(struct store *s,
							      const char *device_id,
							      const char *app_id, int running,
							      int64_t now);
/* Devices of org_id running app_id since at most `since`: >= 0, or DB_ERROR. */
int64_t license_usage_count(struct store *s, const char *org_id, const char *app_id,
			    int64_t since);

#endif
