/*
 * One message channel for library errors, like libgit2's git_error_last().
 * Library functions return 0 or a negative GD_E* code and leave a message
 * here; only main() and the cmd_* functions print it.
 */
#ifndef GD_ERR_H
#define GD_ERR_H

enum {
	GD_OK = 0,
	GD_ERROR = -1,     /* generic failure, message set */
	GD_ENOTFOUND = -3, /* the thing asked for does not exist */
	GD_EINVALID = -4,  /* input is malformed */
	GD_ECONFLICT = -5, /* someone else moved a ref first */
	GD_ERETRY = -6,    /* transient: try again later */
};

/*
 * On a function whose result must be read: a write that can fail (an
 * event appended, a file or a commit written, a ref published). The
 * compiler then refuses a call that drops it; a cast to void does not
 * silence gcc, on purpose.
 */
#define GD_MUST_CHECK __attribute__((warn_unused_result))

/* Sets the thread's last error message (printf format); returns GD_ERROR. */
int gd_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefixes the current message with "prefix: ". */
void gd_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message, never NULL ("unknown error" when none was set). */
const char *gd_error_last(void);
void gd_error_clear(void);

#endif
