#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bio.h"
#include "buf.h"
#include "cache.h"
#include "err.h"
#include "ledger.h"
#include "util.h"
#include "banned.h"

#define CACHE_MAGIC "GDSTATE7"
#define CACHE_ALIGN 64 /* the recipients' array starts aligned: it is used in place */
#define CACHE_SAVE_FILES 48 /* new log files replayed before the cache is rewritten */
/* room for claims after the saved ones, so a warm tick appends in place */
#define CACHE_DL_ROOM 16384

/*
 * The state's own values as the file holds them, field by field, in
 * fixed widths: no pointer, no size_t, nothing whose meaning is this
 * process's. The arrays the state points to follow the head, each as
 * long as the head says. A field added to struct cstate that is not
 * derived from the arrays must be added here, in saved_put and in
 * saved_get (t-tick-cache then compares warm and cold ticks).
 */
struct saved {
	uint64_t n, skipped_line_max;
	int64_t logged_ts, first_ts, last_ts, revive_ts, brk_since;
	uint64_t n_analysis;
	uint64_t events, bad_lines, unknown;
	uint64_t n_connected, n_answered, n_noanswer, n_failed_calls;
	uint64_t n_outcomes, n_dispatched, n_skipped, n_provider_failed;
	uint64_t n_inflight, n_recent;
	int32_t logged, ever_dialed;
	uint32_t n_brk;
	char logged_reason[256];
	struct skip_why skip_why[SKIP_WHY_MAX];
	struct brk_rec brk[BREAKER_WINDOW];
	struct outcome_rec recent[RECENT_MAX];
};

#if defined(__x86_64__) && defined(__LP64__)
/* a tripwire: a field added to struct cstate must be saved (or be one
 * rebuilt from the arrays), then this size updated */
_Static_assert(sizeof(struct cstate) == 14912,
	       "struct cstate changed: update struct saved in cache.c");
#endif

static void saved_put(struct saved *v, const struct cstate *st)
{
	memset(v, 0, sizeof(*v));
	v->n = st->n;
	v->skipped_line_max = st->skipped_line_max;
	v->logged = (int32_t)st->logged;
	memcpy(v->logged_reason, st->logged_reason, sizeof(v->logged_reason));
	v->logged_ts = st->logged_ts;
	v->first_ts = st->first_ts;
	v->last_ts = st->last_ts;
	v->ever_dialed = st->ever_dialed;
	v->n_analysis = st->n_analysis;
	v->events = st->events;
	v->bad_lines = st->bad_lines;
	v->unknown = st->unknown;
	v->n_connected = st->n_connected;
	v->n_answered = st->n_answered;
	v->n_noanswer = st->n_noanswer;
	v->n_failed_calls = st->n_failed_calls;
	v->n_outcomes = st->n_outcomes;
	v->n_dispatched = st->n_dispatched;
	v->n_skipped = st->n_skipped;
	v->n_provider_failed = st->n_provider_failed;
	memcpy(v->skip_why, st->skip_why, sizeof(v->skip_why));
	v->revive_ts = st->revive_ts;
	v->n_inflight = st->n_inflight;
	memcpy(v->brk, st->brk, sizeof(v->brk));
	v->n_brk = st->n_brk;
	v->brk_since = st->brk_since;
	memcpy(v->recent, st->recent, sizeof(v->recent));
	v->n_recent = st->n_recent;
}

/* The reverse of saved_put, into a state fresh from state_init. */
static void saved_get(struct cstate *st, const struct saved *v)
{
	st->skipped_line_max = (size_t)v->skipped_line_max;
	st->logged = (enum status)v->logged;
	memcpy(st->logged_reason, v->logged_reason, sizeof(st->logged_reason));
	st->logged_reason[sizeof(st->logged_reason) - 1] = '\0';
	st->logged_ts = v->logged_ts;
	st->first_ts = v->first_ts;
	st->last_ts = v->last_ts;
	st->ever_dialed = v->ever_dialed;
	st->n_analysis = (size_t)v->n_analysis;
	st->events = (size_t)v->events;
	st->bad_lines = (size_t)v->bad_lines;
	st->unknown = (size_t)v->unknown;
	st->n_connected = (size_t)v->n_connected;
	st->n_answered = (size_t)v->n_answered;
	st->n_noanswer = (size_t)v->n_noanswer;
	st->n_failed_calls = (size_t)v->n_failed_calls;
	st->n_outcomes = (size_t)v->n_outcomes;
	st->n_dispatched = (size_t)v->n_dispatched;
	st->n_skipped = (size_t)v->n_skipped;
	st->n_provider_failed = (size_t)v->n_provider_failed;
	memcpy(st->skip_why, v->skip_why, sizeof(st->skip_why));
	st->revive_ts = v->revive_ts;
	st->n_inflight = (size_t)v->n_inflight;
	memcpy(st->brk, v->brk, sizeof(st->brk));
	st->n_brk = v->n_brk;
	st->brk_since = v->brk_since;
	memcpy(st->recent, v->recent, sizeof(st->recent));
	st->n_recent = (size_t)v->n_recent;
}

