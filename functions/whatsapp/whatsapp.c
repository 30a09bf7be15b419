/*
 * gitdial-whatsapp: WhatsApp Business Calling (Graph API), business-
 * initiated calls. providers.md §3 has the wire formats.
 *
 * dial   1. GET /<PHONE_NUMBER_ID>/call_permissions?user_wa_id=<digits>:
 *           without a granted permission the attempt fails with kind
 *           no_call_permission (final, never retried); when the campaign
 *           opted in (request "whatsapp": {"request_permission": true})
 *           and Meta's limits allow it, a call-permission request
 *           message is sent first (POST /<PHONE_NUMBER_ID>/messages).
 *        2. the SDP offer from the agent's media endpoint
 *           (agent.media_url, {"event":"whatsapp.offer", ...}).
 *        3. POST /<PHONE_NUMBER_ID>/calls, action connect, with the offer
 *           and biz_opaque_callback_data = the attempt id.
 * status what the webhook has learnt, kept beside the spool: Meta has no
 *        call lookup. On a host the webhooks do not reach (a runner in
 *        CI) nothing is known here: the outcome comes through the log
 *        (the webhook host's ingest), and the attempt is held in flight
 *        until WA_HOLD_S after its claim. A call no terminate webhook
 *        ended within WA_LOST_AFTER is terminated; after WA_HOLD_S it is
 *        reported failed (lost), and one with no known call not found.
 * hangup POST /<PHONE_NUMBER_ID>/calls, action terminate (not needed, and
 *        not sent, once the terminate webhook came).
 *
 * The webhook side (CGI) is whatsapp_hook.c.
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
#include "phone.h"
#include "sig.h"
#include "util.h"
#include "whatsapp.h"
#include "trust.h"
#include "banned.h"

int wa_account_load(struct wa_account *a, const cJSON *account,
		    const char *name)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
	if (hook_api_base(a->base, sizeof(a->base), account, WA_API, "whatsapp")) {
		gd_error_prefix("account '%s'", a->name);
		return GD_EINVALID;
	}
	if (hook_credential(a->token, sizeof(a->token), account, "access_token") ||
	    hook_credential(a->pnid, sizeof(a->pnid), account, "phone_number_id")) {
		gd_error_prefix("account '%s'", a->name);
		wa_account_wipe(a);
		return GD_ERROR;
	}
	for (i = 0; a->pnid[i]; i++)
		if (a->pnid[i] < '0' || a->pnid[i] > '9')
			break;
	if (!a->pnid[0] || a->pnid[i]) {
		wa_account_wipe(a);
		return gd_error_set("account '%s': credentials.phone_number_id is "
				    "not a number id (digits)", a->name);
	}
	return 0;
}

void wa_account_wipe(struct wa_account *a)
{
	explicit_bzero(a->token, sizeof(a->token));
}

int wa_graph(struct httpc_response *res, const struct wa_account *a,
	     const char *method, const char *path, const cJSON *body)
{
	char base[sizeof(a->base) + sizeof(a->pnid) + 2];

	snprintf(base, sizeof(base), "%s/%s", a->base, a->pnid);
	return httpc_json(res, method, base, path, a->token, body);
}

int wa_id_of(char *out, size_t n, const char *e164)
{
	if (!e164 || !phone_is_e164(e164) || strlen(e164) >= n + 1)
		return GD_EINVALID;
	snprintf(out, n, "%s", e164 + 1);
	return 0;
}

int wa_agent_post(cJSON **reply, const cJSON *agent, const cJSON *body)
{
	const char *url = fn_str(agent, "media_url");
	const char *ref = fn_str(agent, "secret");
	char secret[HOOK_SECRET_MAX], hex[65], hdr[96];
	struct httpc_request rq;
	struct httpc_response res;
	char *json = NULL;
	int rc = GD_ERROR;

	if (reply)
		*reply = NULL;
	memset(&rq, 0, sizeof(rq));
	memset(&res, 0, sizeof(res));
	secret[0] = '\0';
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return gd_error_set("agent.media_url is not an http(s) URL");
	/* the call's SDP and agent.secret's signature: listed hosts only */
	if (trust_agent_check(url, "agent.media_url"))
		return GD_EINVALID;
	if (ref && (secret_resolve(secret, sizeof(secret), ref) || !secret[0]))
		return gd_error_set("agent.secret: cannot resolve '%s'", ref);
	if (!(json = cJSON_PrintUnformatted(body)))
		return gd_error_set("out of memory");
	rq.method = "POST";
	rq.url = url;
	rq.content_type = "application/json";
	rq.body = json;
	rq.len = strlen(json);
	if (secret[0]) {
		sig_hmac_sha256_hex(hex, secret, json, rq.len);
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Signature: sha256=%s", hex);
		rq.header = hdr;
	}
	if (httpc_perform(&res, &rq)) {
		gd_error_set("agent media endpoint: %s", res.error);
		goto cleanup;
	}
	if (res.status < 200 || res.status >= 300) {
		gd_error_set("agent media endpoint answered HTTP %ld", res.status);
		goto cleanup;
	}
	if (reply && !(*reply = cJSON_ParseWithLength(res.body.ptr ? res.body.ptr
						       : "", res.body.len))) {
		gd_error_set("agent media endpoint answered with no JSON");
		goto cleanup;
	}
	rc = 0;
