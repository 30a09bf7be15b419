#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkout.h"
#include "err.h"
#include "gitx.h"
#include "src.h"
#include "store.h"
#include "util.h"
#include "banned.h"

/*
 * Whether the work tree may take path as a new file: nothing there yet,
 * and every directory on the way a real directory or missing (a symlink
 * is left to git_checkout_tree, which knows how to refuse it).
 */
static int workdir_new_path(const char *workdir, const char *path)
{
	char full[4096];
	struct stat sb;
	size_t i, n;

	if (snprintf(full, sizeof(full), "%s%s", workdir, path) >= (int)sizeof(full))
		return 0;
	n = strlen(workdir);
	for (i = n; full[i]; i++) {
		if (full[i] != '/')
			continue;
		full[i] = '\0';
		if (!lstat(full, &sb) && !S_ISDIR(sb.st_mode)) {
			full[i] = '/';
			return 0;
		}
		full[i] = '/';
	}
	return lstat(full, &sb) && errno == ENOENT;
}

/*
 * The tick's usual change only adds files the checkout has never had (a
 * new log file, a new DNC file): they are written into the work tree and
 * added to the index one by one, which costs the index's read and write,
 * not a checkout's walk of every file (25 ms a commit at 10,000 log
 * files). *done is 0 when the change is anything else (an edit, a
 * removal, a path already there): the caller checks out as before.
 */
static int checkout_added(git_repository *repo, const git_tree *base,
			  const struct change *c, int *done)
{
	const char *workdir = git_repository_workdir(repo);
	git_index *idx = NULL;
	git_tree_entry *e = NULL;
	char full[4096];
	size_t i;
	int rc = 0;

	*done = 0;
	if (!workdir || !base)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].remove || !path_safe(c->v[i].path) ||
		    !workdir_new_path(workdir, c->v[i].path))
			return 0;
		if (!git_tree_entry_bypath(&e, base, c->v[i].path)) {
			git_tree_entry_free(e);
			return 0;
		}
	}
	/* what is on disk now (a person may have staged something since) */
	if (git_repository_index(&idx, repo) || git_index_read(idx, 0)) {
		git_index_free(idx);
		return gitx_fail("cannot read the index");
	}
	for (i = 0; i < c->n; i++)
		if (git_index_get_bypath(idx, c->v[i].path, 0))
			goto cleanup; /* staged already: not ours to touch */
	for (i = 0; !rc && i < c->n; i++) {
		char *slash;
		snprintf(full, sizeof(full), "%s%s", workdir, c->v[i].path);
		if ((slash = strrchr(full, '/'))) {
			*slash = '\0';
			rc = dir_create(full);
			*slash = '/';
		}
		if (!rc)
			rc = file_write_new(full, c->v[i].data, c->v[i].len);
		if (!rc && git_index_add_bypath(idx, c->v[i].path))
			rc = gitx_fail("cannot add to the index");
	}
	if (!rc && git_index_write(idx))
		rc = gitx_fail("cannot write the index");
	if (!rc)
		*done = 1;
cleanup:
	git_index_free(idx);
	return rc;
}

int store_checkout_paths(struct store *st, const git_oid *parent,
			 const git_oid *commit, const struct change *c)
{
	git_checkout_options co;
	git_commit *cm = NULL, *pc = NULL;
	git_tree *base = NULL;
	git_reference *head = NULL;
	git_repository *repo = store_repo(st);
	char **paths;
	size_t i;
	int rc = 0, done = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (git_repository_is_bare(repo) || !c->n)
		return 0;
	/* only a checkout of the branch we committed to follows it */
	if (git_repository_head(&head, repo) ||
	    strcmp(git_reference_shorthand(head), store_branch(st)) ||
	    !git_oid_equal(git_reference_target(head), commit)) {
		git_reference_free(head);
		return 0;
	}
	git_reference_free(head);
	if (!(paths = calloc(c->n, sizeof(*paths))))
		return gd_error_set("out of memory");
	for (i = 0; i < c->n; i++)
		paths[i] = c->v[i].path;
	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.paths.strings = paths;
	co.paths.count = c->n;
	if (!git_commit_lookup(&pc, repo, parent) && !git_commit_tree(&base, pc))
		co.baseline = base;
	store_index_ready(st); /* both ways below read it */
	if ((rc = checkout_added(repo, base, c, &done)) || done)
		goto cleanup;
	if (git_commit_lookup(&cm, repo, commit) ||
	    git_checkout_tree(repo, (const git_object *)cm, &co))
		rc = gitx_fail("cannot update the checkout");
cleanup:
	git_tree_free(base);
	git_commit_free(pc);
	git_commit_free(cm);
	free(paths);
	return rc;
}
