/* url: the one URL policy: https always, plain http only to a loopback host
 * (localhost, [::1], a dotted 127.x.y.z) and only when allowed. No userinfo, no
 * control characters, a numeric port. Used by the agent's HTTP client and by the
 * axis platform, which sends admin credentials only to the camera itself. */
#ifndef CAM_LIB_URL_H
#define CAM_LIB_URL_H

/* 1 when url may be used: https://, or http:// to loopback when allow_insecure_http. */
int url_allowed(const char *url, int allow_insecure_http);

#endif
