#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "phone.h"
#include "state.h"
#include "util.h"
#include "banned.h"

const char *const status_names[] = {
	"", "draft", "scheduled", "dialing", "paused", "completed", "failed",
	"archived", NULL
};
const char *const status_labels[] = {
	"-", "Draft", "Scheduled", "Dialing", "Paused", "Completed", "Failed",
	"Archived", NULL
};

enum status status_parse(const char *s)
{
	int i;

	for (i = 1; s && i <= ST_FAILED; i++)
		if (!strcmp(status_names[i], s))
			return (enum status)i;
	return ST_NONE;
}

int state_init(struct cstate *s, const struct audience *aud)
{
	memset(s, 0, sizeof(*s));
	s->aud = aud;
	s->n = aud ? aud->n : 0;
	/* untouched until replayed: a warm tick maps its cache instead */
	s->r = calloc(s->n + 1, sizeof(*s->r));
	if (!s->r)
		return gd_error_set("out of memory");
	mem_hint_huge(s->r, (s->n + 1) * sizeof(*s->r));
	if (!aud)
		return 0;
	/*
	 * Numbers are found through the audience's own index (state_find):
	 * built once and kept with it (and in its cache), which is why a
	 * const audience is asked to build it: nothing a reader sees changes.
	 */
	if (audience_index((struct audience *)aud)) {
		state_release(s);
		return gd_error_set("out of memory");
	}
	return 0;
}

void state_release(struct cstate *s)
{
	if (s->r_map)
		file_unmap(s->r_map);
	else
		free(s->r);
	free(s->skipped_line);
	free(s->fl);
	free(s->analysis);
	if (!s->dl_mapped)
		free(s->dl);
	free(s->infl);
	memset(s, 0, sizeof(*s));
}

long state_find(const struct cstate *s, uint64_t key)
{
	const struct recipient *x = s->aud ? audience_find(s->aud, key) : NULL;

	return x ? (long)(x - s->aud->r) : -1;
}

int rstate_newest(const struct rstate *rs)
{
	return rs->dispatched ? 31 - __builtin_clz((unsigned)rs->dispatched) : 0;
}

