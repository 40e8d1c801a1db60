/* orglife: the rules of an organization's life — its default top folder, what an
 * archive must be confirmed with, and the digest that ties a folder deletion to the
 * preview it was confirmed from. Pure functions: no HTTP, no SQL. */
#ifndef CLOUD_ORGLIFE_H
#define CLOUD_ORGLIFE_H

#include <stddef.h>

#include "../../lib/crypto.h"
#include "../store/store.h"

/* The manual gives a new organization a default top folder but does not name it. */
#define ORG_DEFAULT_FOLDER "Default"
#define ORG_NOTES_MAX 2049 /* buffer size: 2048 bytes of notes */

enum archive_verdict {
	ARCHIVE_OK,
	ARCHIVE_ID_NOT_TYPED,    /* the organization id was not typed back */
	ARCHIVE_ID_MISMATCH,     /* something else was typed back */
	ARCHIVE_RISK_UNCONFIRMED /* the risk box was not ticked */
};

/* The manual's archive procedure: the id pasted back and the risk confirmed. */
enum archive_verdict archive_check(const char *org_id, const char *typed_id,
				   int risk_understood);
/* Why an archive was refused, for people. */
const char *archive_refusal(enum archive_verdict v);

/* One kind of thing a folder deletion removes, with its ids in a stable order. */
struct preview_part {
	const char *kind; /* "subfolder", "device", "token", "grant" */
	const struct db_ids *ids;
};

/* The digest of a deletion preview: SHA-256 over the folder id and every part's
 * kind and ids, so the same digest means the same things would go. 0, or -1 when
 * out of memory. */
int delete_preview_digest(const char *folder_id, const struct preview_part *parts,
			  size_t nparts, char out[CRYPTO_SHA256_HEX_LEN]);

#endif
