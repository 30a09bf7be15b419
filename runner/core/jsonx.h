/*
 * cJSON with what validation needs on top: the physical line of a value
 * given its path ("pacing.window.end", "accounts.main.caller_ids[0]"),
 * duplicate-key detection, and typed getters that report problems with
 * file, line and path.
 */
#ifndef GD_JSONX_H
#define GD_JSONX_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"

struct jctx {
	const char *file;  /* repository-relative name, for messages */
	const char *text;  /* the file's bytes */
	size_t len;
	struct diags *d;
	size_t n_errors;   /* jctx_error's count, for JCTX_ERRORS_MAX */
};

/*
 * Problems reported per file through one jctx: past this many, one more
 * error says the rest are not listed. Each report looks up its line in
 * the text, so this bounds validate's work on a hostile file.
 */
#define JCTX_ERRORS_MAX 200

/*
 * Parses a whole JSON document. On failure returns GD_EINVALID and adds
 * an error naming the line; NUL bytes, bad UTF-8 and duplicate keys are
 * errors too. *out is the caller's (cJSON_Delete).
 */
int json_load(cJSON **out, struct jctx *c);
/* Line (1-based) where the value at path starts; 0 if not found. */
unsigned long json_line(const char *text, size_t len, const char *path);
/*
 * The lines of the first n items of the array at path, in one pass over
 * the text (json_line per item would scan it n times); items not found
 * get the array's line. Returns 0, or -1 when path is not an array.
 */
int json_item_lines(const char *text, size_t len, const char *path,
		    unsigned long *lines, size_t n);
/*
 * Adds an error at path's line; past JCTX_ERRORS_MAX errors of c, one
 * error saying the rest are not listed, then only counts them.
 */
void jctx_error(struct jctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Typed lookups of obj[key] reporting at "prefix.key". Each returns the
 * item (or NULL when absent or wrong type, with an error added when it
 * was present but wrong, or missing and required).
 */
const cJSON *jget_string(struct jctx *c, const cJSON *obj, const char *prefix,
			 const char *key, int required);
const cJSON *jget_object(struct jctx *c, const cJSON *obj, const char *prefix,
			 const char *key, int required);
const cJSON *jget_array(struct jctx *c, const cJSON *obj, const char *prefix,
			const char *key, int required);
/* Integer in [min, max]; *out untouched when absent. Returns 1 if set. */
int jget_int(struct jctx *c, const cJSON *obj, const char *prefix,
	     const char *key, long min, long max, long *out);
int jget_bool(struct jctx *c, const cJSON *obj, const char *prefix,
	      const char *key, int *out);
/* Reports every member of obj whose name is not in allowed (NULL-ended). */
void jcheck_keys(struct jctx *c, const cJSON *obj, const char *prefix,
		 const char *const *allowed);
/* Joins prefix and key into out ("a.b"); returns out. */
const char *jpath(char *out, size_t n, const char *prefix, const char *key);

/*
 * Writes text (a JSON object) to out with its top-level member key set to
 * value (JSON text, e.g. "\"paused\""), keeping every other byte as it
 * was, so the commit's diff is the one line that changed. A missing
 * member is added first, indented like the member after it. Returns 0,
 * or GD_EINVALID when text is not a JSON object.
 */
int json_set_member(struct buf *out, const char *text, size_t len,
		    const char *key, const char *value);
/*
 * Writes text (a JSON object) to out without its top-level member key
 * (and the comma that separated it), every other byte as it was; text
 * unchanged when there is no such member. Returns 0, or GD_EINVALID when
 * text is not a JSON object.
 */
int json_remove_member(struct buf *out, const char *text, size_t len,
		       const char *key);

#endif
