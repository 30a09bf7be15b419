/*
 * Unit tests for state derived from hand-written log lines (state_apply),
 * eligibility (in flight, cool-down ladder, retries, rate limits, skips),
 * selection (slots, audience order, DNC, expiry, windows), the effective
 * status, attempt ids and the rendered script. Pure: no files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "caps.h"
#include "campaign.h"
#include "dnc.h"
#include "err.h"
#include "ledger.h"
#include "phone.h"
#include "render.h"
#include "select.h"
#include "state.h"
#include "util.h"

#include "tap.h"

static time_t at(const char *s)
{
	time_t t = 0;

	if (time_parse_rfc3339(&t, s))
		printf("# bad time in the test: %s\n", s);
	return t;
}

static void __attribute__((format(printf, 2, 3)))
ap(struct cstate *s, const char *fmt, ...)
{
	char line[2048];
	va_list va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	state_apply(s, line, strlen(line));
}

/* Log lines for recipient +1212555010<i>, attempt n. */
#define PH "+121255501"
#define DISPATCHED(s, ts, i, n)                                               \
	ap(s, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"s\",\"event\":\"dispatched\","\
	   "\"attempt_id\":\"s.121255501%02d.%d\",\"phone\":\"" PH "%02d\","  \
	   "\"row\":%d,\"attempt\":%d,\"account\":\"a\",\"caller_id\":"       \
	   "\"+12125550000\"}", ts, i, n, i, i + 2, n)
#define PLACED(s, ts, i, n, call)                                             \
	ap(s, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"s\",\"event\":\"placed\","   \
	   "\"attempt_id\":\"s.121255501%02d.%d\",\"call_id\":\"%s\"}", ts, i, n, \
	   call)
#define OUTCOME(s, ts, i, n, what, extra)                                     \
	ap(s, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"s\",\"event\":\"outcome\","  \
	   "\"attempt_id\":\"s.121255501%02d.%d\",\"call_id\":\"c%d\","         \
	   "\"outcome\":\"%s\",\"duration_s\":12,\"connected\":false,"           \
	   "\"answered\":false%s}", ts, i, n, i, what, extra)

static struct campaign *C;
static struct audience *A;

static const char campaign_json[] =
	"{\"name\": \"s\", \"status\": \"scheduled\",\n"
	" \"start_at\": \"2026-11-24T09:00:00Z\", \"end_at\": \"2026-12-01T00:00:00Z\",\n"
	" \"account\": \"a\", \"audience\": {\"csv\": \"a.csv\"},\n"
	" \"script\": {\"mode\": \"override\", \"text\": \"Hi {{ Name }}, {{amount}} is due.\"},\n"
	" \"pacing\": {\"concurrency\": 3,\n"
	"   \"retries\": {\"max\": 2, \"cooldown_minutes\": [30, 120], \"on\": [\"no_answer\", \"busy\"]}}}\n";

static int setup(void)
{
	struct diags d = { 0 };
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };
	char csv[2048];
	size_t n;
	int i, rc;

	if (campaign_load(&C, "s", "campaign.json", campaign_json,
			  strlen(campaign_json), NULL, &d)) {
		printf("Bail out! the campaign does not load: %s\n",
		       d.n ? d.v[0].msg : "?");
		return -1;
	}
	o.campaign = C;
	n = (size_t)snprintf(csv, sizeof(csv), "phone,name,amount\n");
	for (i = 0; i < 10; i++)
		n += (size_t)snprintf(csv + n, sizeof(csv) - n, PH "%02d,N%d,$%d\n",
				      i, i, i);
	rc = audience_read(&A, "a.csv", csv, n, &o, &d);
	if (rc || A->n != 10) {
		printf("Bail out! the audience does not load\n");
		return -1;
	}
	diags_release(&d);
	return 0;
}

static const char *elig_name(enum elig e)
{
	static const char *const names[] = { "now", "wait", "inflight", "terminal" };
	return names[e];
}

#define ELIG(s, i, now_s, want, want_when)                                    \
	do {                                                                  \
		time_t w_ = 0, now_ = at(now_s);                              \
		enum elig e_ = rstate_eligible(C, &(s)->r[i], now_, &w_);     \
		CHECK(e_ == (want) && (!(want_when) || w_ == at(want_when)),  \
		      "recipient %d at %s: %s%s%s (got %s)", i, now_s + 11,   \
		      elig_name(want), (want_when) ? " until " : "",          \
		      (want_when) ? (const char *)(want_when) + 11 : "",      \
		      elig_name(e_));                                         \
	} while (0)

