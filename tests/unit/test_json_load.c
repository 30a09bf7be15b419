/*
 * Unit tests for JSON loading: json_line (the physical line of a path),
 * json_load (NUL bytes, bad UTF-8, duplicate keys, trailing data), and the
 * file:line:path messages config_load and campaign_load give for
 * representative mistakes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "jsonx.h"

#include "tap.h"

static void dump(const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		printf("#   %s %s:%lu [%s] %s\n",
		       d->v[i].level == DIAG_ERROR ? "error" : "warning",
		       d->v[i].file, d->v[i].line,
		       d->v[i].field ? d->v[i].field : "-", d->v[i].msg);
}

/*
 * True when d holds a problem at level in file at line (0: any line) for
 * field (NULL: none expected; "*": any) whose message contains msg.
 */
static int has(const struct diags *d, enum diag_level level, const char *file,
	       unsigned long line, const char *field, const char *msg)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		if (x->level != level || strcmp(x->file, file))
			continue;
		if (line && x->line != line)
			continue;
		if (!field && x->field)
			continue;
		if (field && strcmp(field, "*") &&
		    (!x->field || strcmp(x->field, field)))
			continue;
		if (msg && !strstr(x->msg, msg))
			continue;
		return 1;
	}
	return 0;
}

#define EXPECT(d, level, file, line, field, msg)                              \
	do {                                                                  \
		int ok_ = has(d, level, file, line, field, msg);              \
		CHECK(ok_, "%s:%lu %s: %s", file, (unsigned long)(line),      \
		      field ? field : "-", msg);                              \
		if (!ok_)                                                     \
			dump(d);                                              \
	} while (0)

/* --- json_line ---------------------------------------------------------- */

static const char doc[] =
	"{\n"                                          /* 1 */
	"  \"name\": \"x } ] \\\" {\",\n"              /* 2 */
	"  \"pacing\": {\n"                            /* 3 */
	"    \"window\": {\"start\": \"09:00\",\n"     /* 4 */
	"               \"end\": \"25:00\"},\n"        /* 5 */
	"    \"retries\": {\"on\": [\n"                /* 6 */
	"      \"busy\",\n"                            /* 7 */
	"      \"no_answer\"\n"                        /* 8 */
	"    ]}\n"                                     /* 9 */
	"  },\n"                                       /* 10 */
	"  \"after\": [[1, 2], {\"x\": {\"y\": [3,\n"  /* 11 */
	"4]}}],\n"                                     /* 12 */
	"  \"accounts\": {\"a\": {\"caller_ids\":\n"   /* 13 */
	"    [\"+1\",\n"                               /* 14 */
	"     \"+2\"]}},\n"                            /* 15 */
	"  \"last\": null\n"                           /* 16 */
	"}\n";

static void line_is(const char *path, unsigned long want)
{
	unsigned long got = json_line(doc, sizeof(doc) - 1, path);

	CHECK(got == want, "json_line \"%s\" = %lu (got %lu)", path, want, got);
}

static void test_json_line(void)
{
	line_is("name", 2);
	line_is("pacing", 3);
	line_is("pacing.window", 4);
	line_is("pacing.window.start", 4);
	line_is("pacing.window.end", 5);
	line_is("pacing.retries", 6);
	line_is("pacing.retries.on", 6);
	line_is("pacing.retries.on[0]", 7);
	line_is("pacing.retries.on[1]", 8);
	line_is("after", 11);
	line_is("after[1].x.y[0]", 11);
	line_is("after[1].x.y[1]", 12);
	line_is("accounts.a.caller_ids[0]", 14);
	line_is("accounts.a.caller_ids[1]", 15);
	line_is("last", 16);
	/* missing members point at their parent */
	line_is("pacing.window.days", 4);
	line_is("pacing.retries.max", 6);
	line_is("pacing.retries.on[5]", 6);
	line_is("nope", 1);
	line_is("", 1);
	CHECK(json_line("", 0, "a.b") == 1, "json_line of an empty text is 1");
}

/* --- json_load ---------------------------------------------------------- */

static int load(struct diags *d, const char *text, size_t len)
{
	struct jctx c = { "f.json", text, len, d, 0 };
	cJSON *root = NULL;
	int rc = json_load(&root, &c);

	if (rc)
		CHECK(root == NULL, "json_load leaves *out NULL on error");
	cJSON_Delete(root);
	return rc;
}

