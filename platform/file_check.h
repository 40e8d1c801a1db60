/* file_check: reads a file through its checking reader (image_reader.h) to the end on the
 * agent's loop, one chunk per loop turn, so a package of tens of MB is hashed without
 * holding the loop for the whole file: what the axis backend does before a package's
 * manifest is trusted and it is uploaded. The reader's rules hold: the file must keep the
 * size and SHA-256 it was opened for (shrinking, growing or other bytes are an error).
 * Not a reader of its own and not a thread. */
#ifndef CAM_FILE_CHECK_H
#define CAM_FILE_CHECK_H

#include <stddef.h>
#include <event2/event.h>

#include "image_reader.h"

#define FILE_CHECK_CHUNK (512u * 1024) /* per loop turn: a few ms of hashing */

struct file_check;
/* rc 0: the whole file matched, r is rewound for the upload; -1 with reason. */
typedef void (*file_check_done_fn)(void *arg, int rc, const char *reason);

/* Starts reading r (opened, read from its first byte) on base; done comes once, later,
 * never inside this call. 0, or -1 with reason (nothing started). The check does not own
 * r: keep it open until done or file_check_free. */
__attribute__((warn_unused_result)) int file_check_start(struct event_base *base,
							 struct image_reader *r,
							 file_check_done_fn done, void *arg,
							 struct file_check **out, char *reason,
							 size_t reasonsz);
/* Stops a check in flight (done is not called) or frees one that ended; NULL is fine. */
void file_check_free(struct file_check *c);

#endif
