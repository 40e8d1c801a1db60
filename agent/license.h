/* license: tied-to-hardware licenses the cloud issued for this device.
 * Fetches envelopes, verifies signature and binding, installs through the
 * platform, remembers the outcome (licenses.json) and reports it once. */
#ifndef CAM_AGENT_LICENSE_H
#define CAM_AGENT_LICENSE_H

#include <stddef.h>
#include <stdint.h>

#define LICENSE_MAX 32
#define LICENSE_FIELD_MAX 64
#define LICENSE_REASON_MAX 256
#define LICENSE_KEY_MAX (16 * 1024)

struct agent;

struct license_entry {
	char license_id[LICENSE_FIELD_MAX];
	char app[LICENSE_FIELD_MAX];
	int active;                      /* installed on the device */
	char reason[LICENSE_REASON_MAX]; /* why it failed, "" when active */
	int reported;                    /* the cloud has acknowledged the state */
};

struct license_set {
	struct license_entry items[LICENSE_MAX];
	int count;
};

/* licenses.json or its previous generation: 0 (loaded, or none), JSON_FILE_PREVIOUS
 * (err says why), or -1 when nothing good is left (an empty set; err says why). */
int license_store_load(const char *state_dir, struct license_set *set, char *err, size_t errsz);
int license_store_save(const char *state_dir, const struct license_set *set);

/* Reads app, key (base64 in the payload, decoded into key) and license_exp (0: none) of a
 * verified license payload (protocol §7); -1 with why when a field is missing or malformed. */
int license_payload_read(const char *payload, size_t len, char *app, size_t appsz,
			 uint8_t *key, size_t keysz, size_t *keylen, int64_t *license_exp,
			 char *why, size_t whysz);

void license_fetch_start(struct agent *a);
int license_report_pending(struct agent *a);

#endif