cleanup:
	explicit_bzero(secret, sizeof(secret));
	httpc_response_release(&res);
	cJSON_free(json);
	return rc;
}

/*
 * The call-permission request template (created with a
 * call_permission_request component), for a user outside the 24-hour
 * customer-service window, where Meta refuses the free-form message
 * (131047). The note says what happened.
 */
static void ask_by_template(const struct wa_account *a, const char *wa_id,
			    const char *name, const char *lang, char *note,
			    size_t n)
{
	struct httpc_response res;
	cJSON *body = cJSON_CreateObject(), *t, *l;
	char msg[300];
	long code;

	cJSON_AddStringToObject(body, "messaging_product", "whatsapp");
	cJSON_AddStringToObject(body, "recipient_type", "individual");
	cJSON_AddStringToObject(body, "to", wa_id);
	cJSON_AddStringToObject(body, "type", "template");
	t = cJSON_AddObjectToObject(body, "template");
	cJSON_AddStringToObject(t, "name", name);
	l = cJSON_AddObjectToObject(t, "language");
	cJSON_AddStringToObject(l, "code", lang && *lang ? lang : "en");
	wa_graph(&res, a, "POST", "/messages", body);
	if (res.fate == HTTPC_ANSWERED && res.status >= 200 && res.status < 300) {
		snprintf(note, n, "; outside the 24-hour window, the "
			 "call-permission template '%s' was sent", name);
	} else if (res.fate == HTTPC_ANSWERED) {
		wa_error_parse(&code, msg, sizeof(msg), res.body.ptr, res.body.len);
		snprintf(note, n, "; the call-permission template '%s' was "
			 "refused (%ld: %s)", name, code, msg);
	} else {
		snprintf(note, n, "; the call-permission template got no answer "
			 "(%s)", res.error);
	}
	httpc_response_release(&res);
	cJSON_Delete(body);
}

