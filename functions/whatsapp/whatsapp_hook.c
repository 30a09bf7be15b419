/*
 * WhatsApp's webhooks (CGI) at webhook_base_url + "/whatsapp", the app's
 * one callback URL (Meta has no per-call webhook URL).
 *
 * GET   the subscription handshake: hub.mode=subscribe and hub.verify_token
 *       equal to a WhatsApp account's verify_token → 200 with the raw
 *       hub.challenge; a wrong token 403, anything malformed 400.
 * POST  X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(app_secret, raw
 *       body) is checked first, with each WhatsApp account's app_secret
 *       (no header 401, no match 403). Then the "calls" field's changes
 *       whose metadata.phone_number_id is a verified account's, and whose
 *       biz_opaque_callback_data is a gitdial attempt id (other calls on
 *       the number are not ours: acknowledged and left alone):
 *         calls[] event connect    the SDP answer, forwarded once to the
 *                                  agent's media endpoint
 *         statuses[] type call     RINGING / ACCEPTED / REJECTED, kept as
 *                                  the call's state (never moved back)
 *         calls[] event terminate  the "outcome" event, spooled; the
 *                                  outcome is kept for the status action
 * An outcome depends on the terminate object alone, so repeated and
 * reordered deliveries spool identical events (the tick keeps one).
 * Everything is durable before the 200; a failure answers 5xx and Meta
 * delivers again.
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
#include "util.h"
#include "web.h"
#include "whatsapp.h"
#include "banned.h"

#define WA_CHALLENGE_MAX 512
#define WA_VERIFIED_MAX 16

struct verified {
	char pnid[WA_VERIFIED_MAX][64];
	char name[WA_VERIFIED_MAX][72]; /* the account each pnid is */
	int n;
};

/* Each WhatsApp account object of gitdial.json, in turn. */
static const cJSON *next_account(const cJSON *cfg, const cJSON *after)
{
	const cJSON *a = after ? after->next
		: cJSON_GetObjectItemCaseSensitive(cfg, "accounts")
		? cJSON_GetObjectItemCaseSensitive(cfg, "accounts")->child : NULL;

	for (; a; a = a->next) {
		const char *p = fn_str(a, "provider");
		if (cJSON_IsObject(a) && p && !strcmp(p, "whatsapp"))
			return a;
	}
	return NULL;
}

static void handshake(const cJSON *cfg, const struct web_request *req,
		      struct web_reply *rep)
{
	struct form q = FORM_INIT;
	const char *mode, *token, *challenge;
	const cJSON *a = NULL;
	char want[HOOK_SECRET_MAX];
	size_t i;
	int tried = 0, match = 0;

	want[0] = '\0';
	if (form_parse(&q, req->query, strlen(req->query))) {
		web_reply_text(rep, 400, "malformed query string");
		goto cleanup;
	}
	mode = form_get(&q, "hub.mode");
	token = form_get(&q, "hub.verify_token");
	challenge = form_get(&q, "hub.challenge");
	if (!mode || !token || !challenge || strcmp(mode, "subscribe")) {
		web_reply_text(rep, 400, "expected hub.mode=subscribe, "
			       "hub.verify_token and hub.challenge");
		goto cleanup;
	}
	for (i = 0; challenge[i]; i++)
		if (challenge[i] < 0x21 || challenge[i] > 0x7e)
			break;
	if (!i || challenge[i] || i > WA_CHALLENGE_MAX) {
		web_reply_text(rep, 400, "hub.challenge is not 1-%d printable "
			       "characters", WA_CHALLENGE_MAX);
		goto cleanup;
	}
	while ((a = next_account(cfg, a))) {
		tried++;
		if (hook_credential(want, sizeof(want), a, "verify_token"))
			continue;
		match |= ct_streq(want, token);
		explicit_bzero(want, sizeof(want));
	}
	if (!tried) {
		web_reply_text(rep, 404, "no WhatsApp account in gitdial.json");
		goto cleanup;
	}
	if (!match) {
		web_reply_text(rep, 403, "hub.verify_token does not match");
		goto cleanup;
	}
	/* the raw challenge, nothing else: Meta compares the body */
	buf_reset(&rep->body);
	rep->status = 200;
	rep->type = "text/plain";
	if (buf_puts(&rep->body, challenge))
		web_reply_text(rep, 500, "out of memory");
cleanup:
	explicit_bzero(want, sizeof(want));
	form_release(&q);
}

/* Checks X-Hub-Signature-256 with every account's app_secret. */
static int verify(const cJSON *cfg, const struct web_request *req,
		  struct verified *v, int *status)
{
	const char *sig = web_header(req, "X-Hub-Signature-256");
	const cJSON *a = NULL;
	char secret[HOOK_SECRET_MAX], pnid[64];
	int tried = 0;

