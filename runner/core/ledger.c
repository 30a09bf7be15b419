#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "trace.h"
#include "ledger.h"
#include "util.h"
#include "banned.h"

int ledger_files(struct src_files *out, struct src *s, const char *id)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	return s->files(s, dir, ".jsonl", out);
}

void ledger_id(struct src *s, const char *id, char out[41])
{
	char dir[128];

	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	s->content_id(s, dir, out);
}

int ledger_files_since(struct src_files *out, struct src *s, const char *id,
		       const char *since, int *stale)
{
	char dir[128];

	if (!s->files_since) {
		out->v = NULL;
		out->n = 0;
		*stale = 1;
		return 0;
	}
	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	return s->files_since(s, dir, ".jsonl", since, out, stale);
}

/*
 * cJSON allocates every node and string of a line separately; a log of
 * millions of lines spent a fifth of its replay in malloc and free. While
 * parse_lines runs, nodes come from a bump arena (one per thread) that is
 * reset after each line (anything larger than the arena falls back to
 * malloc). The hooks are process-wide, so they are set only while no
 * other thread parses JSON on an arena of its own; a thread outside
 * parse_lines gets plain malloc and free through them.
 */
static _Thread_local struct {
	char *base;
	size_t cap, used;
	int on;
} arena;

static void *arena_malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (arena.on && arena.used + n <= arena.cap) {
		void *p = arena.base + arena.used;
		arena.used += n;
		return p;
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if (arena.base && (char *)p >= arena.base && (char *)p < arena.base + arena.cap)
		return;
	free(p);
}

/* Allocations come from this thread's arena until arena_off. */
static void arena_on(void)
{
	if (!arena.base) {
		arena.cap = 256 * 1024;
		arena.base = malloc(arena.cap);
		if (!arena.base)
			arena.cap = 0;
	}
	arena.used = 0;
	arena.on = 1;
}

static void arena_off(void)
{
	arena.on = 0;
}

static void arena_close(void)
{
	free(arena.base);
	arena.base = NULL;
	arena.cap = arena.used = 0;
	arena.on = 0;
}

/*
 * Replaying a long log on several threads: parsing (inflating the blobs,
 * then cJSON) is most of the work and needs no state, so threads parse
 * whole files into struct ev arrays while this thread applies them in
 * path order, helping to parse when the next file is not ready yet. At
 * most REPLAY_AHEAD files are parsed ahead of the one being applied,
 * or, for a replay begun ahead (ledger_ahead_start), as many as fit in
 * LEDGER_AHEAD_BYTES, which bounds the memory.
 */
#define REPLAY_AHEAD 8
#define REPLAY_PAR_MIN 4   /* fewer files are replayed on this thread */
#define REPLAY_WORKERS_MAX 3
#define REPLAY_SLAB_MORE ((size_t)16 << 20)

struct parsed {
	struct ev *v;
	size_t n, alloc;
	struct ev_pool pool;
	char *err; /* why the file could not be read (malloc'd), or NULL */
	int failed, ready;
	int block; /* v and the pool's strings are one block (slab or malloc) */
};

/*
 * Where parsed files wait to be applied: 2 MB chunks of one mapping with
 * huge pages, filled in turn, each back in use once all its blocks are
 * freed. Parsed files held by malloc cost a page fault per 4 KB, and
 * left holes between the blobs libgit2 inflates and frees meanwhile, so
 * those kept taking fresh pages too. A block that does not fit gets
 * malloc. Used with the replay's lock held.
 */
#define SLAB_CHUNK ((size_t)2 << 20)

struct slab {
	char *map, *base; /* the mapping, and its first aligned chunk */
	size_t map_len, nchunks;
	uint32_t *live;   /* blocks in each chunk */
	uint32_t *spare;  /* chunks with no block, not the current one */
	size_t nspare, cur, off; /* cur == nchunks: no current chunk */
};

struct replay {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct src_files *files;
	struct parsed *slot; /* by file index */
	struct slab slab;
	struct parsed scratch; /* this thread's, to parse into */
	size_t next, applied;
	size_t held, budget; /* bytes parsed and not yet applied; their cap */
	struct timespec full_at; /* when held first reached the budget */
	int stop, full;
};

struct worker {
	struct replay *R;
	struct src src; /* the worker's own twin */
	struct parsed scratch;
	pthread_t tid;
	int started;
};

