#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "jsonx.h"
#include "phone.h"
#include "util.h"
#include "banned.h"

const char *const providers[] = {
	"twilio", "telnyx", "sip", "whatsapp", "sim", NULL
};

static int is_reference(const char *s)
{
	const char *p;

	if (!strncmp(s, "file:", 5))
		return s[5] != '\0';
	if (strncmp(s, "env:", 4) || !s[4])
		return 0;
	if (!((s[4] >= 'A' && s[4] <= 'Z') || (s[4] >= 'a' && s[4] <= 'z') ||
	      s[4] == '_'))
		return 0;
	for (p = s + 5; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static int is_url(const char *s, const char *const *schemes)
{
	for (; *schemes; schemes++) {
		size_t n = strlen(*schemes);
		if (!strncmp(s, *schemes, n) && s[n])
			return 1;
	}
	return 0;
}

static const char *const http_schemes[] = { "https://", "http://", NULL };

static void check_secret(struct jctx *c, const cJSON *v, const char *path)
{
	if (!cJSON_IsString(v))
		jctx_error(c, path, "expected a secret reference string");
	else if (!is_reference(v->valuestring))
		jctx_error(c, path, "literal secrets are not allowed in the "
			   "repository (expected env:NAME or file:PATH)");
}

/* host[:port] (a name, an IPv4 address or a bracketed IPv6 one). */
static int hostport_valid(const char *s)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; *p && *p != ']'; p++)
			if (!strchr("0123456789abcdefABCDEF:.", *p))
				return 0;
		if (*p++ != ']' || p - s < 3)
			return 0;
	} else {
		for (; *p && *p != ':'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				return 0;
		if (p == s)
			return 0;
	}
	if (!*p)
		return 1;
	if (*p != ':' || !p[1] || strlen(p + 1) > 5)
		return 0;
	for (p++; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/*
 * A sip account's "trunk": the outbound proxy (sip:host[:port]), the
 * transport, the domain of request URIs, an optional caller-ID header and
 * the longest call (gitdial-sip's sip_trunk_parse checks the same).
 */
static void load_trunk(struct jctx *c, const cJSON *t, const char *path)
{
	static const char *const keys[] = {
		"proxy", "transport", "domain", "caller_id_header", "max_call_s",
		"tls_ca", "tls_server_name", NULL
	};
	const cJSON *v;
	char p[600];
	long l;

	jcheck_keys(c, t, path, keys);
	if ((v = jget_string(c, t, path, "proxy", 1)) &&
	    (strncmp(v->valuestring, "sip:", 4) ||
	     !hostport_valid(v->valuestring + 4)))
		jctx_error(c, jpath(p, sizeof(p), path, "proxy"),
			   "\"%s\" is not a SIP proxy URI (expected "
			   "sip:host or sip:host:port)", v->valuestring);
	if ((v = jget_string(c, t, path, "transport", 0)) &&
	    strcmp(v->valuestring, "udp") && strcmp(v->valuestring, "tcp") &&
	    strcmp(v->valuestring, "tls"))
		jctx_error(c, jpath(p, sizeof(p), path, "transport"),
			   "\"%s\" is not a transport (expected udp, tcp or "
			   "tls)", v->valuestring);
	if ((v = jget_string(c, t, path, "domain", 0)) &&
	    !hostport_valid(v->valuestring))
		jctx_error(c, jpath(p, sizeof(p), path, "domain"),
			   "\"%s\" is not host or host:port", v->valuestring);
	if ((v = jget_string(c, t, path, "caller_id_header", 0)) &&
	    strcmp(v->valuestring, "P-Asserted-Identity") &&
	    strcmp(v->valuestring, "P-Preferred-Identity") &&
	    strcmp(v->valuestring, "Remote-Party-ID"))
		jctx_error(c, jpath(p, sizeof(p), path, "caller_id_header"),
			   "\"%s\" is not a caller-ID header (expected "
			   "P-Asserted-Identity, P-Preferred-Identity or "
			   "Remote-Party-ID)", v->valuestring);
	jget_int(c, t, path, "max_call_s", 60, 86400, &l);
	if ((v = jget_string(c, t, path, "tls_ca", 0)) && v->valuestring[0] != '/')
		jctx_error(c, jpath(p, sizeof(p), path, "tls_ca"),
			   "\"%s\" is not an absolute path", v->valuestring);
	if ((v = jget_string(c, t, path, "tls_server_name", 0)) &&
	    (!hostport_valid(v->valuestring) || strchr(v->valuestring, ':')))
		jctx_error(c, jpath(p, sizeof(p), path, "tls_server_name"),
			   "\"%s\" is not a host name", v->valuestring);
}

static void load_account(struct jctx *c, struct account *a, const cJSON *obj,
			 const char *path)
{
	static const char *const keys[] = {
		"provider", "caller_ids", "max_concurrency", "cps",
		"credentials", "api_base", "function", "function_secret",
		"reject_caller_ids", "seed", "trunk", "webhook_secret", NULL
	};
	const cJSON *v, *item;
	char p[512], ip[600];
	long l;
	int i;

	a->name = obj->string;
	a->json = obj;
	a->max_concurrency = 10;
	a->cps = 1;
	if (!cJSON_IsObject(obj)) {
		jctx_error(c, path, "expected an object");
		return;
	}
	jcheck_keys(c, obj, path, keys);
	if ((v = jget_string(c, obj, path, "provider", 1))) {
		for (i = 0; providers[i]; i++)
			if (!strcmp(providers[i], v->valuestring))
				break;
		if (!providers[i])
			jctx_error(c, jpath(p, sizeof(p), path, "provider"),
				   "\"%s\" is not a provider (expected twilio, "
				   "telnyx, sip, whatsapp or sim)", v->valuestring);
		else
			a->provider = v->valuestring;
	}
	if ((v = jget_array(c, obj, path, "caller_ids", 1))) {
		int n = cJSON_GetArraySize(v);
		if (n == 0)
			jctx_error(c, jpath(p, sizeof(p), path, "caller_ids"),
				   "is empty (expected at least one E.164 number)");
		a->caller_ids = calloc((size_t)n + 1, sizeof(char *));
		i = 0;
		cJSON_ArrayForEach(item, v) {
			snprintf(ip, sizeof(ip), "%s.caller_ids[%d]", path, i++);
			if (!cJSON_IsString(item) || !phone_is_e164(item->valuestring)) {
				jctx_error(c, ip, "expected an E.164 number "
					   "(+ then 8-15 digits)");
				continue;
			}
			{
				size_t k;
				for (k = 0; k < a->n_caller_ids; k++)
					if (!strcmp(a->caller_ids[k], item->valuestring))
						break;
				if (a->caller_ids && k < a->n_caller_ids) {
					jctx_error(c, ip, "\"%s\" is listed twice",
						   item->valuestring);
					continue;
				}
			}
			if (a->caller_ids)
				a->caller_ids[a->n_caller_ids++] = item->valuestring;
		}
	}
	if (jget_int(c, obj, path, "max_concurrency", 1, 10000, &l))
		a->max_concurrency = l;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "cps"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble <= 0 ||
		    v->valuedouble > 1000)
			jctx_error(c, jpath(p, sizeof(p), path, "cps"),
				   "expected a number of calls per second, "
				   "above 0 and at most 1000");
		else
			a->cps = v->valuedouble;
	}
	if ((v = jget_object(c, obj, path, "credentials", 0))) {
		cJSON_ArrayForEach(item, v) {
			snprintf(ip, sizeof(ip), "%s.credentials.%s", path,
				 item->string);
			if (!strcmp(item->string, "connection_id") ||
			    !strcmp(item->string, "phone_number_id")) {
				if (!cJSON_IsString(item) || !*item->valuestring)
					jctx_error(c, ip, "expected a non-empty string");
				continue;
			}
			check_secret(c, item, ip);
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "function_secret")))
		check_secret(c, v, jpath(p, sizeof(p), path, "function_secret"));
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "webhook_secret")))
		check_secret(c, v, jpath(p, sizeof(p), path, "webhook_secret"));
	if ((v = jget_string(c, obj, path, "api_base", 0)) &&
	    !is_url(v->valuestring, http_schemes))
		jctx_error(c, jpath(p, sizeof(p), path, "api_base"),
			   "expected an http:// or https:// URL");
	if ((v = jget_string(c, obj, path, "function", 0))) {
		if (!is_url(v->valuestring, http_schemes))
			jctx_error(c, jpath(p, sizeof(p), path, "function"),
				   "expected an http:// or https:// URL");
		else
			a->function = v->valuestring;
	}
	if ((v = jget_array(c, obj, path, "reject_caller_ids", 0))) {
		i = 0;
		cJSON_ArrayForEach(item, v) {
			snprintf(ip, sizeof(ip), "%s.reject_caller_ids[%d]", path, i++);
			if (!cJSON_IsString(item) || !phone_is_e164(item->valuestring))
				jctx_error(c, ip, "expected an E.164 number");
		}
	}
	jget_int(c, obj, path, "seed", 0, 2147483647L, &l);
	if (a->provider && strcmp(a->provider, "sim")) {
		static const char *const sim_only[] = { "seed", "reject_caller_ids",
			"webhook_secret", NULL };
		for (i = 0; sim_only[i]; i++)
			if (cJSON_GetObjectItemCaseSensitive(obj, sim_only[i]))
				jctx_error(c, jpath(p, sizeof(p), path, sim_only[i]),
					   "is only for the sim provider");
	}
	if ((v = jget_object(c, obj, path, "trunk",
			     a->provider && !strcmp(a->provider, "sip")))) {
		if (a->provider && strcmp(a->provider, "sip"))
			jctx_error(c, jpath(p, sizeof(p), path, "trunk"),
				   "is only for the sip provider");
		else
			load_trunk(c, v, jpath(p, sizeof(p), path, "trunk"));
	}
}

