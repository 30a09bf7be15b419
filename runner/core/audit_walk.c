/*
 * The audit's walk of the history (audit_walk.h). Per commit, parents
 * first: its runner identity and signature, then what differs from its
 * first parent under dnc/ and outcomes/ (git_diff_tree_to_tree on those
 * subtrees, so only the files that changed are read). Each such file is
 * a job: reading its old and new blobs, comparing them (the old text
 * must be all there, at the start) and parsing the new lines, which
 * needs no state and runs on any thread; then judging it, in path order
 * on this thread: history findings, and each new line to the checks with
 * the campaign's configuration at that commit (read again only when its
 * folder, segments/, rules/ or gitdial.json changed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_walk.h"
#include "err.h"
#include "gitx.h"
#include "ledger.h"
#include "repo.h"
#include "src.h"
#include "state.h"
#include "trace.h"
#include "util.h"
#include "banned.h"

#define LOG_BLOB_MAX (512u << 20)
/* Jobs read ahead of the one judged: at most this many, past the budget. */
#define AHEAD_JOBS 8
#define AHEAD_BYTES ((size_t)64 << 20)
/* Fewer jobs in a commit are read on this thread alone. */
#define PAR_MIN 4

/* One campaign's configuration, as of the commit it was loaded for. */
struct conf {
	char id[65];
	char key[4 * 41 + 8]; /* ids of what it was read from */
	uint32_t commit;      /* the commit key was computed for (+1) */
	struct src src;
	int has_src;
	struct repo *repo;
	struct audit_ctx ctx;
};

enum verdict { V_NONE, V_REMOVED, V_LINE_REMOVED, V_LINE_CHANGED };

/* Where a parsed log line was, and the rules digest a dispatch recorded. */
struct evat {
	uint32_t line;  /* 1-based, in the file */
	uint32_t rules; /* 1 + index in the job's rec, or 0 */
};

/*
 * One file of outcomes/ or dnc/ that a commit added, changed or removed.
 * Listed on this thread; read (job_read) on any; judged on this thread.
 */
struct job {
	char path[600];
	char campaign[65]; /* "" for dnc/ */
	git_delta_t status;
	git_oid old_id, new_id;
	int jsonl;
	/* what job_read found */
	int ready, failed;
	int owner; /* who read it: 0 this thread, else worker owner - 1 */
	int fed;   /* its new lines go to the checks */
	char *err;
	/* dnc/: the new text (a blob kept by its reader) */
	git_blob *nb;
	const char *nd;
	size_t nlen, old_lines, common, oline, bytes;
	enum verdict verdict;
	/* a campaign's log: its new lines parsed (the blob is not kept) */
	struct ev *evs;
	size_t nev, evs_alloc, nlines;
	struct ev_pool pool;
	struct evat *at;
	char (*rec)[17];
	size_t nrec;
};

struct walk;

/* A thread reading jobs ahead, with a repository handle of its own. */
struct worker {
	struct walk *w;
	git_repository *g;
	pthread_t tid;
	int started, idx;
	size_t freed; /* its jobs before this one have had their blobs freed */
};

struct walk {
	struct store *st;
	git_repository *g;
	struct audit *a;
	const char *const *ids;
	int n_ids;
	git_oid *range; /* commits in range (--since), sorted */
	size_t n_range;
	struct conf *confs;
	size_t n_confs;
	/* the commit being walked */
	git_commit *cm;
	git_tree *tree;
	uint32_t cidx;
	/* its jobs, and the threads reading them */
	struct job *jobs;
	size_t n_jobs, jobs_alloc, next, done, held;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct worker workers[AUDIT_WALK_THREADS];
	int n_workers; /* wanted; their repositories are opened on first use */
	struct audit_range *out;
	/* for GITDIAL_TRACE_PERF: jobs read by the workers, their CPU time */
	size_t jobs_total, jobs_ahead;
	double workers_cpu_ms;
	int signing; /* a runner commit was signed: from then on all must be */
};

static int oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

