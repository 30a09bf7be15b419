/*
 * Unit tests for the compliance tables: where a number is (zones,
 * jurisdictions, rules, disclosure) and whether its window is open at an
 * instant, across DST changes and for numbers spanning several zones.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "src.h"
#include "store.h"
#include "rules.h"
#include "tz.h"
#include "util.h"
#include "window.h"

#include "tap.h"

static struct rules *R;

static time_t at(const char *s)
{
	time_t t = 0;

	if (time_parse_rfc3339(&t, s))
		printf("# bad time in the test: %s\n", s);
	return t;
}

static int has_zone(const struct place *p, const char *z)
{
	int i;

	for (i = 0; i < p->n_zones; i++)
		if (!strcmp(p->zones[i], z))
			return 1;
	return 0;
}

static void test_places(void)
{
	struct place p;
	int rc;

	CHECK(rules_count(R) >= 20, "rules_count (%zu)", rules_count(R));

	rc = rules_place(R, &p, "+13055550100", NULL);
	CHECK(rc == 0 && p.n_zones == 1 && !strcmp(p.zones[0], "America/New_York") &&
	      p.source == ZSRC_AREA_CODE, "+1 305: America/New_York by area code");
	CHECK(!strcmp(p.rule_ids, "us-tcpa,us-fl,us-fl-cap,us-fl-disclosure"),
	      "+1 305 rules us-tcpa,us-fl,us-fl-cap,us-fl-disclosure (got %s)",
	      p.rule_ids);
	CHECK(strstr(p.jurisdictions, "US-FL") && strstr(p.jurisdictions, "US"),
	      "+1 305 jurisdictions (%s)", p.jurisdictions);
	CHECK(p.disclosure == 1, "+1 305 (Florida) requires a disclosure");
	CHECK(daywin_contains(&p.legal, 2, 8 * 60) &&
	      daywin_contains(&p.legal, 2, 20 * 60 - 1) &&
	      !daywin_contains(&p.legal, 2, 20 * 60) &&
	      !daywin_contains(&p.legal, 2, 8 * 60 - 1),
	      "+1 305 legal window 08:00-20:00 (the stricter of 08-21 and 08-20)");

	rc = rules_place(R, &p, "+966500000100", NULL);
	CHECK(rc == 0 && p.n_zones == 1 && !strcmp(p.zones[0], "Asia/Riyadh") &&
	      p.source == ZSRC_COUNTRY && !strcmp(p.rule_ids, "sa-policy") &&
	      !strcmp(p.jurisdictions, "SA") && !p.disclosure,
	      "+966: Asia/Riyadh, sa-policy, no disclosure (%s / %s)", p.rule_ids,
	      p.jurisdictions);
	CHECK(daywin_contains(&p.legal, 5, 9 * 60) &&
	      !daywin_contains(&p.legal, 5, 20 * 60) &&
	      !daywin_contains(&p.legal, 5, 9 * 60 - 1), "+966 legal 09:00-20:00");

	rc = rules_place(R, &p, "+442079460958", NULL);
	CHECK(rc == 0 && has_zone(&p, "Europe/London") &&
	      p.source == ZSRC_COUNTRY && !strcmp(p.rule_ids, "gb-disclosure,default"),
	      "+44: the default rule (%s), %d zones", p.rule_ids, p.n_zones);
	CHECK(daywin_contains(&p.legal, 0, 8 * 60) && !daywin_contains(&p.legal, 0, 21 * 60),
	      "+44 default legal window 08:00-21:00");

	rc = rules_place(R, &p, "+12082001234", NULL);
	CHECK(rc == 0 && p.n_zones == 2 && has_zone(&p, "America/Boise") &&
	      has_zone(&p, "America/Los_Angeles") && p.source == ZSRC_AREA_CODE,
	      "+1 208 200: two zones (Boise, Los Angeles)");
	CHECK(strstr(p.jurisdictions, "US-ID") != NULL && !strcmp(p.rule_ids, "us-tcpa"),
	      "+1 208: Idaho, us-tcpa (%s / %s)", p.jurisdictions, p.rule_ids);

	/* the timezone column wins over the number */
	rc = rules_place(R, &p, "+13055550100", "America/Chicago");
	CHECK(rc == 0 && p.n_zones == 1 && !strcmp(p.zones[0], "America/Chicago") &&
	      p.source == ZSRC_COLUMN, "timezone column wins");
	CHECK(!strcmp(p.rule_ids, "us-tcpa,us-fl,us-fl-cap,us-fl-disclosure"),
	      "the number's state rules still apply (%s)", p.rule_ids);
	rc = rules_place(R, &p, "+12125550100", "Europe/Paris");
	CHECK(rc == 0 && !strcmp(p.zones[0], "Europe/Paris") &&
	      strstr(p.rule_ids, "fr-d223-9") && strstr(p.rule_ids, "us-tcpa"),
	      "zone column country adds its rules (%s)", p.rule_ids);
	CHECK(rules_place(R, &p, "+12125550100", "Mars/Base") == GD_EINVALID,
	      "an unknown zone in the column is GD_EINVALID");
	CHECK(rules_place(R, &p, "+12125550100", "../../etc/passwd") == GD_EINVALID,
	      "a path as zone is GD_EINVALID");
	CHECK(rules_place(R, &p, "+99912345678", NULL) == GD_ENOTFOUND,
	      "+999: no zone is GD_ENOTFOUND");
	CHECK(rules_place(R, &p, "+99912345678", "Asia/Tokyo") == 0 &&
	      !strcmp(p.zones[0], "Asia/Tokyo") && !strcmp(p.rule_ids, "default"),
	      "+999 with a zone column: default rule (%s)", p.rule_ids);

	/* disclosure: California yes, New York no */
	CHECK(rules_place(R, &p, "+14155550100", NULL) == 0 && p.disclosure &&
	      strstr(p.jurisdictions, "US-CA"), "+1 415 (California) requires a disclosure");
	CHECK(rules_place(R, &p, "+12125550100", NULL) == 0 && !p.disclosure &&
	      !strcmp(p.rule_ids, "us-tcpa"), "+1 212 (New York): no disclosure, us-tcpa");

	/* split hours: France */
	CHECK(rules_place(R, &p, "+33142685300", NULL) == 0 &&
	      !strcmp(p.zones[0], "Europe/Paris") &&
	      !strcmp(p.rule_ids, "fr-d223-9,fr-holidays-2026,fr-cap,fr-disclosure"),
	      "+33: Europe/Paris, fr-d223-9 and its holidays, cap, disclosure (%s)",
	      p.rule_ids);
	CHECK(daywin_contains(&p.legal, 2, 12 * 60 + 59) &&
	      !daywin_contains(&p.legal, 2, 13 * 60) &&
	      !daywin_contains(&p.legal, 2, 13 * 60 + 59) &&
	      daywin_contains(&p.legal, 2, 14 * 60) &&
	      !daywin_contains(&p.legal, 6, 11 * 60) &&
	      !daywin_contains(&p.legal, 0, 11 * 60), "France: lunch break, no weekend");

	CHECK(rules_place_key(R, "+12125550100") == rules_place_key(R, "+12125550199"),
	      "place key equal within an area code");
	CHECK(rules_place_key(R, "+12125550100") != rules_place_key(R, "+13055550100"),
	      "place key differs between area codes");
	CHECK(rules_place_key(R, "+966500000100") == rules_place_key(R, "+966112345678"),
	      "place key equal within a country");
}

