/* package: the checks before an application package is handed to the device. */
#include "package.h"

#include <stdio.h>
#include <string.h>

#include "../lib/crypto.h"

int platform_package_check(const struct platform_package *pkg, const struct platform_identity *id,
			   struct eap_manifest *m, char *reason, size_t reasonsz)
{
	char hex[CRYPTO_SHA256_HEX_LEN];
	uint64_t size = 0;

	if (!pkg || !pkg->path || !pkg->sha256_hex) {
		snprintf(reason, reasonsz, "package: no file or no SHA-256 given");
		return -1;
	}
	if (crypto_sha256_file(pkg->path, hex, &size) != 0) {
		snprintf(reason, reasonsz, "package: cannot read %s", pkg->path);
		return -1;
	}
	if (size != pkg->size || strcmp(hex, pkg->sha256_hex) != 0) {
		snprintf(reason, reasonsz,
			 "package: the file is not the one the task names (size %llu, want %llu; "
			 "SHA-256 %s)", (unsigned long long)size, (unsigned long long)pkg->size,
			 strcmp(hex, pkg->sha256_hex) ? "differs" : "matches");
		return -1;
	}
	return platform_package_manifest_check(pkg->path, pkg->app_name, pkg->version, id, m,
					       reason, reasonsz);
}

int platform_package_manifest_check(const char *path, const char *app_name,
				    const char *version, const struct platform_identity *id,
				    struct eap_manifest *m, char *reason, size_t reasonsz)
{
	char why[PLATFORM_REASON_MAX];
	int has_exe = 0;

	if (eap_read_manifest(path, m, &has_exe, why, sizeof(why)) != 0) {
		snprintf(reason, reasonsz, "package: %s", why);
		return -1;
	}
	return platform_package_accepts(m, has_exe, app_name, version, id, reason, reasonsz);
}

int platform_package_accepts(const struct eap_manifest *m, int has_exe, const char *app_name,
			     const char *version, const struct platform_identity *id,
			     char *reason, size_t reasonsz)
{
	char why[PLATFORM_REASON_MAX];

	if (!has_exe) {
		snprintf(reason, reasonsz, "package: no executable %s in it", m->app_name);
		return -1;
	}
	if (app_name && strcmp(app_name, m->app_name) != 0) {
		snprintf(reason, reasonsz, "package: it is %s, the task names %s", m->app_name,
			 app_name);
		return -1;
	}
	if (version && strcmp(version, m->version) != 0) {
		snprintf(reason, reasonsz, "package: %s is version %s, the task names %s",
			 m->app_name, m->version, version);
		return -1;
	}
	if (eap_compatible(m, id->arch, id->os_version, why, sizeof(why)) != 0 ||
	    eap_user_allowed(m, id->os_version, why, sizeof(why)) != 0) {
		snprintf(reason, reasonsz, "package refused before upload: %s", why);
		return -1;
	}
	return 0;
}
