/* db: the SQLite store's own helpers now live in store/sqlite/db.h; this name stays
 * for the unit tests that look inside the SQLite file. */
#include "store/sqlite/db.h"
