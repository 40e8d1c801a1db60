/* seal_pool: task envelopes of woken long polls signed on worker threads. A fleet-wide
 * job wakes thousands of held polls; signing each envelope on the event loop made the
 * last device wait for every signature before its own. With the pool the loop builds
 * the payloads of a slice, hands them here and goes on to the next slice while the
 * workers sign; each envelope comes back to the loop (through a pipe) and is sent as
 * soon as it is ready. Each worker takes the oldest job waiting, so they come back
 * about in the order submitted (not exactly, with several workers).
 * Threads: the workers touch only their jobs and their own signing context
 * (signer_for_thread); every callback runs on the loop. A backend that cannot sign
 * from several threads (mbedtls: one random generator per process) gets no workers,
 * and the callers seal on the loop as before. */
#ifndef CLOUD_SEAL_POOL_H
#define CLOUD_SEAL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/buf.h"
#include "../store/store.h"

#define SEAL_THREADS_MAX 8

struct cloud;
struct seal_pool;

/* On the loop, once per submitted job: env is the sealed envelope, or NULL when
 * sealing failed (logged). */
typedef void (*seal_done_fn)(struct cloud *c, const char *device_id, uint64_t ticket,
			     const struct buf *env);

/* A pool of threads workers (at most SEAL_THREADS_MAX) signing with c->signer; NULL
 * without memory. Fewer workers than asked (none, say) when the signing backend or the
 * system cannot give them: see seal_pool_workers. */
struct seal_pool *seal_pool_new(struct cloud *c, int threads, seal_done_fn done);
/* Joins the workers; jobs not yet handed back are dropped. Accepts NULL. */
void seal_pool_free(struct seal_pool *p);
size_t seal_pool_workers(const struct seal_pool *p);

/* Queues payload (taken over: *payload is left empty) for device_id: its ticket, never
 * 0. 0 when the pool has no workers or no memory: payload is untouched, seal it here. */
uint64_t seal_pool_submit(struct seal_pool *p, const char *device_id, struct buf *payload);

#endif
