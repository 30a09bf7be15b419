/* Times as the files write them: RFC 3339 instants, "HH:MM", civil days. */
#ifndef GD_TIMEFMT_H
#define GD_TIMEFMT_H

#include <time.h>

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (the civil-from-days arithmetic in reverse): what timegm computes for
 * a UTC date, at a fraction of its cost, which counts when two million
 * log lines each carry a time.
 */
long days_from_civil(int y, int m, int d);
/*
 * Parses RFC 3339 with a mandatory offset ("Z" or "+03:00"); seconds and
 * fractions optional. Returns 0 and the UTC instant, or GD_EINVALID.
 */
int time_parse_rfc3339(time_t *out, const char *s);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void time_format_utc(char out[21], time_t t);
/* "HH:MM" (or "24:00" when allow_24) → minutes of the day, -1 if not. */
int time_parse_hhmm(const char *s, int allow_24);

#endif
