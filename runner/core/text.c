/* Formatting into capped buffers, UTF-8, comma-separated lists (text.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "banned.h"

size_t utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, k;
		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return i + 1;
		if (i + n >= len)
			return i + 1;
		for (k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i + 1;
		if (n == 2 && ((c == 0xe0 && p[i + 1] < 0xa0) ||
			       (c == 0xed && p[i + 1] > 0x9f)))
			return i + 1;
		if (n == 3 && ((c == 0xf0 && p[i + 1] < 0x90) ||
			       (c == 0xf4 && p[i + 1] > 0x8f)))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int str_fmt(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0)
		return gd_error_set("format error");
	if ((size_t)len >= n)
		return gd_error_set("'%.40s...' is longer than %zu bytes", out,
				    n ? n - 1 : 0), GD_EINVALID;
	return 0;
}

void str_fmt_cut(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;
	size_t end;

	if (!n)
		return;
	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0) {
		out[0] = '\0';
		return;
	}
	if ((size_t)len < n)
		return;
	/* cut: drop the last character when the cut left it incomplete */
	end = n - 1; /* out[end] is the NUL */
	while (end > 0 && ((unsigned char)out[end - 1] & 0xc0) == 0x80)
		end--;
	if (end > 0) {
		unsigned char c = (unsigned char)out[end - 1];
		size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (end - 1 + need > n - 1)
			out[end - 1] = '\0';
	}
}

void utf8_truncate(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (!n)
		return;
	if (len >= n) {
		len = n - 1;
		/* back off continuation bytes so no character is cut */
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, s, len);
	out[len] = '\0';
}

int list_has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	while ((p = strstr(p, tok))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}
