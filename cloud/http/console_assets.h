/* console_assets: the web console's files (cloud/console/), embedded into camcloud at
 * build time by toolchain/embed_assets.sh; the table is generated into the build dir. */
#ifndef CLOUD_CONSOLE_ASSETS_H
#define CLOUD_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *path;         /* "/console/index.html" */
	const char *content_type;
	const char *etag;         /* quoted, from the file's SHA-256 */
	const unsigned char *data;
	size_t len;
};

extern const struct console_asset console_assets[];
extern const unsigned console_asset_count;

#endif
