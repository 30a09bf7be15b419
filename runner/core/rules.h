/*
 * The compliance tables the binaries carry (schemas/data/, embedded at
 * build time): phone prefix → time zones (libphonenumber), NANP area code
 * → state/province, legal calling windows by jurisdiction, and where a
 * recording disclosure is required. From them, a recipient's "place":
 * the zones it may be in and the legal window that holds there.
 */
#ifndef GD_RULES_H
#define GD_RULES_H

#include <time.h>

#include "window.h"

#define PLACE_MAX_ZONES 48

enum zone_source { ZSRC_COLUMN, ZSRC_AREA_CODE, ZSRC_COUNTRY, ZSRC_UNKNOWN };
extern const char *const zone_source_names[4];

struct place {
	const char *zones[PLACE_MAX_ZONES]; /* owned by struct rules */
	int n_zones;
	enum zone_source source;
	char jurisdictions[160]; /* "US,US-FL" */
	char rule_ids[160];      /* the legal rules that apply, "us-tcpa,us-fl" */
	struct daywin legal;     /* intersection of those rules */
	int disclosure;          /* a recording disclosure is required */
};

struct rules;

/* Parses the embedded tables; GD_EINVALID names the broken row. */
int rules_load(struct rules **out);
void rules_free(struct rules *r);

/*
 * Where e164 is: zones from tz_column when non-empty (it must be a valid
 * zone), else from the number's longest matching prefix. Jurisdictions
 * come from the number (country of its zones, NANP state or province)
 * and the zone column's country, and every rule for them applies; a
 * country without rules gets the "default" rule. Returns 0, or
 * GD_ENOTFOUND when no zone can be derived.
 */
int rules_place(const struct rules *r, struct place *out, const char *e164,
		const char *tz_column);

/*
 * A number that is equal for two phone numbers exactly when rules_place
 * (with the same tz_column) gives them the same place: the indexes of
 * the prefix rows that match. Cheap, for caching places per audience.
 */
long rules_place_key(const struct rules *r, const char *e164);

/* The interned copy of a zone name (for places read back from a cache). */
const char *rules_zone(const struct rules *r, const char *name);

/* Number of legal rules and the i-th rule's id/jurisdiction/source, for plan. */
size_t rules_count(const struct rules *r);

#endif

/*
 * True when a call may start at now for a recipient at place: inside the
 * campaign window and the legal window, in local time, in every one of
 * the place's zones.
 */
int place_is_open(const struct place *p, const struct daywin *campaign, time_t now);
/* The first minute at or after now when place_is_open; 0 if not within horizon seconds. */
time_t place_next_open(const struct place *p, const struct daywin *campaign,
		       time_t now, long horizon);