struct ledger_ahead {
	struct replay R;
	struct worker w[REPLAY_WORKERS_MAX];
	int nw;
	struct src *s;
	struct src_files files;
};

static void slab_init(struct slab *sl, size_t bytes)
{
	size_t i;

	memset(sl, 0, sizeof(*sl));
	sl->nchunks = bytes / SLAB_CHUNK;
	sl->map_len = (sl->nchunks + 1) * SLAB_CHUNK;
	sl->live = calloc(sl->nchunks + 1, sizeof(*sl->live));
	sl->spare = calloc(sl->nchunks + 1, sizeof(*sl->spare));
	sl->map = mmap(NULL, sl->map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sl->nchunks || !sl->live || !sl->spare || sl->map == MAP_FAILED) {
		if (sl->map != MAP_FAILED && sl->map)
			munmap(sl->map, sl->map_len);
		free(sl->live);
		free(sl->spare);
		memset(sl, 0, sizeof(*sl));
		return; /* no slab: blocks get malloc */
	}
	sl->base = (char *)(((uintptr_t)sl->map + SLAB_CHUNK - 1) & ~(SLAB_CHUNK - 1));
	mem_hint_huge(sl->base, sl->nchunks * SLAB_CHUNK);
	for (i = 0; i < sl->nchunks; i++)
		sl->spare[sl->nspare++] = (uint32_t)(sl->nchunks - 1 - i);
	sl->cur = sl->nchunks;
}

static void slab_release(struct slab *sl)
{
	if (sl->map)
		munmap(sl->map, sl->map_len);
	free(sl->live);
	free(sl->spare);
	memset(sl, 0, sizeof(*sl));
}

/* n bytes (16-aligned) from the slab, or NULL when it has no room. */
static void *slab_alloc(struct slab *sl, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!sl->base || n > SLAB_CHUNK)
		return NULL;
	if (sl->cur == sl->nchunks || sl->off + n > SLAB_CHUNK) {
		if (sl->cur < sl->nchunks && !sl->live[sl->cur])
			sl->spare[sl->nspare++] = (uint32_t)sl->cur;
		if (!sl->nspare) {
			sl->cur = sl->nchunks;
			return NULL;
		}
		sl->cur = sl->spare[--sl->nspare];
		sl->off = 0;
	}
	sl->live[sl->cur]++;
	sl->off += n;
	return sl->base + sl->cur * SLAB_CHUNK + sl->off - n;
}

/* Gives p back when the slab holds it; 0 when it does not. */
static int slab_free(struct slab *sl, void *p)
{
	size_t c;

	if (!sl->base || (char *)p < sl->base ||
	    (char *)p >= sl->base + sl->nchunks * SLAB_CHUNK)
		return 0;
	c = (size_t)((char *)p - sl->base) / SLAB_CHUNK;
	if (!--sl->live[c] && c != sl->cur)
		sl->spare[sl->nspare++] = (uint32_t)c;
	return 1;
}

/* Frees what p holds (its block back to sl, when sl has it). */
static void parsed_release(struct parsed *p, struct slab *sl)
{
	if (p->block) {
		if (!sl || !slab_free(sl, p->v))
			free(p->v);
	} else {
		free(p->v);
		ev_pool_release(&p->pool);
	}
	free(p->err);
	memset(p, 0, sizeof(*p));
}

/* What a kept file (parsed_keep) holds. */
static size_t parsed_size(const struct parsed *p)
{
	return p->n * sizeof(*p->v) + p->pool.len;
}

/*
 * With R->mu held: moves what scratch parsed into slot, as one block of
 * the slab (malloc when it has no room); scratch keeps its memory.
 */
static void parsed_keep(struct replay *R, struct parsed *slot, struct parsed *scratch)
{
	size_t ev_len = scratch->n * sizeof(*scratch->v), len = ev_len + scratch->pool.len;
	char *b;

	memset(slot, 0, sizeof(*slot));
	if (scratch->failed) {
		slot->failed = 1;
		slot->err = scratch->err;
		scratch->err = NULL;
		scratch->failed = 0;
		return;
	}
	if (!(b = slab_alloc(&R->slab, len)) && !(b = malloc(len + 1))) {
		slot->failed = 1;
		return;
	}
	if (ev_len)
		memcpy(b, scratch->v, ev_len);
	if (scratch->pool.len)
		memcpy(b + ev_len, scratch->pool.p, scratch->pool.len);
	slot->v = (struct ev *)(void *)b;
	slot->n = slot->alloc = scratch->n;
	slot->pool.p = b + ev_len;
	slot->pool.len = slot->pool.cap = scratch->pool.len;
	slot->block = 1;
}

