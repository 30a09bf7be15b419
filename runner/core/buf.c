#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "banned.h"

void buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = b->alloc = 0;
	b->max = max;
	b->err = 0;
}

static size_t cap(const struct buf *b)
{
	return b->max ? b->max : BUF_MAX_DEFAULT;
}

/* Records the first failure; rc is returned for the caller's convenience. */
static int fail(struct buf *b, int rc)
{
	if (!b->err)
		b->err = rc;
	return rc;
}

static int grow(struct buf *b, size_t extra)
{
	size_t max = cap(b), need, n;
	char *p;

	if (b->err)
		return b->err;
	if (extra > max || b->len > max - extra)
		return gd_error_set("data larger than %zu bytes", max),
		       fail(b, GD_EINVALID);
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need && n <= (size_t)-1 / 2)
		n *= 2;
	if (n < need)
		n = need;
	p = realloc(b->ptr, n);
	if (!p)
		return fail(b, gd_error_set("out of memory"));
	b->ptr = p;
	b->alloc = n;
	return 0;
}

int buf_put(struct buf *b, const void *data, size_t len)
{
	int rc = grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_put(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	if (b->err)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, gd_error_set("format error"));
	if ((rc = grow(b, (size_t)n)))
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_put_json_string(struct buf *b, const char *s)
{
	const unsigned char *p;
	int rc = buf_putc(b, '"');

	for (p = (const unsigned char *)s; !rc && *p; p++) {
		switch (*p) {
		case '"': rc = buf_puts(b, "\\\""); break;
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				rc = buf_printf(b, "\\u%04x", *p);
			else
				rc = buf_putc(b, (char)*p);
		}
	}
	return rc ? rc : buf_putc(b, '"');
}

int buf_failed(const struct buf *b)
{
	return b->err;
}

int buf_check(const struct buf *b)
{
	if (!b->err)
		return 0;
	if (b->err == GD_EINVALID)
		gd_error_set("data larger than %zu bytes: refusing to write "
			     "a truncated copy", cap(b));
	else
		gd_error_set("out of memory or a bad format while building "
			     "data: refusing to write a truncated copy");
	return b->err;
}

void buf_fail(struct buf *b, int rc)
{
	if (rc && !b->err)
		b->err = rc;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->ptr;

	if (b->err) {
		free(p);
		p = NULL;
	}
	b->ptr = NULL;
	b->len = b->alloc = 0;
	b->err = 0;
	return p;
}

void buf_release(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->alloc = 0;
	b->err = 0;
}