/* Asks the user for call permission; the note says what happened. */
static void ask_permission(const struct wa_account *a, const char *wa_id,
			   const cJSON *opts, const char *lang, char *note,
			   size_t n)
{
	struct httpc_response res;
	cJSON *body = cJSON_CreateObject(), *in, *act, *b;
	const char *text = fn_str(opts, "permission_text");
	const char *tmpl = fn_str(opts, "permission_template");
	char msg[300];
	long code;

	cJSON_AddStringToObject(body, "messaging_product", "whatsapp");
	cJSON_AddStringToObject(body, "recipient_type", "individual");
	cJSON_AddStringToObject(body, "to", wa_id);
	cJSON_AddStringToObject(body, "type", "interactive");
	in = cJSON_AddObjectToObject(body, "interactive");
	cJSON_AddStringToObject(in, "type", "call_permission_request");
	act = cJSON_AddObjectToObject(in, "action");
	cJSON_AddStringToObject(act, "name", "call_permission_request");
	b = cJSON_AddObjectToObject(in, "body");
	cJSON_AddStringToObject(b, "text", text && *text ? text : WA_REQUEST_TEXT);
	wa_graph(&res, a, "POST", "/messages", body);
	if (res.fate == HTTPC_ANSWERED && res.status >= 200 && res.status < 300) {
		snprintf(note, n, "; a call-permission request was sent");
	} else if (res.fate == HTTPC_ANSWERED) {
		wa_error_parse(&code, msg, sizeof(msg), res.body.ptr, res.body.len);
		if (code == WA_ERR_REENGAGEMENT && tmpl && *tmpl) {
			const char *tl = fn_str(opts, "permission_template_language");
			ask_by_template(a, wa_id, tmpl, tl ? tl : lang, note, n);
		} else if (code == WA_ERR_REENGAGEMENT) {
			snprintf(note, n, "; outside the 24-hour window Meta takes "
				 "only a template (131047): set "
				 "whatsapp.permission_template");
		} else {
			snprintf(note, n, "; the call-permission request was "
				 "refused (%ld: %s)", code, msg);
		}
	} else {
		snprintf(note, n, "; the call-permission request got no answer "
			 "(%s)", res.error);
	}
	httpc_response_release(&res);
	cJSON_Delete(body);
}

/* The offer request to the agent: what it needs to run the call. */
static cJSON *offer_request(const cJSON *req)
{
	static const char *const keys[] = { "attempt_id", "campaign", "to",
		"from", "language", "script", "disclosure", "voicemail",
		"variables", NULL };
	cJSON *o = cJSON_CreateObject();
	const cJSON *v;
	size_t i;

	cJSON_AddStringToObject(o, "event", "whatsapp.offer");
	for (i = 0; keys[i]; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(req, keys[i])))
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	return o;
}

/* True for what looks like an SDP session description (RFC 8866). */
static int sdp_plausible(const char *s)
{
	return s && !strncmp(s, "v=0", 3) && strlen(s) < WA_SDP_MAX &&
		strstr(s, "\nm=audio ");
}

