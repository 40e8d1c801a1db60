/* device_licenses: licenses granted to a piece of hardware. A license is recorded
 * against an organization and a device serial, not an enrollment: it reaches whichever
 * live device of that organization carries the serial, so a preloaded license activates
 * when its hardware enrolls and a re-enrolled camera keeps what it had. The key file a
 * vendor issued (Axis: an XML file per serial and application id) is stored opaque and
 * only read to check that it names this serial and application; camcloud cannot make
 * one. Kind "cloud" licenses carry no key file: camcloud's own signed token is the
 * license. Lifecycle and events: docs/licenses.md. */
#ifndef CLOUD_DEVICE_LICENSES_H
#define CLOUD_DEVICE_LICENSES_H

#include <stdint.h>

#include "../store/store.h"

/* Kinds (licenses.kind). */
#define LICENSE_KIND_TIED "tied"           /* preloaded with the hardware */
#define LICENSE_KIND_EXTENSION "extension" /* from the wallet, allocated to this device */
#define LICENSE_KIND_CLOUD "cloud"         /* camcloud-signed token, no vendor key file */

/* States (licenses.state). pending -> active | failed (the device reports), any live
 * state -> revoked (an admin) -> removed (the device took the key off), active ->
 * expired (the device deactivated it at its expiry). */
#define LICENSE_PENDING "pending"
#define LICENSE_ACTIVE "active"
#define LICENSE_FAILED "failed"
#define LICENSE_REVOKED "revoked"
#define LICENSE_REMOVED "removed"
#define LICENSE_EXPIRED "expired"

/* Refusals of device_license_grant (DB_ERROR for a store failure). */
#define DL_BAD_KIND (-10)
#define DL_BAD_SERIAL (-11)
#define DL_BAD_APP (-12)
#define DL_EXPIRED (-13)       /* expires_at already past */
#define DL_BAD_KEY_FILE (-14)  /* not base64, too large, or not a key file */
#define DL_KEY_MISMATCH (-15)  /* the key file names another serial or application */
#define DL_KEY_EXPIRED (-16)   /* the key file's own expiration date is past */

#define DL_KEY_FILE_B64_MAX 22000 /* base64 of KEYFILE_MAX_BYTES, with room */

/* Records a license for serial in org_id: app_id is the application it unlocks (the
 * Axis application id a key file names, or the app name a camcloud token names);
 * expires_at is a Unix time, 0 for none (tied-to-hardware: the hardware's lifetime).
 * key_file_b64 is the vendor's key file in base64, NULL for none; it must name serial
 * and app_id. Runs in the caller's transaction if one is open (the wallet allocates and
 * grants together), else in its own. The device of that serial, if enrolled, is told
 * to check its licenses on its next long poll; the caller wakes it
 * (device_license_holder). 0 with id_out set, or DB_ERROR / DL_*. */
__attribute__((warn_unused_result)) int
device_license_grant(struct store *s, int64_t now, const char *org_id, const char *serial,
		     const char *app_id, const char *kind, int64_t expires_at,
		     const char *key_file_b64, char id_out[DB_ID_LEN]);

/* Reads the serial and application id (and date) a key file in base64 names, for a
 * bulk import that matches files to hardware: 0, DL_BAD_KEY_FILE or DB_ERROR. */
struct keyfile_ids;
int device_license_key_ids(const char *b64, struct keyfile_ids *out);

/* A key file this cloud cannot read (its shape is the vendor's, not documented) is
 * still taken as an opaque XML document when the admin names its serial and
 * application: 0 when b64 decodes to at most KEYFILE_MAX_BYTES whose first non-blank
 * byte is '<', DL_BAD_KEY_FILE otherwise. The camera judges it (license.cgi). */
int device_license_key_opaque(const char *b64);

/* Words for a DL_* refusal (for a 400 reply or a CLI line). */
const char *device_license_refusal(int rc);

/* The live device of org_id carrying serial: 1 with dev_out, 0 when none is enrolled,
 * DB_ERROR. */
int device_license_holder(struct store *s, const char *org_id, const char *serial,
			  char dev_out[DB_ID_LEN]);

/* Appends one event to a license's record (granted, delivered, active, failed, revoked,
 * removed, expired), with the device it concerns ("" for none) and the reason. */
int device_license_event(struct store *s, int64_t now, const char *license_id,
			 const char *device_id, const char *event, const char *reason);

#endif