	memset(v, 0, sizeof(*v));
	if (!sig || !*sig) {
		*status = 401;
		return gd_error_set("no X-Hub-Signature-256 header");
	}
	while ((a = next_account(cfg, a))) {
		int rc = hook_credential(secret, sizeof(secret), a, "app_secret");
		if (rc == GD_ENOTFOUND)
			continue; /* an account that takes no webhooks */
		tried++;
		if (rc || hook_credential(pnid, sizeof(pnid), a, "phone_number_id")) {
			explicit_bzero(secret, sizeof(secret));
			*status = 500;
			gd_error_prefix("account '%s'", a->string);
			return GD_ERROR;
		}
		rc = sig_hmac_sha256_check(secret, req->body.ptr, req->body.len,
					   sig);
		explicit_bzero(secret, sizeof(secret));
		if (!rc && v->n < WA_VERIFIED_MAX) {
			snprintf(v->name[v->n], sizeof(v->name[0]), "%s", a->string);
			snprintf(v->pnid[v->n++], sizeof(v->pnid[0]), "%s", pnid);
		}
	}
	if (v->n)
		return 0;
	*status = tried ? 403 : 404;
	return gd_error_set(tried ? "X-Hub-Signature-256 does not match"
			    : "no WhatsApp account with an app_secret in "
			    "gitdial.json");
}

/* The verified account whose number pnid is, or NULL. */
static const char *verified_has(const struct verified *v, const char *pnid)
{
	int i;

	for (i = 0; pnid && i < v->n; i++)
		if (!strcmp(v->pnid[i], pnid))
			return v->name[i];
	return NULL;
}

/* The attempt an item belongs to, or -1 when it is not one of ours. */
static int attempt_of(char *aid, size_t n, char *campaign, size_t m,
		      const cJSON *item)
{
	const char *s = fn_str(item, "biz_opaque_callback_data");

	if (!s || strlen(s) >= n || attempt_campaign(campaign, m, s))
		return -1;
	snprintf(aid, n, "%s", s);
	return 0;
}

/* Remembers the call's id once a webhook names it. */
static int keep_call(const char *aid, const char *call_id)
{
	struct buf b = BUF_INIT(512);
	int rc = 0;

	if (call_id && *call_id && strlen(call_id) <= 256 &&
	    hook_state_get(&b, "whatsapp", aid, "call") == GD_ENOTFOUND)
		rc = hook_state_put("whatsapp", aid, "call", call_id);
	buf_release(&b);
	return rc;
}

static int ended(const char *aid)
{
	struct buf b = BUF_INIT(64 * 1024);
	int rc = hook_state_get(&b, "whatsapp", aid, "end");

	buf_release(&b);
	return rc == 0;
}

/* connect: the user's SDP answer, for the agent (once). */
static int on_connect(const cJSON *cfg, const cJSON *call, const char *aid,
		      const char *campaign, int *bad_gateway)
{
	const cJSON *sess = cJSON_GetObjectItemCaseSensitive(call, "session");
	const char *sdp = fn_str(sess, "sdp"), *type = fn_str(sess, "sdp_type");
	struct buf done = BUF_INIT(64);
	cJSON *msg;
	int rc = 0;

	if (ended(aid) || !hook_state_get(&done, "whatsapp", aid, "answer"))
		goto cleanup; /* over, or forwarded already */
	if (!sdp || !type || strcmp(type, "answer") || strncmp(sdp, "v=0", 3) ||
	    strlen(sdp) >= WA_SDP_MAX)
		goto cleanup; /* nothing the agent could use */
	msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "event", "whatsapp.answer");
	cJSON_AddStringToObject(msg, "attempt_id", aid);
	cJSON_AddStringToObject(msg, "campaign", campaign);
	cJSON_AddStringToObject(msg, "call_id", fn_str(call, "id"));
	cJSON_AddStringToObject(msg, "sdp_type", "answer");
	cJSON_AddStringToObject(msg, "sdp", sdp);
	rc = wa_agent_post(NULL, cJSON_GetObjectItemCaseSensitive(cfg, "agent"),
			   msg);
	cJSON_Delete(msg);
	if (rc)
		*bad_gateway = 1;
	else
		rc = hook_state_put("whatsapp", aid, "answer", "forwarded");
cleanup:
	buf_release(&done);
	return rc;
}

/* statuses[]: the call's progress, never moved backwards. */
static int on_status(const cJSON *s, const char *aid)
{
	const char *st = fn_str(s, "status");
	struct buf b = BUF_INIT(64);
	int rank = wa_status_rank(st), rc = 0;

	if (rank && !ended(aid) &&
	    (hook_state_get(&b, "whatsapp", aid, "status") ||
		     wa_status_rank(b.ptr) < rank))
		rc = hook_state_put("whatsapp", aid, "status", st);
	buf_release(&b);
	return rc;
}

