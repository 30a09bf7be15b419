/*
 * What an action's or a webhook's handler uses to answer (fn_ok, fn_fail,
 * fn_hint), read a request (fn_str) and record an event (fn_spool). Below
 * fn.h, the runtime that calls the handlers, so a handler that fn.c
 * routes to (agent.c) need not include the runtime; fn.h includes this
 * for the providers.
 */
#ifndef GD_FNUTIL_H
#define GD_FNUTIL_H

#include <cjson/cJSON.h>

/* {"ok":true} to add fields to. */
cJSON *fn_ok(void);
/* {"ok":false,"error":{"kind","code","message"}}. */
cJSON *fn_fail(const char *kind, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The refusal of a dial request with "record" set and no disclosure to
 * play first: a recorded call starts with its disclosure
 * (docs/recording.md). NULL when the request may go on.
 */
cJSON *fn_record_refusal(int record, int has_disclosure);
/*
 * Adds error.hint (what the operator can do about it) to a failure
 * response from fn_fail; returns fail. For kind "account": the provider
 * account or its settings are wrong, so the runner pauses the campaign
 * until the operator fixes them and resumes it.
 */
cJSON *fn_hint(cJSON *fail, const char *hint);
/* obj[key] when it is a string, else NULL. */
const char *fn_str(const cJSON *obj, const char *key);
/* Appends an event to the spool named by $GITDIAL_SPOOL. */
int fn_spool(const cJSON *event);

#endif
