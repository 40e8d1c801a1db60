/* migrations: the ordered schema steps both backends apply (migrations.c). */
#ifndef CLOUD_STORE_MIGRATIONS_H
#define CLOUD_STORE_MIGRATIONS_H

#include <stddef.h>

enum store_dialect { DIALECT_SQLITE, DIALECT_POSTGRES };

struct migration_step {
	int version;          /* the schema version this step belongs to (1, 2, ...) */
	const char *any;      /* SQL both dialects accept, or NULL: */
	const char *sqlite;   /* the SQLite spelling */
	const char *postgres; /* the PostgreSQL spelling */
};

/* The schema version the last step brings a store to. */
int migrations_latest(void);
/* The SQL of the next step of version (in dialect) at or after *i, advancing *i past
 * it; NULL when version has no more steps. Start with *i = 0. */
const char *migration_sql(int version, enum store_dialect dialect, size_t *i);

#endif
