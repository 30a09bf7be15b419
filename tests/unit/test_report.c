/* report's and export's pure helpers: HTML escaping, link checks, CSV cells, progress. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvout.h"
#include "html.h"
#include "state.h"
#include "summary.h"
#include "tap.h"

static char *esc(const char *s)
{
	static char out[512];
	struct buf b = BUF_INIT(1024);

	html_put(&b, s);
	snprintf(out, sizeof(out), "%s", b.ptr ? b.ptr : "");
	buf_release(&b);
	return out;
}

static char *cell(const char *s)
{
	static char out[512];
	struct buf b = BUF_INIT(1024);

	csvout_field(&b, s);
	snprintf(out, sizeof(out), "%s", b.ptr ? b.ptr : "");
	buf_release(&b);
	return out;
}

static void test_html(void)
{
	struct buf b = BUF_INIT(8);

	CHECK(!strcmp(esc("<script>alert(1)</script>"),
		      "&lt;script&gt;alert(1)&lt;/script&gt;"), "script tag is text");
	CHECK(!strcmp(esc("a\"b'c&d"), "a&quot;b&#39;c&amp;d"),
	      "quotes and ampersand (safe in attributes)");
	CHECK(!strcmp(esc("x\x01y\x7fz\tw\n"), "xyz\tw\n"), "control bytes dropped");
	CHECK(!strcmp(esc("استطلاع"), "استطلاع"), "UTF-8 untouched");
	CHECK(!strcmp(esc(""), ""), "empty");
	CHECK(html_put(&b, "<<<<<<<<") != 0, "the buffer's cap is kept");
	buf_release(&b);
	CHECK(html_url_ok("https://rec.example.com/a.mp3?x=1&y=2"), "https link");
	CHECK(html_url_ok("HTTP://host/x"), "http, any case");
	CHECK(!html_url_ok("javascript:alert(1)"), "javascript: refused");
	CHECK(!html_url_ok(" https://x"), "leading space refused");
	CHECK(!html_url_ok("https://x y"), "inner space refused");
	CHECK(!html_url_ok("data:text/html,<b>"), "data: refused");
	CHECK(!html_url_ok("https:///path"), "no host refused");
	CHECK(!html_url_ok("//evil.example/x"), "scheme-relative refused");
	CHECK(!html_url_ok(NULL), "NULL refused");
}

static void test_csv(void)
{
	CHECK(!strcmp(cell("Ann"), "\"Ann\""), "plain value quoted");
	CHECK(!strcmp(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\""),
	      "formula prefixed, quotes doubled");
	CHECK(!strcmp(cell("+14155550100"), "\"'+14155550100\""), "phone prefixed");
	CHECK(!strcmp(cell("-2+3"), "\"'-2+3\""), "minus");
	CHECK(!strcmp(cell("@SUM(A1)"), "\"'@SUM(A1)\""), "at sign");
	CHECK(!strcmp(cell("\tx"), "\"'\tx\""), "tab");
	CHECK(!strcmp(cell("\rx"), "\"'\rx\""), "carriage return");
	CHECK(!strcmp(cell("a,b\nc"), "\"a,b\nc\""), "comma and newline inside quotes");
	CHECK(!strcmp(cell("x=1"), "\"x=1\""), "= later in the value is fine");
	CHECK(!strcmp(cell(""), "\"\""), "empty");
	CHECK(csvout_risky("=1") && !csvout_risky("1=") && !csvout_risky(""),
	      "csvout_risky");
}

static void test_progress(void)
{
	struct campaign c;
	struct cstate s;
	struct rstate r[6];
	struct progress p;

	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	memset(r, 0, sizeof(r));
	c.retries_max = 1;
	c.retry_on = 1u << OUT_NO_ANSWER;
	c.n_cooldown = 1;
	c.cooldown[0] = 10;
	s.r = r;
	s.n = 6;
	/* 0: never dialed: queued */
	/* 1: in flight */
	r[1].dispatched = 1u << 1;
	/* 2: connected: completed */
	r[2].dispatched = r[2].done = 1u << 1;
	r[2].last_attempt = 1;
	r[2].last_outcome = OUT_CONNECTED;
	/* 3: no answer, a retry left: queued */
	r[3].dispatched = r[3].done = 1u << 1;
	r[3].last_attempt = 1;
	r[3].last_outcome = OUT_NO_ANSWER;
	r[3].last_end = 1000;
	/* 4: invalid number: failed */
	r[4].dispatched = r[4].done = 1u << 1;
	r[4].last_attempt = 1;
	r[4].last_outcome = OUT_FAILED;
	r[4].dead = 1;
	/* 5: DNC: skipped */
	r[5].skipped = 1;
	summary_progress(&p, &c, &s, 2000);
	CHECK(p.queued == 2 && p.in_flight == 1 && p.completed == 1 &&
	      p.failed == 1 && p.skipped == 1,
	      "every recipient in one bucket (q%zu f%zu c%zu x%zu s%zu)",
	      p.queued, p.in_flight, p.completed, p.failed, p.skipped);
}

int main(void)
{
	test_html();
	test_csv();
	test_progress();
	return finish();
}
