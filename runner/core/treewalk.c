#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gitx.h"
#include "store.h"
#include "treewalk.h"
#include "banned.h"

/*
 * One level of treewalk_diff: old and new each have their entries in
 * git's order (which is the lexical order of the full paths), so one
 * pass pairs them up by name.
 */
static int diff_level(git_repository *repo, const git_tree *old,
		      const git_tree *new, const char *dir, treewalk_fn fn,
		      void *payload, int depth)
{
	size_t i = 0, j = 0, no = old ? git_tree_entrycount(old) : 0,
	       nn = git_tree_entrycount(new);
	int rc = 0;

	if (depth > TREEWALK_DEPTH_MAX)
		return 0;
	while (!rc && (i < no || j < nn)) {
		const git_tree_entry *a = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *b = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		int c = !a ? 1 : !b ? -1 : git_tree_entry_cmp(a, b);
		git_tree *sa = NULL, *sb = NULL;
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir,
			 git_tree_entry_name(c <= 0 ? a : b));
		if (c < 0) { /* gone */
			i++;
			rc = fn(payload, path, a, NULL);
			continue;
		}
		j++;
		if (c > 0) { /* new */
			a = NULL;
		} else {
			i++;
			if (git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)))
				continue;
		}
		if (git_tree_entry_type(b) != GIT_OBJECT_TREE) {
			rc = fn(payload, path, a, b);
			continue;
		}
		/*
		 * A directory in new, entered against old's of the same name
		 * (the same name is a directory on both sides: git's order
		 * tells a directory from a file), or against nothing.
		 */
		if ((a && git_tree_lookup(&sa, repo, git_tree_entry_id(a))) ||
		    git_tree_lookup(&sb, repo, git_tree_entry_id(b))) {
			git_tree_free(sa);
			return gitx_fail(path);
		}
		rc = diff_level(repo, sa, sb, path, fn, payload, depth + 1);
		git_tree_free(sa);
		git_tree_free(sb);
	}
	return rc;
}

int treewalk_diff(git_repository *repo, const git_tree *old,
		  const git_tree *new, const char *dir, treewalk_fn fn,
		  void *payload)
{
	return diff_level(repo, old, new, dir, fn, payload, 0);
}

/* One commit of treewalk_history's walk, for history_entry. */
struct history_step {
	treewalk_history_fn fn;
	void *payload;
	const git_oid *commit;
	git_time_t when;
};

/* A treewalk_diff callback calling the history's with its commit. */
static int history_entry(void *payload, const char *path,
			 const git_tree_entry *old, const git_tree_entry *new)
{
	struct history_step *h = payload;

	return h->fn(h->payload, h->commit, h->when, path, old, new);
}

int treewalk_history(git_repository *repo, const git_oid *head,
		     const char *dir, treewalk_history_fn fn, void *payload)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc = 0;

	if (git_revwalk_new(&walk, repo) ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(walk, head)) {
		rc = gd_error_set("cannot walk the history: %s",
				  git_error_last() ? git_error_last()->message : "?");
		goto cleanup;
	}
	while (!rc && !git_revwalk_next(&oid, walk)) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL, *sub = NULL, *psub = NULL;
		git_tree_entry *e = NULL, *pe = NULL;
		if (git_commit_lookup(&c, repo, &oid) || git_commit_tree(&t, c)) {
			rc = gd_error_set("cannot read commit %s", git_oid_tostr_s(&oid));
			goto next;
		}
		if (git_tree_entry_bypath(&e, t, dir) ||
		    git_tree_entry_type(e) != GIT_OBJECT_TREE)
			goto next; /* no dir in this commit */
		if (git_commit_parentcount(c) && !git_commit_parent(&parent, c, 0) &&
		    !git_commit_tree(&pt, parent) &&
		    !git_tree_entry_bypath(&pe, pt, dir) &&
		    !git_oid_cmp(git_tree_entry_id(pe), git_tree_entry_id(e)))
			goto next; /* dir did not change here */
		if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) ||
		    (pe && git_tree_entry_type(pe) == GIT_OBJECT_TREE &&
		     git_tree_lookup(&psub, repo, git_tree_entry_id(pe)))) {
			rc = gd_error_set("cannot read the log tree of %s",
					  git_oid_tostr_s(&oid));
			goto next;
		}
		{
			struct history_step h = { fn, payload, &oid,
						  git_commit_time(c) };
			rc = treewalk_diff(repo, psub, sub, dir, history_entry, &h);
		}
next:
		git_tree_free(sub);
		git_tree_free(psub);
		git_tree_entry_free(e);
		git_tree_entry_free(pe);
		git_tree_free(t);
		git_tree_free(pt);
		git_commit_free(parent);
		git_commit_free(c);
	}
cleanup:
	git_revwalk_free(walk);
	return rc;
}

struct first_added {
	struct treewalk_added **v;
	size_t n, left;
};

static int added_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a,
		      (*(const struct treewalk_added *const *)b)->path);
}

/* A treewalk_history_fn: notes commit for a file of v it adds. */
static int first_added_fn(void *payload, const git_oid *commit, git_time_t when,
			  const char *path, const git_tree_entry *old,
			  const git_tree_entry *new)
{
	struct first_added *fa = payload;
	struct treewalk_added **hit;

	(void)old;
	if (!new || git_tree_entry_type(new) != GIT_OBJECT_BLOB)
		return 0;
	hit = bsearch(&path, fa->v, fa->n, sizeof(*fa->v), added_cmp);
	if (hit && !(*hit)->found) {
		(*hit)->found = 1;
		git_oid_cpy(&(*hit)->commit, commit);
		(*hit)->when = (time_t)when;
		fa->left--;
	}
	return fa->left ? 0 : 1;
}

int treewalk_first_added(struct store *st, const git_oid *head,
			 const char *dir, struct treewalk_added **v, size_t n)
{
	struct first_added fa = { v, n, n };
	int rc;

	if (!n)
		return 0;
	rc = treewalk_history(store_repo(st), head, dir, first_added_fn, &fa);
	return rc > 0 ? 0 : rc; /* > 0: every file has its commit */
}
