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

/* Queues every device in ids to be woken (ids is copied). The queue lives in
 * c->wake, made on first use; if it cannot be (no memory), the devices are woken
 * now instead, so none is ever left out. first (or NULL) is the request being
 * answered, the admin's: its reply (a job lists all its tasks, megabytes for a big
 * fleet) may leave in large writes, instead of libevent's 16 KiB per turn, which
 * would hold it behind every slice. */
void wake_devices(struct cloud *c, const struct db_ids *ids, struct evhttp_request *first);
/* How many devices are still queued. */
size_t wake_pending(const struct wake *w);
/* Drops the queue without waking anyone (the server is stopping). Accepts NULL. */
void wake_free(struct wake *w);

#endif