size_t state_in_flight(const struct cstate *s)
{
	return s->n_inflight;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Drops entries no longer in flight, and repeats; sorts what is left. */
static void infl_compact(struct cstate *s)
{
	size_t i, j;

	if (!s->ninfl)
		return;
	qsort(s->infl, s->ninfl, sizeof(*s->infl), cmp_u32);
	for (i = j = 0; i < s->ninfl; i++)
		if (s->infl[i] < s->n && RS_INFLIGHT(&s->r[s->infl[i]]) &&
		    (!j || s->infl[j - 1] != s->infl[i]))
			s->infl[j++] = s->infl[i];
	s->ninfl = j;
}

void state_in_flight_list(struct cstate *s, const uint32_t **out, size_t *n)
{
	infl_compact(s);
	*out = s->infl;
	*n = s->ninfl;
}

/* Notes that recipient idx went in flight (was not, is now). */
static void infl_add(struct cstate *s, uint32_t idx)
{
	s->n_inflight++;
	if (s->ninfl == s->infl_alloc) {
		size_t na;
		uint32_t *v;
		if (s->ninfl > 2 * s->n_inflight + 64) {
			infl_compact(s);
			if (s->ninfl < s->infl_alloc)
				goto add;
		}
		na = s->infl_alloc ? s->infl_alloc * 2 : 64;
		if (!(v = realloc(s->infl, na * sizeof(*v))))
			return; /* the count stays right; the list is a hint */
		s->infl = v;
		s->infl_alloc = na;
	}
add:
	s->infl[s->ninfl++] = idx;
}

void state_forget(struct cstate *s)
{
	struct cstate keep = *s;

	free(s->skipped_line);
	free(s->fl);
	free(s->analysis);
	if (!s->dl_mapped)
		free(s->dl);
	free(s->infl);
	memset(s, 0, sizeof(*s));
	s->aud = keep.aud;
	s->r = keep.r;
	s->n = keep.n;
	s->r_map = keep.r_map;
	memset(s->r, 0, s->n * sizeof(*s->r));
}

int rstate_attempts(const struct rstate *rs)
{
	return __builtin_popcount((unsigned)(rs->dispatched & ~rs->free));
}

static void set_skipped_line(struct cstate *s, size_t line)
{
	if (line >= s->skipped_line_max) {
		size_t n = s->skipped_line_max ? s->skipped_line_max : 1024;
		uint8_t *p;
		while (n <= line)
			n *= 2;
		if (!(p = realloc(s->skipped_line, n / 8 + 1)))
			return;
		memset(p + (s->skipped_line_max ? s->skipped_line_max / 8 + 1 : 0), 0,
		       n / 8 + 1 - (s->skipped_line_max ? s->skipped_line_max / 8 + 1 : 0));
		s->skipped_line = p;
		s->skipped_line_max = n;
	}
	s->skipped_line[line / 8] |= (uint8_t)(1u << (line % 8));
}

/* Call ids with an analysis event: a set of their hashes (open addressing). */
static void analysis_add(struct cstate *s, uint64_t h)
{
	size_t i, mask;

	if (!h)
		h = 1;
	if ((s->n_analysis + 1) * 2 > s->analysis_alloc) {
		size_t cap = s->analysis_alloc ? s->analysis_alloc * 2 : 1024, j;
		uint64_t *n = table_calloc(cap, sizeof(*n));
		if (!n)
			return;
		for (j = 0; j < s->analysis_alloc; j++) {
			uint64_t x = s->analysis[j];
			if (!x)
				continue;
			for (i = x & (cap - 1); n[i]; i = (i + 1) & (cap - 1))
				;
			n[i] = x;
		}
		free(s->analysis);
		s->analysis = n;
		s->analysis_alloc = cap;
	}
	mask = s->analysis_alloc - 1;
	for (i = h & mask; s->analysis[i]; i = (i + 1) & mask)
		if (s->analysis[i] == h)
			return;
	s->analysis[i] = h;
	s->n_analysis++;
}

/* Whether the analysis set holds hash h (0 is stored as 1). */
static int analysis_has(const struct cstate *s, uint64_t h)
{
	size_t i, mask;

	if (!h)
		h = 1;
	if (!s->analysis_alloc)
		return 0;
	mask = s->analysis_alloc - 1;
	for (i = h & mask; s->analysis[i]; i = (i + 1) & mask)
		if (s->analysis[i] == h)
			return 1;
	return 0;
}

int state_has_analysis(const struct cstate *s, const char *call_id)
{
	return analysis_has(s, hash_fnv1a(call_id, strlen(call_id)));
}

/*
 * A recording event's attempt id goes into the analysis set under its
 * own key ("recording " + attempt id): a call id never starts so.
 */
static uint64_t recording_hash(const char *attempt_id)
{
	char k[96];
	int n = snprintf(k, sizeof(k), "recording %s", attempt_id);

	return hash_fnv1a(k, n > 0 && (size_t)n < sizeof(k) ? (size_t)n
			  : sizeof(k) - 1);
}

int state_has_recording(const struct cstate *s, const char *attempt_id)
{
	return analysis_has(s, recording_hash(attempt_id));
}

/* The newest of recent[] for key without a recording gets url. */
static void note_recording(struct cstate *s, uint64_t key, const char *url)
{
	size_t i, n = s->n_recent < RECENT_MAX ? s->n_recent : RECENT_MAX;

	if (!url || strlen(url) >= sizeof(s->recent[0].recording))
		return;
	for (i = 0; i < n; i++) { /* newest first */
		struct outcome_rec *r = &s->recent[(s->n_recent - 1 - i) % RECENT_MAX];
		if (r->key == key && !r->recording[0]) {
			snprintf(r->recording, sizeof(r->recording), "%s", url);
			return;
		}
	}
}

/*
 * Placed attempts' call ids, for status queries: appended as the log is
 * read, and compacted (attempts with an outcome dropped) only when the
 * array is full, so replaying millions of events stays linear.
 */
static void flight_compact(struct cstate *s)
{
	size_t i, j;

	for (i = j = 0; i < s->nfl; i++) {
		const struct flight *f = &s->fl[i];
		if (!(s->r[f->idx].done & (1u << f->attempt)))
			s->fl[j++] = *f;
	}
	s->nfl = j;
}

static void flight_set(struct cstate *s, uint32_t idx, int attempt,
		       const char *call_id)
{
	if (s->nfl == s->fl_alloc) {
		flight_compact(s);
		if (s->nfl == s->fl_alloc || s->nfl * 2 > s->fl_alloc) {
			size_t na = s->fl_alloc ? s->fl_alloc * 2 : 64;
			struct flight *p = realloc(s->fl, na * sizeof(*p));
			if (!p)
				return;
			s->fl = p;
			s->fl_alloc = na;
		}
	}
	s->fl[s->nfl].idx = idx;
	s->fl[s->nfl].attempt = (uint8_t)attempt;
	snprintf(s->fl[s->nfl].call_id, sizeof(s->fl[s->nfl].call_id), "%s",
		 call_id ? call_id : "");
	s->nfl++;
}

const char *state_call_id(const struct cstate *s, uint32_t idx, int attempt)
{
	size_t i;

	/* the newest entry wins */
	for (i = s->nfl; i-- > 0;)
		if (s->fl[i].idx == idx && s->fl[i].attempt == attempt)
			return s->fl[i].call_id;
	return NULL;
}

static void note_recent(struct cstate *s, uint64_t key, enum outcome o,
			int duration, int64_t ts, const char *call_id,
			const char *recording)
{
	struct outcome_rec *r = &s->recent[s->n_recent % RECENT_MAX];

	r->key = key;
	r->outcome = (uint8_t)o;
	r->sentiment = 0;
	r->duration_s = duration;
	r->ts = ts;
	snprintf(r->call_id, sizeof(r->call_id), "%s", call_id ? call_id : "");
	/* a link that does not fit is left out rather than cut */
	if (recording && strlen(recording) < sizeof(r->recording))
		snprintf(r->recording, sizeof(r->recording), "%s", recording);
	else
		r->recording[0] = '\0';
	s->n_recent++;
}

static void note_sentiment(struct cstate *s, const char *call_id, uint8_t code)
{
	size_t i, n = s->n_recent < RECENT_MAX ? s->n_recent : RECENT_MAX;

	for (i = 0; i < n; i++)
		if (!strcmp(s->recent[i].call_id, call_id))
			s->recent[i].sentiment = code;
}

/* The fields of one log line, found in a single pass over its members. */
struct line {
	const char *ev, *ts, *aid, *call_id, *outcome, *status, *reason;
	const char *phone, *sentiment, *kind, *recording;
	const cJSON *row, *duration, *answered;
};

static void line_fields(struct line *l, const cJSON *o)
{
	const cJSON *c;

	memset(l, 0, sizeof(*l));
	for (c = o ? o->child : NULL; c; c = c->next) {
		const char *k = c->string, *v = cJSON_IsString(c) ? c->valuestring : NULL;
		if (!k)
			continue;
		switch (k[0]) {
		case 'a':
			if (!strcmp(k, "attempt_id")) l->aid = v;
			else if (!strcmp(k, "answered")) l->answered = c;
			break;
		case 'c':
			if (!strcmp(k, "call_id")) l->call_id = v;
			break;
		case 'd':
			if (!strcmp(k, "duration_s")) l->duration = c;
			break;
		case 'e':
			if (!strcmp(k, "event")) l->ev = v;
			else if (!strcmp(k, "error"))
				l->kind = cJSON_GetStringValue(
					cJSON_GetObjectItemCaseSensitive(c, "kind"));
			break;
		case 'o':
			if (!strcmp(k, "outcome")) l->outcome = v;
			break;
		case 'p':
			if (!strcmp(k, "phone")) l->phone = v;
			break;
		case 'r':
			if (!strcmp(k, "row")) l->row = c;
			else if (!strcmp(k, "reason")) l->reason = v;
			else if (!strcmp(k, "recording_url")) l->recording = v;
			break;
		case 's':
			if (!strcmp(k, "status")) l->status = v;
			else if (!strcmp(k, "sentiment")) l->sentiment = v;
			break;
		case 't':
			if (!strcmp(k, "ts")) l->ts = v;
			break;
		}
	}
}

/* True for the reason of a pause the runner made itself. */
static int runner_pause(const char *reason)
{
	return reason &&
	       (!strncmp(reason, BREAKER_PREFIX, strlen(BREAKER_PREFIX)) ||
		!strncmp(reason, ACCOUNT_PREFIX, strlen(ACCOUNT_PREFIX)));
}

static enum ev_kind ev_kind(const char *ev)
{
	switch (ev[0]) {
	case 'd': return !strcmp(ev, "dispatched") ? EV_DISPATCHED : EV_OTHER;
	case 'p': return !strcmp(ev, "placed") ? EV_PLACED : EV_OTHER;
	case 'o': return !strcmp(ev, "outcome") ? EV_OUTCOME : EV_OTHER;
	case 's': return !strcmp(ev, "skipped") ? EV_SKIPPED
		: !strcmp(ev, "status") ? EV_STATUS : EV_OTHER;
	case 'a': return !strcmp(ev, "analysis") ? EV_ANALYSIS : EV_OTHER;
	case 'r': return !strcmp(ev, "recording") ? EV_RECORDING : EV_OTHER;
	}
	return EV_OTHER;
}

enum err_kind err_kind_parse(const char *kind)
{
	static const struct { const char *name; enum err_kind k; } kinds[] = {
		{ "invalid_number", EK_INVALID_NUMBER },
		{ "declined", EK_DECLINED },
		{ "rate_limited", EK_RATE_LIMITED },
		{ "transient", EK_TRANSIENT },
		{ "account", EK_ACCOUNT },
		{ "rejected", EK_REJECTED },
		{ "auth", EK_AUTH },
		{ "no_call_permission", EK_NO_CALL_PERMISSION },
	};
	size_t i;

	if (!kind)
		return EK_NONE;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].name))
			return kinds[i].k;
	return EK_OTHER;
}