struct head {
	char magic[8];
	uint32_t sizeof_saved, sizeof_rstate, sizeof_flight;
	char key[128];
	char log[48]; /* the ledger_id of the log the state is of */
	uint64_t n, skipped_bytes, nfl, analysis_alloc, ndl, dl_cap, ninfl;
};

static size_t pad_to(size_t off)
{
	return (off + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

/*
 * Reads the cache into st and the ledger_id of the log it is of into
 * log; returns 0, or -1 when there is none that fits (st is then as
 * fresh from state_init).
 */
static int load(struct cstate *st, const char *path, const char *key,
		char log[41])
{
	struct head h;
	const char *p, *data;
	struct saved v;
	size_t need, len;
	void *token = NULL;

	if (file_map(path, &data, &len, &token) || len < sizeof(h))
		goto fail;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, 8) || h.sizeof_saved != sizeof(v) ||
	    h.sizeof_rstate != sizeof(struct rstate) ||
	    h.sizeof_flight != sizeof(struct flight) ||
	    strncmp(h.key, key, sizeof(h.key)) || h.n != st->n)
		goto fail;
	if (h.dl_cap < h.ndl || h.dl_cap > len / sizeof(struct dlog) ||
	    h.ninfl > len / sizeof(uint32_t))
		goto fail;
	need = pad_to(sizeof(h) + sizeof(v)) + h.n * sizeof(struct rstate) +
	       h.dl_cap * sizeof(struct dlog) + h.skipped_bytes +
	       h.nfl * sizeof(struct flight) +
	       h.analysis_alloc * sizeof(uint64_t) + h.ninfl * sizeof(uint32_t);
	if (len != need || !memchr(h.log, '\0', sizeof(h.log)))
		goto fail;
	memcpy(&v, data + sizeof(h), sizeof(v));
	if (v.n != st->n || st->skipped_line || st->fl || st->analysis ||
	    st->infl || st->dl)
		goto fail; /* not a state fresh from state_init */
	saved_get(st, &v);
	p = data + pad_to(sizeof(h) + sizeof(v));
	/* the recipients' state and the claims are used where they lie (a
	 * private mapping), with room for the claims of later ticks */
	if (!st->r_map)
		free(st->r);
	else
		file_unmap(st->r_map);
	st->r = (struct rstate *)p;
	st->r_map = token;
	token = NULL;
	p += h.n * sizeof(struct rstate);
	st->dl = (struct dlog *)p;
	st->ndl = h.ndl;
	st->dl_alloc = h.dl_cap;
	st->dl_mapped = 1;
	p += h.dl_cap * sizeof(struct dlog);
	if (h.skipped_bytes) {
		if (!(st->skipped_line = malloc(h.skipped_bytes)))
			goto fail_state;
		memcpy(st->skipped_line, p, h.skipped_bytes);
		p += h.skipped_bytes;
	}
	st->fl_alloc = st->nfl = h.nfl;
	if (h.nfl) {
		if (!(st->fl = malloc(h.nfl * sizeof(struct flight))))
			goto fail_state;
		memcpy(st->fl, p, h.nfl * sizeof(struct flight));
		p += h.nfl * sizeof(struct flight);
	}
	st->analysis_alloc = h.analysis_alloc;
	if (h.analysis_alloc) {
		if (!(st->analysis = malloc(h.analysis_alloc * sizeof(uint64_t))))
			goto fail_state;
		memcpy(st->analysis, p, h.analysis_alloc * sizeof(uint64_t));
		p += h.analysis_alloc * sizeof(uint64_t);
	}
	if (h.ninfl) {
		if (!(st->infl = malloc(h.ninfl * sizeof(uint32_t))))
			goto fail_state;
		memcpy(st->infl, p, h.ninfl * sizeof(uint32_t));
		st->ninfl = st->infl_alloc = h.ninfl;
	}
	/* a log id that does not fit is not one we wrote: no cache */
	if (str_fmt(log, 41, "%s", h.log))
		goto fail_state;
	file_unmap(token);
	return 0;
fail_state:
	state_forget(st);
fail:
	file_unmap(token);
	return -1;
}

