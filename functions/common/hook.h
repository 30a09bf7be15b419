/*
 * What every provider's webhook and action code shares: the repository
 * config ($GITDIAL_REPO/gitdial.json) and its credential references, the
 * public webhook URL signatures are checked against, the injected clock,
 * §5 events, and small per-attempt state files kept beside the spool
 * ($GITDIAL_SPOOL/.<provider>/), which the spool reader skips.
 */
#ifndef GD_HOOK_H
#define GD_HOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "attempt.h"
#include "buf.h"

#define HOOK_CONFIG_MAX (1u << 20)
#define HOOK_SECRET_MAX 4096

/*
 * Reads and parses $GITDIAL_REPO/gitdial.json (the work tree file).
 * *out is the caller's (cJSON_Delete). GD_ERROR with a message when the
 * variable is unset, the file is missing, too large or not JSON.
 */
int hook_config_load(cJSON **out);
/*
 * Whether account may have placed a call of campaign: the campaign's
 * "account" in $GITDIAL_REPO/campaigns/<campaign>/campaign.json (the
 * work tree) must be it. 1 when it is, or when the campaign is not
 * there to say (another clone's, archived since); 0 when it names
 * another account. A delivery verified with one account's key is never
 * credited to a campaign dialing on another.
 */
int hook_account_may_place(const char *campaign, const char *account);
/* accounts[name] of a parsed gitdial.json, or NULL. */
const cJSON *hook_account(const cJSON *cfg, const char *name);
/*
 * Resolves account.credentials[key] into out: an env:/file: reference
 * through secret_resolve, or a literal for the non-secret keys
 * (connection_id, phone_number_id). Returns 0, or GD_ENOTFOUND /
 * GD_ERROR with a message naming the key, never the value.
 */
int hook_credential(char *out, size_t n, const cJSON *account, const char *key);
/*
 * The account's api_base (dflt when it has none) into out, without a
 * trailing '/', so paths can be appended as "/...". An api_base must be
 * one of provider's own hosts over https or a host the operator allows
 * (trust_endpoint_check): GD_EINVALID with a message otherwise, out "".
 */
int hook_api_base(char *out, size_t n, const cJSON *account, const char *dflt,
		  const char *provider);
/*
 * The public URL of an endpoint: webhook_base_url (trailing '/' dropped)
 * + "/" + endpoint, + "?" + query when query is not empty. GD_ERROR when
 * the config has no webhook_base_url.
 */
int hook_public_url(struct buf *out, const cJSON *cfg, const char *endpoint,
		    const char *query);
/*
 * The clock for webhooks: $GITDIAL_NOW (RFC 3339) when set, else the
 * wall clock. Functions handling a request use the request's "now".
 */
time_t hook_now(void);
/* Parses RFC 2822 dates ("Tue, 31 Aug 2010 20:36:28 +0000"); 0 or GD_EINVALID. */
int time_parse_rfc2822(time_t *out, const char *s);


/*
 * A new §5 event {"v":1,"ts","campaign","event"} plus attempt_id and
 * call_id when not NULL. The caller owns it.
 */
cJSON *hook_event(const char *event, time_t ts, const char *campaign,
		  const char *attempt_id, const char *call_id);
/*
 * Adds the outcome fields: outcome, duration_s, connected, answered
 * (connected and at least 30 s), and answered_by / sip_code (when
 * sip_code is 100..699) / reason when given.
 */
void hook_outcome(cJSON *ev, const char *outcome, long duration_s,
		  int connected, const char *answered_by, int sip_code,
		  const char *reason);

/*
 * Per-attempt state: $GITDIAL_SPOOL/.<provider>/<attempt_id>.<kind>,
 * written atomically. get fills out (at most max bytes) and returns
 * GD_ENOTFOUND when there is none.
 */
int hook_state_put(const char *provider, const char *attempt_id,
		   const char *kind, const char *data);
int hook_state_get(struct buf *out, const char *provider,
		   const char *attempt_id, const char *kind);
void hook_state_drop(const char *provider, const char *attempt_id,
		     const char *kind);

#endif
