/* upload_rules: the rules of a streamed upload (admin API, uploads): how large one may
 * be, how many a principal may hold open, when an abandoned one goes, and the
 * Content-Range header of a chunk. Pure functions: no HTTP, no SQL, no files. */
#ifndef CLOUD_UPLOAD_RULES_H
#define CLOUD_UPLOAD_RULES_H

#include <stdint.h>

#define UPLOAD_CHUNK_MAX (1024 * 1024)           /* one PUT's body: the "chunk_max" */
#define UPLOAD_APP_MAX ((uint64_t)1 << 31)       /* an ACAP package: 2 GiB */
#define UPLOAD_IMAGE_MAX ((uint64_t)1 << 32)     /* an AXIS OS image: 4 GiB */
#define UPLOAD_OPEN_MAX 8                        /* open uploads per principal */
#define UPLOAD_OPEN_BYTES_MAX ((uint64_t)1 << 34) /* their declared sizes: 16 GiB */
#define UPLOAD_TTL_S (24 * 3600)                 /* after the last chunk (or the start) */

enum upload_kind { UPLOAD_KIND_NONE, UPLOAD_KIND_APP, UPLOAD_KIND_IMAGE };

/* "app" / "image"; UPLOAD_KIND_NONE for anything else (or NULL). */
enum upload_kind upload_kind_parse(const char *s);
const char *upload_kind_name(enum upload_kind k);
/* The largest size an upload of kind may declare (0 for none). */
uint64_t upload_size_max(enum upload_kind k);

/* A chunk's Content-Range, "bytes FIRST-LAST/TOTAL" (RFC 9110 §14.4, the complete-length
 * form; no "*"), as three numbers. */
struct content_range {
	uint64_t first, last, total;
};
/* 0 when header is exactly that form with FIRST <= LAST < TOTAL (decimal, no sign, no
 * leading spaces inside, at most 19 digits each); -1 otherwise (NULL included). */
int content_range_parse(const char *header, struct content_range *out);

/* When an upload last touched at `at` is abandoned. */
int64_t upload_expires_at(int64_t at);

#endif