static void first_wave(struct cstate *s)
{
	/* 0: claimed and placed, no outcome yet */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 0, 1);
	PLACED(s, "2026-11-24T10:00:05Z", 0, 1, "CA0");
	/* 1: no answer */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 1, 1);
	PLACED(s, "2026-11-24T10:00:05Z", 1, 1, "CA1");
	OUTCOME(s, "2026-11-24T10:01:00Z", 1, 1, "no_answer", "");
	/* 2: the webhook's outcome was ingested before placed and dispatched */
	OUTCOME(s, "2026-11-24T10:05:00Z", 2, 1, "connected", "");
	PLACED(s, "2026-11-24T10:00:05Z", 2, 1, "CA2");
	DISPATCHED(s, "2026-11-24T10:00:00Z", 2, 1);
	/* 3: busy, then a duplicate outcome that must not win */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 3, 1);
	OUTCOME(s, "2026-11-24T10:03:00Z", 3, 1, "busy", "");
	OUTCOME(s, "2026-11-24T10:04:00Z", 3, 1, "connected", "");
	/* 4: rate limited: does not count */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 4, 1);
	OUTCOME(s, "2026-11-24T10:02:00Z", 4, 1, "failed",
		",\"error\":{\"kind\":\"rate_limited\",\"code\":\"429\",\"message\":\"slow down\"}");
	/* 5: voicemail is not retried by this campaign */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 5, 1);
	OUTCOME(s, "2026-11-24T10:02:00Z", 5, 1, "voicemail", "");
	/* 6: skipped with its own row; 7: a skip for another row is not its */
	ap(s, "{\"v\":1,\"ts\":\"2026-11-24T10:00:00Z\",\"campaign\":\"s\","
	   "\"event\":\"skipped\",\"phone\":\"" PH "06\",\"row\":8,\"reason\":\"dnc\"}");
	ap(s, "{\"v\":1,\"ts\":\"2026-11-24T10:00:00Z\",\"campaign\":\"s\","
	   "\"event\":\"skipped\",\"phone\":\"" PH "07\",\"row\":3,\"reason\":\"dnc\"}");
	/* 8: the number does not exist */
	DISPATCHED(s, "2026-11-24T10:00:00Z", 8, 1);
	OUTCOME(s, "2026-11-24T10:00:30Z", 8, 1, "failed",
		",\"error\":{\"kind\":\"invalid_number\",\"code\":\"21211\",\"message\":\"x\"}");
	/* 9: never touched */
}

static void test_state(void)
{
	struct cstate s;
	size_t i, inflight = 0;

	CHECK(state_init(&s, A) == 0 && s.n == 10, "state_init");
	first_wave(&s);
	for (i = 0; i < s.n; i++)
		inflight += RS_INFLIGHT(&s.r[i]) != 0;
	CHECK(inflight == 1 && RS_INFLIGHT(&s.r[0]), "one call in flight (%zu)", inflight);
	CHECK(state_call_id(&s, 0, 1) && !strcmp(state_call_id(&s, 0, 1), "CA0"),
	      "the call id of the placed attempt in flight");
	CHECK(!state_call_id(&s, 0, 2) && !state_call_id(&s, 9, 1) &&
	      !state_call_id(&s, 3, 1), "no call id for attempts never placed");
	CHECK(s.bad_lines == 0 && s.unknown == 0, "no bad lines");
	CHECK(s.n_outcomes == 6 && s.n_dispatched == 7 && s.n_skipped == 2,
	      "counters: %zu outcomes, %zu dispatched, %zu skipped", s.n_outcomes,
	      s.n_dispatched, s.n_skipped);
	CHECK(s.n_connected == 1 && s.n_noanswer == 3 && s.n_provider_failed == 2,
	      "outcome counters (connected %zu, no answer %zu, failed %zu)",
	      s.n_connected, s.n_noanswer, s.n_provider_failed);
	CHECK(rstate_attempts(&s.r[1]) == 1 && rstate_attempts(&s.r[4]) == 0 &&
	      rstate_attempts(&s.r[9]) == 0, "attempts: 1 for no answer, 0 for rate limited");
	CHECK(s.r[3].last_outcome == OUT_BUSY, "the first outcome of an attempt stands");
	CHECK(s.r[2].last_outcome == OUT_CONNECTED && s.r[2].placed == (1u << 1) &&
	      s.r[2].done == (1u << 1), "out-of-order events make one finished attempt");
	CHECK(s.first_ts == at("2026-11-24T10:00:00Z") &&
	      s.last_ts == at("2026-11-24T10:05:00Z"), "first and last ts");
	CHECK(state_find(&s, phone_key(PH "07")) == 7 && state_find(&s, 1) == -1 &&
	      state_find(&s, 0) == -1, "state_find");

	ELIG(&s, 0, "2026-11-24T10:20:00Z", EL_INFLIGHT, NULL);
	ELIG(&s, 1, "2026-11-24T10:20:00Z", EL_WAIT, "2026-11-24T10:31:00Z");
	ELIG(&s, 1, "2026-11-24T10:31:00Z", EL_NOW, NULL);
	ELIG(&s, 2, "2026-11-24T10:20:00Z", EL_TERMINAL, NULL);
	ELIG(&s, 3, "2026-11-24T10:20:00Z", EL_WAIT, "2026-11-24T10:33:00Z");
	ELIG(&s, 4, "2026-11-24T10:02:30Z", EL_WAIT, "2026-11-24T10:03:00Z");
	ELIG(&s, 4, "2026-11-24T10:03:00Z", EL_NOW, NULL);
	ELIG(&s, 5, "2026-11-24T10:20:00Z", EL_TERMINAL, NULL);
	ELIG(&s, 6, "2026-11-24T10:20:00Z", EL_TERMINAL, NULL);
	ELIG(&s, 7, "2026-11-24T10:20:00Z", EL_NOW, NULL);
	ELIG(&s, 8, "2026-11-24T10:20:00Z", EL_TERMINAL, NULL);
	ELIG(&s, 9, "2026-11-24T10:20:00Z", EL_NOW, NULL);

	/* recipient 1 through its ladder: 30 min, then 120 min, then done */
	DISPATCHED(&s, "2026-11-24T10:31:00Z", 1, 2);
	ELIG(&s, 1, "2026-11-24T10:31:10Z", EL_INFLIGHT, NULL);
	OUTCOME(&s, "2026-11-24T10:32:00Z", 1, 2, "busy", "");
	CHECK(rstate_attempts(&s.r[1]) == 2, "two attempts counted");
	ELIG(&s, 1, "2026-11-24T12:31:59Z", EL_WAIT, "2026-11-24T12:32:00Z");
	ELIG(&s, 1, "2026-11-24T12:32:00Z", EL_NOW, NULL);
	DISPATCHED(&s, "2026-11-24T12:32:00Z", 1, 3);
	OUTCOME(&s, "2026-11-24T12:33:00Z", 1, 3, "no_answer", "");
	ELIG(&s, 1, "2026-11-25T12:00:00Z", EL_TERMINAL, NULL);
	/* a late outcome of an older attempt does not change the newest */
	OUTCOME(&s, "2026-11-24T12:40:00Z", 1, 1, "connected", "");
	CHECK(s.r[1].last_attempt == 3 && s.r[1].last_outcome == OUT_NO_ANSWER,
	      "the newest attempt's outcome is the last outcome");

	/* recipient 4: rate limited again and again never counts, but ends */
	for (i = 2; i <= ATTEMPTS_MAX; i++) {
		char ts[32];
		snprintf(ts, sizeof(ts), "2026-11-24T11:%02zu:00Z", i);
		DISPATCHED(&s, ts, 4, (int)i);
		OUTCOME(&s, ts, 4, (int)i, "failed",
			",\"error\":{\"kind\":\"transient\",\"code\":\"x\",\"message\":\"x\"}");
	}
	CHECK(rstate_attempts(&s.r[4]) == 0, "free attempts never count");
	ELIG(&s, 4, "2026-11-25T00:00:00Z", EL_TERMINAL, NULL);
	CHECK(!state_all_terminal(C, &s, at("2026-11-25T00:00:00Z")),
	      "not all terminal while some are eligible");
	state_release(&s);
}

