/* tmpfiles: see tmpfiles.h. */
#include "tmpfiles.h"

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX];
static char path[PATH_MAX];

static int remove_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(p);
}

static void remove_tree(const char *top)
{
	(void)nftw(top, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void remove_dir(void)
{
	remove_tree(dir);
}

const char *fuzz_tmpdir(void)
{
	if (!dir[0]) {
		/* run.sh names a base it removes afterwards, even when a crash skipped remove_dir */
		const char *base = getenv("FUZZ_TMPDIR");
		if (!base)
			base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(dir, sizeof(dir), "%s/fuzz-XXXXXX", base);
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	return dir;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
	return path;
}

const char *fuzz_fresh_dir(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	remove_tree(path);
	if (mkdir(path, 0700) != 0)
		abort();
	return path;
}
