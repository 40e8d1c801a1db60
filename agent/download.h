/* download: one artifact streamed to a file with SHA-256 computed on the fly.
 * Constant memory whatever the size; resumes with an HTTP Range from what the
 * file already holds (after a dropped connection or a restart). The caller
 * decides about retries: the outcome says whether a retry can help. */
#ifndef CAM_AGENT_DOWNLOAD_H
#define CAM_AGENT_DOWNLOAD_H

#include <stdint.h>
#include "../lib/crypto.h"
#include "http.h"
#include "transport.h"

struct api_result;

struct download;

enum download_outcome {
	DOWNLOAD_DONE,      /* complete, size and SHA-256 match */
	DOWNLOAD_RETRY,     /* interrupted; partial file kept for a resume */
	DOWNLOAD_FAILED,    /* final: wrong hash or size, refused (404, 410), local I/O error;
			     * file deleted */
};

typedef void (*download_progress_fn)(uint64_t have, uint64_t total, void *arg);
/* r: how the one reply table (api.c) classified the HTTP reply that ended the
 * attempt, NULL when it ended for another reason (hash, size, local I/O). */
typedef void (*download_done_fn)(enum download_outcome outcome, const char *reason,
				 const struct api_result *r, void *arg);

struct download_spec {
	const char *url;
	const char *bearer;
	const char *path;               /* where the file is (and the partial file stays) */
	uint64_t size;                  /* expected exact size */
	const char *sha256;             /* expected hex digest */
	uint64_t max_bytes_per_s;       /* 0: unlimited */
	download_progress_fn progress;
	download_done_fn done;
	void *arg;
	struct event_base *base;        /* the loop a resume hashes the file's bytes on */
};

/* Starts (or resumes). -1 with reason when it could not start at all; else done comes
 * once, later, never inside this call. A resume first hashes what the file holds, a
 * piece a loop turn (REHASH_CHUNK), then asks for the rest. */
int download_start(const struct transport *net, const struct download_spec *spec,
		   struct download **out, char *reason, size_t reasonsz);
/* Stops the transfer, keeps the partial file, calls nothing. NULL-safe. */
void download_cancel(struct download *d);

#endif
