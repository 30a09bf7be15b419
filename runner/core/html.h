/*
 * Writing HTML from values that came from outside (campaign names, CSV
 * values, log fields): everything goes through html_put, so a customer
 * named <script>alert(1)</script> stays text in any page we write.
 */
#ifndef GD_HTML_H
#define GD_HTML_H

#include <stddef.h>

#include "buf.h"

/*
 * Appends s to b escaped for HTML text and for quoted attribute values:
 * & < > " ' become entities; C0 control bytes other than tab and
 * newline, and DEL, are dropped. Returns 0 or GD_EINVALID (b's cap).
 */
int html_put(struct buf *b, const char *s);
/* As html_put for the first n bytes of s (stops early at a NUL). */
int html_putn(struct buf *b, const char *s, size_t n);
/*
 * True when url may be used as a link target: http:// or https://
 * followed by a host, no whitespace or control bytes. Anything else
 * (javascript:, data:, relative paths) is shown as text, never linked.
 */
int html_url_ok(const char *url);

#endif
