/*
 * gitdial-twilio: Twilio Programmable Voice through its REST API.
 *
 * dial   POST /2010-04-01/Accounts/{sid}/Calls.json with inline Twiml:
 *        the recording disclosure (<Say>, the recipient's language) when
 *        the request carries one, then <Connect><Stream> to the agent with
 *        <Parameter>s (campaign, attempt, language, script, variables).
 *        Status callbacks (initiated, ringing, answered, completed) and
 *        async answering-machine detection report to the webhook URL.
 * status GET the call by sid; with no sid (an attempt claimed but never
 *        confirmed placed), list calls To/From since the claim.
 * hangup POST Status=completed (Status=canceled for a call not yet up).
 *
 * The webhook side (CGI) is twilio_hook.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "form.h"
#include "hook.h"
#include "httpc.h"
#include "twilio.h"
#include "util.h"
#include "web.h"
#include "trust.h"
#include "banned.h"

#define TWILIO_LIST_PAGES 5
#define TWILIO_CLOCK_SKEW 120 /* seconds a call may seem to predate its claim */

int twilio_account_load(struct twilio_account *a, const cJSON *account,
			const char *name)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
	if (hook_api_base(a->base, sizeof(a->base), account, TWILIO_API, "twilio")) {
		gd_error_prefix("account '%s'", a->name);
		return GD_EINVALID;
	}
	if (hook_credential(a->sid, sizeof(a->sid), account, "account_sid") ||
	    hook_credential(a->token, sizeof(a->token), account, "auth_token")) {
		gd_error_prefix("account '%s'", a->name);
		twilio_account_wipe(a);
		return GD_ERROR;
	}
	return 0;
}

void twilio_account_wipe(struct twilio_account *a)
{
	explicit_bzero(a->token, sizeof(a->token));
}

int twilio_rest(struct httpc_response *res, const struct twilio_account *a,
		const char *method, const char *path, const char *form)
{
	struct buf url = BUF_INIT(8192);
	struct httpc_request rq;
	int rc;

	memset(&rq, 0, sizeof(rq));
	if (path[0] == '/' && !strncmp(path, "/2010-04-01/", 12))
		rc = buf_printf(&url, "%s%s", a->base, path); /* a next_page_uri */
	else
		rc = buf_printf(&url, "%s/2010-04-01/Accounts/%s%s", a->base,
				a->sid, path);
	if (rc) {
		memset(res, 0, sizeof(*res));
		buf_init(&res->body, HTTPC_BODY_MAX);
		res->fate = HTTPC_NOT_SENT;
		snprintf(res->error, sizeof(res->error), "URL too long");
		buf_release(&url);
		return GD_ERROR;
	}
	rq.method = method;
	rq.url = url.ptr;
	rq.user = a->sid;
	rq.password = a->token;
	if (form) {
		rq.content_type = "application/x-www-form-urlencoded";
		rq.body = form;
		rq.len = strlen(form);
	}
	rc = httpc_perform(res, &rq);
	buf_release(&url);
	return rc;
}

/* Twilio's error code ("code", number or string) and message, if any. */
static long error_code(const struct httpc_response *res, char *msg, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(res->body.ptr ? res->body.ptr : "",
					 res->body.len);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "message"));
	long code = 0;

	if (!m)
		m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "detail"));
	if (!m)
		m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "title"));
	snprintf(msg, n, "%s", m ? m : "");
	if (cJSON_IsNumber(c))
		code = (long)c->valuedouble;
	else if (cJSON_IsString(c))
		code = strtol(c->valuestring, NULL, 10);
	cJSON_Delete(j);
	return code;
}

/*
 * Twilio's codes that mean the account or its settings are wrong, not the
 * number: geographic permissions, trial-account limits, caller ID. Codes
 * and titles from Twilio's error dictionary (docs/providers.md).
 */
