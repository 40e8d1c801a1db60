/* package: what every backend checks before an application package reaches the device:
 * the file is the one the task names (size and SHA-256, hashed right before the upload),
 * its manifest is the app and version the task names, and the device would run it
 * (lib/eap.h: architecture, AXIS OS range, manifest schema). Shared by sim/ and axis/. */
#ifndef CAM_PLATFORM_PACKAGE_H
#define CAM_PLATFORM_PACKAGE_H

#include <stddef.h>

#include "../lib/eap.h"
#include "platform.h"

/* 0 with the manifest in m, or -1 with a reason naming what did not match. Reads the
 * whole file at once (the sim); the axis backend hashes it on the loop (file_check.h),
 * reads its manifest a piece a turn (eap_manifest_read_step) and asks
 * platform_package_accepts. */
__attribute__((warn_unused_result)) int platform_package_check(
	const struct platform_package *pkg, const struct platform_identity *id,
	struct eap_manifest *m, char *reason, size_t reasonsz);
/* The manifest of the package at path against the app and version the task names (NULL:
 * any) and against what the device runs; 0 with it in m, or -1 with a reason. */
__attribute__((warn_unused_result)) int platform_package_manifest_check(
	const char *path, const char *app_name, const char *version,
	const struct platform_identity *id, struct eap_manifest *m, char *reason,
	size_t reasonsz);
/* The rules on a manifest read already (has_exe: it carries its executable). */
__attribute__((warn_unused_result)) int platform_package_accepts(
	const struct eap_manifest *m, int has_exe, const char *app_name, const char *version,
	const struct platform_identity *id, char *reason, size_t reasonsz);

#endif
