/*
 * The audit's checks over the log as history gives it (audit.h). Per
 * campaign and number, the attempts claimed, finished and not counted
 * (struct rstate, as the tick keeps them); per number, the newest
 * do-not-call entry; every dispatch under a frequency cap, for the pass
 * in time order at the end. Everything is judged when its line arrives,
 * with the configuration of the commit that added it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "caps.h"
#include "dnc_log.h"
#include "err.h"
#include "phone.h"
#include "tz.h"
#include "util.h"
#include "banned.h"

const char *const audit_check_names[AC_N] = {
	"claims", "windows", "dnc", "consent", "caps", "disclosure",
	"accounting", "history",
};

const char *const audit_check_titles[AC_N] = {
	"every placed follows its dispatched in the same or an earlier commit; "
	"no number has two attempts in flight; no attempt id is claimed twice; "
	"attempts within retries.max + 1 (transient and rate-limited ones do "
	"not count); nothing dialed outside the campaign's audience or while "
	"it was not Dialing",
	"every dispatch inside start_at/end_at, the campaign window and the "
	"legal hours, banned days and holidays of every zone the number may "
	"be in, with campaign.json, the audience and the rules pack of its commit",
	"no dispatch to a number on dnc/ at that commit",
	"no dispatch to a row without consent where the campaign required it",
	"no frequency cap exceeded, counting every campaign's dispatches",
	"every dispatch to a place that requires a recording disclosure had "
	"one to send (gitdial.json at its commit, in the row's language)",
	"a Completed campaign accounts for every audience row; Failed and "
	"Paused carry a reason",
	"no line of outcomes/ or dnc/ changed or removed in any commit; "
	"runner events only in the runner's commits",
};

/* Open addressing, phone key (never 0) → 1 + index into vals. */
struct kmap {
	uint64_t *keys;
	uint32_t *pos;
	size_t cap, n;
};

static int kmap_grow(struct kmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, i, j;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *pos = calloc(cap, sizeof(*pos));

	if (!keys || !pos) {
		free(keys);
		free(pos);
		return gd_error_set("out of memory");
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = audience_slot(m->keys[i], cap); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		pos[j] = m->pos[i];
	}
	free(m->keys);
	free(m->pos);
	m->keys = keys;
	m->pos = pos;
	m->cap = cap;
	return 0;
}

/* The slot of key: pos 0 when absent (then *slot is where it goes). */
static uint32_t kmap_get(const struct kmap *m, uint64_t key, size_t *slot)
{
	size_t j;

	if (!m->cap)
		return 0;
	for (j = audience_slot(key, m->cap); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key) {
			*slot = j;
			return m->pos[j];
		}
	*slot = j;
	return 0;
}

/* 1 + the index of key, inserting next (1-based) when absent; 0 on error. */
static uint32_t kmap_put(struct kmap *m, uint64_t key, uint32_t next)
{
	size_t slot = 0;
	uint32_t p = kmap_get(m, key, &slot);

	if (p)
		return p;
	if ((m->n + 1) * 2 > m->cap) {
		if (kmap_grow(m))
			return 0;
		kmap_get(m, key, &slot);
	}
	m->keys[slot] = key;
	m->pos[slot] = next;
	m->n++;
	return next;
}

static void kmap_release(struct kmap *m)
{
	free(m->keys);
	free(m->pos);
	memset(m, 0, sizeof(*m));
}

/* One campaign's attempts per number. */
struct acamp {
	char id[65];
	struct kmap map;
	struct rstate *r;
	size_t nr, r_alloc;
	uint8_t *skipped_line; /* bitmap by audience line */
	size_t skipped_line_max;
	enum status logged;
};

/* The cap rules of one place (rules.c's place_cap reads the same fields). */
struct capset {
	int n;
	struct { int max_calls; long period_s; long effective; char id[48]; }
		v[PLACE_MAX_RULES];
};

/* One dispatch under a cap, for the pass in time order. */
struct capd {
	uint64_t key;
	int64_t ts;
	uint32_t seq, set, camp;
	struct audit_at at;
};

/* Any other dispatch: only counted. */
struct plaind {
	uint64_t key;
	int64_t ts;
	uint32_t seq;
};

struct dncent {
	int64_t ts;
	int add;
};

struct acommit {
	char id[41];
	uint8_t by_runner, in_range;
};

