/*
 * gitdial audit [ID...] [--since REV] [--format text|json|html] [--out DIR]
 * [--repo PATH]: the runner's promises checked again from the branch's
 * history alone (docs/audit.md). Every commit from the root to the head,
 * parents first, is compared with its first parent under outcomes/ and
 * dnc/: a line changed or removed is a finding; the lines a commit added
 * go to the checks (core/audit.c) with the campaign.json, audience,
 * rules pack and gitdial.json of that commit. No cache, spool or network
 * is read: what the audit says follows from the objects of the
 * repository. Exit 0 when every check holds, 1 with findings, 2 on a
 * usage error, 3 when the repository cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "html.h"
#include "ledger.h"
#include "repo.h"
#include "state.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial audit [ID...] [--since REV] [--format text|json|html] [--out DIR]\n"
	"              [--repo PATH]";

/* Exit codes (docs/audit.md). */
#define AUDIT_EXIT_FINDINGS 1
#define AUDIT_EXIT_UNREADABLE 3

/* The runner's commits (runner/cmd/tick.c writes them so). */
#define RUNNER_NAME "gitdial runner"
#define RUNNER_EMAIL "runner@gitdial.invalid"

#define IDS_MAX 64
#define LOG_BLOB_MAX (512u << 20)

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

struct walk {
	struct store *st;
	git_repository *g;
	struct audit *a;
	const char *ids[IDS_MAX];
	int n_ids;
	git_oid *range; /* commits in range (--since), sorted */
	size_t n_range;
	struct conf *confs;
	size_t n_confs;
	struct ev_pool pool;
	struct ev *evs; /* a file's lines, parsed */
	size_t evs_alloc;
	/* the commit being walked */
	git_commit *cm;
	git_tree *tree;
	uint32_t cidx;
	/* figures */
	size_t commits, runner_commits, signed_commits, lines;
	int signing; /* a runner commit was signed: from then on all must be */
	git_oid head, first;
	char since[41];
};

static int oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return gd_error_set("%s: %s", what, e && e->message ? e->message : "libgit2 error");
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

/*
 * Feeds the lines of data from offset from (line number first_line) to
 * the checks: a campaign's log when campaign is set, else dnc/.
 */
static int feed(struct walk *w, const char *campaign, uint32_t file,
		const char *data, size_t len, size_t from, uint32_t first_line)
{
	struct audit_at at;
	size_t i = from, k = 0, nev = 0;
	uint32_t line = first_line;
	int rc = 0;

	at.commit = w->cidx;
	at.file = file;
	/* a log's lines parsed at once (the replay's parser), then judged */
	if (campaign && (rc = ledger_parse(data + from, len - from, &w->evs, &nev,
					   &w->evs_alloc, &w->pool)))
		return rc;
	while (!rc && i < len) {
		const char *p = data + i, *nl = memchr(p, '\n', len - i);
		size_t n = nl ? (size_t)(nl - p) : len - i;
		at.line = line++;
		i += n + (nl ? 1 : 0);
		if (!n)
			continue;
		w->lines++;
		if (!campaign) {
			rc = audit_dnc_line(w->a, &at, p, n);
		} else if (k < nev) {
			const struct ev *e = &w->evs[k++];
			const struct audit_ctx *ctx = NULL;
			if (audit_event_needs_ctx(e) && (rc = conf_get(w, campaign, &ctx)))
				break;
			rc = audit_event(w->a, campaign, &at, e, &w->pool, p, n, ctx);
		}
	}
	return rc;
}

static int blob_of(struct walk *w, git_blob **out, const git_oid *id)
{
	if (git_blob_lookup(out, w->g, id))
		return git_fail("reading a blob");
	if (git_blob_rawsize(*out) > LOG_BLOB_MAX) {
		git_blob_free(*out);
		*out = NULL;
		return gd_error_set("a log file over %u MB", LOG_BLOB_MAX >> 20);
	}
	return 0;
}

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
	return found;
}

