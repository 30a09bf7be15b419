/*
 * What `validate` adds to the schema: gitdial.json held against the
 * operator's settings (trust.h), and settings that could only fail at
 * dial time. Every problem is an error naming file, line and field.
 */
#ifndef GD_TRUST_CHECK_H
#define GD_TRUST_CHECK_H

#include "diag.h"
#include "repo.h"
#include "src.h"

/*
 * gitdial.json (read again from s for the lines) against the operator's
 * settings: each account's api_base and function (trust_endpoint_check),
 * every secret reference (trust_secret_check; root, the work tree, for
 * files inside the repository), a function with no function_secret, and
 * credentials a provider needs to dial that are missing.
 */
void trust_check_config(struct src *s, const char *root,
			const struct config *cfg, struct diags *d);

/*
 * Each loaded campaign of r whose account cannot dial with this
 * gitdial.json: Twilio and Telnyx with no agent.stream_url, WhatsApp with
 * no agent.media_url, SIP with no sip: agent.sip_uri. Reported at the
 * campaign's "account". And for each campaign that may dial (not a
 * draft), the addresses its account sends the call to, held against the
 * operator's lists (trust_agent_check: the agent.* field the provider
 * uses; trust_proxy_check: a SIP trunk's proxy), reported once each at
 * its line of gitdial.json.
 */
void trust_check_campaigns(struct src *s, const struct repo *r,
			   struct diags *d);

#endif