struct audit {
	struct acamp *camps;
	size_t ncamps;
	struct acommit *commits;
	size_t ncommits, commits_alloc;
	char **files;
	size_t nfiles, files_alloc;
	struct kmap files_map; /* hash of path → 1 + index */
	struct kmap dnc_map;
	struct dncent *dnc;
	size_t ndnc, dnc_alloc;
	struct capset *sets;
	size_t nsets;
	const struct audience *sets_aud; /* the audience set_of was built for */
	const struct rules *sets_rules;
	uint32_t *set_of; /* per place of sets_aud: 1 + index in sets */
	size_t n_set_of;
	struct capd *capd;
	size_t ncapd, capd_alloc;
	struct plaind *plain;
	size_t nplain, plain_alloc;
	uint32_t seq;
	struct daywin all_day;
	size_t checked[AC_N], found[AC_N];
	struct audit_finding *fnd;
	size_t nfnd, fnd_alloc;
};

int audit_new(struct audit **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return gd_error_set("out of memory");
	daywin_fill(&(*out)->all_day);
	return 0;
}

void audit_free(struct audit *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->ncamps; i++) {
		kmap_release(&a->camps[i].map);
		free(a->camps[i].r);
		free(a->camps[i].skipped_line);
	}
	free(a->camps);
	free(a->commits);
	for (i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	kmap_release(&a->files_map);
	kmap_release(&a->dnc_map);
	free(a->dnc);
	free(a->sets);
	free(a->set_of);
	free(a->capd);
	free(a->plain);
	free(a->fnd);
	free(a);
}

/* Grows *v (of *alloc elements of size) to hold n + 1. */
static int grow(void **v, size_t *alloc, size_t n, size_t size)
{
	size_t na;
	void *p;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 64;
	if (!(p = realloc(*v, na * size)))
		return gd_error_set("out of memory");
	*v = p;
	*alloc = na;
	return 0;
}

uint32_t audit_commit(struct audit *a, const char *id, int by_runner,
		      int in_range)
{
	struct acommit *c;

	if (grow((void **)&a->commits, &a->commits_alloc, a->ncommits,
		 sizeof(*a->commits)))
		return UINT32_MAX;
	c = &a->commits[a->ncommits];
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->by_runner = by_runner ? 1 : 0;
	c->in_range = in_range ? 1 : 0;
	return (uint32_t)a->ncommits++;
}

uint32_t audit_file(struct audit *a, const char *path)
{
	uint64_t h = hash_fnv1a(path, strlen(path)) | 1;
	size_t slot = 0;
	uint32_t p;

	/* a hash shared by two paths: fall back to a scan (never seen) */
	if ((p = kmap_get(&a->files_map, h, &slot)) &&
	    !strcmp(a->files[p - 1], path))
		return p - 1;
	if (p) {
		size_t i;
		for (i = 0; i < a->nfiles; i++)
			if (!strcmp(a->files[i], path))
				return (uint32_t)i;
	}
	if (grow((void **)&a->files, &a->files_alloc, a->nfiles, sizeof(*a->files)) ||
	    !(a->files[a->nfiles] = strdup(path)))
		return UINT32_MAX;
	if (!p)
		kmap_put(&a->files_map, h, (uint32_t)a->nfiles + 1);
	return (uint32_t)a->nfiles++;
}

void audit_count(struct audit *a, enum audit_check check, size_t n)
{
	a->checked[check] += n;
}

/* True when a finding of check at at would be listed (not only counted). */
static int keeps(const struct audit *a, enum audit_check check,
		 const struct audit_at *at)
{
	if (at && at->commit < a->ncommits && !a->commits[at->commit].in_range)
		return 1; /* vreport drops it: nothing to count */
	return a->found[check] < AUDIT_KEEP;
}

static int vreport(struct audit *a, enum audit_check check, const char *rule,
		   const char *campaign, const struct audit_at *at,
		   const char *fmt, va_list ap)
{
	struct audit_finding *f;

	if (at && at->commit < a->ncommits && !a->commits[at->commit].in_range)
		return 0;
	a->found[check]++;
	if (a->found[check] > AUDIT_KEEP)
		return 0;
	if (grow((void **)&a->fnd, &a->fnd_alloc, a->nfnd, sizeof(*a->fnd)))
		return GD_ERROR;
	f = &a->fnd[a->nfnd++];
	memset(f, 0, sizeof(*f));
	f->check = check;
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->campaign, sizeof(f->campaign), "%s", campaign ? campaign : "");
	if (at && at->file < a->nfiles)
		snprintf(f->file, sizeof(f->file), "%s", a->files[at->file]);
	if (at)
		f->line = at->line;
	if (at && at->commit < a->ncommits)
		snprintf(f->commit, sizeof(f->commit), "%s", a->commits[at->commit].id);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	return 0;
}

