#include <string.h>
#include <strings.h>

#include "html.h"
#include "banned.h"

int html_putn(struct buf *b, const char *s, size_t n)
{
	size_t i, from = 0;
	int rc = 0;

	for (i = 0; !rc && i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *ent = NULL;
		switch (c) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				ent = "";
		}
		if (!ent)
			continue;
		rc = buf_put(b, s + from, i - from);
		if (!rc)
			rc = buf_puts(b, ent);
		from = i + 1;
	}
	if (!rc)
		rc = buf_put(b, s + from, i - from);
	return rc;
}

int html_put(struct buf *b, const char *s)
{
	return html_putn(b, s, (size_t)-1);
}

int html_url_ok(const char *url)
{
	const char *p;

	if (!url)
		return 0;
	if (!strncasecmp(url, "https://", 8))
		p = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		p = url + 7;
	else
		return 0;
	if (!*p || *p == '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}