static void test_json_load(void)
{
	struct diags d = { 0 };
	static const char nul[] = "{\n\"a\":\n\"x\0y\"}";
	static const char bad8[] = "{\n\"a\": \"ok\",\n\"b\": \"caf\xe9\"}";
	char deep[4100];
	int i;

	CHECK(load(&d, "{\"a\": 1}", 8) == 0 && d.errors == 0, "json_load ok");
	diags_release(&d);

	CHECK(load(&d, "", 0) == GD_EINVALID, "empty text is an error");
	EXPECT(&d, DIAG_ERROR, "f.json", 0, NULL, "file is empty");
	diags_release(&d);

	CHECK(load(&d, "{\"a\": 1,\n\"a\": 2}", 16) == GD_EINVALID,
	      "duplicate top-level key is an error");
	EXPECT(&d, DIAG_ERROR, "f.json", 0, "a", "duplicate key");
	CHECK(d.n == 1 && (d.v[0].line == 1 || d.v[0].line == 2),
	      "duplicate key names one of its lines");
	diags_release(&d);

	{
		static const char t[] = "{\n \"p\": {\n  \"w\": 1,\n  \"w\": 2\n }\n}";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID,
		      "nested duplicate key is an error");
		EXPECT(&d, DIAG_ERROR, "f.json", 0, "p.w", "duplicate key");
		CHECK(d.n && (d.v[0].line == 3 || d.v[0].line == 4),
		      "nested duplicate names line 3 or 4 (got %lu)",
		      d.n ? d.v[0].line : 0UL);
		diags_release(&d);
	}
	{
		static const char t[] = "{\"l\": [{},\n {\"x\": 1, \"x\": 1}]}";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID,
		      "duplicate key inside an array element");
		EXPECT(&d, DIAG_ERROR, "f.json", 2, "l[1].x", "duplicate key");
		diags_release(&d);
	}
	{
		static const char t[] = "{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}}";
		CHECK(load(&d, t, sizeof(t) - 1) == 0,
		      "the same key in two objects is fine");
		diags_release(&d);
	}

	CHECK(load(&d, nul, sizeof(nul) - 1) == GD_EINVALID,
	      "a NUL byte is an error");
	EXPECT(&d, DIAG_ERROR, "f.json", 3, NULL, "NUL byte");
	diags_release(&d);

	CHECK(load(&d, bad8, sizeof(bad8) - 1) == GD_EINVALID,
	      "invalid UTF-8 is an error");
	EXPECT(&d, DIAG_ERROR, "f.json", 3, NULL, "invalid UTF-8");
	diags_release(&d);

	{
		static const char t[] = "{\n\"a\": 1,\n\"b\": }\n";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID, "syntax error");
		EXPECT(&d, DIAG_ERROR, "f.json", 3, NULL, "not valid JSON");
		diags_release(&d);
	}
	{
		static const char t[] = "{\n\"a\": \"unterminated\n";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID,
		      "unterminated string");
		EXPECT(&d, DIAG_ERROR, "f.json", 0, NULL, "not valid JSON");
		diags_release(&d);
	}
	{
		static const char t[] = "{}\n\n  x";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID,
		      "trailing data is an error");
		EXPECT(&d, DIAG_ERROR, "f.json", 0, NULL,
		       "unexpected data after the JSON value");
		CHECK(has(&d, DIAG_ERROR, "f.json", 3, NULL, "unexpected data"),
		      "trailing data is reported on its own line (3, got %lu)",
		      d.n ? d.v[0].line : 0UL);
		diags_release(&d);
	}
	{
		static const char t[] = "{\"a\": 1}{\"b\": 2}";
		CHECK(load(&d, t, sizeof(t) - 1) == GD_EINVALID,
		      "two documents are an error");
		diags_release(&d);
	}
	CHECK(load(&d, "{}\n\n \t\r\n", 8) == 0, "trailing whitespace is fine");
	diags_release(&d);
	CHECK(load(&d, "[1, 2]", 6) == GD_EINVALID, "a top-level array is an error");
	EXPECT(&d, DIAG_ERROR, "f.json", 1, NULL, "expected a JSON object");
	diags_release(&d);
	CHECK(load(&d, "null", 4) == GD_EINVALID, "top-level null is an error");
	diags_release(&d);
	CHECK(load(&d, "\"x\"", 3) == GD_EINVALID, "a top-level string is an error");
	diags_release(&d);
	/* length-limited: the parser must stop at len */
	CHECK(load(&d, "{\"a\": 1}GARBAGE", 8) == 0, "json_load stops at len");
	diags_release(&d);

	for (i = 0; i < 2048; i++)
		deep[i] = '[';
	for (i = 0; i < 2048; i++)
		deep[2048 + i] = ']';
	CHECK(load(&d, deep, 4096) == GD_EINVALID, "2048 nested arrays: an error, no crash");
	diags_release(&d);
	deep[0] = '{';
	memcpy(deep, "{\"a\":", 5);
	for (i = 5; i < 2000; i++)
		deep[i] = '[';
	for (i = 2000; i < 3995; i++)
		deep[i] = ']';
	deep[3995] = '}';
	CHECK(load(&d, deep, 3996) == GD_EINVALID,
	      "deep nesting under an object: an error, no crash");
	diags_release(&d);
}

/* --- config_load -------------------------------------------------------- */

