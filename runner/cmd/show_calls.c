/*
 * gitdial show ID --calls [--outcome X[,Y]] [--limit N] [--full-numbers]:
 * each call of a campaign, newest first, with the voice agent's view of
 * it (sentiment, summary, transcript) and the recording. Phone numbers
 * are masked unless asked for in full; every string from the log is
 * escaped for the terminal and cut to a bound.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "show_calls.h"
#include "cmd.h"
#include "err.h"
#include "term.h"
#include "util.h"
#include "banned.h"

#define SUMMARY_SHOWN 500 /* bytes of a summary in the text listing */

int calls_parse_outcomes(unsigned *mask, const char *s, char *why, size_t n)
{
	char word[32];

	*mask = 0;
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		enum outcome o;
		while (len && *s == ' ')
			s++, len--;
		while (len && s[len - 1] == ' ')
			len--;
		snprintf(word, sizeof(word), "%.*s", (int)(len < 31 ? len : 31), s);
		o = outcome_parse(word);
		if (o == OUT_NONE || len > 31) {
			snprintf(why, n, "\"%s\" is not an outcome (expected "
				 "connected, voicemail, no_answer, busy, hangup or "
				 "failed)", term_str(word));
			return -1;
		}
		*mask |= 1u << o;
		s = end ? end + 1 : NULL;
	}
	if (!*mask) {
		snprintf(why, n, "no outcome given (expected connected, voicemail, "
			 "no_answer, busy, hangup or failed)");
		return -1;
	}
	return 0;
}