/*
 * Parses every line of data (len bytes) into p, on this thread's arena,
 * in place of what p held (its memory is reused: a replay parses every
 * file into the same scratch, then keeps a copy of the exact size).
 */
static void parse_lines(const char *data, size_t len, struct parsed *p)
{
	const char *q, *end = data + len;
	size_t lines = 0;

	p->n = 0;
	p->pool.len = 0;
	for (q = data; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		lines += nl != q; /* empty lines are skipped */
		q = nl ? nl + 1 : end;
	}
	if (lines > p->alloc) {
		struct ev *v = realloc(p->v, lines * sizeof(*v));
		if (!v) {
			p->failed = 1;
			return;
		}
		p->v = v;
		p->alloc = lines;
	}
	arena_on();
	for (q = data; q < end && p->n < p->alloc;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
		if (n)
			state_parse(&p->v[p->n++], &p->pool, q, n);
		arena.used = 0;
		q += n + 1;
	}
	arena_off();
}

/* Parses every line of file f (read through s) into p. */
static void parse_file(struct src *s, const struct src_file *f, struct parsed *p)
{
	const char *data;
	size_t len;
	void *token = NULL;

	if (s->map(s, f, &data, &len, &token)) {
		p->failed = 1;
		p->err = strdup(gd_error_last());
		return;
	}
	if (len > LEDGER_FILE_MAX) {
		p->failed = 1;
		gd_error_set("'%s' is larger than %u bytes", f->path, LEDGER_FILE_MAX);
		p->err = strdup(gd_error_last());
	} else {
		parse_lines(data, len, p);
	}
	s->unmap(s, token);
}

/* Applies the parsed lines of p to st in order, or says why p has none. */
static int apply_parsed(struct cstate *st, const struct parsed *p)
{
	if (p->failed)
		return gd_error_set("%s", p->err ? p->err : "out of memory");
	state_apply_evs(st, p->v, p->n, &p->pool);
	return 0;
}

/*
 * cJSON's hooks for parsing on the arenas (process-wide: set while any
 * thread parses on its arena, counted so that parsers on several threads
 * nest). A thread without an open arena, such as this one reading the
 * audience while a replay begun ahead parses the log, gets plain malloc
 * and free through them (see arena_malloc).
 */
static pthread_mutex_t parsing_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned parsing_n;

static void parsing_begin(void)
{
	cJSON_Hooks hooks = { arena_malloc, arena_free };

	pthread_mutex_lock(&parsing_mu);
	if (!parsing_n++)
		cJSON_InitHooks(&hooks);
	pthread_mutex_unlock(&parsing_mu);
}

static void parsing_end(void)
{
	pthread_mutex_lock(&parsing_mu);
	if (!--parsing_n)
		cJSON_InitHooks(NULL);
	pthread_mutex_unlock(&parsing_mu);
}

int ledger_parse(const char *data, size_t len, struct ev **v, size_t *n,
		 size_t *alloc, struct ev_pool *pool)
{
	struct parsed p;

	memset(&p, 0, sizeof(p));
	p.v = *v;
	p.alloc = *alloc;
	p.pool = *pool;
	parsing_begin();
	parse_lines(data, len, &p);
	parsing_end();
	*v = p.v;
	*alloc = p.alloc;
	*pool = p.pool;
	*n = p.n;
	return p.failed ? gd_error_set("out of memory") : 0;
}

void ledger_parse_thread_end(void)
{
	arena_close();
}

void ledger_parse_hold(void)
{
	parsing_begin();
}

void ledger_parse_release(void)
{
	parsing_end();
}

int ledger_apply(struct cstate *st, const char *data, size_t len)
{
	struct parsed p;
	int rc;

	memset(&p, 0, sizeof(p));
	parsing_begin();
	parse_lines(data, len, &p);
	parsing_end();
	rc = apply_parsed(st, &p);
	parsed_release(&p, NULL);
	return rc;
}

