/*
 * Telnyx's webhooks (CGI), POSTed to webhook_base_url + "/telnyx?account=<name>".
 *
 * The Ed25519 signature (telnyx-signature-ed25519 over
 * telnyx-timestamp + "|" + body) is checked first, with the account's
 * public_key and a 300 s tolerance on the injected clock ($GITDIAL_NOW,
 * else the wall clock). Everything the handler needs about the call comes
 * from client_state (telnyx_state_decode): the attempt, the plan dial put
 * there, and what earlier steps added (answered at, AMD verdict, phase).
 * Nothing is kept on this machine's disk, so any host may take the
 * webhooks. Then:
 *   call.initiated         the call id, for a status lookup on this host
 *   call.answered          speak the disclosure if planned, else note the
 *                          answer (client_state_update)
 *   call.speak.ended       after the disclosure start the agent's stream;
 *                          after the voicemail message hang up
 *   call.machine.*         hang up on a machine, or after the greeting
 *                          speak the voicemail message, or (none) start
 *                          the agent's stream again to leave one
 *   call.hangup            the "outcome" event, spooled
 *   call.recording.saved   a "recording" event with the URL, spooled: it
 *                          comes after call.hangup, so the outcome is
 *                          already on its way; ingest adds this to the
 *                          same attempt (the spec's payload has no
 *                          call_control_id: the attempt is client_state's)
 * Each command carries command_id <attempt>:<step> and the next
 * client_state. A failed command answers 502, so Telnyx delivers the
 * event again and the command is re-sent with the same command_id: done
 * once per call whether the first try failed or its answer was lost.
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
#include "trust.h"
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

/* A copy of the call's state with key set to a string (value NULL: removed). */
static cJSON *state_with(const cJSON *st, const char *key, const char *value)
{
	cJSON *n = cJSON_Duplicate(st, 1);

	cJSON_DeleteItemFromObjectCaseSensitive(n, key);
	if (value)
		cJSON_AddStringToObject(n, key, value);
	return n;
}

/*
 * Sends action with body plus client_state (next) and command_id
 * <attempt>:<step>; as telnyx_command.
 */
static int command(const struct telnyx_account *a, const char *call_id,
		   const char *action, cJSON *body, const cJSON *next,
		   const char *step)
{
	struct buf cs = BUF_INIT(TELNYX_STATE_MAX + 1), id = BUF_INIT(256);
	int rc;

	if (next && telnyx_state_encode(&cs, next)) {
		rc = GD_ERROR;
		goto cleanup;
	}
	if (next)
		cJSON_AddStringToObject(body, "client_state", cs.ptr);
	if (step) {
		if (buf_printf(&id, "%s:%s", fn_str(next, "a"), step)) {
			rc = gd_error_set("command_id too long");
			goto cleanup;
		}
		cJSON_AddStringToObject(body, "command_id", id.ptr);
	}
	rc = telnyx_command(a, call_id, action, body);
cleanup:
	buf_release(&cs);
	buf_release(&id);
	return rc;
}

static int speak(const struct telnyx_account *a, const char *call_id,
		 const char *text, const cJSON *next, const char *step)
{
	const char *language, *voice, *level;
	cJSON *body = cJSON_CreateObject();
	int rc;

	if (telnyx_voice(fn_str(next, "l"), &language, &voice, &level)) {
		cJSON_Delete(body);
		return gd_error_set("no speech voice for language \"%s\"",
				    fn_str(next, "l"));
	}
	cJSON_AddStringToObject(body, "payload", text);
	cJSON_AddStringToObject(body, "payload_type", "text");
	cJSON_AddStringToObject(body, "service_level", level);
	cJSON_AddStringToObject(body, "voice", voice);
	if (language)
		cJSON_AddStringToObject(body, "language", language);
	rc = command(a, call_id, "speak", body, next, step);
	cJSON_Delete(body);
	return rc;
}

static int start_stream(const struct telnyx_account *a, const char *call_id,
			const cJSON *next, const char *step)
{
	cJSON *body;
	int rc;

	if (trust_agent_check(fn_str(next, "s"), "agent.stream_url"))
		return GD_EINVALID;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "stream_url", fn_str(next, "s"));
	cJSON_AddStringToObject(body, "stream_track", "inbound_track");
	cJSON_AddStringToObject(body, "stream_bidirectional_mode", "rtp");
	rc = command(a, call_id, "streaming_start", body, next, step);
	cJSON_Delete(body);
	return rc;
}

/*
 * The agent leaves the message: its stream, running since the answer
 * (or the disclosure), is stopped and started again now that the beep
 * has passed. A stop that fails (no stream was running) does not keep
 * the new one from starting.
 */
static int agent_voicemail(const struct telnyx_account *a, const char *call_id,
			   const cJSON *next, const char *phase)
{
	cJSON *body;

	if (!phase || !strcmp(phase, "agent")) {
		body = cJSON_CreateObject();
		if (command(a, call_id, "streaming_stop", body, next,
			    "voicemail-stop"))
			fprintf(stderr, "gitdial-telnyx: %s: cannot stop the "
				"agent's stream before the voicemail: %s\n",
				fn_str(next, "a"), gd_error_last());
		cJSON_Delete(body);
	}
	return start_stream(a, call_id, next, "voicemail-stream");
}

