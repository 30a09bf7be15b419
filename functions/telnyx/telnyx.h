/* gitdial-telnyx: what the actions and the webhook share. */
#ifndef GD_TELNYX_H
#define GD_TELNYX_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "httpc.h"

#define TELNYX_API "https://api.telnyx.com"
#define TELNYX_HANGUP_S 5 /* a human call shorter than this: "hangup" */
#define TELNYX_SPEAK_MAX 3000 /* characters of a speak payload (the spec's) */
/*
 * The longest client_state we send (base64 characters). The spec gives no
 * maximum; this is our bound (docs/providers.md), checked before dialing.
 */
#define TELNYX_STATE_MAX 16384

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
/*
 * Appends a call_control_id as a path segment: RFC 3986 pchars kept
 * (":" of "v3:..." included), the rest percent-encoded, as the SDK's
 * encodeURIPath does.
 */
int telnyx_path_escape(struct buf *b, const char *s);
/* One REST call to base + "/v2" + path with the Bearer key; JSON body. */
int telnyx_rest(struct httpc_response *res, const struct telnyx_account *a,
		const char *method, const char *path, const cJSON *body);
/*
 * A Call Control command on a call: POST /calls/{id}/actions/{action}
 * with body, or the empty JSON object {} when body is NULL (the spec's
 * request bodies are required, hangup's included). 0 when it was done or
 * the call is gone already, else GD_ERROR with a message.
 */
int telnyx_command(const struct telnyx_account *a, const char *call_id,
		   const char *action, const cJSON *body);
/* As telnyx_command with the method given (client_state_update is a PUT). */
int telnyx_command_m(const struct telnyx_account *a, const char *method,
		     const char *call_id, const char *action, const cJSON *body);
/*
 * A speak in the recipient's language: *language is the spec's enum value
 * (NULL: none is sent), *voice and *service_level what that language
 * needs. GD_ENOTFOUND when we have no voice for lang.
 */
int telnyx_voice(const char *lang, const char **language, const char **voice,
		 const char **service_level);
/*
 * The call's state as carried in client_state: base64 of a JSON object
 *   a  attempt id (always)        l  language     d  disclosure text
 *   s  agent stream URL           v  voicemail (leave_message|hang_up)
 *   m  voicemail message          p  phase (disclosure|voicemail|agent)
 *   t  answered at (unix s)       b  machine-detection verdict
 * Telnyx echoes the latest one in every webhook and in GET /calls/{id},
 * so a webhook host needs no disk of its own. encode: GD_ERROR when the
 * result would pass TELNYX_STATE_MAX. decode: a new object (the caller's)
 * with a valid attempt id, or NULL; a bare base64 attempt id (what older
 * versions sent) decodes to {"a": id}.
 */
int telnyx_state_encode(struct buf *out, const cJSON *st);
cJSON *telnyx_state_decode(const char *client_state);
/*
 * The failure response for a call that did not answer 2xx. creating:
 * the request could have created a call (no answer is "ambiguous").
 */
cJSON *telnyx_fail(const struct httpc_response *res, int creating);

void telnyx_webhook(const struct web_request *req, struct web_reply *rep);

#endif