/* What an outcome's error.kind does to the recipient and the breaker. */
static uint8_t err_class(const char *kind)
{
	switch (err_kind_parse(kind)) {
	case EK_NONE:
		return ERRC_NONE;
	/* a number that cannot be called, or a person who declined (SIP
	 * 603/607): done for good, and nothing wrong with the provider */
	case EK_INVALID_NUMBER:
	case EK_DECLINED:
		return ERRC_INVALID;
	case EK_RATE_LIMITED:
	case EK_TRANSIENT:
	case EK_ACCOUNT:
		return ERRC_FREE;
	/* refused for the whole campaign (the tick fails it) */
	case EK_REJECTED:
	case EK_AUTH:
		return ERRC_CAMPAIGN;
	case EK_NO_CALL_PERMISSION:
		return ERRC_DEAD;
	case EK_OTHER:
		break;
	}
	return ERRC_OTHER;
}

static uint8_t sentiment_code(const char *sent)
{
	return !strcmp(sent, "positive") ? 1 : !strcmp(sent, "neutral") ? 2
		: !strcmp(sent, "negative") ? 3 : 0;
}

/* Copies str into the pool; its 1-based offset, 0 for none (or no memory). */
static uint32_t pool_put(struct ev_pool *p, const char *str)
{
	size_t n;
	uint32_t at;

	if (!str)
		return 0;
	n = strlen(str) + 1;
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *q;
		while (cap < p->len + n)
			cap *= 2;
		if (cap > UINT32_MAX || !(q = realloc(p->p, cap)))
			return 0;
		p->p = q;
		p->cap = cap;
	}
	memcpy(p->p + p->len, str, n);
	at = (uint32_t)p->len + 1;
	p->len += n;
	return at;
}

