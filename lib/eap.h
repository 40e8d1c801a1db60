/* eap: reads an ACAP package (.eap: a tar, gzip-compressed as acap-build and
 * acap/build-eap.sh make it) far enough to know what it is: every entry's name and the
 * small ones' contents, its manifest.json, and whether a given camera would install it
 * (architecture, AXIS OS range, manifest schema). One place for these rules, so the
 * camera simulator, the platforms and the cloud agree. Not an extractor: nothing is
 * written to disk. */
#ifndef CAM_EAP_H
#define CAM_EAP_H

#include <stddef.h>
#include <stdint.h>

#define EAP_FIELD_MAX 64
#define EAP_TEXT_MAX 256
#define EAP_MANIFEST_MAX (64 * 1024)
#define EAP_OS_RANGES 8
#define EAP_GROUPS 16
#define EAP_PARAMS 32

struct eap_param {             /* configuration.paramConfig: {name, default, type} */
	char name[EAP_FIELD_MAX];
	char def[EAP_TEXT_MAX];
	char type[EAP_FIELD_MAX];
};

struct eap_os_range {
	char min[EAP_FIELD_MAX]; /* "" = no lower bound */
	char max[EAP_FIELD_MAX]; /* "" = no upper bound */
};

/* The manifest fields that decide installation ([SCHEMA] 1.x, [V2] 2.x); "" = absent. */
struct eap_manifest {
	char schema_version[EAP_FIELD_MAX];
	int schema_major;                        /* 1 or 2; 0 when unreadable */
	char app_name[EAP_FIELD_MAX];
	char friendly_name[EAP_TEXT_MAX];
	char vendor[EAP_TEXT_MAX];
	char vendor_id[EAP_FIELD_MAX];
	char version[EAP_FIELD_MAX];
	char architecture[EAP_FIELD_MAX];
	char run_mode[EAP_FIELD_MAX];
	char app_id[EAP_FIELD_MAX];
	char copy_protection[EAP_FIELD_MAX];   /* copyProtection.method: none|axis|custom */
	char setting_page[EAP_TEXT_MAX];
	char vendor_url[EAP_TEXT_MAX];
	char user_name[EAP_FIELD_MAX];         /* setup.user (static user) */
	char user_group[EAP_FIELD_MAX];
	char groups[EAP_GROUPS][EAP_FIELD_MAX]; /* resources.linux.user.groups */
	int ngroups;
	struct eap_os_range os[EAP_OS_RANGES];  /* compatibleOsVersions */
	int nos;
	struct eap_param params[EAP_PARAMS];
	int nparams;
};

/* Calls on_entry for every entry of the package at path, in archive order: regular files
 * of at most max_data bytes with their contents (NUL-terminated), larger ones and other
 * kinds with data NULL. A non-zero return from on_entry stops the scan and is returned.
 * -1 with why when the file is not a readable tar (gzip or plain). */
typedef int (*eap_entry_fn)(void *arg, const char *name, const char *data, uint64_t len);
__attribute__((warn_unused_result)) int eap_scan(const char *path, size_t max_data,
						  eap_entry_fn on_entry, void *arg, char *why,
						  size_t whysz);

/* The same scan a piece at a time, for a caller that must not hold its loop for a whole
 * package: open, then step until it returns something other than EAP_SCAN_MORE (what
 * eap_scan would have returned), then close. Each step reads about budget bytes of the
 * archive (an entry's header and small contents always whole). on_entry must not return
 * EAP_SCAN_MORE. */
#define EAP_SCAN_MORE 1000
struct eap_scanner;
__attribute__((warn_unused_result)) int eap_scanner_open(struct eap_scanner **out,
							 const char *path, size_t max_data,
							 eap_entry_fn on_entry, void *arg,
							 char *why, size_t whysz);
int eap_scanner_step(struct eap_scanner *s, uint64_t budget, char *why, size_t whysz);
void eap_scanner_close(struct eap_scanner *s); /* NULL is fine */

/* An appName usable in a URL query and as a file name: [A-Za-z0-9][A-Za-z0-9._-]*, shorter
 * than EAP_FIELD_MAX. */
int eap_app_name_ok(const char *name);

/* An application's ApplicationID (the id vendor license key files name): 1 to
 * EAP_APP_ID_DIGITS decimal digits, no leading zero; a camera lists "0" or nothing for an
 * app that has none. */
#define EAP_APP_ID_DIGITS 10
int eap_app_id_ok(const char *id);

/* Parses manifest.json text; -1 with why on invalid JSON or a missing or malformed
 * required field of its schema (1.x: schemaVersion, appName, vendor, runMode, version;
 * 2.x also vendorId of 10 hex digits, compatibleOsVersions, architecture). */
__attribute__((warn_unused_result)) int eap_manifest_parse(const char *json, size_t len,
							    struct eap_manifest *m, char *why,
							    size_t whysz);

/* The package at path: its manifest.json parsed, and whether it carries the executable
 * named appName (*has_exe, may be NULL). -1 with why on an unreadable package or manifest. */
__attribute__((warn_unused_result)) int eap_read_manifest(const char *path,
							   struct eap_manifest *m, int *has_exe,
							   char *why, size_t whysz);

/* The same a piece at a time (as eap_scanner_step): start, step until it returns 0 (the
 * whole package read) or -1 with why, then end for the manifest and *has_exe (-1 with why),
 * then free (NULL is fine). */
struct eap_manifest_read;
__attribute__((warn_unused_result)) int eap_manifest_read_start(struct eap_manifest_read **out,
								const char *path, char *why,
								size_t whysz);
/* 1: more to read; 0: all read; -1 with why. */
int eap_manifest_read_step(struct eap_manifest_read *r, uint64_t budget, char *why,
			   size_t whysz);
__attribute__((warn_unused_result)) int eap_manifest_read_end(struct eap_manifest_read *r,
							      struct eap_manifest *m,
							      int *has_exe, char *why,
							      size_t whysz);
void eap_manifest_read_free(struct eap_manifest_read *r);

/* Whether a camera of architecture arch running AXIS OS os installs the package: 0, or -1
 * with why. Checks the architecture, the manifest schema the OS accepts (1.x from the
 * AXIS OS its version first shipped in; 2.x from 12.10; AXIS OS 13 and later only 2.x)
 * and, for 2.x, compatibleOsVersions. */
int eap_compatible(const struct eap_manifest *m, const char *arch, const char *os, char *why,
		   size_t whysz);

/* 0 when os is inside one of the manifest's compatibleOsVersions ranges (or the manifest
 * has none), -1 otherwise. A bound covers every release it prefixes: max "13" admits 13.1.2. */
int eap_os_in_range(const struct eap_manifest *m, const char *os);

/* Whether the static user and the groups are allowed on AXIS OS os: root is not from 12.0
 * [USER]; schema 2.x allows only the user "sdk" and a fixed list of groups [V2]. */
int eap_user_allowed(const struct eap_manifest *m, const char *os, char *why, size_t whysz);

#endif