static int id_wanted(const struct walk *w, const char *id)
{
	int i;

	if (!w->n_ids)
		return 1;
	for (i = 0; i < w->n_ids; i++)
		if (!strcmp(w->ids[i], id))
			return 1;
	return 0;
}

/* The id of path in tree ("" when absent). */
static void entry_id(git_tree *tree, const char *path, char out[41])
{
	git_tree_entry *e = NULL;

	out[0] = '\0';
	if (tree && !git_tree_entry_bypath(&e, tree, path)) {
		git_oid_tostr(out, 41, git_tree_entry_id(e));
		git_tree_entry_free(e);
	}
}

static void conf_release(struct conf *c)
{
	repo_free(c->repo);
	c->repo = NULL;
	if (c->has_src)
		src_release_tree(&c->src);
	c->has_src = 0;
	memset(&c->ctx, 0, sizeof(c->ctx));
}

/*
 * Campaign id's configuration at the commit being walked: read again
 * only when its folder, segments/, rules/ or gitdial.json differ from
 * the commit it was last read at.
 */
static int conf_get(struct walk *w, const char *id, const struct audit_ctx **out)
{
	static const char *const tops[] = { "campaigns", "archived", "deleted" };
	static const unsigned flags[] = { 0, REPO_ARCHIVED, REPO_DELETED };
	struct conf *c = NULL;
	char key[sizeof(c->key)], part[41], path[128];
	size_t i;
	int t, top = -1, rc;

	*out = NULL;
	for (i = 0; i < w->n_confs; i++)
		if (!strcmp(w->confs[i].id, id))
			c = &w->confs[i];
	if (!c) {
		struct conf *v = realloc(w->confs, (w->n_confs + 1) * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		w->confs = v;
		c = &w->confs[w->n_confs++];
		memset(c, 0, sizeof(*c));
		snprintf(c->id, sizeof(c->id), "%s", id);
	}
	if (c->commit == w->cidx + 1) {
		*out = c->repo ? &c->ctx : NULL;
		return 0;
	}
	key[0] = '\0';
	for (t = 0; t < 3 && top < 0; t++) {
		snprintf(path, sizeof(path), "%s/%s", tops[t], id);
		entry_id(w->tree, path, part);
		if (part[0])
			top = t;
	}
	if (top < 0)
		part[0] = '\0';
	snprintf(key, sizeof(key), "%d:%s", top, part);
	entry_id(w->tree, "segments", part);
	snprintf(key + strlen(key), sizeof(key) - strlen(key), ":%s", part);
	entry_id(w->tree, "rules", part);
	snprintf(key + strlen(key), sizeof(key) - strlen(key), ":%s", part);
	entry_id(w->tree, "gitdial.json", part);
	snprintf(key + strlen(key), sizeof(key) - strlen(key), ":%s", part);
	c->commit = w->cidx + 1;
	if (!strcmp(key, c->key)) {
		*out = c->repo ? &c->ctx : NULL;
		return 0;
	}
	conf_release(c);
	snprintf(c->key, sizeof(c->key), "%s", key);
	if (top < 0)
		return 0;
	if ((rc = src_init_tree(&c->src, w->st, git_commit_id(w->cm))))
		return rc;
	c->has_src = 1;
	{
		struct diags d;
		struct repo_campaign *rc2;
		memset(&d, 0, sizeof(d));
		rc = repo_load(&c->repo, &c->src, id,
			       REPO_AUDIENCE | REPO_PLACES | flags[top], &d);
		diags_release(&d);
		if (rc == GD_ENOTFOUND || rc == GD_EINVALID) {
			/* nothing usable at that commit: the checks say so */
			repo_free(c->repo);
			c->repo = NULL;
			gd_error_clear();
			return 0;
		}
		if (rc)
			return rc;
		rc2 = repo_find(c->repo, id);
		/* dispatches find their row through the phone index */
		if (rc2 && rc2->aud && (rc = audience_index(rc2->aud)))
			return rc;
		c->ctx.c = rc2 ? rc2->c : NULL;
		c->ctx.aud = rc2 ? rc2->aud : NULL;
		c->ctx.rules = c->repo->rules;
		c->ctx.cfg = c->repo->cfg;
	}
	*out = &c->ctx;
	return 0;
}

/* The number of lines in data (a last line without a newline counts). */
static size_t count_lines(const char *data, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += data[i] == '\n';
	return n + (len && data[len - 1] != '\n');
}

/* ---- reading a job (any thread) ------------------------------------- */

static int blob_of(git_repository *g, git_blob **out, const git_oid *id)
{
	if (git_blob_lookup(out, g, id))
		return gitx_fail("reading a blob");
	if (git_blob_rawsize(*out) > LOG_BLOB_MAX) {
		git_blob_free(*out);
		*out = NULL;
		return gd_error_set("a log file over %u MB", LOG_BLOB_MAX >> 20);
	}
	return 0;
}

/*
 * Parses the new lines of a campaign's log (nd, nlen bytes, from
 * j->common on) into j: the events, where each was, and the rules
 * digest each dispatch recorded, so that its text need not be kept.
 */
static void log_parse(struct job *j, const char *nd, size_t nlen)
{
	size_t i = j->common, k = 0;
	uint32_t line = (uint32_t)j->oline + 1;

	if (ledger_parse(nd + j->common, nlen - j->common, &j->evs, &j->nev,
			 &j->evs_alloc, &j->pool) ||
	    (j->nev && (!(j->at = malloc(j->nev * sizeof(*j->at))) ||
			!(j->rec = malloc(j->nev * sizeof(*j->rec)))))) {
		j->failed = 1;
		j->err = strdup("out of memory");
		return;
	}
	while (i < nlen) {
		const char *p = nd + i, *nl = memchr(p, '\n', nlen - i);
		size_t n = nl ? (size_t)(nl - p) : nlen - i;
		uint32_t at = line++;
		i += n + (nl ? 1 : 0);
		if (!n)
			continue;
		j->nlines++;
		if (k >= j->nev)
			continue;
		j->at[k].line = at;
		j->at[k].rules = 0;
		if (j->evs[k].kind == EV_DISPATCHED &&
		    audit_rules_recorded(p, n, j->rec[j->nrec]))
			j->at[k].rules = (uint32_t)++j->nrec;
		k++;
	}
	if (j->nrec < j->nev) { /* room for every line: keep what is used */
		char (*v)[17] = realloc(j->rec, (j->nrec ? j->nrec : 1) * sizeof(*v));
		if (v)
			j->rec = v;
	}
}

/*
 * Reads job j through g: its blobs, what its old text says of its new
 * one, and the new lines of a campaign's log parsed. Keeps the new blob
 * of a dnc/ file (its lines are judged as text) until its reader frees it.
 */
static void job_read(git_repository *g, struct job *j)
{
	git_blob *ob = NULL, *nb = NULL;
	const char *od = NULL, *nd = NULL;
	size_t olen = 0, nlen = 0;
	int rc = 0;

	if (j->status != GIT_DELTA_ADDED)
		rc = blob_of(g, &ob, &j->old_id);
	if (!rc && j->status != GIT_DELTA_DELETED)
		rc = blob_of(g, &nb, &j->new_id);
	if (rc) {
		j->failed = 1;
		j->err = strdup(gd_error_last());
		git_blob_free(ob);
		return;
	}
	if (ob) {
		od = git_blob_rawcontent(ob);
		olen = (size_t)git_blob_rawsize(ob);
	}
	if (nb) {
		nd = git_blob_rawcontent(nb);
		nlen = (size_t)git_blob_rawsize(nb);
	}
	if (ob && !nb) {
		j->verdict = V_REMOVED;
		j->old_lines = count_lines(od, olen);
	} else if (ob) {
		/* the old text must be all there, at the start */
		size_t i;
		for (i = 0; i < olen && i < nlen && od[i] == nd[i]; i++)
			if (od[i] == '\n') {
				j->oline++;
				j->common = i + 1;
			}
		if (i < olen || (olen && od[olen - 1] != '\n'))
			/* a line removed, or changed (a last line without a
			 * newline that went on is changed too); what follows
			 * its start is new in this commit */
			j->verdict = i < olen && i >= nlen ? V_LINE_REMOVED
							   : V_LINE_CHANGED;
	}
	git_blob_free(ob);
	j->fed = nb && j->jsonl;
	if (j->fed && j->campaign[0])
		log_parse(j, nd, nlen);
	if (!j->fed || j->campaign[0]) {
		git_blob_free(nb);
		j->bytes = j->nev * (sizeof(*j->evs) + sizeof(*j->at)) +
			   j->nrec * sizeof(*j->rec) + j->pool.cap;
		return;
	}
	j->nb = nb;
	j->nd = nd;
	j->nlen = nlen;
	j->bytes = nlen;
}

/* What judging j no longer needs, freed by this thread (not its blob). */
static void job_release(struct job *j)
{
	free(j->evs);
	ev_pool_release(&j->pool);
	free(j->at);
	free(j->rec);
	free(j->err);
	j->evs = NULL;
	j->at = NULL;
	j->rec = NULL;
	j->err = NULL;
	j->nev = j->evs_alloc = j->nrec = 0;
}

/*
 * With w->mu held: takes the next job due and reads it through g
 * (unlocked meanwhile), for owner (0: this thread). Returns 0 when there
 * was none to take.
 */
static int job_take(struct walk *w, git_repository *g, int owner)
{
	size_t i;

	if (w->stop || w->next >= w->n_jobs)
		return 0;
	if (w->next >= w->done + AHEAD_JOBS && w->held >= AHEAD_BYTES)
		return 0;
	i = w->next++;
	pthread_mutex_unlock(&w->mu);
	job_read(g, &w->jobs[i]);
	pthread_mutex_lock(&w->mu);
	w->jobs[i].owner = owner;
	w->jobs[i].ready = 1;
	w->jobs_ahead += owner != 0;
	w->held += w->jobs[i].bytes;
	pthread_cond_broadcast(&w->cv);
	return 1;
}

/* With w->mu held: frees the blobs of k's jobs judged (all when all). */
static void worker_free_blobs(struct worker *k, int all)
{
	struct walk *w = k->w;
	size_t end = all ? w->n_jobs : w->done;

	for (; k->freed < end; k->freed++) {
		struct job *j = &w->jobs[k->freed];
		if (j->ready && j->owner == k->idx + 1) {
			git_blob_free(j->nb);
			j->nb = NULL;
		}
	}
}

/* This thread's CPU time so far, in ms. */
static double thread_cpu_ms(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t))
		return 0;
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;
	struct walk *w = k->w;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		worker_free_blobs(k, 0);
		if (!job_take(w, k->g, k->idx + 1))
			pthread_cond_wait(&w->cv, &w->mu);
	}
	/* this thread's jobs are judged, or never will be */
	worker_free_blobs(k, 1);
	pthread_mutex_unlock(&w->mu);
	ledger_parse_thread_end();
	pthread_mutex_lock(&w->mu);
	w->workers_cpu_ms += thread_cpu_ms();
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Threads besides this one: GITDIAL_THREADS (all threads, 1 = this one
 * only) or one per other online CPU, at most AUDIT_WALK_THREADS.
 */
