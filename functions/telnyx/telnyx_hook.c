/*
 * Telnyx's webhooks (CGI), POSTed to webhook_base_url + "/telnyx?account=<name>".
 *
 * The Ed25519 signature (telnyx-signature-ed25519 over
 * telnyx-timestamp + "|" + body) is checked first, with the account's
 * public_key and a 300 s tolerance on the injected clock ($GITDIAL_NOW,
 * else the wall clock). The attempt comes from client_state (base64 of
 * the attempt id). Then:
 *   call.initiated         remember the call id (for status lookups)
 *   call.answered          remember when; speak the disclosure if planned
 *   call.speak.ended       after the disclosure start the agent's stream;
 *                          after the voicemail message hang up
 *   call.machine.*         remember the verdict; hang up on a machine, or
 *                          speak the message after the greeting
 *   call.hangup            the "outcome" event, spooled
 * Deliveries may repeat and come out of order: each is handled on its own.
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
#include "sig.h"
#include "telnyx.h"
#include "util.h"
#include "web.h"
#include "banned.h"

/* Verifies with the named account, or each Telnyx account; *acct is the one. */
static int verify(const cJSON *cfg, const char *name,
		  const struct web_request *req, struct telnyx_account *acct,
		  int *status)
{
	const char *sig = web_header(req, "telnyx-signature-ed25519");
	const char *ts = web_header(req, "telnyx-timestamp");
	const cJSON *accounts = cJSON_GetObjectItemCaseSensitive(cfg, "accounts");
	const cJSON *a;
	char pub[256];
	time_t now = hook_now();
	int tried = 0;

	if (!sig || !*sig || !ts || !*ts) {
		*status = 401;
		return gd_error_set("no telnyx-signature-ed25519/telnyx-timestamp "
				    "header");
	}
	cJSON_ArrayForEach(a, accounts) {
		const char *prov = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(a, "provider"));
		int rc;
		if (!prov || strcmp(prov, "telnyx") || (name && strcmp(a->string, name)))
			continue;
		tried++;
		if (hook_credential(pub, sizeof(pub), a, "public_key") ||
		    telnyx_account_load(acct, a, a->string, 0)) {
			*status = 500;
			return GD_ERROR;
		}
		rc = sig_telnyx_check(pub, sig, ts, req->body.ptr, req->body.len, now);
		explicit_bzero(pub, sizeof(pub));
		if (!rc)
			return 0;
		telnyx_account_wipe(acct);
	}
	*status = tried ? 403 : 404;
	if (!tried)
		return gd_error_set("no Telnyx account%s%s in gitdial.json",
				    name ? " named " : "", name ? name : "");
	return GD_EINVALID; /* the check's message stands */
}

/* The attempt id carried in client_state. */
static int attempt_of(char *out, size_t n, const char *client_state)
{
	unsigned char raw[128];
	size_t len;

	if (!client_state || b64_decode(raw, sizeof(raw) - 1, &len, client_state))
		return GD_EINVALID;
	raw[len] = '\0';
	if (strlen((char *)raw) != len || !attempt_id_valid((char *)raw) ||
	    len >= n)
		return GD_EINVALID;
	memcpy(out, raw, len + 1);
	return 0;
}

static const char *speak_language(const char *lang)
{
	if (!lang || !strcmp(lang, "en"))
		return "en-US";
	if (!strcmp(lang, "ar"))
		return "arb";
	return lang;
}

/* The plan dial left for this attempt, or NULL. */
static cJSON *plan_of(const char *attempt_id)
{
	struct buf b = BUF_INIT(128 * 1024);
	cJSON *p = NULL;

	if (!hook_state_get(&b, "telnyx", attempt_id, "plan"))
		p = cJSON_Parse(b.ptr);
	buf_release(&b);
	return p;
}

static int speak(const struct telnyx_account *a, const char *call_id,
		 const char *text, const char *lang)
{
	cJSON *body = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(body, "payload", text);
	cJSON_AddStringToObject(body, "voice", "female");
	cJSON_AddStringToObject(body, "language", speak_language(lang));
	rc = telnyx_command(a, call_id, "speak", body);
	cJSON_Delete(body);
	return rc;
}

static int start_stream(const struct telnyx_account *a, const char *call_id,
			const char *url)
{
	cJSON *body = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(body, "stream_url", url);
	cJSON_AddStringToObject(body, "stream_track", "inbound_track");
	cJSON_AddStringToObject(body, "stream_bidirectional_mode", "rtp");
	rc = telnyx_command(a, call_id, "streaming_start", body);
	cJSON_Delete(body);
	return rc;
}