int audit_report(struct audit *a, enum audit_check check, const char *rule,
		 const char *campaign, const struct audit_at *at,
		 const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(a, check, rule, campaign, at, fmt, ap);
	va_end(ap);
	return rc;
}

static struct acamp *camp_get(struct audit *a, const char *id)
{
	size_t i;
	struct acamp *v;

	for (i = 0; i < a->ncamps; i++)
		if (!strcmp(a->camps[i].id, id))
			return &a->camps[i];
	if (!(v = realloc(a->camps, (a->ncamps + 1) * sizeof(*v))))
		return NULL;
	a->camps = v;
	v = &a->camps[a->ncamps++];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	return v;
}

/* The attempts of key in campaign c, created when create; NULL if none. */
static struct rstate *rs_get(struct acamp *c, uint64_t key, int create)
{
	size_t slot = 0;
	uint32_t p = kmap_get(&c->map, key, &slot);

	if (p || !create)
		return p ? &c->r[p - 1] : NULL;
	if (grow((void **)&c->r, &c->r_alloc, c->nr, sizeof(*c->r)))
		return NULL;
	if (!(p = kmap_put(&c->map, key, (uint32_t)c->nr + 1)))
		return NULL;
	memset(&c->r[c->nr++], 0, sizeof(*c->r));
	return &c->r[p - 1];
}

static void skip_line(struct acamp *c, uint32_t line)
{
	if (line >= c->skipped_line_max) {
		size_t n = c->skipped_line_max ? c->skipped_line_max : 1024;
		uint8_t *p;
		while (n <= line)
			n *= 2;
		if (!(p = realloc(c->skipped_line, n / 8 + 1)))
			return;
		memset(p + c->skipped_line_max / 8, 0, n / 8 + 1 - c->skipped_line_max / 8);
		c->skipped_line = p;
		c->skipped_line_max = n;
	}
	c->skipped_line[line / 8] |= (uint8_t)(1u << (line % 8));
}

static int line_skipped(const struct acamp *c, uint32_t line)
{
	return line < c->skipped_line_max &&
	       (c->skipped_line[line / 8] >> (line % 8)) & 1;
}

/* The newest do-not-call entry of key that existed at ts: 1 blocked. */
static int dnc_blocked(const struct audit *a, uint64_t key, int64_t ts)
{
	size_t slot = 0;
	uint32_t p = kmap_get(&a->dnc_map, key, &slot);

	return p && a->dnc[p - 1].add && a->dnc[p - 1].ts <= ts;
}

int audit_dnc_line(struct audit *a, const struct audit_at *at, const char *line,
		   size_t len)
{
	struct dnc_rec r;
	const char *field = NULL, *why = NULL;
	uint32_t p;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = dnc_log_parse(&r, line, len, &field, &why);
	free(r.reason);
	free(r.source);
	if (rc)
		return audit_report(a, AC_HISTORY, "bad-line", "", at,
				    "not a do-not-call entry: %s%s%s", field ? field : "",
				    field ? ": " : "", why ? why : "malformed");
	/* the latest entry by time wins; at equal times, the one read later */
	if (grow((void **)&a->dnc, &a->dnc_alloc, a->ndnc, sizeof(*a->dnc)))
		return GD_ERROR;
	if (!(p = kmap_put(&a->dnc_map, r.key, (uint32_t)a->ndnc + 1)))
		return GD_ERROR;
	if (p == a->ndnc + 1) {
		a->ndnc++;
	} else if (a->dnc[p - 1].ts > (int64_t)r.ts) {
		return 0;
	}
	a->dnc[p - 1].ts = (int64_t)r.ts;
	a->dnc[p - 1].add = r.add;
	return 0;
}

