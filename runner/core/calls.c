#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "err.h"
#include "html.h"
#include "ledger.h"
#include "state.h"
#include "util.h"
#include "banned.h"

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A copy of a link worth showing: http(s), bounded; else NULL (counted). */
static char *link_dup(struct calls *c, const char *url)
{
	if (!url)
		return NULL;
	if (strlen(url) > CALLS_URL_MAX || !html_url_ok(url)) {
		c->bad_urls++;
		return NULL;
	}
	return strdup(url);
}

static void call_clear(struct call *x)
{
	free(x->attempt_id);
	free(x->call_id);
	free(x->summary);
	free(x->transcript_url);
	free(x->recording_url);
}

static struct call *grow(struct calls *c)
{
	if (c->n == c->alloc) {
		size_t na = c->alloc ? c->alloc * 2 : 64;
		struct call *p = realloc(c->v, na * sizeof(*p));
		if (!p)
			return NULL;
		c->v = p;
		c->alloc = na;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static const char *sentiment(const char *s)
{
	static const char *const known[] = { "positive", "neutral", "negative" };
	size_t i;

	for (i = 0; s && i < 3; i++)
		if (!strcmp(s, known[i]))
			return known[i];
	return NULL;
}

/* One log line: an outcome or analysis becomes an entry; others pass. */
static int add_line(struct calls *c, const char *line, size_t len)
{
	cJSON *o;
	const char *ev, *ts, *aid, *cid;
	struct call *x;
	time_t t;
	int rc = 0;

	/* most lines are dispatches and placements: no parse for them */
	if (!memmem(line, len, "\"outcome\"", 9) &&
	    !memmem(line, len, "\"analysis\"", 10) &&
	    !memmem(line, len, "\"recording\"", 11))
		return 0;
	if (!(o = cJSON_ParseWithLength(line, len)))
		return 0;
	ev = str(o, "event");
	ts = str(o, "ts");
	if (!ev || !ts || time_parse_rfc3339(&t, ts) ||
	    (strcmp(ev, "outcome") && strcmp(ev, "analysis") &&
	     strcmp(ev, "recording")))
		goto done;
	if (!(x = grow(c))) {
		rc = gd_error_set("out of memory");
		goto done;
	}
	x->ts = t;
	aid = str(o, "attempt_id");
	cid = str(o, "call_id");
	if (aid && strlen(aid) < 128 && !attempt_id_parse(aid, &x->key, &x->attempt))
		x->attempt_id = strdup(aid);
	if (cid && *cid && strlen(cid) < 256)
		x->call_id = strdup(cid);
	if (!strcmp(ev, "outcome")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "duration_s");
		x->outcome = outcome_parse(str(o, "outcome"));
		if (x->outcome == OUT_NONE)
			x->outcome = OUT_FAILED;
		x->duration_s = cJSON_IsNumber(d) && d->valuedouble >= 0 &&
			d->valuedouble < 1e7 ? (long)d->valuedouble : 0;
	} else if (!strcmp(ev, "recording")) {
		/* joined to its attempt's outcome, never an entry of its own */
		x->outcome = OUT_NONE;
		x->recording_only = 1;
		x->duration_s = -1;
		free(x->call_id);
		x->call_id = NULL;
	} else {
		const char *s = str(o, "summary");
		x->outcome = OUT_NONE;
		x->sentiment = sentiment(str(o, "sentiment"));
		if (s) {
			size_t n = strlen(s) + 1;
			char *cut = malloc(n < CALLS_SUMMARY_MAX ? n : CALLS_SUMMARY_MAX);
			if (cut)
				utf8_truncate(cut, n < CALLS_SUMMARY_MAX ? n
					      : CALLS_SUMMARY_MAX, s);
			x->summary = cut;
		}
		x->transcript_url = link_dup(c, str(o, "transcript_url"));
		/* -1 marks an analysis until the join */
		x->duration_s = -1;
	}
	x->recording_url = link_dup(c, str(o, "recording_url"));
done:
	cJSON_Delete(o);
	return rc;
}

static int nullcmp(const char *a, const char *b)
{
	if (!a || !b)
		return !a - !b;
	return strcmp(a, b);
}

/* Outcomes first by call id, then analyses by call id, each in log order. */
static int by_call(const void *pa, const void *pb)
{
	const struct call *a = pa, *b = pb;
	int c = (a->duration_s < 0) - (b->duration_s < 0);

	if (c)
		return c;
	if ((c = nullcmp(a->call_id, b->call_id)))
		return c;
	return (a->ts > b->ts) - (a->ts < b->ts);
}

static int by_attempt(const void *pa, const void *pb)
{
	const struct call *a = pa, *b = pb;
	int c = (a->duration_s < 0) - (b->duration_s < 0);

	if (c)
		return c;
	if ((c = nullcmp(a->attempt_id, b->attempt_id)))
		return c;
	return (a->ts > b->ts) - (a->ts < b->ts);
}

static int newest_first(const void *pa, const void *pb)
{
	const struct call *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? 1 : -1;
	if (a->key != b->key)
		return a->key < b->key ? 1 : -1;
	return b->attempt - a->attempt;
}

static void take(char **dst, char **src)
{
	if (*src) {
		free(*dst);
		*dst = *src;
		*src = NULL;
	}
}

/*
 * Each "recording" event onto the outcome of its attempt_id (c is sorted
 * by_attempt: outcomes first); the first wins, an outcome's own URL
 * stays. One whose outcome is not logged is dropped.
 */
static void join_recordings(struct calls *c)
{
	size_t n_out = 0, j, w;

	while (n_out < c->n && c->v[n_out].duration_s >= 0)
		n_out++;
	for (j = n_out; j < c->n; j++) {
		struct call *rec = &c->v[j];
		size_t lo = 0, hi = n_out;
		if (!rec->recording_only)
			continue;
		rec->duration_s = -2;
		while (rec->attempt_id && lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (nullcmp(c->v[mid].attempt_id, rec->attempt_id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (rec->attempt_id && lo < n_out &&
		    !nullcmp(c->v[lo].attempt_id, rec->attempt_id) &&
		    !c->v[lo].recording_url)
			take(&c->v[lo].recording_url, &rec->recording_url);
	}
	for (j = w = 0; j < c->n; j++) {
		if (c->v[j].duration_s == -2) {
			call_clear(&c->v[j]);
			continue;
		}
		c->v[w++] = c->v[j];
	}
	c->n = w;
}

/* Folds duplicate outcomes and joins the analyses to their outcomes. */
static void join(struct calls *c)
{
	size_t i, j, n_out = 0, w;

	if (!c->n)
		return;
	/* one outcome per attempt: the first logged */
	qsort(c->v, c->n, sizeof(c->v[0]), by_attempt);
	for (i = 0; i < c->n && c->v[i].duration_s >= 0; i++)
		if (i && c->v[i].attempt_id && c->v[i - 1].attempt_id &&
		    !strcmp(c->v[i].attempt_id, c->v[i - 1].attempt_id))
			c->v[i].duration_s = -2; /* dropped below */
	for (i = w = 0; i < c->n; i++) {
		if (c->v[i].duration_s == -2) {
			call_clear(&c->v[i]);
			continue;
		}
		c->v[w++] = c->v[i];
	}
	c->n = w;
	join_recordings(c);
	qsort(c->v, c->n, sizeof(c->v[0]), by_call);
	while (n_out < c->n && c->v[n_out].duration_s >= 0)
		n_out++;
	/* each analysis onto the outcome with its call id (binary search) */
	for (j = n_out; j < c->n; j++) {
		struct call *an = &c->v[j], *hit = NULL;
		size_t lo = 0, hi = n_out;
		if (!an->call_id)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int r = nullcmp(c->v[mid].call_id, an->call_id);
			if (r < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n_out && !nullcmp(c->v[lo].call_id, an->call_id))
			hit = &c->v[lo];
		if (!hit)
			continue;
		if (an->sentiment)
			hit->sentiment = an->sentiment;
		take(&hit->summary, &an->summary);
		take(&hit->transcript_url, &an->transcript_url);
		take(&hit->recording_url, &an->recording_url);
		if (!hit->attempt_id && an->attempt_id) {
			take(&hit->attempt_id, &an->attempt_id);
			hit->key = an->key;
			hit->attempt = an->attempt;
		}
		an->duration_s = -2;
	}
	for (i = w = 0; i < c->n; i++) {
		if (c->v[i].duration_s == -2) {
			call_clear(&c->v[i]);
			continue;
		}
		if (c->v[i].duration_s < 0)
			c->v[i].duration_s = 0; /* an analysis on its own */
		c->v[w++] = c->v[i];
	}
	c->n = w;
	qsort(c->v, c->n, sizeof(c->v[0]), newest_first);
}

int calls_load(struct calls *out, struct src *s, const char *id)
{
	struct src_files f = { NULL, 0 };
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ledger_files(&f, s, id)))
		return rc == GD_ENOTFOUND ? 0 : rc;
	for (i = 0; !rc && i < f.n; i++) {
		const char *data, *p, *end;
		size_t len;
		void *tok;
		if ((rc = s->map(s, &f.v[i], &data, &len, &tok)))
			break;
		for (p = data, end = data + len; !rc && p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (n)
				rc = add_line(out, p, n);
			p += n + 1;
		}
		s->unmap(s, tok);
	}
	src_files_release(&f);
	if (!rc)
		join(out);
	return rc;
}

void calls_release(struct calls *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		call_clear(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void calls_mask_phone(char *out, size_t n, const char *e164)
{
	size_t digits = 0, i, k = 0, keep_head, keep_tail;
	const char *p;

	if (!n)
		return;
	for (p = e164; p && *p; p++)
		digits += *p >= '0' && *p <= '9';
	keep_head = digits > 8 ? 2 : 0;
	keep_tail = digits > 8 ? 4 : digits > 2 ? 2 : 0;
	if (k + 1 < n)
		out[k++] = '+';
	for (p = e164, i = 0; p && *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (k + 1 >= n)
			break;
		out[k++] = i < keep_head || i >= digits - keep_tail ? *p : '*';
		i++;
	}
	out[k] = '\0';
}
