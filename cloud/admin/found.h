/* found: the answer to a lookup that found nothing or failed, the same everywhere in
 * the admin API: 404 "no such <what>" or 500. */
#ifndef CLOUD_FOUND_H
#define CLOUD_FOUND_H

struct reply;

/* r: what store_next() said of the lookup's row. 0 gives rp a 404 "no such <what>",
 * a negative r a 500, 1 leaves rp alone. Returns r. */
int reply_unless_found(struct reply *rp, int r, const char *what);

#endif
