/* uploads: the streamed upload routes (see uploads.h).
 * An upload's states, each changed by one statement: open (chunks advance `received`
 * only from where it stands: upload_chunk) -> finishing (one finish request owns it:
 * upload_finish) -> finished (result_id names the package or image), or gone (refused
 * at finish, cancelled, or swept once abandoned past its expires_at). */
#include "uploads.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/buffer.h>

#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "../domain/upload_rules.h"
#include "../http/access.h"
#include "../http/api.h"
#include "audit_commit.h"
#include "catalog_add.h"

#define DIGESTS_MAX 64          /* uploads hashed in order at once; others hash at finish */
#define SWEEP_EVERY_S 600
#define UPLOAD_NAME_MAX FIELD_NAME

/* A digest that has seen the first `offset` bytes of an upload, in order. */
struct digest {
	char id[DB_ID_LEN]; /* "" when free */
	uint64_t offset;
	uint64_t used;      /* for evicting the least recently used */
	struct sha256_stream s;
};

struct uploads {
	struct cloud *c;
	struct event *sweep;
	uint64_t tick;
	struct digest d[DIGESTS_MAX];
};

struct upload_row {
	char owner[DB_ID_LEN];
	enum upload_kind kind;
	char name[UPLOAD_NAME_MAX];
	uint64_t size, received;
	char sha[CRYPTO_SHA256_HEX_LEN];
	char state[16];
	char result[DB_ID_LEN];
	int64_t expires_at;
};

/* ---- the digests of this instance ---- */

static void digest_drop(struct digest *d)
{
	if (!d)
		return;
	sha256_stream_free(&d->s);
	memset(d, 0, sizeof(*d));
}

static struct digest *digest_find(struct uploads *u, const char *id)
{
	for (int i = 0; u && i < DIGESTS_MAX; i++)
		if (strcmp(u->d[i].id, id) == 0)
			return &u->d[i];
	return NULL;
}

/* A fresh digest for id at offset 0, in a free slot or the least recently used one. */
static struct digest *digest_start(struct uploads *u, const char *id)
{
	struct digest *pick = NULL;
	if (!u)
		return NULL;
	digest_drop(digest_find(u, id));
	for (int i = 0; i < DIGESTS_MAX; i++)
		if (!pick || !u->d[i].id[0] || (pick->id[0] && u->d[i].used < pick->used))
			pick = &u->d[i];
	digest_drop(pick); /* the evicted upload is hashed from its file at finish */
	if (sha256_stream_init(&pick->s) != 0)
		return NULL;
	snprintf(pick->id, sizeof(pick->id), "%s", id);
	return pick;
}

/* ---- rows and files ---- */

static const char *owner_of(const struct request *rq)
{
	return rq->who.kind == PRINCIPAL_BOOTSTRAP ? "" : rq->who.user_id;
}

static void part_path(const struct cloud *c, const char *id, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/uploads/%s.part", c->data_dir, id);
}

/* Removes an upload's row, file and digest (what is left of it). */
static int upload_remove(struct cloud *c, const char *id)
{
	char part[PATH_MAX + 64];
	part_path(c, id, part, sizeof(part));
	int r = store_run(c->store, ST_UPLOAD_DELETE, "s", id);
	if (unlink(part) != 0 && errno != ENOENT)
		log_error("uploads: cannot remove %s: %s", part, strerror(errno));
	digest_drop(digest_find(c->uploads, id));
	return r < 0 ? -1 : 0;
}

/* The caller's upload rq->arg: authorized (NEED_MANAGE, the catalog's), its own, not
 * abandoned. 0, or -1 with rp filled (404 for another principal's, so ids do not leak). */
static int upload_of(struct request *rq, struct reply *rp, struct upload_row *u)
{
	char kind[16];
	if (authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0)
		return -1;
	memset(u, 0, sizeof(*u));
	struct store_rows *st = store_query(rq->c->store, ST_UPLOAD_BY_ID, "s", rq->arg);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1 &&
	    (store_str(st, 0, u->owner, sizeof(u->owner)) != 0 ||
	     store_str(st, 1, kind, sizeof(kind)) != 0 ||
	     store_str(st, 2, u->name, sizeof(u->name)) != 0 ||
	     store_str(st, 4, u->sha, sizeof(u->sha)) != 0 ||
	     store_str(st, 6, u->state, sizeof(u->state)) != 0 ||
	     store_str(st, 7, u->result, sizeof(u->result)) != 0))
		r = DB_ERROR;
	if (r == 1) {
		u->kind = upload_kind_parse(kind);
		u->size = (uint64_t)store_int(st, 3);
		u->received = (uint64_t)store_int(st, 5);
		u->expires_at = store_int(st, 8);
	}
	store_done(st);
	if (r < 0) {
		reply_internal(rp);
		return -1;
	}
	if (r == 0 || strcmp(u->owner, owner_of(rq)) != 0 || u->expires_at <= rq->now) {
		reply_error(rp, 404, "not_found", "no such upload");
		return -1;
	}
	return 0;
}