static void test_tz(void)
{
	struct tm tm;

	CHECK(tz_valid("America/New_York") && tz_valid("UTC") && tz_valid("Asia/Riyadh"),
	      "tz_valid known zones");
	CHECK(!tz_valid("Mars/Base") && !tz_valid("") && !tz_valid(NULL) &&
	      !tz_valid("/etc/passwd") && !tz_valid("../zoneinfo/UTC") &&
	      !tz_valid("America") && !tz_valid("America/New York"),
	      "tz_valid rejects unknown, paths, directories, spaces");
	CHECK(tz_country("America/New_York") && !strcmp(tz_country("America/New_York"), "US"),
	      "tz_country New York is US");
	CHECK(tz_country("Asia/Riyadh") && !strcmp(tz_country("Asia/Riyadh"), "SA"),
	      "tz_country Riyadh is SA");
	CHECK(tz_local(&tm, "Asia/Riyadh", at("2026-11-24T06:00:00Z")) == 0 &&
	      tm.tm_hour == 9 && tm.tm_wday == 2, "tz_local Riyadh +3");
}

/* Is +1 212 (New York) open at t for a campaign window of every day 09-20? */
static void ny(const char *t, int want)
{
	struct place p;
	struct daywin w;

	daywin_clear(&w);
	daywin_add(&w, 0x7f, 9 * 60, 20 * 60);
	rules_place(R, &p, "+12125550100", NULL);
	CHECK(place_is_open(R, &p, &w, at(t)) == want, "New York at %s: %s", t,
	      want ? "open" : "closed");
}

