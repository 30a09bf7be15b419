/* Campaign, segment and account ids (ids.h). */
#include <ctype.h>
#include <string.h>

#include "ids.h"
#include "banned.h"

int id_valid(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i]; i++) {
		char c = s[i];
		if (i >= 64)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int account_name_valid(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (i >= 64 || !(isalnum((unsigned char)c) || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int path_safe(const char *p)
{
	return p && p[0] != '/' && !strstr(p, "..") && !strstr(p, "//");
}
