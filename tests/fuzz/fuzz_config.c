/* libFuzzer target: the agent's "key = value" config file, read at start and on SIGHUP.
 * A file it refuses says where; one it accepts still passes or fails validation cleanly. */
/* fuzz-links: lib agent tests/fuzz/tmpfiles.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/config.h"
#include "tmpfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config c;
	char err[512] = "";
	const char *path = fuzz_write_file("camagent.conf", data, size);
	config_defaults(&c);
	if (config_load_file(&c, path, err, sizeof(err))) {
		if (!err[0])
			abort();
		return 0;
	}
	if (!memchr(c.cloud_url, 0, sizeof(c.cloud_url)) || !memchr(c.state_dir, 0, sizeof(c.state_dir)) ||
	    !memchr(c.enrollment_token, 0, sizeof(c.enrollment_token)))
		abort();
	(void)config_validate(&c, err, sizeof(err));
	return 0;
}
