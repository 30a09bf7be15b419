#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "term.h"
#include "banned.h"

/*
 * The escape for the character at s (up to 15 bytes into esc) and the
 * number of bytes it takes, or 0 in *esc when it is printed as it is.
 */
static size_t term_char(const unsigned char *s, char esc[16])
{
	unsigned c = s[0], cp;
	size_t len, i;

	esc[0] = '\0';
	if (c == '\\') {
		snprintf(esc, 16, "\\\\");
		return 1;
	}
	if (c == '\t' || c == '\n' || c == '\r') {
		snprintf(esc, 16, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(esc, 16, "\\x%02x", c);
		return 1;
	}
	if (c < 0x80)
		return 1;
	/* UTF-8: the length from the lead byte, then the continuation */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		goto bad;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		goto bad;
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		snprintf(esc, 16, "\\u%04x", cp);
	return len;
bad:
	snprintf(esc, 16, "\\x%02x", c);
	return 1;
}

char *term_safe(char *out, size_t n, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0;
	char esc[16];

	while (*p) {
		size_t k = term_char(p, esc);
		const char *put = esc[0] ? esc : (const char *)p;
		size_t m = esc[0] ? strlen(esc) : k;
		if (at + m >= n)
			break;
		memcpy(out + at, put, m);
		at += m;
		p += k;
	}
	out[at] = '\0';
	return out;
}

const char *term_str(const char *s)
{
	static char b[8][1024];
	static unsigned i;

	i = (i + 1) % 8;
	return term_safe(b[i], sizeof(b[i]), s ? s : "");
}

void term_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[16];

	while (*p) {
		size_t k = term_char(p, esc);
		if (esc[0])
			fputs(esc, f);
		else
			fwrite(p, 1, k, f);
		p += k;
	}
}

size_t term_unsafe(const char *s, char *why, size_t why_n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[16];

	while (*p) {
		size_t k = term_char(p, esc);
		if (esc[0] && *p != '\\') {
			static const char *const names[32] = {
				[0x07] = "BEL", [0x08] = "BS", [0x09] = "TAB",
				[0x0a] = "LF", [0x0d] = "CR", [0x1b] = "ESC"
			};
			if (*p < 0x20 && names[*p])
				snprintf(why, why_n, "%s (0x%02x)", names[*p], *p);
			else if (esc[1] == 'u')
				snprintf(why, why_n, "U+%s", esc + 2);
			else
				snprintf(why, why_n, "byte 0x%s", esc + 2);
			return (size_t)(p - (const unsigned char *)s) + 1;
		}
		p += k;
	}
	return 0;
}