/* The upload as GET answers it. */
static void upload_object(struct json_writer *w, const char *id, const struct upload_row *u)
{
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_string(w, "kind", upload_kind_name(u->kind));
	jw_kv_string(w, "name", u->name);
	jw_kv_int(w, "size", (int64_t)u->size);
	jw_kv_string(w, "sha256", u->sha);
	jw_kv_int(w, "offset", (int64_t)u->received);
	jw_kv_int(w, "chunk_max", UPLOAD_CHUNK_MAX);
	jw_kv_string(w, "state", u->state);
	if (u->result[0])
		jw_kv_string(w, "result_id", u->result);
	jw_kv_int(w, "expires_at", u->expires_at);
	jw_object_end(w);
}

/* 409 with where the upload stands, so that a client resumes from there. */
static void reply_elsewhere(struct reply *rp, uint64_t at, uint64_t sent)
{
	reply_error_with(rp, 409, "offset_mismatch", "offset", (int64_t)at,
			 "upload is at offset %" PRIu64 ", not %" PRIu64, at, sent);
}

static int sha_hex_ok(char *s)
{
	if (strlen(s) != CRYPTO_SHA256_HEX_LEN - 1)
		return 0;
	for (char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	}
	return 1;
}

/* ---- the sweep ---- */

int uploads_sweep(struct cloud *c, int64_t now)
{
	char ids[64][DB_ID_LEN];
	int n = 0, removed = 0;
	struct store_rows *st = store_query(c->store, ST_UPLOADS_EXPIRED, "i", now);
	int r = st ? 1 : DB_ERROR;
	while (r == 1 && n < 64 && (r = store_next(st)) == 1)
		if (store_str(st, 0, ids[n], DB_ID_LEN) == 0)
			n++;
	store_done(st);
	for (int i = 0; i < n; i++) {
		if (upload_remove(c, ids[i]) != 0)
			return -1;
		log_info("uploads: upload %s abandoned: removed", ids[i]);
		removed++;
	}
	return r < 0 ? -1 : removed;
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct uploads *u = arg;
	(void)fd;
	(void)what;
	(void)uploads_sweep(u->c, cloud_now(u->c));
}

struct uploads *uploads_new(struct cloud *c)
{
	struct uploads *u = calloc(1, sizeof(*u));
	struct timeval every = {SWEEP_EVERY_S, 0};
	if (!u)
		return NULL;
	u->c = c;
	u->sweep = event_new(c->base, -1, EV_PERSIST, on_sweep, u);
	if (!u->sweep || event_add(u->sweep, &every) != 0) {
		uploads_free(u);
		return NULL;
	}
	return u;
}

void uploads_free(struct uploads *u)
{
	if (!u)
		return;
	if (u->sweep)
		event_free(u->sweep);
	for (int i = 0; i < DIGESTS_MAX; i++)
		digest_drop(&u->d[i]);
	free(u);
}

/* ---- the routes ---- */

/* What the owner may still open: 0, or -1 with rp filled (409 upload_limit). */
static int within_limits(struct request *rq, struct reply *rp, uint64_t size)
{
	struct store_rows *st =
		store_query(rq->c->store, ST_UPLOADS_OPEN_OF_OWNER, "s", owner_of(rq));
	int r = st ? store_next(st) : DB_ERROR;
	int64_t open = r == 1 ? store_int(st, 0) : 0, bytes = r == 1 ? store_int(st, 1) : 0;
	store_done(st);
	if (r != 1) {
		reply_internal(rp);
		return -1;
	}
	if (open >= UPLOAD_OPEN_MAX) {
		reply_error(rp, 409, "upload_limit",
			    "%" PRId64 " uploads are open (at most %d each): finish or cancel one,"
			    " or let it expire %d h after its last chunk",
			    open, UPLOAD_OPEN_MAX, UPLOAD_TTL_S / 3600);
		return -1;
	}
	if ((uint64_t)bytes + size > UPLOAD_OPEN_BYTES_MAX) {
		reply_error(rp, 409, "upload_limit",
			    "open uploads would hold %" PRIu64 " bytes (at most %" PRIu64 " each)",
			    (uint64_t)bytes + size, UPLOAD_OPEN_BYTES_MAX);
		return -1;
	}
	return 0;
}

