/* libFuzzer target: the license key file reader (lib/keyfile.c) that the cloud uses to
 * match imported files to hardware and camsim to answer license.cgi. Whatever it
 * accepts names a serial of digits and capitals, a decimal application id and a date
 * that is none or a real day. */
/* fuzz-links: lib */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyfile_ids k;
	if (keyfile_read(data, size, &k) != 0)
		return 0;
	if (!k.serial[0] || !k.app_id[0] || keyfile_expiry(&k) < 0)
		abort();
	for (const char *p = k.serial; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'A' && *p <= 'Z'))
			abort();
	for (const char *p = k.app_id; *p; p++)
		if (!isdigit((unsigned char)*p))
			abort();
	if (k.expiration_date[0] && strlen(k.expiration_date) != 10)
		abort();
	return 0;
}