/*
 * With R->mu held: claims the next file due and parses it (unlocked
 * meanwhile). Returns 0 when there was none to take.
 */
static int replay_take(struct replay *R, struct src *s, struct parsed *scratch)
{
	size_t i;

	if (R->stop || R->next >= R->files->n)
		return 0;
	if (R->next >= R->applied + REPLAY_AHEAD && R->held >= R->budget) {
		if (!R->full++)
			clock_gettime(CLOCK_MONOTONIC, &R->full_at);
		return 0;
	}
	i = R->next++;
	pthread_mutex_unlock(&R->mu);
	parse_file(s, &R->files->v[i], scratch);
	pthread_mutex_lock(&R->mu);
	parsed_keep(R, &R->slot[i], scratch);
	R->slot[i].ready = 1;
	R->held += parsed_size(&R->slot[i]);
	pthread_cond_broadcast(&R->cv);
	return 1;
}

static void *replay_worker(void *arg)
{
	struct worker *w = arg;
	struct replay *R = w->R;

	pthread_mutex_lock(&R->mu);
	while (!R->stop && R->next < R->files->n)
		if (!replay_take(R, &w->src, &w->scratch))
			pthread_cond_wait(&R->cv, &R->mu);
	pthread_mutex_unlock(&R->mu);
	parsed_release(&w->scratch, NULL);
	arena_close();
	return NULL;
}

/*
 * Threads besides this one: GITDIAL_THREADS (all threads, 1 = this one
 * only) or one per other online CPU, at most REPLAY_WORKERS_MAX.
 */
static int workers_wanted(size_t nfiles)
{
	const char *env = getenv("GITDIAL_THREADS");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);
		cpus = !*end && v >= 1 ? v : 1;
	}
	n = cpus > 1 ? (int)(cpus > REPLAY_WORKERS_MAX + 1 ? REPLAY_WORKERS_MAX
			     : cpus - 1) : 0;

	return nfiles < REPLAY_PAR_MIN ? 0 : n;
}

/* Twins of s for up to the wanted number of workers; returns how many. */
static int workers_twin(struct worker *w, struct src *s, size_t nfiles)
{
	int nw = 0, want = workers_wanted(nfiles);

	memset(w, 0, REPLAY_WORKERS_MAX * sizeof(*w));
	for (; s->twin && nw < want; nw++)
		if (s->twin(s, &w[nw].src))
			break;
	return nw;
}

/*
 * Starts nw workers parsing files (budget: bytes they may hold parsed
 * ahead of what is applied, beyond the REPLAY_AHEAD files). Returns 0,
 * or an error with nothing started and the workers' twins released.
 */
static int replay_start(struct replay *R, const struct src_files *files,
			size_t budget, struct worker *w, int nw)
{
	int j;

	memset(R, 0, sizeof(*R));
	R->files = files;
	R->budget = budget;
	if (!(R->slot = calloc(files->n + 1, sizeof(*R->slot)))) {
		for (j = 0; j < nw; j++)
			w[j].src.release(&w[j].src);
		return gd_error_set("out of memory");
	}
	/* the budget, and room for the files being parsed past it */
	slab_init(&R->slab, budget + REPLAY_SLAB_MORE);
	pthread_mutex_init(&R->mu, NULL);
	pthread_cond_init(&R->cv, NULL);
	parsing_begin(); /* before any worker parses */
	for (j = 0; j < nw; j++) {
		w[j].R = R;
		w[j].started = !pthread_create(&w[j].tid, NULL, replay_worker, &w[j]);
	}
	return 0;
}

/* Applies every file to st in order, parsing on this thread too. */
static int replay_apply(struct replay *R, struct cstate *st, struct src *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < R->files->n; i++) {
		struct parsed *p = &R->slot[i];
		pthread_mutex_lock(&R->mu);
		while (!p->ready)
			if (!replay_take(R, s, &R->scratch))
				pthread_cond_wait(&R->cv, &R->mu);
		pthread_mutex_unlock(&R->mu);
		rc = apply_parsed(st, p);
		pthread_mutex_lock(&R->mu);
		R->held -= parsed_size(p);
		R->applied = i + 1;
		parsed_release(p, &R->slab);
		pthread_cond_broadcast(&R->cv);
		pthread_mutex_unlock(&R->mu);
	}
	return rc;
}

