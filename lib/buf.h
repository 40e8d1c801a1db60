/* buf: a growable byte buffer with a hard size cap, always NUL-terminated.
 * Every input we buffer (HTTP bodies, files, JSON) goes through one of these,
 * so "too big" is an error at one place instead of an allocation storm. */
#ifndef CAM_BUF_H
#define CAM_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* NULL until the first append; NUL-terminated after it */
	size_t len;
	size_t alloc;
	size_t max;  /* appends that would exceed this fail */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);  /* accepts a zeroed or half-built buf */
void buf_reset(struct buf *b); /* keeps the allocation */
__attribute__((warn_unused_result)) int buf_append(struct buf *b, const void *p, size_t n);
__attribute__((warn_unused_result)) int buf_append_str(struct buf *b, const char *s);
__attribute__((warn_unused_result, format(printf, 2, 3))) int buf_printf(struct buf *b,
									   const char *fmt, ...);
/* Never NULL: "" for an empty buffer. */
const char *buf_str(const struct buf *b);

#endif
