/* report_apps: the "apps" field of a device report (protocol §4) — the applications the
 * camera has installed, as its own list shows them — checked field by field and handed
 * to the inventory (domain/inventory.h), replacing the device's previous list. */
#ifndef CLOUD_REPORT_APPS_H
#define CLOUD_REPORT_APPS_H

#include "../domain/inventory.h"
#include "../http/api.h"

#define REPORT_APPS_MAX INVENTORY_APPS_MAX

/* 0 when the report has no "apps" or a valid one; -1 after a 400 naming the field. */
int report_apps_check(struct request *rq, struct reply *rp);
/* Inside the report's transaction: replaces the device's list when the report has one. */
int report_apps_store(struct request *rq);

#endif