int calls_parse_limit(long *out, const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > CALLS_LIMIT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The call's recipient: its audience line (0 unknown) and its number. */
static uint32_t recipient(char *phone, size_t n, const struct cstate *cs,
			  const struct call *x, int full)
{
	struct recipient r;
	char e164[PHONE_MAX];
	long idx;

	if (!x->key) {
		snprintf(phone, n, "-");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.key = x->key;
	audience_phone(e164, &r);
	if (full)
		snprintf(phone, n, "%s", e164);
	else
		calls_mask_phone(phone, n, e164);
	idx = cs && cs->aud ? state_find(cs, x->key) : -1;
	return idx >= 0 && (size_t)idx < cs->aud->n ? cs->aud->r[idx].line : 0;
}

static int wanted(const struct calls_opts *o, const struct call *x)
{
	return !o->outcomes || (x->outcome != OUT_NONE &&
				(o->outcomes & (1u << x->outcome)));
}

static void print_text(const struct repo_campaign *rc, const struct cstate *cs,
		       const struct calls *all, const struct calls_opts *o,
		       size_t total)
{
	char t[21], phone[32], row[24], cut[SUMMARY_SHOWN + 1];
	char safe[4 * SUMMARY_SHOWN + 8], url[4 * CALLS_URL_MAX + 8];
	size_t i, shown = 0;

	printf("Calls of %s (%s): %zu", term_str(rc->c->name), rc->id, total);
	if (total > (size_t)o->limit)
		printf(", the newest %ld shown", o->limit);
	printf("%s\n", total ? " (newest first)" : "");
	if (!total) {
		printf("  none%s\n", o->outcomes ? " with that outcome" : " yet");
		return;
	}
	for (i = 0; i < all->n && shown < (size_t)o->limit; i++) {
		const struct call *x = &all->v[i];
		uint32_t line;
		if (!wanted(o, x))
			continue;
		shown++;
		line = recipient(phone, sizeof(phone), cs, x, o->full_numbers);
		if (line)
			snprintf(row, sizeof(row), "row %u", line);
		else
			snprintf(row, sizeof(row), "row -");
		time_format_utc(t, x->ts);
		printf("\n  %s  %-10s  %-16s  %-9s  %ld:%02ld  %s\n", t, row, phone,
		       x->outcome == OUT_NONE ? "-" : outcome_names[x->outcome],
		       x->duration_s / 60, x->duration_s % 60,
		       x->sentiment ? x->sentiment : "-");
		if (x->attempt_id)
			printf("    Attempt     %s (call %s)\n", term_str(x->attempt_id),
			       term_str(x->call_id ? x->call_id : "-"));
		if (x->outcome == OUT_NONE)
			printf("    Note        the agent's analysis; no outcome is "
			       "logged for this call\n");
		if (x->summary) {
			utf8_truncate(cut, sizeof(cut), x->summary);
			term_safe(safe, sizeof(safe), cut);
			printf("    Summary     %s%s\n", safe,
			       strlen(cut) < strlen(x->summary) ? " [...]" : "");
		}
		if (x->transcript_url)
			printf("    Transcript  %s\n",
			       term_safe(url, sizeof(url), x->transcript_url));
		if (x->recording_url)
			printf("    Recording   %s\n",
			       term_safe(url, sizeof(url), x->recording_url));
	}
	if (all->bad_urls)
		printf("\n%zu link%s in the log %s not http(s) (or too long) and "
		       "%s not shown.\n", all->bad_urls, all->bad_urls == 1 ? "" : "s",
		       all->bad_urls == 1 ? "is" : "are",
		       all->bad_urls == 1 ? "is" : "are");
}

static void print_json(const struct repo_campaign *rc, const struct cstate *cs,
		       const struct calls *all, const struct calls_opts *o,
		       size_t total)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char t[21], phone[32];
	size_t i, shown = 0;

	cJSON_AddStringToObject(root, "id", rc->id);
	cJSON_AddNumberToObject(root, "total", (double)total);
	arr = cJSON_AddArrayToObject(root, "calls");
	for (i = 0; i < all->n && shown < (size_t)o->limit; i++) {
		const struct call *x = &all->v[i];
		cJSON *e;
		uint32_t line;
		if (!wanted(o, x))
			continue;
		shown++;
		e = cJSON_CreateObject();
		line = recipient(phone, sizeof(phone), cs, x, o->full_numbers);
		time_format_utc(t, x->ts);
		cJSON_AddStringToObject(e, "ts", t);
		if (line)
			cJSON_AddNumberToObject(e, "row", line);
		else
			cJSON_AddNullToObject(e, "row");
		cJSON_AddStringToObject(e, "phone", phone);
		if (x->attempt_id)
			cJSON_AddStringToObject(e, "attempt_id", x->attempt_id);
		if (x->call_id)
			cJSON_AddStringToObject(e, "call_id", x->call_id);
		if (x->outcome != OUT_NONE)
			cJSON_AddStringToObject(e, "outcome", outcome_names[x->outcome]);
		else
			cJSON_AddNullToObject(e, "outcome");
		cJSON_AddNumberToObject(e, "duration_s", (double)x->duration_s);
		if (x->sentiment)
			cJSON_AddStringToObject(e, "sentiment", x->sentiment);
		if (x->summary)
			cJSON_AddStringToObject(e, "summary", x->summary);
		if (x->transcript_url)
			cJSON_AddStringToObject(e, "transcript_url", x->transcript_url);
		if (x->recording_url)
			cJSON_AddStringToObject(e, "recording_url", x->recording_url);
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddNumberToObject(root, "shown", (double)shown);
	cJSON_AddNumberToObject(root, "links_dropped", (double)all->bad_urls);
	json_emit(root);
}

int show_calls(struct src *s, const struct repo_campaign *rc,
	       const struct cstate *cs, const struct calls_opts *o)
{
	struct calls all;
	size_t i, total = 0;
	int rc2;

	if ((rc2 = calls_load(&all, s, rc->id)))
		return rc2;
	for (i = 0; i < all.n; i++)
		total += wanted(o, &all.v[i]);
	if (o->json)
		print_json(rc, cs, &all, o, total);
	else
		print_text(rc, cs, &all, o, total);
	calls_release(&all);
	return 0;
}
