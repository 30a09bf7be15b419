/*
 * Twilio's webhooks (CGI): status callbacks and async AMD results, POSTed
 * to webhook_base_url + "/twilio?account=<name>&attempt_id=<id>[&cb=amd]".
 *
 * The signature is checked first, against the public URL built from
 * gitdial.json (never the Host header) and with the account's auth
 * token. Then only a final CallStatus becomes an "outcome" event; the
 * intermediate ones (initiated, ringing, in-progress) are acknowledged
 * and dropped. An AMD result is remembered for the outcome, and acted on:
 * a machine gets the voicemail message (leave_message) or a hang-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "form.h"
#include "hook.h"
#include "sig.h"
#include "twilio.h"
#include "util.h"
#include "web.h"
#include "trust.h"
#include "banned.h"

/*
 * Verifies the delivery with the named account, or with each Twilio
 * account when the URL names none. On success *acct is the account.
 */
/*
 * The algorithm X-Twilio-Webhooks-Signature-Settings names
 * ("key=<id>,algorithm=HMAC_SHA256"): 1 for HMAC-SHA256, 0 for HMAC-SHA1
 * (also when it names none, as the SDK's getSignatureAlgorithm), -1 for
 * one we do not know.
 */
static int settings_sha256(const char *settings)
{
	const char *p = settings;

	while (p && *p) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		eq = memchr(p, '=', n);
		if (eq && eq - p == 9 && !strncmp(p, "algorithm", 9)) {
			const char *v = eq + 1;
			size_t vn = n - (size_t)(v - p);
			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
			if (!vn || (vn == 9 && !strncasecmp(v, "HMAC_SHA1", 9)))
				return 0;
			if (vn == 11 && !strncasecmp(v, "HMAC_SHA256", 11))
				return 1;
			return -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int verify(const cJSON *cfg, const char *name, const char *url,
		  const struct form *params, const struct web_request *req,
		  struct twilio_account *acct, int *status)
{
	const char *sig = web_header(req, "X-Twilio-Signature");
	const char *settings = web_header(req, "X-Twilio-Webhooks-Signature-Settings");
	const cJSON *accounts = cJSON_GetObjectItemCaseSensitive(cfg, "accounts");
	const cJSON *a;
	char shared[HOOK_SECRET_MAX];
	int tried = 0, sha256 = settings ? settings_sha256(settings) : 0;

	if (!sig || !*sig) {
		*status = 401;
		return gd_error_set("no X-Twilio-Signature header");
	}
	if (sha256 < 0) {
		*status = 403;
		return gd_error_set("X-Twilio-Webhooks-Signature-Settings names an "
				    "algorithm other than HMAC_SHA1 or HMAC_SHA256");
	}
	cJSON_ArrayForEach(a, accounts) {
		const char *prov = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(a, "provider"));
		if (!prov || strcmp(prov, "twilio") || (name && strcmp(a->string, name)))
			continue;
		tried++;
		if (twilio_account_load(acct, a, a->string)) {
			*status = 500;
			return GD_ERROR;
		}
		if (settings) {
			/* signed with the account's SharedKey, not its token */
			int rc;
			if (hook_credential(shared, sizeof(shared), a,
					    "webhook_shared_key")) {
				twilio_account_wipe(acct);
				*status = 403;
				return gd_error_set("a SharedKey-signed webhook, but "
						    "account '%s' has no "
						    "credentials.webhook_shared_key",
						    a->string);
			}
			rc = sig_twilio_check_alg(shared, sha256, url, params,
						  req->body.ptr, req->body.len, sig);
			explicit_bzero(shared, sizeof(shared));
			if (!rc)
				return 0;
		} else if (!sig_twilio_check(acct->token, url, params,
					     req->body.ptr, req->body.len, sig)) {
			return 0;
		}
		twilio_account_wipe(acct);
	}
	*status = tried ? 403 : 404;
	if (!tried)
		return gd_error_set("no Twilio account%s%s in gitdial.json",
				    name ? " named " : "", name ? name : "");
	return gd_error_set("X-Twilio-Signature does not match");
}

/*
 * Makes Twilio act on a machine (with DetectMessageEnd, after the beep):
 * leave_message with a message speaks it (<Say>, the campaign's
 * voicemail_message rendered at dial); leave_message without one
 * connects the agent's stream (agent.stream_url of gitdial.json) again,
 * with its script as prompt and voicemail=leave_message, so the agent
 * leaves the message; hang_up hangs up. script.text is never <Say>'d.
 */
static void amd_act(const struct twilio_account *a, const cJSON *cfg,
		    const char *call_sid, const char *attempt_id,
		    const char *campaign, const struct form *q)
{
	struct buf path = BUF_INIT(1024), form = BUF_INIT(64 * 1024);
	struct buf twiml = BUF_INIT(64 * 1024);
	struct httpc_response res;
	const char *vm = form_get(q, "vm"), *text = NULL, *lang = NULL;
	const char *mode = NULL, *stream = NULL, *what = "hang up";

	memset(&res, 0, sizeof(res));
	if (vm && !strcmp(vm, "leave_message")) {
		/* from the signed callback URL dial built */
		text = form_get(q, "msg");
		lang = form_get(q, "lang");
		mode = form_get(q, "mode");
		stream = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cfg, "agent"),
			"stream_url"));
		if (stream && trust_agent_check(stream, "agent.stream_url")) {
			fprintf(stderr, "gitdial-twilio: %s\n", gd_error_last());
			stream = NULL;
		}
	}
	if (buf_puts(&path, "/Calls/") || url_escape(&path, call_sid) ||
	    buf_puts(&path, ".json"))
		goto cleanup;
	if (text && *text) {
		what = "leave the message on";
		if (buf_puts(&twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			     "<Response>") || twiml_say(&twiml, lang, text) ||
		    buf_puts(&twiml, "<Hangup/></Response>") ||
		    form_put(&form, "Twiml", twiml.ptr))
			goto cleanup;
	} else if (mode && stream && *stream) {
		what = "connect the agent to leave the message on";
		if (buf_puts(&twiml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			     "<Response>") ||
		    twiml_stream(&twiml, stream, campaign, attempt_id, lang,
				 mode, form_get(q, "prompt"), NULL, 1) ||
		    buf_puts(&twiml, "</Response>") ||
		    utf8_len(twiml.ptr) > TWILIO_TWIML_MAX ||
		    form_put(&form, "Twiml", twiml.ptr)) {
			fprintf(stderr, "gitdial-twilio: %s: the agent's voicemail "
				"Twiml is too long; hanging up\n", attempt_id);
			buf_reset(&form);
			if (form_put(&form, "Status", "completed"))
				goto cleanup;
		}
	} else if (form_put(&form, "Status", "completed")) {
		goto cleanup;
	}
	if (twilio_rest(&res, a, "POST", path.ptr, form.ptr) ||
	    res.status < 200 || res.status >= 300)
		fprintf(stderr, "gitdial-twilio: %s: cannot %s the machine-answered "
			"call: %s (HTTP %ld)\n", attempt_id, what,
			res.fate ? res.error : "refused", res.status);
	httpc_response_release(&res);