static void test_dst(void)
{
	struct place p;
	struct daywin w;
	char s[21];
	time_t t;

	/* spring forward: Sunday 2026-03-08 02:00 EST -> 03:00 EDT */
	ny("2026-03-07T13:59:00Z", 0); /* Sat 08:59 EST */
	ny("2026-03-07T14:00:00Z", 1); /* Sat 09:00 EST */
	ny("2026-03-08T12:59:00Z", 0); /* Sun 08:59 EDT */
	ny("2026-03-08T13:00:00Z", 1); /* Sun 09:00 EDT (08:00 if EST) */
	ny("2026-03-08T23:59:00Z", 1); /* Sun 19:59 EDT */
	ny("2026-03-09T00:00:00Z", 0); /* Sun 20:00 EDT (19:00 if EST) */
	/* fall back: Sunday 2026-11-01 02:00 EDT -> 01:00 EST */
	ny("2026-10-31T12:59:00Z", 0); /* Sat 08:59 EDT */
	ny("2026-10-31T13:00:00Z", 1); /* Sat 09:00 EDT */
	ny("2026-11-01T13:30:00Z", 0); /* Sun 08:30 EST (09:30 if EDT) */
	ny("2026-11-01T14:00:00Z", 1); /* Sun 09:00 EST */
	ny("2026-11-02T00:59:00Z", 1); /* Sun 19:59 EST */
	ny("2026-11-02T01:00:00Z", 0); /* Sun 20:00 EST */

	daywin_clear(&w);
	daywin_add(&w, 0x7f, 9 * 60, 20 * 60);
	rules_place(R, &p, "+12125550100", NULL);
	t = place_next_open(R, &p, &w, at("2026-03-08T05:00:00Z"), 7L * 86400, NULL, 0);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-03-08T13:00:00Z"),
	      "next open after midnight of the spring change: 09:00 EDT (got %s)", s);
	t = place_next_open(R, &p, &w, at("2026-11-01T05:00:00Z"), 7L * 86400, NULL, 0);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-11-01T14:00:00Z"),
	      "next open on the fall change: 09:00 EST (got %s)", s);
	CHECK(place_next_open(R, &p, &w, at("2026-11-24T15:00:30Z"), 3600, NULL, 0) ==
	      at("2026-11-24T15:00:30Z"), "next open of an open place is now");

	/* the legal window binds when the campaign allows any time */
	daywin_fill(&w);
	CHECK(!place_is_open(R, &p, &w, at("2026-11-01T12:59:00Z")) &&
	      place_is_open(R, &p, &w, at("2026-11-01T13:00:00Z")) &&
	      place_is_open(R, &p, &w, at("2026-11-02T01:59:00Z")) &&
	      !place_is_open(R, &p, &w, at("2026-11-02T02:00:00Z")),
	      "TCPA 08:00-21:00 EST binds an any-time campaign");
	/* nothing open: next open is 0 */
	daywin_clear(&w);
	CHECK(!place_is_open(R, &p, &w, at("2026-11-24T15:00:00Z")) &&
	      place_next_open(R, &p, &w, at("2026-11-24T15:00:00Z"), 7L * 86400, NULL, 0) == 0,
	      "an empty campaign window never opens");
}

