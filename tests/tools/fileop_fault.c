/* fileop_fault: an LD_PRELOAD interposer that cuts the power at the Nth file operation.
 * It counts the operations that change files under one directory (open for writing,
 * write, pwrite, ftruncate, fsync, fdatasync, sync_file_range, rename, link, unlink,
 * mkdir, and their *at forms) and kills its process with SIGKILL right before the
 * operation numbered FILEOP_FAULT_AT, as a power cut would: nothing after it reaches
 * the disk. Reads are not counted: they cannot damage anything.
 *
 *   FILEOP_FAULT_DIR      only paths under this directory count (required)
 *   FILEOP_FAULT_COUNTER  a file holding the count, shared by every process started
 *                         with the interposer (the agent again after its reboot): the
 *                         count goes on across them, so one cut falls in one cycle
 *   FILEOP_FAULT_AT       1-based operation to cut at; 0 or unset: count only
 *
 * The count file is read and written with raw system calls, so it counts nothing itself.
 * Not for the agent's own build: a test tool only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FD_MAX 4096

static char dir[PATH_MAX];
static size_t dirlen;
static int counter_fd = -1;
static long long cut_at;
static unsigned char watched[FD_MAX]; /* fds opened under dir */

__attribute__((constructor)) static void fileop_fault_init(void)
{
	const char *d = getenv("FILEOP_FAULT_DIR");
	const char *c = getenv("FILEOP_FAULT_COUNTER");
	const char *at = getenv("FILEOP_FAULT_AT");

	if (!d || !*d || !c || !*c || !realpath(d, dir))
		return;
	dirlen = strlen(dir);
	cut_at = at ? atoll(at) : 0;
	counter_fd = (int)syscall(SYS_openat, AT_FDCWD, c, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

/* Whether path (relative to the working directory or absolute) lies under dir. */
static int under_dir(int at_fd, const char *path)
{
	char abs[PATH_MAX], cwd[PATH_MAX];

	if (counter_fd < 0 || !path)
		return 0;
	if (path[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", path);
	} else if (at_fd == AT_FDCWD && getcwd(cwd, sizeof(cwd))) {
		snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	} else {
		return at_fd >= 0 && at_fd < FD_MAX && watched[at_fd];
	}
	return strncmp(abs, dir, dirlen) == 0 && (abs[dirlen] == '/' || abs[dirlen] == '\0');
}

/* One more operation; the power goes at cut_at. */
static void count_one(const char *what)
{
	long long n = 0;

	if (syscall(SYS_pread64, counter_fd, &n, sizeof(n), 0) != (long)sizeof(n))
		n = 0;
	n++;
	(void)syscall(SYS_pwrite64, counter_fd, &n, sizeof(n), 0);
	if (cut_at > 0 && n == cut_at) {
		char line[128];
		int len = snprintf(line, sizeof(line),
				   "fileop_fault: power cut before file operation %lld (%s)\n", n, what);
		(void)syscall(SYS_write, 2, line, (size_t)len);
		raise(SIGKILL);
	}
}

static void count_path(int at_fd, const char *path, const char *what)
{
	if (under_dir(at_fd, path))
		count_one(what);
}

static void count_fd(int fd, const char *what)
{
	if (counter_fd >= 0 && fd >= 0 && fd < FD_MAX && watched[fd])
		count_one(what);
}

static void note_fd(int fd, int watch)
{
	if (fd >= 0 && fd < FD_MAX)
		watched[fd] = (unsigned char)watch;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static int writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

static int open_common(int at_fd, const char *path, int flags, mode_t mode, int via_at)
{
	int inside = under_dir(at_fd, path), fd;

	if (inside && writes(flags))
		count_one("open");
	if (via_at) {
		REAL(openat);
		fd = real_openat(at_fd, path, flags, mode);
	} else {
		REAL(open);
		fd = real_open(path, flags, mode);
	}
	note_fd(fd, inside);
	return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* The mode argument of open and its variants, present with O_CREAT or O_TMPFILE only. */
#define MODE_ARG(flags, mode) \
	do { \
		va_list ap_; \
		va_start(ap_, flags); \
		mode = mode_arg(flags, ap_); \
		va_end(ap_); \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode;
	MODE_ARG(flags, mode);
	return open_common(AT_FDCWD, path, flags, mode, 0);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode;
	MODE_ARG(flags, mode);
	return open_common(AT_FDCWD, path, flags, mode, 0);
}

int openat(int at_fd, const char *path, int flags, ...)
{
	mode_t mode;
	MODE_ARG(flags, mode);
	return open_common(at_fd, path, flags, mode, 1);
}

int openat64(int at_fd, const char *path, int flags, ...)
{
	mode_t mode;
	MODE_ARG(flags, mode);
	return open_common(at_fd, path, flags, mode, 1);
}

int close(int fd)
{
	REAL(close);
	note_fd(fd, 0);
	return real_close(fd);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(write);
	count_fd(fd, "write");
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	count_fd(fd, "pwrite");
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	REAL(pwrite64);
	count_fd(fd, "pwrite");
	return real_pwrite64(fd, buf, n, off);
}

int ftruncate(int fd, off_t len)
{
	REAL(ftruncate);
	count_fd(fd, "ftruncate");
	return real_ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
	REAL(ftruncate64);
	count_fd(fd, "ftruncate");
	return real_ftruncate64(fd, len);
}

int fsync(int fd)
{
	REAL(fsync);
	count_fd(fd, "fsync");
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	count_fd(fd, "fdatasync");
	return real_fdatasync(fd);
}

int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
	REAL(sync_file_range);
	count_fd(fd, "sync_file_range");
	return real_sync_file_range(fd, off, n, flags);
}

int rename(const char *from, const char *to)
{
	REAL(rename);
	count_path(AT_FDCWD, to, "rename");
	return real_rename(from, to);
}

int renameat(int from_fd, const char *from, int to_fd, const char *to)
{
	REAL(renameat);
	count_path(to_fd, to, "rename");
	return real_renameat(from_fd, from, to_fd, to);
}

int link(const char *from, const char *to)
{
	REAL(link);
	count_path(AT_FDCWD, to, "link");
	return real_link(from, to);
}

int unlink(const char *path)
{
	REAL(unlink);
	count_path(AT_FDCWD, path, "unlink");
	return real_unlink(path);
}

int unlinkat(int at_fd, const char *path, int flags)
{
	REAL(unlinkat);
	count_path(at_fd, path, "unlink");
	return real_unlinkat(at_fd, path, flags);
}

int mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	count_path(AT_FDCWD, path, "mkdir");
	return real_mkdir(path, mode);
}