static void load_agent(struct jctx *c, const cJSON *agent)
{
	static const char *const keys[] = {
		"stream_url", "sip_uri", "secret", "media_url", NULL
	};
	static const char *const ws[] = { "wss://", "ws://", NULL };
	static const char *const sip[] = { "sip:", "sips:", NULL };
	const cJSON *v;

	jcheck_keys(c, agent, "agent", keys);
	if ((v = jget_string(c, agent, "agent", "stream_url", 0)) &&
	    !is_url(v->valuestring, ws))
		jctx_error(c, "agent.stream_url", "expected a wss:// or ws:// URL");
	if ((v = jget_string(c, agent, "agent", "sip_uri", 0)) &&
	    !is_url(v->valuestring, sip))
		jctx_error(c, "agent.sip_uri", "expected a sip: or sips: URI");
	if ((v = jget_string(c, agent, "agent", "media_url", 0)) &&
	    !is_url(v->valuestring, http_schemes))
		jctx_error(c, "agent.media_url", "expected an http(s):// URL");
	if ((v = cJSON_GetObjectItemCaseSensitive(agent, "secret")))
		check_secret(c, v, "agent.secret");
}

int config_load(struct config **out, const char *file, const char *text,
		size_t len, struct diags *d)
{
	static const char *const keys[] = {
		"$schema", "accounts", "agent", "webhook_base_url",
		"disclosure", "defaults", NULL
	};
	struct jctx c = { file, text, len, d, 0 };
	size_t errors = d->errors;
	struct config *cfg = NULL;
	const cJSON *v, *item;
	cJSON *root = NULL;
	char path[512];

	*out = NULL;
	if (json_load(&root, &c))
		return GD_EINVALID;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		cJSON_Delete(root);
		return gd_error_set("out of memory");
	}
	cfg->root = root;
	jcheck_keys(&c, root, "", keys);
	jget_string(&c, root, "", "$schema", 0);
	if ((v = jget_object(&c, root, "", "accounts", 1))) {
		int n = cJSON_GetArraySize(v);
		if (n == 0)
			jctx_error(&c, "accounts", "is empty (expected at least "
				   "one account)");
		cfg->accounts = calloc((size_t)n + 1, sizeof(*cfg->accounts));
		cJSON_ArrayForEach(item, v) {
			jpath(path, sizeof(path), "accounts", item->string);
			if (!account_name_valid(item->string))
				jctx_error(&c, path, "account names are "
					   "[A-Za-z0-9_-], 1-64 characters");
			if (cfg->accounts)
				load_account(&c, &cfg->accounts[cfg->n_accounts++],
					     item, path);
		}
	}
	if ((v = jget_object(&c, root, "", "agent", 0))) {
		cfg->agent = v;
		load_agent(&c, v);
	}
	if ((v = jget_string(&c, root, "", "webhook_base_url", 0))) {
		if (!is_url(v->valuestring, http_schemes))
			jctx_error(&c, "webhook_base_url",
				   "expected an http:// or https:// URL");
		else
			cfg->webhook_base_url = v->valuestring;
	}
	if ((v = jget_object(&c, root, "", "disclosure", 0))) {
		cfg->disclosure = v;
		cJSON_ArrayForEach(item, v) {
			size_t kl = strlen(item->string), i;
			int ok = kl >= 2 && kl <= 3;
			for (i = 0; ok && i < kl; i++)
				ok = item->string[i] >= 'a' && item->string[i] <= 'z';
			jpath(path, sizeof(path), "disclosure", item->string);
			if (!ok)
				jctx_error(&c, path, "expected a language code "
					   "such as \"en\" or \"ar\"");
			else if (!cJSON_IsString(item) || !*item->valuestring)
				jctx_error(&c, path, "expected a non-empty string");
		}
	}
	jget_object(&c, root, "", "defaults", 0);
	if (d->errors > errors) {
		config_free(cfg);
		return GD_EINVALID;
	}
	*out = cfg;
	return 0;
}

const struct account *config_account(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; c && name && i < c->n_accounts; i++)
		if (c->accounts[i].name && !strcmp(c->accounts[i].name, name))
			return &c->accounts[i];
	return NULL;
}

const char *config_disclosure(const struct config *c, const char *lang)
{
	const cJSON *v;

	if (!c || !c->disclosure)
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(c->disclosure, lang ? lang : "en");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(c->disclosure, "en");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_accounts; i++)
		free(c->accounts[i].caller_ids);
	free(c->accounts);
	cJSON_Delete(c->root);
	free(c);
}