static void test_zone_sets(void)
{
	struct place p;
	struct daywin w;

	daywin_clear(&w);
	daywin_add(&w, 0x7f, 9 * 60, 20 * 60);
	/* +1 208 200: Boise (MST, UTC-7) and Los Angeles (PST, UTC-8) in November */
	rules_place(R, &p, "+12082001234", NULL);
	CHECK(!place_is_open(R, &p, &w, at("2026-11-24T16:30:00Z")),
	      "Boise 09:30 but Los Angeles 08:30: closed");
	CHECK(place_is_open(R, &p, &w, at("2026-11-24T17:00:00Z")),
	      "Boise 10:00 and Los Angeles 09:00: open");
	CHECK(place_is_open(R, &p, &w, at("2026-11-25T02:59:00Z")),
	      "Boise 19:59 and Los Angeles 18:59: open");
	CHECK(!place_is_open(R, &p, &w, at("2026-11-25T03:00:00Z")),
	      "Boise 20:00 but Los Angeles 19:00: closed");
	CHECK(place_next_open(R, &p, &w, at("2026-11-24T16:00:00Z"), 86400, NULL, 0) ==
	      at("2026-11-24T17:00:00Z"), "next open waits for the later zone");

	/* France's split hours in Paris local time (CET, UTC+1), Tuesday */
	daywin_fill(&w);
	rules_place(R, &p, "+33142685300", NULL);
	CHECK(place_is_open(R, &p, &w, at("2026-11-24T11:59:00Z")) &&
	      !place_is_open(R, &p, &w, at("2026-11-24T12:30:00Z")) &&
	      place_is_open(R, &p, &w, at("2026-11-24T13:00:00Z")) &&
	      !place_is_open(R, &p, &w, at("2026-11-28T10:00:00Z")),
	      "France: open 12:59, closed 13:30, open 14:00, closed Saturday");

	/* a place without zones never opens */
	memset(&p, 0, sizeof(p));
	daywin_fill(&p.legal);
	CHECK(!place_is_open(R, &p, &w, at("2026-11-24T12:00:00Z")),
	      "a place without zones is closed");
}


/* Open at t for a campaign allowing any time? */
static int open_any(const char *phone, const char *t)
{
	struct place p;
	struct daywin w;

	daywin_fill(&w);
	if (rules_place(R, &p, phone, NULL))
		return -1;
	return place_is_open(R, &p, &w, at(t));
}

/* What place_next_open blames when phone stays closed from t for horizon. */
static const char *blame(const char *phone, const struct daywin *w,
			 const char *t, long horizon)
{
	static char why[96];
	struct place p;

	why[0] = '\0';
	if (rules_place(R, &p, phone, NULL) ||
	    place_next_open(R, &p, w, at(t), horizon, why, sizeof(why)))
		return "(open)";
	return why;
}

static void test_banned(void)
{
	struct place p;
	struct daywin w;
	char s[21];
	time_t t;

	daywin_fill(&w);
	/* Alabama (+1 205, Central): Mon-Sat 08-20, no Sundays */
	CHECK(open_any("+12055550100", "2026-10-31T17:00:00Z") == 1,
	      "Alabama Saturday 12:00 CDT: open");
	CHECK(open_any("+12055550100", "2026-11-01T18:00:00Z") == 0,
	      "Alabama Sunday 12:00 CST: closed (us-al-sunday)");
	CHECK(!strcmp(blame("+12055550100", &w, "2026-11-01T07:00:00Z", 20 * 3600),
		      "us-al-sunday"), "a Sunday is blamed on us-al-sunday (%s)",
	      blame("+12055550100", &w, "2026-11-01T07:00:00Z", 20 * 3600));
	/* Sunday ban across the fall-back change: Saturday 20:00 CDT ->
	 * Monday 08:00 CST */
	rules_place(R, &p, "+12055550100", NULL);
	t = place_next_open(R, &p, &w, at("2026-11-01T01:00:00Z"), 7L * 86400, NULL, 0);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-11-02T14:00:00Z"),
	      "Alabama after Saturday 20:00 CDT opens Monday 08:00 CST (got %s)", s);
	/* Texas: Sunday only from noon */
	CHECK(open_any("+15125550100", "2026-11-01T17:59:00Z") == 0 &&
	      open_any("+15125550100", "2026-11-01T18:00:00Z") == 1,
	      "Texas Sunday: closed 11:59 CST, open 12:00");
}

