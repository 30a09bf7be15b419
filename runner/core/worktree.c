/* See worktree.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "err.h"
#include "worktree.h"
#include "banned.h"

/* What a status entry's flags say about a file, for people. */
static const char *dirty_why(unsigned int f)
{
	if (f & GIT_STATUS_CONFLICTED)
		return "has a merge conflict";
	if (f & GIT_STATUS_WT_NEW)
		return "is an untracked file in the way";
	if (f & (GIT_STATUS_INDEX_NEW | GIT_STATUS_INDEX_MODIFIED |
		 GIT_STATUS_INDEX_DELETED | GIT_STATUS_INDEX_RENAMED |
		 GIT_STATUS_INDEX_TYPECHANGE))
		return "has staged changes";
	if (f & GIT_STATUS_WT_DELETED)
		return "is deleted in the work tree";
	return "has uncommitted changes";
}

int worktree_dirty(struct store *st, const struct change *c, size_t from,
		   char *path, char *why, size_t n)
{
	git_repository *repo = store_repo(st);
	git_status_options so;
	git_status_list *list = NULL;
	git_reference *head = NULL;
	char **paths;
	size_t i, k;
	int rc = 0, onbranch;

	path[0] = why[0] = '\0';
	if (from >= c->n || git_repository_is_bare(repo))
		return 0;
	onbranch = !git_repository_head(&head, repo) &&
		   !strcmp(git_reference_shorthand(head), store_branch(st));
	git_reference_free(head);
	if (!onbranch)
		return 0;
	if (!(paths = calloc(c->n - from, sizeof(*paths))))
		return gd_error_set("out of memory");
	for (i = from; i < c->n; i++)
		paths[i - from] = c->v[i].path;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		   GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	so.pathspec.strings = paths;
	so.pathspec.count = c->n - from;
	if (git_status_list_new(&list, repo, &so)) {
		const git_error *e = git_error_last();
		rc = gd_error_set("cannot read the work tree's status: %s",
				  e && e->message ? e->message : "unknown error");
		goto cleanup;
	}
	for (k = 0; k < git_status_list_entrycount(list); k++) {
		const git_status_entry *e = git_status_byindex(list, k);
		const git_diff_delta *d = e->head_to_index ? e->head_to_index
					  : e->index_to_workdir;
		if (e->status == GIT_STATUS_CURRENT || !d)
			continue;
		snprintf(path, n, "%s", d->new_file.path ? d->new_file.path
			 : d->old_file.path);
		snprintf(why, n, "%s", dirty_why(e->status));
		rc = 1;
		break;
	}
cleanup:
	git_status_list_free(list);
	free(paths);
	return rc;
}