/* The machine-detection verdict in gitdial's words, or NULL. */
static const char *amd_verdict(const char *result)
{
	if (!result)
		return NULL;
	if (!strcmp(result, "machine"))
		return "machine";
	if (!strcmp(result, "fax_detected"))
		return "fax";
	if (!strncmp(result, "human", 5))
		return "human";
	return "unknown";
}

static long sip_of(const cJSON *payload)
{
	const char *s = fn_str(payload, "sip_hangup_cause");
	char *end;
	long v;

	if (!s)
		return 0;
	v = strtol(s, &end, 10);
	return *end || v < 100 || v > 699 ? 0 : v;
}

/* The outcome event of a call.hangup. */
static cJSON *hangup_event(const cJSON *payload, const char *campaign,
			   const char *attempt_id, const char *call_id, time_t ts)
{
	const char *cause = fn_str(payload, "hangup_cause");
	struct buf ans = BUF_INIT(64), amd = BUF_INIT(64);
	cJSON *ev = hook_event("outcome", ts, campaign, attempt_id, call_id), *e;
	long sip = sip_of(payload), dur = 0;
	time_t st, en;
	int answered = !hook_state_get(&ans, "telnyx", attempt_id, "answered");
	const char *by = hook_state_get(&amd, "telnyx", attempt_id, "amd")
		? NULL : amd.ptr;

	if (!cause)
		cause = "unspecified";
	if (answered)
		dur = (long)(ts - (time_t)strtoll(ans.ptr, NULL, 10));
	else if (!time_parse_rfc3339(&st, fn_str(payload, "start_time")) &&
		 !time_parse_rfc3339(&en, fn_str(payload, "end_time")))
		dur = (long)(en - st);
	if (!strcmp(cause, "user_busy")) {
		hook_outcome(ev, "busy", 0, 0, NULL, (int)(sip ? sip : 486), cause);
	} else if (!strcmp(cause, "timeout") || !strcmp(cause, "no_answer") ||
		   !strcmp(cause, "call_rejected") ||
		   (!strcmp(cause, "originator_cancel") && !answered)) {
		hook_outcome(ev, "no_answer", 0, 0, NULL, (int)sip, cause);
	} else if (!strcmp(cause, "normal_clearing") ||
		   !strcmp(cause, "time_limit") ||
		   !strcmp(cause, "originator_cancel")) {
		if (by && (!strcmp(by, "machine") || !strcmp(by, "fax")))
			hook_outcome(ev, "voicemail", dur, 0, by, (int)(sip ? sip : 200),
				     cause);
		else
			hook_outcome(ev, dur < TELNYX_HANGUP_S ? "hangup" : "connected",
				     dur, 1, by, (int)(sip ? sip : 200), cause);
	} else {
		int bad_number = !strcmp(cause, "not_found") || sip == 404 ||
			sip == 484 || sip == 604;
		hook_outcome(ev, "failed", 0, 0, NULL, (int)sip, cause);
		e = cJSON_AddObjectToObject(ev, "error");
		cJSON_AddStringToObject(e, "kind", bad_number ? "invalid_number"
					: "failed");
		cJSON_AddStringToObject(e, "code", cause);
		cJSON_AddStringToObject(e, "message", bad_number
					? "the number cannot be reached as dialed"
					: "the call could not be completed");
	}
	buf_release(&ans);
	buf_release(&amd);
	return ev;
}