static const struct {
	long code;
	const char *hint;
} account_codes[] = {
	{ 21215, "the destination country is not enabled in the account's "
	  "Voice Geographic Permissions (Twilio Console > Voice > Settings > "
	  "Geo permissions): enable it, then gitdial resume" },
	{ 13227, "the destination country is not enabled in the account's "
	  "Voice Geographic Permissions: enable it, then gitdial resume" },
	{ 32205, "the destination country is not enabled in the SIP trunk's "
	  "Geographic Permissions: enable it, then gitdial resume" },
	{ 21219, "a trial account calls only verified numbers: upgrade the "
	  "account (or verify the number), then gitdial resume" },
	{ 32100, "a trial account calls only verified caller IDs: upgrade the "
	  "account, then gitdial resume" },
	{ 10002, "a trial account cannot use this feature: upgrade the account, "
	  "then gitdial resume" },
	{ 21210, "the campaign's From is neither a Twilio number of this account "
	  "nor a verified caller ID: verify it or change from, then gitdial "
	  "resume" },
	{ 32204, "the campaign's From is not a verified caller ID of the "
	  "account: verify it or change from, then gitdial resume" },
	{ 21212, "the campaign's From is not a valid caller ID (E.164, a number "
	  "of the account): change from, then gitdial resume" },
	{ 20005, "the Twilio account is not active (suspended, or out of "
	  "funds): reactivate it, then gitdial resume" },
};

const char *twilio_account_hint(long code)
{
	size_t i;

	for (i = 0; i < sizeof(account_codes) / sizeof(account_codes[0]); i++)
		if (account_codes[i].code == code)
			return account_codes[i].hint;
	return NULL;
}

cJSON *twilio_fail(const struct httpc_response *res, int creating)
{
	const char *hint;
	char msg[400], code_s[24];
	long code;

	if (res->fate == HTTPC_NOT_SENT)
		return fn_fail("transient", "connect", "cannot reach Twilio: %s",
			       res->error);
	if (res->fate == HTTPC_NO_RESPONSE)
		return creating
			? fn_fail("ambiguous", "no_response", "no response from "
				  "Twilio (%s): the call may exist", res->error)
			: fn_fail("transient", "no_response", "no response from "
				  "Twilio: %s", res->error);
	code = error_code(res, msg, sizeof(msg));
	if (code)
		snprintf(code_s, sizeof(code_s), "%ld", code);
	else
		snprintf(code_s, sizeof(code_s), "http_%ld", res->status);
	if (!msg[0])
		snprintf(msg, sizeof(msg), "HTTP %ld", res->status);
	if (res->status == 429 || code == 20429 || code == 10004)
		return fn_fail("rate_limited", code_s, "Twilio: %s", msg);
	if (res->status == 401 || code == 20003)
		return fn_fail("auth", code_s, "Twilio refused the credentials: %s",
			       msg);
	if ((hint = twilio_account_hint(code)))
		return fn_hint(fn_fail("account", code_s, "Twilio: %s", msg), hint);
	if (code == 21211 || code == 21214 || code == 21217 || code == 21216)
		return fn_fail("invalid_number", code_s, "Twilio: %s", msg);
	if (creating && (res->status == 502 || res->status == 504))
		/* a gateway's answer: Twilio behind it may have made the call */
		return fn_fail("ambiguous", code_s, "Twilio's gateway answered "
			       "HTTP %ld: the call may exist", res->status);
	if (res->status >= 500)
		return fn_fail("transient", code_s, "Twilio: %s", msg);
	if (res->status == 404)
		return creating
			? fn_fail("auth", code_s, "Twilio does not know the "
				  "account: %s", msg)
			: fn_fail("transient", code_s, "Twilio: %s", msg);
	if (res->status >= 200 && res->status < 300)
		return creating
			? fn_fail("ambiguous", "bad_response", "Twilio answered %ld "
				  "without a call sid", res->status)
			: fn_fail("transient", "bad_response", "Twilio answered %ld "
				  "with an unreadable body", res->status);
	return fn_fail("rejected", code_s, "Twilio: %s", msg);
}

int twilio_is_machine(const char *answered_by)
{
	return answered_by && (!strncmp(answered_by, "machine", 7) ||
			       !strcmp(answered_by, "fax"));
}