static const char *pool_str(const struct ev_pool *p, uint32_t at)
{
	return at ? p->p + at - 1 : NULL;
}

void ev_pool_release(struct ev_pool *p)
{
	free(p->p);
	memset(p, 0, sizeof(*p));
}

void state_parse(struct ev *e, struct ev_pool *pool, const char *line, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	struct line l;
	time_t ts = 0;
	uint64_t key;
	int n;

	memset(e, 0, sizeof(*e));
	line_fields(&l, o);
	if (!l.ev || !l.ts || time_parse_rfc3339(&ts, l.ts)) {
		e->kind = EV_BAD;
		goto done;
	}
	e->ts = ts;
	e->kind = (uint8_t)ev_kind(l.ev);
	switch (e->kind) {
	case EV_DISPATCHED:
	case EV_PLACED:
	case EV_OUTCOME:
		if (attempt_id_parse(l.aid, &key, &n) == 0) {
			e->key = key;
			e->attempt = (uint8_t)n;
		}
		/* a claim's row: for validate, which holds it to the audience */
		if (e->kind == EV_DISPATCHED && cJSON_IsNumber(l.row) &&
		    l.row->valuedouble >= 1 && l.row->valuedouble < 4e9) {
			e->has_row = 1;
			e->row = (uint32_t)l.row->valuedouble;
		}
		if (e->kind == EV_PLACED)
			e->call_id = pool_put(pool, l.call_id);
		if (e->kind != EV_OUTCOME)
			break;
		e->outcome = (uint8_t)outcome_parse(l.outcome);
		/* clamp before casting: a log line is outside input */
		e->duration = cJSON_IsNumber(l.duration) &&
			l.duration->valuedouble >= 0 && l.duration->valuedouble < 1e7
			? (int32_t)l.duration->valuedouble : 0;
		e->answered = cJSON_IsTrue(l.answered) ? 1 : 0;
		e->err = err_class(l.kind);
		e->call_id = pool_put(pool, l.call_id);
		e->recording = pool_put(pool, l.recording);
		break;
	case EV_SKIPPED:
		e->key = l.phone ? phone_key(l.phone) : 0;
		e->reason = pool_put(pool, l.reason);
		/* a row outside what a file can have is no row */
		if (cJSON_IsNumber(l.row) && l.row->valuedouble >= 1 &&
		    l.row->valuedouble < 4e9) {
			e->has_row = 1;
			e->row = (uint32_t)l.row->valuedouble;
		}
		break;
	case EV_STATUS:
		e->status = (uint8_t)status_parse(l.status);
		e->reason = pool_put(pool, l.reason);
		break;
	case EV_RECORDING:
		if (attempt_id_parse(l.aid, &key, &n) == 0) {
			e->key = key;
			e->attempt = (uint8_t)n;
			e->call_id = pool_put(pool, l.aid); /* the set's key */
			e->recording = pool_put(pool, l.recording);
		}
		break;
	case EV_ANALYSIS:
		if (!l.call_id)
			break;
		e->call_id = pool_put(pool, l.call_id);
		if (l.sentiment) {
			e->has_sentiment = 1;
			e->sentiment = sentiment_code(l.sentiment);
		}
		break;
	}
done:
	cJSON_Delete(o);
}