static cJSON *wa_dial(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(req, "agent");
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "whatsapp");
	const char *aid = fn_str(req, "attempt_id"), *to = fn_str(req, "to");
	struct wa_account a;
	struct wa_permission p;
	struct httpc_response res;
	struct buf path = BUF_INIT(1024);
	cJSON *out = NULL, *body = NULL, *offer = NULL, *got = NULL, *sess, *oreq;
	const char *sdp, *type, *id;
	char wa_id[32], note[400];

	memset(&res, 0, sizeof(res));
	note[0] = '\0';
	if (wa_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (wa_id_of(wa_id, sizeof(wa_id), to)) {
		out = fn_fail("invalid_number", "bad_request", "\"to\" is not an "
			      "E.164 number");
		goto cleanup;
	}
	if (!fn_str(agent, "media_url")) {
		out = fn_fail("rejected", "no_agent", "agent.media_url is not set: "
			      "there is no agent to give the call's SDP offer");
		goto cleanup;
	}
	if (trust_agent_check(fn_str(agent, "media_url"), "agent.media_url")) {
		out = fn_fail("rejected", "agent_host", "%s", gd_error_last());
		goto cleanup;
	}
	if (strlen(aid) > WA_OPAQUE_MAX) {
		out = fn_fail("rejected", "bad_request", "attempt id too long");
		goto cleanup;
	}
	/* 1. the user's call permission */
	if (buf_puts(&path, "/call_permissions?user_wa_id=") ||
	    url_escape(&path, wa_id)) {
		out = fn_fail("rejected", "bad_request", "request too long");
		goto cleanup;
	}
	if (wa_graph(&res, &a, "GET", path.ptr, NULL) || res.status != 200) {
		out = wa_fail(&res, 0, "call_permissions");
		goto cleanup;
	}
	if (wa_permission_parse(&p, res.body.ptr, res.body.len)) {
		out = fn_fail("transient", "bad_response", "call_permissions "
			      "answered without permission.status");
		goto cleanup;
	}
	httpc_response_release(&res);
	if (!p.granted) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts,
				 "request_permission"))) {
			if (p.can_request)
				ask_permission(&a, wa_id, opts,
					       fn_str(req, "language"), note,
					       sizeof(note));
			else
				snprintf(note, sizeof(note), "; no call-permission "
					 "request sent (Meta's limit%s%s)",
					 p.limits[0] ? ": " : "", p.limits);
		}
		out = fn_fail("no_call_permission", "no_permission", "%s has not "
			      "granted call permission (%s)%s", to,
			      p.status, note);
		goto cleanup;
	}
	if (!p.can_call) {
		out = fn_fail("rate_limited", "start_call_limit", "Meta does not "
			      "allow a call to %s now%s%s", to, p.limits[0] ? ": "
			      : "", p.limits);
		goto cleanup;
	}
	/* 2. the agent's SDP offer */
	oreq = offer_request(req);
	if (wa_agent_post(&offer, agent, oreq)) {
		cJSON_Delete(oreq);
		out = fn_fail("transient", "agent", "%s", gd_error_last());
		goto cleanup;
	}
	cJSON_Delete(oreq);
	sdp = fn_str(offer, "sdp");
	type = fn_str(offer, "sdp_type");
	if (!sdp_plausible(sdp) || (type && strcmp(type, "offer"))) {
		out = fn_fail("rejected", "agent_sdp", "the agent's media endpoint "
			      "did not answer with an SDP offer");
		goto cleanup;
	}
	/* 3. the call */
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "messaging_product", "whatsapp");
	cJSON_AddStringToObject(body, "to", wa_id);
	cJSON_AddStringToObject(body, "action", "connect");
	sess = cJSON_AddObjectToObject(body, "session");
	cJSON_AddStringToObject(sess, "sdp_type", "offer");
	cJSON_AddStringToObject(sess, "sdp", sdp);
	cJSON_AddStringToObject(body, "biz_opaque_callback_data", aid);
	if (wa_graph(&res, &a, "POST", "/calls", body) ||
	    res.status < 200 || res.status >= 300) {
		out = wa_fail(&res, 1, "calls");
		goto cleanup;
	}
	got = cJSON_ParseWithLength(res.body.ptr, res.body.len);
	id = fn_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(got,
				       "calls"), 0), "id");
	if (!id || !*id || strlen(id) > 256) {
		out = wa_fail(&res, 1, "calls");
		goto cleanup;
	}
	hook_state_put("whatsapp", aid, "call", id);
	out = fn_ok();
	cJSON_AddStringToObject(out, "call_id", id);
cleanup:
	cJSON_Delete(got);
	cJSON_Delete(body);
	cJSON_Delete(offer);
	httpc_response_release(&res);
	buf_release(&path);
	wa_account_wipe(&a);
	return out;
}

/* POST .../calls action terminate; 0 when Meta took it. */
static cJSON *terminate(const struct wa_account *a, const char *call_id)
{
	struct httpc_response res;
	cJSON *body = cJSON_CreateObject(), *out;

	cJSON_AddStringToObject(body, "messaging_product", "whatsapp");
	cJSON_AddStringToObject(body, "call_id", call_id);
	cJSON_AddStringToObject(body, "action", "terminate");
	if (!wa_graph(&res, a, "POST", "/calls", body) && res.status >= 200 &&
	    res.status < 300)
		out = fn_ok();
	else
		out = wa_fail(&res, 0, "terminate");
	httpc_response_release(&res);
	cJSON_Delete(body);
	return out;
}