static void test_bad_lines(void)
{
	struct cstate s;
	static const char notnul[] = "{\"v\":1,\"ts\":\"2026-11-24T10:00:00Z\","
		"\"event\":\"dispatched\",\"attempt_id\":\"s.12125550109.1\"}GARBAGE";

	state_init(&s, A);
	ap(&s, "not json");
	ap(&s, "{}");
	ap(&s, "{\"event\":\"dispatched\",\"attempt_id\":\"s.12125550100.1\"}");
	ap(&s, "{\"event\":\"placed\",\"ts\":\"2026-11-24T10:00:00\"}");
	ap(&s, "{\"event\":7,\"ts\":\"2026-11-24T10:00:00Z\"}");
	ap(&s, "[1,2,3]");
	CHECK(s.bad_lines == 6 && s.events == 6, "malformed lines are counted (%zu)",
	      s.bad_lines);
	ap(&s, "{\"event\":\"party\",\"ts\":\"2026-11-24T10:00:00Z\"}");
	ap(&s, "{\"event\":\"dispatched\",\"ts\":\"2026-11-24T10:00:00Z\","
	   "\"attempt_id\":\"s.19999999999.1\"}");
	ap(&s, "{\"event\":\"dispatched\",\"ts\":\"2026-11-24T10:00:00Z\","
	   "\"attempt_id\":\"garbage\"}");
	ap(&s, "{\"event\":\"dispatched\",\"ts\":\"2026-11-24T10:00:00Z\","
	   "\"attempt_id\":\"s.12125550100.16\"}");
	ap(&s, "{\"event\":\"outcome\",\"ts\":\"2026-11-24T10:00:00Z\"}");
	CHECK(s.unknown == 5, "unknown events and attempts are counted (%zu)", s.unknown);
	ap(&s, "{\"event\":\"skipped\",\"ts\":\"2026-11-24T10:00:00Z\",\"row\":1e300,"
	   "\"phone\":\"+1\"}");
	ap(&s, "{\"event\":\"skipped\",\"ts\":\"2026-11-24T10:00:00Z\",\"row\":-5}");
	CHECK(s.n_skipped == 2, "skips with odd rows are harmless");
	/* a line need not be NUL-terminated */
	state_apply(&s, notnul, sizeof(notnul) - 1 - 7);
	CHECK(s.r[9].dispatched == (1u << 1), "state_apply honours len");
	/* with no audience, everything is unknown and nothing crashes */
	state_release(&s);
	CHECK(state_init(&s, NULL) == 0 && s.n == 0, "state_init without an audience");
	DISPATCHED(&s, "2026-11-24T10:00:00Z", 1, 1);
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:00:00Z\",\"event\":\"skipped\","
	   "\"phone\":\"" PH "06\",\"row\":8}");
	CHECK(s.unknown == 1 && s.n_skipped == 1, "no audience: events are unknown");
	state_release(&s);
}