void telnyx_webhook(const struct web_request *req, struct web_reply *rep)
{
	struct form q = FORM_INIT;
	struct telnyx_account acct;
	struct buf phase = BUF_INIT(64);
	const char *type, *call_id, *occurred;
	const cJSON *data, *payload;
	char attempt_id[128], campaign[72], num[32];
	cJSON *cfg = NULL, *body = NULL, *ev = NULL, *plan = NULL;
	int st = 400, cmd_rc = 0;
	time_t ts;

	memset(&acct, 0, sizeof(acct));
	if (strcmp(req->method, "POST")) {
		web_reply_text(rep, 405, "POST only");
		goto cleanup;
	}
	if (form_parse(&q, req->query, strlen(req->query))) {
		web_reply_text(rep, 400, "malformed query string");
		goto cleanup;
	}
	if (hook_config_load(&cfg)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		goto cleanup;
	}
	if (verify(cfg, form_get(&q, "account"), req, &acct, &st)) {
		web_reply_text(rep, st, "%s", gd_error_last());
		goto cleanup;
	}
	/* authentic from here on */
	body = cJSON_ParseWithLength(req->body.ptr ? req->body.ptr : "",
				     req->body.len);
	data = cJSON_GetObjectItemCaseSensitive(body, "data");
	payload = cJSON_GetObjectItemCaseSensitive(data, "payload");
	type = fn_str(data, "event_type");
	call_id = fn_str(payload, "call_control_id");
	if (!type || !cJSON_IsObject(payload) || !call_id || !*call_id) {
		web_reply_text(rep, 400, "not a Telnyx call event");
		goto cleanup;
	}
	if (attempt_of(attempt_id, sizeof(attempt_id), fn_str(payload, "client_state")) ||
	    attempt_campaign(campaign, sizeof(campaign), attempt_id)) {
		web_reply_text(rep, 400, "client_state carries no gitdial attempt id");
		goto cleanup;
	}
	if (!hook_account_may_place(campaign, acct.name)) {
		web_reply_text(rep, 403, "campaign %s does not dial on account %s",
			       campaign, acct.name);
		goto cleanup;
	}
	occurred = fn_str(data, "occurred_at");
	if (!occurred || time_parse_rfc3339(&ts, occurred))
		ts = hook_now();

	if (!strcmp(type, "call.initiated")) {
		if (hook_state_put("telnyx", attempt_id, "call", call_id))
			goto state_failed;
	} else if (!strcmp(type, "call.answered")) {
		snprintf(num, sizeof(num), "%lld", (long long)ts);
		if (hook_state_put("telnyx", attempt_id, "answered", num))
			goto state_failed;
		plan = plan_of(attempt_id);
		/* a repeated delivery finds the phase set: said once */
		if (fn_str(plan, "disclosure") &&
		    hook_state_get(&phase, "telnyx", attempt_id, "phase") ==
		    GD_ENOTFOUND) {
			if (hook_state_put("telnyx", attempt_id, "phase", "disclosure"))
				goto state_failed;
			cmd_rc = speak(&acct, call_id, fn_str(plan, "disclosure"),
				       fn_str(plan, "language"));
		}
	} else if (!strcmp(type, "call.speak.ended")) {
		plan = plan_of(attempt_id);
		if (!hook_state_get(&phase, "telnyx", attempt_id, "phase")) {
			if (!strcmp(phase.ptr, "voicemail"))
				cmd_rc = telnyx_command(&acct, call_id, "hangup", NULL);
			else if (!strcmp(phase.ptr, "disclosure") &&
				 fn_str(plan, "stream_url")) {
				if (hook_state_put("telnyx", attempt_id, "phase", "agent"))
					goto state_failed;
				cmd_rc = start_stream(&acct, call_id,
						      fn_str(plan, "stream_url"));
			}
		}
	} else if (!strncmp(type, "call.machine.", 13) &&
		   strstr(type, "detection.ended")) {
		const char *v = amd_verdict(fn_str(payload, "result"));
		if (v && hook_state_put("telnyx", attempt_id, "amd", v))
			goto state_failed;
		plan = plan_of(attempt_id);
		if (v && (!strcmp(v, "machine") || !strcmp(v, "fax")) &&
		    (!plan || strcmp(fn_str(plan, "voicemail") ?
				     fn_str(plan, "voicemail") : "", "leave_message")))
			cmd_rc = telnyx_command(&acct, call_id, "hangup", NULL);
	} else if (!strncmp(type, "call.machine.", 13) &&
		   strstr(type, "greeting.ended")) {
		plan = plan_of(attempt_id);
		if (fn_str(plan, "message") && fn_str(plan, "voicemail") &&
		    !strcmp(fn_str(plan, "voicemail"), "leave_message") &&
		    (hook_state_get(&phase, "telnyx", attempt_id, "phase") ||
		     strcmp(phase.ptr, "voicemail"))) {
			if (hook_state_put("telnyx", attempt_id, "phase", "voicemail"))
				goto state_failed;
			cmd_rc = speak(&acct, call_id, fn_str(plan, "message"),
				       fn_str(plan, "language"));
		}
	} else if (!strcmp(type, "call.hangup")) {
		ev = hangup_event(payload, campaign, attempt_id, call_id, ts);
		cJSON_AddStringToObject(ev, "account", acct.name);
		if (fn_spool(ev)) {
			web_reply_text(rep, 500, "cannot spool the event: %s",
				       gd_error_last());
			goto cleanup;
		}
		hook_state_drop("telnyx", attempt_id, "plan");
		hook_state_drop("telnyx", attempt_id, "phase");
	}
	if (cmd_rc) {
		/* a non-2xx makes Telnyx deliver again, and the command retried */
		web_reply_text(rep, 502, "%s", gd_error_last());
		goto cleanup;
	}
	web_reply_text(rep, 200, "ok");
	goto cleanup;
state_failed:
	web_reply_text(rep, 500, "cannot keep the call's state: %s", gd_error_last());
cleanup:
	telnyx_account_wipe(&acct);
	buf_release(&phase);
	cJSON_Delete(plan);
	cJSON_Delete(ev);
	cJSON_Delete(body);
	cJSON_Delete(cfg);
	form_release(&q);
}
