/* download: streams an artifact into a file, hashing as bytes arrive.
 * On resume the bytes already on disk are hashed first (in 64 KiB reads), so the
 * final digest always covers the whole file and memory stays constant. */
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

#include "../lib/log.h"
#include "api.h"

struct download {
	struct download_spec spec;
	char *url, *bearer, *path;  /* owned copies */
	char sha256[CRYPTO_SHA256_HEX_LEN];
	int fd;
	uint64_t have;              /* bytes in the file */
	uint64_t resumed_at;        /* bytes already there when this attempt started */
	struct timespec started;
	struct sha256_stream hash;
	const struct transport *net;
	struct http_request *req;
	int overflow;               /* server sent more than the expected size */
	int write_errno;
};

static void download_free(struct download *d)
{
	if (!d)
		return;
	if (d->req)
		transport_cancel(d->net, d->req);
	if (d->fd >= 0)
		close(d->fd);
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

static size_t on_data(const void *data, size_t len, void *arg)
{
	struct download *d = arg;
	if (d->have + len > d->spec.size) {
		d->overflow = 1;
		return 0;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(d->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->write_errno = errno;
			return 0;
		}
		p += n;
		left -= (size_t)n;
	}
	sha256_stream_update(&d->hash, data, len);
	d->have += len;
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
	if (fsync(d->fd)) {
		finish(d, DOWNLOAD_RETRY, "cannot sync %s: %s", d->path, strerror(errno));
		return;
	}
	sha256_stream_finish_hex(&d->hash, got);
	if (strcmp(got, d->sha256)) {
		finish(d, DOWNLOAD_FAILED, "SHA-256 mismatch: got %s, expected %s", got, d->sha256);
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - d->started.tv_sec) +
		      (double)(now.tv_nsec - d->started.tv_nsec) / 1e9;
	uint64_t moved = d->have - d->resumed_at;
	finish(d, DOWNLOAD_DONE, "%llu bytes verified; %llu transferred in %.2f s (%llu bytes/s)",
	       (unsigned long long)d->have, (unsigned long long)moved, secs,
	       (unsigned long long)(secs > 0 ? (double)moved / secs : 0));
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
	sha256_stream_init(&d->hash);
	d->spec = *spec;
	d->url = strdup(spec->url);
	d->bearer = spec->bearer ? strdup(spec->bearer) : NULL;
	d->path = strdup(spec->path);
	if (!d->url || !d->path || (spec->bearer && !d->bearer) || strlen(spec->sha256) != 64) {
		snprintf(reason, reasonsz, "bad download spec or out of memory");
		goto fail;
	}
	memcpy(d->sha256, spec->sha256, sizeof(d->sha256));
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
	clock_gettime(CLOCK_MONOTONIC, &d->started);
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
	d->req = transport_start(net, &req);
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
