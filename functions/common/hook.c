#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hook.h"
#include "trust.h"
#include "util.h"
#include "banned.h"

int hook_config_load(cJSON **out)
{
	const char *repo = getenv("GITDIAL_REPO");
	struct buf b = BUF_INIT(HOOK_CONFIG_MAX);
	char path[4200];

	*out = NULL;
	if (!repo || !*repo)
		return gd_error_set("GITDIAL_REPO is not set");
	snprintf(path, sizeof(path), "%s/gitdial.json", repo);
	if (file_read(&b, path, b.max)) {
		buf_release(&b);
		gd_error_prefix("cannot read '%s'", path);
		return GD_ERROR;
	}
	*out = cJSON_ParseWithLength(b.ptr, b.len);
	buf_release(&b);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return gd_error_set("'%s' is not a JSON object", path);
	}
	return 0;
}

int hook_account_may_place(const char *campaign, const char *account)
{
	const char *repo = getenv("GITDIAL_REPO");
	struct buf b = BUF_INIT(HOOK_CONFIG_MAX);
	const char *named;
	char path[4300];
	cJSON *c = NULL;
	int ok = 1;

	if (!repo || !*repo || !id_valid(campaign) || !account)
		return 1;
	snprintf(path, sizeof(path), "%s/campaigns/%s/campaign.json", repo,
		 campaign);
	if (file_read(&b, path, b.max) || !b.ptr)
		goto cleanup;
	c = cJSON_ParseWithLength(b.ptr, b.len);
	named = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c,
								      "account"));
	ok = !named || !strcmp(named, account);
cleanup:
	cJSON_Delete(c);
	buf_release(&b);
	return ok;
}

const cJSON *hook_account(const cJSON *cfg, const char *name)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "accounts");

	a = name ? cJSON_GetObjectItemCaseSensitive(a, name) : NULL;
	return cJSON_IsObject(a) ? a : NULL;
}

int hook_api_base(char *out, size_t n, const cJSON *account, const char *dflt,
		  const char *provider)
{
	const char *base = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(account, "api_base"));
	size_t len;

	if (n)
		out[0] = '\0';
	if (base && trust_endpoint_check(base, provider, "api_base"))
		return GD_EINVALID;
	if ((size_t)snprintf(out, n, "%s", base ? base : dflt) >= n)
		return gd_error_set("api_base: too long");
	len = strlen(out);
	while (len && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}

int hook_credential(char *out, size_t n, const cJSON *account, const char *key)
{
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(account, "credentials");
	const char *ref = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(creds, key));

	if (n)
		out[0] = '\0';
	if (!ref)
		return gd_error_set("credentials.%s is missing", key), GD_ENOTFOUND;
	if (strncmp(ref, "env:", 4) && strncmp(ref, "file:", 5)) {
		if (strcmp(key, "connection_id") && strcmp(key, "phone_number_id"))
			return gd_error_set("credentials.%s must be an env: or "
					    "file: reference", key);
		if (strlen(ref) >= n)
			return gd_error_set("credentials.%s is too long", key);
		snprintf(out, n, "%s", ref);
		return 0;
	}
	if (secret_resolve(out, n, ref)) {
		gd_error_prefix("credentials.%s", key);
		return GD_ERROR;
	}
	if (!out[0])
		return gd_error_set("credentials.%s: %s is empty", key, ref);
	return 0;
}

int hook_public_url(struct buf *out, const cJSON *cfg, const char *endpoint,
		    const char *query)
{
	const char *base = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cfg, "webhook_base_url"));
	size_t n;

	if (!base || !*base)
		return gd_error_set("gitdial.json has no webhook_base_url");
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (buf_put(out, base, n) || buf_putc(out, '/') || buf_puts(out, endpoint))
		return GD_ERROR;
	if (query && *query && (buf_putc(out, '?') || buf_puts(out, query)))
		return GD_ERROR;
	return 0;
}

time_t hook_now(void)
{
	const char *v = getenv("GITDIAL_NOW");
	time_t t;

	if (v && *v && !time_parse_rfc3339(&t, v))
		return t;
	return time(NULL);
}