static const char good_config[] =
	"{\n"
	"  \"accounts\": {\n"
	"    \"sim-main\": {\n"
	"      \"provider\": \"sim\",\n"
	"      \"caller_ids\": [\"+12125550100\", \"+966115550100\"],\n"
	"      \"max_concurrency\": 20,\n"
	"      \"cps\": 50\n"
	"    },\n"
	"    \"tw\": {\n"
	"      \"provider\": \"twilio\",\n"
	"      \"caller_ids\": [\"+14155550100\"],\n"
	"      \"credentials\": {\"account_sid\": \"env:TWILIO_ACCOUNT_SID\",\n"
	"                      \"auth_token\": \"file:/run/secrets/tw\"}\n"
	"    }\n"
	"  },\n"
	"  \"agent\": {\"stream_url\": \"wss://agent.example.com/voice\",\n"
	"            \"secret\": \"env:GITDIAL_AGENT_SECRET\"},\n"
	"  \"webhook_base_url\": \"https://hooks.example.com/gitdial\",\n"
	"  \"disclosure\": {\"en\": \"This call may be recorded.\", \"ar\": \"\xd9\x82\xd8\xaf\"}\n"
	"}\n";

static int cfg(struct config **out, struct diags *d, const char *text)
{
	return config_load(out, "gitdial.json", text, strlen(text), d);
}

static void test_config(void)
{
	struct diags d = { 0 };
	struct config *c = NULL;
	const struct account *a;

	CHECK(cfg(&c, &d, good_config) == 0 && c && d.errors == 0,
	      "a good gitdial.json loads");
	if (d.n)
		dump(&d);
	a = config_account(c, "sim-main");
	CHECK(a && !strcmp(a->provider, "sim") && a->n_caller_ids == 2 &&
	      a->max_concurrency == 20 && a->cps == 50, "account sim-main fields");
	a = config_account(c, "tw");
	CHECK(a && a->max_concurrency == 10 && a->cps == 1,
	      "account defaults: max_concurrency 10, cps 1");
	CHECK(!config_account(c, "nope") && !config_account(c, NULL),
	      "config_account of an unknown name is NULL");
	CHECK(config_disclosure(c, "ar") && !strcmp(config_disclosure(c, "fr"),
						   "This call may be recorded."),
	      "config_disclosure falls back to en");
	config_free(c);
	diags_release(&d);
	config_free(NULL);

	{
		static const char t[] =
			"{\n"
			"  \"accounts\": {\n"
			"    \"tw\": {\n"
			"      \"provider\": \"twilio\",\n"
			"      \"caller_ids\": [\"+14155550100\"],\n"
			"      \"credentials\": {\n"
			"        \"account_sid\": \"env:TWILIO_ACCOUNT_SID\",\n"
			"        \"auth_token\": \"3f9c2a1b7e\"\n"
			"      }\n"
			"    }\n"
			"  }\n"
			"}\n";
		CHECK(cfg(&c, &d, t) == GD_EINVALID && !c, "a literal secret fails");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 8,
		       "accounts.tw.credentials.auth_token", "literal secrets");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"accounts\": {\n"
			"    \"tw\": {\n"
			"      \"provider\": \"twilio\",\n"
			"      \"caller_ids\": [\"+14155550100\",\n"
			"                     \"4155550101\"],\n"
			"      \"max_concurrency\": \"10\",\n"
			"      \"cps\": 0\n"
			"    }\n"
			"  },\n"
			"  \"agent\": {\"stream_url\": \"https://x\"},\n"
			"  \"webhook_base_url\": \"ftp://x\",\n"
			"  \"disclosure\": {\"english\": \"x\", \"ar\": \"\"},\n"
			"  \"acounts\": {}\n"
			"}\n";
		CHECK(cfg(&c, &d, t) == GD_EINVALID, "several mistakes fail");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 6, "accounts.tw.caller_ids[1]",
		       "E.164");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 7, "accounts.tw.max_concurrency",
		       "is a string (expected an integer)");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 8, "accounts.tw.cps", "above 0");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 11, "agent.stream_url", "wss://");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 12, "webhook_base_url", "http");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 13, "disclosure.english",
		       "language code");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 13, "disclosure.ar", "non-empty");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 14, "acounts", "unknown field");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"accounts\": {\n"
			"    \"my acct\": {\"provider\": \"pstn\", \"caller_ids\": []},\n"
			"    \"b\": {\"provider\": \"twilio\", \"caller_ids\": [\"+14155550100\"],\n"
			"          \"max_concurrency\": 0, \"seed\": 1}\n"
			"  }\n"
			"}\n";
		CHECK(cfg(&c, &d, t) == GD_EINVALID, "bad account fields fail");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 3, "accounts.my acct",
		       "account names");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 3, "accounts.my acct.provider",
		       "\"pstn\" is not a provider");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 3, "accounts.my acct.caller_ids",
		       "is empty");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 5, "accounts.b.max_concurrency",
		       "out of range");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 5, "accounts.b.seed",
		       "only for the sim provider");
		diags_release(&d);
	}
	CHECK(cfg(&c, &d, "{\n  \"accounts\": {}\n}\n") == GD_EINVALID,
	      "no accounts fails");
	EXPECT(&d, DIAG_ERROR, "gitdial.json", 2, "accounts", "is empty");
	diags_release(&d);
	CHECK(cfg(&c, &d, "{\n  \"agent\": {}\n}\n") == GD_EINVALID,
	      "missing accounts fails");
	EXPECT(&d, DIAG_ERROR, "gitdial.json", 1, "accounts", "is required");
	diags_release(&d);
	CHECK(cfg(&c, &d, "{\n  \"accounts\": [1]\n}\n") == GD_EINVALID,
	      "accounts as an array fails");
	EXPECT(&d, DIAG_ERROR, "gitdial.json", 2, "accounts",
	       "is an array (expected an object)");
	diags_release(&d);
	{
		/* BOM: cJSON accepts it; the lines must still be right */
		static const char t[] =
			"\xef\xbb\xbf{\n"
			"  \"accounts\": {\n"
			"    \"x\": {\"provider\": \"bogus\", \"caller_ids\": [\"+12125550100\"]}\n"
			"  }\n"
			"}\n";
		CHECK(cfg(&c, &d, t) == GD_EINVALID, "BOM file with a bad provider fails");
		EXPECT(&d, DIAG_ERROR, "gitdial.json", 0, "accounts.x.provider",
		       "not a provider");
		CHECK(has(&d, DIAG_ERROR, "gitdial.json", 3, "accounts.x.provider", NULL),
		      "after a UTF-8 BOM the error is on line 3 (got %lu)",
		      d.n ? d.v[0].line : 0UL);
		diags_release(&d);
	}
}

