/* license: the licenses the cloud holds for this hardware. Fetches envelopes, verifies
 * signature and binding, installs the vendor key file each carries through the platform
 * (or keeps a camcloud-signed token for apps that verify camcloud's signature), takes
 * keys off when the cloud revokes them and when they expire, remembers every outcome
 * (licenses.json) and reports each change once. Offline systems: license_offline.h. */
#ifndef CAM_AGENT_LICENSE_H
#define CAM_AGENT_LICENSE_H

#include <stddef.h>
#include <stdint.h>

#define LICENSE_MAX 32
#define LICENSE_FIELD_MAX 64
#define LICENSE_REASON_MAX 256
#define LICENSE_KEY_MAX (16 * 1024)

struct agent;

/* States an entry reports (protocol §7): active, failed (reason: the camera's), removed
 * (revoked by the cloud and taken off), expired (taken off at license_exp). */
struct license_entry {
	char license_id[LICENSE_FIELD_MAX];
	char app[LICENSE_FIELD_MAX];     /* as the cloud names it: app name or application id */
	char package[LICENSE_FIELD_MAX]; /* the installed application it went to ("": none) */
	char kind[16];                   /* tied | extension | cloud */
	char state[16];
	int64_t license_exp;             /* 0: never */
	char reason[LICENSE_REASON_MAX];
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

/* What one verified license payload (protocol §7) carries. */
struct license_payload_fields {
	char app[LICENSE_FIELD_MAX];
	char kind[16];
	int64_t license_exp;
	uint8_t key[LICENSE_KEY_MAX]; /* the vendor key file; keylen 0 for kind cloud */
	size_t keylen;
};
/* -1 with why when a field is missing or malformed. */
int license_payload_read(const char *payload, size_t len, struct license_payload_fields *out,
			 char *why, size_t whysz);

/* Verifies one envelope against want (type license, this device and serial) and
 * installs it unless handled before. 0 when it was taken (installed, its install started
 * on the camera, or refused with a reason), 1 when the camera is busy with another
 * license call (take it again after it: the next fetch does), -1 when the envelope itself
 * was refused (logged). */
struct envelope_binding;
int license_take_envelope(struct agent *a, const char *env, size_t len,
			  const struct envelope_binding *want);

void license_fetch_start(struct agent *a);
int license_report_pending(struct agent *a);
/* Takes off every active license whose license_exp has come (through the platform) and
 * marks it expired for the report. Returns the earliest license_exp still ahead, or
 * INT64_MAX. */
int64_t license_expire_due(struct agent *a);

#endif
