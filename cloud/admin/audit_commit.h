/* audit_commit: how an admin handler's change ends. The handler begins a transaction
 * and runs its statements; then, here, the change's history row is written through
 * audit() and the transaction committed, or, when a statement did not do what it
 * should (or the history row or the commit fails), the transaction is rolled back
 * and the answer is 500. Replies that are not a 500 (a 409 on a constraint, say) stay
 * the handler's, given before it comes here. */
#ifndef CLOUD_AUDIT_COMMIT_H
#define CLOUD_AUDIT_COMMIT_H

#include "../http/access.h"

/* done: the transaction was begun and every statement in it did what it should (a
 * rollback without a transaction does nothing, so "store_begin(db) == 0 && ..." may
 * be the argument itself). 0 when committed, rp untouched (the handler replies);
 * -1 when rolled back, with rp given a 500 (rp NULL: the caller answers). */
int audit_commit(struct request *rq, struct reply *rp, int done, const struct audit_scope *where,
		 const char *action, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
