/* device_licenses: see device_licenses.h. */
#include "device_licenses.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/keyfile.h"
#include "../http/api.h"
#include "policy.h"

const char *device_license_refusal(int rc)
{
	switch (rc) {
	case DL_BAD_KIND:
		return "kind must be tied, extension or cloud";
	case DL_BAD_SERIAL:
		return "serial must be printable text";
	case DL_BAD_APP:
		return "app must be printable text";
	case DL_EXPIRED:
		return "the license has already expired";
	case DL_BAD_KEY_FILE:
		return "key_file is not a license key file (base64 of an XML <LicenseKey>)";
	case DL_KEY_MISMATCH:
		return "the key file is for another serial or application";
	case DL_KEY_EXPIRED:
		return "the key file has already expired";
	default:
		return "internal error";
	}
}

static int kind_known(const char *kind)
{
	return kind && (!strcmp(kind, LICENSE_KIND_TIED) || !strcmp(kind, LICENSE_KIND_EXTENSION) ||
			!strcmp(kind, LICENSE_KIND_CLOUD));
}

/* The bytes of a key file in base64 (malloc'd into *raw): their count, or
 * DL_BAD_KEY_FILE (empty, too large, not base64) or DB_ERROR. */
static int key_bytes(const char *b64, uint8_t **raw)
{
	size_t len = b64 ? strlen(b64) : 0;
	*raw = NULL;
	if (len == 0 || len > DL_KEY_FILE_B64_MAX)
		return DL_BAD_KEY_FILE;
	if (!(*raw = malloc(KEYFILE_MAX_BYTES)))
		return DB_ERROR;
	int n = base64_decode(b64, len, *raw, KEYFILE_MAX_BYTES);
	return n > 0 ? n : DL_BAD_KEY_FILE;
}

int device_license_key_ids(const char *b64, struct keyfile_ids *out)
{
	uint8_t *raw;
	int n = key_bytes(b64, &raw);
	int rc = n < 0 ? n : keyfile_read(raw, (size_t)n, out) == 0 ? 0 : DL_BAD_KEY_FILE;
	free(raw);
	return rc;
}

int device_license_key_opaque(const char *b64)
{
	uint8_t *raw;
	int n = key_bytes(b64, &raw), i = 0;
	while (i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n'))
		i++;
	int rc = n < 0 ? n : i < n && raw[i] == '<' ? 0 : DL_BAD_KEY_FILE;
	free(raw);
	return rc;
}

/* A key file we can read must name exactly this serial and application; one of
 * another shape is taken opaque, for the serial and application the admin named.
 * Its trust is the camera's business; we only refuse what cannot work. */
static int key_file_check(const char *b64, const char *serial, const char *app_id, int64_t now)
{
	struct keyfile_ids k;
	int rc = device_license_key_ids(b64, &k);
	if (rc == DL_BAD_KEY_FILE)
		return device_license_key_opaque(b64);
	if (rc != 0)
		return rc;
	if (strcmp(k.serial, serial) != 0 || strcmp(k.app_id, app_id) != 0)
		return DL_KEY_MISMATCH;
	int64_t exp = keyfile_expiry(&k);
	return exp != 0 && exp <= now ? DL_KEY_EXPIRED : 0;
}

int device_license_grant(struct store *s, int64_t now, const char *org_id, const char *serial,
			 const char *app_id, const char *kind, int64_t expires_at,
			 const char *key_file_b64, char id_out[DB_ID_LEN])
{
	if (!kind_known(kind))
		return DL_BAD_KIND;
	if (!is_printable(serial, FIELD_SHORT - 1))
		return DL_BAD_SERIAL;
	if (!is_printable(app_id, FIELD_NAME - 1))
		return DL_BAD_APP;
	if (expires_at < 0 || (expires_at != 0 && expires_at <= now))
		return DL_EXPIRED;
	if (key_file_b64) {
		int rc = key_file_check(key_file_b64, serial, app_id, now);
		if (rc != 0)
			return rc;
	}
	if (db_new_id(id_out) != 0)
		return DB_ERROR;
	int own = !store_in_transaction(s);
	if (own && store_begin(s) != 0)
		return DB_ERROR;
	if (store_run(s, ST_LICENSE_GRANT_INSERT, "sssssisii", id_out, org_id, serial, app_id, kind,
		      expires_at, key_file_b64, now, now) != 1 ||
	    device_license_event(s, now, id_out, "", "granted", kind) != 0 ||
	    (own && store_commit(s) != 0)) {
		if (own)
			store_rollback(s);
		return DB_ERROR;
	}
	return 0;
}

int device_license_holder(struct store *s, const char *org_id, const char *serial,
			  char dev_out[DB_ID_LEN])
{
	struct store_rows *st = store_query(s, ST_DEVICE_LIVE_OF_ORG_SERIAL, "ss", org_id, serial);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 && store_str(st, 0, dev_out, DB_ID_LEN) != 0)
		r = DB_ERROR;
	store_done(st);
	return r;
}

int device_license_event(struct store *s, int64_t now, const char *license_id,
			 const char *device_id, const char *event, const char *reason)
{
	return store_run(s, ST_LICENSE_EVENT_INSERT, "ssiss", license_id, device_id, now, event,
			 reason ? reason : "") == 1
		       ? 0
		       : DB_ERROR;
}
