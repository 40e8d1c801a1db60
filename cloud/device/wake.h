/* wake: answering the held polls of a whole job without stalling the loop. The
 * devices are queued and woken WAKE_SLICE at a time, one slice per turn of the
 * event loop (a zero timer), so the admin's request is answered first, each slice's
 * answers leave while the next is signed, and other requests get their turn in
 * between. Not for single devices: those are woken at once (longpoll_wake). */
#ifndef CLOUD_WAKE_H
#define CLOUD_WAKE_H

#include <event2/http.h>

#include "../store/store.h"

#define WAKE_SLICE 200
#define WAKE_FIRST_WRITE_MAX (4 * 1024 * 1024)

struct cloud;
struct wake;

/* Wakes device_id's held poll, here (longpoll_wake) and on whichever other instance
 * sharing db holds it (store_notify_wake). Call it after the change has committed:
 * the signal is sent at once, so every instance reads the change when it hears it.
 * A failed signal is logged; that device then hears at its next poll. */
void device_wake(struct cloud *c, struct store *db, const char *device_id);
/* The same for devices, which job_id's change concerns, after the commit; the local
 * wakes are queued in slices (wake_devices), first as there. */
void job_wake(struct cloud *c, struct store *db, const char *job_id, const struct db_ids *devices,
	      struct evhttp_request *first);

/* Queues every device in ids whose poll is held here to be woken (ids is copied). The
 * queue lives in c->wake, made on first use; if it cannot be (no memory), the devices
 * are woken now instead, so none is ever left out. first (or NULL) is the request being
 * answered, the admin's: its reply (a job lists all its tasks, megabytes for a big
 * fleet) may leave in large writes, instead of libevent's 16 KiB per turn, which
 * would hold it behind every slice. */
void wake_devices(struct cloud *c, const struct db_ids *ids, struct evhttp_request *first);
/* How many devices are still queued. */
size_t wake_pending(const struct wake *w);
/* Drops the queue without waking anyone (the server is stopping). Accepts NULL. */
void wake_free(struct wake *w);

#endif