/* Stops and joins the workers, then frees what they parsed. */
static void replay_stop(struct replay *R, struct worker *w, int nw)
{
	size_t i;
	int j;

	pthread_mutex_lock(&R->mu);
	R->stop = 1;
	pthread_cond_broadcast(&R->cv);
	pthread_mutex_unlock(&R->mu);
	for (j = 0; j < nw; j++)
		if (w[j].started)
			pthread_join(w[j].tid, NULL);
	parsing_end(); /* every parser has stopped */
	for (i = 0; i < R->files->n; i++)
		parsed_release(&R->slot[i], &R->slab);
	free(R->slot);
	parsed_release(&R->scratch, NULL);
	slab_release(&R->slab);
	pthread_cond_destroy(&R->cv);
	pthread_mutex_destroy(&R->mu);
	for (j = 0; j < nw; j++)
		w[j].src.release(&w[j].src);
}

int ledger_replay_files(struct cstate *st, struct src *s,
			const struct src_files *files)
{
	struct worker w[REPLAY_WORKERS_MAX];
	struct replay R;
	size_t i;
	int rc = 0, nw = workers_twin(w, s, files->n);

	if (nw) {
		if ((rc = replay_start(&R, files, 0, w, nw)))
			return rc;
		rc = replay_apply(&R, st, s);
		replay_stop(&R, w, nw);
		return rc;
	}
	/* a short log: the same parse and apply, on this thread */
	for (i = 0; !rc && i < files->n; i++) {
		struct parsed p;
		memset(&p, 0, sizeof(p));
		parsing_begin();
		parse_file(s, &files->v[i], &p);
		parsing_end();
		rc = apply_parsed(st, &p);
		parsed_release(&p, NULL);
	}
	return rc;
}

int ledger_ahead_start(struct ledger_ahead **out, struct src *s, const char *id)
{
	struct ledger_ahead *a;
	int rc;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a))))
		return gd_error_set("out of memory");
	a->s = s;
	if ((rc = ledger_files(&a->files, s, id))) {
		free(a);
		return rc;
	}
	a->nw = workers_twin(a->w, s, a->files.n);
	if (!a->nw || (rc = replay_start(&a->R, &a->files, LEDGER_AHEAD_BYTES,
					 a->w, a->nw))) {
		/* nothing to gain (or no memory): the replay happens later */
		ledger_ahead_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* True when both lists name the same files with the same contents. */
static int files_same(const struct src_files *x, const struct src_files *y)
{
	size_t i;

	if (x->n != y->n)
		return 0;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].id, y->v[i].id) || strcmp(x->v[i].path, y->v[i].path))
			return 0;
	return 1;
}

int ledger_ahead_replay(struct ledger_ahead *a, struct cstate *st,
			const struct src_files *files)
{
	int rc;

	if (!a->R.slot || !files_same(&a->files, files))
		return ledger_replay_files(st, a->s, files);
	pthread_mutex_lock(&a->R.mu);
	{
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		trace_note("log parsed ahead: %zu of %zu files (%zu MB) when the "
			   "replay began; the threads had waited %.0f ms at the %u MB cap",
			   a->R.next, a->files.n, a->R.held >> 20, a->R.full ?
			   (double)(now.tv_sec - a->R.full_at.tv_sec) * 1e3 +
			   (double)(now.tv_nsec - a->R.full_at.tv_nsec) / 1e6 : 0.0,
			   LEDGER_AHEAD_BYTES >> 20);
	}
	pthread_mutex_unlock(&a->R.mu);
	rc = replay_apply(&a->R, st, a->s);
	replay_stop(&a->R, a->w, a->nw);
	a->R.slot = NULL;
	return rc;
}

void ledger_ahead_free(struct ledger_ahead *a)
{
	if (!a)
		return;
	if (a->R.slot) /* not replayed: stop the threads */
		replay_stop(&a->R, a->w, a->nw);
	src_files_release(&a->files);
	free(a);
}

int ledger_replay(struct cstate *st, struct src *s, const char *id)
{
	struct src_files files;
	int rc = ledger_files(&files, s, id);

	if (!rc)
		rc = ledger_replay_files(st, s, &files);
	src_files_release(&files);
	return rc;
}