/* One file of outcomes/ or dnc/ that the commit added, changed or removed. */
static int delta(struct walk *w, const git_diff_delta *d, const char *top)
{
	char path[600], campaign[65] = "";
	const char *rel;
	git_blob *ob = NULL, *nb = NULL;
	struct audit_at at;
	uint32_t file;
	int absent = 0, rc = 0, is_log, merge = git_commit_parentcount(w->cm) > 1;
	size_t olen = 0, nlen = 0, common = 0, oline = 0;
	const char *od = NULL, *nd = NULL;

	rel = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	is_log = !strcmp(top, "outcomes");
	if (is_log) {
		const char *sl = strchr(rel, '/');
		size_t n = sl ? (size_t)(sl - rel) : 0;
		if (!n || n >= sizeof(campaign))
			return 0; /* not a campaign's log */
		memcpy(campaign, rel, n);
		campaign[n] = '\0';
		if (!id_wanted(w, campaign))
			return 0;
	}
	file = audit_file(w->a, path);
	at.commit = w->cidx;
	at.file = file;
	at.line = 1;
	/* a merge brings lines its other parents had: not new here */
	if (merge && d->status != GIT_DELTA_DELETED &&
	    in_other_parent(w, path, &d->new_file.id, &absent))
		return 0;
	if (merge && d->status == GIT_DELTA_DELETED) {
		in_other_parent(w, path, NULL, &absent);
		if (absent)
			return 0;
	}
	if (d->status != GIT_DELTA_ADDED && (rc = blob_of(w, &ob, &d->old_file.id)))
		return rc;
	if (d->status != GIT_DELTA_DELETED && (rc = blob_of(w, &nb, &d->new_file.id))) {
		git_blob_free(ob);
		return rc;
	}
	if (ob) {
		od = git_blob_rawcontent(ob);
		olen = (size_t)git_blob_rawsize(ob);
	}
	if (nb) {
		nd = git_blob_rawcontent(nb);
		nlen = (size_t)git_blob_rawsize(nb);
	}
	audit_count(w->a, AC_HISTORY, 1);
	if (ob && !nb) {
		rc = audit_report(w->a, AC_HISTORY, "line-removed", campaign, &at,
				  "%s removed (%zu line%s)", path, count_lines(od, olen),
				  count_lines(od, olen) == 1 ? "" : "s");
	} else if (ob) {
		/* the old text must be all there, at the start */
		size_t i;
		for (i = 0; i < olen && i < nlen && od[i] == nd[i]; i++)
			if (od[i] == '\n') {
				oline++;
				common = i + 1;
			}
		if (i < olen || od[olen - 1] != '\n') {
			/* a line removed, or changed (a last line without a
			 * newline that went on is changed too); what follows
			 * its start is new in this commit */
			at.line = (uint32_t)oline + 1;
			rc = audit_report(w->a, AC_HISTORY,
					  i < olen && i >= nlen ? "line-removed" : "line-changed",
					  campaign, &at, "line %zu of %s %s in this commit",
					  oline + 1, path,
					  i < olen && i >= nlen ? "removed" : "changed");
		}
	}
	if (!rc && nb && strlen(path) > 6 && !strcmp(path + strlen(path) - 6, ".jsonl"))
		rc = feed(w, is_log ? campaign : NULL, file, nd, nlen, common,
			  (uint32_t)oline + 1);
	git_blob_free(ob);
	git_blob_free(nb);
	return rc;
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

	if (!a && !b)
		return 0;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	o.flags |= GIT_DIFF_SKIP_BINARY_CHECK;
	if (git_diff_tree_to_tree(&diff, w->g, a, b, &o))
		rc = git_fail("comparing trees");
	n = diff ? git_diff_num_deltas(diff) : 0;
	for (i = 0; !rc && i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (d->status == GIT_DELTA_TYPECHANGE) {
			/* treat as removed, then added */
			git_diff_delta x = *d;
			x.status = GIT_DELTA_DELETED;
			if (!(rc = delta(w, &x, top))) {
				x = *d;
				x.status = GIT_DELTA_ADDED;
				rc = delta(w, &x, top);
			}
		} else if (d->status == GIT_DELTA_ADDED ||
			   d->status == GIT_DELTA_DELETED ||
			   d->status == GIT_DELTA_MODIFIED) {
			rc = delta(w, d, top);
		}
	}
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

static int is_runner(const git_signature *s)
{
	return s && s->name && s->email && !strcmp(s->name, RUNNER_NAME) &&
	       !strcmp(s->email, RUNNER_EMAIL);
}

static int walk_commit(struct walk *w, const git_oid *id)
{
	git_commit *parent = NULL;
	git_tree *old = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	char hex[41];
	int runner, sgn, in_range = 1, rc = 0;

	if (git_commit_lookup(&w->cm, w->g, id))
		return git_fail("reading a commit");
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
		return gd_error_set("out of memory");
	}
	if (!w->commits++)
		git_oid_cpy(&w->first, id);
	if (runner) {
		w->runner_commits++;
		w->signed_commits += sgn;
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
		rc = git_fail("reading a commit's tree");
	if (!rc && git_commit_parentcount(w->cm) &&
	    (git_commit_parent(&parent, w->cm, 0) || git_commit_tree(&old, parent)))
		rc = git_fail("reading a parent commit");
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
static int range_load(struct walk *w, const git_oid *since)
{
	git_revwalk *rw = NULL;
	git_oid id;
	size_t alloc = 0;
	int rc = 0;

	if (git_revwalk_new(&rw, w->g) || git_revwalk_push(rw, &w->head) ||
	    git_revwalk_hide(rw, since)) {
		git_revwalk_free(rw);
		return git_fail("walking the history");
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

static int walk_all(struct walk *w)
{
	git_revwalk *rw = NULL;
	git_oid id;
	int rc = 0, err;

	if (git_revwalk_new(&rw, w->g) ||
	    git_revwalk_sorting(rw, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(rw, &w->head)) {
		git_revwalk_free(rw);
		return git_fail("walking the history");
	}
	while (!rc && !(err = git_revwalk_next(&id, rw)))
		rc = walk_commit(w, &id);
	if (!rc && err != GIT_ITEROVER)
		rc = git_fail("walking the history");
	git_revwalk_free(rw);
	return rc;
}

/* ---- output ---------------------------------------------------------- */

struct report {
	const struct walk *w;
	const char *branch;
	char head[41], tree[41], outcomes[41], dnc[41], first[41];
};

static void text_out(struct buf *b, const struct report *r)
{
	const struct audit *a = r->w->a;
	const struct audit_finding *f;
	size_t n, i, total = audit_found_total(a);
	int k;

	buf_printf(b, "gitdial audit of %s at %s (tree %s)\n", r->branch, r->head,
		   r->tree);
	buf_printf(b, "commits: %zu walked from %s%s%s, %zu by the runner (%zu "
		   "signed), %zu log lines\n", r->w->commits, r->first,
		   r->w->since[0] ? "; findings since " : "", r->w->since,
		   r->w->runner_commits, r->w->signed_commits, r->w->lines);
	buf_printf(b, "outcomes/ tree %s, dnc/ tree %s\n\n",
		   r->outcomes[0] ? r->outcomes : "-", r->dnc[0] ? r->dnc : "-");
	for (k = 0; k < AC_N; k++)
		buf_printf(b, "%-11s %-4s %9zu checked, %zu finding%s\n",
			   audit_check_names[k], audit_found(a, k) ? "FAIL" : "ok",
			   audit_checked(a, k), audit_found(a, k),
			   audit_found(a, k) == 1 ? "" : "s");
	f = audit_findings(a, &n);
	if (n)
		buf_puts(b, "\n");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s/%s: %s%s%s:%lu: commit %s: %s\n",
			   audit_check_names[f[i].check], f[i].rule,
			   f[i].campaign, f[i].campaign[0] ? ": " : "",
			   f[i].file[0] ? f[i].file : "-", f[i].line,
			   f[i].commit, f[i].message);
	if (total > n)
		buf_printf(b, "(%zu more findings not listed: at most %d per check)\n",
			   total - n, AUDIT_KEEP);
	buf_printf(b, "\n%s: %zu finding%s\n", total ? "FAILED" : "OK", total,
		   total == 1 ? "" : "s");
}

static cJSON *json_out(const struct report *r)
{
	const struct audit *a = r->w->a;
	const struct audit_finding *f;
	cJSON *o = cJSON_CreateObject(), *x, *arr;
	size_t n, i;
	int k;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddBoolToObject(o, "ok", audit_found_total(a) == 0);
	cJSON_AddStringToObject(o, "branch", r->branch);
	x = cJSON_AddObjectToObject(o, "range");
	cJSON_AddStringToObject(x, "first", r->first);
	if (r->w->since[0])
		cJSON_AddStringToObject(x, "since", r->w->since);
	else
		cJSON_AddNullToObject(x, "since");
	cJSON_AddStringToObject(x, "head", r->head);
	cJSON_AddStringToObject(x, "tree", r->tree);
	cJSON_AddStringToObject(x, "outcomes_tree", r->outcomes);
	cJSON_AddStringToObject(x, "dnc_tree", r->dnc);
	cJSON_AddNumberToObject(x, "commits", (double)r->w->commits);
	cJSON_AddNumberToObject(x, "runner_commits", (double)r->w->runner_commits);
	cJSON_AddNumberToObject(x, "signed_runner_commits", (double)r->w->signed_commits);
	cJSON_AddNumberToObject(x, "lines", (double)r->w->lines);
	x = cJSON_AddObjectToObject(o, "runner");
	cJSON_AddStringToObject(x, "name", RUNNER_NAME);
	cJSON_AddStringToObject(x, "email", RUNNER_EMAIL);
	arr = cJSON_AddArrayToObject(o, "checks");
	for (k = 0; k < AC_N; k++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", audit_check_names[k]);
		cJSON_AddStringToObject(c, "proves", audit_check_titles[k]);
		cJSON_AddNumberToObject(c, "checked", (double)audit_checked(a, k));
		cJSON_AddNumberToObject(c, "findings", (double)audit_found(a, k));
		cJSON_AddBoolToObject(c, "ok", audit_found(a, k) == 0);
		cJSON_AddItemToArray(arr, c);
	}
	f = audit_findings(a, &n);
	cJSON_AddNumberToObject(o, "findings_total", (double)audit_found_total(a));
	arr = cJSON_AddArrayToObject(o, "findings");
	for (i = 0; i < n; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "check", audit_check_names[f[i].check]);
		cJSON_AddStringToObject(c, "rule", f[i].rule);
		cJSON_AddStringToObject(c, "campaign", f[i].campaign);
		cJSON_AddStringToObject(c, "file", f[i].file);
		cJSON_AddNumberToObject(c, "line", (double)f[i].line);
		cJSON_AddStringToObject(c, "commit", f[i].commit);
		cJSON_AddStringToObject(c, "message", f[i].message);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}

static void html_out(struct buf *b, const struct report *r)
{
	const struct audit *a = r->w->a;
	const struct audit_finding *f;
	size_t n, i, total = audit_found_total(a);
	int k;

	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<title>gitdial audit</title><style>"
		 "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
		 "table{border-collapse:collapse;margin:1em 0}"
		 "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
		 "th{background:#f4f4f4}.ok{color:#176b2c;font-weight:bold}"
		 ".fail{color:#b00020;font-weight:bold}code{font-size:12px}"
		 "</style></head><body>\n");
	buf_printf(b, "<h1>gitdial audit: <span class=\"%s\">%s</span></h1>\n",
		   total ? "fail" : "ok", total ? "FAILED" : "every check holds");
	buf_puts(b, "<table><tr><th>branch</th><td>");
	html_put(b, r->branch);
	buf_printf(b, "</td></tr><tr><th>head commit</th><td><code>%s</code></td></tr>"
		   "<tr><th>head tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>outcomes/ tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>dnc/ tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>first commit walked</th><td><code>%s</code></td></tr>"
		   "<tr><th>findings reported since</th><td><code>%s</code></td></tr>"
		   "<tr><th>commits</th><td>%zu walked, %zu by the runner "
		   "(&quot;%s&quot; &lt;%s&gt;), %zu of them signed</td></tr>"
		   "<tr><th>log lines read</th><td>%zu</td></tr></table>\n",
		   r->head, r->tree, r->outcomes[0] ? r->outcomes : "-",
		   r->dnc[0] ? r->dnc : "-", r->first,
		   r->w->since[0] ? r->w->since : "the first commit",
		   r->w->commits, r->w->runner_commits, RUNNER_NAME, RUNNER_EMAIL,
		   r->w->signed_commits, r->w->lines);
	buf_puts(b, "<h2>Checks</h2>\n<table><tr><th>check</th><th>what it proves</th>"
		 "<th>checked</th><th>findings</th><th>result</th></tr>\n");
	for (k = 0; k < AC_N; k++)
		buf_printf(b, "<tr><td>%s</td><td>%s</td><td>%zu</td><td>%zu</td>"
			   "<td class=\"%s\">%s</td></tr>\n", audit_check_names[k],
			   audit_check_titles[k], audit_checked(a, k),
			   audit_found(a, k), audit_found(a, k) ? "fail" : "ok",
			   audit_found(a, k) ? "FAIL" : "ok");
	buf_puts(b, "</table>\n<h2>Findings</h2>\n");
	f = audit_findings(a, &n);
	if (!n)
		buf_puts(b, "<p>None.</p>\n");
	else
		buf_puts(b, "<table><tr><th>check</th><th>rule</th><th>campaign</th>"
			 "<th>event</th><th>commit</th><th>finding</th></tr>\n");
	for (i = 0; i < n; i++) {
		buf_printf(b, "<tr><td>%s</td><td>", audit_check_names[f[i].check]);
		html_put(b, f[i].rule);
		buf_puts(b, "</td><td>");
		html_put(b, f[i].campaign);
		buf_puts(b, "</td><td><code>");
		html_put(b, f[i].file[0] ? f[i].file : "-");
		buf_printf(b, ":%lu</code></td><td><code>%s</code></td><td>", f[i].line,
			   f[i].commit);
		html_put(b, f[i].message);
		buf_puts(b, "</td></tr>\n");
	}
	if (n)
		buf_puts(b, "</table>\n");
	if (total > n)
		buf_printf(b, "<p>%zu more findings not listed (at most %d per check).</p>\n",
			   total - n, AUDIT_KEEP);
	buf_puts(b, "<p>Made by <code>gitdial audit</code> from the repository's "
		 "objects alone; re-run it on the same head to get the same page.</p>\n"
		 "</body></html>\n");
}

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_write_atomic(path, data, len);
}

static int output(struct walk *w, int fmt, const char *out_dir)
{
	struct report r;
	struct buf b = BUF_INIT((size_t)64 << 20);
	git_commit *c = NULL;
	git_tree *t = NULL;
	cJSON *j = NULL;
	char *js = NULL;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.branch = store_branch(w->st);
	git_oid_tostr(r.head, sizeof(r.head), &w->head);
	git_oid_tostr(r.first, sizeof(r.first), &w->first);
	if (!git_commit_lookup(&c, w->g, &w->head) && !git_commit_tree(&t, c)) {
		git_oid_tostr(r.tree, sizeof(r.tree), git_tree_id(t));
		entry_id(t, "outcomes", r.outcomes);
		entry_id(t, "dnc", r.dnc);
	}
	git_tree_free(t);
	git_commit_free(c);
	if (out_dir) {
		if (mkdir(out_dir, 0777) && errno != EEXIST)
			return gd_error_set("cannot create %s", out_dir);
		text_out(&b, &r);
		if (!(rc = buf_check(&b)))
			rc = write_file(out_dir, "audit.txt", b.ptr, b.len);
		buf_reset(&b);
		if (!rc && (j = json_out(&r)) && (js = cJSON_PrintUnformatted(j)))
			rc = write_file(out_dir, "audit.json", js, strlen(js));
		else if (!rc)
			rc = gd_error_set("out of memory");
		if (!rc) {
			html_out(&b, &r);
			if (!(rc = buf_check(&b)))
				rc = write_file(out_dir, "index.html", b.ptr,
						b.len);
		}
		buf_reset(&b);
	}
	if (!rc) {
		if (fmt == 1) {
			if (!j)
				j = json_out(&r);
			if (!js && j)
				js = cJSON_PrintUnformatted(j);
			if (js)
				printf("%s\n", js);
		} else {
			if (fmt == 2)
				html_out(&b, &r);
			else
				text_out(&b, &r);
			if (!(rc = buf_check(&b)))
				fwrite(b.ptr ? b.ptr : "", 1, b.len, stdout);
		}
	}
	cJSON_free(js);
	cJSON_Delete(j);
	buf_release(&b);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct walk w;
	const char *root = ".", *since = NULL, *out_dir = NULL;
	int c, fmt = 0, rc, found = 0;
	size_t i;

	memset(&w, 0, sizeof(w));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 's': since = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				fmt = 0;
			else if (!strcmp(optarg, "json"))
				fmt = 1;
			else if (!strcmp(optarg, "html"))
				fmt = 2;
			else
				return usage_error("audit", usage, "unknown format '%s'",
						   optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("audit", usage, "bad option");
		}
	}
	for (; optind < argc; optind++) {
		if (!id_valid(argv[optind]))
			return usage_error("audit", usage, "'%s' is not a campaign id",
					   argv[optind]);
		if (w.n_ids == IDS_MAX)
			return usage_error("audit", usage, "at most %d campaign ids",
					   IDS_MAX);
		w.ids[w.n_ids++] = argv[optind];
	}
	if (store_open(&w.st, root)) {
		fprintf(stderr, "gitdial audit: %s\n", gd_error_last());
		return AUDIT_EXIT_UNREADABLE;
	}
	w.g = store_repo(w.st);
	rc = store_sync(w.st, NULL, &w.head, &found);
	if (!rc && !found)
		rc = gd_error_set("the branch %s has no commit", store_branch(w.st));
	if (!rc && since) {
		git_object *x = NULL, *o = NULL;
		if (git_revparse_single(&x, w.g, since) ||
		    git_object_peel(&o, x, GIT_OBJECT_COMMIT)) {
			rc = gd_error_set("--since %s: not a commit of this repository",
					  since);
		} else {
			git_oid_tostr(w.since, sizeof(w.since), git_object_id(o));
			rc = range_load(&w, git_object_id(o));
		}
		git_object_free(o);
		git_object_free(x);
	}
	if (!rc)
		rc = audit_new(&w.a);
	if (!rc)
		rc = walk_all(&w);
	if (!rc)
		rc = audit_finish(w.a);
	if (!rc)
		rc = output(&w, fmt, out_dir);
	if (rc)
		fprintf(stderr, "gitdial audit: %s\n", gd_error_last());
	else if (audit_found_total(w.a))
		rc = AUDIT_EXIT_FINDINGS;
	for (i = 0; i < w.n_confs; i++)
		conf_release(&w.confs[i]);
	free(w.confs);
	free(w.range);
	ev_pool_release(&w.pool);
	free(w.evs);
	audit_free(w.a);
	store_free(w.st);
	if (rc < 0)
		return AUDIT_EXIT_UNREADABLE;
	return rc;
}