static void test_status(void)
{
	struct cstate s;
	struct campaign c = *C;

	state_init(&s, A);
	CHECK(state_effective(C, &s, at("2026-11-24T08:59:59Z")) == ST_SCHEDULED,
	      "scheduled before start_at");
	CHECK(state_effective(C, &s, at("2026-11-24T09:00:00Z")) == ST_DIALING,
	      "dialing from start_at");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:00:00Z\",\"event\":\"status\","
	   "\"status\":\"dialing\",\"reason\":\"start_at\"}");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T11:00:00Z\",\"event\":\"status\","
	   "\"status\":\"paused\",\"reason\":\"breaker: 5 provider failures\"}");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T08:00:00Z\",\"event\":\"status\","
	   "\"status\":\"completed\",\"reason\":\"old\"}");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T12:00:00Z\",\"event\":\"status\","
	   "\"status\":\"exploded\"}");
	CHECK(s.logged == ST_PAUSED && !strcmp(s.logged_reason, "breaker: 5 provider failures"),
	      "the newest known status is logged");
	CHECK(state_effective(C, &s, at("2026-11-24T13:00:00Z")) == ST_PAUSED,
	      "a breaker pause holds");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T12:30:00Z\",\"event\":\"status\","
	   "\"status\":\"paused\",\"reason\":\"by hand\"}");
	CHECK(state_effective(C, &s, at("2026-11-24T13:00:00Z")) == ST_DIALING,
	      "a logged pause that is not the breaker's does not hold");
	c.desired = WANT_PAUSED;
	CHECK(state_effective(&c, &s, at("2026-11-24T13:00:00Z")) == ST_PAUSED,
	      "desired paused");
	c.desired = WANT_DRAFT;
	CHECK(state_effective(&c, &s, at("2026-11-24T13:00:00Z")) == ST_DRAFT,
	      "desired draft");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T14:00:00Z\",\"event\":\"status\","
	   "\"status\":\"completed\",\"reason\":\"done\"}");
	CHECK(state_effective(&c, &s, at("2026-11-24T15:00:00Z")) == ST_COMPLETED,
	      "completed is final whatever campaign.json says");
	CHECK(status_parse("failed") == ST_FAILED && status_parse("x") == ST_NONE &&
	      status_parse(NULL) == ST_NONE, "status_parse");
	state_release(&s);
	/* two files of the same second replay in the order of their tags */
	state_init(&s, A);
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T15:00:00Z\",\"event\":\"status\","
	   "\"status\":\"failed\",\"reason\":\"provider rejected the campaign\"}");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T15:00:00Z\",\"event\":\"status\","
	   "\"status\":\"dialing\",\"reason\":\"start_at reached\"}");
	CHECK(s.logged == ST_FAILED &&
	      !strcmp(s.logged_reason, "provider rejected the campaign"),
	      "in the same second, failed beats dialing logged after it");
	state_release(&s);
}

/*
 * A Failed campaign resumed: attempts refused with the campaign (rejected,
 * auth) end their recipients until a resumption newer than the refusal,
 * in either order of lines; a reached recipient stays final.
 */
static void test_resume_failed(void)
{
	static const char *const resume =
		"{\"v\":1,\"ts\":\"2026-11-24T11:00:00Z\",\"event\":\"status\","
		"\"status\":\"dialing\",\"reason\":\"resumed after failed by O <o@x>\"}";
	struct cstate s;
	int order;

	for (order = 0; order < 2; order++) {
		state_init(&s, A);
		if (order)
			ap(&s, "%s", resume);
		DISPATCHED(&s, "2026-11-24T10:00:00Z", 0, 1);
		OUTCOME(&s, "2026-11-24T10:02:00Z", 0, 1, "connected", "");
		DISPATCHED(&s, "2026-11-24T10:10:00Z", 1, 1);
		OUTCOME(&s, "2026-11-24T10:10:00Z", 1, 1, "failed",
			",\"error\":{\"kind\":\"rejected\",\"code\":\"21210\"}");
		DISPATCHED(&s, "2026-11-24T10:10:00Z", 2, 1);
		OUTCOME(&s, "2026-11-24T10:10:00Z", 2, 1, "failed",
			",\"error\":{\"kind\":\"auth\",\"code\":\"20003\"}");
		ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:10:00Z\",\"event\":\"status\","
		   "\"status\":\"failed\",\"reason\":\"provider rejected the campaign\"}");
		if (!order) {
			CHECK(s.r[1].dead == RS_DEAD_CAMPAIGN &&
			      s.r[2].dead == RS_DEAD_CAMPAIGN &&
			      state_effective(C, &s, at("2026-11-24T10:30:00Z")) == ST_FAILED,
			      "refused with the campaign: ended with it, Failed");
			ELIG(&s, 1, "2026-11-24T10:30:00Z", EL_TERMINAL, NULL);
			ap(&s, "%s", resume);
		}
		CHECK(state_effective(C, &s, at("2026-11-24T11:00:00Z")) == ST_DIALING,
		      "resumed after failed: Dialing (%s first)",
		      order ? "resumption" : "failure");
		ELIG(&s, 0, "2026-11-24T11:00:00Z", EL_TERMINAL, NULL);
		ELIG(&s, 1, "2026-11-24T11:00:00Z", EL_NOW, NULL);
		ELIG(&s, 2, "2026-11-24T11:00:00Z", EL_NOW, NULL);
		CHECK(rstate_attempts(&s.r[1]) == 0 && rstate_attempts(&s.r[0]) == 1,
		      "the refused attempt no longer counts, the reached one does");
		/* refused again after the resumption: ended again */
		DISPATCHED(&s, "2026-11-24T11:05:00Z", 1, 2);
		OUTCOME(&s, "2026-11-24T11:05:00Z", 1, 2, "failed",
			",\"error\":{\"kind\":\"rejected\",\"code\":\"21210\"}");
		ELIG(&s, 1, "2026-11-24T11:30:00Z", EL_TERMINAL, NULL);
		state_release(&s);
	}
}

