#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "util.h"
#include "banned.h"

int render_script(struct buf *out, const struct campaign *c,
		  const struct audience *a, const struct recipient *r)
{
	return render_text(out, c->script_text, a, r);
}

int render_text(struct buf *out, const char *text, const struct audience *a,
		const struct recipient *r)
{
	const char *p = text ? text : "";
	int rc = 0;

	while (!rc && *p) {
		const char *open = strstr(p, "{{"), *close;
		char name[128];
		size_t n = 0;
		int col;
		if (!open || !(close = strstr(open + 2, "}}")))
			return buf_puts(out, p);
		rc = buf_put(out, p, (size_t)(open - p));
		for (p = open + 2; p < close && isspace((unsigned char)*p); p++)
			;
		while (p < close && !isspace((unsigned char)*p) && n < sizeof(name) - 1)
			name[n++] = (char)tolower((unsigned char)*p++);
		name[n] = '\0';
		for (col = 0; col < a->n_columns; col++)
			if (!strcmp(a->columns[col], name))
				break;
		if (!rc)
			rc = buf_puts(out, audience_var(a, r, col));
		p = close + 2;
	}
	return rc;
}

static void add_account(cJSON *req, const struct config *cfg, const char *name)
{
	const struct account *acct = config_account(cfg, name);
	cJSON *a = acct ? cJSON_Duplicate(acct->json, 1) : cJSON_CreateObject();

	cJSON_AddStringToObject(a, "name", name ? name : "");
	cJSON_AddItemToObject(req, "account", a);
}

static void add_webhook(cJSON *req, const struct config *cfg,
			const struct account *acct)
{
	char url[1024];

	if (cfg->webhook_base_url && acct && acct->provider) {
		size_t n = strlen(cfg->webhook_base_url);
		snprintf(url, sizeof(url), "%s%s%s", cfg->webhook_base_url,
			 n && cfg->webhook_base_url[n - 1] == '/' ? "" : "/",
			 acct->provider);
		cJSON_AddStringToObject(req, "webhook_url", url);
	} else {
		cJSON_AddNullToObject(req, "webhook_url");
	}
}

cJSON *render_dial(const struct config *cfg, const struct campaign *c,
		   const struct audience *a, const struct recipient *r,
		   const char *attempt_id, const char *caller_id, time_t now)
{
	const struct account *acct = config_account(cfg, c->account);
	const struct place *pl = a->places && r->place < a->n_places
		? &a->places[r->place] : NULL;
	const char *lang = a->langs[r->lang][0] ? a->langs[r->lang] : "en";
	const char *disc = pl && pl->disclosure ? config_disclosure(cfg, lang) : NULL;
	/* recorded only with a disclosure in the recipient's language (or
	 * "en") played first, wherever the place is (docs/recording.md) */
	const char *rec_disc = c->record ? config_disclosure(cfg, lang) : NULL;
	const char *vm;
	struct buf script = BUF_INIT(64 * 1024);
	char phone[PHONE_MAX], t[21];
	cJSON *req = cJSON_CreateObject(), *s, *vars;
	int col;

	audience_phone(phone, r);
	time_format_utc(t, now);
	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddStringToObject(req, "action", "dial");
	cJSON_AddStringToObject(req, "now", t);
	cJSON_AddStringToObject(req, "attempt_id", attempt_id);
	cJSON_AddStringToObject(req, "campaign", c->id);
	cJSON_AddStringToObject(req, "to", phone);
	cJSON_AddStringToObject(req, "from", caller_id);
	add_account(req, cfg, c->account);
	if (cfg->agent)
		cJSON_AddItemToObject(req, "agent", cJSON_Duplicate(cfg->agent, 1));
	add_webhook(req, cfg, acct);
	s = cJSON_AddObjectToObject(req, "script");
	cJSON_AddStringToObject(s, "mode", c->script_override ? "override" : "agent");
	if (c->script_override && !render_script(&script, c, a, r))
		cJSON_AddStringToObject(s, "text", script.ptr ? script.ptr : "");
	cJSON_AddStringToObject(req, "language", lang);
	if (rec_disc)
		disc = rec_disc;
	if (disc)
		cJSON_AddStringToObject(req, "disclosure", disc);
	else
		cJSON_AddNullToObject(req, "disclosure");
	if (rec_disc)
		cJSON_AddTrueToObject(req, "record");
	cJSON_AddStringToObject(req, "voicemail",
				c->voicemail == VM_LEAVE_MESSAGE ? "leave_message" : "hang_up");
	/* spoken after the beep; without it the agent leaves the message */
	if ((vm = campaign_vm_message(c, lang))) {
		struct buf m = BUF_INIT(16 * 1024);
		if (!render_text(&m, vm, a, r))
			cJSON_AddStringToObject(req, "voicemail_message",
						m.ptr ? m.ptr : "");
		buf_release(&m);
	}
	cJSON_AddNumberToObject(req, "ring_timeout_s", (double)c->ring_timeout_s);
	if (c->wa_request_permission || c->wa_permission_text) {
		cJSON *wa = cJSON_AddObjectToObject(req, "whatsapp");
		cJSON_AddBoolToObject(wa, "request_permission",
				      c->wa_request_permission);
		if (c->wa_permission_text)
			cJSON_AddStringToObject(wa, "permission_text",
						c->wa_permission_text);
		/* outside the 24-hour window Meta takes only a template */
		if (c->wa_permission_template)
			cJSON_AddStringToObject(wa, "permission_template",
						c->wa_permission_template);
		if (c->wa_permission_template_lang)
			cJSON_AddStringToObject(wa, "permission_template_language",
						c->wa_permission_template_lang);
	}
	vars = cJSON_AddObjectToObject(req, "variables");
	for (col = 0; col < a->n_columns; col++) {
		if (col == a->col_phone || col == a->col_tz || col == a->col_lang ||
		    col == a->col_consent)
			continue;
		cJSON_AddStringToObject(vars, a->columns[col], audience_var(a, r, col));
	}
	buf_release(&script);
	return req;
}

cJSON *render_status(const struct config *cfg, const struct campaign *c,
		     const char *attempt_id, const char *to, const char *call_id,
		     time_t dispatched_at, time_t now)
{
	cJSON *req = cJSON_CreateObject();
	char t[21];

	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddStringToObject(req, "action", "status");
	time_format_utc(t, now);
	cJSON_AddStringToObject(req, "now", t);
	cJSON_AddStringToObject(req, "attempt_id", attempt_id);
	cJSON_AddStringToObject(req, "campaign", c->id);
	cJSON_AddStringToObject(req, "to", to);
	cJSON_AddStringToObject(req, "from", campaign_caller_id(c, cfg) ?
				campaign_caller_id(c, cfg) : "");
	if (call_id && *call_id)
		cJSON_AddStringToObject(req, "call_id", call_id);
	else
		cJSON_AddNullToObject(req, "call_id");
	time_format_utc(t, dispatched_at);
	cJSON_AddStringToObject(req, "dispatched_at", t);
	add_account(req, cfg, c->account);
	return req;
}
