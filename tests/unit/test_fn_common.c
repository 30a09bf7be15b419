/*
 * functions/common: form encoding, attempt ids, dates, the public webhook
 * URL, outcome fields, the request checks, and the web mode a process
 * runs in (its signal dispositions left alone outside FastCGI).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "form.h"
#include "hook.h"
#include "web.h"
#include "banned.h"

static int n_pass, n_fail, n_test;

#define DETAIL ""
#define OK(cond, ...) do { \
	int ok_ = (cond); \
	n_test++; \
	if (ok_) { n_pass++; printf("ok %d - ", n_test); } \
	else { n_fail++; printf("not ok %d - ", n_test); } \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) printf("#   at %s:%d%s%s\n", __FILE__, __LINE__, \
			 DETAIL[0] ? ": " : "", DETAIL); \
} while (0)

static int parses(const char *s)
{
	struct form f = FORM_INIT;
	int rc = form_parse(&f, s, strlen(s));

	form_release(&f);
	return rc == 0;
}

static void forms(void)
{
	struct form f = FORM_INIT;
	struct buf b = BUF_INIT(1024);
	const char *s = "a=1&&b=x+y%21&c&d=%C3%A9&a=2&=e";

	OK(!form_parse(&f, s, strlen(s)) && f.n == 6, "form: pairs, empty segment skipped");
	OK(f.n == 6 && !strcmp(form_get(&f, "a"), "1") &&
	   !strcmp(form_get(&f, "b"), "x y!") && !strcmp(form_get(&f, "c"), "") &&
	   !strcmp(form_get(&f, "d"), "\xc3\xa9") && !strcmp(f.v[5].name, "") &&
	   !form_get(&f, "zz"), "form: '+', %%XX, no '=' and UTF-8 decode");
	form_release(&f);
	OK(!parses("a=%4") && !parses("a=%zz") && !parses("a=%00") && !parses("%"),
	   "form: short, non-hex and NUL escapes are malformed");
	OK(parses("") && parses("&&"), "form: empty input is an empty form");
	OK(!form_put(&b, "To", "+1 415/é") && !form_put(&b, "Url", "a=b&c") &&
	   !strcmp(b.ptr, "To=%2B1%20415%2F%C3%A9&Url=a%3Db%26c"),
	   "form_put percent-encodes (got %s)", b.ptr ? b.ptr : "");
	OK(!form_parse(&f, b.ptr, b.len) && !strcmp(form_get(&f, "To"), "+1 415/é") &&
	   !strcmp(form_get(&f, "Url"), "a=b&c"), "form: put and parse round-trip");
	form_release(&f);
	buf_release(&b);
}

static void attempts(void)
{
	char c[72];

	OK(attempt_id_valid("nov-reminders.14155550123.2") &&
	   attempt_id_valid("a.1.1") && attempt_id_valid("x1.123456789012345.15"),
	   "attempt ids: valid forms");
	OK(!attempt_id_valid("Nov.1.1") && !attempt_id_valid("a.1") &&
	   !attempt_id_valid("a..1") && !attempt_id_valid("a.1.") &&
	   !attempt_id_valid("a.1.100") && !attempt_id_valid("a.1.16") &&
	   !attempt_id_valid("a.1234567890123456.1") &&
	   !attempt_id_valid("a.1x.1") && !attempt_id_valid("-a.1.1") &&
	   !attempt_id_valid("a/b.1.1") && !attempt_id_valid(NULL) &&
	   !attempt_id_valid("../x.1.1"), "attempt ids: invalid forms");
	OK(!attempt_campaign(c, sizeof(c), "nov-reminders.14155550123.2") &&
	   !strcmp(c, "nov-reminders"), "attempt_campaign takes the prefix");
}

static void dates(void)
{
	time_t t = 0;

	OK(!time_parse_rfc2822(&t, "Tue, 31 Aug 2010 20:36:28 +0000") &&
	   t == 1283286988, "rfc2822: Twilio's example date");
	OK(!time_parse_rfc2822(&t, "Tue, 31 Aug 2010 22:36:28 +0200") &&
	   t == 1283286988, "rfc2822: offsets");
	OK(time_parse_rfc2822(&t, "31/08/2010") == GD_EINVALID &&
	   time_parse_rfc2822(&t, "Tue, 31 Foo 2010 20:36:28 +0000") == GD_EINVALID,
	   "rfc2822: junk is refused");
}

static void urls(void)
{
	struct buf u = BUF_INIT(1024);
	cJSON *cfg = cJSON_Parse("{\"webhook_base_url\":\"https://h.example.com/gd/\"}");
	cJSON *none = cJSON_Parse("{}");

	OK(!hook_public_url(&u, cfg, "twilio", "attempt_id=a.1.1") &&
	   !strcmp(u.ptr, "https://h.example.com/gd/twilio?attempt_id=a.1.1"),
	   "public URL: base + /provider + query (got %s)", u.ptr);
	buf_reset(&u);
	OK(!hook_public_url(&u, cfg, "agent", "") &&
	   !strcmp(u.ptr, "https://h.example.com/gd/agent"),
	   "public URL: no '?' without a query");
	OK(hook_public_url(&u, none, "twilio", "") == GD_ERROR,
	   "public URL: needs webhook_base_url");
	cJSON_Delete(cfg);
	cJSON_Delete(none);
	buf_release(&u);
}

static void outcomes(void)
{
	cJSON *e = hook_event("outcome", 1764072000, "c", "c.1.1", "CA1");
	cJSON *f = hook_event("outcome", 1764072000, "c", "c.1.1", NULL);
	char *s;

	hook_outcome(e, "connected", 30, 1, "human", 200, NULL);
	hook_outcome(f, "voicemail", 45, 0, "machine_end_beep", 0, "completed");
	s = cJSON_PrintUnformatted(e);
	OK(!strcmp(s, "{\"v\":1,\"ts\":\"2025-11-25T12:00:00Z\",\"campaign\":\"c\","
		   "\"event\":\"outcome\",\"attempt_id\":\"c.1.1\",\"call_id\":\"CA1\","
		   "\"outcome\":\"connected\",\"duration_s\":30,\"connected\":true,"
		   "\"answered\":true,\"answered_by\":\"human\",\"sip_code\":200}"),
	   "outcome event fields (got %s)", s);
	cJSON_free(s);
	OK(!cJSON_IsTrue(cJSON_GetObjectItem(f, "answered")) &&
	   !cJSON_GetObjectItem(f, "sip_code") && !cJSON_GetObjectItem(f, "call_id"),
	   "voicemail is not answered; no sip_code 0, no call_id NULL");
	cJSON_Delete(e);
	cJSON_Delete(f);
}

static int check_kind(const char *json, const char *action, const char *kind)
{
	cJSON *req = cJSON_Parse(json), *r = fn_request_check(req, "twilio", action);
	const char *k = r ? cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(r, "error"), "kind")) : NULL;
	int ok = kind ? k && !strcmp(k, kind) : r == NULL;

	if (!ok && r) {
		char *s = cJSON_PrintUnformatted(r);
		printf("#   %s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(r);
	cJSON_Delete(req);
	return ok;
}

#define ACCT "\"account\":{\"name\":\"tw\",\"provider\":\"twilio\"," \
	"\"credentials\":{\"account_sid\":\"env:SID\",\"auth_token\":\"file:/t\"}}"
#define DIAL "\"v\":1,\"action\":\"dial\",\"now\":\"2026-11-25T12:00:00Z\"," \
	"\"attempt_id\":\"c.1.1\",\"campaign\":\"c\",\"from\":\"+14155550100\","

static void requests(void)
{
	OK(check_kind("{" DIAL "\"to\":\"+14155550123\"," ACCT "}", "dial", NULL),
	   "request: a good dial passes");
	OK(check_kind("{" DIAL "\"to\":\"+1415\"," ACCT "}", "dial", "invalid_number"),
	   "request: a bad 'to' is invalid_number");
	OK(check_kind("{\"v\":1,\"action\":\"dial\",\"now\":\"2026-11-25T12:00:00Z\","
		      "\"attempt_id\":\"c.1.1\",\"campaign\":\"c\",\"to\":\"+14155550123\","
		      "\"from\":\"555\"," ACCT "}", "dial", "rejected"),
	   "request: a bad 'from' is rejected");
	OK(check_kind("{" DIAL "\"to\":\"+14155550123\",\"account\":{\"name\":\"tw\","
		      "\"provider\":\"twilio\",\"credentials\":{\"auth_token\":\"hunter2\"}}}",
		      "dial", "rejected"), "request: a literal secret is rejected");
	OK(check_kind("{" DIAL "\"to\":\"+14155550123\",\"account\":{\"name\":\"tw\","
		      "\"provider\":\"telnyx\"}}", "dial", "rejected"),
	   "request: another provider's account is rejected");
	OK(check_kind("{" DIAL "\"to\":\"+14155550123\",\"voicemail\":\"beep\"," ACCT "}",
		      "dial", "rejected"), "request: voicemail enum");
	OK(check_kind("{\"v\":1,\"action\":\"status\",\"now\":\"2026-11-25T12:00:00Z\","
		      "\"attempt_id\":\"c.1.1\",\"call_id\":null," ACCT "}", "status", NULL),
	   "request: status with a null call_id passes");
	OK(check_kind("{\"v\":1,\"action\":\"hangup\",\"call_id\":null," ACCT "}",
		      "hangup", "rejected"), "request: hangup needs a call_id");
	OK(check_kind("{\"v\":2,\"action\":\"hangup\",\"call_id\":\"CA1\"," ACCT "}",
		      "hangup", "rejected"), "request: v must be 1");
	OK(check_kind("{\"v\":1,\"action\":\"status\",\"call_id\":\"CA1\"," ACCT "}",
		      "hangup", "rejected"), "request: action must match");
}

/* handler_of(sig): what the process does on sig now */
static void (*handler_of(int sig))(int)
{
	struct sigaction sa;

	sigaction(sig, NULL, &sa);
	return sa.sa_handler;
}