static void test_select(void)
{
	struct cstate s;
	struct select_in in;
	struct select_out out;
	uint8_t open = 1;
	uint64_t keys[1];
	struct dnc dnc = { keys, 1, 1 };

	state_init(&s, A);
	first_wave(&s);
	memset(&in, 0, sizeof(in));
	in.c = C;
	in.a = A;
	in.s = &s;
	in.place_open = &open;
	in.now = at("2026-11-24T10:20:00Z");
	in.slots = 2;
	CHECK(select_batch(&out, &in) == 0, "select_batch");
	CHECK(out.n_pick == 2 && out.pick[0] == 4 && out.pick[1] == 7,
	      "picks the first eligible in audience order, up to the slots");
	CHECK(out.eligible == 3 && out.in_flight == 1 && out.terminal == 4 &&
	      out.waiting_cooldown == 2 && out.waiting_window == 0,
	      "where everyone stands (eligible %zu, in flight %zu, terminal %zu, "
	      "cool-down %zu)", out.eligible, out.in_flight, out.terminal,
	      out.waiting_cooldown);
	CHECK(out.next_cooldown == at("2026-11-24T10:31:00Z"),
	      "the earliest cool-down end");
	select_release(&out);

	keys[0] = phone_key(PH "07");
	in.dnc = &dnc;
	in.slots = 10;
	select_batch(&out, &in);
	CHECK(out.n_dnc_skip == 1 && out.dnc_skip[0] == 7 && out.n_pick == 2 &&
	      out.pick[0] == 4 && out.pick[1] == 9, "a DNC number is skipped, not picked");
	select_release(&out);
	keys[0] = phone_key(PH "00");
	select_batch(&out, &in);
	CHECK(out.n_dnc_skip == 0 && out.in_flight == 1,
	      "a call in flight is not cut by the DNC list");
	select_release(&out);
	in.dnc = NULL;

	in.slots = 0;
	select_batch(&out, &in);
	CHECK(out.n_pick == 0 && out.eligible == 3, "no slots: nothing picked");
	select_release(&out);

	open = 0;
	in.slots = 5;
	select_batch(&out, &in);
	CHECK(out.n_pick == 0 && out.waiting_window == 3,
	      "a closed window: everyone eligible waits");
	select_release(&out);
	open = 1;

	in.now = at("2026-12-01T00:00:00Z");
	select_batch(&out, &in);
	CHECK(out.n_expired == 5 && out.expired[0] == 1 && out.expired[4] == 9 &&
	      out.n_pick == 0, "after end_at the rest expire (%zu)", out.n_expired);
	select_release(&out);

	/* more eligible than the 16 the first allocation holds */
	state_release(&s);
	state_init(&s, A);
	in.now = at("2026-11-24T10:20:00Z");
	in.slots = 100;
	select_batch(&out, &in);
	CHECK(out.n_pick == 10 && out.pick[9] == 9, "picks all ten when slots allow");
	select_release(&out);
	state_release(&s);
}

static int admit_calls;
static int admit_odd(void *ctx, uint32_t i)
{
	(void)ctx;
	admit_calls++;
	return i % 2 == 1;
}

/* PLACE_NEVER skips, caps make a recipient wait, retries wait for windows. */
static void test_select_rules(void)
{
	struct cstate s;
	struct select_in in;
	struct select_out out;
	uint8_t open = PLACE_NEVER;

	state_init(&s, A);
	first_wave(&s);
	memset(&in, 0, sizeof(in));
	in.c = C;
	in.a = A;
	in.s = &s;
	in.place_open = &open;
	in.now = at("2026-11-24T10:20:00Z");
	in.slots = 10;
	select_batch(&out, &in);
	/* non-terminal and not in flight: 1 and 3 (cool-down), 4, 7, 9 */
	CHECK(out.n_never == 5 && out.n_pick == 0 && out.in_flight == 1 &&
	      out.never[0] == 1 && out.never[4] == 9,
	      "a place that never opens before the end: the rest are skipped (%zu)",
	      out.n_never);
	select_release(&out);

	/* caps: the admit callback decides, and a capped recipient waits */
	open = PLACE_OPEN;
	in.admit = admit_odd;
	admit_calls = 0;
	select_batch(&out, &in);
	CHECK(out.n_pick == 2 && out.pick[0] == 7 && out.pick[1] == 9 &&
	      out.waiting_cap == 1 && admit_calls == 3,
	      "capped recipients wait (%zu picked, %zu capped, %d asked)",
	      out.n_pick, out.waiting_cap, admit_calls);
	select_release(&out);
	in.slots = 1;
	admit_calls = 0;
	select_batch(&out, &in);
	CHECK(out.n_pick == 1 && admit_calls == 2,
	      "caps are asked only while there is a slot (%d)", admit_calls);
	select_release(&out);
	in.admit = NULL;
	in.slots = 10;

	/* recipient 1's retry is due at 10:31 but its window is closed: waits */
	open = PLACE_CLOSED;
	in.now = at("2026-11-24T10:31:00Z");
	select_batch(&out, &in);
	CHECK(out.n_pick == 0 && out.waiting_window == 4 && out.n_never == 0,
	      "a due retry never starts outside the window (%zu waiting)",
	      out.waiting_window);
	select_release(&out);
	open = PLACE_OPEN;
	select_batch(&out, &in);
	CHECK(out.n_pick == 4 && out.pick[0] == 1, "it starts when the window opens");
	select_release(&out);
	state_release(&s);
}

/* Attempt n of recipient i failed at the provider (or not). */
static void attempt(struct cstate *s, int i, int n, const char *ts, int fail)
{
	DISPATCHED(s, ts, i, n);
	if (fail)
		OUTCOME(s, ts, i, n, "failed",
			",\"error\":{\"kind\":\"transient\",\"code\":\"503\",\"message\":\"down\"}");
	else
		OUTCOME(s, ts, i, n, "no_answer", "");
}

