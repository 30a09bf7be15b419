#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jsonx.h"
#include "trust.h"
#include "trust_check.h"
#include "banned.h"

/* The last message without a leading "field: " (the report names it). */
static const char *reason(const char *field)
{
	const char *m = gd_error_last();
	size_t n = strlen(field);

	return !strncmp(m, field, n) && !strncmp(m + n, ": ", 2) ? m + n + 2 : m;
}

static void check_ref(struct jctx *c, const char *path, const cJSON *v,
		      const char *root)
{
	if (cJSON_IsString(v) && trust_secret_check(v->valuestring, root))
		jctx_error(c, path, "%s", gd_error_last());
}

static void check_url(struct jctx *c, const char *path, const char *field,
		      const cJSON *v, const char *provider)
{
	if (cJSON_IsString(v) &&
	    trust_endpoint_check(v->valuestring, provider, field))
		jctx_error(c, path, "%s", reason(field));
}

/* The credentials a provider's function needs to dial at all. */
static const char *const *needed(const char *provider)
{
	static const char *const twilio[] = { "account_sid", "auth_token", NULL };
	static const char *const telnyx[] = { "api_key", "connection_id", NULL };
	static const char *const wa[] = { "access_token", "phone_number_id", NULL };
	static const char *const none[] = { NULL };

	if (!strcmp(provider, "twilio"))
		return twilio;
	if (!strcmp(provider, "telnyx"))
		return telnyx;
	if (!strcmp(provider, "whatsapp"))
		return wa;
	return none;
}

static void check_account(struct jctx *c, const cJSON *a, const char *root)
{
	const char *prov = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(a, "provider"));
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(a, "credentials");
	const cJSON *fn = cJSON_GetObjectItemCaseSensitive(a, "function");
	const char *const *need;
	const cJSON *x;
	char base[128], p[256];
	int web = prov && (!strcmp(prov, "twilio") || !strcmp(prov, "telnyx") ||
			   !strcmp(prov, "whatsapp"));

	if (!prov)
		return;
	snprintf(base, sizeof(base), "accounts.%s", a->string);
	check_url(c, jpath(p, sizeof(p), base, "api_base"), "api_base",
		  cJSON_GetObjectItemCaseSensitive(a, "api_base"),
		  web ? prov : NULL);
	check_url(c, jpath(p, sizeof(p), base, "function"), "function", fn, NULL);
	if (cJSON_IsString(fn) &&
	    !cJSON_GetObjectItemCaseSensitive(a, "function_secret"))
		jctx_error(c, jpath(p, sizeof(p), base, "function"), "a remote "
			   "function needs a function_secret to sign its "
			   "requests; every dial would be refused");
	check_ref(c, jpath(p, sizeof(p), base, "function_secret"),
		  cJSON_GetObjectItemCaseSensitive(a, "function_secret"), root);
	/* the sim's signing key for its webhooks (main's sim.c) */
	check_ref(c, jpath(p, sizeof(p), base, "webhook_secret"),
		  cJSON_GetObjectItemCaseSensitive(a, "webhook_secret"), root);
	cJSON_ArrayForEach(x, creds) {
		char cp[300];
		if (!strcmp(x->string, "connection_id") ||
		    !strcmp(x->string, "phone_number_id")) {
			if (cJSON_IsString(x) &&
			    (!strncmp(x->valuestring, "env:", 4) ||
			     !strncmp(x->valuestring, "file:", 5)))
				check_ref(c, jpath(cp, sizeof(cp), base,
						   "credentials"), x, root);
			continue;
		}
		snprintf(cp, sizeof(cp), "%s.credentials.%s", base, x->string);
		check_ref(c, cp, x, root);
	}
	if (!strcmp(prov, "sip") &&
	    !cJSON_GetObjectItemCaseSensitive(creds, "username") !=
	    !cJSON_GetObjectItemCaseSensitive(creds, "password"))
		jctx_error(c, jpath(p, sizeof(p), base, "credentials"),
			   "a SIP trunk's username and password go together; "
			   "with one only, every dial would fail");
	for (need = needed(prov); *need; need++)
		if (!cJSON_GetObjectItemCaseSensitive(creds, *need))
			jctx_error(c, jpath(p, sizeof(p), base, creds ?
					    "credentials" : "provider"),
				   "a %s account needs credentials.%s to dial; "
				   "every dial would fail", prov, *need);
	x = cJSON_GetObjectItemCaseSensitive(creds, "phone_number_id");
	if (cJSON_IsString(x) && strncmp(x->valuestring, "env:", 4) &&
	    strncmp(x->valuestring, "file:", 5) &&
	    strspn(x->valuestring, "0123456789") != strlen(x->valuestring))
		jctx_error(c, jpath(p, sizeof(p), base, "credentials"),
			   "phone_number_id \"%s\" is not a number id (digits)",
			   x->valuestring);
}

void trust_check_config(struct src *s, const char *root,
			const struct config *cfg, struct diags *d)
{
	struct buf text = BUF_INIT(CONFIG_MAX);
	struct jctx c = { CONFIG_FILE, NULL, 0, d, 0 };
	const cJSON *a, *agent;

	if (!cfg || s->read(s, CONFIG_FILE, &text, CONFIG_MAX) || !text.ptr)
		goto cleanup;
	c.text = text.ptr;
	c.len = text.len;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(cfg->root,
							       "accounts"))
		if (cJSON_IsObject(a))
			check_account(&c, a, root);
	agent = cJSON_GetObjectItemCaseSensitive(cfg->root, "agent");
	check_ref(&c, "agent.secret",
		  cJSON_GetObjectItemCaseSensitive(agent, "secret"), root);
