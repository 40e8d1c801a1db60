/* keyfile: reads the two fields of an application license key file that name what the
 * key is for — the device serial and the application id — and, when present, its
 * expiration date. The file is a vendor-signed XML document; this module never judges
 * whether it is genuine (only the camera can, with the vendor key it holds). The cloud
 * uses it to match an imported file to its hardware, the camera simulator to answer
 * license.cgi the way a camera does. Element names: docs/licenses.md "Key files". */
#ifndef LIB_KEYFILE_H
#define LIB_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEYFILE_MAX_BYTES (16 * 1024) /* a key file is a few hundred bytes */
#define KEYFILE_FIELD 65

struct keyfile_ids {
	char serial[KEYFILE_FIELD];         /* <DeviceID>: digits and capitals, as the camera reports */
	char app_id[KEYFILE_FIELD];         /* <ApplicationID>, decimal */
	char expiration_date[KEYFILE_FIELD]; /* <ExpirationDate> YYYY-MM-DD, "" when none */
	int has_signature;                  /* a non-empty <Signature> */
};

/* 0 when data is a key file of the documented shape (an XML declaration or not, one
 * <LicenseKey> root, the fields above each at most once), -1 otherwise. */
__attribute__((warn_unused_result)) int keyfile_read(const void *data, size_t len,
						     struct keyfile_ids *out);

/* The expiration date as the UTC time at the end of that day (the key is valid through
 * it), 0 when the key has none, -1 when the date is malformed. */
int64_t keyfile_expiry(const struct keyfile_ids *k);

#endif
