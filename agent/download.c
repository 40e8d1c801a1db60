/* download: streams an artifact into a file, hashing as bytes arrive.
 * On resume the bytes already on disk are hashed first (in 64 KiB reads), so the
 * final digest always covers the whole file and memory stays constant.
 * Bytes reach the file in WRITE_CHUNK writes (the server's 16 KiB segments would make
 * 16 times as many). Every WRITEBACK_CHUNK the disk is asked to start writing what arrived
 * (it does not wait), and the page cache of what was written before is dropped, so the
 * fsync before "verified" waits for about one chunk and an image does not fill the RAM. */
#include "download.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/log.h"

#define WRITE_CHUNK (256u << 10)
#define WRITEBACK_CHUNK (8ull << 20)

struct download {
	struct download_spec spec;
	char *url, *bearer, *path;  /* owned copies */
	char sha256[CRYPTO_SHA256_HEX_LEN];
	int fd;
	uint64_t have;              /* bytes received and hashed */
	char *pending;              /* WRITE_CHUNK bytes: received, not yet written */
	size_t npending;
	uint64_t resumed_at;        /* bytes already there when this attempt started */
	uint64_t writeback_from;    /* bytes before this have been handed to the disk */
	struct timespec started, cpu_started;
	struct sha256_stream hash;
	struct http_request *req;
	int overflow;               /* server sent more than the expected size */
	int write_errno;
};

static void download_free(struct download *d)
{
	if (!d)
		return;
	if (d->req)
		http_cancel(d->req);
	if (d->fd >= 0)
		close(d->fd);
	/* Pending bytes are dropped: a next attempt resumes from what the file holds. */
	free(d->pending);
	sha256_stream_free(&d->hash);
	free(d->url);
	free(d->bearer);
	free(d->path);
	free(d);
}

void download_cancel(struct download *d)
{
	download_free(d);
}

static int write_pending(struct download *d)
{
	if (fs_write_all(d->fd, d->pending, d->npending)) {
		d->write_errno = errno;
		return -1;
	}
	d->npending = 0;
	return 0;
}

/* Starts writing [writeback_from, have) to disk and drops the cached pages before it,
 * which had a chunk's time to reach the disk (pages still being written are kept).
 * Both are hints: a failure costs a longer final fsync, which reports real errors.
 * -1 only when the pending bytes cannot be written. */
static int start_writeback(struct download *d)
{
	uint64_t from = d->writeback_from;
	if (write_pending(d))
		return -1;
	if (sync_file_range(d->fd, (off_t)from, (off_t)(d->have - from), SYNC_FILE_RANGE_WRITE))
		log_debug("download: sync_file_range on %s: %s", d->path, strerror(errno));
	if (from) /* advice only; nothing to report */
		(void)posix_fadvise(d->fd, 0, (off_t)from, POSIX_FADV_DONTNEED);
	d->writeback_from = d->have;
	return 0;
}

static double seconds_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t on_data(const void *data, size_t len, void *arg)
{
	struct download *d = arg;
	if (d->have + len > d->spec.size) {
		d->overflow = 1;
		return 0;
	}
	if (d->npending + len > WRITE_CHUNK && write_pending(d))
		return 0;
	if (len >= WRITE_CHUNK) {
		if (fs_write_all(d->fd, data, len)) {
			d->write_errno = errno;
			return 0;
		}
	} else {
		memcpy(d->pending + d->npending, data, len);
		d->npending += len;
	}
	sha256_stream_update(&d->hash, data, len);
	d->have += len;
	if (d->have - d->writeback_from >= WRITEBACK_CHUNK && start_writeback(d))
		return 0;
	if (d->spec.progress)
		d->spec.progress(d->have, d->spec.size, d->spec.arg);
	return len;
}

static void finish(struct download *d, enum download_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct download *d, enum download_outcome outcome, const char *fmt, ...)
{
	char reason[256] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (outcome == DOWNLOAD_FAILED && unlink(d->path) && errno != ENOENT)
		log_warn("download: cannot delete %s: %s", d->path, strerror(errno));
	d->req = NULL; /* http frees the request after the done callback */
	download_done_fn done = d->spec.done;
	void *arg = d->spec.arg;
	download_free(d);
	done(outcome, reason, arg);
}

static void verify(struct download *d)
{
	char got[CRYPTO_SHA256_HEX_LEN];
	struct timespec sync_started;
	if (write_pending(d)) {
		finish(d, DOWNLOAD_FAILED, "cannot write %s: %s", d->path, strerror(d->write_errno));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &sync_started);
	if (fsync(d->fd)) {
		finish(d, DOWNLOAD_RETRY, "cannot sync %s: %s", d->path, strerror(errno));
		return;
	}
	if (sha256_stream_finish_hex(&d->hash, got)) {
		finish(d, DOWNLOAD_RETRY, "cannot compute the SHA-256 of %s", d->path);
		return;
	}
	if (strcmp(got, d->sha256)) {
		finish(d, DOWNLOAD_FAILED, "SHA-256 mismatch: got %s, expected %s", got, d->sha256);
		return;
	}
	double sync_secs = seconds_since(CLOCK_MONOTONIC, &sync_started);
	double secs = seconds_since(CLOCK_MONOTONIC, &d->started);
	double cpu_secs = seconds_since(CLOCK_PROCESS_CPUTIME_ID, &d->cpu_started);
	uint64_t moved = d->have - d->resumed_at;
	finish(d, DOWNLOAD_DONE, "%llu bytes verified; %llu transferred in %.2f s (%llu bytes/s), "
	       "%.2f s CPU, final fsync %.3f s",
	       (unsigned long long)d->have, (unsigned long long)moved, secs,
	       (unsigned long long)(secs > 0 ? (double)moved / secs : 0), cpu_secs, sync_secs);
}

