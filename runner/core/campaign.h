/*
 * campaigns/<id>/campaign.json: what people write. The effective status
 * is derived from the log (state.h); here only the desired one.
 */
#ifndef GD_CAMPAIGN_H
#define GD_CAMPAIGN_H

#include <cjson/cJSON.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "window.h"

enum desired { WANT_DRAFT, WANT_SCHEDULED, WANT_PAUSED };
enum voicemail { VM_HANG_UP, VM_LEAVE_MESSAGE };

/* Outcomes of a call (SPEC §5); the retry mask uses 1 << outcome. */
enum outcome {
	OUT_NONE = 0,
	OUT_CONNECTED,
	OUT_VOICEMAIL,
	OUT_NO_ANSWER,
	OUT_BUSY,
	OUT_HANGUP,
	OUT_FAILED,
};
extern const char *const outcome_names[];
enum outcome outcome_parse(const char *s);

#define RETRY_LADDER_MAX 10
#define PLACEHOLDER_MAX 32

struct campaign {
	char id[65];
	cJSON *root;
	const char *name;
	enum desired desired;
	time_t start_at; /* 0 when unset */
	time_t end_at;   /* 0 when unset */
	const char *account;
	const char *caller_id; /* NULL: the account's first */
	int script_override;
	const char *script_text;
	const char *audience_csv;     /* file name in the campaign folder */
	const char *audience_segment; /* or a segment name */
	long concurrency;             /* default 1 */
	struct daywin window;         /* campaign window (local time) */
	char window_text[64];         /* "09:00-20:00 sun,mon" for people */
	long retries_max;
	long cooldown[RETRY_LADDER_MAX]; /* minutes, per retry; the last repeats */
	int n_cooldown;
	unsigned retry_on; /* 1 << enum outcome */
	enum voicemail voicemail;
	const cJSON *voicemail_message; /* string or {lang: string}, or NULL */
	long ring_timeout_s;   /* default 30 */
	long max_call_minutes; /* default 15 */
	int require_consent;
	int record; /* record: record calls where a disclosure can be played */
	int wa_request_permission;  /* whatsapp.request_permission */
	const char *wa_permission_text; /* whatsapp.permission_text, or NULL */
	const char *wa_permission_template; /* whatsapp.permission_template */
	const char *wa_permission_template_lang; /* ..._language, or NULL */
	const char *created;
	char *placeholders[PLACEHOLDER_MAX]; /* lower-case column names */
	int n_placeholders;
};

/*
 * Parses campaigns/<id>/campaign.json (file names it for messages). When
 * cfg is given, checks the account and caller ID against it. Returns 0 or
 * GD_EINVALID with problems in d; *out is the caller's (campaign_free).
 */
int campaign_load(struct campaign **out, const char *id, const char *file,
		  const char *text, size_t len, const struct config *cfg,
		  struct diags *d);
void campaign_free(struct campaign *c);
/*
 * True when name is blank: only white space (ASCII and the Unicode space
 * separators, as a JSON Schema "\\S" pattern sees them), or empty.
 */
int campaign_name_blank(const char *name);
/* Cool-down before retry number n (1-based), in seconds. */
long campaign_cooldown_s(const struct campaign *c, int retry);
/*
 * The voicemail message for a recipient speaking lang (its entry, else
 * "en"), unrendered; NULL when the agent leaves the message (no
 * voicemail_message, or none for the language) or on hang_up.
 */
const char *campaign_vm_message(const struct campaign *c, const char *lang);
/* The caller ID calls go out from (campaign's or the account's first). */
const char *campaign_caller_id(const struct campaign *c, const struct config *cfg);

#endif
