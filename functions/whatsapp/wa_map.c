/*
 * WhatsApp Business Calling: the pure mappings, with no file, socket or
 * clock, so the unit tests can hold them to providers.md §3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fn.h"
#include "hook.h"
#include "whatsapp.h"
#include "banned.h"

static long num_of(const cJSON *v)
{
	char *end;
	long l;

	if (cJSON_IsNumber(v)) /* in range before the cast: outside input */
		return v->valuedouble > -1e12 && v->valuedouble < 1e12
			? (long)v->valuedouble : 0;
	if (cJSON_IsString(v) && v->valuestring[0]) {
		l = strtol(v->valuestring, &end, 10);
		return *end ? 0 : l;
	}
	return 0;
}

void wa_error_parse(long *code, char *msg, size_t n, const char *body,
		    size_t len)
{
	cJSON *j = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *m = fn_str(e, "message");
	const char *d = fn_str(cJSON_GetObjectItemCaseSensitive(e, "error_data"),
			       "details");

	*code = num_of(cJSON_GetObjectItemCaseSensitive(e, "code"));
	if (n)
		snprintf(msg, n, "%s%s%s", m ? m : "", m && d ? ": " : "",
			 d ? d : "");
	cJSON_Delete(j);
}

const char *wa_error_kind(long http, long code)
{
	switch (code) {
	case 138006:
		return "no_call_permission";
	case 138001: case 131030:
		return "invalid_number";
	case 138002: case 138005: case 138009: case 138012: case 613:
	case 4: case 80007: case 130429:
		return "rate_limited";
	case 190: case 102: case 10:
		return "auth";
	case 138003: case 138004: case 138007: case 1: case 2:
		return "transient";
	case 131026:
		return "invalid_number";
	case 131047:
		return "no_call_permission";
	case 131056:
		return "rate_limited";
	case 133010: case 138000: case 138013: case 138014: case 138015:
		return "account";
	case 131055: case 100:
		return "rejected";
	}
	if (code >= 200 && code <= 299)
		return "auth";
	if (http == 429)
		return "rate_limited";
	if (http == 401 || http == 403)
		return "auth";
	if (http >= 500)
		return "transient";
	return "rejected";
}

cJSON *wa_fail(const struct httpc_response *res, int creating,
	       const char *what)
{
	char msg[400], code_s[32];
	long code;
	const char *kind;

	if (res->fate == HTTPC_NOT_SENT)
		return fn_fail("transient", "connect", "cannot reach the Graph "
			       "API: %s", res->error);
	if (res->fate == HTTPC_NO_RESPONSE)
		return creating
			? fn_fail("ambiguous", "no_response", "no response from "
				  "the Graph API (%s): the call may exist",
				  res->error)
			: fn_fail("transient", "no_response", "no response from "
				  "the Graph API: %s", res->error);
	if (res->status >= 200 && res->status < 300)
		return creating
			? fn_fail("ambiguous", "bad_response", "%s answered %ld "
				  "without a call id", what, res->status)
			: fn_fail("transient", "bad_response", "%s answered %ld "
				  "with an unreadable body", what, res->status);
	wa_error_parse(&code, msg, sizeof(msg), res->body.ptr, res->body.len);
	if (code)
		snprintf(code_s, sizeof(code_s), "%ld", code);
	else
		snprintf(code_s, sizeof(code_s), "http_%ld", res->status);
	if (!msg[0])
		snprintf(msg, sizeof(msg), "HTTP %ld", res->status);
	kind = wa_error_kind(res->status, code);
	if (!strcmp(kind, "auth"))
		return fn_fail(kind, code_s, "the Graph API refused the access "
			       "token (%s): %s", what, msg);
	if (!strcmp(kind, "account"))
		return fn_hint(fn_fail(kind, code_s, "WhatsApp %s: %s", what, msg),
			       code == 133010
			       ? "register the business phone number on the "
				 "WhatsApp Business Platform, then gitdial resume"
			       : "enable business-initiated calling on the "
				 "number (call settings; quality and messaging "
				 "limits allowing), then gitdial resume");
	return fn_fail(kind, code_s, "WhatsApp %s: %s", what, msg);
}