/* Keeps the newest BREAKER_WINDOW attempt results, newest first. */
static void brk_note(struct cstate *s, int64_t ts, int failed)
{
	uint32_t at, i;

	for (at = 0; at < s->n_brk && s->brk[at].ts >= ts; at++)
		;
	if (at >= BREAKER_WINDOW)
		return;
	for (i = s->n_brk < BREAKER_WINDOW ? s->n_brk : BREAKER_WINDOW - 1; i > at; i--)
		s->brk[i] = s->brk[i - 1];
	s->brk[at].ts = ts;
	s->brk[at].failed = failed;
	if (s->n_brk < BREAKER_WINDOW)
		s->n_brk++;
}

/* apply_attempt's changes to recipient rs (index idx), attempt n. */
static void apply_bits(struct cstate *s, const struct ev *e,
		       const struct ev_pool *pool, struct rstate *rs, long idx,
		       int n, uint16_t bit)
{
	int64_t ts = e->ts;

	if (e->kind == EV_DISPATCHED) {
		if (s->ndl == s->dl_alloc) {
			/* first room for a claim per recipient: growing by
			 * doubling copied megabytes into fresh pages */
			size_t na = s->dl_alloc ? s->dl_alloc * 2 : s->n > 64 ? s->n : 64;
			struct dlog *v = s->dl_mapped ? malloc(na * sizeof(*v))
				: realloc(s->dl, na * sizeof(*v));
			if (v && s->dl_mapped) {
				/* the cache's room is full: the log moves out */
				memcpy(v, s->dl, s->ndl * sizeof(*v));
				s->dl_mapped = 0;
			}
			if (v) {
				mem_hint_huge(v + s->dl_alloc,
					      (na - s->dl_alloc) * sizeof(*v));
				s->dl = v;
				s->dl_alloc = na;
			}
		}
		if (s->ndl < s->dl_alloc && s->ndl < UINT32_MAX && ts > 0 &&
		    ts < 4294967296LL) {
			s->dl[s->ndl].ts = (uint32_t)ts;
			s->dl[s->ndl].prev = rs->dl_last;
			rs->dl_last = (uint32_t)++s->ndl;
		}
		rs->dispatched |= bit;
		if (ts >= rs->dispatched_at)
			rs->dispatched_at = ts;
		s->n_dispatched++;
		s->ever_dialed = 1;
	} else if (e->kind == EV_PLACED) {
		rs->placed |= bit;
		rs->dispatched |= bit;
		if (ts >= rs->placed_at)
			rs->placed_at = ts;
		if (!(rs->done & bit))
			flight_set(s, (uint32_t)idx, n, pool_str(pool, e->call_id));
	} else { /* outcome */
		enum outcome oc = (enum outcome)e->outcome;
		if (rs->done & bit)
			return; /* the first outcome of an attempt stands */
		rs->done |= bit;
		rs->dispatched |= bit;
		if (oc == OUT_NONE)
			oc = OUT_FAILED;
		if (e->err == ERRC_FREE)
			rs->free |= bit;
		if (e->err == ERRC_INVALID || e->err == ERRC_DEAD)
			rs->dead = 1;
		/* refused for the campaign: ended with it, unless a resumption
		 * of the Failed campaign came after (either order of lines) */
		if (e->err == ERRC_CAMPAIGN && ts <= s->revive_ts)
			rs->free |= bit;
		else if (e->err == ERRC_CAMPAIGN && !rs->dead)
			rs->dead = RS_DEAD_CAMPAIGN;
		if (e->err != ERRC_NONE)
			s->n_provider_failed++;
		/* the breaker counts failures of the provider or the transport:
		 * an error other than the number's own, or a failed call */
		brk_note(s, ts, (e->err != ERRC_NONE && e->err != ERRC_INVALID) ||
				(e->err == ERRC_NONE && oc == OUT_FAILED));
		if (n >= rs->last_attempt) {
			rs->last_attempt = (uint8_t)n;
			rs->last_outcome = (uint8_t)oc;
			rs->last_end = ts;
		}
		s->n_outcomes++;
		if (oc == OUT_CONNECTED || oc == OUT_HANGUP)
			s->n_connected++;
		if (e->answered)
			s->n_answered++;
		if (oc == OUT_NO_ANSWER || oc == OUT_BUSY || oc == OUT_VOICEMAIL)
			s->n_noanswer++;
		if (oc == OUT_FAILED)
			s->n_failed_calls++;
		note_recent(s, e->key, oc, e->duration, ts, pool_str(pool, e->call_id),
			    pool_str(pool, e->recording));
	}
}

