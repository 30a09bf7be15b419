/*
 * A growable byte buffer with a hard cap (curl's dynbuf idea): anything
 * filled from outside the process says up front how large it may get.
 * The contents are always NUL-terminated.
 *
 * A failed append is sticky (libgit2's git_str does the same with its
 * out-of-memory marker): the buffer remembers the first failure, every
 * later append is a no-op returning it, and whoever writes the buffer
 * out (a file, a commit, an HTTP body, an event log) asks buf_check
 * first and refuses it. So a run of unchecked appends may build a
 * message, and one check at the end still cannot lose a line silently.
 */
#ifndef GD_BUF_H
#define GD_BUF_H

#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max; /* appends past this fail with GD_EINVALID; 0: BUF_MAX_DEFAULT */
	int err;    /* the first failed append's code, sticky; 0 while none */
};

/*
 * The cap of a buffer whose max is 0 (struct buf b = {0}): large enough
 * for any file the runner writes in one piece, small enough that a
 * runaway producer fails rather than eats the machine.
 */
#define BUF_MAX_DEFAULT ((size_t)64 << 20)

#define BUF_INIT(max) { NULL, 0, 0, (max), 0 }

void buf_init(struct buf *b, size_t max);
/*
 * Appends; returns 0, or GD_EINVALID when the cap would be passed
 * (GD_ERROR when out of memory). After a failure nothing more is
 * appended and every append returns that first code.
 */
int buf_put(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int buf_put_json_string(struct buf *b, const char *s);
/* The first failed append's code, or 0: a predicate, sets no message. */
int buf_failed(const struct buf *b) __attribute__((warn_unused_result));
/*
 * What a consumer calls before writing b out: 0 when every append
 * succeeded, else the failure's code with a message saying what was
 * lost (the message of the append itself may be long overwritten).
 */
int buf_check(const struct buf *b) __attribute__((warn_unused_result));
/*
 * Marks b failed with rc (when rc is not 0 and b has not failed yet):
 * for a writer that could not put a whole record into b, so that what
 * reads b refuses it (buf_check) instead of losing the record silently.
 */
void buf_fail(struct buf *b, int rc);
/* Empties b and forgets a failure: what was lost went with the contents. */
void buf_reset(struct buf *b);
/*
 * Hands the memory to the caller (NUL-terminated, maybe NULL when
 * empty) and leaves b empty. A failed buffer hands nothing: NULL, with
 * its memory freed; callers that may see one check buf_check first.
 */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);

#endif