static int save(struct cstate *st, const char *path, const char *key,
		const char *log)
{
	static const char zeros[64 * 1024];
	struct iovec v[16];
	struct head h;
	struct saved sv;
	const uint32_t *infl;
	size_t room, pad, ninfl;
	int n = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.sizeof_saved = sizeof(sv);
	h.sizeof_rstate = sizeof(struct rstate);
	h.sizeof_flight = sizeof(struct flight);
	snprintf(h.key, sizeof(h.key), "%s", key);
	snprintf(h.log, sizeof(h.log), "%s", log);
	h.n = st->n;
	h.skipped_bytes = st->skipped_line ? st->skipped_line_max / 8 + 1 : 0;
	h.nfl = st->nfl;
	h.analysis_alloc = st->analysis_alloc;
	h.ndl = st->ndl;
	h.dl_cap = st->ndl + CACHE_DL_ROOM;
	/* the list compacted: only the recipients still in flight */
	state_in_flight_list(st, &infl, &ninfl);
	h.ninfl = ninfl;
	saved_put(&sv, st);
	pad = pad_to(sizeof(h) + sizeof(sv)) - sizeof(h) - sizeof(sv);
	v[n].iov_base = &h;
	v[n++].iov_len = sizeof(h);
	v[n].iov_base = &sv;
	v[n++].iov_len = sizeof(sv);
	v[n].iov_base = (void *)zeros;
	v[n++].iov_len = pad;
	v[n].iov_base = st->r;
	v[n++].iov_len = st->n * sizeof(*st->r);
	v[n].iov_base = st->dl;
	v[n++].iov_len = st->ndl * sizeof(*st->dl);
	for (room = CACHE_DL_ROOM * sizeof(*st->dl); room;) {
		size_t k = room < sizeof(zeros) ? room : sizeof(zeros);
		v[n].iov_base = (void *)zeros;
		v[n++].iov_len = k;
		room -= k;
	}
	v[n].iov_base = st->skipped_line;
	v[n++].iov_len = h.skipped_bytes;
	v[n].iov_base = st->fl;
	v[n++].iov_len = st->nfl * sizeof(*st->fl);
	v[n].iov_base = st->analysis;
	v[n++].iov_len = st->analysis_alloc * sizeof(uint64_t);
	v[n].iov_base = (void *)infl;
	v[n++].iov_len = ninfl * sizeof(*infl);
	return bio_write(path, v, n);
}

int cache_replay(struct cstate *st, struct src *s, const char *id,
		 const char *path, const char *key, struct ledger_ahead *ahead,
		 size_t *replayed)
{
	struct src_files files = { NULL, 0 };
	char log[41], since[41];
	int rc = 0, stale = 1;

	*replayed = 0;
	/* the cache is keyed on the log's tree: none in a work tree */
	ledger_id(s, id, log);
	if (!*log)
		path = NULL;
	if (path && !load(st, path, key, since)) {
		/* only what was added since: new files at the log's end */
		if (strcmp(since, log))
			rc = ledger_files_since(&files, s, id, since, &stale);
		else
			stale = 0;
		if (rc || stale)
			state_forget(st); /* stale: start from nothing */
		if (rc)
			goto cleanup;
	}
	if (stale && (rc = ledger_files(&files, s, id)))
		goto cleanup;
	/* a cold tick's log may have been parsed ahead (see ledger_ahead_start) */
	rc = stale && ahead ? ledger_ahead_replay(ahead, st, &files)
			    : ledger_replay_files(st, s, &files);
	*replayed = files.n;
	/*
	 * Writing the whole state costs more than replaying a few small files
	 * again, so a warm tick leaves the cache as it is until enough new
	 * files have piled up (they are replayed from git meanwhile).
	 */
	if (!rc && path && *replayed && (stale || *replayed >= CACHE_SAVE_FILES))
		save(st, path, key, log); /* a cache that cannot be written is no error */
cleanup:
	src_files_release(&files);
	return rc;
}
