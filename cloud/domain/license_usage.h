/* license_usage: the reported usage of a product, the "current need" of its
 * subscription: enrolled (not removed) devices of the organization whose application
 * inventory (device_apps, written by the device report through inventory.h) has the
 * product's application id running. An app's `since` is when the device was first
 * reported running it in its current run, so a device that starts running it during a
 * subscription year counts only from then (it joins the next year's need). */
#ifndef CLOUD_LICENSE_USAGE_H
#define CLOUD_LICENSE_USAGE_H

#include <stdint.h>

#include "../store/store.h"

/* Devices of org_id running app_id since at most `since`: >= 0, or DB_ERROR. */
int64_t license_usage_count(struct store *s, const char *org_id, const char *app_id,
			    int64_t since);

#endif