static int workers_wanted(void)
{
	const char *env = getenv("GITDIAL_THREADS");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);
		cpus = !*end && v >= 1 ? v : 1;
	}
	if (cpus <= 1)
		return 0;
	return cpus - 1 > AUDIT_WALK_THREADS ? AUDIT_WALK_THREADS : (int)(cpus - 1);
}

/* Starts the workers for the jobs listed; returns how many run. */
static int workers_start(struct walk *w)
{
	int i, n = 0;

	if (w->n_jobs < PAR_MIN)
		return 0;
	for (i = 0; i < w->n_workers; i++) {
		struct worker *k = &w->workers[i];
		if (!k->g && git_repository_open_bare(&k->g, git_repository_path(w->g))) {
			git_error_clear();
			w->n_workers = i; /* as many as could open it */
			break;
		}
		k->w = w;
		k->idx = i;
		k->freed = 0;
		k->started = !pthread_create(&k->tid, NULL, worker_main, k);
		n += k->started;
	}
	return n;
}

static void workers_stop(struct walk *w)
{
	int i;

	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < AUDIT_WALK_THREADS; i++)
		if (w->workers[i].started) {
			pthread_join(w->workers[i].tid, NULL);
			w->workers[i].started = 0;
		}
}

/* ---- judging a job (this thread) ------------------------------------ */