int twilio_outcome(cJSON *ev, const char *status, long duration_s,
		   const char *answered_by, int sip_code)
{
	if (!status)
		return GD_ENOTFOUND;
	if (!strcmp(status, "completed")) {
		if (twilio_is_machine(answered_by))
			hook_outcome(ev, "voicemail", duration_s, 0, answered_by,
				     sip_code, status);
		else if (duration_s < TWILIO_HANGUP_S)
			hook_outcome(ev, "hangup", duration_s, 1, answered_by,
				     sip_code, status);
		else
			hook_outcome(ev, "connected", duration_s, 1, answered_by,
				     sip_code, status);
	} else if (!strcmp(status, "busy")) {
		hook_outcome(ev, "busy", 0, 0, NULL, sip_code ? sip_code : 486,
			     status);
	} else if (!strcmp(status, "no-answer") || !strcmp(status, "canceled")) {
		hook_outcome(ev, "no_answer", 0, 0, NULL, sip_code, status);
	} else if (!strcmp(status, "failed")) {
		cJSON *e;
		int bad_number = sip_code == 404 || sip_code == 484 ||
			sip_code == 604 || sip_code == 410;
		hook_outcome(ev, "failed", 0, 0, NULL, sip_code, status);
		e = cJSON_AddObjectToObject(ev, "error");
		cJSON_AddStringToObject(e, "kind", bad_number ? "invalid_number"
					: "failed");
		if (sip_code)
			cJSON_AddNumberToObject(e, "code", sip_code);
		cJSON_AddStringToObject(e, "message", bad_number
					? "the number cannot be reached as dialed"
					: "the call could not be completed");
	} else {
		return GD_ENOTFOUND;
	}
	return 0;
}

int xml_escape(struct buf *out, const char *s)
{
	int rc = 0;

	for (; !rc && *s; s++) {
		switch (*s) {
		case '&': rc = buf_puts(out, "&amp;"); break;
		case '<': rc = buf_puts(out, "&lt;"); break;
		case '>': rc = buf_puts(out, "&gt;"); break;
		case '"': rc = buf_puts(out, "&quot;"); break;
		case '\'': rc = buf_puts(out, "&apos;"); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' &&
			    *s != '\r')
				rc = buf_putc(out, ' ');
			else
				rc = buf_putc(out, *s);
		}
	}
	return rc;
}

/* Twilio's <Say> language for the recipient's language code. */
static const char *say_language(const char *lang)
{
	static const char *const map[][2] = {
		{ "en", "en-US" }, { "ar", "ar-XA" }, { "es", "es-US" },
		{ "fr", "fr-FR" }, { "de", "de-DE" }, { "pt", "pt-BR" },
		{ "it", "it-IT" }, { "hi", "hi-IN" }, { "ur", "ur-IN" },
	};
	size_t i;

	if (!lang || !*lang)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(lang, map[i][0]))
			return map[i][1];
	return lang;
}

int twiml_say(struct buf *out, const char *language, const char *text)
{
	const char *l = say_language(language);
	int rc = buf_puts(out, "<Say");

	if (!rc && l)
		rc = buf_puts(out, " language=\"") || xml_escape(out, l) ||
		     buf_putc(out, '"');
	return rc || buf_putc(out, '>') || xml_escape(out, text) ||
	       buf_puts(out, "</Say>");
}

static int twiml_param(struct buf *out, const char *name, const char *value)
{
	return buf_puts(out, "<Parameter name=\"") || xml_escape(out, name) ||
	       buf_puts(out, "\" value=\"") || xml_escape(out, value) ||
	       buf_puts(out, "\"/>");
}

int twiml_stream(struct buf *out, const char *stream, const char *campaign,
		 const char *attempt_id, const char *lang, const char *mode,
		 const char *script, const cJSON *vars, int voicemail)
{
	const cJSON *v;
	char name[160];
	int rc;

	rc = buf_puts(out, "<Connect><Stream url=\"") ||
	     xml_escape(out, stream) || buf_puts(out, "\">") ||
	     twiml_param(out, "campaign", campaign ? campaign : "") ||
	     twiml_param(out, "attempt_id", attempt_id ? attempt_id : "");
	if (!rc && lang)
		rc = twiml_param(out, "language", lang);
	if (!rc)
		rc = twiml_param(out, "script_mode", mode ? mode : "agent");
	if (!rc && script && *script && (!mode || !strcmp(mode, "override")))
		rc = twiml_param(out, "script", script);
	if (!rc && voicemail)
		rc = twiml_param(out, "voicemail", "leave_message");
	cJSON_ArrayForEach(v, vars) {
		if (rc)
			break;
		if (!cJSON_IsString(v))
			continue;
		snprintf(name, sizeof(name), "var_%s", v->string);
		rc = twiml_param(out, name, v->valuestring);
	}
	return rc || buf_puts(out, "</Stream></Connect>");
}

