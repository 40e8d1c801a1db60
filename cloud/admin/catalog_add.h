/* catalog_add: the one way a file enters the application or the image catalog, shared
 * by the path form of the admin API (POST /admin/v1/apps, /admin/v1/images: a file the
 * server reads) and a finished streamed upload (uploads.c). The caller has authorized
 * the request and knows the file's SHA-256 and size; these read what the catalog needs,
 * add the row with its history line and answer the request. */
#ifndef CLOUD_CATALOG_ADD_H
#define CLOUD_CATALOG_ADD_H

#include <stdint.h>

#include "../store/store.h"

struct request;
struct reply;

/* The package at tmp (a file of the server's own under the data directory: renamed to
 * <data>/apps/<sha256>.eap when it is new, else left for the caller to remove); given
 * names it in errors. Answers the package (200) and returns 0 with its id, or answers
 * the refusal (400 bad_package, 409 conflict, 500) and returns -1. */
int app_catalog_add(struct request *rq, struct reply *rp, const char *tmp, const char *given,
		    const char *sha, uint64_t size, char id[DB_ID_LEN]);

/* The image at file: recorded where it is (move_in 0), or renamed to
 * <data>/images/<id>.bin when it is new (move_in 1; else left for the caller to remove).
 * Answers the image (200) and returns 0 with its id, or the refusal and -1. */
int image_catalog_add(struct request *rq, struct reply *rp, const char *model,
		      const char *version, const char *file, int move_in, const char *sha,
		      uint64_t size, char id[DB_ID_LEN]);

#endif
