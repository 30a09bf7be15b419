/* Small string helpers: comma-separated lists, UTF-8 checks and cuts. */
#ifndef GD_TEXT_H
#define GD_TEXT_H

#include <stddef.h>

#include "err.h"

/*
 * snprintf that says when it cut: 0, or GD_EINVALID (message set, out
 * holding the cut text) when the result needs n bytes or more. For
 * paths and keys, where a cut text would name something else.
 */
GD_MUST_CHECK
int str_fmt(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * snprintf for text a person reads (messages, labels), where a shorter
 * text is acceptable: cut, when it must be, at a UTF-8 character
 * boundary.
 */
void str_fmt_cut(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when tok is one of the items of the comma-separated list. */
int list_has_token(const char *list, const char *tok);

/* Copies s into out (size n), cut at a character boundary. */
void utf8_truncate(char *out, size_t n, const char *s);
/* Number of characters (code points) in a UTF-8 string. */
size_t utf8_len(const char *s);
/* Checks that s is valid UTF-8 with no NUL; returns 0 or the byte offset+1 of the first bad byte. */
size_t utf8_check(const char *s, size_t len);

#endif