/* The call's inline Twiml: disclosure, then the agent's stream. */
static int twiml_dial(struct buf *out, const cJSON *req, const char *stream)
{
	const cJSON *script = cJSON_GetObjectItemCaseSensitive(req, "script");
	const char *disclosure = fn_str(req, "disclosure");
	const char *lang = fn_str(req, "language");
	int rc;

	rc = buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
	if (!rc && disclosure && *disclosure)
		rc = twiml_say(out, lang, disclosure);
	return rc || twiml_stream(out, stream, fn_str(req, "campaign"),
				  fn_str(req, "attempt_id"), lang,
				  fn_str(script, "mode"), fn_str(script, "text"),
				  cJSON_GetObjectItemCaseSensitive(req, "variables"),
				  0) ||
	       buf_puts(out, "</Response>");
}

/* The webhook URL with our query parameters added. */
static int callback_url(struct buf *out, const char *webhook_url,
			const char *account, const char *attempt_id,
			const char *cb, const char *vm, const char *msg,
			const char *lang, const char *mode, const char *prompt)
{
	struct buf q = BUF_INIT(64 * 1024);
	int rc;

	rc = form_put(&q, "account", account) ||
	     form_put(&q, "attempt_id", attempt_id);
	if (!rc && cb)
		rc = form_put(&q, "cb", cb);
	if (!rc && vm)
		rc = form_put(&q, "vm", vm);
	/* the message rides in the URL Twilio signs: no state on this disk */
	if (!rc && msg)
		rc = form_put(&q, "msg", msg);
	if (!rc && (msg || mode) && lang)
		rc = form_put(&q, "lang", lang);
	/* no message: the agent leaves one, with the script as its prompt */
	if (!rc && mode)
		rc = form_put(&q, "mode", mode);
	if (!rc && mode && prompt && *prompt)
		rc = form_put(&q, "prompt", prompt);
	rc = rc || buf_puts(out, webhook_url) ||
	     buf_putc(out, strchr(webhook_url, '?') ? '&' : '?') ||
	     buf_puts(out, q.ptr);
	buf_release(&q);
	return rc;
}