void ledger_path(char *out, size_t n, const char *id, time_t now, const char *tag)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(out, n, "outcomes/%s/%04d/%02d/%02d/T%02d%02d%02dZ-%s.jsonl", id,
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, tag);
}

static int head(struct buf *out, time_t ts, const char *campaign, const char *ev)
{
	char t[21];

	time_format_utc(t, ts);
	return buf_printf(out, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\","
			  "\"event\":\"%s\"", t, campaign, ev);
}

static int field(struct buf *out, const char *key, const char *val)
{
	int rc = buf_printf(out, ",\"%s\":", key);

	if (rc)
		return rc;
	return val ? buf_put_json_string(out, val) : buf_puts(out, "null");
}

int ev_dispatched(struct buf *out, time_t ts, const char *campaign,
		  const char *attempt_id, const char *phone, unsigned long row,
		  int attempt, const char *account, const char *caller_id,
		  uint64_t rules)
{
	int rc = head(out, ts, campaign, "dispatched");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "phone", phone);
	rc = rc ? rc : buf_printf(out, ",\"row\":%lu,\"attempt\":%d", row, attempt);
	rc = rc ? rc : field(out, "account", account);
	rc = rc ? rc : field(out, "caller_id", caller_id);
	if (rules)
		rc = rc ? rc : buf_printf(out, ",\"rules\":\"%016llx\"",
					  (unsigned long long)rules);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_placed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id)
{
	int rc = head(out, ts, campaign, "placed");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "call_id", call_id);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_failed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id, const char *kind,
	      const char *code, const char *message)
{
	int rc = head(out, ts, campaign, "outcome");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "call_id", call_id);
	rc = rc ? rc : buf_puts(out, ",\"outcome\":\"failed\",\"duration_s\":0,"
				"\"connected\":false,\"answered\":false,\"error\":{");
	rc = rc ? rc : buf_puts(out, "\"kind\":");
	rc = rc ? rc : buf_put_json_string(out, kind);
	rc = rc ? rc : field(out, "code", code ? code : "");
	rc = rc ? rc : field(out, "message", message ? message : "");
	return rc ? rc : buf_puts(out, "}}\n");
}

int ev_outcome_fields(struct buf *out, time_t ts, const char *campaign,
		      const char *attempt_id, const char *call_id,
		      const cJSON *fields)
{
	static const char *const own[] = { "v", "ts", "campaign", "event",
		"attempt_id", "call_id", NULL };
	const cJSON *f;
	size_t mark = out->len;
	int rc, i;

	if (!cJSON_IsObject(fields) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fields, "outcome")))
		return gd_error_set("the status answer's outcome has no \"outcome\"");
	rc = head(out, ts, campaign, "outcome");
	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "call_id", call_id && *call_id ? call_id : NULL);
	cJSON_ArrayForEach(f, fields) {
		char *v;
		if (rc)
			break;
		if (!f->string)
			continue;
		for (i = 0; own[i] && strcmp(own[i], f->string); i++)
			;
		if (own[i])
			continue;
		if (!(v = cJSON_PrintUnformatted(f))) {
			rc = gd_error_set("out of memory");
			break;
		}
		rc = buf_putc(out, ',');
		rc = rc ? rc : buf_put_json_string(out, f->string);
		rc = rc ? rc : buf_putc(out, ':');
		rc = rc ? rc : buf_puts(out, v);
		cJSON_free(v);
	}
	rc = rc ? rc : buf_puts(out, "}\n");
	if (rc && out->ptr) {
		out->len = mark; /* all of the line or none of it */
		out->ptr[mark] = '\0';
	}
	return rc;
}

int ev_skipped(struct buf *out, time_t ts, const char *campaign,
	       const char *phone, unsigned long row, const char *reason)
{
	int rc = head(out, ts, campaign, "skipped");

	rc = rc ? rc : field(out, "phone", phone && *phone ? phone : NULL);
	rc = rc ? rc : buf_printf(out, ",\"row\":%lu", row);
	rc = rc ? rc : field(out, "reason", reason);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_status(struct buf *out, time_t ts, const char *campaign,
	      const char *status, const char *reason)
{
	int rc = head(out, ts, campaign, "status");

	rc = rc ? rc : field(out, "status", status);
	rc = rc ? rc : field(out, "reason", reason ? reason : "");
	return rc ? rc : buf_puts(out, "}\n");
}

