/* paramconf: see paramconf.h. */
#include "paramconf.h"

#include <string.h>

int paramconf_line(const char *line, char *name, size_t namesz, char *value, size_t valuesz,
		   char *type, size_t typesz)
{
	const char *eq = strchr(line, '='), *v, *ve, *t, *te;

	if (!eq || (size_t)(eq - line) >= namesz || eq[1] != '"')
		return -1;
	memcpy(name, line, (size_t)(eq - line));
	name[eq - line] = '\0';
	v = eq + 2;
	ve = strchr(v, '"');
	if (!ve || (size_t)(ve - v) >= valuesz)
		return -1;
	memcpy(value, v, (size_t)(ve - v));
	value[ve - v] = '\0';
	type[0] = '\0';
	t = strstr(ve, "type=\"");
	if (t) {
		t += 6;
		te = strchr(t, '"');
		if (!te || (size_t)(te - t) >= typesz)
			return -1;
		memcpy(type, t, (size_t)(te - t));
		type[te - t] = '\0';
	}
	return 0;
}

int paramconf_is_password(const char *type)
{
	return !strncmp(type, "password", 8) || strstr(type, ":password") != NULL;
}