static cJSON *twilio_dial(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(req, "agent");
	const cJSON *script = cJSON_GetObjectItemCaseSensitive(req, "script");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(req, "ring_timeout_s");
	const char *aid = fn_str(req, "attempt_id"), *hook = fn_str(req, "webhook_url");
	const char *stream = fn_str(agent, "stream_url");
	const char *vm = fn_str(req, "voicemail");
	const char *text = fn_str(script, "text"), *mode = fn_str(script, "mode");
	const char *msg = fn_str(req, "voicemail_message");
	struct buf twiml = BUF_INIT(64 * 1024), form = BUF_INIT(128 * 1024);
	struct buf url = BUF_INIT(8192), amd = BUF_INIT(64 * 1024);
	struct twilio_account a;
	struct httpc_response res;
	cJSON *out = NULL, *body = NULL;
	const char *sid;
	char timeout[16];
	long ring = cJSON_IsNumber(rt) ? (long)rt->valuedouble : 30;
	size_t chars;
	/*
	 * The machine gets voicemail_message by <Say>, or else the agent's
	 * stream again after the beep; never script.text by <Say>: that is
	 * instructions to the agent.
	 */
	int leave = vm && !strcmp(vm, "leave_message");

	if (msg && !*msg)
		msg = NULL;
	memset(&res, 0, sizeof(res));
	buf_init(&res.body, 1);
	if (twilio_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (!stream || !*stream) {
		out = fn_fail("rejected", "no_agent", "agent.stream_url is not set: "
			      "there is no agent to connect the call to");
		goto cleanup;
	}
	if ((out = fn_record_refusal(
		     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "record")),
		     fn_str(req, "disclosure") && *fn_str(req, "disclosure"))))
		goto cleanup;
	/* the call's audio goes there: only to a host the operator lists */
	if (trust_agent_check(stream, "agent.stream_url")) {
		out = fn_fail("rejected", "agent_host", "%s", gd_error_last());
		goto cleanup;
	}
	if (twiml_dial(&twiml, req, stream)) {
		out = fn_fail("rejected", "twiml_too_long", "the call's Twiml is "
			      "larger than %zu bytes", twiml.max);
		goto cleanup;
	}
	chars = utf8_len(twiml.ptr);
	if (chars > TWILIO_TWIML_MAX) {
		out = fn_fail("rejected", "twiml_too_long", "the call's inline Twiml "
			      "is %zu characters; Twilio takes at most %d: shorten "
			      "the script (%zu characters) or the disclosure",
			      chars, TWILIO_TWIML_MAX, text ? utf8_len(text) : 0);
		goto cleanup;
	}
	ring = ring < 5 ? 5 : ring > 600 ? 600 : ring;
	snprintf(timeout, sizeof(timeout), "%ld", ring);
	if (form_put(&form, "To", fn_str(req, "to")) ||
	    form_put(&form, "From", fn_str(req, "from")) ||
	    form_put(&form, "Twiml", twiml.ptr) ||
	    form_put(&form, "Timeout", timeout))
		goto too_big;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "record")) &&
	    form_put(&form, "Record", "true"))
		/* "The recording_url is sent to the status_callback URL" */
		goto too_big;
	if (hook && *hook) {
		if (callback_url(&url, hook, a.name, aid, NULL, NULL, NULL,
				 NULL, NULL, NULL) ||
		    callback_url(&amd, hook, a.name, aid, "amd",
				 leave ? "leave_message" : "hang_up",
				 leave ? msg : NULL, fn_str(req, "language"),
				 leave && !msg ? (mode ? mode : "agent") : NULL,
				 text))
			goto too_big;
		if (amd.len > TWILIO_URL_MAX && leave && !msg) {
			/* the agent had the script with the call's first stream
			 * (same attempt_id): the voicemail stream can go without */
			buf_reset(&amd);
			if (callback_url(&amd, hook, a.name, aid, "amd",
					 "leave_message", NULL,
					 fn_str(req, "language"),
					 mode ? mode : "agent", NULL))
				goto too_big;
		}
		if (amd.len > TWILIO_URL_MAX) {
			out = fn_fail("rejected", "vm_message_too_long", "the "
				      "voicemail %s makes the AMD callback URL "
				      "%zu characters; Twilio takes at most %d: "
				      "shorten it (%zu characters)",
				      msg ? "message" : "agent's script", amd.len,
				      TWILIO_URL_MAX, utf8_len(msg ? msg : text));
			goto cleanup;
		}
		if (form_put(&form, "StatusCallback", url.ptr) ||
		    form_put(&form, "StatusCallbackMethod", "POST") ||
		    form_put(&form, "StatusCallbackEvent", "initiated") ||
		    form_put(&form, "StatusCallbackEvent", "ringing") ||
		    form_put(&form, "StatusCallbackEvent", "answered") ||
		    form_put(&form, "StatusCallbackEvent", "completed") ||
		    form_put(&form, "MachineDetection",
			     leave ? "DetectMessageEnd" : "Enable") ||
		    form_put(&form, "AsyncAmd", "true") ||
		    form_put(&form, "AsyncAmdStatusCallback", amd.ptr) ||
		    form_put(&form, "AsyncAmdStatusCallbackMethod", "POST"))
			goto too_big;
	}
	if (twilio_rest(&res, &a, "POST", "/Calls.json", form.ptr) ||
	    res.status < 200 || res.status >= 300) {
		out = twilio_fail(&res, 1);
		goto cleanup;
	}
	body = cJSON_ParseWithLength(res.body.ptr ? res.body.ptr : "", res.body.len);
	sid = fn_str(body, "sid");
	if (!sid || !*sid) {
		out = twilio_fail(&res, 1);
		goto cleanup;
	}
	out = fn_ok();
	cJSON_AddStringToObject(out, "call_id", sid);
	goto cleanup;