/* The recipient an event names (by its key), or -1. */
static long ev_index(const struct cstate *s, const struct ev *e)
{
	return e->key ? state_find(s, e->key) : -1;
}

/* An attempt's event for recipient idx (ev_index). */
static void apply_attempt(struct cstate *s, const struct ev *e,
			  const struct ev_pool *pool, long idx)
{
	int n = e->attempt, was;
	struct rstate *rs;
	uint16_t bit;

	if (!n || idx < 0) {
		s->unknown++;
		return;
	}
	rs = &s->r[idx];
	bit = (uint16_t)(1u << n);
	was = RS_INFLIGHT(rs) != 0;
	apply_bits(s, e, pool, rs, idx, n, bit);
	if (!was && RS_INFLIGHT(rs))
		infl_add(s, (uint32_t)idx);
	else if (was && !RS_INFLIGHT(rs))
		s->n_inflight--;
}

/* Counts one skip event under its reason. */
static void skip_why_note(struct cstate *s, const char *why)
{
	struct skip_why *w = s->skip_why;
	size_t i;

	if (!why || !*why)
		why = "unknown";
	if (strlen(why) >= sizeof(w->why))
		why = "other";
	for (i = 0; i < SKIP_WHY_MAX - 1; i++) {
		if (!w[i].why[0])
			snprintf(w[i].why, sizeof(w[i].why), "%s", why);
		if (!strcmp(w[i].why, why)) {
			w[i].n++;
			return;
		}
	}
	snprintf(w[i].why, sizeof(w[i].why), "other");
	w[i].n++;
}

/*
 * A Failed campaign resumed at ts: recipients whose newest attempt was
 * refused for the campaign at or before ts are dialed again, that
 * attempt no longer counting.
 */
static void revive(struct cstate *s, int64_t ts)
{
	size_t i;

	s->revive_ts = ts;
	for (i = 0; i < s->n; i++) {
		struct rstate *rs = &s->r[i];
		if (rs->dead == RS_DEAD_CAMPAIGN && rs->last_end <= ts) {
			rs->dead = 0;
			rs->free |= (uint16_t)(1u << rs->last_attempt);
		}
	}
}

