/*
 * gitdial-whatsapp: what the actions (whatsapp.c), the webhook
 * (whatsapp_hook.c) and the pure mappings (wa_map.c) share.
 */
#ifndef GD_WHATSAPP_H
#define GD_WHATSAPP_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "httpc.h"

/*
 * The Graph version is part of api_base; v25.0 is what Meta's calling and
 * template pages use in their examples (docs/providers.md).
 */
#define WA_API "https://graph.facebook.com/v25.0"
#define WA_ERR_REENGAGEMENT 131047 /* outside the customer-service window */
#define WA_HANGUP_S 5       /* picked up and gone sooner: "hangup" */
#define WA_FIND_WINDOW 600  /* s for a webhook's outcome to reach the log (ingest) */
#define WA_LOST_AFTER 14400 /* s after the claim with no terminate: the call is ended */
/*
 * Meta has no call lookup: what a call became is known only to the
 * webhook host, and reaches a runner elsewhere through the log. So an
 * attempt is held in flight until this long after its claim: a call not
 * ended by WA_LOST_AFTER is terminated then, and its terminate webhook's
 * outcome has WA_FIND_WINDOW more to be ingested. Only after it is an
 * attempt with no known call "not placed", or a known call "lost".
 */
#define WA_HOLD_S (WA_LOST_AFTER + WA_FIND_WINDOW)
#define WA_SDP_MAX (64 * 1024)
#define WA_OPAQUE_MAX 512   /* biz_opaque_callback_data */
#define WA_REQUEST_TEXT "We would like to call you. May we?"

struct web_request;
struct web_reply;

struct wa_account {
	char name[72];
	char token[2048];
	char pnid[64];   /* phone_number_id */
	char base[1024]; /* api_base (with the version), no trailing '/' */
};

/*
 * Resolves access_token and phone_number_id (digits) of an account
 * object, and api_base. Returns 0, or GD_ERROR with a message naming
 * what is missing or malformed (never a value).
 */
int wa_account_load(struct wa_account *a, const cJSON *account,
		    const char *name);
void wa_account_wipe(struct wa_account *a);
/*
 * One Graph call: method to base + "/" + phone_number_id + path (path
 * starts with '/' and may carry a query), Bearer token, JSON body when
 * body is not NULL. As httpc_perform.
 */
int wa_graph(struct httpc_response *res, const struct wa_account *a,
	     const char *method, const char *path, const cJSON *body);
/*
 * A WhatsApp id from an E.164 number: the digits without '+'. Returns 0,
 * or GD_EINVALID when e164 is not E.164 or out is too small.
 */
int wa_id_of(char *out, size_t n, const char *e164);

/* --- pure mappings (wa_map.c) --- */

/*
 * Graph's error body {"error":{"message","type","code","error_subcode",
 * "error_data":{"details"},"fbtrace_id"}}: *code (0 when none) and the
 * message (with error_data.details when present) into msg.
 */
void wa_error_parse(long *code, char *msg, size_t n, const char *body,
		    size_t len);
/*
 * The function error kind for a Graph error (providers.md §3.4): 138006
 * → no_call_permission; 138001, 131030 → invalid_number; 138002, 138005,
 * 138009, 138012, 613, 4, 80007, 130429 or HTTP 429 → rate_limited;
 * 190, 102, 10, 200-299 or another HTTP 401/403 → auth; 138003, 138004,
 * 138007, 1, 2 or HTTP 5xx → transient; the messaging codes that are
 * about one recipient: 131026 (undeliverable) → invalid_number, 131047
 * (outside the 24-hour window) → no_call_permission, 131056 (pair rate
 * limit) → rate_limited; 133010 (the business number is not registered)
 * and 138000, 138013, 138014, 138015 (calling not enabled or allowed on
 * the number) → account (the campaign pauses until the operator fixes
 * it); everything else (131055, 100, other 4xx) → rejected, which fails
 * the campaign.
 */
const char *wa_error_kind(long http, long code);
/*
 * The failure response for a Graph call that did not answer 2xx.
 * creating: the request could have created a call (a request sent with
 * no answer is then "ambiguous"). what names the call ("calls",
 * "call_permissions") in the message.
 */
cJSON *wa_fail(const struct httpc_response *res, int creating,
	       const char *what);

/* What GET /<PHONE_NUMBER_ID>/call_permissions says about one user. */
struct wa_permission {
	char status[32]; /* no_permission, temporary, permanent, or "" */
	int granted;     /* temporary or permanent */
	int can_call;    /* start_call allowed (1 when not said) */
	int can_request; /* send_call_permission_request allowed (1 when not said) */
	char limits[160]; /* the first exhausted limit, for messages */
};
/* Reads a call_permissions body. 0, or GD_EINVALID when it is not one. */
int wa_permission_parse(struct wa_permission *p, const char *body, size_t len);

/*
 * Adds the §5 outcome fields for a terminate webhook's call object to
 * ev: errors[] on a call that did not end COMPLETED → failed (connected
 * when it was picked up; error.kind invalid_number for 138001, "failed"
 * otherwise: setup, relay and media failures 138019-138023); else
 * picked up (duration or start_time present) → connected, or hangup
 * under WA_HANGUP_S; else (unanswered, declined) → no_answer. Depends
 * on the object alone, so duplicate deliveries give identical events.
 */
void wa_terminate_outcome(cJSON *ev, const cJSON *call);
/*
 * Rank of a call status webhook, so that late deliveries never move a
 * call backwards: RINGING 1, ACCEPTED/REJECTED 2, 0 for anything else.
 */
int wa_status_rank(const char *status);
/* A Unix-seconds field (string or number) of a webhook object; 0 or GD_EINVALID. */
int wa_time_field(time_t *out, const cJSON *obj, const char *key);

/* --- the agent's media endpoint (whatsapp.c) --- */

/*
 * POSTs body (JSON) to agent.media_url, signed with agent.secret when it
 * is set (X-Gitdial-Signature: sha256=<hex HMAC-SHA256>). *reply is the
 * parsed JSON answer (the caller's) when out is not NULL. Returns 0 on a
 * 2xx, GD_ERROR with a message otherwise.
 */
int wa_agent_post(cJSON **reply, const cJSON *agent, const cJSON *body);

void wa_webhook(const struct web_request *req, struct web_reply *rep);

#endif
