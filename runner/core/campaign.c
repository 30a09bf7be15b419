#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "err.h"
#include "jsonx.h"
#include "phone.h"
#include "term.h"
#include "util.h"
#include "banned.h"

const char *const outcome_names[] = {
	"none", "connected", "voicemail", "no_answer", "busy", "hangup",
	"failed", NULL
};

enum outcome outcome_parse(const char *s)
{
	int i;

	for (i = 1; s && outcome_names[i]; i++)
		if (!strcmp(outcome_names[i], s))
			return (enum outcome)i;
	return OUT_NONE;
}

/* See campaign.h. */
int campaign_name_blank(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			p++;
		else if (p[0] == 0xc2 && p[1] == 0xa0) /* U+00A0 */
			p += 2;
		else if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) /* U+1680 */
			p += 3;
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
			 ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 ||
			  p[2] == 0xa9 || p[2] == 0xaf)) /* U+2000-200A, 2028, 2029, 202F */
			p += 3;
		else if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) /* U+205F */
			p += 3;
		else if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 */
			p += 3;
		else
			return 0;
	}
	return 1;
}

static int file_name_valid(const char *s)
{
	size_t i;

	if (!s || !*s || s[0] == '.' || strlen(s) > 128)
		return 0;
	for (i = 0; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/*
 * Adds the {{column}} names text uses to cp->placeholders (each once);
 * problems are reported against field.
 */
static void find_placeholders(struct jctx *c, struct campaign *cp,
			      const char *text, const char *field)
{
	const char *p = text;

	while (p && (p = strstr(p, "{{"))) {
		const char *end = strstr(p + 2, "}}");
		char name[128];
		size_t n = 0;
		int i;
		if (!end) {
			jctx_error(c, field, "\"{{\" without a closing \"}}\"");
			return;
		}
		for (p += 2; p < end && isspace((unsigned char)*p); p++)
			;
		while (p < end && !isspace((unsigned char)*p) && n < sizeof(name) - 1)
			name[n++] = (char)tolower((unsigned char)*p++);
		name[n] = '\0';
		p = end + 2;
		if (!n) {
			jctx_error(c, field, "empty placeholder \"{{}}\"");
			continue;
		}
		for (i = 0; i < cp->n_placeholders; i++)
			if (!strcmp(cp->placeholders[i], name))
				break;
		if (i < cp->n_placeholders)
			continue;
		if (cp->n_placeholders == PLACEHOLDER_MAX) {
			jctx_error(c, field, "more than %d placeholders",
				   PLACEHOLDER_MAX);
			return;
		}
		cp->placeholders[cp->n_placeholders++] = strdup(name);
	}
}

static void load_window(struct jctx *c, struct campaign *cp, const cJSON *w)
{
	static const char *const keys[] = { "start", "end", "days", NULL };
	const cJSON *s, *e, *days, *d;
	int start = 0, end = 1440, i = 0;
	unsigned mask = 0x7f;
	char dl[40] = "";

	jcheck_keys(c, w, "pacing.window", keys);
	if ((s = jget_string(c, w, "pacing.window", "start", 1)) &&
	    (start = time_parse_hhmm(s->valuestring, 0)) < 0)
		jctx_error(c, "pacing.window.start", "\"%s\" is not a time (HH:MM)",
			   s->valuestring);
	if ((e = jget_string(c, w, "pacing.window", "end", 1)) &&
	    (end = time_parse_hhmm(e->valuestring, 1)) < 0)
		jctx_error(c, "pacing.window.end", "\"%s\" is not a time (HH:MM)",
			   e->valuestring);
	if (s && e && start >= 0 && end >= 0 && start >= end)
		jctx_error(c, "pacing.window.end", "\"%s\" is not after start \"%s\" "
			   "(windows may not cross midnight)", e->valuestring,
			   s->valuestring);
	if ((days = jget_array(c, w, "pacing.window", "days", 0))) {
		mask = 0;
		if (!cJSON_GetArraySize(days))
			jctx_error(c, "pacing.window.days", "is empty (leave it out "
				   "for every day)");
		cJSON_ArrayForEach(d, days) {
			char p[64];
			int wd = weekday_parse(cJSON_GetStringValue(d));
			snprintf(p, sizeof(p), "pacing.window.days[%d]", i++);
			if (wd < 0)
				jctx_error(c, p, "expected one of sun, mon, tue, wed, "
					   "thu, fri, sat");
			else if (mask & (1u << wd))
				jctx_error(c, p, "\"%s\" is listed twice", d->valuestring);
			else
				mask |= 1u << wd;
		}
	}
	if (start < 0 || end < 0 || start >= end)
		return;
	daywin_clear(&cp->window);
	daywin_add(&cp->window, mask, start, end);
	for (i = 0; i < 7; i++)
		if (mask & (1u << i)) {
			size_t n = strlen(dl);
			snprintf(dl + n, sizeof(dl) - n, "%s%s", n ? "," : "",
				 weekday_names[i]);
		}
	str_fmt_cut(cp->window_text, sizeof(cp->window_text),
		    "%02d:%02d-%02d:%02d %s", start / 60, start % 60, end / 60, end % 60,
		    mask == 0x7f ? "every day" : dl);
}

static void load_retries(struct jctx *c, struct campaign *cp, const cJSON *r)
{
	static const char *const keys[] = { "max", "cooldown_minutes", "on", NULL };
	const cJSON *cd, *on, *x;
	int i = 0;

	jcheck_keys(c, r, "pacing.retries", keys);
	jget_int(c, r, "pacing.retries", "max", 0, 10, &cp->retries_max);
	cd = cJSON_GetObjectItemCaseSensitive(r, "cooldown_minutes");
	if (cJSON_IsArray(cd)) {
		int n = cJSON_GetArraySize(cd);
		if (n < 1 || n > RETRY_LADDER_MAX)
			jctx_error(c, "pacing.retries.cooldown_minutes",
				   "expected 1-%d cool-downs", RETRY_LADDER_MAX);
		cJSON_ArrayForEach(x, cd) {
			char p[80];
			snprintf(p, sizeof(p), "pacing.retries.cooldown_minutes[%d]", i);
			if (!cJSON_IsNumber(x) || x->valuedouble < 1 ||
			    x->valuedouble > 10080 ||
			    x->valuedouble != (double)(long)x->valuedouble)
				jctx_error(c, p, "expected whole minutes, 1-10080");
			else if (i < RETRY_LADDER_MAX)
				cp->cooldown[cp->n_cooldown++] = (long)x->valuedouble;
			i++;
		}
	} else if (cd) {
		long m;
		if (jget_int(c, r, "pacing.retries", "cooldown_minutes", 1, 10080, &m)) {
			cp->cooldown[0] = m;
			cp->n_cooldown = 1;
		}
	}
	if ((on = jget_array(c, r, "pacing.retries", "on", 0))) {
		i = 0;
		cJSON_ArrayForEach(x, on) {
			char p[64];
			enum outcome o = outcome_parse(cJSON_GetStringValue(x));
			snprintf(p, sizeof(p), "pacing.retries.on[%d]", i++);
			if (o == OUT_NONE || o == OUT_CONNECTED)
				jctx_error(c, p, "expected no_answer, busy, voicemail, "
					   "failed or hangup");
			else if (cp->retry_on & (1u << o))
				jctx_error(c, p, "\"%s\" is listed twice", x->valuestring);
			else
				cp->retry_on |= 1u << o;
		}
	} else if (cp->retries_max > 0) {
		cp->retry_on = (1u << OUT_NO_ANSWER) | (1u << OUT_BUSY);
	}
	if (cp->retries_max > 0 && cp->n_cooldown == 0)
		jctx_error(c, "pacing.retries.cooldown_minutes",
			   "is required when retries.max is above 0 (at least 1 minute)");
}

static void load_pacing(struct jctx *c, struct campaign *cp, const cJSON *p)
{
	static const char *const keys[] = {
		"concurrency", "window", "retries", "voicemail", "ring_timeout_s",
		"max_call_minutes", NULL
	};
	const cJSON *v;

	jcheck_keys(c, p, "pacing", keys);
	jget_int(c, p, "pacing", "concurrency", 1, 1000, &cp->concurrency);
	if ((v = jget_object(c, p, "pacing", "window", 0)))
		load_window(c, cp, v);
	if ((v = jget_object(c, p, "pacing", "retries", 0)))
		load_retries(c, cp, v);
	if ((v = jget_string(c, p, "pacing", "voicemail", 0))) {
		if (!strcmp(v->valuestring, "leave_message"))
			cp->voicemail = VM_LEAVE_MESSAGE;
		else if (strcmp(v->valuestring, "hang_up"))
			jctx_error(c, "pacing.voicemail", "\"%s\" is not allowed "
				   "(expected leave_message or hang_up)", v->valuestring);
	}
	jget_int(c, p, "pacing", "ring_timeout_s", 5, 120, &cp->ring_timeout_s);
	jget_int(c, p, "pacing", "max_call_minutes", 1, 240, &cp->max_call_minutes);
}

static void load_time(struct jctx *c, const cJSON *root, const char *key,
		      time_t *out)
{
	const cJSON *v = jget_string(c, root, "", key, 0);

	if (v && time_parse_rfc3339(out, v->valuestring))
		jctx_error(c, key, "\"%s\" is not an RFC 3339 time with an offset "
			   "(e.g. 2026-11-24T09:00:00+03:00)", v->valuestring);
}

/* "whatsapp": options only a WhatsApp account has a use for. */
static void load_whatsapp(struct jctx *c, struct campaign *cp, const cJSON *o,
			  const struct config *cfg)
{
	static const char *const keys[] = { "request_permission",
		"permission_text", "permission_template",
		"permission_template_language", NULL };
	const struct account *a = cfg ? config_account(cfg, cp->account) : NULL;
	const cJSON *v;

	jcheck_keys(c, o, "whatsapp", keys);
	jget_bool(c, o, "whatsapp", "request_permission",
		  &cp->wa_request_permission);
	if ((v = jget_string(c, o, "whatsapp", "permission_text", 0))) {
		size_t n = utf8_len(v->valuestring);
		if (n == 0 || n > 1024)
			jctx_error(c, "whatsapp.permission_text", "expected 1-1024 "
				   "characters");
		cp->wa_permission_text = v->valuestring;
	}
	/* Meta: a template name is lower-case letters, digits and "_", at
	 * most 512; a language code such as en, en_US or pt_BR */
	if ((v = jget_string(c, o, "whatsapp", "permission_template", 0))) {
		size_t n = strlen(v->valuestring);
		if (n == 0 || n > 512 ||
		    strspn(v->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
			jctx_error(c, "whatsapp.permission_template", "\"%.40s\" is "
				   "not a template name (1-512 of a-z, 0-9 and _, "
				   "as Meta names them)", v->valuestring);
		cp->wa_permission_template = v->valuestring;
	}
	if ((v = jget_string(c, o, "whatsapp", "permission_template_language", 0))) {
		const char *l = v->valuestring;
		size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz");
		if (n < 2 || n > 3 || (l[n] && (l[n] != '_' ||
		    strspn(l + n + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2 || l[n + 3])))
			jctx_error(c, "whatsapp.permission_template_language",
				   "\"%.16s\" is not a template language code "
				   "(such as en, en_US, pt_BR)", l);
		cp->wa_permission_template_lang = l;
	}
	if (cp->wa_permission_template_lang && !cp->wa_permission_template)
		jctx_error(c, "whatsapp.permission_template_language", "is only "
			   "used with whatsapp.permission_template");
	if (cp->wa_permission_template && !cp->wa_request_permission)
		jctx_error(c, "whatsapp.permission_template", "is only sent with "
			   "whatsapp.request_permission true");
	if (a && a->provider && strcmp(a->provider, "whatsapp"))
		jctx_error(c, "whatsapp", "is only for a whatsapp account "
			   "(account \"%s\" is %s)", a->name, a->provider);
}

/*
 * "record": allowed only on an account whose function records (twilio,
 * telnyx; the sim records nothing) and only with a recording disclosure
 * in gitdial.json to play first: a recorded call always starts with it
 * (docs/recording.md). WhatsApp's Calling API and the SIP trunk function
 * have no recording: refused, not ignored.
 */
static void check_record(struct jctx *c, const struct campaign *cp,
			 const struct config *cfg)
{
	const struct account *a = cfg ? config_account(cfg, cp->account) : NULL;

	if (a && a->provider && (!strcmp(a->provider, "whatsapp") ||
				 !strcmp(a->provider, "sip")))
		jctx_error(c, "record", "is not supported on a %s account "
			   "(account \"%s\"): %s", a->provider, a->name,
			   !strcmp(a->provider, "sip") ? "the SIP trunk function "
			   "does not record calls" : "Meta's Calling API has no "
			   "call recording");
	else if (cfg && (!cfg->disclosure || !cfg->disclosure->child))
		jctx_error(c, "record", "needs a recording disclosure to play "
			   "before anything is recorded: gitdial.json has no "
			   "\"disclosure\" text (add one per language, at least "
			   "\"en\")");
}

#define VM_MESSAGE_MAX 1000 /* characters: Twilio's callback URL carries it */

/* One voicemail message text: 1-VM_MESSAGE_MAX characters, no controls. */
static void check_vm_text(struct jctx *c, struct campaign *cp,
			  const cJSON *v, const char *field)
{
	size_t n;
	const char *p;

	if (!cJSON_IsString(v)) {
		jctx_error(c, field, "expected text");
		return;
	}
	n = utf8_len(v->valuestring);
	if (n == 0 || n > VM_MESSAGE_MAX) {
		jctx_error(c, field, "expected 1-%d characters (it has %zu)",
			   VM_MESSAGE_MAX, n);
		return;
	}
	for (p = v->valuestring; *p == ' ' || *p == '\n'; p++)
		;
	if (!*p) {
		jctx_error(c, field, "is blank (expected the words to speak)");
		return;
	}
	for (p = v->valuestring; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n') {
			jctx_error(c, field, "contains a control character "
				   "(0x%02x): expected text to be spoken",
				   (unsigned)(unsigned char)*p);
			return;
		}
	find_placeholders(c, cp, v->valuestring, field);
}

/*
 * "voicemail_message": the text spoken after the beep, one string or an
 * object of strings by language code ({"en": ..., "ar": ...}).
 */
static void load_vm_message(struct jctx *c, struct campaign *cp,
			    const cJSON *v)
{
	const cJSON *x;
	char field[64];

	cp->voicemail_message = v;
	if (cJSON_IsString(v)) {
		check_vm_text(c, cp, v, "voicemail_message");
		return;
	}
	if (!cJSON_IsObject(v)) {
		jctx_error(c, "voicemail_message", "expected text, or an object "
			   "of texts by language code ({\"en\": \"...\"})");
		return;
	}
	if (!cJSON_GetArraySize(v))
		jctx_error(c, "voicemail_message", "is empty (leave it out for "
			   "the agent to leave the message)");
	cJSON_ArrayForEach(x, v) {
		size_t i, n = strlen(x->string);
		int ok = n >= 2 && n <= 16;
		for (i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)x->string[i]) ||
			     (i && x->string[i] == '-');
		if (!ok) {
			jctx_error(c, "voicemail_message", "\"%.40s\" is not a "
				   "language code (expected e.g. en, ar, pt-BR)",
				   x->string);
			continue;
		}
		snprintf(field, sizeof(field), "voicemail_message.%s", x->string);
		check_vm_text(c, cp, x, field);
	}
}

const char *campaign_vm_message(const struct campaign *c, const char *lang)
{
	const cJSON *v = c->voicemail_message;

	if (!v || c->voicemail != VM_LEAVE_MESSAGE)
		return NULL;
	if (cJSON_IsString(v))
		return v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(c->voicemail_message,
					     lang && *lang ? lang : "en");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(c->voicemail_message, "en");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int campaign_load(struct campaign **out, const char *id, const char *file,
		  const char *text, size_t len, const struct config *cfg,
		  struct diags *d)
{
	static const char *const keys[] = {
		"$schema", "name", "status", "start_at", "end_at", "account",
		"caller_id", "script", "audience", "pacing", "require_consent",
		"created", "whatsapp", "voicemail_message", "record", NULL
	};
	struct jctx c = { file, text, len, d, 0 };
	size_t errors = d->errors;
	struct campaign *cp;
	const cJSON *v, *o;
	cJSON *root = NULL;

	*out = NULL;
	if (!id_valid(id)) {
		diags_add(d, DIAG_ERROR, file, 0, NULL, "campaign id \"%s\" is not "
			  "allowed (expected [a-z0-9][a-z0-9-]{0,63})", id);
		return GD_EINVALID;
	}
	if (json_load(&root, &c))
		return GD_EINVALID;
	if (!(cp = calloc(1, sizeof(*cp)))) {
		cJSON_Delete(root);
		return gd_error_set("out of memory");
	}
	snprintf(cp->id, sizeof(cp->id), "%s", id);
	cp->root = root;
	cp->concurrency = 1;
	cp->ring_timeout_s = 30;
	cp->max_call_minutes = 15;
	daywin_fill(&cp->window);
	snprintf(cp->window_text, sizeof(cp->window_text), "any time");
	jcheck_keys(&c, root, "", keys);
	jget_string(&c, root, "", "$schema", 0);
	if ((v = jget_string(&c, root, "", "name", 1))) {
		size_t n = utf8_len(v->valuestring);
		char why[32];
		if (n == 0 || n > 120)
			jctx_error(&c, "name", "expected 1-120 characters");
		else if (campaign_name_blank(v->valuestring))
			jctx_error(&c, "name", "is blank (only spaces): a name "
				   "people can tell apart is needed");
		else if (term_unsafe(v->valuestring, why, sizeof(why)))
			/* ESC, BEL, CR, LF... would act on a terminal or forge
			 * a row of `gitdial list` */
			jctx_error(&c, "name", "contains %s, a control character "
				   "(expected printable text)", why);
		cp->name = v->valuestring;
	}
	if ((v = jget_string(&c, root, "", "status", 0))) {
		if (!strcmp(v->valuestring, "scheduled"))
			cp->desired = WANT_SCHEDULED;
		else if (!strcmp(v->valuestring, "paused"))
			cp->desired = WANT_PAUSED;
		else if (strcmp(v->valuestring, "draft"))
			jctx_error(&c, "status", "\"%s\" is not allowed (expected "
				   "draft, scheduled or paused)", v->valuestring);
	}
	load_time(&c, root, "start_at", &cp->start_at);
	load_time(&c, root, "end_at", &cp->end_at);
	if (cp->desired == WANT_SCHEDULED && !cJSON_GetObjectItemCaseSensitive(root, "start_at"))
		jctx_error(&c, "status", "a scheduled campaign needs start_at");
	if (cp->start_at && cp->end_at && cp->end_at <= cp->start_at)
		jctx_error(&c, "end_at", "is not after start_at");
	if ((v = jget_string(&c, root, "", "account", 1))) {
		cp->account = v->valuestring;
		if (cfg && !config_account(cfg, v->valuestring))
			jctx_error(&c, "account", "no account \"%s\" in gitdial.json",
				   v->valuestring);
	}
	if ((v = jget_string(&c, root, "", "caller_id", 0))) {
		const struct account *a = cfg ? config_account(cfg, cp->account) : NULL;
		size_t i;
		cp->caller_id = v->valuestring;
		if (!phone_is_e164(v->valuestring))
			jctx_error(&c, "caller_id", "\"%s\" is not an E.164 number",
				   v->valuestring);
		else if (a) {
			for (i = 0; i < a->n_caller_ids; i++)
				if (!strcmp(a->caller_ids[i], v->valuestring))
					break;
			if (i == a->n_caller_ids)
				jctx_error(&c, "caller_id", "\"%s\" is not one of account "
					   "\"%s\"'s caller_ids", v->valuestring, a->name);
		}
	}
	if ((o = jget_object(&c, root, "", "script", 0))) {
		static const char *const sk[] = { "mode", "text", NULL };
		jcheck_keys(&c, o, "script", sk);
		if ((v = jget_string(&c, o, "script", "mode", 1))) {
			if (!strcmp(v->valuestring, "override"))
				cp->script_override = 1;
			else if (strcmp(v->valuestring, "agent"))
				jctx_error(&c, "script.mode", "\"%s\" is not allowed "
					   "(expected agent or override)", v->valuestring);
		}
		if ((v = jget_string(&c, o, "script", "text", cp->script_override))) {
			cp->script_text = v->valuestring;
			if (utf8_len(v->valuestring) > 4000)
				jctx_error(&c, "script.text", "is longer than 4000 characters");
			find_placeholders(&c, cp, cp->script_text, "script.text");
		}
	}
	if ((o = jget_object(&c, root, "", "audience", 1))) {
		static const char *const ak[] = { "csv", "segment", NULL };
		jcheck_keys(&c, o, "audience", ak);
		if ((v = jget_string(&c, o, "audience", "csv", 0))) {
			cp->audience_csv = v->valuestring;
			if (!file_name_valid(v->valuestring))
				jctx_error(&c, "audience.csv", "\"%s\" is not a plain file "
					   "name in the campaign folder", v->valuestring);
		}
		if ((v = jget_string(&c, o, "audience", "segment", 0))) {
			cp->audience_segment = v->valuestring;
			if (!id_valid(v->valuestring))
				jctx_error(&c, "audience.segment", "\"%s\" is not a segment "
					   "name ([a-z0-9][a-z0-9-]*)", v->valuestring);
		}
		if (!!cp->audience_csv == !!cp->audience_segment)
			jctx_error(&c, "audience", "expected exactly one of csv or segment");
	}
	if ((o = jget_object(&c, root, "", "pacing", 0)))
		load_pacing(&c, cp, o);
	jget_bool(&c, root, "", "require_consent", &cp->require_consent);
	jget_bool(&c, root, "", "record", &cp->record);
	if (cp->record)
		check_record(&c, cp, cfg);
	if ((o = jget_object(&c, root, "", "whatsapp", 0)))
		load_whatsapp(&c, cp, o, cfg);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "voicemail_message"))) {
		load_vm_message(&c, cp, v);
		if (cp->voicemail != VM_LEAVE_MESSAGE)
			jctx_error(&c, "voicemail_message", "is only spoken with "
				   "pacing.voicemail leave_message (this campaign "
				   "hangs up on a machine)");
	}
	if ((v = jget_string(&c, root, "", "created", 0))) {
		time_t t;
		if (time_parse_rfc3339(&t, v->valuestring))
			jctx_error(&c, "created", "expected an RFC 3339 time");
		cp->created = v->valuestring;
	}
	if (d->errors > errors) {
		campaign_free(cp);
		return GD_EINVALID;
	}
	*out = cp;
	return 0;
}

void campaign_free(struct campaign *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n_placeholders; i++)
		free(c->placeholders[i]);
	cJSON_Delete(c->root);
	free(c);
}

long campaign_cooldown_s(const struct campaign *c, int retry)
{
	int i = retry - 1;

	if (c->n_cooldown == 0)
		return 60;
	if (i >= c->n_cooldown)
		i = c->n_cooldown - 1;
	if (i < 0)
		i = 0;
	return c->cooldown[i] * 60;
}

const char *campaign_caller_id(const struct campaign *c, const struct config *cfg)
{
	const struct account *a;

	if (c->caller_id)
		return c->caller_id;
	a = config_account(cfg, c->account);
	return a && a->n_caller_ids ? a->caller_ids[0] : NULL;
}
