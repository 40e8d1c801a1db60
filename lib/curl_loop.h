/* curl_loop: libcurl's multi interface driven by a libevent loop, shaped like curl's
 * docs/examples/multi-event.c. Curl says which sockets to watch and when to wake it; the
 * loop runs the transfers and hands each one that ended to the owner's callback.
 * Not an HTTP client: the easy handles, their options and their lifetime are the owner's
 * (agent/http.c, cloud/mail/mailer.c). */
#ifndef CAM_LIB_CURL_LOOP_H
#define CAM_LIB_CURL_LOOP_H

#include <curl/curl.h>

struct event_base;
struct curl_loop;

/* A transfer ended with result; easy is still in the multi: the callback removes it
 * (curl_multi_remove_handle) and may add or remove other handles freely. */
typedef void (*curl_loop_ended_fn)(CURL *easy, CURLcode result, void *arg);

/* 0, or -1 (out of memory). curl_global_init is the caller's. */
int curl_loop_new(struct curl_loop **out, struct event_base *base, curl_loop_ended_fn ended,
		  void *arg);
/* Remove every handle first (their sockets are then closed). Accepts NULL. Not from
 * inside ended. */
void curl_loop_free(struct curl_loop *l);
/* The multi handle: add handles to it with curl_multi_add_handle. */
CURLM *curl_loop_multi(struct curl_loop *l);
/* Lets curl act now (after unpausing a transfer, say) and hands over what ended. */
void curl_loop_kick(struct curl_loop *l);

#endif
