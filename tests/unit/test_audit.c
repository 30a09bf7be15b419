/*
 * Unit tests for the audit's checks (core/audit.c), fed hand-written log
 * lines and the configuration they are judged with, without git: each
 * case breaks one promise and must get exactly that finding; the clean
 * sequences get none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "audit.h"
#include "campaign.h"
#include "config.h"
#include "err.h"
#include "rules.h"
#include "state.h"
#include "util.h"

#include "tap.h"

static struct rules *R;
static struct campaign *C;
static struct audience *A;
static struct config *CFG_NONE, *CFG_DISC;
static struct audit_ctx CTX;
static struct audit *AU;
static uint32_t COMMIT, FILE_;
static uint32_t LINE;

static const char campaign_json[] =
	"{\"name\":\"t\",\"account\":\"a\",\"audience\":{\"csv\":\"a.csv\"},"
	"\"require_consent\":true,"
	"\"pacing\":{\"window\":{\"start\":\"09:00\",\"end\":\"20:00\"},"
	"\"retries\":{\"max\":1,\"cooldown_minutes\":10,\"on\":[\"no_answer\"]}}}";

/* +12125550100 New York, +13055550102 Miami (us-fl-cap), +12135550101
 * Los Angeles (a disclosure), +13125550103 without consent */
static const char csv[] =
	"phone,consent\n+12125550100,yes\n+13055550102,yes\n+12135550101,yes\n"
	"+13125550103,\n";

static const char cfg_none[] =
	"{\"accounts\":{\"a\":{\"provider\":\"sim\",\"caller_ids\":[\"+12125550000\"]}}}";
static const char cfg_disc[] =
	"{\"accounts\":{\"a\":{\"provider\":\"sim\",\"caller_ids\":[\"+12125550000\"]}},"
	"\"disclosure\":{\"en\":\"This call may be recorded.\"}}";

static int setup(void)
{
	struct diags d;
	struct audience_opts o;

	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	if (rules_load(&R) ||
	    campaign_load(&C, "s", "campaign.json", campaign_json,
			  strlen(campaign_json), NULL, &d) ||
	    config_load(&CFG_NONE, "gitdial.json", cfg_none, strlen(cfg_none), &d) ||
	    config_load(&CFG_DISC, "gitdial.json", cfg_disc, strlen(cfg_disc), &d)) {
		printf("Bail out! setup: %s %s\n", gd_error_last(), d.n ? d.v[0].msg : "");
		return -1;
	}
	o.campaign = C;
	o.rules = R;
	if (audience_read(&A, "a.csv", csv, strlen(csv), &o, &d) || A->n != 3 ||
	    audience_index(A)) {
		printf("Bail out! the audience does not load\n");
		return -1;
	}
	diags_release(&d);
	CTX.c = C;
	CTX.aud = A;
	CTX.rules = R;
	CTX.cfg = CFG_DISC;
	return 0;
}

/* A fresh audit with one commit (by the runner unless by_hand). */
static void fresh(int by_hand, int in_range)
{
	audit_free(AU);
	AU = NULL;
	if (audit_new(&AU)) {
		printf("Bail out! audit_new\n");
		exit(1);
	}
	COMMIT = audit_commit(AU, "0123456789abcdef0123456789abcdef01234567",
			      !by_hand, in_range);
	FILE_ = audit_file(AU, "outcomes/s/2026/11/24/T150000Z-x.jsonl");
	LINE = 0;
}

static void __attribute__((format(printf, 2, 3)))
ev(const char *camp, const char *fmt, ...)
{
	char line[2048], rules[17];
	struct ev e;
	struct ev_pool pool = { NULL, 0, 0 };
	struct audit_at at;
	va_list va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	state_parse(&e, &pool, line, strlen(line));
	at.commit = COMMIT;
	at.file = FILE_;
	at.line = ++LINE;
	if (audit_event(AU, camp, &at, &e, &pool,
			audit_rules_recorded(line, strlen(line), rules) ? rules : NULL,
			&CTX))
		printf("# audit_event failed: %s\n", gd_error_last());
	ev_pool_release(&pool);
}

