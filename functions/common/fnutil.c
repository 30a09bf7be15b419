#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fnutil.h"
#include "spool.h"
#include "banned.h"

cJSON *fn_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

cJSON *fn_fail(const char *kind, const char *code, const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject(), *e;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddBoolToObject(o, "ok", 0);
	e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "code", code ? code : "");
	cJSON_AddStringToObject(e, "message", msg);
	return o;
}

cJSON *fn_record_refusal(int record, int has_disclosure)
{
	if (!record || has_disclosure)
		return NULL;
	return fn_fail("rejected", "record_without_disclosure", "record is set "
		       "but there is no disclosure to play first");
}

cJSON *fn_hint(cJSON *fail, const char *hint)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(fail, "error");

	if (cJSON_IsObject(e) && hint && *hint &&
	    !cJSON_GetObjectItemCaseSensitive(e, "hint"))
		cJSON_AddStringToObject(e, "hint", hint);
	return fail;
}

const char *fn_str(const cJSON *obj, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

int fn_spool(const cJSON *event)
{
	const char *dir = getenv("GITDIAL_SPOOL");
	char *s;
	int rc;

	if (!dir || !*dir)
		return gd_error_set("GITDIAL_SPOOL is not set");
	if (!(s = cJSON_PrintUnformatted(event)))
		return gd_error_set("out of memory");
	rc = spool_write(dir, s, strlen(s));
	cJSON_free(s);
	return rc;
}
