/*
 * Weekly calling windows as minute bitmaps, one row per weekday (0 =
 * Sunday). Pure: no clock, no time zones; callers pass local wall time.
 * Intersection (every rule must allow) and union (a rule with several
 * intervals) are plain bit operations, so split hours like France's
 * 10:00-13:00 and 14:00-20:00 need nothing special.
 */
#ifndef GD_WINDOW_H
#define GD_WINDOW_H

#include <stdint.h>

#define WIN_WORDS 23 /* 23 * 64 >= 1440 minutes */

struct daywin {
	uint64_t bits[7][WIN_WORDS];
};

void daywin_clear(struct daywin *w);
void daywin_fill(struct daywin *w);
/* Opens [start, end) minutes on every day in mask (bit 0 = Sunday). */
void daywin_add(struct daywin *w, unsigned days, int start, int end);
void daywin_intersect(struct daywin *w, const struct daywin *other);
int daywin_contains(const struct daywin *w, int wday, int minute);
int daywin_empty(const struct daywin *w);
/* "sun".."sat" → 0..6, or -1. */
int weekday_parse(const char *s);
extern const char *const weekday_names[7];

#endif
