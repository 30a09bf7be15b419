#include <stdio.h>
#include <string.h>

#include "author.h"
#include "err.h"
#include "store.h"
#include "banned.h"

int author_parse(struct author *a, const char *s)
{
	const char *lt = strchr(s, '<'), *gt;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!lt || !(gt = strchr(lt, '>')) || gt[1] != '\0')
		return gd_error_set("author \"%s\" is not \"Name <email>\"", s),
		       GD_EINVALID;
	for (n = (size_t)(lt - s); n && s[n - 1] == ' '; n--)
		;
	while (n && *s == ' ')
		s++, n--;
	if (!n || n >= sizeof(a->name))
		return gd_error_set("author: the name before <email> must be "
				    "1-%zu bytes", sizeof(a->name) - 1), GD_EINVALID;
	if ((size_t)(gt - lt - 1) == 0 || (size_t)(gt - lt - 1) >= sizeof(a->email))
		return gd_error_set("author: the email between < and > must be "
				    "1-%zu bytes", sizeof(a->email) - 1), GD_EINVALID;
	memcpy(a->name, s, n);
	memcpy(a->email, lt + 1, (size_t)(gt - lt - 1));
	if (strpbrk(a->name, "<>\n") || strpbrk(a->email, "<>\n "))
		return gd_error_set("author \"%s <%s>\" has a character git "
				    "refuses", a->name, a->email), GD_EINVALID;
	return 0;
}

int author_resolve(struct author *a, struct store *st, const char *arg)
{
	git_signature *sig = NULL;

	if (arg)
		return author_parse(a, arg);
	memset(a, 0, sizeof(*a));
	if (git_signature_default(&sig, store_repo(st)))
		return gd_error_set("who is making this change? pass --author "
				    "\"Name <email>\" or set git config user.name "
				    "and user.email"), GD_ENOTFOUND;
	snprintf(a->name, sizeof(a->name), "%s", sig->name);
	snprintf(a->email, sizeof(a->email), "%s", sig->email);
	git_signature_free(sig);
	return 0;
}