/* The capset index of place pi of ctx's audience, or UINT32_MAX for none. */
static uint32_t capset_of(struct audit *a, const struct audit_ctx *ctx,
			  uint32_t pi)
{
	const struct place *p;
	struct capset s;
	size_t i;
	int k;

	if (a->sets_aud != ctx->aud || a->sets_rules != ctx->rules) {
		free(a->set_of);
		a->n_set_of = ctx->aud->n_places;
		if (!(a->set_of = calloc(a->n_set_of + 1, sizeof(*a->set_of))))
			return UINT32_MAX;
		a->sets_aud = ctx->aud;
		a->sets_rules = ctx->rules;
	}
	if (pi >= a->n_set_of)
		return UINT32_MAX;
	if (a->set_of[pi] == UINT32_MAX)
		return UINT32_MAX;
	if (a->set_of[pi])
		return a->set_of[pi] - 1;
	p = &ctx->aud->places[pi];
	memset(&s, 0, sizeof(s));
	for (k = 0; k < p->n_rix; k++) {
		const struct rule *x = rules_get(ctx->rules, p->rix[k]);
		if (!x || x->kind != RK_CAP)
			continue;
		s.v[s.n].max_calls = x->max_calls;
		s.v[s.n].period_s = x->period_s;
		s.v[s.n].effective = x->effective;
		snprintf(s.v[s.n].id, sizeof(s.v[s.n].id), "%s", x->id);
		s.n++;
	}
	if (!s.n) {
		a->set_of[pi] = UINT32_MAX; /* none */
		return UINT32_MAX;
	}
	for (i = 0; i < a->nsets; i++)
		if (!memcmp(&a->sets[i], &s, sizeof(s)))
			break;
	if (i == a->nsets) {
		struct capset *v = realloc(a->sets, (a->nsets + 1) * sizeof(*v));
		if (!v)
			return UINT32_MAX;
		a->sets = v;
		a->sets[a->nsets++] = s;
	}
	a->set_of[pi] = (uint32_t)i + 1;
	return (uint32_t)i;
}

int audit_rules_recorded(const char *line, size_t len, char out[17])
{
	static const char tag[] = "\"rules\":\"";
	const char *p = memmem(line, len, tag, sizeof(tag) - 1);
	size_t i;

	if (!p)
		return 0;
	p += sizeof(tag) - 1;
	for (i = 0; i < 16 && p + i < line + len && p[i] != '"'; i++)
		out[i] = p[i];
	out[i] = '\0';
	return 1;
}

/*
 * Why a dispatch at ts to place p is outside its windows: the legal
 * rules that close it ("us-tcpa", "+" between several), else
 * "campaign-window"; *campaign_too when the campaign window is closed
 * as well.
 */
static void window_why(const struct audit *a, const struct audit_ctx *ctx,
		       const struct place *p, time_t ts, char *why, size_t n,
		       int *campaign_too)
{
	*campaign_too = 0;
	if (place_is_open(ctx->rules, p, &a->all_day, ts)) {
		snprintf(why, n, "campaign-window");
		return;
	}
	place_next_open(ctx->rules, p, &a->all_day, ts, 0, why, n);
	if (!why[0])
		snprintf(why, n, "legal-hours");
	/* the campaign window alone, in every zone */
	{
		int i, open = 1;
		for (i = 0; i < p->n_zones && open; i++) {
			struct tm tm;
			if (tz_local(&tm, p->zones[i], ts))
				continue;
			open = daywin_contains(&ctx->c->window, tm.tm_wday,
					       tm.tm_hour * 60 + tm.tm_min);
		}
		*campaign_too = !open;
	}
}

/* ts as RFC 3339 in t, for a finding's message. */
static const char *ts_text(char t[21], int64_t ts)
{
	time_format_utc(t, (time_t)ts);
	return t;
}
#define TS ts_text(t, e->ts)

/* The local time at ts in zone, for messages ("Tue 03:00"). */
static void local_text(char *out, size_t n, const char *zone, time_t ts)
{
	struct tm tm;

	if (tz_local(&tm, zone, ts))
		snprintf(out, n, "?");
	else
		strftime(out, n, "%a %H:%M", &tm);
}

