#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newcamp.h"
#include "util.h"
#include "window.h"
#include "banned.h"

void newcamp_init(struct newcamp *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->concurrency = 1;
	nc->win_start = nc->win_end = -1;
	nc->days = 0x7f;
	nc->retry_on = (1u << OUT_NO_ANSWER) | (1u << OUT_BUSY);
	nc->cooldown[0] = 30;
	nc->n_cooldown = 1;
}

void newcamp_slug(char out[65], const char *name)
{
	size_t n = 0;
	int dash = 0;

	for (; *name && n < 64; name++) {
		unsigned char c = (unsigned char)*name;
		if (isalnum(c) && c < 0x80) {
			if (dash && n)
				out[n++] = '-';
			dash = 0;
			if (n < 64)
				out[n++] = (char)tolower(c);
		} else {
			dash = 1;
		}
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

static int is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return !*s;
}

int newcamp_parse_window(int *start, int *end, const char *s, char *why,
			 size_t n)
{
	char a[16], b[16];
	const char *dash = strchr(s, '-');
	int x, y;

	if (is_blank(s) || !strcmp(s, "none")) {
		*start = *end = -1;
		return 0;
	}
	if (!dash || dash - s >= (long)sizeof(a) || strlen(dash + 1) >= sizeof(b)) {
		snprintf(why, n, "\"%s\" is not a window (expected HH:MM-HH:MM, "
			 "e.g. 09:00-20:00, or none)", s);
		return -1;
	}
	snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
	snprintf(b, sizeof(b), "%s", dash + 1);
	if ((x = time_parse_hhmm(a, 0)) < 0 || (y = time_parse_hhmm(b, 1)) < 0) {
		snprintf(why, n, "\"%s\" is not a window (expected HH:MM-HH:MM "
			 "with times 00:00-24:00, e.g. 09:00-20:00)", s);
		return -1;
	}
	if (x >= y) {
		snprintf(why, n, "the window %s ends before it starts (windows may "
			 "not cross midnight)", s);
		return -1;
	}
	*start = x;
	*end = y;
	return 0;
}

/* Splits s at commas into trimmed tokens; calls fn on each. */
static int each_token(const char *s, int (*fn)(void *ctx, const char *tok),
		      void *ctx)
{
	char tok[64];
	const char *p = s;

	while (*p) {
		size_t len = strcspn(p, ",");
		const char *q = p;
		size_t l = len;
		while (l && (*q == ' ' || *q == '\t'))
			q++, l--;
		while (l && (q[l - 1] == ' ' || q[l - 1] == '\t'))
			l--;
		if (l >= sizeof(tok))
			l = sizeof(tok) - 1;
		memcpy(tok, q, l);
		tok[l] = '\0';
		if (fn(ctx, tok))
			return -1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct tokctx {
	unsigned mask;
	char *why;
	size_t n;
	long *out;
	int count;
};

static int day_token(void *ctx, const char *tok)
{
	struct tokctx *t = ctx;
	char a[8], b[8];
	const char *dash = strchr(tok, '-');
	int x, y, i;

	if (dash && dash - tok < (long)sizeof(a) && strlen(dash + 1) < sizeof(b)) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - tok), tok);
		snprintf(b, sizeof(b), "%s", dash + 1);
		x = weekday_parse(a);
		y = weekday_parse(b);
	} else {
		x = y = weekday_parse(tok);
	}
	if (x < 0 || y < 0) {
		snprintf(t->why, t->n, "\"%s\" is not a day (expected sun, mon, "
			 "tue, wed, thu, fri, sat, or a range like mon-fri)", tok);
		return -1;
	}
	for (i = x;; i = (i + 1) % 7) {
		t->mask |= 1u << i;
		if (i == y)
			break;
	}
	return 0;
}

int newcamp_parse_days(unsigned *mask, const char *s, char *why, size_t n)
{
	struct tokctx t = { 0, why, n, NULL, 0 };

	if (is_blank(s) || !strcmp(s, "every day") || !strcmp(s, "all")) {
		*mask = 0x7f;
		return 0;
	}
	if (each_token(s, day_token, &t))
		return -1;
	*mask = t.mask;
	return 0;
}