/*
 * stdin a pipe (the runner's contract, a CGI request): not FastCGI, and
 * libfcgi's look leaves SIGPIPE, SIGTERM and SIGUSR1 as they were. (libfcgi
 * remembers its answer per process, so the FastCGI side is in
 * t-webhook-fastcgi.sh.)
 */
static void modes(void)
{
	int p[2];

	if (pipe(p) || dup2(p[0], 0) < 0) {
		OK(0, "web mode: cannot make a pipe");
		return;
	}
	signal(SIGPIPE, SIG_IGN);
	unsetenv("GATEWAY_INTERFACE");
	unsetenv("Http_Method");
	OK(web_mode_detect() == 0, "web mode: stdin a pipe, no CGI variables: none");
	OK(handler_of(SIGPIPE) == SIG_IGN && handler_of(SIGTERM) == SIG_DFL &&
	   handler_of(SIGUSR1) == SIG_DFL, "web mode: signal dispositions kept");
	setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
	signal(SIGPIPE, SIG_DFL);
	OK(web_mode_detect() == WEB_CGI, "web mode: GATEWAY_INTERFACE: CGI");
	OK(handler_of(SIGPIPE) == SIG_DFL && handler_of(SIGTERM) == SIG_DFL,
	   "web mode: CGI: signal dispositions kept");
	unsetenv("GATEWAY_INTERFACE");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	modes();
	forms();
	attempts();
	dates();
	urls();
	outcomes();
	requests();
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