static int check_dispatch(struct audit *a, struct acamp *c,
			  const struct audit_at *at, const struct ev *e,
			  const char *rec, const struct audit_ctx *ctx)
{
	const struct recipient *rp = NULL;
	const struct place *p = NULL;
	struct rstate *rs = rs_get(c, e->key, 1);
	char t[21];
	time_t ts = (time_t)e->ts;
	uint32_t set;
	uint16_t bit;
	int rc = 0;

	if (!rs)
		return gd_error_set("out of memory");
	/* t is written only for a finding's message (TS) */
	a->checked[AC_CLAIMS]++;
	if (!e->attempt || e->attempt > ATTEMPTS_MAX)
		return audit_report(a, AC_CLAIMS, "attempt-id", c->id, at,
				    "dispatch at %s has no valid attempt id", TS);
	bit = (uint16_t)(1u << (e->attempt - 1));
	if (rs->dispatched & bit)
		rc = audit_report(a, AC_CLAIMS, "attempt-id-reused", c->id, at,
				  "attempt %d of +%llu claimed again at %s", e->attempt,
				  (unsigned long long)e->key, TS);
	else if (RS_INFLIGHT(rs))
		rc = audit_report(a, AC_CLAIMS, "two-in-flight", c->id, at,
				  "+%llu claimed at %s (attempt %d) while attempt %d "
				  "had no outcome", (unsigned long long)e->key, TS,
				  e->attempt, 32 - __builtin_clz((unsigned)RS_INFLIGHT(rs)));
	if (!rc && ctx && ctx->c && rstate_attempts(rs) + 1 > ctx->c->retries_max + 1)
		rc = audit_report(a, AC_CLAIMS, "retries-max", c->id, at,
				  "+%llu claimed a %d%s counting attempt at %s; "
				  "retries.max is %ld", (unsigned long long)e->key,
				  rstate_attempts(rs) + 1,
				  rstate_attempts(rs) + 1 == 2 ? "nd" :
				  rstate_attempts(rs) + 1 == 3 ? "rd" : "th", TS,
				  ctx->c->retries_max);
	if (!rc && c->logged != ST_DIALING)
		rc = audit_report(a, AC_CLAIMS, "not-dialing", c->id, at,
				  "+%llu claimed at %s while the log said the "
				  "campaign was %s", (unsigned long long)e->key, TS,
				  c->logged ? status_names[c->logged] : "never started");
	rs->dispatched |= bit;
	if (rc)
		return rc;

	/* do-not-call, as the list stood at that commit */
	a->checked[AC_DNC]++;
	if (dnc_blocked(a, e->key, e->ts) &&
	    (rc = audit_report(a, AC_DNC, "dnc", c->id, at,
			       "+%llu claimed at %s while on the do-not-call list",
			       (unsigned long long)e->key, TS)))
		return rc;

	if (!ctx || !ctx->c || !ctx->aud || !ctx->rules)
		return audit_report(a, AC_WINDOWS, "no-configuration", c->id, at,
				    "claim at %s: the commit has no readable "
				    "campaign.json and audience for %s", TS, c->id);

	/* the audience at that commit: consent, and where the number is */
	if (ctx->c->require_consent)
		a->checked[AC_CONSENT]++;
	if (!(rp = audience_find(ctx->aud, e->key))) {
		size_t i;
		char ph[PHONE_MAX];
		snprintf(ph, sizeof(ph), "+%llu", (unsigned long long)e->key);
		for (i = 0; i < ctx->aud->n_problems; i++)
			if (!strcmp(ctx->aud->problems[i].phone, ph))
				break;
		if (i < ctx->aud->n_problems &&
		    ctx->aud->problems[i].why == SKIP_NO_CONSENT)
			return audit_report(a, AC_CONSENT, "consent", c->id, at,
					    "%s claimed at %s: its row (line %u) has "
					    "no consent and the campaign requires it",
					    ph, TS, ctx->aud->problems[i].line);
		return audit_report(a, AC_CLAIMS, "not-in-audience", c->id, at,
				    "%s claimed at %s is not a dialable row of the "
				    "audience at that commit%s", ph, TS,
				    i < ctx->aud->n_problems ? " (its row was left out)" : "");
	}
	if (!ctx->aud->places || rp->place >= ctx->aud->n_places)
		return audit_report(a, AC_WINDOWS, "no-place", c->id, at,
				    "+%llu: no time zone could be derived",
				    (unsigned long long)e->key);
	p = &ctx->aud->places[rp->place];

	/* windows: dates, campaign window and legal hours in every zone */
	a->checked[AC_WINDOWS]++;
	if ((ctx->c->start_at && ts < ctx->c->start_at) ||
	    (ctx->c->end_at && ts >= ctx->c->end_at))
		rc = audit_report(a, AC_WINDOWS, "campaign-dates", c->id, at,
				  "+%llu claimed at %s, outside start_at/end_at",
				  (unsigned long long)e->key, TS);
	else if (!place_is_open(ctx->rules, p, &ctx->c->window, ts) &&
		 !keeps(a, AC_WINDOWS, at))
		a->found[AC_WINDOWS]++; /* counted, not listed: no need to say why */
	else if (!place_is_open(ctx->rules, p, &ctx->c->window, ts)) {
		char why[160], loc[32];
		int also;
		window_why(a, ctx, p, ts, why, sizeof(why), &also);
		local_text(loc, sizeof(loc), p->n_zones ? p->zones[0] : "UTC", ts);
		rc = audit_report(a, AC_WINDOWS, why, c->id, at,
				  "+%llu claimed at %s (%s %s%s; rules %s)%s%s%s",
				  (unsigned long long)e->key, TS, loc,
				  p->n_zones ? p->zones[0] : "?",
				  p->n_zones > 1 ? " and other zones" : "",
				  p->rule_ids,
				  strcmp(why, "campaign-window") ? "" :
				  ": outside the campaign window ",
				  also ? ", and outside the campaign window " : "",
				  !strcmp(why, "campaign-window") || also ?
				  ctx->c->window_text : "");
	}
	if (rc)
		return rc;
	if (rec) {
		char have[17];
		snprintf(have, sizeof(have), "%016llx",
			 (unsigned long long)rules_digest(ctx->rules));
		if (strcmp(rec, have) &&
		    (rc = audit_report(a, AC_WINDOWS, "rules-pack-differs", c->id, at,
				       "the runner evaluated with rules pack %s, "
				       "this audit with %s (another gitdial "
				       "version): the windows were checked with "
				       "this one", rec, have)))
			return rc;
	}

	/* a recording disclosure where the place requires one */
	if (p->disclosure) {
		const char *lang = rp->lang < ctx->aud->n_langs &&
			ctx->aud->langs[rp->lang][0] ? ctx->aud->langs[rp->lang] : NULL;
		a->checked[AC_DISCLOSURE]++;
		if (!config_disclosure(ctx->cfg, lang) &&
		    (rc = audit_report(a, AC_DISCLOSURE, "disclosure", c->id, at,
				       "+%llu (%s) requires a recording disclosure; "
				       "gitdial.json at that commit has none for "
				       "\"%s\"", (unsigned long long)e->key,
				       p->jurisdictions, lang ? lang : "en")))
			return rc;
	}

	/* caps: judged in time order at the end */
	set = place_has_cap(ctx->rules, p) ? capset_of(a, ctx, rp->place) : UINT32_MAX;
	if (set != UINT32_MAX) {
		struct capd *d;
		if (grow((void **)&a->capd, &a->capd_alloc, a->ncapd,
			 sizeof(*a->capd)))
			return GD_ERROR;
		d = &a->capd[a->ncapd++];
		d->key = e->key;
		d->ts = e->ts;
		d->seq = a->seq++;
		d->set = set;
		d->camp = (uint32_t)(c - a->camps);
		d->at = *at;
	} else {
		/* not under a cap here, but counted all the same: the number
		 * may be under one in another campaign's place (its time zone
		 * column), and the tick counts every campaign's claims */
		struct plaind *d;
		if (grow((void **)&a->plain, &a->plain_alloc, a->nplain,
			 sizeof(*a->plain)))
			return GD_ERROR;
		d = &a->plain[a->nplain++];
		d->key = e->key;
		d->ts = e->ts;
		d->seq = a->seq++;
	}
	return 0;
}

