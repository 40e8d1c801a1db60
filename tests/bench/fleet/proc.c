/* proc: /proc/PID/status, stat and fd of the process under test (see proc.h). */
#include "proc.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	long v = -1;
	if (p && sscanf(p + strlen(key), " %ld", &v) != 1)
		v = -1;
	return v;
}

static int read_file(const char *path, char *out, size_t outsz)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, outsz - 1, f);
	fclose(f);
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

int proc_read(pid_t pid, struct proc_sample *out)
{
	char path[64], text[4096];
	memset(out, 0, sizeof(*out));

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, text, sizeof(text)) != 0)
		return -1;
	out->rss_kb = status_kb(text, "VmRSS:");
	out->hwm_kb = status_kb(text, "VmHWM:");

	/* utime and stime are fields 14 and 15; the command name (field 2) may hold
	 * spaces, so count from its closing parenthesis. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, text, sizeof(text)) != 0)
		return -1;
	const char *p = strrchr(text, ')');
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return -1;
	out->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		out->open_fds += e->d_name[0] != '.';
	closedir(d);
	return 0;
}

int proc_read_all(const pid_t *pids, size_t n, struct proc_sample *out)
{
	struct proc_sample one;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if (proc_read(pids[i], &one) != 0)
			return -1;
		out->rss_kb += one.rss_kb;
		out->hwm_kb += one.hwm_kb;
		out->cpu_s += one.cpu_s;
		out->open_fds += one.open_fds;
	}
	return 0;
}