cleanup:
	buf_release(&path);
	buf_release(&form);
	buf_release(&twiml);
}

static long num_param(const struct form *f, const char *name)
{
	const char *v = form_get(f, name);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end || n < 0 ? 0 : n;
}

void twilio_webhook(const struct web_request *req, struct web_reply *rep)
{
	struct form q = FORM_INIT, p = FORM_INIT;
	struct buf url = BUF_INIT(16384), amd = BUF_INIT(256);
	struct twilio_account acct;
	const char *attempt_id, *call_sid, *status, *answered_by, *cb, *ts_s;
	char campaign[72];
	cJSON *cfg = NULL, *ev = NULL;
	int st = 400, json_body;
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
	json_body = form_get(&q, "bodySHA256") != NULL;
	if (!json_body && strncasecmp(req->content_type,
				      "application/x-www-form-urlencoded", 33)) {
		web_reply_text(rep, 415, "expected a form-encoded body");
		goto cleanup;
	}
	if (!json_body && form_parse(&p, req->body.ptr ? req->body.ptr : "",
				     req->body.len)) {
		web_reply_text(rep, 400, "malformed form body");
		goto cleanup;
	}
	if (hook_config_load(&cfg) ||
	    hook_public_url(&url, cfg, "twilio", req->query)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		goto cleanup;
	}
	if (verify(cfg, form_get(&q, "account"), url.ptr, &p, req, &acct, &st)) {
		web_reply_text(rep, st, "%s", gd_error_last());
		goto cleanup;
	}
	/* authentic from here on */
	if (form_get(&p, "AccountSid") &&
	    strcmp(form_get(&p, "AccountSid"), acct.sid)) {
		web_reply_text(rep, 403, "AccountSid is not the account's");
		goto cleanup;
	}
	attempt_id = form_get(&q, "attempt_id");
	if (attempt_campaign(campaign, sizeof(campaign), attempt_id)) {
		web_reply_text(rep, 400, "the URL carries no gitdial attempt_id");
		goto cleanup;
	}
	if (!hook_account_may_place(campaign, acct.name)) {
		web_reply_text(rep, 403, "campaign %s does not dial on account %s",
			       campaign, acct.name);
		goto cleanup;
	}
	call_sid = form_get(&p, "CallSid");
	status = form_get(&p, "CallStatus");
	answered_by = form_get(&p, "AnsweredBy");
	cb = form_get(&q, "cb");
	if (!call_sid || !*call_sid) {
		web_reply_text(rep, 400, "no CallSid");
		goto cleanup;
	}
	if (cb && !strcmp(cb, "amd")) {
		if (answered_by && *answered_by &&
		    (hook_state_put("twilio", attempt_id, "amd", answered_by))) {
			web_reply_text(rep, 500, "cannot keep the AMD result: %s",
				       gd_error_last());
			goto cleanup;
		}
		if (twilio_is_machine(answered_by))
			amd_act(&acct, cfg, call_sid, attempt_id, campaign, &q);
		web_reply_text(rep, 204, "ok");
		goto cleanup;
	}
	if (!answered_by && !hook_state_get(&amd, "twilio", attempt_id, "amd"))
		answered_by = amd.ptr;
	ts_s = form_get(&p, "Timestamp");
	if (!ts_s || time_parse_rfc2822(&ts, ts_s))
		ts = hook_now();
	ev = hook_event("outcome", ts, campaign, attempt_id, call_sid);
	if (twilio_outcome(ev, status, num_param(&p, "CallDuration"), answered_by,
			   (int)num_param(&p, "SipResponseCode"))) {
		/* initiated, ringing, in-progress: the outcome comes later */
		web_reply_text(rep, 204, "ok");
		goto cleanup;
	}
	if (form_get(&p, "RecordingUrl") && *form_get(&p, "RecordingUrl"))
		cJSON_AddStringToObject(ev, "recording_url",
					form_get(&p, "RecordingUrl"));
	/* the account whose token verified it: ingest compares it with
	 * the campaign's */
	cJSON_AddStringToObject(ev, "account", acct.name);
	if (fn_spool(ev)) {
		web_reply_text(rep, 500, "cannot spool the event: %s", gd_error_last());
		goto cleanup;
	}
	web_reply_text(rep, 204, "ok");
cleanup:
	twilio_account_wipe(&acct);
	cJSON_Delete(ev);
	cJSON_Delete(cfg);
	form_release(&q);
	form_release(&p);
	buf_release(&url);
	buf_release(&amd);
}
