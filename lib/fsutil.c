/* fsutil: filesystem operations that must be exactly right on a camera that
 * can lose power at any moment: atomic replace (temp, fsync, rename, fsync dir),
 * bounded whole-file reads, mkdir -p and free space. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes data to a fresh file at tmp with exactly `mode`, durably. */
static int write_temp(const char *tmp, const void *data, size_t len, mode_t mode)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
	if (fd < 0)
		return -1;
	/* fchmod: the umask must not widen or narrow what the caller asked for. */
	if (fchmod(fd, mode & 07777) || fs_write_all(fd, data, len) || fsync(fd)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (write_temp(tmp, data, len, mode) || rename(tmp, path)) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fs_fsync_dir_of(path);
}

int fs_previous_path(const char *path, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s.prev", path);

	if (n < 0 || (size_t)n >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int fs_write_atomic_keep_previous(const char *path, const void *data, size_t len, mode_t mode)
{
	char prev[PATH_MAX], tmp[PATH_MAX];

	if (fs_previous_path(path, prev, sizeof(prev)) ||
	    fs_previous_path(prev, tmp, sizeof(tmp))) /* <path>.prev.prev: the link in flight */
		return -1;
	(void)unlink(tmp);
	if (link(path, tmp) == 0) {
		if (rename(tmp, prev)) {
			int saved = errno;
			unlink(tmp);
			errno = saved;
			return -1;
		}
	} else if (errno != ENOENT) {
		return -1; /* first write has no previous generation; anything else is an error */
	}
	return fs_write_atomic(path, data, len, mode);
}

/* 0 when path was read and passes check; -1 with errno (EBADMSG: failed check). */
static int read_checked(const char *path, struct buf *out, size_t max,
			int (*check)(const struct buf *, void *), void *arg)
{
	buf_reset(out);
	if (fs_read_file(path, out, max))
		return -1;
	if (check && check(out, arg)) {
		buf_reset(out);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int fs_read_generation(const char *path, struct buf *out, size_t max,
		       int (*check)(const struct buf *text, void *arg), void *arg)
{
	char prev[PATH_MAX];
	int current_errno;

	if (read_checked(path, out, max, check, arg) == 0)
		return FS_GEN_CURRENT;
	current_errno = errno;
	if (fs_previous_path(path, prev, sizeof(prev)) == 0 &&
	    read_checked(prev, out, max, check, arg) == 0)
		return FS_GEN_PREVIOUS;
	/* Nothing usable: ENOENT only when neither file is there, else why the one that
	 * exists could not be used (the current one's reason first). */
	if (current_errno != ENOENT)
		errno = current_errno;
	return -1;
}

int fs_set_aside_damaged(const char *path)
{
	char damaged[PATH_MAX];
	int n = snprintf(damaged, sizeof(damaged), "%s.damaged", path);

	if (n < 0 || (size_t)n >= sizeof(damaged)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (rename(path, damaged))
		return -1;
	return fs_fsync_dir_of(path);
}

int fs_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Some filesystems cannot fsync a directory (EINVAL): nothing more to do there. */
	if (fsync(fd) && errno != EINVAL) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* Appends everything readable from fd to out, failing with EFBIG past max bytes. */
static int read_fd(int fd, struct buf *out, size_t max)
{
	char chunk[16384];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if ((size_t)n > max - total) {
			errno = EFBIG;
			return -1;
		}
		total += (size_t)n;
		if (buf_append(out, chunk, (size_t)n))
			return -1;
	}
}

int fs_read_file(const char *path, struct buf *out, size_t max)
{
	size_t old_len = out->len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read_fd(fd, out, max)) {
		int saved = errno;
		close(fd);
		out->len = old_len;
		if (out->data)
			out->data[old_len] = '\0';
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0) {
		errno = ENOENT;
		return -1;
	}
	if (len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		int rc = mkdir_one(tmp, mode);
		*p = '/';
		if (rc)
			return -1;
	}
	return mkdir_one(tmp, mode);
}

int fs_free_bytes(const char *path, uint64_t *out)
{
	struct statvfs sv;

	if (statvfs(path, &sv))
		return -1;
	*out = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return 0;
}

int fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int64_t fs_clock_file_read(const char *path, int64_t fallback)
{
	struct buf text;
	int64_t now = fallback;
	buf_init(&text, 64);
	if (fs_read_file(path, &text, 32) == 0) {
		char *end;
		long long v = strtoll(buf_str(&text), &end, 10);
		if (end != buf_str(&text) && (*end == '\0' || *end == '\n') && v > 0)
			now = (int64_t)v;
	}
	buf_free(&text);
	return now;
}
