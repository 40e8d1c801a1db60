/* paramconf: the simulated camera's app parameters, kept in <dir>/param.conf in
 * acap-build's format, one `Name="value" type="type"` line each. Read by camsim's
 * param.cgi and by the stand-in axparameter library, written by the latter. */
#ifndef CS_PARAMCONF_H
#define CS_PARAMCONF_H

#include <stddef.h>

/* One line; 0 when it parsed. type is "" when the line has none. */
int paramconf_line(const char *line, char *name, size_t namesz, char *value, size_t valuesz,
		   char *type, size_t typesz);
/* Is type a password type ("password", "password:maxlen=N", or with control words
 * such as "hidden:password")? Those are not readable through param.cgi. */
int paramconf_is_password(const char *type);

#endif
