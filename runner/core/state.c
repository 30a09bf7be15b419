#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "state.h"
#include "util.h"
#include "banned.h"

const char *const status_names[] = {
	"", "draft", "scheduled", "dialing", "paused", "completed", "failed", NULL
};
const char *const status_labels[] = {
	"-", "Draft", "Scheduled", "Dialing", "Paused", "Completed", "Failed", NULL
};

enum status status_parse(const char *s)
{
	int i;

	for (i = 1; s && status_names[i]; i++)
		if (!strcmp(status_names[i], s))
			return (enum status)i;
	return ST_NONE;
}

static size_t slot(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: the high bits of the product */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - __builtin_ctzll(cap)));
}

int state_init(struct cstate *s, const struct audience *aud)
{
	size_t i, cap = 16;

	memset(s, 0, sizeof(*s));
	s->aud = aud;
	s->n = aud ? aud->n : 0;
	while (cap < s->n * 2 + 2)
		cap *= 2;
	s->r = calloc(s->n + 1, sizeof(*s->r));
	s->map_key = table_calloc(cap, sizeof(*s->map_key));
	s->map_idx = table_calloc(cap, sizeof(*s->map_idx));
	if (!s->r || !s->map_key || !s->map_idx) {
		state_release(s);
		return gd_error_set("out of memory");
	}
	s->map_cap = cap;
	for (i = 0; i < s->n; i++) {
		size_t j = slot(aud->r[i].key, cap);
		while (s->map_key[j])
			j = (j + 1) & (cap - 1);
		s->map_key[j] = aud->r[i].key;
		s->map_idx[j] = (uint32_t)i;
	}
	return 0;
}

void state_release(struct cstate *s)
{
	free(s->r);
	free(s->map_key);
	free(s->map_idx);
	free(s->skipped_line);
	free(s->fl);
	free(s->analysis);
	memset(s, 0, sizeof(*s));
}

long state_find(const struct cstate *s, uint64_t key)
{
	size_t j;

	if (!s->map_cap || !key)
		return -1;
	for (j = slot(key, s->map_cap); s->map_key[j]; j = (j + 1) & (s->map_cap - 1))
		if (s->map_key[j] == key)
			return s->map_idx[j];
	return -1;
}

int attempt_id_parse(const char *id, uint64_t *key, int *attempt)
{
	const char *last, *prev;
	char *end;
	unsigned long long k;
	long n;

	if (!id || !(last = strrchr(id, '.')) || last == id)
		return -1;
	for (prev = last - 1; prev > id && *prev != '.'; prev--)
		;
	if (*prev != '.')
		return -1;
	k = strtoull(prev + 1, &end, 10);
	if (end != last || k == 0)
		return -1;
	n = strtol(last + 1, &end, 10);
	if (*end || n < 1 || n > ATTEMPTS_MAX)
		return -1;
	*key = k;
	*attempt = (int)n;
	return 0;
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

static int push_u64(uint64_t **v, size_t *n, size_t *alloc, uint64_t x)
{
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 64;
		uint64_t *p = realloc(*v, na * sizeof(*p));
		if (!p)
			return -1;
		*v = p;
		*alloc = na;
	}
	(*v)[(*n)++] = x;
	return 0;
}

int state_has_analysis(const struct cstate *s, const char *call_id)
{
	uint64_t h = hash_fnv1a(call_id, strlen(call_id));
	size_t i;

	for (i = 0; i < s->n_analysis; i++)
		if (s->analysis[i] == h)
			return 1;
	return 0;
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
			int duration, int64_t ts, const char *call_id)
{
	struct outcome_rec *r = &s->recent[s->n_recent % RECENT_MAX];

	r->key = key;
	r->outcome = (uint8_t)o;
	r->sentiment = 0;
	r->duration_s = duration;
	r->ts = ts;
	snprintf(r->call_id, sizeof(r->call_id), "%s", call_id ? call_id : "");
	s->n_recent++;
}

static void note_sentiment(struct cstate *s, const char *call_id, const char *sent)
{
	size_t i, n = s->n_recent < RECENT_MAX ? s->n_recent : RECENT_MAX;

	for (i = 0; i < n; i++)
		if (!strcmp(s->recent[i].call_id, call_id))
			s->recent[i].sentiment = !strcmp(sent, "positive") ? 1
				: !strcmp(sent, "neutral") ? 2
				: !strcmp(sent, "negative") ? 3 : 0;
}

