/* license_offline: licensing a camera that never reaches the cloud (docs/licenses.md
 * "Offline systems"). `camagent license export-system-file OUT` writes the system file:
 * an envelope sealed by the device key whose payload (type "system") names the serial,
 * model, installed applications and the device public key; an admin uploads it to
 * camcloud for an organization and carries the license file it returns back, and
 * `camagent license import FILE` verifies it (camcloud's signature, against the pinned
 * cloud key or the one the configured enrollment token names; the serial and device key
 * binding; expiry) and activates each license as the online path does. */
#ifndef CAM_AGENT_LICENSE_OFFLINE_H
#define CAM_AGENT_LICENSE_OFFLINE_H

#define SYSTEM_FILE_TTL_S (30 * 86400) /* how long the cloud accepts a system file */

struct agent;
/* Both return a process exit code after logging what went wrong. */
int license_export_system_file(struct agent *a, const char *out_path);
int license_import_file(struct agent *a, const char *path);

#endif