void admin_upload_create(struct request *rq, struct reply *rp)
{
	char kind_text[16], sha[CRYPTO_SHA256_HEX_LEN + 1], name[UPLOAD_NAME_MAX] = "";
	char id[DB_ID_LEN], dir[PATH_MAX], part[PATH_MAX + 64];
	int64_t size = 0;
	uint64_t free_bytes = 0;
	struct store *db = rq->c->store;

	if (req_string(rq, rp, "kind", kind_text, sizeof(kind_text)) != 0 ||
	    req_int(rq, rp, "size", &size) != 0 ||
	    req_string(rq, rp, "sha256", sha, sizeof(sha)) != 0 ||
	    req_string_opt(rq, rp, "name", name, sizeof(name)) != 0 ||
	    authorize(rq, rp, NULL, NULL, NEED_MANAGE) != 0) /* the catalogs are global */
		return;
	enum upload_kind kind = upload_kind_parse(kind_text);
	if (kind == UPLOAD_KIND_NONE) {
		reply_error(rp, 400, "bad_request", "kind is \"app\" or \"image\"");
		return;
	}
	if (size < 1 || (uint64_t)size > upload_size_max(kind)) {
		reply_error(rp, 400, "bad_request", "size of an %s upload: 1 to %" PRIu64 " bytes",
			    kind_text, upload_size_max(kind));
		return;
	}
	if (!sha_hex_ok(sha)) {
		reply_bad_field(rp, "sha256");
		return;
	}
	const char *base = strrchr(name, '/'); /* a client's path names only the file */
	if (base)
		memmove(name, base + 1, strlen(base));
	if (uploads_sweep(rq->c, rq->now) < 0 || within_limits(rq, rp, (uint64_t)size) != 0) {
		if (rp->status != 409)
			reply_internal(rp);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/uploads", rq->c->data_dir);
	if (fs_mkdirs(dir, 0700) != 0 || db_new_id(id) != 0) {
		reply_internal(rp);
		return;
	}
	if (fs_free_bytes(dir, &free_bytes) == 0 && free_bytes < (uint64_t)size) {
		reply_error(rp, 507, "insufficient_storage",
			    "%" PRIu64 " bytes free for uploads, %" PRId64 " needed", free_bytes, size);
		return;
	}
	part_path(rq->c, id, part, sizeof(part));
	int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) != 0) {
		log_error("uploads: cannot create %s: %s", part, strerror(errno));
		reply_internal(rp);
		return;
	}
	if (!name[0])
		snprintf(name, sizeof(name), "upload %s", id);
	int64_t expires = upload_expires_at(rq->now);
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 &&
				 store_run(db, ST_UPLOAD_INSERT, "ssssisii", id, owner_of(rq),
					   kind_text, name, size, sha, rq->now, expires) == 1,
			 &(struct audit_scope){0}, "upload.start",
			 "upload %s started: %s %s, %" PRId64 " bytes, sha256 %s", id, kind_text,
			 name, size, sha) != 0) {
		(void)unlink(part);
		return;
	}
	struct json_writer *w = reply_json(rp, 201);
	jw_object_begin(w);
	jw_kv_string(w, "id", id);
	jw_kv_int(w, "offset", 0);
	jw_kv_int(w, "chunk_max", UPLOAD_CHUNK_MAX);
	jw_kv_int(w, "expires_at", expires);
	jw_object_end(w);
}

/* Hands each contiguous piece of in to fn, in order (off: where the piece starts in
 * in), until fn fails: 0, or -1. */
static int each_piece(struct evbuffer *in, int (*fn)(void *arg, const char *p, size_t len,
						     size_t off),
		      void *arg)
{
	struct evbuffer_iovec v[64];
	struct evbuffer_ptr pos;
	size_t done = 0, total = evbuffer_get_length(in);
	while (done < total) {
		if (evbuffer_ptr_set(in, &pos, done, EVBUFFER_PTR_SET) != 0)
			return -1;
		int n = evbuffer_peek(in, (ev_ssize_t)(total - done), &pos, v, 64);
		if (n <= 0)
			return -1;
		for (int i = 0; i < n && i < 64; i++) {
			if (fn(arg, v[i].iov_base, v[i].iov_len, done) != 0)
				return -1;
			done += v[i].iov_len;
		}
	}
	return 0;
}

struct chunk_file {
	int fd;
	uint64_t at; /* where the chunk starts in the file */
};

