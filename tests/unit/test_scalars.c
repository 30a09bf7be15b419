/*
 * Unit tests for the small pure parsers: phone numbers, RFC 3339 and HH:MM
 * times, UTF-8, ids and weekly windows. No file, clock or repository.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "phone.h"
#include "util.h"
#include "window.h"

#include "tap.h"

static void phone_ok(const char *in, const char *want)
{
	char out[PHONE_MAX] = "";
	const char *why = NULL;
	int rc = phone_normalize(out, in, strlen(in), &why);

	CHECK(rc == 0 && !strcmp(out, want), "phone \"%s\" -> %s (got rc %d, \"%s\"%s%s)",
	      in, want, rc, rc ? "" : out, why ? ", " : "", why ? why : "");
	CHECK(rc || phone_is_e164(out), "phone \"%s\": result is strict E.164", in);
}

static void phone_bad(const char *in, const char *why_part)
{
	char out[PHONE_MAX] = "";
	const char *why = NULL;
	int rc = phone_normalize(out, in, strlen(in), &why);

	CHECK(rc == -1 && why && strstr(why, why_part),
	      "phone \"%s\" rejected: %s (got rc %d, why \"%s\")", in, why_part,
	      rc, why ? why : "(null)");
}

static void test_phone(void)
{
	char out[PHONE_MAX];
	const char *why = NULL;
	static const char sixteen[] = "+1234567890123456";

	phone_ok("+12125550100", "+12125550100");
	phone_ok("+1 (212) 555-0100", "+12125550100");
	phone_ok("+1-212-555-0100", "+12125550100");
	phone_ok("+44.20.7946.0958", "+442079460958");
	phone_ok("001-213-555-0101", "+12135550101");
	phone_ok("00 966 50 000 0100", "+966500000100");
	phone_ok("  +966 50 000 0100 \t", "+966500000100");
	phone_ok("+(33) 1 42 68 53 00", "+33142685300");
	phone_ok("+12345678", "+12345678");               /* 8 digits */
	phone_ok("+123456789012345", "+123456789012345"); /* 15 digits */
	phone_ok("+1\t212\t5550100", "+12125550100");

	phone_bad("", "empty");
	phone_bad("   \t ", "empty");
	phone_bad("2125550100", "country code");
	phone_bad("(212) 555-0100", "country code");
	phone_bad("0212 555 0100", "country code"); /* one 0 is a trunk prefix */
	phone_bad("+1234567", "fewer than 8");
	phone_bad("+", "fewer than 8");
	phone_bad("00", "fewer than 8");
	phone_bad(sixteen, "more than 15");
	phone_bad("+1 212 555 CALL", "not a digit");
	phone_bad("+1-212-555-0100 x12", "not a digit");
	phone_bad("++12125550100", "not a digit");
	phone_bad("+1/212/555/0100", "not a digit");
	phone_bad("+\xd9\xa1\xd9\xa2\xd9\xa1\xd9\xa2\xd9\xa5\xd9\xa5\xd9\xa5\xd9\xa0\xd9\xa1",
		  "not a digit"); /* Arabic-Indic digits */
	phone_bad("+0123456789", "starting with 0");
	phone_bad("000441234567", "starting with 0");

	/* len is honoured: no NUL needed after the number */
	CHECK(phone_normalize(out, "+12125550100XYZ", 12, &why) == 0 &&
	      !strcmp(out, "+12125550100"), "phone_normalize stops at len");
	CHECK(phone_normalize(out, "+12125550100", 0, &why) == -1,
	      "phone_normalize with len 0 is empty");

	CHECK(phone_is_e164("+12125550100"), "e164: +12125550100");
	CHECK(phone_is_e164("+123456789012345"), "e164: 15 digits");
	CHECK(!phone_is_e164("+1234567890123456"), "e164: 16 digits is not");
	CHECK(!phone_is_e164("+1234567"), "e164: 7 digits is not");
	CHECK(!phone_is_e164("12125550100"), "e164: no plus is not");
	CHECK(!phone_is_e164("+02125550100"), "e164: leading 0 is not");
	CHECK(!phone_is_e164("+1 212 555 0100"), "e164: spaces are not");
	CHECK(!phone_is_e164(""), "e164: empty is not");
	CHECK(!phone_is_e164(NULL), "e164: NULL is not");

	CHECK(phone_key("+12125550100") == 12125550100ULL, "phone_key digits");
	CHECK(phone_key("+999999999999999") == 999999999999999ULL,
	      "phone_key of 15 nines fits");
	CHECK(phone_key("+12125550100") != phone_key("+12125550101"),
	      "phone_key differs per number");
}

