/*
 * The voice agent's webhook (/agent): after a call is transcribed the
 * agent POSTs one JSON object,
 *   {"call_id", "attempt_id"?, "campaign"?, "sentiment", "summary"?,
 *    "transcript_url"?, "recording_url"?, "opt_out"?, "ts"?}
 * signed with X-Gitdial-Signature: sha256=<hex HMAC-SHA256(agent.secret,
 * body)>. It becomes one "analysis" event in the spool.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "err.h"
#include "fnutil.h"
#include "hook.h"
#include "sig.h"
#include "util.h"
#include "web.h"
#include "banned.h"

#define AGENT_TEXT_MAX 8000
#define AGENT_URL_MAX 2000

/* Copies body[key] into ev when it is a string of at most max bytes. */
static int copy_text(cJSON *ev, const cJSON *body, const char *key, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);

	if (!v)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > max ||
	    utf8_check(v->valuestring, strlen(v->valuestring)))
		return -1;
	cJSON_AddStringToObject(ev, key, v->valuestring);
	return 0;
}

void agent_webhook(const struct web_request *req, struct web_reply *rep)
{
	char secret[HOOK_SECRET_MAX], campaign[72];
	const char *ref, *call_id, *attempt_id, *camp, *sentiment, *ts_s;
	const cJSON *agent, *v;
	cJSON *cfg = NULL, *body = NULL, *ev = NULL, *ok;
	time_t ts;

	secret[0] = '\0';
	if (strcmp(req->method, "POST")) {
		web_reply_text(rep, 405, "POST only");
		goto cleanup;
	}
	if (hook_config_load(&cfg)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		goto cleanup;
	}
	agent = cJSON_GetObjectItemCaseSensitive(cfg, "agent");
	ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "secret"));
	if (!ref || secret_resolve(secret, sizeof(secret), ref) || !secret[0]) {
		/* the reason (never the value) for the operator's log only */
		if (ref)
			fprintf(stderr, "gitdial: agent.secret: %s\n",
				gd_error_last());
		web_reply_text(rep, 500, "agent.secret is not set or cannot be "
			       "resolved");
		goto cleanup;
	}
	if (!web_header(req, "X-Gitdial-Signature")) {
		web_reply_text(rep, 401, "no X-Gitdial-Signature header");
		goto cleanup;
	}
	if (sig_hmac_sha256_check(secret, req->body.ptr, req->body.len,
				  web_header(req, "X-Gitdial-Signature"))) {
		web_reply_text(rep, 403, "%s", gd_error_last());
		goto cleanup;
	}
	body = cJSON_ParseWithLength(req->body.ptr ? req->body.ptr : "",
				     req->body.len);
	if (!cJSON_IsObject(body)) {
		web_reply_text(rep, 400, "the body is not a JSON object");
		goto cleanup;
	}
	call_id = fn_str(body, "call_id");
	attempt_id = fn_str(body, "attempt_id");
	camp = fn_str(body, "campaign");
	sentiment = fn_str(body, "sentiment");
	if (!call_id || !*call_id || strlen(call_id) > 256) {
		web_reply_text(rep, 400, "call_id is missing");
		goto cleanup;
	}
	if (attempt_id && !attempt_id_valid(attempt_id)) {
		web_reply_text(rep, 400, "attempt_id is not <campaign>.<row>.<attempt>");
		goto cleanup;
	}
	if (camp ? !id_valid(camp) : (!attempt_id ||
				      attempt_campaign(campaign, sizeof(campaign),
						       attempt_id))) {
		web_reply_text(rep, 400, "campaign is missing or not a campaign id");
		goto cleanup;
	}
	if (camp)
		snprintf(campaign, sizeof(campaign), "%s", camp);
	if (!sentiment || (strcmp(sentiment, "positive") &&
			   strcmp(sentiment, "neutral") &&
			   strcmp(sentiment, "negative"))) {
		web_reply_text(rep, 400, "sentiment must be positive, neutral or "
			       "negative");
		goto cleanup;
	}
	ts_s = fn_str(body, "ts");
	if (!ts_s || time_parse_rfc3339(&ts, ts_s))
		ts = hook_now();
	ev = hook_event("analysis", ts, campaign, attempt_id, call_id);
	cJSON_AddStringToObject(ev, "sentiment", sentiment);
	if (copy_text(ev, body, "summary", AGENT_TEXT_MAX) ||
	    copy_text(ev, body, "transcript_url", AGENT_URL_MAX) ||
	    copy_text(ev, body, "recording_url", AGENT_URL_MAX)) {
		web_reply_text(rep, 400, "summary, transcript_url and "
			       "recording_url must be short UTF-8 strings");
		goto cleanup;
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "opt_out");
	if (v && !cJSON_IsBool(v)) {
		web_reply_text(rep, 400, "opt_out must be true or false");
		goto cleanup;
	}
	cJSON_AddBoolToObject(ev, "opt_out", cJSON_IsTrue(v));
	if (fn_spool(ev)) {
		web_reply_text(rep, 500, "cannot spool the event: %s", gd_error_last());
		goto cleanup;
	}
	ok = fn_ok();
	web_reply_json(rep, 200, ok);
	cJSON_Delete(ok);
cleanup:
	explicit_bzero(secret, sizeof(secret));
	cJSON_Delete(ev);
	cJSON_Delete(body);
	cJSON_Delete(cfg);
}
