/*
 * A new campaign's answers (gitdial new) and the pure helpers behind each
 * question: parsing what people type ("09:00-20:00", "mon-fri",
 * "30,120") and writing campaign.json. No file, terminal or repository:
 * the command does the asking and the checking with the real loaders.
 *
 * Every parser returns 0, or -1 with a reason (what was expected) in why
 * and its outputs untouched.
 */
#ifndef GD_NEWCAMP_H
#define GD_NEWCAMP_H

#include <stddef.h>

#include "buf.h"
#include "campaign.h"
#include "phone.h"

#define NEWCAMP_TEXT_MAX 16384 /* bytes of script text (4000 characters) */

struct newcamp {
	char id[65];
	char name[512];
	char account[65];
	char caller_id[PHONE_MAX];
	int override;
	char script_text[NEWCAMP_TEXT_MAX];
	char audience_file[129]; /* name in the campaign folder, or "" */
	char segment[65];        /* or a segment name */
	long concurrency;
	int win_start, win_end;  /* minutes of the day; -1 when no window */
	unsigned days;           /* bit 0 = Sunday; 0x7f every day */
	long retries;
	long cooldown[RETRY_LADDER_MAX];
	int n_cooldown;
	unsigned retry_on;       /* 1 << enum outcome */
	int leave_message;
	char start_at[40], end_at[40]; /* as typed (RFC 3339), "" for none */
	char created[21];
};

/* The defaults: no window, every day, no retries, hang_up, concurrency 1. */
void newcamp_init(struct newcamp *nc);

/*
 * A campaign id from a name: lower case letters and digits, other runs
 * become one '-', at most 64 characters, no '-' at either end; "" when
 * the name has no letter or digit.
 */
void newcamp_slug(char out[65], const char *name);

/* "09:00-20:00" (end may be 24:00); "none" or "" clears the window. */
int newcamp_parse_window(int *start, int *end, const char *s,
			 char *why, size_t n);
/* "mon,tue", "mon-fri", "sat,sun", "every day"/"all"/"" (every day). */
int newcamp_parse_days(unsigned *mask, const char *s, char *why, size_t n);
/* "no_answer,busy": the outcomes a retry is for. */
int newcamp_parse_outcomes(unsigned *mask, const char *s, char *why, size_t n);
/* "30" or "30,120" (a ladder, one per retry): minutes 1-10080. */
int newcamp_parse_cooldown(long out[RETRY_LADDER_MAX], int *count,
			   const char *s, char *why, size_t n);
/* A whole number in [min, max]. */
int newcamp_parse_long(long *out, const char *s, long min, long max,
		       char *why, size_t n);

/* "09:00-20:00 mon,tue" / "none" for people. */
void newcamp_window_text(char *out, size_t n, const struct newcamp *nc);
/* "mon,tue,wed" or "every day". */
void newcamp_days_text(char *out, size_t n, unsigned mask);
/* "no_answer,busy". */
void newcamp_outcomes_text(char *out, size_t n, unsigned mask);
/* "30" or "30,120". */
void newcamp_cooldown_text(char *out, size_t n, const struct newcamp *nc);

/*
 * Appends campaign.json for nc to out (two-space indent, keys in the
 * template's order). status is scheduled when start_at is set, else
 * draft. audience_file, when empty, is written as segment.
 */
int newcamp_json(struct buf *out, const struct newcamp *nc);

#endif
