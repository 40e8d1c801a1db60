/* download: streams an artifact into a file, hashing as bytes arrive.
 * On resume the bytes already on disk are hashed first, REHASH_CHUNK a loop turn (an
 * image of hundreds of MB on a camera's flash would hold the loop for seconds), so the
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
#include <event2/event.h>

#include "../lib/fsutil.h"
#include "../lib/log.h"
#include "api.h"

#define WRITE_CHUNK (256u << 10)
#define WRITEBACK_CHUNK (8ull << 20)
#define REHASH_CHUNK (1u << 20)

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
	const struct transport *net;
	struct http_request *req;
	int overflow;               /* server sent more than the expected size */
	int write_errno;
	struct event *rehash;       /* a resume's hash of the file, one piece a turn */
	uint64_t hashed;            /* ... up to here */
};

static void download_free(struct download *d)
{
	if (!d)
		return;
	if (d->req)
		transport_cancel(d->net, d->req);
	if (d->rehash)
		event_free(d->rehash);
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


static int write_pending(struct download *d)
{
	if (fs_write_all(d->fd, d->pending, d->npending)) {
		d->write_errno = errno;
		return -1;
	}
	d->npending = 0;
	return 0;
}

void download_cancel(struct download *d)
{
	(void)write_pending(d); /* a stop keeps what arrived, for the resume */
	download_free(d);
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

static void finish_classified(struct download *d, enum download_outcome outcome,
			      const struct api_result *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finish_classified(struct download *d, enum download_outcome outcome,
			      const struct api_result *r, const char *fmt, ...)
{
	char reason[256] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (outcome == DOWNLOAD_FAILED && unlink(d->path) && errno != ENOENT)
		log_warn("download: cannot delete %s: %s", d->path, strerror(errno));
	/* What arrived before a cut is kept: the next attempt resumes after it (a link
	 * that drops every few kilobytes must still make progress). */
	if (outcome == DOWNLOAD_RETRY && write_pending(d))
		log_warn("download: cannot keep the last %zu bytes of %s: %s", d->npending,
			 d->path, strerror(d->write_errno));
	d->req = NULL; /* http frees the request after the done callback */
	download_done_fn done = d->spec.done;
	void *arg = d->spec.arg;
	download_free(d);
	done(outcome, reason, r, arg);
}

#define finish(d, outcome, ...) finish_classified((d), (outcome), NULL, __VA_ARGS__)

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
	if (resp->status == 416 || resp->curl_code == CURLE_RANGE_ERROR) {
		/* Our partial file does not fit the server's: start again from zero. */
		d->npending = 0;
		if (ftruncate(d->fd, 0))
			log_warn("download: cannot truncate %s: %s", d->path, strerror(errno));
		finish(d, DOWNLOAD_RETRY, "server refused to resume; starting over");
		return;
	}
	if (resp->status != 200 && resp->status != 206) {
		/* The same table as every other request: retry, re-authenticate, removed,
		 * or refused for good (404/410: the artifact is gone). */
		struct api_result r;
		api_classify(resp, &r);
		if (r.outcome == API_REFUSED)
			finish_classified(d, DOWNLOAD_FAILED, &r, "artifact refused with HTTP %ld: %s",
					  resp->status, r.message);
		else
			finish_classified(d, DOWNLOAD_RETRY, &r, "transfer interrupted at %llu of %llu bytes: %s",
					  (unsigned long long)d->have, (unsigned long long)d->spec.size,
					  r.message);
		return;
	}
	if (d->have < d->spec.size) {
		finish(d, DOWNLOAD_RETRY, "connection closed at %llu of %llu bytes",
		       (unsigned long long)d->have, (unsigned long long)d->spec.size);
		return;
	}
	verify(d);
}

static void ask_for_the_rest(struct download *d);

/* One piece of what an earlier attempt left in the file, then the next on the next
 * turn; when all is hashed, the transfer of the rest starts. */
static void on_rehash(evutil_socket_t fd, short what, void *arg)
{
	struct download *d = arg;
	static char chunk[64 * 1024];
	(void)fd;
	(void)what;
	for (uint64_t turn = 0; turn < REHASH_CHUNK && d->hashed < d->have;) {
		size_t want = sizeof(chunk);
		if (d->have - d->hashed < want)
			want = (size_t)(d->have - d->hashed);
		ssize_t n = pread(d->fd, chunk, want, (off_t)d->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			finish(d, DOWNLOAD_FAILED, "cannot read partial file %s: %s", d->path,
			       n < 0 ? strerror(errno) : "it became shorter");
			return;
		}
		sha256_stream_update(&d->hash, chunk, (size_t)n);
		d->hashed += (uint64_t)n;
		turn += (uint64_t)n;
	}
	static const struct timeval now = {0, 0};
	if (d->hashed < d->have) {
		if (evtimer_add(d->rehash, &now) != 0)
			finish(d, DOWNLOAD_RETRY, "cannot schedule the hash of %s", d->path);
		return;
	}
	ask_for_the_rest(d);
}

/* The file is hashed to its end: verify it when it is whole, else ask for the rest. */
static void ask_for_the_rest(struct download *d)
{
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &d->cpu_started);
	if (d->have == d->spec.size) {
		/* Complete already (killed between the last byte and verification). */
		struct http_response none = { .status = 200 };
		on_done(&none, d);
		return;
	}
	d->resumed_at = d->have;
	d->writeback_from = d->have;
	if (d->have)
		log_info("download: resuming %s at byte %llu of %llu", d->url,
			 (unsigned long long)d->have, (unsigned long long)d->spec.size);
	struct http_request_spec req = {
		.method = "GET",
		.url = d->url,
		.bearer = d->bearer,
		.resume_from = d->have,
		.max_recv_speed = d->spec.max_bytes_per_s,
		.sink = on_data,
		.sink_arg = d,
		.done = on_done,
		.done_arg = d,
	};
	d->req = transport_start(d->net, &req);
	if (!d->req)
		finish(d, DOWNLOAD_RETRY, "cannot start the transfer of %s", d->url);
}

int download_start(const struct transport *net, const struct download_spec *spec,
		   struct download **out, char *reason, size_t reasonsz)
{
	struct download *d = calloc(1, sizeof(*d));
	struct stat sb;
	if (!d) {
		snprintf(reason, reasonsz, "out of memory");
		return -1;
	}
	d->fd = -1;
	d->net = net;
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
	if (lseek(d->fd, 0, SEEK_END) < 0) {
		snprintf(reason, reasonsz, "cannot seek in %s: %s", d->path, strerror(errno));
		goto fail;
	}
	static const struct timeval now = {0, 0};
	if (!(d->rehash = evtimer_new(spec->base, on_rehash, d)) || evtimer_add(d->rehash, &now)) {
		snprintf(reason, reasonsz, "cannot schedule the download of %s", d->url);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	download_free(d);
	return -1;
}
