/* statements: the text of every statement in statements.def, for the backends.
 * The SQL is written once in the dialect both backends accept; a backend rewrites
 * only what its dialect spells differently (placeholders, say). */
#include "statements.h"

#include "sql_parts.h"

static const char *const text[ST_COUNT] = {
#define STMT(name, sql) [ST_##name] = sql,
#include "statements.def"
#undef STMT
};

static const char *const names[ST_COUNT] = {
#define STMT(name, sql) [ST_##name] = #name,
#include "statements.def"
#undef STMT
};

const char *store_sql(enum store_stmt id)
{
	return id < ST_COUNT ? text[id] : NULL;
}

const char *store_stmt_name(enum store_stmt id)
{
	return id < ST_COUNT ? names[id] : "?";
}