static void test_holidays(void)
{
	struct place p;
	struct daywin w;
	char s[21];
	time_t t;

	daywin_fill(&w);
	/* Pennsylvania (+1 215): Election Day 2026-11-03 is a legal holiday */
	CHECK(open_any("+12155550100", "2026-11-03T17:00:00Z") == 0,
	      "Pennsylvania on Election Day 12:00 EST: closed");
	CHECK(open_any("+12155550100", "2026-11-04T17:00:00Z") == 1,
	      "Pennsylvania the day after: open");
	CHECK(open_any("+12125550100", "2026-11-03T17:00:00Z") == 1,
	      "New York on Election Day: open (no holiday rule)");
	CHECK(!strcmp(blame("+12155550100", &w, "2026-11-03T13:00:00Z", 10 * 3600),
		      "us-pa-holidays-2026"), "blamed on us-pa-holidays-2026 (%s)",
	      blame("+12155550100", &w, "2026-11-03T13:00:00Z", 10 * 3600));
	rules_place(R, &p, "+12155550100", NULL);
	t = place_next_open(R, &p, &w, at("2026-11-03T12:00:00Z"), 7L * 86400, NULL, 0);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-11-04T13:00:00Z"),
	      "Pennsylvania reopens 2026-11-04 08:00 EST (got %s)", s);
	/* France: 11 November, a Wednesday, is a jour ferie */
	CHECK(open_any("+33142685300", "2026-11-11T10:00:00Z") == 0 &&
	      open_any("+33142685300", "2026-11-12T10:00:00Z") == 1,
	      "France: closed on 11 November, open on the 12th at 11:00 CET");
	/* the holiday is a local date: 23:30 UTC on the 10th is the 11th in Paris */
	rules_place(R, &p, "+33142685300", NULL);
	CHECK(rule_allows(rules_get(R, p.rix[1]), rules_day(2026, 11, 11), 3, 11 * 60) == 0 &&
	      rule_allows(rules_get(R, p.rix[1]), rules_day(2026, 11, 10), 2, 11 * 60) == 1,
	      "rule_allows: the holiday row bans the date, not the day before");
	/* Australia: Boxing Day observed on Monday 2026-12-28 */
	CHECK(open_any("+61255550100", "2026-12-28T00:00:00Z") == 0 &&
	      open_any("+61255550100", "2026-12-29T00:00:00Z") == 1,
	      "Australia: closed 28 Dec 11:00 AEDT (observed), open on the 29th");
}

static void test_never(void)
{
	struct daywin w;

	/* a campaign calling only 20:00-22:00 can never reach France */
	daywin_clear(&w);
	daywin_add(&w, 0x7f, 20 * 60, 22 * 60);
	CHECK(!strcmp(blame("+33142685300", &w, "2026-11-24T00:00:00Z", 8L * 86400),
		      "fr-d223-9"), "France after 20:00: blamed on fr-d223-9 (%s)",
	      blame("+33142685300", &w, "2026-11-24T00:00:00Z", 8L * 86400));
	/* Rhode Island on Sundays only: hours, the Sunday ban */
	daywin_clear(&w);
	daywin_add(&w, 1, 0, 1440);
	CHECK(!strcmp(blame("+14015550100", &w, "2026-11-24T00:00:00Z", 8L * 86400),
		      "us-ri+us-ri-sunday"), "Rhode Island on Sundays: us-ri+us-ri-sunday (%s)",
	      blame("+14015550100", &w, "2026-11-24T00:00:00Z", 8L * 86400));
	daywin_clear(&w);
	CHECK(!strcmp(blame("+12125550100", &w, "2026-11-24T00:00:00Z", 86400),
		      "window"), "an empty campaign window is blamed on the window");
}

