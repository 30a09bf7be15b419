/*
 * The do-not-call list with its history, for people (gitdial dnc): every
 * entry of dnc/ *.jsonl with its file, line, reason and source, and the
 * effective entry per number. dnc.h is the tick's compact form (a sorted
 * set of blocked keys); both apply the same rule: entries ordered by time,
 * then by file (lexical) and line, and the latest one for a number wins.
 */
#ifndef GD_DNC_LOG_H
#define GD_DNC_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "phone.h"
#include "src.h"

struct dnc_rec {
	uint64_t key;           /* phone_key(phone) */
	char phone[PHONE_MAX];
	time_t ts;
	int add;                /* 1: add, 0: remove */
	char *reason;           /* "" when the line has none */
	char *source;           /* "" when the line has none */
	char file[128];         /* "dnc/2026.jsonl" */
	unsigned long line;
	size_t seq;             /* order of reading: files lexical, then lines */
};

struct dnc_log {
	struct dnc_rec *v;
	size_t n, alloc;
};

/*
 * Reads every entry of s's dnc/ *.jsonl into out (which the caller
 * releases with dnc_log_release, also on failure). Bad lines are
 * reported to d (when given) and skipped, as dnc_load does.
 */
int dnc_log_load(struct dnc_log *out, struct src *s, struct diags *d);
/*
 * Parses one line of a DNC file into r (reason and source allocated, the
 * caller's). Returns 0; or GD_EINVALID with *field (NULL for the whole
 * line) and *why set to static text.
 */
int dnc_log_parse(struct dnc_rec *r, const char *line, size_t len,
		  const char **field, const char **why);
/*
 * Orders l by number, then time, then reading order, so the latest entry
 * for each number is the last of its run. Pure; call once after loading.
 */
void dnc_log_sort(struct dnc_log *l);
/* The latest entry for key in a sorted log, or NULL when there is none. */
const struct dnc_rec *dnc_log_latest(const struct dnc_log *l, uint64_t key);
void dnc_log_release(struct dnc_log *l);

#endif