cleanup:
	buf_release(&text);
}

static void trust_check_lacks(struct src *s, const struct repo *r,
			      struct diags *d);

/* What the account's provider needs of gitdial.json's agent, or NULL. */
static const char *agent_lacks(const struct config *cfg, const char *prov)
{
	const char *v;

	if (!strcmp(prov, "twilio") || !strcmp(prov, "telnyx")) {
		v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cfg->agent, "stream_url"));
		return v && *v ? NULL : "agent.stream_url (the agent's media "
			"stream the call connects to)";
	}
	if (!strcmp(prov, "whatsapp")) {
		v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cfg->agent, "media_url"));
		return v && *v ? NULL : "agent.media_url (where the agent "
			"answers WhatsApp's SDP)";
	}
	if (!strcmp(prov, "sip")) {
		v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cfg->agent, "sip_uri"));
		return v && !strncmp(v, "sip:", 4) ? NULL : "a sip: agent.sip_uri "
			"(sips: is not supported)";
	}
	return NULL;
}

/* What check_hosts has reported on already, so each field is once. */
struct seen {
	unsigned agent;          /* bit per use[] field name */
	const struct account *proxy[32];
	size_t np;
};

/*
 * The addresses an account of a campaign that may dial sends the call to,
 * held against the operator's lists: the agent.* field its provider uses
 * (trust_agent_check) and a SIP trunk's proxy (trust_proxy_check), each
 * reported once, at its line of gitdial.json.
 */
static void check_hosts(struct jctx *c, const struct config *cfg,
			const struct account *a, struct seen *seen)
{
	static const struct { const char *prov, *field; unsigned bit; } use[] = {
		{ "twilio", "stream_url", 1 }, { "telnyx", "stream_url", 1 },
		{ "whatsapp", "media_url", 2 }, { "sip", "sip_uri", 4 },
		{ NULL, NULL, 0 }
	};
	const cJSON *trunk, *tp;
	const char *v;
	char p[300];
	size_t i;

	for (i = 0; use[i].prov; i++) {
		if (strcmp(use[i].prov, a->provider) || (seen->agent & use[i].bit))
			continue;
		seen->agent |= use[i].bit;
		v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cfg->agent, use[i].field));
		snprintf(p, sizeof(p), "agent.%s", use[i].field);
		if (v && trust_agent_check(v, p))
			jctx_error(c, p, "%s", reason(p));
	}
	trunk = cJSON_GetObjectItemCaseSensitive(a->json, "trunk");
	if (strcmp(a->provider, "sip") || !trunk)
		return;
	for (i = 0; i < seen->np; i++)
		if (seen->proxy[i] == a)
			return;
	if (seen->np < sizeof(seen->proxy) / sizeof(seen->proxy[0]))
		seen->proxy[seen->np++] = a;
	tp = cJSON_GetObjectItemCaseSensitive(trunk, "transport");
	v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(trunk, "proxy"));
	snprintf(p, sizeof(p), "accounts.%s.trunk.proxy", a->name);
	if (v && trust_proxy_check(v, cJSON_IsString(tp) &&
				   !strcmp(tp->valuestring, "tls"), "proxy"))
		jctx_error(c, p, "%s", reason("proxy"));
}

void trust_check_campaigns(struct src *s, const struct repo *r,
			   struct diags *d)
{
	struct buf cfgtext = BUF_INIT(CONFIG_MAX);
	struct jctx cj = { CONFIG_FILE, NULL, 0, d, 0 };
	struct seen seen;
	size_t i;

	memset(&seen, 0, sizeof(seen));

	/* the agent's addresses and trunk proxies campaigns that may dial use */
	if (r && r->cfg && !s->read(s, CONFIG_FILE, &cfgtext, CONFIG_MAX) &&
	    cfgtext.ptr) {
		cj.text = cfgtext.ptr;
		cj.len = cfgtext.len;
		for (i = 0; i < r->n; i++) {
			const struct campaign *c = r->v[i].c;
			const struct account *a;
			if (!c || !c->account || c->desired == WANT_DRAFT ||
			    !(a = config_account(r->cfg, c->account)) ||
			    !a->provider)
				continue;
			check_hosts(&cj, r->cfg, a, &seen);
		}
	}
	buf_release(&cfgtext);
	trust_check_lacks(s, r, d);
}

/* Campaigns whose account's provider needs what the agent lacks. */
static void trust_check_lacks(struct src *s, const struct repo *r,
			      struct diags *d)
{
	struct buf text = BUF_INIT(CAMPAIGN_MAX);
	const struct account *a;
	const char *lacks;
	char path[256];
	size_t i;

	for (i = 0; r && r->cfg && i < r->n; i++) {
		const struct campaign *c = r->v[i].c;
		struct jctx jc = { path, NULL, 0, d, 0 };
		if (!c || !c->account ||
		    !(a = config_account(r->cfg, c->account)) || !a->provider ||
		    !(lacks = agent_lacks(r->cfg, a->provider)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/campaign.json", r->v[i].top,
			 r->v[i].id);
		buf_release(&text);
		buf_init(&text, CAMPAIGN_MAX);
		if (s->read(s, path, &text, CAMPAIGN_MAX) || !text.ptr)
			continue; /* campaign_load read it: it is there */
		jc.text = text.ptr;
		jc.len = text.len;
		jctx_error(&jc, "account", "\"%s\" is a %s account, which needs "
			   "%s in gitdial.json; without it every dial fails",
			   c->account, a->provider, lacks);
	}
	buf_release(&text);
}