/* Feeds the lines of a dnc/ file's new text from j->common on to the checks. */
static int feed_dnc(struct walk *w, const struct job *j, uint32_t file)
{
	const char *data = j->nd;
	struct audit_at at;
	size_t i = j->common, len = j->nlen;
	uint32_t line = (uint32_t)j->oline + 1;
	int rc = 0;

	at.commit = w->cidx;
	at.file = file;
	while (!rc && i < len) {
		const char *p = data + i, *nl = memchr(p, '\n', len - i);
		size_t n = nl ? (size_t)(nl - p) : len - i;
		at.line = line++;
		i += n + (nl ? 1 : 0);
		if (!n)
			continue;
		w->out->lines++;
		rc = audit_dnc_line(w->a, &at, p, n);
	}
	return rc;
}

/* Feeds the parsed new lines of a campaign's log to the checks. */
static int feed_log(struct walk *w, const struct job *j, uint32_t file)
{
	struct audit_at at;
	size_t k;
	int rc = 0;

	at.commit = w->cidx;
	at.file = file;
	w->out->lines += j->nlines;
	for (k = 0; !rc && k < j->nev; k++) {
		const struct ev *e = &j->evs[k];
		const struct audit_ctx *ctx = NULL;
		at.line = j->at[k].line;
		if (audit_event_needs_ctx(e) && (rc = conf_get(w, j->campaign, &ctx)))
			break;
		rc = audit_event(w->a, j->campaign, &at, e, &j->pool,
				 j->at[k].rules ? j->rec[j->at[k].rules - 1] : NULL,
				 ctx);
	}
	return rc;
}

