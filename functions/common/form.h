/*
 * application/x-www-form-urlencoded: parsing (webhook bodies and query
 * strings) and building (provider API requests). Parsed names and values
 * are decoded copies; a form keeps the pairs in the order received.
 */
#ifndef GD_FORM_H
#define GD_FORM_H

#include <stddef.h>

#include "buf.h"

#define FORM_PAIRS_MAX 1000

struct form_pair {
	char *name;
	char *value;
};

struct form {
	struct form_pair *v;
	size_t n;
};

#define FORM_INIT { NULL, 0 }

/*
 * Parses len bytes of s ("a=1&b=x+y%21"). '+' is a space, %XX a byte;
 * a bad escape, an encoded NUL or more than FORM_PAIRS_MAX pairs give
 * GD_EINVALID (the form is then empty). Empty segments ("a=1&&b=2") are
 * skipped; "a" alone is a name with an empty value. *out is the caller's
 * (form_release) even on failure.
 */
int form_parse(struct form *out, const char *s, size_t len);
/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_release(struct form *f);

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
int url_escape(struct buf *b, const char *s);
/* Appends "name=value" encoded, preceded by '&' unless b is empty. */
int form_put(struct buf *b, const char *name, const char *value);

#endif
