/* image_reader: reads an OS image for installing and checks it on the way. The
 * bytes a backend writes (to a slot, or up to the camera) are the bytes this hashes;
 * the read that would hand over the last byte first compares size and SHA-256 with
 * what the signed task said, and fails instead if they differ. So an image changed
 * after the agent verified it never reaches the device complete. Not a downloader:
 * the image is already on local storage. */
#ifndef CAM_IMAGE_READER_H
#define CAM_IMAGE_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/crypto.h"
#include "platform.h"

struct image_reader {
	int fd;
	uint64_t size;                  /* what the task said */
	uint64_t done;                  /* bytes handed out so far */
	char sha256[CRYPTO_SHA256_HEX_LEN];
	struct sha256_stream hash;
	int hashing;
	/* Why the last read failed, for callers that cannot take a reason on the spot
	 * (an HTTP client's read callback). */
	char failure[PLATFORM_REASON_MAX];
};

/* Opens img->path; -1 with reason when it cannot be read or is not img->size long. */
__attribute__((warn_unused_result)) int image_reader_open(struct image_reader *r,
							  const struct platform_image *img,
							  char *reason, size_t reasonsz);
/* Up to n bytes into buf; 0 at the end (the whole image matched); -1 with reason
 * when the file cannot be read, ends early, grows, or its hash differs. */
__attribute__((warn_unused_result)) ssize_t image_reader_read(struct image_reader *r, void *buf,
							      size_t n, char *reason,
							      size_t reasonsz);
/* Back to the first byte, hashing again from scratch (an HTTP client may resend). */
__attribute__((warn_unused_result)) int image_reader_rewind(struct image_reader *r);
/* Accepts a reader that was never opened (fd -1) or is half read. */
void image_reader_close(struct image_reader *r);

#endif
