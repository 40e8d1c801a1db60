/* orglife: organization lifecycle rules (see orglife.h). */
#include "orglife.h"

#include <string.h>

#include "../../lib/buf.h"

#define PREVIEW_TEXT_MAX (16 * 1024 * 1024)

enum archive_verdict archive_check(const char *org_id, const char *typed_id,
				   int risk_understood)
{
	if (!typed_id || !typed_id[0])
		return ARCHIVE_ID_NOT_TYPED;
	if (strcmp(org_id, typed_id) != 0)
		return ARCHIVE_ID_MISMATCH;
	return risk_understood ? ARCHIVE_OK : ARCHIVE_RISK_UNCONFIRMED;
}

const char *archive_refusal(enum archive_verdict v)
{
	switch (v) {
	case ARCHIVE_ID_NOT_TYPED:
		return "type the organization id back in confirm_id to archive it";
	case ARCHIVE_ID_MISMATCH:
		return "confirm_id is not this organization's id";
	case ARCHIVE_RISK_UNCONFIRMED:
		return "set risk_understood: archiving cannot be undone here, its devices are"
		       " decommissioned and its subscriptions become unusable";
	case ARCHIVE_OK:
		break;
	}
	return "";
}

int delete_preview_digest(const char *folder_id, const struct preview_part *parts,
			  size_t nparts, char out[CRYPTO_SHA256_HEX_LEN])
{
	struct buf text;
	int rc = 0;
	buf_init(&text, PREVIEW_TEXT_MAX);
	if (buf_printf(&text, "folder %s\n", folder_id) != 0)
		rc = -1;
	for (size_t p = 0; p < nparts && rc == 0; p++)
		for (size_t i = 0; i < parts[p].ids->n && rc == 0; i++)
			rc = buf_printf(&text, "%s %s\n", parts[p].kind, parts[p].ids->id[i]);
	if (rc == 0)
		crypto_sha256_hex(text.data, text.len, out);
	buf_free(&text);
	return rc == 0 ? 0 : -1;
}