too_big:
	out = fn_fail("rejected", "request_too_long", "the request to Twilio is "
		      "too long");
cleanup:
	cJSON_Delete(body);
	httpc_response_release(&res);
	buf_release(&twiml);
	buf_release(&form);
	buf_release(&url);
	buf_release(&amd);
	twilio_account_wipe(&a);
	return out;
}

/* A call resource as a status response. */
static cJSON *status_from_call(const cJSON *call, const char *attempt_id,
			       time_t now)
{
	const char *st = fn_str(call, "status"), *sid = fn_str(call, "sid");
	const char *answered_by = fn_str(call, "answered_by");
	const char *dur = fn_str(call, "duration");
	struct buf amd = BUF_INIT(256);
	cJSON *out = fn_ok(), *oc;

	(void)now;
	cJSON_AddBoolToObject(out, "found", 1);
	if (sid)
		cJSON_AddStringToObject(out, "call_id", sid);
	if (!st || !strcmp(st, "queued")) {
		cJSON_AddStringToObject(out, "state", "queued");
	} else if (!strcmp(st, "ringing")) {
		cJSON_AddStringToObject(out, "state", "ringing");
	} else if (!strcmp(st, "in-progress")) {
		cJSON_AddStringToObject(out, "state", "in_progress");
	} else {
		if (!answered_by && attempt_id &&
		    !hook_state_get(&amd, "twilio", attempt_id, "amd"))
			answered_by = amd.ptr;
		oc = cJSON_CreateObject();
		if (twilio_outcome(oc, st, dur ? strtol(dur, NULL, 10) : 0,
				   answered_by, 0)) {
			cJSON_Delete(oc);
			cJSON_AddStringToObject(out, "state", "unknown");
		} else {
			cJSON_AddStringToObject(out, "state", "completed");
			cJSON_AddItemToObject(out, "outcome", oc);
		}
	}
	buf_release(&amd);
	return out;
}

/* The earliest call To/From created since since (with some skew), or NULL. */
static cJSON *find_call(const struct twilio_account *a, const char *to,
			const char *from, time_t since, cJSON **fail)
{
	/* the spec's parameter is "StartTime>" (on or after that day, UTC) */
	static const char *const filters[] = { "StartTime>", "Status" };
	struct httpc_response res;
	cJSON *best = NULL;
	time_t best_t = 0;
	char day[21];
	size_t f;
	int page;

	*fail = NULL;
	time_format_utc(day, since - TWILIO_CLOCK_SKEW);
	day[10] = '\0';
	/* queued calls have no start time yet: ask for them separately */
	for (f = 0; f < 2 && !*fail; f++) {
		struct buf path = BUF_INIT(4096), q = BUF_INIT(2048);
		cJSON *body = NULL;
		int more = 1;
		if (form_put(&q, "To", to) || form_put(&q, "From", from) ||
		    form_put(&q, filters[f], f ? "queued" : day) ||
		    form_put(&q, "PageSize", "100") ||
		    buf_printf(&path, "/Calls.json?%s", q.ptr)) {
			*fail = fn_fail("transient", "request", "query too long");
			more = 0;
		}
		for (page = 0; more && page < TWILIO_LIST_PAGES; page++) {
			const cJSON *c, *calls;
			const char *next;
			more = 0;
			if (twilio_rest(&res, a, "GET", path.ptr, NULL) ||
			    res.status != 200) {
				*fail = twilio_fail(&res, 0);
				httpc_response_release(&res);
				break;
			}
			body = cJSON_ParseWithLength(res.body.ptr, res.body.len);
			httpc_response_release(&res);
			calls = cJSON_GetObjectItemCaseSensitive(body, "calls");
			cJSON_ArrayForEach(c, calls) {
				time_t t;
				if (time_parse_rfc2822(&t, fn_str(c, "date_created")) ||
				    t < since - TWILIO_CLOCK_SKEW)
					continue;
				if (!best || t < best_t) {
					cJSON_Delete(best);
					best = cJSON_Duplicate(c, 1);
					best_t = t;
				}
			}
			next = fn_str(body, "next_page_uri");
			if (next && *next) {
				buf_reset(&path);
				more = !buf_puts(&path, next);
			}
			cJSON_Delete(body);
			body = NULL;
		}
		buf_release(&path);
		buf_release(&q);
	}
	if (*fail) {
		cJSON_Delete(best);
		return NULL;
	}
	return best;
}