static void on_done(const struct http_response *resp, void *arg)
{
	struct download *d = arg;
	if (d->overflow) {
		finish(d, DOWNLOAD_FAILED, "server sent more than the expected %llu bytes",
		       (unsigned long long)d->spec.size);
		return;
	}
	if (d->write_errno) {
		finish(d, DOWNLOAD_FAILED, "cannot write %s: %s", d->path, strerror(d->write_errno));
		return;
	}
	if (resp->status == 404 || resp->status == 410) {
		finish(d, DOWNLOAD_FAILED, "artifact is gone (HTTP %ld)", resp->status);
		return;
	}
	if (resp->status == 416 || resp->curl_code == CURLE_RANGE_ERROR) {
		/* Our partial file does not fit the server's: start again from zero. */
		if (ftruncate(d->fd, 0))
			log_warn("download: cannot truncate %s: %s", d->path, strerror(errno));
		finish(d, DOWNLOAD_RETRY, "server refused to resume; starting over");
		return;
	}
	if (resp->curl_code != CURLE_OK || resp->status == 0) {
		finish(d, DOWNLOAD_RETRY, "transfer interrupted at %llu of %llu bytes: %s",
		       (unsigned long long)d->have, (unsigned long long)d->spec.size, resp->error);
		return;
	}
	if (resp->status != 200 && resp->status != 206) {
		if (resp->status >= 500 || resp->status == 429)
			finish(d, DOWNLOAD_RETRY, "server error HTTP %ld", resp->status);
		else
			finish(d, DOWNLOAD_FAILED, "artifact refused with HTTP %ld", resp->status);
		return;
	}
	if (d->have < d->spec.size) {
		finish(d, DOWNLOAD_RETRY, "connection closed at %llu of %llu bytes",
		       (unsigned long long)d->have, (unsigned long long)d->spec.size);
		return;
	}
	verify(d);
}

/* Hashes what an earlier attempt left in the file. */
static int hash_existing(struct download *d, char *reason, size_t reasonsz)
{
	char chunk[64 * 1024];
	uint64_t done = 0;
	if (lseek(d->fd, 0, SEEK_SET) < 0)
		goto io_error;
	while (done < d->have) {
		ssize_t n = read(d->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto io_error;
		sha256_stream_update(&d->hash, chunk, (size_t)n);
		done += (uint64_t)n;
	}
	if (lseek(d->fd, 0, SEEK_END) < 0)
		goto io_error;
	return 0;
io_error:
	snprintf(reason, reasonsz, "cannot read partial file %s: %s", d->path, strerror(errno));
	return -1;
}

int download_start(struct http_client *http, const struct download_spec *spec,
		   struct download **out, char *reason, size_t reasonsz)
{
	struct download *d = calloc(1, sizeof(*d));
	struct stat sb;
	if (!d) {
		snprintf(reason, reasonsz, "out of memory");
		return -1;
	}
	d->fd = -1;
	d->spec = *spec;
	d->pending = malloc(WRITE_CHUNK);
	d->url = strdup(spec->url);
	d->bearer = spec->bearer ? strdup(spec->bearer) : NULL;
	d->path = strdup(spec->path);
	if (!d->pending || !d->url || !d->path || (spec->bearer && !d->bearer) || strlen(spec->sha256) != 64) {
		snprintf(reason, reasonsz, "bad download spec or out of memory");
		goto fail;
	}
	memcpy(d->sha256, spec->sha256, sizeof(d->sha256));
	if (sha256_stream_init(&d->hash)) {
		snprintf(reason, reasonsz, "out of memory for the SHA-256 of %s", d->url);
		goto fail;
	}
	d->fd = open(d->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->fd < 0 || fstat(d->fd, &sb)) {
		snprintf(reason, reasonsz, "cannot open %s: %s", d->path, strerror(errno));
		goto fail;
	}
	d->have = (uint64_t)sb.st_size;
	if (d->have > spec->size) {
		if (ftruncate(d->fd, 0)) {
			snprintf(reason, reasonsz, "cannot truncate %s: %s", d->path, strerror(errno));
			goto fail;
		}
		d->have = 0;
	}
	if (hash_existing(d, reason, reasonsz))
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &d->cpu_started);
	if (d->have == spec->size) {
		/* Complete already (killed between the last byte and verification). */
		d->req = NULL;
		struct http_response none = { .status = 200 };
		*out = d;
		on_done(&none, d);
		*out = NULL;
		return 0;
	}
	d->resumed_at = d->have;
	d->writeback_from = d->have;
	if (d->have)
		log_info("download: resuming %s at byte %llu of %llu", d->url,
			 (unsigned long long)d->have, (unsigned long long)spec->size);
	struct http_request_spec req = {
		.method = "GET",
		.url = d->url,
		.bearer = d->bearer,
		.resume_from = d->have,
		.max_recv_speed = spec->max_bytes_per_s,
		.sink = on_data,
		.sink_arg = d,
		.done = on_done,
		.done_arg = d,
	};
	d->req = http_start(http, &req);
	if (!d->req) {
		snprintf(reason, reasonsz, "cannot start the transfer of %s", d->url);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	download_free(d);
	return -1;
}
