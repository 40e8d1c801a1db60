/* memstat: reads VmHWM from /proc/self/status (see memstat.h for why not getrusage). */
#include "memstat.h"

#include <stdio.h>

long memstat_peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
