/* gitdial-telnyx: what the actions and the webhook share. */
#ifndef GD_TELNYX_H
#define GD_TELNYX_H

#include <cjson/cJSON.h>

#include "httpc.h"

#define TELNYX_API "https://api.telnyx.com"
#define TELNYX_HANGUP_S 5 /* a human call shorter than this: "hangup" */

struct web_request;
struct web_reply;

struct telnyx_account {
	char name[72];
	char api_key[512];
	char connection_id[256];
	char base[1024]; /* api_base, no trailing '/' */
};

/*
 * Resolves api_key (and connection_id when need_connection) and
 * api_base of an account object. 0, or GD_ERROR with a message naming
 * what is missing (never a value).
 */
int telnyx_account_load(struct telnyx_account *a, const cJSON *account,
			const char *name, int need_connection);
void telnyx_account_wipe(struct telnyx_account *a);
/* One REST call to base + "/v2" + path with the Bearer key; JSON body. */
int telnyx_rest(struct httpc_response *res, const struct telnyx_account *a,
		const char *method, const char *path, const cJSON *body);
/* A Call Control command on a call: POST /calls/{id}/actions/{action}. */
int telnyx_command(const struct telnyx_account *a, const char *call_id,
		   const char *action, const cJSON *body);
/*
 * The failure response for a call that did not answer 2xx. creating:
 * the request could have created a call (no answer is "ambiguous").
 */
cJSON *telnyx_fail(const struct httpc_response *res, int creating);

void telnyx_webhook(const struct web_request *req, struct web_reply *rep);

#endif