#define HEAD(ts, camp) "{\"v\":1,\"ts\":\"" ts "\",\"campaign\":\"" camp "\","
static void status(const char *camp, const char *ts, const char *st, const char *why)
{
	ev(camp, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"status\","
	   "\"status\":\"%s\",\"reason\":\"%s\"}", ts, camp, st, why);
}

static void disp(const char *camp, const char *ts, const char *digits, int n)
{
	ev(camp, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"dispatched\","
	   "\"attempt_id\":\"%s.%s.%d\",\"phone\":\"+%s\",\"row\":2,\"attempt\":%d,"
	   "\"account\":\"a\",\"caller_id\":\"+12125550000\"}", ts, camp, camp,
	   digits, n, digits, n);
}

static void placed(const char *camp, const char *ts, const char *digits, int n)
{
	ev(camp, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"placed\","
	   "\"attempt_id\":\"%s.%s.%d\",\"call_id\":\"C%s%d\"}", ts, camp, camp,
	   digits, n, digits, n);
}

static void outcome(const char *camp, const char *ts, const char *digits, int n,
		    const char *kind)
{
	if (kind)
		ev(camp, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"outcome\","
		   "\"attempt_id\":\"%s.%s.%d\",\"outcome\":\"failed\",\"error\":"
		   "{\"kind\":\"%s\"}}", ts, camp, camp, digits, n, kind);
	else
		ev(camp, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"outcome\","
		   "\"attempt_id\":\"%s.%s.%d\",\"outcome\":\"no_answer\"}", ts, camp,
		   camp, digits, n);
}

/* "check/rule@line" of every finding, space-separated. */
static const char *found(void)
{
	static char out[1024];
	const struct audit_finding *f;
	size_t n, i, k = 0;

	out[0] = '\0';
	f = audit_findings(AU, &n);
	for (i = 0; i < n && k < sizeof(out) - 1; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s/%s@%lu",
				      i ? " " : "", audit_check_names[f[i].check],
				      f[i].rule, f[i].line);
	return out;
}

static void test_clean(void)
{
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);  /* 10:00 New York */
	placed("s", "2026-11-24T15:00:01Z", "12125550100", 1);
	outcome("s", "2026-11-24T15:00:40Z", "12125550100", 1, NULL);
	disp("s", "2026-11-24T15:30:00Z", "12125550100", 2);
	outcome("s", "2026-11-24T15:30:40Z", "12125550100", 2, NULL);
	CHECK(audit_finish(AU) == 0 && audit_found_total(AU) == 0,
	      "a clean sequence has no finding (%s)", found());
	CHECK(audit_checked(AU, AC_WINDOWS) == 2 && audit_checked(AU, AC_DNC) == 2,
	      "both dispatches were judged (windows %zu, dnc %zu)",
	      audit_checked(AU, AC_WINDOWS), audit_checked(AU, AC_DNC));
}

static void test_window(void)
{
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-25T08:00:00Z", "12125550100", 1); /* 03:00 New York */
	CHECK(!strcmp(found(), "windows/us-tcpa@2"),
	      "03:00 local is outside the legal hours: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T13:30:00Z", "12125550100", 1); /* 08:30 New York */
	CHECK(!strcmp(found(), "windows/campaign-window@2"),
	      "08:30 local is legal but outside the campaign's 09:00: %s", found());
}

