/* uploads: streamed, resumable uploads of application packages and AXIS OS images
 * (docs/admin-api.md, Uploads). A client declares the size and SHA-256, sends the file
 * in chunks of at most UPLOAD_CHUNK_MAX with Content-Range, resumes from the offset the
 * server reports, and finishes: the file then goes to the same catalog code as the path
 * form (catalog_add.h). The upload's state lives in the store, its bytes in
 * <data>/uploads/<id>.part, so any instance sharing the data directory takes the next
 * chunk; the SHA-256 is computed as chunks arrive where they arrive in order, and from
 * the file at finish where they did not (another instance took some, or a restart). */
#ifndef CLOUD_UPLOADS_H
#define CLOUD_UPLOADS_H

#include <stdint.h>

struct cloud;
struct request;
struct reply;
struct uploads;

/* The instance's side of uploads (the digests in progress, the sweep timer that
 * removes abandoned uploads): made by cloud_open, freed (NULL too) by cloud_close. */
struct uploads *uploads_new(struct cloud *c);
void uploads_free(struct uploads *u);
/* Removes every upload abandoned by now (its file and row); the count removed, -1 on a
 * store error. */
int uploads_sweep(struct cloud *c, int64_t now);

/* POST /admin/v1/uploads {"kind","size","sha256"[,"name"]} -> 201 */
void admin_upload_create(struct request *rq, struct reply *rp);
/* PUT /admin/v1/uploads/<id> with Content-Range (the body is the chunk) */
void admin_upload_chunk(struct request *rq, struct reply *rp);
/* GET /admin/v1/uploads/<id> */
void admin_upload_show(struct request *rq, struct reply *rp);
/* POST /admin/v1/uploads/<id>/finish [{"model","version"} for an image] */
void admin_upload_finish(struct request *rq, struct reply *rp);
/* DELETE /admin/v1/uploads/<id> */
void admin_upload_cancel(struct request *rq, struct reply *rp);

#endif