static int hang_up(const struct telnyx_account *a, const char *call_id,
		   const cJSON *next, const char *step)
{
	cJSON *body = cJSON_CreateObject();
	int rc = command(a, call_id, "hangup", body, next, step);

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

/*
 * The outcome event of a call.hangup. The spec's hangup payload has
 * start_time ("when the call started") but no end time and no answer
 * time: the talk time is occurred_at minus the answer time the webhook
 * noted in client_state. Without it (call.hangup delivered before
 * call.answered was handled), a cause that only an answered call ends
 * with (normal_clearing, time_limit) counts from start_time: an upper
 * bound that may include ringing (docs/providers.md).
 */
static cJSON *hangup_event(const cJSON *payload, const cJSON *st,
			   const char *campaign, const char *call_id, time_t ts)
{
	const char *cause = fn_str(payload, "hangup_cause");
	const char *attempt_id = fn_str(st, "a"), *by = fn_str(st, "b");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(st, "t");
	cJSON *ev = hook_event("outcome", ts, campaign, attempt_id, call_id), *e;
	long sip = sip_of(payload), dur = 0;
	time_t start;
	int answered = cJSON_IsNumber(t) || (by && strcmp(by, "unknown"));
	int machine = by && (!strcmp(by, "machine") || !strcmp(by, "fax"));

	if (!cause)
		cause = "unspecified";
	if (!strcmp(cause, "normal_clearing") || !strcmp(cause, "time_limit"))
		answered = 1;
	if (cJSON_IsNumber(t))
		dur = (long)(ts - (time_t)t->valuedouble);
	else if (answered &&
		 !time_parse_rfc3339(&start, fn_str(payload, "start_time")))
		dur = (long)(ts - start);
	if (dur < 0)
		dur = 0;
	if (!strcmp(cause, "user_busy")) {
		hook_outcome(ev, "busy", 0, 0, NULL, (int)(sip ? sip : 486), cause);
	} else if (!strcmp(cause, "timeout") || !strcmp(cause, "no_answer") ||
		   !strcmp(cause, "call_rejected") ||
		   (!strcmp(cause, "originator_cancel") && !answered)) {
		hook_outcome(ev, "no_answer", 0, 0, NULL, (int)sip, cause);
	} else if (!strcmp(cause, "normal_clearing") ||
		   !strcmp(cause, "time_limit") ||
		   !strcmp(cause, "originator_cancel")) {
		if (machine)
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
	return ev;
}

#define RECORDING_URL_MAX 2048

/* One of a urls object's links (mp3 first), when it is a plain http(s) URL. */
static const char *recording_link(const cJSON *urls)
{
	static const char *const fmt[] = { "mp3", "wav" };
	size_t i, n;
	const char *u, *p;

	for (i = 0; i < 2; i++) {
		if (!(u = fn_str(urls, fmt[i])))
			continue;
		n = strlen(u);
		if (n > RECORDING_URL_MAX || (strncmp(u, "https://", 8) &&
					      strncmp(u, "http://", 7)))
			continue;
		for (p = u; *p && (unsigned char)*p > ' ' && *p != 0x7f; p++)
			;
		if (!*p)
			return u;
	}
	return NULL;
}

/*
 * The "recording" event of a call.recording.saved, or NULL when it has
 * no usable link. public_recording_urls ("valid for as long as the file
 * exists", when the account has them) before recording_urls ("valid for
 * 10 minutes", then through the API or Mission Control).
 */
static cJSON *recording_event(const cJSON *payload, const cJSON *st,
			      const char *campaign, const char *call_id, time_t ts)
{
	const char *u = recording_link(cJSON_GetObjectItemCaseSensitive(
					       payload, "public_recording_urls"));
	cJSON *ev;

	if (!u)
		u = recording_link(cJSON_GetObjectItemCaseSensitive(
					   payload, "recording_urls"));
	if (!u)
		return NULL;
	ev = hook_event("recording", ts, campaign, fn_str(st, "a"), call_id);
	cJSON_AddStringToObject(ev, "recording_url", u);
	return ev;
}

void telnyx_webhook(const struct web_request *req, struct web_reply *rep)
{
	struct form q = FORM_INIT;
	struct telnyx_account acct;
	const char *type, *call_id, *occurred, *phase, *vm;
	const cJSON *data, *payload;
	char campaign[72];
	cJSON *cfg = NULL, *body = NULL, *ev = NULL, *st = NULL, *next = NULL;
	int st_code = 400, cmd_rc = 0;
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
	if (verify(cfg, form_get(&q, "account"), req, &acct, &st_code)) {
		web_reply_text(rep, st_code, "%s", gd_error_last());
		goto cleanup;
	}
	/* authentic from here on */
	body = cJSON_ParseWithLength(req->body.ptr ? req->body.ptr : "",
				     req->body.len);
	data = cJSON_GetObjectItemCaseSensitive(body, "data");
	payload = cJSON_GetObjectItemCaseSensitive(data, "payload");
	type = fn_str(data, "event_type");
	call_id = fn_str(payload, "call_control_id");
	/* the spec's CallRecordingSaved payload has no call_control_id */
	if (!type || !cJSON_IsObject(payload) ||
	    ((!call_id || !*call_id) && strcmp(type, "call.recording.saved"))) {
		web_reply_text(rep, 400, "not a Telnyx call event");
		goto cleanup;
	}
	st = telnyx_state_decode(fn_str(payload, "client_state"));
	if (!st || attempt_campaign(campaign, sizeof(campaign), fn_str(st, "a"))) {
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
	phase = fn_str(st, "p");
	vm = fn_str(st, "v");

	if (!strcmp(type, "call.initiated")) {
		/*
		 * For a status lookup of a dial that drew no answer, on a host
		 * that is also the dialing one; any other needs the call id
		 * from the log (the runner's side).
		 */
		if (hook_state_put("telnyx", fn_str(st, "a"), "call", call_id)) {
			web_reply_text(rep, 500, "cannot keep the call id: %s",
				       gd_error_last());
			goto cleanup;
		}
	} else if (!strcmp(type, "call.answered")) {
		next = cJSON_Duplicate(st, 1);
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(next, "t")))
			cJSON_AddNumberToObject(next, "t", (double)ts);
		if (fn_str(st, "d") && !phase) {
			cJSON_AddStringToObject(next, "p", "disclosure");
			cmd_rc = speak(&acct, call_id, fn_str(st, "d"), next,
				       "disclosure");
		} else if (!phase) {
			cJSON *b = cJSON_CreateObject();
			struct buf cs = BUF_INIT(TELNYX_STATE_MAX + 1);
			if (!(cmd_rc = telnyx_state_encode(&cs, next))) {
				cJSON_AddStringToObject(b, "client_state", cs.ptr);
				cmd_rc = telnyx_command_m(&acct, "PUT", call_id,
							  "client_state_update", b);
			}
			buf_release(&cs);
			cJSON_Delete(b);
		}
	} else if (!strcmp(type, "call.speak.ended")) {
		const char *how = fn_str(payload, "status");
		if (how && strcmp(how, "completed")) {
			; /* the call hung up, or AMD cut it: nothing follows */
		} else if (phase && !strcmp(phase, "voicemail")) {
			cmd_rc = hang_up(&acct, call_id, st, "voicemail-end");
		} else if (phase && !strcmp(phase, "disclosure") && fn_str(st, "s")) {
			next = state_with(st, "p", "agent");
			cJSON_DeleteItemFromObjectCaseSensitive(next, "d");
			cmd_rc = start_stream(&acct, call_id, next, "stream");
		}
	} else if (!strncmp(type, "call.machine.", 13) &&
		   strstr(type, "detection.ended")) {
		const char *v = amd_verdict(fn_str(payload, "result"));
		if (v && (!strcmp(v, "machine") || !strcmp(v, "fax")) &&
		    (!vm || strcmp(vm, "leave_message"))) {
			next = state_with(st, "b", v);
			cmd_rc = hang_up(&acct, call_id, next, "machine");
		}
	} else if (!strncmp(type, "call.machine.", 13) &&
		   strstr(type, "greeting.ended")) {
		/* the message (voicemail_message) by speech, or the agent */
		if (vm && !strcmp(vm, "leave_message") &&
		    (fn_str(st, "m") || fn_str(st, "s")) &&
		    (!phase || strcmp(phase, "voicemail"))) {
			next = state_with(st, "p", "voicemail");
			cJSON_DeleteItemFromObjectCaseSensitive(next, "b");
			cJSON_AddStringToObject(next, "b", "machine");
			cJSON_DeleteItemFromObjectCaseSensitive(next, "d");
			if (fn_str(st, "m"))
				cmd_rc = speak(&acct, call_id, fn_str(st, "m"),
					       next, "voicemail");
			else
				cmd_rc = agent_voicemail(&acct, call_id, next,
							 phase);
		}
	} else if (!strcmp(type, "call.hangup") ||
		   !strcmp(type, "call.recording.saved")) {
		ev = !strcmp(type, "call.hangup")
			? hangup_event(payload, st, campaign, call_id, ts)
			: recording_event(payload, st, campaign, call_id, ts);
		if (!ev) {
			/* no link to keep: acknowledged, nothing spooled */
			web_reply_text(rep, 200, "ok (no recording URL)");
			goto cleanup;
		}
		cJSON_AddStringToObject(ev, "account", acct.name);
		if (fn_spool(ev)) {
			web_reply_text(rep, 500, "cannot spool the event: %s",
				       gd_error_last());
			goto cleanup;
		}
	}
	if (cmd_rc) {
		/* a non-2xx makes Telnyx deliver again, and the command retried */
		web_reply_text(rep, 502, "%s", gd_error_last());
		goto cleanup;
	}
	web_reply_text(rep, 200, "ok");
cleanup:
	telnyx_account_wipe(&acct);
	cJSON_Delete(next);
	cJSON_Delete(st);
	cJSON_Delete(ev);
	cJSON_Delete(body);
	cJSON_Delete(cfg);
	form_release(&q);
}