static int piece_write(void *arg, const char *p, size_t len, size_t off)
{
	struct chunk_file *f = arg;
	while (len > 0) {
		ssize_t k = pwrite(f->fd, p, len, (off_t)(f->at + off));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
		off += (size_t)k;
	}
	return 0;
}

static int piece_digest(void *arg, const char *p, size_t len, size_t off)
{
	(void)off;
	sha256_stream_update(arg, p, len);
	return 0;
}

/* Writes the chunk in `in` at `at` of fd, cuts the file there, and makes it durable. */
static int write_chunk(int fd, struct evbuffer *in, uint64_t at)
{
	struct chunk_file f = {fd, at};
	return each_piece(in, piece_write, &f) == 0 &&
			       ftruncate(fd, (off_t)(at + evbuffer_get_length(in))) == 0 &&
			       fdatasync(fd) == 0
		       ? 0
		       : -1;
}

/* Feeds the chunk to the upload's digest when it continues it; a chunk out of order
 * leaves the digest to the finish (which hashes the file). */
static void digest_chunk(struct uploads *u, const char *id, uint64_t at, struct evbuffer *in)
{
	struct digest *d = digest_find(u, id);
	if (at == 0)
		d = digest_start(u, id);
	else if (d && d->offset != at) {
		digest_drop(d);
		d = NULL;
	}
	if (!d)
		return;
	if (each_piece(in, piece_digest, &d->s) != 0) {
		digest_drop(d); /* the finish hashes the file */
		return;
	}
	d->offset = at + evbuffer_get_length(in);
	d->used = ++u->tick;
}

void admin_upload_chunk(struct request *rq, struct reply *rp)
{
	struct upload_row u;
	struct content_range cr;
	char part[PATH_MAX + 64];
	struct store *db = rq->c->store;
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->ev);
	uint64_t n = evbuffer_get_length(in);
	const char *range =
		evhttp_find_header(evhttp_request_get_input_headers(rq->ev), "Content-Range");

	if (upload_of(rq, rp, &u) != 0)
		return;
	if (strcmp(u.state, "open") != 0) {
		reply_error(rp, 409, "not_open", "upload is %s", u.state);
		return;
	}
	if (n > UPLOAD_CHUNK_MAX) { /* the gate refuses these first */
		reply_error(rp, 413, "too_large", "chunk over %d bytes", UPLOAD_CHUNK_MAX);
		return;
	}
	if (content_range_parse(range, &cr) != 0 || cr.total != u.size ||
	    cr.last - cr.first + 1 != n) {
		reply_error(rp, 400, "bad_request",
			    "Content-Range must be \"bytes FIRST-LAST/%" PRIu64 "\" for the %" PRIu64
			    " bytes of the body",
			    u.size, n);
		return;
	}
	if (cr.first != u.received) {
		reply_elsewhere(rp, u.received, cr.first);
		return;
	}
	/* the row lock of the advance holds off another instance until the bytes are down */
	part_path(rq->c, rq->arg, part, sizeof(part));
	if (store_begin(db) != 0) {
		reply_internal(rp);
		return;
	}
	int r = store_run(db, ST_UPLOAD_ADVANCE, "iisi", (int64_t)(cr.last + 1),
			  upload_expires_at(rq->now), rq->arg, (int64_t)cr.first);
	if (r != 1) {
		store_rollback(db);
		if (r == 0 && upload_of(rq, rp, &u) == 0) /* another instance moved it on */
			reply_elsewhere(rp, u.received, cr.first);
		else if (r != 0)
			reply_internal(rp);
		return;
	}
	int fd = open(part, O_WRONLY | O_CLOEXEC);
	int wrote = fd >= 0 ? write_chunk(fd, in, cr.first) : -1, err = errno;
	if (fd >= 0 && close(fd) != 0 && wrote == 0)
		wrote = -1, err = errno;
	if (wrote != 0 || store_commit(db) != 0) {
		store_rollback(db);
		log_error("uploads: cannot write to %s: %s", part, strerror(err));
		if (wrote != 0 && err == ENOSPC)
			reply_error(rp, 507, "insufficient_storage", "no space left for the upload");
		else
			reply_internal(rp);
		return;
	}
	digest_chunk(rq->c->uploads, rq->arg, cr.first, in);
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_kv_int(w, "offset", (int64_t)(cr.last + 1));
	jw_object_end(w);
}

void admin_upload_show(struct request *rq, struct reply *rp)
{
	struct upload_row u;
	if (upload_of(rq, rp, &u) == 0)
		upload_object(reply_json(rp, 200), rq->arg, &u);
}

