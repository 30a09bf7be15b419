/*
 * Unit tests for the pure helpers of gitdial new (newcamp.h), the
 * author parser, and the DNC history's "latest entry wins" (dnc_log.h):
 * what people type is parsed or refused with a reason, campaign.json is
 * written as campaign_load reads it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "author.h"
#include "buf.h"
#include "campaign.h"
#include "diag.h"
#include "dnc_log.h"
#include "newcamp.h"
#include "phone.h"

#include "tap.h"

static void test_slug(void)
{
	char s[65];

	newcamp_slug(s, "November payment reminders");
	CHECK(!strcmp(s, "november-payment-reminders"), "slug of a name: %s", s);
	newcamp_slug(s, "  --Ramadan 2026: survey!! ");
	CHECK(!strcmp(s, "ramadan-2026-survey"), "runs of other characters: %s", s);
	newcamp_slug(s, "استبيان");
	CHECK(!strcmp(s, ""), "no ASCII letter or digit: empty (%s)", s);
	newcamp_slug(s, "استبيان رمضان 2026");
	CHECK(!strcmp(s, "2026"), "only the digits survive: %s", s);
	newcamp_slug(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c");
	CHECK(strlen(s) <= 64 && s[strlen(s) - 1] != '-', "at most 64, no trailing dash: %s", s);
}

static void test_parsers(void)
{
	char why[256];
	int a, b, count;
	unsigned m;
	long v, cd[RETRY_LADDER_MAX];

	CHECK(!newcamp_parse_window(&a, &b, "09:00-20:00", why, sizeof(why)) &&
	      a == 540 && b == 1200, "window 09:00-20:00");
	CHECK(!newcamp_parse_window(&a, &b, "00:00-24:00", why, sizeof(why)) &&
	      b == 1440, "window up to 24:00");
	CHECK(!newcamp_parse_window(&a, &b, "none", why, sizeof(why)) && a == -1,
	      "none clears the window");
	newcamp_parse_window(&a, &b, "09:00-20:00", why, sizeof(why));
	CHECK(newcamp_parse_window(&a, &b, "20:00-09:00", why, sizeof(why)) &&
	      strstr(why, "ends before it starts"), "crossing midnight: %s", why);
	CHECK(a == 540 && b == 1200, "a refused window leaves the last one as it was");
	CHECK(newcamp_parse_window(&a, &b, "9-17", why, sizeof(why)) &&
	      strstr(why, "HH:MM-HH:MM"), "not a window: %s", why);
	CHECK(newcamp_parse_window(&a, &b, "09:00-25:00", why, sizeof(why)),
	      "25:00 refused");
	CHECK(!newcamp_parse_days(&m, "mon-fri", why, sizeof(why)) && m == 0x3e,
	      "mon-fri = 0x3e (%#x)", m);
	CHECK(!newcamp_parse_days(&m, "fri-mon", why, sizeof(why)) && m == 0x63,
	      "fri-mon wraps over the weekend (%#x)", m);
	CHECK(!newcamp_parse_days(&m, "sun, sat", why, sizeof(why)) && m == 0x41,
	      "sun, sat with a space (%#x)", m);
	CHECK(!newcamp_parse_days(&m, "every day", why, sizeof(why)) && m == 0x7f,
	      "every day");
	CHECK(newcamp_parse_days(&m, "mon,funday", why, sizeof(why)) &&
	      strstr(why, "\"funday\""), "a bad day is named: %s", why);
	CHECK(!newcamp_parse_outcomes(&m, "no_answer, busy", why, sizeof(why)) &&
	      m == ((1u << OUT_NO_ANSWER) | (1u << OUT_BUSY)), "outcomes");
	CHECK(newcamp_parse_outcomes(&m, "connected", why, sizeof(why)),
	      "connected is not retried");
	CHECK(newcamp_parse_outcomes(&m, "", why, sizeof(why)), "empty refused");
	CHECK(!newcamp_parse_cooldown(cd, &count, "30,120", why, sizeof(why)) &&
	      count == 2 && cd[0] == 30 && cd[1] == 120, "a ladder 30,120");
	CHECK(newcamp_parse_cooldown(cd, &count, "0", why, sizeof(why)),
	      "0 minutes refused");
	CHECK(newcamp_parse_cooldown(cd, &count, "1,2,3,4,5,6,7,8,9,10,11", why,
				     sizeof(why)) && strstr(why, "at most"),
	      "11 cool-downs refused: %s", why);
	CHECK(!newcamp_parse_long(&v, " 7 ", 1, 10, why, sizeof(why)) && v == 7,
	      "a number with spaces");
	CHECK(newcamp_parse_long(&v, "-1", 0, 10, why, sizeof(why)), "-1 refused");
	CHECK(newcamp_parse_long(&v, "5x", 0, 10, why, sizeof(why)), "5x refused");
	CHECK(newcamp_parse_long(&v, "99999999999999999999", 0, 10, why,
				 sizeof(why)), "overflow refused");
}

static void test_json(void)
{
	struct newcamp nc;
	struct buf b = BUF_INIT(1u << 20);
	struct diags d = { 0 };
	struct campaign *c = NULL;
	char why[128];

	newcamp_init(&nc);
	snprintf(nc.id, sizeof(nc.id), "dec");
	snprintf(nc.name, sizeof(nc.name), "Say \"hi\" \\ مرحبا");
	snprintf(nc.account, sizeof(nc.account), "sim-main");
	snprintf(nc.caller_id, sizeof(nc.caller_id), "+12125550100");
	nc.override = 1;
	snprintf(nc.script_text, sizeof(nc.script_text), "Hi {{Name}}\nbye");
	snprintf(nc.audience_file, sizeof(nc.audience_file), "a.csv");
	nc.concurrency = 3;
	newcamp_parse_window(&nc.win_start, &nc.win_end, "08:30-24:00", why, sizeof(why));
	newcamp_parse_days(&nc.days, "mon-fri", why, sizeof(why));
	nc.retries = 2;
	newcamp_parse_cooldown(nc.cooldown, &nc.n_cooldown, "15,60", why, sizeof(why));
	newcamp_parse_outcomes(&nc.retry_on, "busy,voicemail", why, sizeof(why));
	nc.leave_message = 1;
	snprintf(nc.start_at, sizeof(nc.start_at), "2026-12-01T09:00:00+03:00");
	snprintf(nc.created, sizeof(nc.created), "2026-11-25T10:00:00Z");
	CHECK(!newcamp_json(&b, &nc), "campaign.json written");
	CHECK(!campaign_load(&c, "dec", "campaign.json", b.ptr, b.len, NULL, &d) && c,
	      "campaign_load reads it back (%zu errors)", d.errors);
	if (c) {
		CHECK(!strcmp(c->name, nc.name), "name with quotes, backslash, Arabic");
		CHECK(c->desired == WANT_SCHEDULED && c->start_at, "scheduled, with start_at");
		CHECK(c->script_override && !strcmp(c->script_text, nc.script_text),
		      "override text with a newline");
		CHECK(c->n_placeholders == 1 && !strcmp(c->placeholders[0], "name"),
		      "its placeholder");
		CHECK(c->concurrency == 3 && c->retries_max == 2 && c->n_cooldown == 2 &&
		      c->cooldown[1] == 60, "pacing");
		CHECK(c->retry_on == ((1u << OUT_BUSY) | (1u << OUT_VOICEMAIL)), "retry on");
		CHECK(!strcmp(c->window_text, "08:30-24:00 mon,tue,wed,thu,fri"),
		      "window: %s", c->window_text);
		CHECK(c->voicemail == VM_LEAVE_MESSAGE, "voicemail");
	}
	campaign_free(c);
	c = NULL;
	nc.start_at[0] = '\0';
	nc.audience_file[0] = '\0';
	snprintf(nc.segment, sizeof(nc.segment), "vip");
	nc.retries = 0;
	nc.win_start = -1;
	buf_reset(&b);
	newcamp_json(&b, &nc);
	CHECK(!campaign_load(&c, "dec", "campaign.json", b.ptr, b.len, NULL, &d) &&
	      c && c->desired == WANT_DRAFT && c->audience_segment &&
	      !strcmp(c->audience_segment, "vip") && !c->retries_max,
	      "a draft on a segment, no window, no retries");
	CHECK(!strstr(b.ptr, "\"window\"") && !strstr(b.ptr, "\"retries\""),
	      "left-out parts are not written");
	campaign_free(c);
	buf_release(&b);
	diags_release(&d);
}

static void test_author(void)
{
	struct author a;

	CHECK(!author_parse(&a, "Dana Operator <dana@example.com>") &&
	      !strcmp(a.name, "Dana Operator") && !strcmp(a.email, "dana@example.com"),
	      "Name <email>");
	CHECK(author_parse(&a, "dana@example.com"), "no <email>: refused");
	CHECK(author_parse(&a, "<dana@example.com>"), "no name: refused");
	CHECK(author_parse(&a, "Dana <>"), "empty email: refused");
	CHECK(author_parse(&a, "Dana <d@x> trailing"), "text after >: refused");
	CHECK(author_parse(&a, "Da>na <d@x>"), "'>' in the name: refused");
}

static void test_dnc_log(void)
{
	struct dnc_log l = { 0 };
	const char *lines[] = {
		"{\"v\":1,\"ts\":\"2026-11-20T10:00:00Z\",\"phone\":\"+12125550107\",\"action\":\"add\",\"reason\":\"r1\",\"source\":\"s1\"}",
		"{\"v\":1,\"ts\":\"2026-11-21T10:00:00Z\",\"phone\":\"+12125550107\",\"action\":\"remove\",\"reason\":\"r2\"}",
		"{\"v\":1,\"ts\":\"2026-11-19T10:00:00Z\",\"phone\":\"+12125550107\",\"action\":\"add\"}",
		"{\"v\":1,\"ts\":\"2026-11-21T10:00:00Z\",\"phone\":\"+12125550108\",\"action\":\"add\"}",
		"{\"v\":1,\"ts\":\"2026-11-21T10:00:00Z\",\"phone\":\"+12125550108\",\"action\":\"remove\"}",
	};
	const char *bad_ts = "{\"v\":1,\"ts\":\"x\",\"phone\":\"+12125550107\","
			     "\"action\":\"add\"}";
	const char *field, *why;
	const struct dnc_rec *r;
	struct dnc_rec x;
	size_t i;

	for (i = 0; i < 5; i++) {
		if (dnc_log_parse(&x, lines[i], strlen(lines[i]), &field, &why))
			break;
		if (l.n == l.alloc) {
			l.alloc = l.alloc ? l.alloc * 2 : 8;
			l.v = realloc(l.v, l.alloc * sizeof(*l.v));
		}
		x.seq = l.n;
		l.v[l.n++] = x;
	}
	CHECK(l.n == 5, "five lines parsed");
	dnc_log_sort(&l);
	r = dnc_log_latest(&l, phone_key("+12125550107"));
	CHECK(r && !r->add && !strcmp(r->reason, "r2"),
	      "the latest by time wins, not the last line");
	r = dnc_log_latest(&l, phone_key("+12125550108"));
	CHECK(r && !r->add, "same time: the later line wins");
	CHECK(!dnc_log_latest(&l, phone_key("+12125550109")), "an unknown number");
	CHECK(dnc_log_parse(&x, bad_ts, strlen(bad_ts), &field, &why) && field &&
	      !strcmp(field, "ts"),
	      "a bad time names the ts field");
	CHECK(dnc_log_parse(&x, "{\"phone\":\"12125550107\"}", 23, &field, &why) &&
	      field && !strcmp(field, "phone"), "a number without + is refused");
	CHECK(dnc_log_parse(&x, "[1]", 3, &field, &why) && !field,
	      "an array is not an entry");
	dnc_log_release(&l);
}

int main(void)
{
	test_slug();
	test_parsers();
	test_json();
	test_author();
	test_dnc_log();
	return finish();
}
