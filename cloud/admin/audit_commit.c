/* audit_commit: the history row and the commit of an admin change, or its rollback. */
#include "audit_commit.h"

#include <stdarg.h>
#include <stdio.h>

#include "../http/reply.h"
#include "../http/router.h"

int audit_commit(struct request *rq, struct reply *rp, int done, const struct audit_scope *where,
		 const char *action, const char *fmt, ...)
{
	char detail[512]; /* audit()'s own bound */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct store *db = rq->c->store;
	if (!done || audit(rq, where, action, "%s", detail) != 0 || store_commit(db) != 0) {
		store_rollback(db);
		if (rp)
			reply_internal(rp);
		return -1;
	}
	return 0;
}