/* state_apply_ev, the recipient e names found already (ev_index). */
static void apply_ev_at(struct cstate *s, const struct ev *e,
			const struct ev_pool *pool, long idx)
{
	int64_t ts = e->ts;

	s->events++;
	if (e->kind == EV_BAD) {
		s->bad_lines++;
		return;
	}
	if (!s->first_ts || ts < s->first_ts)
		s->first_ts = ts;
	if (ts > s->last_ts)
		s->last_ts = ts;
	switch (e->kind) {
	case EV_DISPATCHED:
	case EV_PLACED:
	case EV_OUTCOME:
		apply_attempt(s, e, pool, idx);
		break;
	case EV_SKIPPED: {
		if (e->has_row && e->row < 1000000000u)
			set_skipped_line(s, e->row);
		if (idx >= 0 && e->has_row && s->aud->r[idx].line == e->row)
			s->r[idx].skipped = 1;
		s->n_skipped++;
		skip_why_note(s, pool_str(pool, e->reason));
		break;
	}
	case EV_STATUS: {
		enum status st = (enum status)e->status;
		const char *reason = pool_str(pool, e->reason);
		/* any status but the breaker's own starts its count afresh */
		if (st != ST_NONE && ts > s->brk_since &&
		    !(st == ST_PAUSED && reason &&
		      !strncmp(reason, BREAKER_PREFIX, strlen(BREAKER_PREFIX))))
			s->brk_since = ts;
		/*
		 * Newest wins. Log files of one second sort by their tags
		 * (commit ids), so a tie is in no meaningful order: then a
		 * final status (completed, failed) beats one that is not.
		 */
		int fin_old = s->logged == ST_COMPLETED || s->logged == ST_FAILED;
		int fin_new = st == ST_COMPLETED || st == ST_FAILED;
		/*
		 * A pause the runner made (breaker, account) is written by
		 * the same tick as the status it ends, in the same second:
		 * at a tie it beats any status but a final one.
		 */
		int rp_old = s->logged == ST_PAUSED && runner_pause(s->logged_reason);
		int rp_new = st == ST_PAUSED && runner_pause(reason);
		if (st != ST_NONE && st != ST_COMPLETED && st != ST_FAILED &&
		    reason && ts > s->revive_ts &&
		    !strncmp(reason, RESUMED_FAILED_PREFIX,
			     strlen(RESUMED_FAILED_PREFIX)))
			revive(s, ts);
		if (st != ST_NONE && (ts > s->logged_ts ||
				      (ts == s->logged_ts && (fin_new ||
					(!fin_old && (rp_new || !rp_old)))))) {
			s->logged = st;
			s->logged_ts = ts;
			snprintf(s->logged_reason, sizeof(s->logged_reason), "%s",
				 reason ? reason : "");

		}
		break;
	}
	case EV_RECORDING: {
		const char *aid = pool_str(pool, e->call_id);
		if (aid) {
			uint64_t h = recording_hash(aid);
			analysis_add(s, h ? h : 1);
			note_recording(s, e->key, pool_str(pool, e->recording));
		}
		break;
	}
	case EV_ANALYSIS: {
		const char *call_id = pool_str(pool, e->call_id);
		if (call_id) {
			analysis_add(s, hash_fnv1a(call_id, strlen(call_id)));
			if (e->has_sentiment)
				note_sentiment(s, call_id, e->sentiment);
		}
		break;
	}
	default:
		s->unknown++;
	}
}

void state_apply_ev(struct cstate *s, const struct ev *e,
		    const struct ev_pool *pool)
{
	apply_ev_at(s, e, pool, ev_index(s, e));
}

void state_apply(struct cstate *s, const char *line, size_t len)
{
	static _Thread_local struct ev_pool pool;
	struct ev e;

	pool.len = 0;
	state_parse(&e, &pool, line, len);
	state_apply_ev(s, &e, &pool);
}

/*
 * A log's events name recipients in no useful order: each apply misses
 * the caches twice (the audience's index, then the recipient's state).
 * So the index slot of the event AHEAD_FAR further on is fetched, and the
 * event AHEAD_NEAR further on (whose slot is in cache by then) is looked
 * up and its state fetched, while this one is applied with the recipient
 * found AHEAD_NEAR events ago.
 */
#define AHEAD_FAR 16
#define AHEAD_NEAR 8