/* --- campaign_load ------------------------------------------------------ */

static struct config *the_cfg;

static int camp(struct campaign **out, struct diags *d, const char *text)
{
	return campaign_load(out, "nov", "campaigns/nov/campaign.json", text,
			     strlen(text), the_cfg, d);
}

#define F "campaigns/nov/campaign.json"

static void test_campaign(void)
{
	static const char good[] =
		"{\n"
		"  \"name\": \"November payment reminders\",\n"
		"  \"status\": \"scheduled\",\n"
		"  \"start_at\": \"2026-11-24T09:00:00+03:00\",\n"
		"  \"account\": \"sim-main\",\n"
		"  \"caller_id\": \"+12125550100\",\n"
		"  \"script\": {\"mode\": \"override\",\n"
		"    \"text\": \"Hi {{ Customer_Name }}, {{amount}} due {{due_date}}; {{amount}} again\"},\n"
		"  \"audience\": {\"csv\": \"audience.csv.gz\"},\n"
		"  \"pacing\": {\n"
		"    \"concurrency\": 5,\n"
		"    \"window\": {\"start\": \"09:00\", \"end\": \"20:00\", \"days\": [\"mon\", \"fri\"]},\n"
		"    \"retries\": {\"max\": 2, \"cooldown_minutes\": [30, 120], \"on\": [\"no_answer\", \"busy\"]},\n"
		"    \"voicemail\": \"leave_message\"\n"
		"  }\n"
		"}\n";
	struct diags d = { 0 };
	struct campaign *c = NULL;

	CHECK(camp(&c, &d, good) == 0 && c && !d.errors, "a good campaign loads");
	if (d.n)
		dump(&d);
	if (c) {
		CHECK(!strcmp(c->id, "nov") && c->desired == WANT_SCHEDULED &&
		      c->concurrency == 5 && c->voicemail == VM_LEAVE_MESSAGE,
		      "campaign fields");
		CHECK(c->n_placeholders == 3 &&
		      !strcmp(c->placeholders[0], "customer_name") &&
		      !strcmp(c->placeholders[1], "amount") &&
		      !strcmp(c->placeholders[2], "due_date"),
		      "placeholders: lower case, trimmed, once each");
		CHECK(c->retries_max == 2 && c->n_cooldown == 2 &&
		      campaign_cooldown_s(c, 1) == 1800 &&
		      campaign_cooldown_s(c, 2) == 7200 &&
		      campaign_cooldown_s(c, 5) == 7200, "cool-down ladder");
		CHECK(c->retry_on == ((1u << OUT_NO_ANSWER) | (1u << OUT_BUSY)),
		      "retry_on");
		CHECK(daywin_contains(&c->window, 1, 540) &&
		      !daywin_contains(&c->window, 2, 600) &&
		      daywin_contains(&c->window, 5, 1199) &&
		      !daywin_contains(&c->window, 5, 1200), "window mon,fri 09-20");
		CHECK(!strcmp(c->window_text, "09:00-20:00 mon,fri"),
		      "window_text \"%s\"", c->window_text);
		CHECK(!strcmp(campaign_caller_id(c, the_cfg), "+12125550100"),
		      "caller id");
	}
	campaign_free(c);
	diags_release(&d);
	campaign_free(NULL);

	{
		static const char t[] =
			"{\"name\": \"x\", \"account\": \"sim-main\",\n"
			" \"audience\": {\"segment\": \"vip\"}}\n";
		CHECK(camp(&c, &d, t) == 0 && c, "a minimal campaign loads");
		if (c) {
			CHECK(c->desired == WANT_DRAFT && c->concurrency == 1 &&
			      c->voicemail == VM_HANG_UP && c->retries_max == 0 &&
			      c->ring_timeout_s == 30 && c->max_call_minutes == 15,
			      "defaults: draft, concurrency 1, hang_up, no retries");
			CHECK(daywin_contains(&c->window, 0, 0) &&
			      daywin_contains(&c->window, 6, 1439),
			      "default window: any time");
			CHECK(!strcmp(campaign_caller_id(c, the_cfg), "+12125550100"),
			      "caller id defaults to the account's first");
		}
		campaign_free(c);
		diags_release(&d);
	}

	{
		/* voicemail_message: per language, placeholders, fall back to en */
		static const char t[] =
			"{\"name\": \"x\", \"account\": \"sim-main\",\n"
			" \"audience\": {\"segment\": \"vip\"},\n"
			" \"script\": {\"mode\": \"override\", \"text\": \"Offer a plan.\"},\n"
			" \"voicemail_message\": {\"en\": \"Hi {{Name}}, call us.\",\n"
			"   \"ar\": \"{{name}} {{amount}}\"},\n"
			" \"pacing\": {\"voicemail\": \"leave_message\"}}\n";
		CHECK(camp(&c, &d, t) == 0 && c, "voicemail_message by language loads");
		if (d.n)
			dump(&d);
		if (c) {
			CHECK(!strcmp(campaign_vm_message(c, "ar"), "{{name}} {{amount}}") &&
			      !strcmp(campaign_vm_message(c, "fr"), "Hi {{Name}}, call us.") &&
			      !strcmp(campaign_vm_message(c, NULL), "Hi {{Name}}, call us."),
			      "voicemail_message: the language's, else en's");
			CHECK(c->n_placeholders == 2 && !strcmp(c->placeholders[0], "name") &&
			      !strcmp(c->placeholders[1], "amount"),
			      "voicemail_message placeholders are checked against the audience");
		}
		campaign_free(c);
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\"name\": \"x\", \"account\": \"sim-main\",\n"
			" \"audience\": {\"segment\": \"vip\"},\n"
			" \"pacing\": {\"voicemail\": \"leave_message\"}}\n";
		CHECK(camp(&c, &d, t) == 0 && c, "leave_message in agent mode loads");
		CHECK(c && !campaign_vm_message(c, "en"),
		      "no voicemail_message: the agent leaves it");
		campaign_free(c);
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"                                                         /* 1 */
			"  \"name\": \"x\", \"account\": \"sim-main\",\n"           /* 2 */
			"  \"audience\": {\"segment\": \"vip\"},\n"                  /* 3 */
			"  \"voicemail_message\": \"Please call us back.\"\n"          /* 4 */
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID && !c,
		      "voicemail_message with hang_up fails");
		EXPECT(&d, DIAG_ERROR, F, 4, "voicemail_message",
		       "is only spoken with pacing.voicemail leave_message");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"                                                         /* 1 */
			"  \"name\": \"x\", \"account\": \"sim-main\",\n"           /* 2 */
			"  \"audience\": {\"segment\": \"vip\"},\n"                  /* 3 */
			"  \"pacing\": {\"voicemail\": \"leave_message\"},\n"        /* 4 */
			"  \"voicemail_message\": {\n"                                 /* 5 */
			"    \"en\": \"\",\n"                                           /* 6 */
			"    \"x y\": \"Hi\",\n"                                         /* 7 */
			"    \"ar\": \"Hi {{name\",\n"                                   /* 8 */
			"    \"fr\": 3,\n"                                               /* 9 */
			"    \"de\": \"ring\\u0007\",\n"                                /* 10 */
			"    \"es\": \" \\n \"\n"                                       /* 11 */
			"  }\n"                                                         /* 12 */
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID && !c, "bad voicemail_message fails");
		EXPECT(&d, DIAG_ERROR, F, 6, "voicemail_message.en",
		       "expected 1-1000 characters");
		EXPECT(&d, DIAG_ERROR, F, 5, "voicemail_message",
		       "\"x y\" is not a language code");
		EXPECT(&d, DIAG_ERROR, F, 8, "voicemail_message.ar",
		       "without a closing");
		EXPECT(&d, DIAG_ERROR, F, 9, "voicemail_message.fr", "expected text");
		EXPECT(&d, DIAG_ERROR, F, 10, "voicemail_message.de",
		       "contains a control character");
		EXPECT(&d, DIAG_ERROR, F, 11, "voicemail_message.es", "is blank");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\"name\": \"x\", \"account\": \"sim-main\",\n"
			" \"audience\": {\"segment\": \"vip\"},\n"
			" \"pacing\": {\"voicemail\": \"leave_message\"},\n"
			" \"voicemail_message\": [\"Hi\"]}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "voicemail_message as a list fails");
		EXPECT(&d, DIAG_ERROR, F, 4, "voicemail_message",
		       "expected text, or an object of texts by language code");
		diags_release(&d);
	}

	CHECK(campaign_load(&c, "Bad_Id", "campaigns/Bad_Id/campaign.json", good,
			    strlen(good), the_cfg, &d) == GD_EINVALID && !c,
	      "a bad campaign id fails");
	EXPECT(&d, DIAG_ERROR, "campaigns/Bad_Id/campaign.json", 0, NULL,
	       "campaign id \"Bad_Id\" is not allowed");
	diags_release(&d);

	{
		static const char t[] =
			"{\n"                                                   /* 1 */
			"  \"name\": \"x\",\n"                                  /* 2 */
			"  \"account\": \"sim-main\",\n"                        /* 3 */
			"  \"audience\": {\"csv\": \"audience.csv\"},\n"        /* 4 */
			"  \"pacing\": {\n"                                     /* 5 */
			"    \"concurrency\": 1001,\n"                          /* 6 */
			"    \"window\": {\n"                                   /* 7 */
			"      \"start\": \"09:00\",\n"                         /* 8 */
			"      \"end\": \"25:00\",\n"                           /* 9 */
			"      \"days\": [\"mon\", \"funday\", \"mon\"]\n"      /* 10 */
			"    },\n"                                              /* 11 */
			"    \"retries\": {\"max\": 11, \"cooldown_minutes\": 0,\n" /* 12 */
			"                \"on\": [\"connected\"]},\n"           /* 13 */
			"    \"voicemail\": \"beep\"\n"                         /* 14 */
			"  }\n"                                                 /* 15 */
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID && !c, "bad pacing fails");
		EXPECT(&d, DIAG_ERROR, F, 6, "pacing.concurrency",
		       "1001 is out of range (expected 1-1000)");
		EXPECT(&d, DIAG_ERROR, F, 9, "pacing.window.end",
		       "\"25:00\" is not a time (HH:MM)");
		EXPECT(&d, DIAG_ERROR, F, 10, "pacing.window.days[1]", "expected one of");
		EXPECT(&d, DIAG_ERROR, F, 10, "pacing.window.days[2]", "listed twice");
		EXPECT(&d, DIAG_ERROR, F, 12, "pacing.retries.max", "out of range");
		EXPECT(&d, DIAG_ERROR, F, 12, "pacing.retries.cooldown_minutes",
		       "out of range");
		EXPECT(&d, DIAG_ERROR, F, 13, "pacing.retries.on[0]",
		       "expected no_answer");
		EXPECT(&d, DIAG_ERROR, F, 14, "pacing.voicemail", "\"beep\" is not allowed");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"name\": \"x\",\n"
			"  \"account\": \"sim-main\",\n"
			"  \"audience\": {\"csv\": \"audience.csv\"},\n"
			"  \"pacing\": {\n"
			"    \"window\": {\"start\": \"20:00\", \"end\": \"09:00\"},\n"
			"    \"retries\": {\"max\": 2}\n"
			"  }\n"
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "window crossing midnight fails");
		EXPECT(&d, DIAG_ERROR, F, 6, "pacing.window.end", "not after start");
		EXPECT(&d, DIAG_ERROR, F, 7, "pacing.retries.cooldown_minutes",
		       "is required when retries.max is above 0");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"name\": \"x\",\n"
			"  \"status\": \"running\",\n"
			"  \"start_at\": \"2026-11-24T09:00:00\",\n"
			"  \"end_at\": \"2026-02-30T09:00:00Z\",\n"
			"  \"account\": \"nope\",\n"
			"  \"caller_id\": \"212-555-0100\",\n"
			"  \"script\": {\"mode\": \"robot\"},\n"
			"  \"audience\": {\"csv\": \"../secret.csv\", \"segment\": \"VIP\"},\n"
			"  \"require_consent\": \"yes\",\n"
			"  \"pacng\": {}\n"
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "bad top-level fields fail");
		EXPECT(&d, DIAG_ERROR, F, 3, "status", "\"running\" is not allowed");
		EXPECT(&d, DIAG_ERROR, F, 4, "start_at", "RFC 3339");
		EXPECT(&d, DIAG_ERROR, F, 5, "end_at", "RFC 3339");
		EXPECT(&d, DIAG_ERROR, F, 6, "account", "no account \"nope\"");
		EXPECT(&d, DIAG_ERROR, F, 7, "caller_id", "not an E.164 number");
		EXPECT(&d, DIAG_ERROR, F, 8, "script.mode", "\"robot\" is not allowed");
		EXPECT(&d, DIAG_ERROR, F, 9, "audience.csv", "plain file name");
		EXPECT(&d, DIAG_ERROR, F, 9, "audience.segment", "segment name");
		EXPECT(&d, DIAG_ERROR, F, 9, "audience", "exactly one of csv or segment");
		EXPECT(&d, DIAG_ERROR, F, 10, "require_consent", "true or false");
		EXPECT(&d, DIAG_ERROR, F, 11, "pacng", "unknown field");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"name\": \"x\",\n"
			"  \"status\": \"scheduled\",\n"
			"  \"start_at\": \"2026-11-24T09:00:00Z\",\n"
			"  \"end_at\": \"2026-11-24T08:00:00Z\",\n"
			"  \"account\": \"sim-main\",\n"
			"  \"caller_id\": \"+14155550100\",\n"
			"  \"script\": {\"mode\": \"override\"},\n"
			"  \"audience\": {},\n"
			"  \"pacing\": []\n"
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "inconsistent fields fail");
		EXPECT(&d, DIAG_ERROR, F, 5, "end_at", "not after start_at");
		EXPECT(&d, DIAG_ERROR, F, 7, "caller_id",
		       "is not one of account \"sim-main\"'s caller_ids");
		EXPECT(&d, DIAG_ERROR, F, 8, "script.text", "is required");
		EXPECT(&d, DIAG_ERROR, F, 9, "audience", "exactly one");
		EXPECT(&d, DIAG_ERROR, F, 10, "pacing", "is an array (expected an object)");
		diags_release(&d);
	}
	{
		static const char t[] =
			"{\n"
			"  \"name\": \"x\",\n"
			"  \"status\": \"scheduled\",\n"
			"  \"account\": \"sim-main\",\n"
			"  \"script\": {\"mode\": \"override\", \"text\": \"Hi {{}} and {{name\"},\n"
			"  \"audience\": {\"csv\": \"a.csv\"},\n"
			"  \"pacing\": {\"concurrency\": \"5\", \"retries\": {\"max\": 1.5,\n"
			"     \"cooldown_minutes\": [30, 0, \"x\"]}}\n"
			"}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "placeholder and type mistakes fail");
		EXPECT(&d, DIAG_ERROR, F, 3, "status", "needs start_at");
		EXPECT(&d, DIAG_ERROR, F, 5, "script.text", "empty placeholder");
		EXPECT(&d, DIAG_ERROR, F, 5, "script.text", "without a closing");
		EXPECT(&d, DIAG_ERROR, F, 7, "pacing.concurrency",
		       "is a string (expected an integer)");
		EXPECT(&d, DIAG_ERROR, F, 7, "pacing.retries.max", "not an integer");
		EXPECT(&d, DIAG_ERROR, F, 8, "pacing.retries.cooldown_minutes[1]",
		       "whole minutes");
		EXPECT(&d, DIAG_ERROR, F, 8, "pacing.retries.cooldown_minutes[2]",
		       "whole minutes");
		diags_release(&d);
	}
	{
		/* name: 120 characters fine, 121 not (Arabic: 2 bytes each) */
		char t[1024], name[512];
		int i;
		for (i = 0; i < 121; i++)
			memcpy(name + 2 * i, "\xd8\xa7", 2);
		name[240] = '\0';
		snprintf(t, sizeof(t), "{\"name\": \"%s\", \"account\": \"sim-main\", "
			 "\"audience\": {\"csv\": \"a.csv\"}}", name);
		CHECK(camp(&c, &d, t) == 0, "a name of 120 Arabic letters is fine");
		campaign_free(c);
		diags_release(&d);
		name[240] = '\xd8';
		name[241] = '\xa7';
		name[242] = '\0';
		snprintf(t, sizeof(t), "{\"name\": \"%s\", \"account\": \"sim-main\", "
			 "\"audience\": {\"csv\": \"a.csv\"}}", name);
		CHECK(camp(&c, &d, t) == GD_EINVALID, "a name of 121 letters fails");
		EXPECT(&d, DIAG_ERROR, F, 1, "name", "1-120 characters");
		diags_release(&d);
	}
	{
		static const char t[] = "{\"name\": \"x\", \"account\": \"sim-main\", "
			"\"audience\": {\"csv\": \"a.csv\"}, \"pacing\": {\"retries\": "
			"{\"max\": 1, \"cooldown_minutes\": 5}}}";
		CHECK(camp(&c, &d, t) == 0 && c &&
		      c->retry_on == ((1u << OUT_NO_ANSWER) | (1u << OUT_BUSY)) &&
		      campaign_cooldown_s(c, 1) == 300,
		      "retries.on defaults to no_answer and busy");
		campaign_free(c);
		diags_release(&d);
	}
	/* a binary file as campaign.json */
	{
		static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
		CHECK(camp(&c, &d, "") == GD_EINVALID, "an empty campaign.json fails");
		EXPECT(&d, DIAG_ERROR, F, 0, NULL, "file is empty");
		diags_release(&d);
		CHECK(campaign_load(&c, "nov", F, png, sizeof(png) - 1, the_cfg, &d) ==
		      GD_EINVALID, "a PNG as campaign.json fails");
		EXPECT(&d, DIAG_ERROR, F, 1, NULL, "invalid UTF-8 at byte 1");
		diags_release(&d);
	}
	/*
	 * Numbers past the range of long: the (long) casts in jget_int and
	 * load_retries are undefined behaviour (clang's UBSan reports
	 * float-cast-overflow; gcc's -fsanitize=undefined does not check it).
	 */
	{
		static const char t[] =
			"{\"name\": \"x\", \"account\": \"sim-main\",\n"
			" \"audience\": {\"csv\": \"a.csv\"},\n"
			" \"pacing\": {\"concurrency\": 1e300,\n"
			"   \"retries\": {\"max\": -1e300, \"cooldown_minutes\": [1e300]}}}\n";
		CHECK(camp(&c, &d, t) == GD_EINVALID, "numbers like 1e300 fail");
		TODO(has(&d, DIAG_ERROR, F, 3, "pacing.concurrency", "out of range") &&
		     has(&d, DIAG_ERROR, F, 4, "pacing.retries.max", "out of range"),
		     "jsonx.c jget_int casts the double to long before the range "
		     "check (undefined for |d| > LONG_MAX; it says \"not an integer\")",
		     "1e300 and -1e300 are out of range");
		EXPECT(&d, DIAG_ERROR, F, 4, "pacing.retries.cooldown_minutes[0]",
		       "whole minutes");
		diags_release(&d);
	}
	CHECK(outcome_parse("busy") == OUT_BUSY && outcome_parse("x") == OUT_NONE &&
	      outcome_parse(NULL) == OUT_NONE, "outcome_parse");
}