int wa_permission_parse(struct wa_permission *p, const char *body, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	const cJSON *perm = cJSON_GetObjectItemCaseSensitive(j, "permission");
	const cJSON *act, *lim;
	const char *st = fn_str(perm, "status");

	memset(p, 0, sizeof(*p));
	p->can_call = p->can_request = 1;
	if (!st) {
		cJSON_Delete(j);
		return GD_EINVALID;
	}
	snprintf(p->status, sizeof(p->status), "%s", st);
	p->granted = !strcmp(st, "temporary") || !strcmp(st, "permanent");
	cJSON_ArrayForEach(act, cJSON_GetObjectItemCaseSensitive(j, "actions")) {
		const char *name = fn_str(act, "action_name");
		const cJSON *can = cJSON_GetObjectItemCaseSensitive(act,
			"can_perform_action");
		int no = cJSON_IsFalse(can);
		if (!name)
			continue;
		if (!strcmp(name, "start_call") && no)
			p->can_call = 0;
		else if (!strcmp(name, "send_call_permission_request") && no)
			p->can_request = 0;
		if (!no || p->limits[0])
			continue;
		cJSON_ArrayForEach(lim, cJSON_GetObjectItemCaseSensitive(act, "limits")) {
			long max = num_of(cJSON_GetObjectItemCaseSensitive(lim, "max_allowed"));
			long used = num_of(cJSON_GetObjectItemCaseSensitive(lim, "current_usage"));
			const char *per = fn_str(lim, "time_period");
			if (max > 0 && used >= max) {
				snprintf(p->limits, sizeof(p->limits), "%s: %ld of %ld "
					 "per %s used", name, used, max, per ? per : "?");
				break;
			}
		}
	}
	cJSON_Delete(j);
	return 0;
}

int wa_time_field(time_t *out, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	long t = num_of(v);

	if (t <= 0)
		return GD_EINVALID;
	*out = (time_t)t;
	return 0;
}

void wa_terminate_outcome(cJSON *ev, const cJSON *call)
{
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(call, "duration");
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(call, "errors");
	const cJSON *e0 = cJSON_GetArrayItem(errs, 0);
	const char *st = fn_str(call, "status");
	char reason[32], code_s[32];
	time_t start, end;
	long d = -1, code;
	size_t i;

	snprintf(reason, sizeof(reason), "%s", st ? st : "terminated");
	for (i = 0; reason[i]; i++)
		if (reason[i] >= 'A' && reason[i] <= 'Z')
			reason[i] = (char)(reason[i] - 'A' + 'a');
	if (dur && (cJSON_IsNumber(dur) || cJSON_IsString(dur)))
		d = num_of(dur) < 0 ? 0 : num_of(dur);
	if (d < 0 && !wa_time_field(&start, call, "start_time"))
		d = !wa_time_field(&end, call, "end_time") && end > start
			? (long)(end - start) : 0;
	if (cJSON_IsObject(e0) && (!st || strcmp(st, "COMPLETED"))) {
		const char *m = fn_str(e0, "message");
		char msg[300];
		cJSON *e;
		code = num_of(cJSON_GetObjectItemCaseSensitive(e0, "code"));
		hook_outcome(ev, "failed", d > 0 ? d : 0, d >= 0, NULL, 0, reason);
		snprintf(code_s, sizeof(code_s), "%ld", code);
		snprintf(msg, sizeof(msg), "%s", m ? m : "the call failed");
		e = cJSON_AddObjectToObject(ev, "error");
		cJSON_AddStringToObject(e, "kind", code == 138001 ? "invalid_number"
					: "failed");
		cJSON_AddStringToObject(e, "code", code_s);
		cJSON_AddStringToObject(e, "message", msg);
		return;
	}
	if (d >= 0) {
		hook_outcome(ev, d < WA_HANGUP_S ? "hangup" : "connected", d, 1,
			     NULL, 0, reason);
		return;
	}
	hook_outcome(ev, "no_answer", 0, 0, NULL, 0, reason);
}

int wa_status_rank(const char *status)
{
	if (!status)
		return 0;
	if (!strcmp(status, "RINGING"))
		return 1;
	if (!strcmp(status, "ACCEPTED") || !strcmp(status, "REJECTED"))
		return 2;
	return 0;
}