/* Completed: every audience row accounted for (dialed to the end or skipped). */
static int check_completed(struct audit *a, struct acamp *c,
			   const struct audit_at *at, const struct audit_ctx *ctx)
{
	size_t i, missing = 0, inflight = 0;
	unsigned long first = 0;
	int rc;

	if (!ctx || !ctx->aud)
		return audit_report(a, AC_ACCOUNTING, "no-configuration", c->id, at,
				    "completed, but the commit has no readable "
				    "audience for %s", c->id);
	for (i = 0; i < ctx->aud->n; i++) {
		const struct recipient *r = &ctx->aud->r[i];
		const struct rstate *rs = rs_get(c, r->key, 0);
		a->checked[AC_ACCOUNTING]++;
		if (rs && RS_INFLIGHT(rs)) {
			inflight++;
			if (!first)
				first = r->line;
		} else if (!(rs && (rs->skipped || rs->dispatched)) &&
			   !line_skipped(c, r->line)) {
			missing++;
			if (!first)
				first = r->line;
		}
	}
	for (i = 0; i < ctx->aud->n_problems; i++) {
		const struct row_problem *p = &ctx->aud->problems[i];
		const struct rstate *rs = p->phone[0]
			? rs_get(c, phone_key(p->phone), 0) : NULL;
		a->checked[AC_ACCOUNTING]++;
		if (!line_skipped(c, p->line) && !(rs && rs->skipped)) {
			missing++;
			if (!first)
				first = p->line;
		}
	}
	if (!missing && !inflight)
		return 0;
	rc = audit_report(a, AC_ACCOUNTING, "completed-unaccounted", c->id, at,
			  "logged completed with %zu audience row%s never "
			  "dialed nor skipped and %zu in flight (first: line %lu "
			  "of the audience)", missing, missing == 1 ? "" : "s",
			  inflight, first);
	return rc;
}