static int job_judge(struct walk *w, const struct job *j)
{
	struct audit_at at;
	const char *campaign = j->campaign;
	int rc = 0;

	if (j->failed)
		return gd_error_set("%s", j->err ? j->err : "out of memory");
	at.commit = w->cidx;
	at.file = audit_file(w->a, j->path);
	at.line = 1;
	audit_count(w->a, AC_HISTORY, 1);
	if (j->verdict == V_REMOVED) {
		rc = audit_report(w->a, AC_HISTORY, "line-removed", campaign, &at,
				  "%s removed (%zu line%s)", j->path, j->old_lines,
				  j->old_lines == 1 ? "" : "s");
	} else if (j->verdict != V_NONE) {
		int removed = j->verdict == V_LINE_REMOVED;
		at.line = (uint32_t)j->oline + 1;
		rc = audit_report(w->a, AC_HISTORY,
				  removed ? "line-removed" : "line-changed",
				  campaign, &at, "line %zu of %s %s in this commit",
				  j->oline + 1, j->path, removed ? "removed" : "changed");
	}
	if (!rc && j->fed)
		rc = j->campaign[0] ? feed_log(w, j, at.file) : feed_dnc(w, j, at.file);
	return rc;
}

/*
 * Reads and judges the jobs listed, in order, with the workers reading
 * ahead when there are enough of them.
 */