static size_t fixed_count;
static size_t count_fixed(void *ctx, long period_s)
{
	(void)ctx;
	return period_s <= 86400 ? fixed_count : fixed_count + 1;
}

static void test_caps_and_disclosure(void)
{
	struct place p;
	const char *id = NULL;

	rules_place(R, &p, "+13055550100", NULL);
	fixed_count = 2;
	CHECK(!place_cap(R, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, &id),
	      "Florida: a third call in 24 h is allowed");
	fixed_count = 3;
	CHECK(place_cap(R, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, &id) &&
	      !strcmp(id, "us-fl-cap"), "Florida: a fourth is capped by us-fl-cap");
	CHECK(!place_cap(R, &p, at("2021-06-30T15:00:00Z"), count_fixed, NULL, NULL),
	      "Florida's cap does not bind before it took effect (2021-07-01)");
	rules_place(R, &p, "+12125550100", NULL);
	fixed_count = 7;
	CHECK(!place_cap(R, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, NULL),
	      "New York: no cap rule");
	rules_place(R, &p, "+971501234567", NULL);
	fixed_count = 1;
	CHECK(place_cap(R, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, &id) &&
	      !strcmp(id, "ae-cap-day"), "UAE: once a day (%s)", id ? id : "-");
	fixed_count = 0; /* 0 in a day, 1 in the week */
	CHECK(!place_cap(R, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, NULL),
	      "UAE: a second call in the week is allowed");
	CHECK(p.disclosure, "UAE requires a disclosure");
	CHECK(rules_place(R, &p, "+442079460958", NULL) == 0 && p.disclosure,
	      "the UK requires a disclosure");
	CHECK(rules_place(R, &p, "+966500000100", NULL) == 0 && !p.disclosure,
	      "Saudi Arabia: no disclosure row");
	CHECK(rules_place(R, &p, "+15035550100", NULL) == 0 && !p.disclosure &&
	      strstr(p.rule_ids, "us-or-disclosure"),
	      "Oregon: a disclosure row that says not required");
}

static void test_rows(void)
{
	size_t i, n = rules_count(R), kinds[4] = { 0 };

	for (i = 0; i < n; i++) {
		const struct rule *x = rules_get(R, i);
		kinds[x->kind]++;
		if (!x->source || strncmp(x->source, "http", 4) || x->effective <= 0 ||
		    !x->line) {
			CHECK(0, "row %s has a source, an effective date and a line", x->id);
			return;
		}
	}
	CHECK(kinds[RK_HOURS] >= 20 && kinds[RK_BANNED] >= 8 && kinds[RK_CAP] >= 5 &&
	      kinds[RK_DISCLOSURE] >= 20, "every kind is in the pack (%zu hours, %zu "
	      "banned, %zu caps, %zu disclosure)", kinds[0], kinds[1], kinds[2], kinds[3]);
	CHECK(rules_get(R, n) == NULL, "rules_get past the end is NULL");
}

/* rules_check on text: the first problem "line field: message", or "ok". */
static const char *check(const char *text)
{
	static char out[512];
	struct diags d = { 0 };
	int rc = rules_check("bad.json", text, strlen(text), &d);

	if (rc == 0 && !d.errors)
		snprintf(out, sizeof(out), "ok");
	else if (d.n)
		snprintf(out, sizeof(out), "%lu %s: %s", d.v[0].line,
			 d.v[0].field ? d.v[0].field : "-", d.v[0].msg);
	else
		snprintf(out, sizeof(out), "rc %d without a message", rc);
	diags_release(&d);
	return out;
}

