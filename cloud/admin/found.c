/* found: 404 or 500 after a lookup. */
#include "found.h"

#include "../http/reply.h"

int reply_unless_found(struct reply *rp, int r, const char *what)
{
	if (r == 0)
		reply_error(rp, 404, "not_found", "no such %s", what);
	else if (r < 0)
		reply_internal(rp);
	return r;
}