/* The SHA-256 of the upload's bytes: from its digest when it saw them all in order,
 * else from the file. */
static int upload_digest(struct cloud *c, const char *id, const char *part, uint64_t size,
			 char out[CRYPTO_SHA256_HEX_LEN])
{
	struct digest *d = digest_find(c->uploads, id);
	uint64_t got = 0;
	if (d && d->offset == size) {
		int rc = sha256_stream_finish_hex(&d->s, out);
		digest_drop(d);
		return rc;
	}
	digest_drop(d);
	return crypto_sha256_file(part, out, &got) == 0 && got == size ? 0 : -1;
}

void admin_upload_finish(struct request *rq, struct reply *rp)
{
	struct upload_row u;
	char model[FIELD_SHORT] = "", version[FIELD_SHORT] = "", part[PATH_MAX + 64];
	char sha[CRYPTO_SHA256_HEX_LEN], result[DB_ID_LEN] = "";
	struct store *db = rq->c->store;

	if (upload_of(rq, rp, &u) != 0)
		return;
	if (u.kind == UPLOAD_KIND_IMAGE &&
	    (req_string(rq, rp, "model", model, sizeof(model)) != 0 ||
	     req_string(rq, rp, "version", version, sizeof(version)) != 0))
		return;
	if (strcmp(u.state, "open") != 0) {
		reply_error(rp, 409, "not_open", "upload is %s%s%s", u.state,
			    u.result[0] ? ": " : "", u.result);
		return;
	}
	if (u.received != u.size) {
		reply_error_with(rp, 409, "incomplete", "offset", (int64_t)u.received,
				 "%" PRIu64 " of %" PRIu64 " bytes received", u.received, u.size);
		return;
	}
	int r = store_run(db, ST_UPLOAD_SET_STATE, "ssss", "finishing", "", rq->arg, "open");
	if (r != 1) {
		if (r == 0)
			reply_error(rp, 409, "not_open", "another request is finishing the upload");
		else
			reply_internal(rp);
		return;
	}
	part_path(rq->c, rq->arg, part, sizeof(part));
	if (upload_digest(rq->c, rq->arg, part, u.size, sha) != 0) {
		reply_internal(rp);
		(void)upload_remove(rq->c, rq->arg);
		return;
	}
	if (strcmp(sha, u.sha) != 0) {
		log_info("uploads: upload %s refused: SHA-256 %s, declared %s", rq->arg, sha, u.sha);
		reply_error(rp, 400, "sha256_mismatch",
			    "%s: the bytes received hash to %s, not the declared %s; upload it again",
			    u.name, sha, u.sha);
		(void)upload_remove(rq->c, rq->arg);
		return;
	}
	r = u.kind == UPLOAD_KIND_APP
		    ? app_catalog_add(rq, rp, part, u.name, sha, u.size, result)
		    : image_catalog_add(rq, rp, model, version, part, 1, sha, u.size, result);
	if (r != 0) { /* refused (rp says why): nothing of it is kept */
		(void)upload_remove(rq->c, rq->arg);
		return;
	}
	(void)unlink(part); /* moved into the catalog, or the catalog had it already */
	/* on a 500 the catalog has it all the same; the upload row expires */
	(void)audit_commit(rq, rp,
			   store_begin(db) == 0 &&
				   store_run(db, ST_UPLOAD_SET_STATE, "ssss", "finished", result,
					     rq->arg, "finishing") == 1,
			   &(struct audit_scope){0}, "upload.finish",
			   "upload %s finished: %s %s as %s", rq->arg, upload_kind_name(u.kind),
			   u.name, result);
}

void admin_upload_cancel(struct request *rq, struct reply *rp)
{
	struct upload_row u;
	struct store *db = rq->c->store;
	if (upload_of(rq, rp, &u) != 0)
		return;
	if (strcmp(u.state, "finishing") == 0) {
		reply_error(rp, 409, "not_open", "another request is finishing the upload");
		return;
	}
	if (audit_commit(rq, rp,
			 store_begin(db) == 0 && store_run(db, ST_UPLOAD_DELETE, "s", rq->arg) == 1,
			 &(struct audit_scope){0}, "upload.cancel", "upload %s cancelled: %s %s",
			 rq->arg, upload_kind_name(u.kind), u.name) != 0)
		return;
	(void)upload_remove(rq->c, rq->arg); /* the file and digest */
	snprintf(u.state, sizeof(u.state), "cancelled");
	upload_object(reply_json(rp, 200), rq->arg, &u);
}