static int outcome_token(void *ctx, const char *tok)
{
	struct tokctx *t = ctx;
	enum outcome o = outcome_parse(tok);

	if (o == OUT_NONE || o == OUT_CONNECTED) {
		snprintf(t->why, t->n, "\"%s\" is not an outcome to retry (expected "
			 "no_answer, busy, voicemail, failed or hangup)", tok);
		return -1;
	}
	t->mask |= 1u << o;
	return 0;
}

int newcamp_parse_outcomes(unsigned *mask, const char *s, char *why, size_t n)
{
	struct tokctx t = { 0, why, n, NULL, 0 };

	if (is_blank(s)) {
		snprintf(why, n, "name at least one outcome (e.g. no_answer,busy)");
		return -1;
	}
	if (each_token(s, outcome_token, &t))
		return -1;
	*mask = t.mask;
	return 0;
}

int newcamp_parse_long(long *out, const char *s, long min, long max,
		       char *why, size_t n)
{
	char *end;
	long v;

	errno = 0;
	while (*s == ' ')
		s++;
	v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (!*s || *end || errno || v < min || v > max || !isdigit((unsigned char)*s)) {
		snprintf(why, n, "\"%s\" is not a whole number from %ld to %ld", s,
			 min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int cooldown_token(void *ctx, const char *tok)
{
	struct tokctx *t = ctx;
	long v;

	if (t->count == RETRY_LADDER_MAX) {
		snprintf(t->why, t->n, "at most %d cool-downs", RETRY_LADDER_MAX);
		return -1;
	}
	if (newcamp_parse_long(&v, tok, 1, 10080, t->why, t->n)) {
		snprintf(t->why, t->n, "\"%s\" is not a cool-down (whole minutes, "
			 "1-10080; or a list like 30,120)", tok);
		return -1;
	}
	t->out[t->count++] = v;
	return 0;
}

int newcamp_parse_cooldown(long out[RETRY_LADDER_MAX], int *count,
			   const char *s, char *why, size_t n)
{
	long tmp[RETRY_LADDER_MAX];
	struct tokctx t = { 0, why, n, tmp, 0 };

	if (is_blank(s)) {
		snprintf(why, n, "a cool-down is needed when retrying (minutes, e.g. 30)");
		return -1;
	}
	if (each_token(s, cooldown_token, &t))
		return -1;
	memcpy(out, tmp, sizeof(tmp));
	*count = t.count;
	return 0;
}

void newcamp_days_text(char *out, size_t n, unsigned mask)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	if ((mask & 0x7f) == 0x7f) {
		snprintf(out, n, "every day");
		return;
	}
	/* Monday first, as people read a week */
	for (i = 1; i <= 7; i++)
		if (mask & (1u << (i % 7))) {
			snprintf(out + len, n - len, "%s%s", len ? "," : "",
				 weekday_names[i % 7]);
			len = strlen(out);
		}
}

void newcamp_window_text(char *out, size_t n, const struct newcamp *nc)
{
	char days[40];

	if (nc->win_start < 0) {
		snprintf(out, n, "none");
		return;
	}
	newcamp_days_text(days, sizeof(days), nc->days);
	snprintf(out, n, "%02d:%02d-%02d:%02d %s", nc->win_start / 60,
		 nc->win_start % 60, nc->win_end / 60, nc->win_end % 60, days);
}

/* The retryable outcomes in the order people name them. */
static const enum outcome retry_order[] = {
	OUT_NO_ANSWER, OUT_BUSY, OUT_VOICEMAIL, OUT_FAILED, OUT_HANGUP
};

void newcamp_outcomes_text(char *out, size_t n, unsigned mask)
{
	size_t len = 0, i;

	out[0] = '\0';
	for (i = 0; i < sizeof(retry_order) / sizeof(retry_order[0]); i++)
		if (mask & (1u << retry_order[i])) {
			snprintf(out + len, n - len, "%s%s", len ? "," : "",
				 outcome_names[retry_order[i]]);
			len = strlen(out);
		}
}

void newcamp_cooldown_text(char *out, size_t n, const struct newcamp *nc)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < nc->n_cooldown; i++) {
		snprintf(out + len, n - len, "%s%ld", i ? "," : "", nc->cooldown[i]);
		len = strlen(out);
	}
}

