/*
 * Fuzz target: what gitdial-whatsapp reads from Meta, through its pure
 * readers: the input as a Graph error body (wa_error_parse), as a
 * call_permissions answer (wa_permission_parse), and as a webhook whose
 * every calls[] item is mapped to an outcome (wa_terminate_outcome).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fn.h"
#include "whatsapp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_permission p;
	const cJSON *entry, *change, *item;
	cJSON *j, *ev;
	char msg[512];
	long code;

	wa_error_parse(&code, msg, sizeof(msg), (const char *)data, size);
	(void)wa_error_kind(400, code);
	wa_permission_parse(&p, (const char *)data, size);
	j = cJSON_ParseWithLength((const char *)data, size);
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(j, "entry"))
		cJSON_ArrayForEach(change, cJSON_GetObjectItemCaseSensitive(entry,
									    "changes"))
			cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(change, "value"), "calls")) {
				ev = cJSON_CreateObject();
				wa_terminate_outcome(ev, item);
				(void)wa_status_rank(fn_str(item, "status"));
				cJSON_Delete(ev);
			}
	cJSON_Delete(j);
	return 0;
}