static void test_claims(void)
{
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	placed("s", "2026-11-24T15:00:01Z", "12125550100", 1);
	CHECK(!strcmp(found(), "claims/placed-before-dispatched@2"),
	      "placed without its dispatched: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	disp("s", "2026-11-24T15:10:00Z", "12125550100", 2);
	CHECK(!strcmp(found(), "claims/two-in-flight@3"),
	      "a second attempt while the first is in flight: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	outcome("s", "2026-11-24T15:01:00Z", "12125550100", 1, NULL);
	disp("s", "2026-11-24T15:20:00Z", "12125550100", 1);
	CHECK(!strcmp(found(), "claims/attempt-id-reused@4"),
	      "an attempt id claimed twice: %s", found());
	/* retries.max 1: two counting attempts; a transient one is free */
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	outcome("s", "2026-11-24T15:01:00Z", "12125550100", 1, "transient");
	disp("s", "2026-11-24T15:20:00Z", "12125550100", 2);
	outcome("s", "2026-11-24T15:21:00Z", "12125550100", 2, NULL);
	disp("s", "2026-11-24T15:40:00Z", "12125550100", 3);
	CHECK(audit_found_total(AU) == 0,
	      "a transient attempt does not count against retries.max: %s", found());
	outcome("s", "2026-11-24T15:41:00Z", "12125550100", 3, NULL);
	disp("s", "2026-11-24T16:00:00Z", "12125550100", 4);
	CHECK(!strcmp(found(), "claims/retries-max@8"),
	      "a third counting attempt with retries.max 1: %s", found());
	fresh(0, 1);
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	CHECK(!strcmp(found(), "claims/not-dialing@1"),
	      "a claim before the campaign was Dialing: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "19995550100", 1);
	CHECK(!strcmp(found(), "claims/not-in-audience@2"),
	      "a number not in the audience: %s", found());
}

static void test_dnc(void)
{
	struct audit_at at;
	static const char add[] = "{\"v\":1,\"ts\":\"2026-11-24T14:30:00Z\","
		"\"phone\":\"+12125550100\",\"action\":\"add\",\"reason\":\"x\",\"source\":\"y\"}";
	static const char rm[] = "{\"v\":1,\"ts\":\"2026-11-24T15:30:00Z\","
		"\"phone\":\"+12125550100\",\"action\":\"remove\",\"reason\":\"x\",\"source\":\"y\"}";

	fresh(0, 1);
	at.commit = COMMIT;
	at.file = audit_file(AU, "dnc/2026.jsonl");
	at.line = 1;
	CHECK(audit_dnc_line(AU, &at, add, strlen(add)) == 0, "a DNC line is read");
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	CHECK(!strcmp(found(), "dnc/dnc@2"), "a dispatch to a DNC number: %s", found());
	outcome("s", "2026-11-24T15:01:00Z", "12125550100", 1, NULL);
	at.line = 2;
	audit_dnc_line(AU, &at, rm, strlen(rm));
	disp("s", "2026-11-24T16:00:00Z", "12125550100", 2);
	CHECK(audit_found(AU, AC_DNC) == 1, "after its removal the number may be dialed");
	at.line = 3;
	audit_dnc_line(AU, &at, "{nope", 5);
	CHECK(audit_found(AU, AC_HISTORY) == 1, "a bad DNC line is a finding");
}

static void test_consent_disclosure(void)
{
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T16:00:00Z", "13125550103", 1);
	CHECK(!strcmp(found(), "consent/consent@2"),
	      "a row without consent, consent required: %s", found());
	fresh(0, 1);
	CTX.cfg = CFG_NONE;
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T18:00:00Z", "12135550101", 1); /* 10:00 in LA */
	CHECK(!strcmp(found(), "disclosure/disclosure@2"),
	      "California without a disclosure text: %s", found());
	fresh(0, 1);
	CTX.cfg = CFG_DISC;
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T18:00:00Z", "12135550101", 1);
	CHECK(audit_found_total(AU) == 0 && audit_checked(AU, AC_DISCLOSURE) == 1,
	      "with gitdial.json's disclosure it holds: %s", found());
}

static void test_caps(void)
{
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	status("t", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	/* two campaigns, Miami: at most 3 calls in 24 h; the log order is
	 * not the time order (the audit sorts by time) */
	disp("t", "2026-11-24T17:00:00Z", "13055550102", 1);
	outcome("t", "2026-11-24T17:01:00Z", "13055550102", 1, NULL);
	disp("s", "2026-11-24T15:00:00Z", "13055550102", 1);
	outcome("s", "2026-11-24T15:01:00Z", "13055550102", 1, NULL);
	disp("s", "2026-11-24T16:00:00Z", "13055550102", 2);
	outcome("s", "2026-11-24T16:01:00Z", "13055550102", 2, NULL);
	disp("t", "2026-11-24T14:30:00Z", "13055550102", 2);
	CHECK(audit_finish(AU) == 0 && !strcmp(found(), "caps/us-fl-cap@3"),
	      "the fourth call in 24 h, whichever campaign: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "13055550102", 1);
	outcome("s", "2026-11-24T15:01:00Z", "13055550102", 1, NULL);
	disp("s", "2026-11-25T15:00:00Z", "13055550102", 2);
	CHECK(audit_finish(AU) == 0 && audit_found_total(AU) == 0 &&
	      audit_checked(AU, AC_CAPS) == 2, "two calls a day apart: %s", found());
}

static void test_history_accounting(void)
{
	fresh(1, 1);
	status("s", "2026-11-24T14:00:00Z", "paused", "paused by Ops <o@x>");
	CHECK(audit_found_total(AU) == 0, "an operator's pause is not a forgery: %s",
	      found());
	outcome("s", "2026-11-24T15:01:00Z", "12125550100", 1, NULL);
	status("s", "2026-11-24T15:00:00Z", "completed", "x");
	CHECK(!strncmp(found(), "history/not-by-runner@2 history/not-by-runner@3", 47),
	      "an outcome and a completion by hand: %s", found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "failed", "");
	CHECK(!strcmp(found(), "accounting/no-reason@1"), "failed without a reason: %s",
	      found());
	fresh(0, 1);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-24T15:00:00Z", "12125550100", 1);
	outcome("s", "2026-11-24T15:01:00Z", "12125550100", 1, NULL);
	ev("s", HEAD("2026-11-24T15:02:00Z", "s") "\"event\":\"skipped\",\"phone\":\"+13125550103\",\"row\":5,\"reason\":\"no_consent\"}");
	status("s", "2026-11-24T15:03:00Z", "completed", "every recipient is in a final state");
	CHECK(!strcmp(found(), "accounting/completed-unaccounted@5"),
	      "completed with two rows never dialed: %s", found());
	CHECK(strstr(audit_findings(AU, &(size_t){0})[0].message, "2 audience rows") != NULL,
	      "the finding counts them: %s", audit_findings(AU, &(size_t){0})[0].message);
	/* out of range (--since): the state is kept, nothing reported */
	fresh(0, 0);
	status("s", "2026-11-24T14:00:00Z", "dialing", "start_at reached");
	disp("s", "2026-11-25T08:00:00Z", "12125550100", 1);
	CHECK(audit_found_total(AU) == 0, "a commit out of range reports nothing");
	COMMIT = audit_commit(AU, "1123456789abcdef0123456789abcdef01234567", 1, 1);
	disp("s", "2026-11-25T15:00:00Z", "12125550100", 2);
	CHECK(!strcmp(found(), "claims/two-in-flight@3"),
	      "but its claim is still in flight for the next commit: %s", found());
}

int main(void)
{
	if (setup())
		return 1;
	test_clean();
	test_window();
	test_claims();
	test_dnc();
	test_consent_disclosure();
	test_caps();
	test_history_accounting();
	audit_free(AU);
	audience_free(A);
	campaign_free(C);
	config_free(CFG_NONE);
	config_free(CFG_DISC);
	rules_free(R);
	return finish();
}