static const char *rfc(const char *s)
{
	static char out[32];
	time_t t = 0;

	if (time_parse_rfc3339(&t, s))
		return "invalid";
	time_format_utc(out, t);
	return out;
}

static void time_is(const char *in, const char *want)
{
	const char *got = rfc(in);

	CHECK(!strcmp(got, want), "rfc3339 \"%s\" -> %s (got %s)", in, want, got);
}

static void test_rfc3339(void)
{
	time_t t = 123;

	time_is("2026-11-24T09:00:00+03:00", "2026-11-24T06:00:00Z");
	time_is("2026-11-24T09:00:00Z", "2026-11-24T09:00:00Z");
	time_is("2026-11-24t09:00:00z", "2026-11-24T09:00:00Z");
	time_is("2026-11-24T09:00:00-05:00", "2026-11-24T14:00:00Z");
	time_is("2026-11-24T09:00:00+05:30", "2026-11-24T03:30:00Z");
	time_is("2026-11-24T00:30:00+01:00", "2026-11-23T23:30:00Z");
	time_is("2026-12-31T23:00:00-01:00", "2027-01-01T00:00:00Z");
	time_is("2026-11-24T09:00:00.5Z", "2026-11-24T09:00:00Z");
	time_is("2026-11-24T09:00:00.123456789+03:00", "2026-11-24T06:00:00Z");
	time_is("2026-11-24T09:00Z", "2026-11-24T09:00:00Z"); /* seconds optional */
	time_is("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z");
	time_is("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"); /* leap second */
	time_is("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z");
	time_is("2026-11-24T09:00:00+23:59", "2026-11-23T09:01:00Z");

	time_is("2026-11-24T09:00:00", "invalid");      /* no offset */
	time_is("2026-11-24T09:00:00+0300", "invalid"); /* offset without colon */
	time_is("2026-11-24T09:00:00+3:00", "invalid");
	time_is("2026-11-24T09:00:00+24:00", "invalid");
	time_is("2026-11-24T09:00:00.Z", "invalid");    /* empty fraction */
	time_is("2026-11-24T09:00:00Zjunk", "invalid");
	time_is("2026-11-24T09:00:00+03:00 ", "invalid");
	time_is("2026-11-24 09:00:00Z", "invalid");
	time_is("2026-02-30T00:00:00Z", "invalid");
	time_is("2026-02-29T00:00:00Z", "invalid");
	time_is("2026-04-31T00:00:00Z", "invalid");
	time_is("2026-13-01T00:00:00Z", "invalid");
	time_is("2026-00-10T00:00:00Z", "invalid");
	time_is("2026-01-00T00:00:00Z", "invalid");
	time_is("2026-01-01T24:00:00Z", "invalid");
	time_is("2026-01-01T23:60:00Z", "invalid");
	time_is("2026-01-01T23:59:61Z", "invalid");
	time_is("26-01-01T00:00:00Z", "invalid");
	time_is("2026-1-01T00:00:00Z", "invalid");
	time_is("2026-01-01", "invalid");
	time_is("", "invalid");
	time_is("tomorrow at nine", "invalid");
	CHECK(time_parse_rfc3339(&t, NULL) == GD_EINVALID && t == 123,
	      "rfc3339 NULL is invalid and leaves *out alone");
	CHECK(time_parse_rfc3339(&t, "2026-02-30T00:00:00Z") == GD_EINVALID,
	      "rfc3339 returns GD_EINVALID");
	time_is("2100-02-29T00:00:00Z", "invalid"); /* not a leap year */
	time_is("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z");
	time_is("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z");
	{
		/* every day from 1900 to 2400 (and a time in it) agrees with timegm */
		static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int y, m, d, bad = 0, n = 0;
		for (y = 1900; y <= 2400; y++)
			for (m = 1; m <= 12; m++)
				for (d = 1; d <= mdays[m - 1] + (m == 2 && ((y % 4 == 0 &&
				     y % 100 != 0) || y % 400 == 0)); d++) {
					char in[40];
					struct tm tm = { 0 };
					time_t got = 0;
					tm.tm_year = y - 1900;
					tm.tm_mon = m - 1;
					tm.tm_mday = d;
					tm.tm_hour = (d * 7) % 24;
					tm.tm_min = (d * 13) % 60;
					tm.tm_sec = (d * 17) % 60;
					snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02dZ",
						 y, m, d, tm.tm_hour, tm.tm_min, tm.tm_sec);
					n++;
					if (time_parse_rfc3339(&got, in) || got != timegm(&tm))
						bad++;
				}
		CHECK(bad == 0 && n > 180000, "rfc3339 agrees with timegm on all %d "
		      "days of 1900-2400 (%d differ)", n, bad);
	}
}

