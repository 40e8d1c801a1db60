/* access: authorization and audit for the admin API (see access.h). */
#include "access.h"

#include <stdarg.h>
#include <stdio.h>

#include "router.h"

int authorize(struct request *rq, struct reply *rp, const char *org_id,
	      const char *folder_id, enum access_need need)
{
	(void)org_id;
	(void)folder_id;
	(void)need;
	if (rq->who.kind == PRINCIPAL_BOOTSTRAP)
		return 0;
	reply_error(rp, 403, "forbidden", "not allowed");
	return -1;
}

int audit(struct request *rq, const struct audit_scope *where, const char *action,
	  const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	(void)where;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return store_history(rq->c->store, rq->now, action, detail);
}