int time_parse_rfc2822(time_t *out, const char *s)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char mon[4];
	int d, y, h, m, sec, i, off = 0, n = 0;
	const char *p;

	if (!s)
		return GD_EINVALID;
	p = strchr(s, ',');
	p = p ? p + 1 : s;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, " %2d %3s %4d %2d:%2d:%2d%n", &d, mon, &y, &h, &m, &sec,
		   &n) != 6)
		return GD_EINVALID;
	for (i = 0; i < 12; i++)
		if (!strcasecmp(mon, months[i]))
			break;
	if (i == 12 || d < 1 || d > 31 || h > 23 || m > 59 || sec > 60)
		return GD_EINVALID;
	p += n;
	while (*p == ' ')
		p++;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    strlen(p) >= 5) {
		int hh = (p[1] - '0') * 10 + (p[2] - '0');
		int mm = (p[3] - '0') * 10 + (p[4] - '0');
		off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = i;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm) - off;
	return 0;
}

cJSON *hook_event(const char *event, time_t ts, const char *campaign,
		  const char *attempt_id, const char *call_id)
{
	cJSON *e = cJSON_CreateObject();
	char t[21];

	time_format_utc(t, ts);
	cJSON_AddNumberToObject(e, "v", 1);
	cJSON_AddStringToObject(e, "ts", t);
	cJSON_AddStringToObject(e, "campaign", campaign);
	cJSON_AddStringToObject(e, "event", event);
	if (attempt_id)
		cJSON_AddStringToObject(e, "attempt_id", attempt_id);
	if (call_id && *call_id)
		cJSON_AddStringToObject(e, "call_id", call_id);
	return e;
}

void hook_outcome(cJSON *ev, const char *outcome, long duration_s,
		  int connected, const char *answered_by, int sip_code,
		  const char *reason)
{
	if (duration_s < 0)
		duration_s = 0;
	cJSON_AddStringToObject(ev, "outcome", outcome);
	cJSON_AddNumberToObject(ev, "duration_s", (double)duration_s);
	cJSON_AddBoolToObject(ev, "connected", connected);
	cJSON_AddBoolToObject(ev, "answered", connected && duration_s >= 30);
	if (answered_by && *answered_by)
		cJSON_AddStringToObject(ev, "answered_by", answered_by);
	if (sip_code >= 100 && sip_code <= 699)
		cJSON_AddNumberToObject(ev, "sip_code", sip_code);
	if (reason && *reason)
		cJSON_AddStringToObject(ev, "reason", reason);
}

static int state_path(char *out, size_t n, const char *provider,
		      const char *attempt_id, const char *kind, int mkdir_it)
{
	const char *spool = getenv("GITDIAL_SPOOL");
	char dir[4200];

	if (!spool || !*spool)
		return gd_error_set("GITDIAL_SPOOL is not set");
	if (!attempt_id_valid(attempt_id))
		return gd_error_set("bad attempt id"), GD_EINVALID;
	snprintf(dir, sizeof(dir), "%s/.%s", spool, provider);
	if (mkdir_it && dir_create(dir))
		return GD_ERROR;
	snprintf(out, n, "%s/%s.%s", dir, attempt_id, kind);
	return 0;
}

int hook_state_put(const char *provider, const char *attempt_id,
		   const char *kind, const char *data)
{
	char path[4400];

	if (state_path(path, sizeof(path), provider, attempt_id, kind, 1))
		return GD_ERROR;
	return file_write_atomic(path, data, strlen(data));
}

int hook_state_get(struct buf *out, const char *provider,
		   const char *attempt_id, const char *kind)
{
	char path[4400];

	if (state_path(path, sizeof(path), provider, attempt_id, kind, 0))
		return GD_ERROR;
	if (access(path, F_OK))
		return GD_ENOTFOUND;
	return file_read(out, path, out->max);
}

void hook_state_drop(const char *provider, const char *attempt_id,
		     const char *kind)
{
	char path[4400];

	if (!state_path(path, sizeof(path), provider, attempt_id, kind, 0))
		unlink(path);
}