static void apply_attempt(struct cstate *s, const char *ev, const cJSON *o,
			  int64_t ts)
{
	const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "attempt_id"));
	const char *call_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "call_id"));
	uint64_t key;
	int n;
	long idx;
	struct rstate *rs;
	uint16_t bit;

	if (attempt_id_parse(aid, &key, &n) || (idx = state_find(s, key)) < 0) {
		s->unknown++;
		return;
	}
	rs = &s->r[idx];
	bit = (uint16_t)(1u << n);
	if (!strcmp(ev, "dispatched")) {
		rs->dispatched |= bit;
		if (ts >= rs->dispatched_at)
			rs->dispatched_at = ts;
		s->n_dispatched++;
		s->ever_dialed = 1;
	} else if (!strcmp(ev, "placed")) {
		rs->placed |= bit;
		rs->dispatched |= bit;
		if (ts >= rs->placed_at)
			rs->placed_at = ts;
		if (!(rs->done & bit))
			flight_set(s, (uint32_t)idx, n, call_id);
	} else { /* outcome */
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "kind"));
		enum outcome oc = outcome_parse(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "outcome")));
		const cJSON *dur = cJSON_GetObjectItemCaseSensitive(o, "duration_s");
		int d = cJSON_IsNumber(dur) ? (int)dur->valuedouble : 0;
		if (rs->done & bit)
			return; /* the first outcome of an attempt stands */
		rs->done |= bit;
		rs->dispatched |= bit;
		if (oc == OUT_NONE)
			oc = OUT_FAILED;
		if (kind && (!strcmp(kind, "rate_limited") || !strcmp(kind, "transient")))
			rs->free |= bit;
		if (kind && (!strcmp(kind, "invalid_number") || !strcmp(kind, "rejected")))
			rs->dead = 1;
		if (kind)
			s->n_provider_failed++;
		if (n >= rs->last_attempt) {
			rs->last_attempt = (uint8_t)n;
			rs->last_outcome = (uint8_t)oc;
			rs->last_end = ts;
		}
		s->n_outcomes++;
		if (oc == OUT_CONNECTED || oc == OUT_HANGUP)
			s->n_connected++;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "answered")))
			s->n_answered++;
		if (oc == OUT_NO_ANSWER || oc == OUT_BUSY || oc == OUT_VOICEMAIL)
			s->n_noanswer++;
		if (oc == OUT_FAILED)
			s->n_failed_calls++;
		note_recent(s, key, oc, d, ts, call_id);
	}
}

void state_apply(struct cstate *s, const char *line, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	const char *ev, *ts_s;
	time_t ts = 0;

	s->events++;
	ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
	ts_s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts"));
	if (!ev || !ts_s || time_parse_rfc3339(&ts, ts_s)) {
		s->bad_lines++;
		goto done;
	}
	if (!s->first_ts || ts < s->first_ts)
		s->first_ts = ts;
	if (ts > s->last_ts)
		s->last_ts = ts;
	if (!strcmp(ev, "dispatched") || !strcmp(ev, "placed") ||
	    !strcmp(ev, "outcome")) {
		apply_attempt(s, ev, o, ts);
	} else if (!strcmp(ev, "skipped")) {
		const cJSON *row = cJSON_GetObjectItemCaseSensitive(o, "row");
		const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "phone"));
		long idx = ph ? state_find(s, phone_key(ph)) : -1;
		if (cJSON_IsNumber(row) && row->valuedouble >= 1 &&
		    row->valuedouble < 1e9)
			set_skipped_line(s, (size_t)row->valuedouble);
		if (idx >= 0 && cJSON_IsNumber(row) &&
		    s->aud->r[idx].line == (uint32_t)row->valuedouble)
			s->r[idx].skipped = 1;
		s->n_skipped++;
	} else if (!strcmp(ev, "status")) {
		enum status st = status_parse(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "status")));
		const char *why = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "reason"));
		if (st != ST_NONE && ts >= s->logged_ts) {
			s->logged = st;
			s->logged_ts = ts;
			snprintf(s->logged_reason, sizeof(s->logged_reason), "%s",
				 why ? why : "");
		}
	} else if (!strcmp(ev, "analysis")) {
		const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "call_id"));
		const char *sent = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "sentiment"));
		if (cid) {
			push_u64(&s->analysis, &s->n_analysis, &s->analysis_alloc,
				 hash_fnv1a(cid, strlen(cid)));
			if (sent)
				note_sentiment(s, cid, sent);
		}
	} else {
		s->unknown++;
	}
done:
	cJSON_Delete(o);
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
	if (s->logged == ST_PAUSED && !strncmp(s->logged_reason, "breaker:", 8))
		return ST_PAUSED;
	if (!c->start_at || now < c->start_at)
		return ST_SCHEDULED;
	return ST_DIALING;
}
