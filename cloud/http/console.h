/* console: serves the web console's embedded assets under /console/ (and redirects / there),
 * with the security headers every console page carries. Not an API: the pages talk to
 * /admin/v1 like any other client. */
#ifndef CLOUD_CONSOLE_H
#define CLOUD_CONSOLE_H

struct request;
struct reply;

/* 1 when path is the console's (/, /console, /console/..., and /invitation?token= asked
 * for by a browser): rp is then filled. 0 otherwise. */
int console_route(struct request *rq, struct reply *rp);

/* The asset served for a console path ("/console/" is index.html), or NULL. */
const struct console_asset *console_find(const char *path);

#endif
