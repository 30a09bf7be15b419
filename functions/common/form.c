#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "form.h"
#include "banned.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) into a new string; NULL on a bad escape or a NUL. */
static char *decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= len)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '\0') {
			goto bad;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int form_parse(struct form *out, const char *s, size_t len)
{
	size_t i = 0;

	out->v = NULL;
	out->n = 0;
	while (i < len) {
		size_t end = i, eq;
		struct form_pair *v;
		char *name, *value;

		while (end < len && s[end] != '&')
			end++;
		if (end == i) {
			i++;
			continue;
		}
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (out->n >= FORM_PAIRS_MAX)
			goto bad;
		name = decode(s + i, eq - i);
		value = decode(s + (eq < end ? eq + 1 : end),
			       eq < end ? end - eq - 1 : 0);
		v = name && value ? realloc(out->v, (out->n + 1) * sizeof(*v))
			: NULL;
		if (!v) {
			free(name);
			free(value);
			goto bad;
		}
		out->v = v;
		v[out->n].name = name;
		v[out->n].value = value;
		out->n++;
		i = end + 1;
	}
	return 0;
bad:
	form_release(out);
	gd_error_set("malformed form data");
	return GD_EINVALID;
}

const char *form_get(const struct form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return f->v[i].value;
	return NULL;
}

void form_release(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

int url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int rc = 0;

	for (p = (const unsigned char *)s; !rc && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			rc = buf_putc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			rc = buf_put(b, e, 3);
		}
	}
	return rc;
}

int form_put(struct buf *b, const char *name, const char *value)
{
	int rc = 0;

	if (b->len)
		rc = buf_putc(b, '&');
	if (!rc)
		rc = url_escape(b, name);
	if (!rc)
		rc = buf_putc(b, '=');
	if (!rc)
		rc = url_escape(b, value ? value : "");
	return rc;
}
