/*
 * Unit tests for the compliance tables: where a number is (zones,
 * jurisdictions, rules, disclosure) and whether its window is open at an
 * instant, across DST changes and for numbers spanning several zones.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
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
	CHECK(!strcmp(p.rule_ids, "us-tcpa,us-fl"), "+1 305 rules us-tcpa,us-fl (got %s)",
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
	      p.source == ZSRC_COUNTRY && !strcmp(p.rule_ids, "default"),
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
	CHECK(!strcmp(p.rule_ids, "us-tcpa,us-fl"),
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
	      !strcmp(p.zones[0], "Europe/Paris") && !strcmp(p.rule_ids, "fr-d223-9"),
	      "+33: Europe/Paris, fr-d223-9");
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
	CHECK(place_is_open(&p, &w, at(t)) == want, "New York at %s: %s", t,
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
	t = place_next_open(&p, &w, at("2026-03-08T05:00:00Z"), 7L * 86400);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-03-08T13:00:00Z"),
	      "next open after midnight of the spring change: 09:00 EDT (got %s)", s);
	t = place_next_open(&p, &w, at("2026-11-01T05:00:00Z"), 7L * 86400);
	time_format_utc(s, t);
	CHECK(!strcmp(s, "2026-11-01T14:00:00Z"),
	      "next open on the fall change: 09:00 EST (got %s)", s);
	CHECK(place_next_open(&p, &w, at("2026-11-24T15:00:30Z"), 3600) ==
	      at("2026-11-24T15:00:30Z"), "next open of an open place is now");

	/* the legal window binds when the campaign allows any time */
	daywin_fill(&w);
	CHECK(!place_is_open(&p, &w, at("2026-11-01T12:59:00Z")) &&
	      place_is_open(&p, &w, at("2026-11-01T13:00:00Z")) &&
	      place_is_open(&p, &w, at("2026-11-02T01:59:00Z")) &&
	      !place_is_open(&p, &w, at("2026-11-02T02:00:00Z")),
	      "TCPA 08:00-21:00 EST binds an any-time campaign");
	/* nothing open: next open is 0 */
	daywin_clear(&w);
	CHECK(!place_is_open(&p, &w, at("2026-11-24T15:00:00Z")) &&
	      place_next_open(&p, &w, at("2026-11-24T15:00:00Z"), 7L * 86400) == 0,
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
	CHECK(!place_is_open(&p, &w, at("2026-11-24T16:30:00Z")),
	      "Boise 09:30 but Los Angeles 08:30: closed");
	CHECK(place_is_open(&p, &w, at("2026-11-24T17:00:00Z")),
	      "Boise 10:00 and Los Angeles 09:00: open");
	CHECK(place_is_open(&p, &w, at("2026-11-25T02:59:00Z")),
	      "Boise 19:59 and Los Angeles 18:59: open");
	CHECK(!place_is_open(&p, &w, at("2026-11-25T03:00:00Z")),
	      "Boise 20:00 but Los Angeles 19:00: closed");
	CHECK(place_next_open(&p, &w, at("2026-11-24T16:00:00Z"), 86400) ==
	      at("2026-11-24T17:00:00Z"), "next open waits for the later zone");

	/* France's split hours in Paris local time (CET, UTC+1), Tuesday */
	daywin_fill(&w);
	rules_place(R, &p, "+33142685300", NULL);
	CHECK(place_is_open(&p, &w, at("2026-11-24T11:59:00Z")) &&
	      !place_is_open(&p, &w, at("2026-11-24T12:30:00Z")) &&
	      place_is_open(&p, &w, at("2026-11-24T13:00:00Z")) &&
	      !place_is_open(&p, &w, at("2026-11-28T10:00:00Z")),
	      "France: open 12:59, closed 13:30, open 14:00, closed Saturday");

	/* a place without zones never opens */
	memset(&p, 0, sizeof(p));
	daywin_fill(&p.legal);
	CHECK(!place_is_open(&p, &w, at("2026-11-24T12:00:00Z")),
	      "a place without zones is closed");
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
	rules_free(R);
	return finish();
}