static cJSON *wa_status(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *id = fn_str(req, "call_id"), *aid = fn_str(req, "attempt_id");
	const char *disp = fn_str(req, "dispatched_at");
	struct buf known = BUF_INIT(512), st = BUF_INIT(64);
	struct buf end = BUF_INIT(64 * 1024);
	struct wa_account a;
	cJSON *out = NULL, *oc = NULL;
	time_t now = 0, since;
	int rank = 0;

	time_parse_rfc3339(&now, fn_str(req, "now"));
	if (!disp || time_parse_rfc3339(&since, disp))
		since = now - WA_HOLD_S - 1;
	if (wa_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if ((!id || !*id) && !hook_state_get(&known, "whatsapp", aid, "call"))
		id = known.ptr;
	if (!id || !*id) {
		if (now - since <= WA_HOLD_S) {
			out = fn_fail("transient", "not_yet", "no webhook has named "
				      "this attempt's call here; a call it made may "
				      "still be up, or its outcome on its way "
				      "through the webhook host: ask again later");
		} else {
			out = fn_ok();
			cJSON_AddBoolToObject(out, "found", 0);
		}
		goto cleanup;
	}
	out = fn_ok();
	cJSON_AddBoolToObject(out, "found", 1);
	cJSON_AddStringToObject(out, "call_id", id);
	if (!hook_state_get(&end, "whatsapp", aid, "end") &&
	    cJSON_IsObject(oc = cJSON_Parse(end.ptr))) {
		cJSON_AddStringToObject(out, "state", "completed");
		cJSON_AddItemToObject(out, "outcome", oc);
		oc = NULL;
		goto cleanup;
	}
	if (!hook_state_get(&st, "whatsapp", aid, "status"))
		rank = wa_status_rank(st.ptr);
	if (rank == 2 && !strcmp(st.ptr, "REJECTED")) {
		oc = cJSON_CreateObject();
		hook_outcome(oc, "no_answer", 0, 0, NULL, 0, "rejected");
		cJSON_AddStringToObject(out, "state", "completed");
		cJSON_AddItemToObject(out, "outcome", oc);
		oc = NULL;
	} else if (now - since > WA_LOST_AFTER && now - since <= WA_HOLD_S) {
		/* no terminate in hours: end it at Meta; its terminate webhook
		 * has WA_FIND_WINDOW to bring the outcome through the log */
		cJSON_Delete(terminate(&a, id));
		cJSON_AddStringToObject(out, "state", rank == 2 ? "in_progress"
					: rank == 1 ? "ringing" : "queued");
	} else if (now - since > WA_HOLD_S) {
		/* none came: end it at Meta (again), and say so */
		cJSON *t = terminate(&a, id), *e;
		cJSON_Delete(t);
		oc = cJSON_CreateObject();
		hook_outcome(oc, "failed", 0, rank == 2, NULL, 0, "no_final_webhook");
		e = cJSON_AddObjectToObject(oc, "error");
		cJSON_AddStringToObject(e, "kind", "lost");
		cJSON_AddStringToObject(e, "code", "no_final_webhook");
		cJSON_AddStringToObject(e, "message", "no terminate webhook came "
					"for this call; it was terminated");
		cJSON_AddStringToObject(out, "state", "completed");
		cJSON_AddItemToObject(out, "outcome", oc);
		oc = NULL;
	} else {
		cJSON_AddStringToObject(out, "state", rank == 2 ? "in_progress"
					: rank == 1 ? "ringing" : "queued");
	}
cleanup:
	cJSON_Delete(oc);
	buf_release(&known);
	buf_release(&st);
	buf_release(&end);
	wa_account_wipe(&a);
	return out;
}

static cJSON *wa_hangup(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *id = fn_str(req, "call_id"), *aid = fn_str(req, "attempt_id");
	struct buf end = BUF_INIT(64 * 1024);
	struct wa_account a;
	cJSON *out;

	if (wa_account_load(&a, acct, fn_str(acct, "name")))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (aid && attempt_id_valid(aid) &&
	    !hook_state_get(&end, "whatsapp", aid, "end"))
		out = fn_ok(); /* ended already: Meta needs no terminate */
	else
		out = terminate(&a, id);
	buf_release(&end);
	wa_account_wipe(&a);
	return out;
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"whatsapp", wa_dial, wa_status, wa_hangup, 0
	};
	static const struct fn_web web = { wa_webhook };

	return fn_main_web(&def, &web, argc, argv);
}