static void test_hhmm(void)
{
	CHECK(time_parse_hhmm("09:00", 0) == 540, "hhmm 09:00");
	CHECK(time_parse_hhmm("00:00", 0) == 0, "hhmm 00:00");
	CHECK(time_parse_hhmm("23:59", 0) == 1439, "hhmm 23:59");
	CHECK(time_parse_hhmm("24:00", 1) == 1440, "hhmm 24:00 when allowed");
	CHECK(time_parse_hhmm("24:00", 0) == -1, "hhmm 24:00 not as a start");
	CHECK(time_parse_hhmm("24:01", 1) == -1, "hhmm 24:01");
	CHECK(time_parse_hhmm("25:00", 1) == -1, "hhmm 25:00");
	CHECK(time_parse_hhmm("09:60", 0) == -1, "hhmm 09:60");
	CHECK(time_parse_hhmm("9:00", 0) == -1, "hhmm 9:00 (one digit)");
	CHECK(time_parse_hhmm("09:00:00", 0) == -1, "hhmm with seconds");
	CHECK(time_parse_hhmm("0900", 0) == -1, "hhmm without colon");
	CHECK(time_parse_hhmm("ab:cd", 0) == -1, "hhmm letters");
	CHECK(time_parse_hhmm(" 9:00", 0) == -1, "hhmm leading space");
	CHECK(time_parse_hhmm("", 0) == -1, "hhmm empty");
	CHECK(time_parse_hhmm(NULL, 1) == -1, "hhmm NULL");
}

