/* fsutil: the few filesystem operations that must be exactly right:
 * atomic replace (temp + fsync + rename + fsync dir), bounded reads, mkdir -p. */
#ifndef CAM_FSUTIL_H
#define CAM_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"

/* All return 0 on success, -1 with errno set on failure. */
__attribute__((warn_unused_result)) int fs_write_atomic(const char *path, const void *data,
							 size_t len, mode_t mode);
/* fs_write_atomic that also keeps what path held before as <path>.prev (a hard link,
 * renamed into place), so at every instant after the first write a complete earlier
 * generation exists beside the current one. */
__attribute__((warn_unused_result)) int fs_write_atomic_keep_previous(const char *path,
								       const void *data,
								       size_t len, mode_t mode);
__attribute__((warn_unused_result)) int fs_previous_path(const char *path, char *out,
							  size_t outsz);
/* Reads path into out (replacing its contents), or, when path is missing, unreadable or
 * fails check, its previous generation. check returns 0 for a good file; NULL accepts
 * any. Returns FS_GEN_CURRENT, FS_GEN_PREVIOUS, or -1 (errno ENOENT when neither file
 * exists, EBADMSG when what exists is damaged) with out empty. */
#define FS_GEN_CURRENT 0
#define FS_GEN_PREVIOUS 1
__attribute__((warn_unused_result)) int fs_read_generation(const char *path, struct buf *out,
							    size_t max,
							    int (*check)(const struct buf *text,
									 void *arg),
							    void *arg);
/* Moves a damaged file aside as <path>.damaged (replacing an older one), for
 * diagnosis; 0, or -1 with errno set (ENOENT when there is no file). */
__attribute__((warn_unused_result)) int fs_set_aside_damaged(const char *path);
/* Reads the whole file into out (appending); fails with EFBIG past max bytes. */
__attribute__((warn_unused_result)) int fs_read_file(const char *path, struct buf *out, size_t max);
__attribute__((warn_unused_result)) int fs_mkdirs(const char *path, mode_t mode);
__attribute__((warn_unused_result)) int fs_free_bytes(const char *path, uint64_t *out);
__attribute__((warn_unused_result)) int fs_fsync_dir_of(const char *path);
int fs_exists(const char *path);
/* The test clock (camcloud --test-clock, CAMAGENT_TEST_CLOCK): the Unix time written in
 * path, or fallback when the file is missing or holds no positive number. */
int64_t fs_clock_file_read(const char *path, int64_t fallback);
/* write() until all of data is written (EINTR retried). */
__attribute__((warn_unused_result)) int fs_write_all(int fd, const void *data, size_t len);

#endif
