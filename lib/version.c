/* version: compares version strings field by field without parsing numbers, so no
 * length overflows: leading zeros dropped, longer digit run is larger, else strncmp. */
#include "version.h"

#include <ctype.h>
#include <string.h>

static int is_digit(char c)
{
	return isdigit((unsigned char)c) != 0;
}

/* Compares the digit runs at *a and *b and moves both past them. */
static int compare_numbers(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb, *ea, *eb;
	while (*a == '0' && is_digit(a[1]))
		a++;
	while (*b == '0' && is_digit(b[1]))
		b++;
	for (ea = a; is_digit(*ea); ea++)
		;
	for (eb = b; is_digit(*eb); eb++)
		;
	*pa = ea;
	*pb = eb;
	if (ea - a != eb - b)
		return ea - a < eb - b ? -1 : 1;
	int c = strncmp(a, b, (size_t)(ea - a));
	return (c > 0) - (c < 0);
}

int version_compare(const char *a, const char *b)
{
	while (*a || *b) {
		if (is_digit(*a) && is_digit(*b)) {
			int c = compare_numbers(&a, &b);
			if (c)
				return c;
			continue;
		}
		if (*a != *b) {
			if (*a == '-')
				return -1;
			if (*b == '-')
				return 1;
			if (!*a)
				return -1;
			if (!*b)
				return 1;
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		}
		a++;
		b++;
	}
	return 0;
}