static void test_utf8(void)
{
	CHECK(utf8_check("", 0) == 0, "utf8 empty");
	CHECK(utf8_check("hello", 5) == 0, "utf8 ascii");
	CHECK(utf8_check("caf\xc3\xa9", 5) == 0, "utf8 2-byte");
	CHECK(utf8_check("\xe2\x82\xac", 3) == 0, "utf8 3-byte euro");
	CHECK(utf8_check("\xf0\x9f\x93\x9e", 4) == 0, "utf8 4-byte emoji");
	CHECK(utf8_check("\xef\xbb\xbfphone", 8) == 0, "utf8 BOM is valid");
	CHECK(utf8_check("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", 10) == 0,
	      "utf8 Arabic");
	CHECK(utf8_check("\xf4\x8f\xbf\xbf", 4) == 0, "utf8 U+10FFFF");
	CHECK(utf8_check("ab\0c", 4) == 3, "utf8 NUL at byte 3");
	CHECK(utf8_check("\0", 1) == 1, "utf8 lone NUL");
	CHECK(utf8_check("a\xc0\x80", 3) == 2, "utf8 overlong NUL");
	CHECK(utf8_check("\xc1\xbf", 2) == 1, "utf8 overlong 2-byte");
	CHECK(utf8_check("\xe0\x80\x80", 3) == 1, "utf8 overlong 3-byte");
	CHECK(utf8_check("\xf0\x80\x80\x80", 4) == 1, "utf8 overlong 4-byte");
	CHECK(utf8_check("\xed\xa0\x80", 3) == 1, "utf8 surrogate");
	CHECK(utf8_check("\xf4\x90\x80\x80", 4) == 1, "utf8 above U+10FFFF");
	CHECK(utf8_check("\xf5\x80\x80\x80", 4) == 1, "utf8 0xf5 lead");
	CHECK(utf8_check("\xff", 1) == 1, "utf8 0xff");
	CHECK(utf8_check("abc\x80", 4) == 4, "utf8 lone continuation");
	CHECK(utf8_check("ab\xe2\x82", 4) == 3, "utf8 truncated at the end");
	CHECK(utf8_check("\xe2\x82" "a", 3) == 1, "utf8 bad continuation");
	CHECK(utf8_check("\xc3\xa9", 1) == 1, "utf8 respects len (cut in a character)");
	CHECK(utf8_check("ok\xff", 2) == 0, "utf8 does not read past len");
	/* Latin-1 as Excel writes it */
	CHECK(utf8_check("Jos\xe9,+12125550100", 16) == 4, "utf8 Latin-1 e-acute");

	CHECK(utf8_len("") == 0, "utf8_len empty");
	CHECK(utf8_len("abc") == 3, "utf8_len ascii");
	CHECK(utf8_len("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7") == 5,
	      "utf8_len Arabic (5 letters, 10 bytes)");
	CHECK(utf8_len("a\xf0\x9f\x93\x9e" "b") == 3, "utf8_len emoji counts once");
	CHECK(utf8_len("caf\xc3\xa9") == 4, "utf8_len cafe");
}

static void test_ids(void)
{
	char s65[66], s64[65];

	memset(s64, 'a', 64);
	s64[64] = '\0';
	memset(s65, 'a', 65);
	s65[65] = '\0';
	CHECK(id_valid("nov-reminders"), "id nov-reminders");
	CHECK(id_valid("a"), "id a");
	CHECK(id_valid("0day"), "id 0day");
	CHECK(id_valid(s64), "id of 64 characters");
	CHECK(!id_valid(s65), "id of 65 characters");
	CHECK(!id_valid(""), "id empty");
	CHECK(!id_valid(NULL), "id NULL");
	CHECK(!id_valid("-a"), "id leading dash");
	CHECK(!id_valid("Promo"), "id uppercase");
	CHECK(!id_valid("my camp"), "id space");
	CHECK(!id_valid("a_b"), "id underscore");
	CHECK(!id_valid(".."), "id ..");
	CHECK(!id_valid("../x"), "id ../x");
	CHECK(!id_valid("a/b"), "id slash");
	CHECK(!id_valid("a..b"), "id a..b");

	CHECK(account_name_valid("sim-main"), "account sim-main");
	CHECK(account_name_valid("Twilio_EU"), "account Twilio_EU");
	CHECK(!account_name_valid("my acct"), "account with a space");
	CHECK(!account_name_valid(""), "account empty");
	CHECK(!account_name_valid("a.b"), "account with a dot");
}

