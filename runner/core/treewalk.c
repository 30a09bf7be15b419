#include <stdio.h>

#include "gitx.h"
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
