/*
 * The compliance rules the binaries carry: phone prefix → time zones
 * (libphonenumber), NANP area code → state/province (both in
 * schemas/data/), and the rules pack (schemas/rules/rules.json): per
 * jurisdiction, allowed hours, banned days and holidays, frequency caps
 * and recording disclosure, every row with its source and the date it
 * takes effect. A repository may layer its own packs (rules/ *.json)
 * over the embedded one. From them, a recipient's "place": the zones it
 * may be in and every rule that applies there.
 */
#ifndef GD_RULES_H
#define GD_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "window.h"

#define PLACE_MAX_ZONES 48
#define PLACE_MAX_RULES 32
#define RULES_DIR "rules"                      /* a repository's own packs */
#define RULES_EMBEDDED "schemas/rules/rules.json" /* the built-in pack */
#define RULES_PACK_MAX (4u << 20)
/*
 * A repository's rules (CPU per input): at most RULES_FILES_MAX files in
 * rules/ and RULES_ROWS_MAX rows in all of them; past either, an error
 * names the file and the rest is not applied. Each row is compared with
 * every row under it, and each place with every row.
 */
#define RULES_FILES_MAX 32
#define RULES_ROWS_MAX 1000

enum zone_source { ZSRC_COLUMN, ZSRC_AREA_CODE, ZSRC_COUNTRY, ZSRC_UNKNOWN };
extern const char *const zone_source_names[4];

enum rule_kind { RK_HOURS, RK_BANNED, RK_CAP, RK_DISCLOSURE };
extern const char *const rule_kind_names[4];

/* One row of the pack. Strings point into the parsed pack (struct rules). */
struct rule {
	char id[48];
	char jurisdiction[12];  /* "US", "US-FL", "default" */
	enum rule_kind kind;
	long effective;         /* local date it takes effect, days since epoch */
	struct daywin hours;    /* hours: when calls may start */
	unsigned banned_days;   /* banned: weekdays, bit 0 = Sunday */
	long *dates;            /* banned: sorted holidays, days since epoch */
	size_t n_dates;
	int year;               /* banned: the year of dates */
	int max_calls;          /* cap: at most this many dispatches ... */
	long period_s;          /* ... within this rolling period */
	int required;           /* disclosure: required */
	const char *source, *status, *note;
	const char *file;       /* the pack it came from, and its line */
	unsigned long line;
};

struct place {
	const char *zones[PLACE_MAX_ZONES]; /* owned by struct rules */
	int n_zones;
	enum zone_source source;
	char jurisdictions[160]; /* "US,US-FL" */
	char rule_ids[256];      /* the rules that apply, "us-tcpa,us-fl,..." */
	struct daywin legal;     /* intersection of the hours rules (display) */
	int disclosure;          /* a recording disclosure is required */
	uint16_t rix[PLACE_MAX_RULES]; /* every rule that applies (rules_get) */
	int n_rix;
};

struct rules;

/* Parses the embedded tables and pack; GD_EINVALID names the broken row. */
int rules_load(struct rules **out);
/*
 * The embedded pack with the repository's rules/ *.json from s layered
 * over it in name order (s may be NULL): a row whose id the pack has
 * replaces it, others are added. Problems name file, line and field in
 * d and return GD_EINVALID; a broken pack is not applied, but *out
 * still holds the rest (the caller decides whether to go on).
 */
struct src;
int rules_load_layered(struct rules **out, struct src *s, struct diags *d);
void rules_free(struct rules *r);
/* Checks one pack's text (as a layer would be read); problems in d. */
int rules_check(const char *file, const char *text, size_t len,
		struct diags *d);

/*
 * Where e164 is: zones from tz_column when non-empty (it must be a valid
 * zone), else from the number's longest matching prefix. Jurisdictions
 * come from the number (country of its zones, NANP state or province)
 * and the zone column's country, and every rule for them applies; a
 * country without hours rules gets the "default" hours. Returns 0,
 * GD_ENOTFOUND when no zone can be derived, GD_EINVALID for a bad zone.
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

/* The rows, for `gitdial rules`, plan and caches. */
size_t rules_count(const struct rules *r);
const struct rule *rules_get(const struct rules *r, size_t i);
/* Identity of the packs loaded (for cache keys). */
uint64_t rules_digest(const struct rules *r);
/* Days since 1970-01-01 of a civil date. */
long rules_day(int y, int m, int d);
/* True when rule x allows a call starting at local date/weekday/minute. */
int rule_allows(const struct rule *x, long day, int wday, int minute);

/*
 * True when a call may start at now for a recipient at place: inside the
 * campaign window and every hours/banned rule, in local time, in every
 * one of the place's zones.
 */
int place_is_open(const struct rules *r, const struct place *p,
		  const struct daywin *campaign, time_t now);
/*
 * The first minute at or after now when place_is_open; 0 if not within
 * horizon seconds, and then why (may be NULL) gets what closes it: the
 * rule ids that denied every minute the campaign window was open ("+"
 * between them), or "window" when the campaign window never opened.
 */
time_t place_next_open(const struct rules *r, const struct place *p,
		       const struct daywin *campaign, time_t now, long horizon,
		       char *why, size_t why_n);
/*
 * True when a cap of p forbids one more dispatch at now: count(ctx,
 * period) says how many dispatches the number had within the period
 * ending at now. *rule_id (may be NULL) gets the binding cap's id.
 */
int place_cap(const struct rules *r, const struct place *p, time_t now,
	      size_t (*count)(void *ctx, long period_s), void *ctx,
	      const char **rule_id);
/* True when any frequency cap applies at place p (at any date). */
int place_has_cap(const struct rules *r, const struct place *p);

#endif
