/* gitdial-twilio: what the actions and the webhook share. */
#ifndef GD_TWILIO_H
#define GD_TWILIO_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "httpc.h"

#define TWILIO_API "https://api.twilio.com"
#define TWILIO_TWIML_MAX 4000 /* characters of inline Twiml */
#define TWILIO_URL_MAX 4000   /* characters of a callback URL (error 21609) */
#define TWILIO_HANGUP_S 5     /* a human call shorter than this: "hangup" */

struct web_request;
struct web_reply;

struct twilio_account {
	char name[72];
	char sid[128];
	char token[256];
	char base[1024]; /* api_base, no trailing '/' */
};

/*
 * Resolves an account object's credentials (account_sid, auth_token) and
 * api_base. Returns 0, or GD_ERROR with a message naming what is
 * missing (never a value).
 */
int twilio_account_load(struct twilio_account *a, const cJSON *account,
			const char *name);
void twilio_account_wipe(struct twilio_account *a);
/*
 * One REST call: method to base + "/2010-04-01/Accounts/<sid>" + path,
 * Basic auth, form body when form is not NULL. As httpc_perform.
 */
int twilio_rest(struct httpc_response *res, const struct twilio_account *a,
		const char *method, const char *path, const char *form);
/*
 * The failure response for a call that did not answer 2xx: the error
 * kind from Twilio's code and HTTP status. creating: the request could
 * have created a call (no answer is then "ambiguous").
 */
cJSON *twilio_fail(const struct httpc_response *res, int creating);
/*
 * What the operator should change when code is one of Twilio's account
 * and settings errors (geo permissions, trial limits, caller ID), else
 * NULL: such a failure is kind "account", never the recipient's.
 */
const char *twilio_account_hint(long code);
/*
 * Adds §5 outcome fields for a final call status (completed, busy,
 * no-answer, failed, canceled) to ev. Returns 0, or GD_ENOTFOUND when
 * status is not final.
 */
int twilio_outcome(cJSON *ev, const char *status, long duration_s,
		   const char *answered_by, int sip_code);
/* True for AnsweredBy values that mean a machine (or a fax). */
int twilio_is_machine(const char *answered_by);
/* <Say> with the recipient's language appended to out, text escaped. */
int twiml_say(struct buf *out, const char *language, const char *text);
/*
 * Appends <Connect><Stream> to the agent at stream with its <Parameter>s:
 * campaign, attempt_id, language, script_mode, script (override only),
 * voicemail=leave_message when voicemail is set (the agent is to leave
 * the message: the beep has passed), var_<column> for each of vars.
 */
int twiml_stream(struct buf *out, const char *stream, const char *campaign,
		 const char *attempt_id, const char *lang, const char *mode,
		 const char *script, const cJSON *vars, int voicemail);
/* Appends s with XML's five special characters escaped. */
int xml_escape(struct buf *out, const char *s);

void twilio_webhook(const struct web_request *req, struct web_reply *rep);

#endif