static int jobs_run(struct walk *w)
{
	size_t i;
	int rc = 0, nw;

	w->next = w->done = w->held = 0;
	w->stop = 0;
	w->jobs_total += w->n_jobs;
	ledger_parse_hold(); /* cJSON's hooks stay as they are until the end */
	nw = workers_start(w);
	for (i = 0; !rc && i < w->n_jobs; i++) {
		struct job *j = &w->jobs[i];
		pthread_mutex_lock(&w->mu);
		while (!j->ready)
			if (!job_take(w, w->g, 0))
				pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
		rc = job_judge(w, j);
		pthread_mutex_lock(&w->mu);
		w->held -= j->bytes;
		w->done = i + 1;
		job_release(j);
		if (j->owner == 0) {
			git_blob_free(j->nb);
			j->nb = NULL;
		}
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	if (nw)
		workers_stop(w);
	ledger_parse_release();
	/* what an error left unjudged (the workers freed their blobs) */
	for (; i < w->n_jobs; i++) {
		job_release(&w->jobs[i]);
		if (w->jobs[i].owner == 0)
			git_blob_free(w->jobs[i].nb);
		w->jobs[i].nb = NULL;
	}
	w->n_jobs = 0;
	return rc;
}

/* ---- listing a commit's jobs ---------------------------------------- */

/* True when another parent of the merge being walked has id at path. */
static int in_other_parent(struct walk *w, const char *path, const git_oid *id,
			   int *absent_somewhere)
{
	unsigned i, n = git_commit_parentcount(w->cm);
	int found = 0;

	*absent_somewhere = 0;
	for (i = 1; i < n; i++) {
		git_commit *p = NULL;
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		if (git_commit_parent(&p, w->cm, i) || git_commit_tree(&t, p)) {
			git_commit_free(p);
			continue;
		}
		if (git_tree_entry_bypath(&e, t, path))
			*absent_somewhere = 1;
		else if (id && !git_oid_cmp(git_tree_entry_id(e), id))
			found = 1;
		git_tree_entry_free(e);
		git_tree_free(t);
		git_commit_free(p);
	}
	git_error_clear();
	return found;
}

/* Lists one file of outcomes/ or dnc/ that the commit added, changed or removed. */
static int job_add(struct walk *w, const git_diff_delta *d, git_delta_t status,
		   const char *top)
{
	char campaign[65] = "";
	const char *rel;
	struct job *j;
	size_t len;
	int absent = 0, merge = git_commit_parentcount(w->cm) > 1;

	rel = status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
	if (!strcmp(top, "outcomes")) {
		const char *sl = strchr(rel, '/');
		size_t n = sl ? (size_t)(sl - rel) : 0;
		if (!n || n >= sizeof(campaign))
			return 0; /* not a campaign's log */
		memcpy(campaign, rel, n);
		campaign[n] = '\0';
		if (!id_wanted(w, campaign))
			return 0;
	}
	if (w->n_jobs == w->jobs_alloc) {
		size_t na = w->jobs_alloc ? w->jobs_alloc * 2 : 64;
		struct job *v = realloc(w->jobs, na * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		w->jobs = v;
		w->jobs_alloc = na;
	}
	j = &w->jobs[w->n_jobs];
	memset(j, 0, sizeof(*j));
	snprintf(j->path, sizeof(j->path), "%s/%s", top, rel);
	/* a merge brings lines its other parents had: not new here */
	if (merge && status != GIT_DELTA_DELETED &&
	    in_other_parent(w, j->path, &d->new_file.id, &absent))
		return 0;
	if (merge && status == GIT_DELTA_DELETED) {
		in_other_parent(w, j->path, NULL, &absent);
		if (absent)
			return 0;
	}
	snprintf(j->campaign, sizeof(j->campaign), "%s", campaign);
	j->status = status;
	git_oid_cpy(&j->old_id, &d->old_file.id);
	git_oid_cpy(&j->new_id, &d->new_file.id);
	len = strlen(j->path);
	j->jsonl = len > 6 && !strcmp(j->path + len - 6, ".jsonl");
	w->n_jobs++;
	return 0;
}

/* The subtree top of tree, or NULL. */
static git_tree *subtree(git_repository *g, git_tree *tree, const char *top)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;

	if (!tree || git_tree_entry_bypath(&e, tree, top))
		return NULL;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		git_tree_lookup(&t, g, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return t;
}

static int walk_top(struct walk *w, git_tree *old, const char *top)
{
	git_tree *a = subtree(w->g, old, top), *b = subtree(w->g, w->tree, top);
	git_diff_options o;
	git_diff *diff = NULL;
	size_t i, n;
	int rc = 0;

	if (!a && !b) {
		git_error_clear();
		return 0;
	}
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	o.flags |= GIT_DIFF_SKIP_BINARY_CHECK;
	if (git_diff_tree_to_tree(&diff, w->g, a, b, &o))
		rc = gitx_fail("comparing trees");
	n = diff ? git_diff_num_deltas(diff) : 0;
	for (i = 0; !rc && i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (d->status == GIT_DELTA_TYPECHANGE) {
			/* treat as removed, then added */
			if (!(rc = job_add(w, d, GIT_DELTA_DELETED, top)))
				rc = job_add(w, d, GIT_DELTA_ADDED, top);
		} else if (d->status == GIT_DELTA_ADDED ||
			   d->status == GIT_DELTA_DELETED ||
			   d->status == GIT_DELTA_MODIFIED) {
			rc = job_add(w, d, d->status, top);
		}
	}
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	if (!rc)
		rc = jobs_run(w);
	w->n_jobs = 0;
	return rc;
}

/* ---- the history ---------------------------------------------------- */

static int is_runner(const git_signature *s)
{
	return s && s->name && s->email && !strcmp(s->name, AUDIT_RUNNER_NAME) &&
	       !strcmp(s->email, AUDIT_RUNNER_EMAIL);
}

static int walk_commit(struct walk *w, const git_oid *id)
{
	git_commit *parent = NULL;
	git_tree *old = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	char hex[41];
	int runner, sgn, in_range = 1, rc = 0;

	if (git_commit_lookup(&w->cm, w->g, id))
		return gitx_fail("reading a commit");
	git_oid_tostr(hex, sizeof(hex), id);
	runner = is_runner(git_commit_author(w->cm)) &&
		 is_runner(git_commit_committer(w->cm));
	sgn = !git_commit_extract_signature(&sig, &data, w->g, (git_oid *)id, NULL);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_error_clear();
	if (w->range)
		in_range = bsearch(id, w->range, w->n_range, sizeof(*w->range),
				   oid_cmp) != NULL;
	w->cidx = audit_commit(w->a, hex, runner, in_range);
	if (w->cidx == UINT32_MAX) {
		git_commit_free(w->cm);
		w->cm = NULL;
		return gd_error_set("out of memory");
	}
	if (!w->out->commits++)
		snprintf(w->out->first, sizeof(w->out->first), "%s", hex);
	if (runner) {
		w->out->runner_commits++;
		w->out->signed_commits += sgn;
		if (sgn)
			w->signing = 1;
		else if (w->signing) {
			struct audit_at at = { w->cidx, UINT32_MAX, 0 };
			rc = audit_report(w->a, AC_HISTORY, "unsigned-runner-commit", "",
					  &at, "a runner commit without a signature after "
					  "the runner's commits were signed");
		}
	}
	if (!rc && git_commit_tree(&w->tree, w->cm))
		rc = gitx_fail("reading a commit's tree");
	if (!rc && git_commit_parentcount(w->cm) &&
	    (git_commit_parent(&parent, w->cm, 0) || git_commit_tree(&old, parent)))
		rc = gitx_fail("reading a parent commit");
	if (!rc)
		rc = walk_top(w, old, "dnc");
	if (!rc)
		rc = walk_top(w, old, "outcomes");
	git_tree_free(old);
	git_commit_free(parent);
	git_tree_free(w->tree);
	git_commit_free(w->cm);
	w->tree = NULL;
	w->cm = NULL;
	return rc;
}

/* The commits not reachable from since: the range findings are reported for. */
static int range_load(struct walk *w, const git_oid *head, const git_oid *since)
{
	git_revwalk *rw = NULL;
	git_oid id;
	size_t alloc = 0;
	int rc = 0;

	if (git_revwalk_new(&rw, w->g) || git_revwalk_push(rw, head) ||
	    git_revwalk_hide(rw, since)) {
		git_revwalk_free(rw);
		return gitx_fail("walking the history");
	}
	while (!git_revwalk_next(&id, rw)) {
		if (w->n_range == alloc) {
			git_oid *v = realloc(w->range, (alloc ? alloc * 2 : 256) * sizeof(*v));
			if (!v) {
				rc = gd_error_set("out of memory");
				break;
			}
			w->range = v;
			alloc = alloc ? alloc * 2 : 256;
		}
		git_oid_cpy(&w->range[w->n_range++], &id);
	}
	git_revwalk_free(rw);
	if (!w->range && !rc) /* nothing in range: still a (one-slot) set */
		w->range = calloc(1, sizeof(*w->range));
	if (w->range && w->n_range)
		qsort(w->range, w->n_range, sizeof(*w->range), oid_cmp);
	return rc;
}

/* Resolves since to a commit and loads the range it leaves. */
static int since_load(struct walk *w, const git_oid *head, const char *since)
{
	git_object *x = NULL, *o = NULL;
	int rc;

	if (git_revparse_single(&x, w->g, since) ||
	    git_object_peel(&o, x, GIT_OBJECT_COMMIT)) {
		git_error_clear();
		rc = gd_error_set("--since %s: not a commit of this repository", since);
	} else {
		git_oid_tostr(w->out->since, sizeof(w->out->since), git_object_id(o));
		rc = range_load(w, head, git_object_id(o));
	}
	git_object_free(o);
	git_object_free(x);
	return rc;
}

static int walk_all(struct walk *w, const git_oid *head)
{
	git_revwalk *rw = NULL;
	git_oid id;
	int rc = 0, err;

	if (git_revwalk_new(&rw, w->g) ||
	    git_revwalk_sorting(rw, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(rw, head)) {
		git_revwalk_free(rw);
		return gitx_fail("walking the history");
	}
	while (!rc && !(err = git_revwalk_next(&id, rw)))
		rc = walk_commit(w, &id);
	if (!rc && err != GIT_ITEROVER)
		rc = gitx_fail("walking the history");
	git_revwalk_free(rw);
	return rc;
}

/* The head's tree, outcomes/ and dnc/ ids, for the report. */
static void head_trees(struct walk *w, const git_oid *head)
{
	git_commit *c = NULL;
	git_tree *t = NULL;

	git_oid_tostr(w->out->head, sizeof(w->out->head), head);
	if (!git_commit_lookup(&c, w->g, head) && !git_commit_tree(&t, c)) {
		git_oid_tostr(w->out->tree, sizeof(w->out->tree), git_tree_id(t));
		entry_id(t, "outcomes", w->out->outcomes);
		entry_id(t, "dnc", w->out->dnc);
	}
	git_error_clear();
	git_tree_free(t);
	git_commit_free(c);
}

int audit_walk(struct store *st, const git_oid *head, const char *since,
	       const char *const *ids, int n_ids, struct audit *a,
	       struct audit_range *out)
{
	struct walk w;
	size_t i;
	int k, rc = 0;

	memset(out, 0, sizeof(*out));
	if (n_ids < 0 || n_ids > AUDIT_IDS_MAX)
		return gd_error_set("at most %d campaign ids", AUDIT_IDS_MAX);
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.g = store_repo(st);
	w.a = a;
	w.ids = ids;
	w.n_ids = n_ids;
	w.out = out;
	w.n_workers = workers_wanted();
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (since)
		rc = since_load(&w, head, since);
	if (!rc)
		rc = walk_all(&w, head);
	if (!rc)
		head_trees(&w, head);
	trace_note("audit walk: %zu commits, %zu files, %zu of them read ahead "
		   "by %d thread%s (%.0f ms of CPU; this thread %.0f ms)",
		   out->commits, w.jobs_total, w.jobs_ahead, w.n_workers,
		   w.n_workers == 1 ? "" : "s", w.workers_cpu_ms, thread_cpu_ms());
	for (i = 0; i < w.n_confs; i++)
		conf_release(&w.confs[i]);
	free(w.confs);
	free(w.range);
	free(w.jobs);
	for (k = 0; k < AUDIT_WALK_THREADS; k++)
		git_repository_free(w.workers[k].g);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rc;
}