/* json_set_member: one member changes, every other byte stays. */
static void test_json_set_member(void)
{
	static const struct { const char *in, *key, *val, *want; } t[] = {
		{ "{\n  \"name\": \"x\",\n  \"status\": \"scheduled\",\n  \"a\": 1\n}\n",
		  "status", "\"paused\"",
		  "{\n  \"name\": \"x\",\n  \"status\": \"paused\",\n  \"a\": 1\n}\n" },
		{ "{\n\t\"name\": \"x\"\n}", "status", "\"draft\"",
		  "{\n\t\"status\": \"draft\",\n\t\"name\": \"x\"\n}" },
		{ "{}", "status", "\"draft\"", "{\"status\": \"draft\"}" },
		/* a nested "status" is not the top-level one */
		{ "{\"p\": {\"status\": 1}, \"status\": \"a\"}", "status", "\"b\"",
		  "{\"p\": {\"status\": 1}, \"status\": \"b\"}" },
		{ "{\"p\": {\"status\": 1}}", "status", "\"b\"",
		  "{\"status\": \"b\",\"p\": {\"status\": 1}}" },
		/* a string value holding braces and quotes is skipped whole */
		{ "{\"n\": \"a}\\\"b\", \"status\": [1, {\"x\": \"]\"}]}", "status",
		  "\"ok\"", "{\"n\": \"a}\\\"b\", \"status\": \"ok\"}" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out = BUF_INIT(4096);
		int rc = json_set_member(&out, t[i].in, strlen(t[i].in), t[i].key,
					 t[i].val);
		CHECK(!rc && out.ptr && !strcmp(out.ptr, t[i].want),
		      "json_set_member case %zu gives %s", i, out.ptr ? out.ptr : "(null)");
		buf_release(&out);
	}
	{
		struct buf out = BUF_INIT(4096);
		CHECK(json_set_member(&out, "[1]", 3, "status", "1") != 0,
		      "json_set_member refuses a document that is not an object");
		CHECK(json_set_member(&out, "{\"a\":", 5, "status", "1") != 0,
		      "json_set_member refuses malformed JSON");
		buf_release(&out);
	}
}

/* json_remove_member: the member and its comma go, every other byte stays. */
static void test_json_remove_member(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "{\n  \"a\": 1,\n  \"start_at\": \"x\",\n  \"b\": 2\n}\n",
		  "{\n  \"a\": 1,\n  \"b\": 2\n}\n" },
		{ "{\n  \"a\": 1,\n  \"start_at\": \"x\"\n}\n", "{\n  \"a\": 1\n}\n" },
		{ "{\"start_at\": \"x\", \"b\": 2}", "{\"b\": 2}" },
		{ "{\"start_at\" : \"x\"}", "{}" },
		{ "{\"a\": 1}", "{\"a\": 1}" },
		/* a nested start_at is not the top-level one */
		{ "{\"p\": {\"start_at\": 1}, \"a\": 2}", "{\"p\": {\"start_at\": 1}, \"a\": 2}" },
		/* colons and quotes in strings before it */
		{ "{\"a\": \"x:\\\"y\", \"start_at\": \"t:1\"}", "{\"a\": \"x:\\\"y\"}" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out = BUF_INIT(4096);
		int rc = json_remove_member(&out, t[i].in, strlen(t[i].in), "start_at");
		CHECK(!rc && out.ptr && !strcmp(out.ptr, t[i].want),
		      "json_remove_member case %zu gives %s", i, out.ptr ? out.ptr : "(null)");
		buf_release(&out);
	}
	{
		struct buf out = BUF_INIT(4096);
		CHECK(json_remove_member(&out, "[1]", 3, "start_at") != 0,
		      "json_remove_member refuses a document that is not an object");
		buf_release(&out);
	}
}

int main(void)
{
	struct diags d = { 0 };

	test_json_line();
	test_json_load();
	test_json_set_member();
	test_json_remove_member();
	test_config();
	if (config_load(&the_cfg, "gitdial.json", good_config,
			strlen(good_config), &d)) {
		dump(&d);
		printf("Bail out! the good config does not load\n");
		return 1;
	}
	diags_release(&d);
	test_campaign();
	config_free(the_cfg);
	return finish();
}
