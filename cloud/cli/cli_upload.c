/* cli_upload: `app upload FILE` and `image add MODEL VERSION FILE` through the streamed
 * upload API (docs/admin-api.md, Uploads): the file's size and SHA-256 are declared,
 * its chunks sent one after another with Content-Range, and after a dropped connection
 * (or an answer that never came) the client asks where the upload stands and goes on
 * from there, a few times, waiting longer each time. */
#include "cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/crypto.h"
#include "../domain/upload_rules.h"

#define RETRIES 6            /* answers that may not come, in a row */
#define RETRY_FIRST_MS 250   /* doubled after each */

struct upload {
	struct cli *c;
	char id[DB_ID_LEN];
	char path[REQ_PATH_MAX];
	uint64_t size, offset, chunk_max;
	int misses; /* requests in a row that got no answer */
};

static int64_t reply_int(const struct buf *body, const char *key, int64_t fallback)
{
	struct json_doc d;
	int64_t v = fallback;
	if (body->len && json_parse(&d, buf_str(body), body->len, 256) == 0) {
		int t = json_find(&d, 0, key);
		if (t < 0 || json_tok_int64(&d, t, &v) < 0)
			v = fallback;
		json_free(&d);
	}
	return v;
}

/* After a request that got no answer: waits (longer each time) and says whether to
 * go on. */
static int missed(struct upload *u)
{
	if (++u->misses > RETRIES) {
		fprintf(stderr, "camcloud: upload %s: no answer %d times; it stays open on the"
				" server for %d h\n", u->id, RETRIES + 1, UPLOAD_TTL_S / 3600);
		return 0;
	}
	long ms = (long)RETRY_FIRST_MS << (u->misses - 1);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	fprintf(stderr, "camcloud: upload %s: retrying in %ld ms\n", u->id, ms);
	nanosleep(&ts, NULL);
	return 1;
}

/* Where the server has the upload (GET): 0 and u->offset, 1 when it got no answer,
 * -1 when it refused (printed). state (16 bytes) and result (an id) when asked for. */
static int ask_offset(struct upload *u, struct buf *out, char *state, char *result)
{
	struct cli_raw rq = {"GET", u->path, NULL, 0, NULL, NULL};
	long status;
	if (cli_call_raw(u->c, &rq, out, &status) != 0)
		return 1;
	if (status != 200) {
		cli_print_error(out, status);
		return -1;
	}
	u->offset = (uint64_t)reply_int(out, "offset", 0);
	if (state && cli_reply_get(out, "state", state, 16) != 0)
		return -1;
	if (result && cli_reply_get(out, "result_id", result, DB_ID_LEN) != 0)
		result[0] = '\0';
	u->misses = 0;
	return 0;
}

/* Sends the chunk at u->offset (read from fd): 0 when the server took it or told where
 * it stands instead (409), 1 when it got no answer, -1 when it refused (printed). */
static int send_chunk(struct upload *u, int fd, char *chunk, struct buf *out)
{
	char range[96];
	uint64_t n = u->size - u->offset < u->chunk_max ? u->size - u->offset : u->chunk_max;
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, chunk + got, (size_t)n - got, (off_t)(u->offset + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "camcloud: cannot read the file: %s\n",
				k < 0 ? strerror(errno) : "it got shorter");
			return -1;
		}
		got += (size_t)k;
	}
	snprintf(range, sizeof(range), "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		 u->offset, u->offset + n - 1, u->size);
	struct cli_raw rq = {"PUT", u->path, chunk, (size_t)n, "application/octet-stream", range};
	long status;
	if (cli_call_raw(u->c, &rq, out, &status) != 0)
		return 1;
	if (status == 200 || status == 409) {
		int64_t at = reply_int(out, "offset", -1);
		if (at < 0 || (uint64_t)at > u->size) {
			cli_print_error(out, status);
			return -1;
		}
		u->offset = (uint64_t)at;
		u->misses = 0;
		return 0;
	}
	cli_print_error(out, status);
	return -1;
}

