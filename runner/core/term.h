/*
 * Text from the repository (names, reasons, log strings, file names) on a
 * terminal. A pull request's author writes that text; printed raw, an
 * ESC could retitle or clear the terminal, a CR or LF could forge a row
 * of a table. Every terminal output of repository text goes through
 * term_safe or term_put: control characters become visible escapes.
 */
#ifndef GD_TERM_H
#define GD_TERM_H

#include <stddef.h>
#include <stdio.h>

/*
 * Copies s into out (n bytes, n >= 1), NUL-ended, with every control
 * character escaped: C0 bytes and DEL as \xNN (\t, \n, \r as such), a
 * backslash as \\, the C1 controls U+0080..U+009F and the bidirectional
 * overrides and isolates (U+202A..U+202E, U+2066..U+2069) as \uNNNN,
 * and bytes that are not UTF-8 as \xNN. Other text, Arabic included, is
 * copied as it is. Cut at a character boundary when out is too small.
 * Returns out.
 */
char *term_safe(char *out, size_t n, const char *s);

/*
 * s escaped as term_safe does, in one of 8 buffers of 1 KiB used in
 * turn: for a few values in one printf. Not for two threads at once.
 */
const char *term_str(const char *s);

/* Writes s to f escaped as term_safe does, without a length limit. */
void term_put(FILE *f, const char *s);

/*
 * The character of s that term_safe escapes first (as a short name such
 * as "ESC (0x1b)" in why, why_n bytes), or 0 when there is none; its
 * byte offset + 1 is returned otherwise. For validate, which refuses
 * such characters where people read text.
 */
size_t term_unsafe(const char *s, char *why, size_t why_n);

#endif
