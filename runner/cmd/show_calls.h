/* gitdial show ID --calls: a campaign's conversations (show_calls.c). */
#ifndef GD_SHOW_CALLS_H
#define GD_SHOW_CALLS_H

#include "repo.h"
#include "state.h"
#include "src.h"

struct calls_opts {
	unsigned outcomes;  /* 1 << enum outcome to list; 0: every call */
	long limit;         /* most calls listed (newest first) */
	int full_numbers;   /* phone numbers in full, not masked */
	int json;
};

#define CALLS_LIMIT_DEFAULT 50
#define CALLS_LIMIT_MAX 100000

/*
 * Parses --outcome's value, a comma-separated list of outcomes, into
 * *mask; on a word that is none, -1 with why filled (it names it and
 * the outcomes there are).
 */
int calls_parse_outcomes(unsigned *mask, const char *s, char *why, size_t n);

/* Parses --limit's value (1..CALLS_LIMIT_MAX); -1 when it is not one. */
int calls_parse_limit(long *out, const char *s);

/*
 * Prints campaign rc's calls from its log in s: newest first, those
 * whose outcome o->outcomes lists, at most o->limit, as text (every
 * string escaped for the terminal, summaries cut) or JSON. cs (replayed)
 * gives each call's audience row. Returns 0 or an error.
 */
int show_calls(struct src *s, const struct repo_campaign *rc,
	       const struct cstate *cs, const struct calls_opts *o);

#endif