void state_apply_evs(struct cstate *s, const struct ev *v, size_t n,
		     const struct ev_pool *pool)
{
	long near[AHEAD_NEAR]; /* the recipients of the events ahead */
	size_t k;

	/* without an index a find is a scan: nothing to fetch ahead */
	if (!s->aud || !s->aud->idx_cap) {
		for (k = 0; k < n; k++)
			state_apply_ev(s, &v[k], pool);
		return;
	}
	for (k = 0; k < n && k < AHEAD_NEAR; k++)
		near[k] = ev_index(s, &v[k]);
	for (k = 0; k < n; k++) {
		long idx = near[k % AHEAD_NEAR];
		if (k + AHEAD_FAR < n && v[k + AHEAD_FAR].key)
			audience_prefetch(s->aud, v[k + AHEAD_FAR].key);
		if (k + AHEAD_NEAR < n) {
			long j = ev_index(s, &v[k + AHEAD_NEAR]);
			near[k % AHEAD_NEAR] = j;
			if (j >= 0)
				__builtin_prefetch(&s->r[j], 1);
		}
		apply_ev_at(s, &v[k], pool, idx);
	}
}

size_t state_claims(const struct cstate *s, size_t idx, size_t upto,
		    time_t from, time_t to)
{
	size_t n = 0;
	uint32_t k;

	if (idx >= s->n)
		return 0;
	/* newer links first; each points strictly backwards (a cache file
	 * is outside input: anything else ends the walk) */
	for (k = s->r[idx].dl_last; k && k <= s->ndl; k = s->dl[k - 1].prev) {
		const struct dlog *x = &s->dl[k - 1];
		if (k <= upto && (time_t)x->ts > from && (time_t)x->ts <= to)
			n++;
		if (x->prev >= k)
			break;
	}
	return n;
}

enum elig rstate_eligible(const struct campaign *c, const struct rstate *rs,
			  time_t now, time_t *when)
{
	int used = rstate_attempts(rs);
	time_t at;

	*when = now;
	if (RS_INFLIGHT(rs))
		return EL_INFLIGHT;
	if (rs->skipped || rs->dead)
		return EL_TERMINAL;
	if (!rs->dispatched)
		return EL_NOW;
	/* the newest attempt ended without counting: try again shortly */
	if (rs->free & (1u << rs->last_attempt)) {
		if (rs->last_attempt >= ATTEMPTS_MAX)
			return EL_TERMINAL;
		at = (time_t)rs->last_end + 60;
		*when = at;
		return now >= at ? EL_NOW : EL_WAIT;
	}
	if (!(c->retry_on & (1u << rs->last_outcome)) ||
	    used >= 1 + c->retries_max || rs->last_attempt >= ATTEMPTS_MAX)
		return EL_TERMINAL;
	at = (time_t)rs->last_end + campaign_cooldown_s(c, used);
	*when = at;
	return now >= at ? EL_NOW : EL_WAIT;
}

int state_breaker(const struct cstate *s, int *failed, int *of)
{
	uint32_t i;

	*failed = *of = 0;
	for (i = 0; i < s->n_brk && s->brk[i].ts >= s->brk_since; i++) {
		(*of)++;
		*failed += s->brk[i].failed != 0;
	}
	return *of >= BREAKER_WINDOW && *failed >= BREAKER_FAILED;
}

int state_breaker_paused(const struct cstate *s)
{
	return s->logged == ST_PAUSED && runner_pause(s->logged_reason);
}

int state_all_terminal(const struct campaign *c, const struct cstate *s,
		       time_t now)
{
	size_t i;
	time_t when;

	for (i = 0; i < s->n; i++)
		if (rstate_eligible(c, &s->r[i], now, &when) != EL_TERMINAL)
			return 0;
	return 1;
}

enum status state_effective(const struct campaign *c, const struct cstate *s,
			    time_t now)
{
	if (s->logged == ST_COMPLETED || s->logged == ST_FAILED)
		return s->logged;
	if (c->desired == WANT_DRAFT)
		return ST_DRAFT;
	if (c->desired == WANT_PAUSED)
		return ST_PAUSED;
	/* a pause the runner made itself (circuit breaker) holds until resumed */
	if (state_breaker_paused(s))
		return ST_PAUSED;
	if (!c->start_at || now < c->start_at)
		return ST_SCHEDULED;
	return ST_DIALING;
}

enum status state_shown(const struct campaign *c, const struct cstate *s,
			time_t now, int archived)
{
	enum status st = state_effective(c, s, now);

	if (st == ST_COMPLETED || st == ST_FAILED)
		return st;
	if (archived)
		return ST_ARCHIVED;
	/* due, but never started: no tick has logged it dialing yet */
	if (st == ST_DIALING && !s->ever_dialed &&
	    (s->logged == ST_NONE || s->logged == ST_DRAFT ||
	     s->logged == ST_SCHEDULED))
		return ST_SCHEDULED;
	return st;
}
