/* axparameter: the ACAP's own parameters (CloudUrl, EnrollmentToken, ...) through
 * Axis' axparameter library, the only documented reader of a password parameter.
 * The library is loaded at run time by its documented interface, so one executable
 * runs on cameras and builds that have it and falls back to param.cgi where they do
 * not. Its change callbacks arrive on GLib's default main context (run by glib_loop)
 * and must not call the library again, so a change is only noted here and handed to
 * the listener from a libevent event a moment later. */
#ifndef CAM_AXPARAMETER_H
#define CAM_AXPARAMETER_H

#include <stddef.h>
#include <event2/event.h>

struct axparameter;

/* 0: opened; 1: the library is not on this system (not an error); -1 with reason. */
int axparameter_open(struct axparameter **out, const char *app, struct event_base *base,
		     char *reason, size_t reasonsz);
/* The app's parameter name into out; -1 with reason (missing, too long). The value may
 * be a secret: it is never logged. */
int axparameter_get(struct axparameter *p, const char *name, char *out, size_t outsz,
		    char *reason, size_t reasonsz);
/* Calls changed(arg) on the libevent loop after any of names (NULL-terminated) changed. */
int axparameter_watch(struct axparameter *p, const char *const *names,
		      void (*changed)(void *arg), void *arg, char *reason, size_t reasonsz);
void axparameter_close(struct axparameter *p); /* NULL is fine */

#endif
