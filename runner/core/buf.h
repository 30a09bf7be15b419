/*
 * A growable byte buffer with a hard cap (curl's dynbuf idea): anything
 * filled from outside the process says up front how large it may get.
 * The contents are always NUL-terminated.
 */
#ifndef GD_BUF_H
#define GD_BUF_H

#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max; /* appends past this fail with GD_EINVALID */
};

#define BUF_INIT(max) { NULL, 0, 0, (max) }

void buf_init(struct buf *b, size_t max);
/* Appends; returns 0, or GD_EINVALID when the cap would be passed. */
int buf_put(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int buf_put_json_string(struct buf *b, const char *s);
void buf_reset(struct buf *b);
/* Hands the memory to the caller (NUL-terminated, maybe NULL when empty). */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);

#endif