static void test_breaker(void)
{
	struct cstate s;
	int failed = 0, of = 0, k;

	state_init(&s, A);
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T09:00:00Z\",\"event\":\"status\","
	   "\"status\":\"dialing\",\"reason\":\"start_at reached\"}");
	/* 19 attempts, all failed: fewer than 20, no verdict yet */
	for (k = 0; k < 19; k++)
		attempt(&s, k % 10, k / 10 + 1, "2026-11-24T10:00:00Z", 1);
	CHECK(!state_breaker(&s, &failed, &of), "19 failures of 19: too few attempts");
	attempt(&s, 9, 2, "2026-11-24T10:01:00Z", 0);
	CHECK(state_breaker(&s, &failed, &of) && failed == 19 && of == 20,
	      "19 of the last 20 failed: trips (%d of %d)", failed, of);
	state_forget(&s);
	/* alternate: 10 of 20 trips, 9 of 20 does not */
	for (k = 0; k < 20; k++)
		attempt(&s, k % 10, k / 10 + 1, "2026-11-24T10:00:00Z", k % 2);
	CHECK(state_breaker(&s, &failed, &of) && failed == 10,
	      "exactly half of the last 20: trips (%d)", failed);
	attempt(&s, 0, 3, "2026-11-24T10:02:00Z", 0);
	attempt(&s, 1, 3, "2026-11-24T10:02:00Z", 0);
	CHECK(!state_breaker(&s, &failed, &of) && failed == 9,
	      "9 of the last 20: holds (%d)", failed);
	/* the number's own fault is not the provider's */
	state_forget(&s);
	for (k = 0; k < 20; k++) {
		DISPATCHED(&s, "2026-11-24T10:00:00Z", k % 10, k / 10 + 1);
		OUTCOME(&s, "2026-11-24T10:00:00Z", k % 10, k / 10 + 1, "failed",
			",\"error\":{\"kind\":\"invalid_number\",\"code\":\"x\",\"message\":\"x\"}");
	}
	CHECK(!state_breaker(&s, &failed, &of) && failed == 0,
	      "invalid numbers do not trip the breaker");
	/* the pause holds until a status that is not the breaker's; that
	 * status starts the count afresh */
	state_forget(&s);
	for (k = 0; k < 20; k++)
		attempt(&s, k % 10, k / 10 + 1, "2026-11-24T10:00:00Z", 1);
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:05:00Z\",\"event\":\"status\","
	   "\"status\":\"paused\",\"reason\":\"" BREAKER_PREFIX " 20 of the last 20\"}");
	CHECK(state_breaker_paused(&s) && state_breaker(&s, &failed, &of) &&
	      state_effective(C, &s, at("2026-11-24T11:00:00Z")) == ST_PAUSED,
	      "the breaker's pause holds while campaign.json says scheduled");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T11:00:00Z\",\"event\":\"status\","
	   "\"status\":\"dialing\",\"reason\":\"resumed by ops@example.com\"}");
	CHECK(!state_breaker_paused(&s) && !state_breaker(&s, &failed, &of) &&
	      state_effective(C, &s, at("2026-11-24T11:01:00Z")) == ST_DIALING,
	      "a resume status clears it and restarts the count");
	state_release(&s);
}

/* A recipient's claims, found through its chain, within a period. */
static void test_claims(void)
{
	struct cstate s;
	time_t now = at("2026-11-24T12:00:00Z");
	size_t upto;

	state_init(&s, A);
	DISPATCHED(&s, "2026-11-23T12:00:00Z", 1, 1); /* exactly 24 h ago: out */
	DISPATCHED(&s, "2026-11-24T08:00:00Z", 2, 1); /* another recipient */
	DISPATCHED(&s, "2026-11-24T09:00:00Z", 1, 2);
	/* a duplicated claim line counts as a claim */
	DISPATCHED(&s, "2026-11-24T09:00:00Z", 1, 2);
	upto = s.ndl;
	DISPATCHED(&s, "2026-11-24T11:00:00Z", 1, 3); /* after the snapshot */
	CHECK(state_claims(&s, 1, upto, now - 86400, now) == 2,
	      "recipient 1: 2 claims in (now - 24 h, now] of those loaded (%zu)",
	      state_claims(&s, 1, upto, now - 86400, now));
	CHECK(state_claims(&s, 1, s.ndl, now - 86400, now) == 3 &&
	      state_claims(&s, 1, s.ndl, now - 7 * 86400, now) == 4 &&
	      state_claims(&s, 1, s.ndl, now - 86400, now - 3600 * 2) == 2,
	      "all of them; a longer period; a period ending earlier");
	CHECK(state_claims(&s, 2, s.ndl, now - 86400, now) == 1 &&
	      state_claims(&s, 3, s.ndl, now - 86400, now) == 0 &&
	      state_claims(&s, 999, s.ndl, now - 86400, now) == 0,
	      "another recipient; one never claimed; an index out of range");
	/* a corrupt link (pointing forwards) ends the walk */
	s.dl[0].prev = 3;
	CHECK(state_claims(&s, 1, s.ndl, now - 7 * 86400, now) == 4,
	      "a link that does not point backwards ends the walk");
	state_release(&s);
}