int audit_event_needs_ctx(const struct ev *e)
{
	return e->kind == EV_DISPATCHED ||
	       (e->kind == EV_STATUS && e->status == ST_COMPLETED);
}

int audit_event(struct audit *a, const char *campaign, const struct audit_at *at,
		const struct ev *e, const struct ev_pool *pool, const char *rules,
		const struct audit_ctx *ctx)
{
	struct acamp *c = camp_get(a, campaign);
	const struct acommit *cm = at->commit < a->ncommits ? &a->commits[at->commit] : NULL;
	struct rstate *rs;
	char t[21];
	int rc = 0;

	if (!c)
		return gd_error_set("out of memory");
	/* t is written only for a finding's message (TS) */
	a->checked[AC_HISTORY]++;
	if (e->kind == EV_BAD)
		return audit_report(a, AC_HISTORY, "bad-line", campaign, at,
				    "not a well-formed event (v, ts, event)");
	/* what only the runner writes, by anyone else */
	if (cm && !cm->by_runner) {
		int operator_ok = e->kind == EV_STATUS &&
			(e->status == ST_PAUSED || e->status == ST_DIALING ||
			 e->status == ST_SCHEDULED ||
			 /* duplicate --remaining ends the original */
			 (e->status == ST_FAILED && e->reason &&
			  !strncmp(pool->p + e->reason - 1, REMAINING_PREFIX,
				   strlen(REMAINING_PREFIX))));
		if (!operator_ok &&
		    (rc = audit_report(a, AC_HISTORY, "not-by-runner", campaign, at,
				       "a %s event (ts %s) in a commit not made by "
				       "the runner",
				       e->kind == EV_STATUS ? "status" :
				       e->kind == EV_DISPATCHED ? "dispatched" :
				       e->kind == EV_PLACED ? "placed" :
				       e->kind == EV_OUTCOME ? "outcome" :
				       e->kind == EV_SKIPPED ? "skipped" :
				       e->kind == EV_ANALYSIS ? "analysis" : "runner", TS)))
			return rc;
	}
	switch (e->kind) {
	case EV_DISPATCHED:
		return check_dispatch(a, c, at, e, rules, ctx);
	case EV_PLACED:
		a->checked[AC_CLAIMS]++;
		rs = e->attempt && e->attempt <= ATTEMPTS_MAX ? rs_get(c, e->key, 0) : NULL;
		if (!rs || !(rs->dispatched & (1u << (e->attempt - 1))))
			return audit_report(a, AC_CLAIMS, "placed-before-dispatched",
					    campaign, at, "placed at %s with no dispatched "
					    "event for its attempt in this or an earlier "
					    "commit", TS);
		rs->placed |= (uint16_t)(1u << (e->attempt - 1));
		return 0;
	case EV_OUTCOME:
		if (!e->attempt || e->attempt > ATTEMPTS_MAX ||
		    !(rs = rs_get(c, e->key, 1)))
			return 0;
		rs->done |= (uint16_t)(1u << (e->attempt - 1));
		if (e->err == ERRC_FREE)
			rs->free |= (uint16_t)(1u << (e->attempt - 1));
		return 0;
	case EV_SKIPPED:
		if (e->has_row)
			skip_line(c, e->row);
		if (e->key && (rs = rs_get(c, e->key, 1)))
			rs->skipped = 1;
		return 0;
	case EV_STATUS:
		if (e->status == ST_FAILED || e->status == ST_PAUSED) {
			const char *why = e->reason ? pool->p + e->reason - 1 : "";
			a->checked[AC_ACCOUNTING]++;
			if (!why[0] &&
			    (rc = audit_report(a, AC_ACCOUNTING, "no-reason", campaign, at,
					       "%s at %s without a reason",
					       status_names[e->status], TS)))
				return rc;
		}
		if (e->status != ST_NONE)
			c->logged = (enum status)e->status;
		if (e->status == ST_COMPLETED)
			return check_completed(a, c, at, ctx);
		return 0;
	default:
		return 0;
	}
}

