/* image_reader: see image_reader.h. */
#include "image_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int reader_fail(char *reason, size_t reasonsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reasonsz, fmt, ap);
	va_end(ap);
	return -1;
}

int image_reader_open(struct image_reader *r, const struct platform_image *img, char *reason,
		      size_t reasonsz)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!img->path || !img->sha256 || strlen(img->sha256) != CRYPTO_SHA256_HEX_LEN - 1)
		return reader_fail(reason, reasonsz, "no image or no SHA-256 to check it against");
	r->fd = open(img->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return reader_fail(reason, reasonsz, "cannot open image: %s", strerror(errno));
	if (fstat(r->fd, &st) != 0) {
		int e = errno;

		image_reader_close(r);
		return reader_fail(reason, reasonsz, "cannot stat image: %s", strerror(e));
	}
	if ((uint64_t)st.st_size != img->size) {
		image_reader_close(r);
		return reader_fail(reason, reasonsz,
				   "image changed after verification: %lld bytes, expected %llu",
				   (long long)st.st_size, (unsigned long long)img->size);
	}
	r->size = img->size;
	memcpy(r->sha256, img->sha256, sizeof(r->sha256));
	if (sha256_stream_init(&r->hash) != 0) {
		image_reader_close(r);
		return reader_fail(reason, reasonsz, "cannot start a SHA-256 (out of memory)");
	}
	r->hashing = 1;
	return 0;
}

/* Called with the last bytes read but not yet handed out. */
static int check_whole(struct image_reader *r, char *reason, size_t reasonsz)
{
	char got[CRYPTO_SHA256_HEX_LEN], extra;
	ssize_t more;

	do
		more = read(r->fd, &extra, 1);
	while (more < 0 && errno == EINTR);
	if (more != 0)
		return reader_fail(reason, reasonsz, more < 0 ? "cannot read image: %s"
							      : "image changed after verification: %s",
				   more < 0 ? strerror(errno) : "it grew");
	int hashed = sha256_stream_finish_hex(&r->hash, got);
	sha256_stream_free(&r->hash);
	r->hashing = 0;
	if (hashed != 0)
		return reader_fail(reason, reasonsz, "cannot hash the image");
	if (strcmp(got, r->sha256) != 0)
		return reader_fail(reason, reasonsz,
				   "image changed after verification: SHA-256 %s, expected %s", got,
				   r->sha256);
	return 0;
}

ssize_t image_reader_read(struct image_reader *r, void *buf, size_t n, char *reason,
			  size_t reasonsz)
{
	uint64_t left = r->size - r->done;
	ssize_t got;

	if (left == 0) /* an empty image is checked on its first read */
		return r->hashing && check_whole(r, reason, reasonsz) != 0 ? -1 : 0;
	if (n > left)
		n = (size_t)left;
	do
		got = read(r->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return reader_fail(reason, reasonsz, "cannot read image: %s", strerror(errno));
	if (got == 0)
		return reader_fail(reason, reasonsz, "image changed after verification: it shrank");
	sha256_stream_update(&r->hash, buf, (size_t)got);
	r->done += (uint64_t)got;
	if (r->done == r->size && check_whole(r, reason, reasonsz) != 0)
		return -1;
	return got;
}

int image_reader_rewind(struct image_reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) != 0)
		return -1;
	if (r->hashing)
		sha256_stream_free(&r->hash);
	r->hashing = 0;
	r->done = 0;
	if (sha256_stream_init(&r->hash) != 0)
		return -1;
	r->hashing = 1;
	return 0;
}

void image_reader_close(struct image_reader *r)
{
	if (!r)
		return;
	if (r->hashing)
		sha256_stream_free(&r->hash);
	r->hashing = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