static void test_daywin(void)
{
	struct daywin w, o;
	int d, m, all;

	daywin_clear(&w);
	CHECK(daywin_empty(&w), "daywin clear is empty");
	daywin_add(&w, 1u << 1, 540, 1200); /* mon 09:00-20:00 */
	CHECK(!daywin_empty(&w), "daywin add makes it non-empty");
	CHECK(daywin_contains(&w, 1, 540), "mon 09:00 open");
	CHECK(!daywin_contains(&w, 1, 539), "mon 08:59 closed");
	CHECK(daywin_contains(&w, 1, 1199), "mon 19:59 open");
	CHECK(!daywin_contains(&w, 1, 1200), "mon 20:00 closed (end exclusive)");
	CHECK(!daywin_contains(&w, 0, 600), "sun closed");
	CHECK(!daywin_contains(&w, 2, 600), "tue closed");

	/* split hours (France: 10-13 and 14-20 on weekdays) */
	daywin_clear(&w);
	daywin_add(&w, 0x3e, 600, 780);
	daywin_add(&w, 0x3e, 840, 1200);
	CHECK(daywin_contains(&w, 2, 779) && !daywin_contains(&w, 2, 780) &&
	      !daywin_contains(&w, 2, 839) && daywin_contains(&w, 2, 840),
	      "split hours: lunch break closed");
	CHECK(!daywin_contains(&w, 6, 700) && !daywin_contains(&w, 0, 700),
	      "split hours: weekend closed");
	daywin_clear(&o);
	daywin_add(&o, 0x7f, 480, 1260); /* 08-21 every day */
	daywin_intersect(&w, &o);
	CHECK(daywin_contains(&w, 3, 600) && !daywin_contains(&w, 3, 800) &&
	      daywin_contains(&w, 3, 1199), "intersect with a wider window keeps it");
	daywin_clear(&o);
	daywin_add(&o, 0x7f, 0, 700);
	daywin_intersect(&w, &o);
	CHECK(daywin_contains(&w, 3, 699) && !daywin_contains(&w, 3, 700) &&
	      !daywin_contains(&w, 3, 900), "intersect narrows to the overlap");
	daywin_clear(&o);
	daywin_add(&o, 0x7f, 1300, 1440);
	daywin_intersect(&w, &o);
	CHECK(daywin_empty(&w), "intersect of disjoint windows is empty");

	/* 64-bit word edges and the last minute */
	daywin_clear(&w);
	daywin_add(&w, 1u << 6, 63, 65);
	CHECK(!daywin_contains(&w, 6, 62) && daywin_contains(&w, 6, 63) &&
	      daywin_contains(&w, 6, 64) && !daywin_contains(&w, 6, 65),
	      "word boundary 63/64");
	daywin_add(&w, 1u << 6, 1439, 1440);
	CHECK(daywin_contains(&w, 6, 1439), "minute 1439");
	daywin_add(&w, 1u << 0, -30, 5000); /* clamped */
	CHECK(daywin_contains(&w, 0, 0) && daywin_contains(&w, 0, 1439),
	      "add clamps to 0-1440");
	CHECK(!daywin_contains(&w, -1, 10) && !daywin_contains(&w, 7, 10) &&
	      !daywin_contains(&w, 0, -1) && !daywin_contains(&w, 0, 1440),
	      "contains rejects out-of-range day and minute");
	daywin_add(&w, 1u << 2, 600, 600);
	CHECK(!daywin_contains(&w, 2, 600), "empty interval adds nothing");

	daywin_fill(&w);
	for (all = 1, d = 0; d < 7; d++)
		for (m = 0; m < 1440; m++)
			all &= daywin_contains(&w, d, m);
	CHECK(all, "fill opens every minute of every day");

	CHECK(weekday_parse("sun") == 0 && weekday_parse("sat") == 6 &&
	      weekday_parse("wed") == 3, "weekday_parse");
	CHECK(weekday_parse("Sun") == -1 && weekday_parse("sunday") == -1 &&
	      weekday_parse("") == -1 && weekday_parse(NULL) == -1,
	      "weekday_parse rejects other spellings");
	CHECK(!strcmp(weekday_names[1], "mon"), "weekday_names");
}

int main(void)
{
	test_phone();
	test_rfc3339();
	test_hhmm();
	test_utf8();
	test_ids();
	test_daywin();
	return finish();
}
