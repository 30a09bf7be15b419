/*
 * Time zones through the system tz database (tzdata): conversion of
 * instants to local time and back, name validation, and zone → country
 * (zone.tab). DST is the database's business, never ours.
 * Not thread-safe: it switches the process's TZ.
 */
#ifndef GD_TZ_H
#define GD_TZ_H

#include <time.h>

/* True when name is a safe zone name with a TZif file in the database. */
int tz_valid(const char *name);
/* Local broken-down time of t in zone. Returns 0 or GD_EINVALID. */
int tz_local(struct tm *out, const char *zone, time_t t);
/* Inverse of tz_local (tm_isdst = -1 lets the database decide). */
time_t tz_mktime(const char *zone, struct tm *tm);
/* ISO 3166 country of a zone ("US"), following links; NULL if unknown. */
const char *tz_country(const char *zone);

#endif