#define ROW(extra) "{\"rules\": [\n {\"id\": \"x-1\", \"jurisdiction\": \"US-NY\",\n" extra "}]}"
#define SRC "  \"source\": \"https://example.com/law\", \"effective\": \"2026-01-01\",\n"

static void test_check(void)
{
	const char *r;

	r = check(ROW(SRC "  \"kind\": \"cap\", \"max_calls\": 2, \"period_hours\": 24"));
	CHECK(!strcmp(r, "ok"), "a good cap row (%s)", r);
	r = check(ROW("  \"kind\": \"cap\", \"max_calls\": 2, \"period_hours\": 24,\n"
		      "  \"effective\": \"2026-01-01\""));
	CHECK(strstr(r, "2 rules[0].source: missing"), "a row without a source (%s)", r);
	r = check(ROW("  \"source\": \"file:///etc/passwd\", \"effective\": \"2026-01-01\",\n"
		      "  \"kind\": \"disclosure\", \"required\": true"));
	CHECK(strstr(r, "rules[0].source: expected an http(s) URL"), "a non-http source (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"sometimes\""));
	CHECK(strstr(r, "rules[0].kind: expected hours"), "an unknown kind (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"banned\", \"year\": 2026, \"dates\": [\"2027-01-01\"]"));
	CHECK(strstr(r, "rules[0].dates[0]: 2027-01-01 is not in the row's year 2026"),
	      "a holiday outside its year (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"banned\", \"year\": 2026, \"dates\": [\"2026-02-30\"]"));
	CHECK(strstr(r, "rules[0].dates[0]: expected a date"), "30 February (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"cap\", \"max_calls\": 2"));
	CHECK(strstr(r, "a cap rule needs max_calls"), "a cap without its period (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"cap\", \"max_calls\": 20, \"period_hours\": 24"));
	CHECK(strstr(r, "rules[0].max_calls"), "a cap above 8 (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"hours\", \"hours\": [{\"days\": [\"mon\"], "
		      "\"start\": \"20:00\", \"end\": \"08:00\"}]"));
	CHECK(strstr(r, "rules[0].hours[0]: expected start < end"), "hours backwards (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"hours\", \"hours\": [{\"days\": [\"someday\"], "
		      "\"start\": \"08:00\", \"end\": \"20:00\"}]"));
	CHECK(strstr(r, "rules[0].hours[0].days[0]: expected a weekday"), "a bad weekday (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"disclosure\", \"required\": true, \"max_calls\": 3"));
	CHECK(strstr(r, "rules[0].max_calls: not a field of a disclosure rule"),
	      "a field of another kind (%s)", r);
	r = check(ROW(SRC "  \"kind\": \"disclosure\", \"required\": true, \"colour\": 3"));
	CHECK(strstr(r, "colour"), "an unknown field (%s)", r);
	r = check(ROW("  \"source\": \"https://example.com/law\", \"effective\": \"soon\",\n"
		      "  \"kind\": \"disclosure\", \"required\": true"));
	CHECK(strstr(r, "rules[0].effective: expected the date"), "a bad effective date (%s)", r);
	r = check("{\"rules\": [\n {\"id\": \"x\", \"jurisdiction\": \"default\", " SRC
		  "  \"kind\": \"cap\", \"max_calls\": 1, \"period_hours\": 1}]}");
	CHECK(strstr(r, "\"default\" is for hours rows only"), "a default cap (%s)", r);
	r = check("{\"rules\": [\n {\"id\": \"x\", \"jurisdiction\": \"US-NY\", " SRC
		  "  \"kind\": \"disclosure\", \"required\": true},\n"
		  " {\"id\": \"x\", \"jurisdiction\": \"US-NJ\", " SRC
		  "  \"kind\": \"disclosure\", \"required\": true}]}");
	CHECK(strstr(r, "4 rules[1]: duplicate rule id \"x\""), "a duplicate id (%s)", r);
	r = check("{\"rules\": [\n {\"id\": \"Bad Id\", \"jurisdiction\": \"usa\", " SRC
		  "  \"kind\": \"disclosure\", \"required\": true}]}");
	CHECK(strstr(r, "rules[0].id"), "a bad id (%s)", r);
	r = check("{\"rulez\": []}");
	CHECK(strstr(r, "rulez") || strstr(r, "rules"), "no rules array (%s)", r);
	r = check("{\"rules\": [1,");
	CHECK(strstr(r, "not valid JSON"), "broken JSON (%s)", r);
}