int newcamp_json(struct buf *b, const struct newcamp *nc)
{
	int rc = 0, i, first;

	rc |= buf_puts(b, "{\n  \"$schema\": \"https://gitdial.dev/schemas/"
		       "campaign.schema.json\",\n  \"name\": ");
	rc |= buf_put_json_string(b, nc->name);
	rc |= buf_printf(b, ",\n  \"status\": \"%s\",\n",
			 nc->start_at[0] ? "scheduled" : "draft");
	if (nc->start_at[0]) {
		rc |= buf_puts(b, "  \"start_at\": ");
		rc |= buf_put_json_string(b, nc->start_at);
		rc |= buf_puts(b, ",\n");
	}
	if (nc->end_at[0]) {
		rc |= buf_puts(b, "  \"end_at\": ");
		rc |= buf_put_json_string(b, nc->end_at);
		rc |= buf_puts(b, ",\n");
	}
	if (nc->created[0])
		rc |= buf_printf(b, "  \"created\": \"%s\",\n", nc->created);
	rc |= buf_puts(b, "  \"account\": ");
	rc |= buf_put_json_string(b, nc->account);
	if (nc->caller_id[0]) {
		rc |= buf_puts(b, ",\n  \"caller_id\": ");
		rc |= buf_put_json_string(b, nc->caller_id);
	}
	if (nc->override) {
		rc |= buf_puts(b, ",\n  \"script\": {\"mode\": \"override\", \"text\": ");
		rc |= buf_put_json_string(b, nc->script_text);
		rc |= buf_puts(b, "}");
	} else {
		rc |= buf_puts(b, ",\n  \"script\": {\"mode\": \"agent\"}");
	}
	if (nc->audience_file[0]) {
		rc |= buf_puts(b, ",\n  \"audience\": {\"csv\": ");
		rc |= buf_put_json_string(b, nc->audience_file);
	} else {
		rc |= buf_puts(b, ",\n  \"audience\": {\"segment\": ");
		rc |= buf_put_json_string(b, nc->segment);
	}
	rc |= buf_printf(b, "},\n  \"pacing\": {\n    \"concurrency\": %ld",
			 nc->concurrency);
	if (nc->win_start >= 0) {
		rc |= buf_printf(b, ",\n    \"window\": {\"start\": \"%02d:%02d\", "
				 "\"end\": \"%02d:%02d\"", nc->win_start / 60,
				 nc->win_start % 60, nc->win_end / 60,
				 nc->win_end % 60);
		if ((nc->days & 0x7f) != 0x7f) {
			rc |= buf_puts(b, ", \"days\": [");
			for (i = 0, first = 1; i < 7; i++)
				if (nc->days & (1u << i)) {
					rc |= buf_printf(b, "%s\"%s\"", first ? "" : ", ",
							 weekday_names[i]);
					first = 0;
				}
			rc |= buf_puts(b, "]");
		}
		rc |= buf_puts(b, "}");
	}
	if (nc->retries > 0) {
		rc |= buf_printf(b, ",\n    \"retries\": {\"max\": %ld, "
				 "\"cooldown_minutes\": ", nc->retries);
		if (nc->n_cooldown == 1) {
			rc |= buf_printf(b, "%ld", nc->cooldown[0]);
		} else {
			rc |= buf_puts(b, "[");
			for (i = 0; i < nc->n_cooldown; i++)
				rc |= buf_printf(b, "%s%ld", i ? ", " : "", nc->cooldown[i]);
			rc |= buf_puts(b, "]");
		}
		rc |= buf_puts(b, ", \"on\": [");
		for (i = 0, first = 1; i < 5; i++)
			if (nc->retry_on & (1u << retry_order[i])) {
				rc |= buf_printf(b, "%s\"%s\"", first ? "" : ", ",
						 outcome_names[retry_order[i]]);
				first = 0;
			}
		rc |= buf_puts(b, "]}");
	}
	rc |= buf_printf(b, ",\n    \"voicemail\": \"%s\"\n  }\n}\n",
			 nc->leave_message ? "leave_message" : "hang_up");
	return rc ? -1 : 0;
}