static cJSON *twilio_status(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *sid = fn_str(req, "call_id"), *aid = fn_str(req, "attempt_id");
	const char *to = fn_str(req, "to"), *from = fn_str(req, "from");
	const char *disp = fn_str(req, "dispatched_at");
	struct twilio_account a;
	struct httpc_response res;
	struct buf path = BUF_INIT(1024);
	cJSON *out = NULL, *call = NULL, *fail = NULL;
	time_t now = 0, since;

	time_parse_rfc3339(&now, fn_str(req, "now"));
	if (twilio_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (sid && *sid) {
		if (buf_puts(&path, "/Calls/") || url_escape(&path, sid) ||
		    buf_puts(&path, ".json")) {
			out = fn_fail("transient", "request", "call id too long");
			goto cleanup;
		}
		if (twilio_rest(&res, &a, "GET", path.ptr, NULL) || res.status != 200) {
			/* a call we have a sid for exists: a 404 is lag */
			out = twilio_fail(&res, 0);
			httpc_response_release(&res);
			goto cleanup;
		}
		call = cJSON_ParseWithLength(res.body.ptr, res.body.len);
		httpc_response_release(&res);
		out = cJSON_IsObject(call) ? status_from_call(call, aid, now)
			: fn_fail("transient", "bad_response", "Twilio answered "
				  "with an unreadable call");
		goto cleanup;
	}
	if (!to || !from) {
		out = fn_fail("rejected", "bad_request", "status without call_id "
			      "needs to and from to look the call up");
		goto cleanup;
	}
	if (!disp || time_parse_rfc3339(&since, disp))
		since = now - 86400;
	call = find_call(&a, to, from, since, &fail);
	if (fail) {
		out = fail;
	} else if (call) {
		out = status_from_call(call, aid, now);
	} else {
		out = fn_ok();
		cJSON_AddBoolToObject(out, "found", 0);
	}
cleanup:
	cJSON_Delete(call);
	buf_release(&path);
	twilio_account_wipe(&a);
	return out;
}

static cJSON *twilio_hangup(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *sid = fn_str(req, "call_id");
	static const char *const tries[] = { "Status=completed", "Status=canceled" };
	struct twilio_account a;
	struct httpc_response res;
	struct buf path = BUF_INIT(1024);
	cJSON *out = NULL;
	char msg[64];
	size_t i;

	if (twilio_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (buf_puts(&path, "/Calls/") || url_escape(&path, sid) ||
	    buf_puts(&path, ".json")) {
		out = fn_fail("rejected", "bad_request", "call id too long");
		goto cleanup;
	}
	for (i = 0; i < 2 && !out; i++) {
		if (twilio_rest(&res, &a, "POST", path.ptr, tries[i])) {
			out = twilio_fail(&res, 0);
		} else if (res.status >= 200 && res.status < 300) {
			out = fn_ok();
		} else if (error_code(&res, msg, sizeof(msg)) == 21220 && i == 0) {
			; /* not in progress: cancel it instead */
		} else if (error_code(&res, msg, sizeof(msg)) == 21220 ||
			   res.status == 404) {
			out = fn_ok(); /* nothing left to hang up */
		} else {
			out = twilio_fail(&res, 0);
		}
		httpc_response_release(&res);
	}
cleanup:
	buf_release(&path);
	twilio_account_wipe(&a);
	return out;
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"twilio", twilio_dial, twilio_status, twilio_hangup, 0
	};
	static const struct fn_web web = { twilio_webhook };

	return fn_main_web(&def, &web, argc, argv);
}