/* Recipients in flight: counted and listed as the log goes, no scan. */
static void test_in_flight(void)
{
	struct cstate s;
	const uint32_t *v;
	size_t n;

	state_init(&s, A);
	DISPATCHED(&s, "2026-11-24T10:00:00Z", 3, 1);
	DISPATCHED(&s, "2026-11-24T10:00:00Z", 1, 1);
	PLACED(&s, "2026-11-24T10:00:05Z", 1, 1, "CA1");
	state_in_flight_list(&s, &v, &n);
	CHECK(state_in_flight(&s) == 2 && n == 2 && v[0] == 1 && v[1] == 3,
	      "two in flight, listed in audience order (%zu: %u %u)", n,
	      n > 0 ? v[0] : 0, n > 1 ? v[1] : 0);
	OUTCOME(&s, "2026-11-24T10:01:00Z", 1, 1, "no_answer", "");
	OUTCOME(&s, "2026-11-24T10:01:00Z", 1, 1, "busy", ""); /* a repeat */
	state_in_flight_list(&s, &v, &n);
	CHECK(state_in_flight(&s) == 1 && n == 1 && v[0] == 3,
	      "an outcome ends one; a repeated outcome changes nothing");
	DISPATCHED(&s, "2026-11-24T11:00:00Z", 1, 2);
	DISPATCHED(&s, "2026-11-24T11:00:00Z", 1, 3); /* two at once */
	OUTCOME(&s, "2026-11-24T11:01:00Z", 1, 2, "busy", "");
	state_in_flight_list(&s, &v, &n);
	CHECK(state_in_flight(&s) == 2 && n == 2 && v[0] == 1 && v[1] == 3,
	      "in flight again (once, though listed twice), while one of two "
	      "attempts is open");
	OUTCOME(&s, "2026-11-24T11:02:00Z", 1, 3, "busy", "");
	OUTCOME(&s, "2026-11-24T11:02:00Z", 3, 1, "busy", "");
	state_in_flight_list(&s, &v, &n);
	CHECK(state_in_flight(&s) == 0 && n == 0, "none left");
	state_release(&s);
}

static void test_caps(void)
{
	struct caps *c = NULL;
	time_t now = at("2026-11-24T12:00:00Z");
	int k;

	CHECK(caps_new(&c) == 0, "caps_new");
	caps_add(c, 12125550100ULL, now - 86400);     /* exactly 24 h ago: out */
	caps_add(c, 12125550100ULL, now - 86400 + 1); /* in */
	caps_add(c, 12125550100ULL, now);             /* in (ends at now) */
	caps_add(c, 12125550100ULL, now + 60);        /* the future: out */
	CHECK(caps_count(c, 12125550100ULL, now, 86400) == 2,
	      "the rolling period is (now - 24 h, now] (%zu)",
	      caps_count(c, 12125550100ULL, now, 86400));
	CHECK(caps_count(c, 12125550100ULL, now, 7L * 86400) == 3 &&
	      caps_count(c, 13055550100ULL, now, 86400) == 0,
	      "a longer period; another number");
	/* many numbers (growth) and many calls to one (only the newest kept) */
	for (k = 0; k < 1000; k++)
		caps_add(c, 14155550000ULL + (uint64_t)k, now - k);
	for (k = 0; k < 20; k++)
		caps_add(c, 33142685300ULL, now - k * 3600);
	CHECK(caps_count(c, 14155550999ULL, now, 86400) == 1 &&
	      caps_count(c, 33142685300ULL, now, 4 * 3600) == 4 &&
	      caps_count(c, 33142685300ULL, now, 30L * 86400) == CAPS_KEEP,
	      "a thousand numbers; the newest %d calls of one are kept", CAPS_KEEP);
	caps_add(c, 33142685300ULL, now - 100L * 86400); /* older than all kept */
	CHECK(caps_count(c, 33142685300ULL, now, 4 * 3600) == 4,
	      "an old call does not push out a newer one");
	caps_free(c);
	caps_free(NULL);
}

/* A "recording" event: once per attempt, onto the recipient's outcome. */
static void test_recording(void)
{
	struct cstate s;

	CHECK(state_init(&s, A) == 0, "state_init");
	DISPATCHED(&s, "2026-11-24T10:00:00Z", 5, 1);
	PLACED(&s, "2026-11-24T10:00:01Z", 5, 1, "v3:x5");
	OUTCOME(&s, "2026-11-24T10:01:00Z", 5, 1, "connected", "");
	CHECK(!state_has_recording(&s, "s.12125550105.1"), "no recording yet");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:01:02Z\",\"campaign\":\"s\","
	   "\"event\":\"recording\",\"attempt_id\":\"s.12125550105.1\","
	   "\"recording_url\":\"https://r.example/5.mp3\"}");
	CHECK(state_has_recording(&s, "s.12125550105.1"), "the recording is known");
	CHECK(!state_has_recording(&s, "s.12125550105.2") &&
	      !state_has_analysis(&s, "s.12125550105.1"),
	      "... for that attempt only, and it is no analysis");
	CHECK(s.n_recent == 1 && !strcmp(s.recent[0].recording,
					 "https://r.example/5.mp3"),
	      "the recent outcome shows its URL (%s)", s.recent[0].recording);
	CHECK(s.unknown == 0 && s.bad_lines == 0 && s.n_outcomes == 1,
	      "a recording is neither unknown nor an outcome");
	ap(&s, "{\"v\":1,\"ts\":\"2026-11-24T10:01:03Z\",\"campaign\":\"s\","
	   "\"event\":\"recording\",\"attempt_id\":\"nope\","
	   "\"recording_url\":\"https://r.example/x.mp3\"}");
	CHECK(!state_has_recording(&s, "nope") &&
	      !strcmp(s.recent[0].recording, "https://r.example/5.mp3"),
	      "a recording with a bad attempt id changes nothing");
	state_release(&s);
}