static int capd_cmp(const void *x, const void *y)
{
	const struct capd *p = x, *q = y;

	if (p->ts != q->ts)
		return p->ts < q->ts ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int plaind_cmp(const void *x, const void *y)
{
	const struct plaind *p = x, *q = y;

	if (p->ts != q->ts)
		return p->ts < q->ts ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Dispatch d against the caps of its place, given the calls before it. */
static int cap_judge(struct audit *a, const struct caps *cp, const struct capd *d)
{
	const struct capset *s = &a->sets[d->set];
	long day = (long)(d->ts / 86400); /* as place_cap: by the UTC date */
	char t[21];
	size_t n;
	int k;

	a->checked[AC_CAPS]++;
	for (k = 0; k < s->n; k++) {
		if (day < s->v[k].effective)
			continue;
		n = caps_count(cp, d->key, (time_t)d->ts, s->v[k].period_s);
		if (n < (size_t)s->v[k].max_calls)
			continue;
		time_format_utc(t, (time_t)d->ts);
		return audit_report(a, AC_CAPS, s->v[k].id, a->camps[d->camp].id,
				    &d->at, "+%llu claimed at %s after %zu call%s "
				    "within %ld h across campaigns (at most %d)",
				    (unsigned long long)d->key, t, n,
				    n == 1 ? "" : "s", s->v[k].period_s / 3600,
				    s->v[k].max_calls);
	}
	return 0;
}

int audit_finish(struct audit *a)
{
	struct caps *cp = NULL;
	struct kmap capped = { NULL, NULL, 0, 0 };
	size_t i = 0, j = 0, slot;
	int rc = 0;

	if (!a->ncapd)
		return 0;
	/* only the numbers ever under a cap are counted */
	for (i = 0; !rc && i < a->ncapd; i++)
		if (!kmap_put(&capped, a->capd[i].key, 1))
			rc = GD_ERROR;
	i = 0;
	/*
	 * In time order, each dispatch under a cap is judged by the calls
	 * to its number before it, as the tick judged it (place_cap over
	 * caps_count: within (ts - period, ts]); every dispatch counts.
	 */
	qsort(a->capd, a->ncapd, sizeof(*a->capd), capd_cmp);
	if (a->nplain)
		qsort(a->plain, a->nplain, sizeof(*a->plain), plaind_cmp);
	if (rc || (rc = caps_new(&cp))) {
		kmap_release(&capped);
		return rc;
	}
	while (!rc && (i < a->ncapd || j < a->nplain)) {
		if (j >= a->nplain || (i < a->ncapd &&
		    (a->capd[i].ts < a->plain[j].ts ||
		     (a->capd[i].ts == a->plain[j].ts &&
		      a->capd[i].seq < a->plain[j].seq)))) {
			if (!(rc = cap_judge(a, cp, &a->capd[i])))
				rc = caps_add(cp, a->capd[i].key, (time_t)a->capd[i].ts);
			i++;
		} else {
			if (kmap_get(&capped, a->plain[j].key, &slot))
				rc = caps_add(cp, a->plain[j].key, (time_t)a->plain[j].ts);
			j++;
		}
	}
	caps_free(cp);
	kmap_release(&capped);
	return rc;
}

size_t audit_checked(const struct audit *a, enum audit_check check)
{
	return a->checked[check];
}

size_t audit_found(const struct audit *a, enum audit_check check)
{
	return a->found[check];
}

size_t audit_found_total(const struct audit *a)
{
	size_t n = 0;
	int i;

	for (i = 0; i < AC_N; i++)
		n += a->found[i];
	return n;
}

const struct audit_finding *audit_findings(const struct audit *a, size_t *n)
{
	*n = a->nfnd;
	return a->fnd;
}
