/* statements: the SQL text behind each enum store_stmt, for the backends only. */
#ifndef CLOUD_STORE_STATEMENTS_H
#define CLOUD_STORE_STATEMENTS_H

#include "store.h"

const char *store_sql(enum store_stmt id);
const char *store_stmt_name(enum store_stmt id);

#endif