/* terminate: the outcome, spooled, then kept for the status action. */
static int on_terminate(const cJSON *call, const char *aid,
			const char *campaign, const char *account)
{
	cJSON *ev, *oc;
	char *s = NULL;
	time_t ts;
	int rc;

	if (ended(aid))
		return 0; /* a repeat: the first delivery is in the spool */
	if (wa_time_field(&ts, call, "timestamp") &&
	    wa_time_field(&ts, call, "end_time"))
		ts = hook_now();
	ev = hook_event("outcome", ts, campaign, aid, fn_str(call, "id"));
	wa_terminate_outcome(ev, call);
	cJSON_AddStringToObject(ev, "account", account);
	rc = fn_spool(ev);
	cJSON_Delete(ev);
	if (rc)
		return rc;
	oc = cJSON_CreateObject();
	wa_terminate_outcome(oc, call);
	if ((s = cJSON_PrintUnformatted(oc)))
		rc = hook_state_put("whatsapp", aid, "end", s);
	cJSON_free(s);
	cJSON_Delete(oc);
	if (!rc) {
		/* what only a live call needs; "call" and "end" stay */
		hook_state_drop("whatsapp", aid, "status");
		hook_state_drop("whatsapp", aid, "answer");
	}
	return rc;
}

/* What one delivery did. */
struct tally {
	const cJSON *cfg;
	struct verified v;
	int mine;        /* items of gitdial's calls */
	int failed;      /* items that could not be made durable */
	int bad_gateway; /* the agent's endpoint failed */
};

/*
 * One change of a delivery: only the "calls" field of a verified
 * account's number, and only items carrying a gitdial attempt id.
 */
static void on_change(struct tally *t, const cJSON *val, const char *field)
{
	const char *pnid = fn_str(cJSON_GetObjectItemCaseSensitive(val,
				  "metadata"), "phone_number_id");
	char aid[WA_OPAQUE_MAX + 1], campaign[72];
	const char *account = verified_has(&t->v, pnid);
	const cJSON *item;

	if (!field || strcmp(field, "calls") || !account)
		return; /* messages, or another app's number */
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(val, "calls")) {
		const char *ev = fn_str(item, "event");
		if (!ev || attempt_of(aid, sizeof(aid), campaign,
				      sizeof(campaign), item) ||
		    !hook_account_may_place(campaign, account))
			continue; /* not ours, or another account's campaign */
		t->mine++;
		if (keep_call(aid, fn_str(item, "id")))
			t->failed++;
		else if (!strcmp(ev, "connect"))
			t->failed += !!on_connect(t->cfg, item, aid, campaign,
						  &t->bad_gateway);
		else if (!strcmp(ev, "terminate"))
			t->failed += !!on_terminate(item, aid, campaign, account);
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(val,
								  "statuses")) {
		const char *type = fn_str(item, "type");
		if (!type || strcmp(type, "call") ||
		    attempt_of(aid, sizeof(aid), campaign, sizeof(campaign), item) ||
		    !hook_account_may_place(campaign, account))
			continue;
		t->mine++;
		if (keep_call(aid, fn_str(item, "id")) || on_status(item, aid))
			t->failed++;
	}
}

void wa_webhook(const struct web_request *req, struct web_reply *rep)
{
	struct tally t;
	const cJSON *entry, *change;
	cJSON *cfg = NULL, *body = NULL;
	int st = 400;

	memset(&t, 0, sizeof(t));

	if (strcmp(req->method, "GET") && strcmp(req->method, "POST")) {
		web_reply_text(rep, 405, "GET (verification) or POST only");
		goto cleanup;
	}
	if (hook_config_load(&cfg)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		goto cleanup;
	}
	t.cfg = cfg;
	if (!strcmp(req->method, "GET")) {
		handshake(cfg, req, rep);
		goto cleanup;
	}
	if (verify(cfg, req, &t.v, &st)) {
		web_reply_text(rep, st, "%s", gd_error_last());
		goto cleanup;
	}
	/* authentic from here on */
	body = cJSON_ParseWithLength(req->body.ptr ? req->body.ptr : "",
				     req->body.len);
	if (!fn_str(body, "object") ||
	    strcmp(fn_str(body, "object"), "whatsapp_business_account") ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(body, "entry"))) {
		web_reply_text(rep, 400, "not a whatsapp_business_account "
			       "notification");
		goto cleanup;
	}
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(body, "entry"))
		cJSON_ArrayForEach(change, cJSON_GetObjectItemCaseSensitive(entry,
								      "changes"))
			on_change(&t, cJSON_GetObjectItemCaseSensitive(change,
								       "value"),
				  fn_str(change, "field"));
	if (t.failed) {
		/* a non-2xx makes Meta deliver again; done parts are kept once */
		web_reply_text(rep, t.bad_gateway ? 502 : 500, "%s",
			       gd_error_last());
		goto cleanup;
	}
	web_reply_text(rep, 200, "ok (%d call event%s)", t.mine,
		       t.mine == 1 ? "" : "s");
cleanup:
	cJSON_Delete(body);
	cJSON_Delete(cfg);
}