static void test_render_and_ids(void)
{
	struct buf b = BUF_INIT(1 << 16);
	struct campaign c;
	char id[128];
	uint64_t key = 0;
	int n = 0;

	render_script(&b, C, A, &A->r[3]);
	CHECK(b.ptr && !strcmp(b.ptr, "Hi N3, $3 is due."), "render_script (%s)",
	      b.ptr ? b.ptr : "(null)");
	c = *C;
	c.script_text = "{{name}}{{NAME}} {{nope}}| {{amount}} {{ unclosed";
	buf_reset(&b);
	render_script(&b, &c, A, &A->r[0]);
	CHECK(b.ptr && !strcmp(b.ptr, "N0N0 | $0 {{ unclosed"),
	      "repeated, unknown and unclosed placeholders (%s)", b.ptr ? b.ptr : "(null)");
	c.script_text = "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 {{name}}";
	buf_reset(&b);
	render_script(&b, &c, A, &A->r[1]);
	CHECK(b.ptr && !strcmp(b.ptr, "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 N1"),
	      "Arabic text around a placeholder");
	c.script_text = NULL;
	buf_reset(&b);
	CHECK(render_script(&b, &c, A, &A->r[1]) == 0 && (!b.ptr || !*b.ptr),
	      "no script renders nothing");
	buf_release(&b);
	{
		/* the dial request: voicemail_message rendered; the script
		 * stays script.text, never the message */
		static const char cj[] = "{\"accounts\":{\"a\":{\"provider\":"
			"\"sim\",\"caller_ids\":[\"+12125550000\"]}}}";
		struct config *cfg = NULL;
		struct diags d;
		cJSON *req, *msg = cJSON_CreateString("Hi {{name}}, {{amount}} is due.");
		memset(&d, 0, sizeof(d));
		CHECK(config_load(&cfg, "gitdial.json", cj, strlen(cj), &d) == 0,
		      "a config for render_dial");
		c = *C;
		c.script_override = 1;
		c.script_text = "Offer to take the payment of {{amount}}.";
		c.voicemail = VM_LEAVE_MESSAGE;
		c.voicemail_message = msg;
		req = cfg ? render_dial(cfg, &c, A, &A->r[2], "s.1.1",
					"+12125550000", 0) : NULL;
		CHECK(req && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(req,
		      "voicemail_message")), "Hi N2, $2 is due.") &&
		      !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(req,
		      "voicemail")), "leave_message"),
		      "render_dial: voicemail_message rendered for the recipient");
		cJSON_Delete(req);
		c.voicemail_message = NULL;
		req = cfg ? render_dial(cfg, &c, A, &A->r[2], "s.1.1",
					"+12125550000", 0) : NULL;
		CHECK(req && !cJSON_GetObjectItem(req, "voicemail_message") &&
		      !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		      req, "script"), "text")), "Offer to take the payment of $2."),
		      "render_dial: no message, none sent (the agent leaves it)");
		cJSON_Delete(req);
		c.voicemail_message = msg;
		c.voicemail = VM_HANG_UP;
		req = cfg ? render_dial(cfg, &c, A, &A->r[2], "s.1.1",
					"+12125550000", 0) : NULL;
		CHECK(req && !cJSON_GetObjectItem(req, "voicemail_message"),
		      "render_dial: hang_up sends no message");
		cJSON_Delete(req);
		cJSON_Delete(msg);
		config_free(cfg);
		diags_release(&d);
	}

	CHECK(attempt_id_parse("nov-reminders.12125550100.1", &key, &n) == 0 &&
	      key == 12125550100ULL && n == 1, "attempt_id_parse");
	CHECK(attempt_id_parse("x.966500000100.15", &key, &n) == 0 && n == 15,
	      "attempt 15 is the last");
	CHECK(attempt_id_parse("x.12125550100.16", &key, &n) == -1, "attempt 16");
	CHECK(attempt_id_parse("x.12125550100.0", &key, &n) == -1, "attempt 0");
	CHECK(attempt_id_parse("x.0.1", &key, &n) == -1, "key 0");
	CHECK(attempt_id_parse("x.12a.1", &key, &n) == -1, "key with a letter");
	CHECK(attempt_id_parse("x.121.1a", &key, &n) == -1, "attempt with a letter");
	CHECK(attempt_id_parse("12125550100.1", &key, &n) == -1, "no campaign part");
	CHECK(attempt_id_parse("x..1", &key, &n) == -1, "empty key");
	CHECK(attempt_id_parse(".1", &key, &n) == -1 && attempt_id_parse("", &key, &n) == -1 &&
	      attempt_id_parse(NULL, &key, &n) == -1, "empty and NULL");
	attempt_id_make(id, sizeof(id), "nov-reminders", 966500000100ULL, 3);
	CHECK(!strcmp(id, "nov-reminders.966500000100.3") &&
	      attempt_id_parse(id, &key, &n) == 0 && key == 966500000100ULL && n == 3,
	      "attempt_id_make round trip (%s)", id);
}

/* One list of error kinds (state.h), the schema's names and no others. */
static void test_err_kinds(void)
{
	static const char *const names[] = { "invalid_number", "declined",
		"rate_limited", "transient", "account", "rejected", "auth",
		"no_call_permission" };
	size_t i;
	int distinct = 1;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		distinct &= err_kind_parse(names[i]) == (enum err_kind)(EK_INVALID_NUMBER + i);
	CHECK(distinct, "err_kind_parse: each of the 8 kinds has its own value");
	CHECK(err_kind_parse(NULL) == EK_NONE && err_kind_parse("Auth") == EK_OTHER &&
	      err_kind_parse("") == EK_OTHER && err_kind_parse("auth ") == EK_OTHER,
	      "err_kind_parse: none, and unknown spellings are EK_OTHER");
}

int main(void)
{
	if (setup())
		return 1;
	test_state();
	test_bad_lines();
	test_err_kinds();
	test_status();
	test_select();
	test_select_rules();
	test_breaker();
	test_caps();
	test_claims();
	test_in_flight();
	test_resume_failed();
	test_render_and_ids();
	test_recording();
	campaign_free(C);
	audience_free(A);
	return finish();
}