/* Starts the upload: 0 with u->id and u->chunk_max, -1 (printed). */
static int start(struct upload *u, const char *file, const char *kind, const char *sha,
		 struct buf *out)
{
	struct cli_body bd;
	struct json_writer *w = cli_body_begin(&bd);
	const char *base = strrchr(file, '/');
	jw_kv_string(w, "kind", kind);
	jw_kv_int(w, "size", (int64_t)u->size);
	jw_kv_string(w, "sha256", sha);
	jw_kv_string(w, "name", base ? base + 1 : file);
	jw_object_end(w);
	int rc = jw_finish(w) == 0 ? cli_call(u->c, "POST", "/admin/v1/uploads", &bd.b, out) : -1;
	buf_free(&bd.b);
	if (rc != 0 || cli_reply_get(out, "id", u->id, sizeof(u->id)) != 0)
		return -1;
	u->chunk_max = (uint64_t)reply_int(out, "chunk_max", 0);
	if (u->chunk_max == 0 || u->chunk_max > UPLOAD_CHUNK_MAX) {
		fprintf(stderr, "camcloud: the server's chunk_max is unusable\n");
		return -1;
	}
	snprintf(u->path, sizeof(u->path), "/admin/v1/uploads/%s", u->id);
	return 0;
}

/* Finishes the upload: prints the id of what the catalog made of it. After a finish
 * that got no answer the upload says whether it went through. Returns the exit code. */
static int finish(struct upload *u, const struct buf *finish_body, struct buf *out)
{
	char path[REQ_PATH_MAX + 8], id[DB_ID_LEN], state[16], result[DB_ID_LEN];
	snprintf(path, sizeof(path), "%s/finish", u->path);
	struct cli_raw rq = {"POST", path, finish_body ? buf_str(finish_body) : NULL,
			     finish_body ? finish_body->len : 0, NULL, NULL};
	for (;;) {
		long status;
		if (cli_call_raw(u->c, &rq, out, &status) == 0) {
			if (status == 200 && cli_reply_get(out, "id", id, sizeof(id)) == 0) {
				printf("%s\n", id);
				return 0;
			}
			cli_print_error(out, status);
			return 1;
		}
		int r;
		do {
			if (!missed(u))
				return 1;
		} while ((r = ask_offset(u, out, state, result)) == 1);
		if (r < 0)
			return 1;
		if (strcmp(state, "finished") == 0 && result[0]) {
			printf("%s\n", result);
			return 0;
		}
		if (strcmp(state, "open") != 0) {
			fprintf(stderr, "camcloud: upload %s is %s\n", u->id, state);
			return 1;
		}
	}
}

int cli_upload_file(struct cli *c, const char *file, const char *kind,
		    const struct buf *finish_body)
{
	char sha[CRYPTO_SHA256_HEX_LEN];
	struct upload u = {.c = c};
	struct buf out;
	struct stat sb;
	char *chunk = NULL;
	int rc = 1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	buf_init(&out, CLI_REPLY_MAX);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "camcloud: cannot read %s: %s\n", file, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "camcloud: %s is not a file\n", file);
		goto out;
	}
	u.size = (uint64_t)sb.st_size;
	if (crypto_sha256_file(file, sha, NULL) != 0) {
		fprintf(stderr, "camcloud: cannot read %s\n", file);
		goto out;
	}
	if (start(&u, file, kind, sha, &out) != 0 || !(chunk = malloc(u.chunk_max)))
		goto out;
	while (u.offset < u.size) {
		int r = send_chunk(&u, fd, chunk, &out);
		while (r == 1) { /* no answer: did the chunk arrive? */
			if (!missed(&u))
				goto out;
			r = ask_offset(&u, &out, NULL, NULL);
		}
		if (r < 0)
			goto out;
	}
	rc = finish(&u, finish_body, &out);
out:
	free(chunk);
	if (fd >= 0)
		close(fd);
	buf_free(&out);
	return rc;
}
