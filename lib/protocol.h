/* protocol: the words of the wire contract (docs/protocol.md) that the agent and
 * the cloud both speak, defined once: task state names, update window kinds and
 * their HH:MM times, error codes, and the shape of ids, digests and tokens. Pure
 * functions; no I/O. Not here: what either side does with them. */
#ifndef CAM_LIB_PROTOCOL_H
#define CAM_LIB_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_ID_LEN 32         /* ids are 32 lowercase hex digits */
#define PROTO_SHA256_HEX_LEN 64
#define PROTO_TOKEN_MAX 127     /* an access token is at most this many bytes */
/* Times and sizes a peer may send are kept far from any overflow. */
#define PROTO_TIME_MAX ((int64_t)1 << 40)
#define PROTO_SIZE_MAX ((uint64_t)1 << 40)
#define PROTO_ARTIFACT_PATH "/device/v1/artifacts/"

/* 1 when s is exactly 32 lowercase hex digits. */
int proto_is_id(const char *s);
/* 1 when s is exactly 64 lowercase hex digits. */
int proto_is_sha256(const char *s);
/* 1 when s is 1..PROTO_TOKEN_MAX visible ASCII characters (no space, no CR/LF). */
int proto_is_token(const char *s);
/* 1 when t is a plausible unix time a peer may send: 0..PROTO_TIME_MAX. */
int proto_time_ok(int64_t t);
/* 1 when path is PROTO_ARTIFACT_PATH followed by one id-like segment ([A-Za-z0-9_-]). */
int proto_is_artifact_path(const char *path);

/* Update window kinds (protocol.md §6). */
enum window_kind { WINDOW_NONE, WINDOW_UTC, WINDOW_DAILY };
const char *window_kind_name(enum window_kind k);
/* "" is WINDOW_NONE; -1 for anything unknown. */
int window_kind_parse(const char *s, enum window_kind *out);
/* "HH:MM" (00:00..23:59, exactly five characters) -> minutes after midnight; -1 if not. */
int proto_hhmm_parse(const char *s, int *minutes);
/* 1 when s is a valid "HH:MM". */
int window_hhmm_valid(const char *s);

/* Task states a device reports, in the order a task passes them. */
#define PROTO_TASK_STATES                                                                     \
	"received", "downloading", "verifying", "waiting_window", "installing", "rebooting",    \
		"verifying_version", "succeeded", "failed"

/* Error codes the agent acts on. */
#define PROTO_ERR_DEVICE_REMOVED "device_removed"
#define PROTO_ERR_TASK_CANCELLED "task_cancelled"

#endif