/* A repository's rules/ layered over the embedded pack, with a row that
 * replaces one by id and one that takes effect later. */
static void test_layers(void)
{
	char dir[] = "/tmp/gitdial-rules-XXXXXX", path[128];
	struct src s;
	struct rules *lr = NULL;
	struct diags d = { 0 };
	struct place p;
	struct daywin w;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/rules", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/rules/acme.json", dir);
	f = fopen(path, "w");
	fputs("{\"rules\": [\n"
	      " {\"id\": \"acme-ny\", \"jurisdiction\": \"US-NY\", \"kind\": \"hours\",\n"
	      "  \"hours\": [{\"days\": [\"sun\",\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\"],"
	      " \"start\": \"10:00\", \"end\": \"18:00\"}],\n"
	      "  \"source\": \"https://example.com/acme\", \"effective\": \"2026-11-10\"},\n"
	      " {\"id\": \"us-fl-cap\", \"jurisdiction\": \"US-FL\", \"kind\": \"cap\",\n"
	      "  \"max_calls\": 1, \"period_hours\": 48,\n"
	      "  \"source\": \"https://example.com/acme\", \"effective\": \"2020-01-01\"}]}\n", f);
	fclose(f);
	src_init_dir(&s, dir);
	CHECK(rules_load_layered(&lr, &s, &d) == 0 && d.errors == 0 &&
	      rules_count(lr) == rules_count(R) + 1, "a layer adds one row and replaces one");
	daywin_fill(&w);
	rules_place(lr, &p, "+12125550100", NULL);
	CHECK(place_is_open(lr, &p, &w, at("2026-11-09T14:30:00Z")) &&
	      !place_is_open(lr, &p, &w, at("2026-11-10T14:30:00Z")) &&
	      place_is_open(lr, &p, &w, at("2026-11-10T15:00:00Z")),
	      "a row binds from its effective date (09:30 EST open on the 9th, closed on the 10th)");
	rules_place(lr, &p, "+13055550100", NULL);
	fixed_count = 1;
	CHECK(place_cap(lr, &p, at("2026-11-24T15:00:00Z"), count_fixed, NULL, NULL),
	      "the replaced cap binds (1 per 48 h)");
	CHECK(rules_digest(lr) != rules_digest(R), "the digest names the layers");
	rules_free(lr);
	lr = NULL;
	/* a broken layer: reported with its file and line, and not applied */
	f = fopen(path, "w");
	fputs("{\"rules\": [\n {\"id\": \"acme-ny\", \"jurisdiction\": \"US-NY\",\n"
	      "  \"kind\": \"disclosure\", \"required\": true, \"effective\": \"2026-01-01\"}]}\n", f);
	fclose(f);
	CHECK(rules_load_layered(&lr, &s, &d) == GD_EINVALID && d.errors == 1 &&
	      !strcmp(d.v[0].file, "rules/acme.json") && d.v[0].line == 2 &&
	      !strcmp(d.v[0].field, "rules[0].source"),
	      "a layer row without a source: rules/acme.json:2 rules[0].source (%s:%lu %s)",
	      d.n ? d.v[0].file : "-", d.n ? d.v[0].line : 0UL,
	      d.n && d.v[0].field ? d.v[0].field : "-");
	rules_free(lr);
	diags_release(&d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rules", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	if (rules_load(&R)) {
		printf("Bail out! rules_load: %s\n", gd_error_last());
		return 1;
	}
	test_places();
	test_tz();
	test_dst();
	test_zone_sets();
	test_banned();
	test_holidays();
	test_never();
	test_caps_and_disclosure();
	test_rows();
	test_check();
	test_layers();
	rules_free(R);
	return finish();
}
