/*
 * The campaign repository through libgit2: opening it, the branch the
 * tick starts from (store_sync), change sets written as commits
 * (store_commit); the operators' compare-and-swap edit is store_edit.h.
 * The modules around it have their own headers, which a caller includes
 * for what it uses: where campaign files are read from (src.h),
 * publishing a commit (publish.h), the work tree after a commit
 * (checkout.h), the tree walk (treewalk.h), libgit2's setup (gitx.h).
 *
 * Writes never touch the work tree behind the user's back: new blobs and
 * trees are built with git_tree_create_updated on top of a commit, and
 * refs move by compare-and-swap (git_reference_create_matching), so two
 * runners can never both win.
 */
#ifndef GD_STORE_H
#define GD_STORE_H

#include <git2.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct store;

/*
 * Makes dir (and its parents) a new repository whose HEAD is branch,
 * and commits everything in it as the first commit, by the user's git
 * identity or else "gitdial init" (what gitdial init does after writing
 * the template).
 */
int store_create(const char *dir, const char *branch);

/* Opens the repository at path (or a parent of it). */
int store_open(struct store **out, const char *path);
void store_free(struct store *st);
/*
 * In a checkout with a work tree, starts reading the index on a thread
 * of its own (10,000 entries take 10-20 ms, mostly page faults), so that
 * store_checkout_paths finds it read; the tick calls it first thing.
 * Nothing changes on disk, and nothing when the index is never needed
 * (store_free waits for the thread).
 */
void store_index_prefetch(struct store *st);
/*
 * Waits for the index store_index_prefetch reads, and makes it the
 * repository's (with the capabilities its config gives, as
 * git_repository_index would); nothing when none is being read. Its
 * later git_index_read(idx, 0) reads the file again only if someone
 * changed it since. For the checkout (checkout.h), before it reads the
 * index.
 */
void store_index_ready(struct store *st);
git_repository *store_repo(struct store *st);
/* The branch HEAD points at ("main"), even when it has no commit yet. */
const char *store_branch(struct store *st);
/* The repository's git directory (".git/" of a work tree), "/"-ended. */
const char *store_gitdir(struct store *st);
/*
 * Makes store_sync and store_publish work on another branch (gitdial new
 * publishes campaign/<id>); HEAD and the work tree are not touched.
 */
void store_set_branch(struct store *st, const char *branch);

/* Whether the local branch (refs/heads/<branch>) exists. */
int store_branch_exists(struct store *st, const char *branch);
/*
 * Makes upstream ("origin/campaign/x") the local branch's upstream, as
 * `git branch --set-upstream-to` does; a convenience, so nothing is said
 * when it cannot be done.
 */
void store_set_upstream(struct store *st, const char *branch,
			const char *upstream);

/*
 * Fetches remote (when not NULL) and resolves the commit the tick starts
 * from: the remote's branch, else the local branch. *found is 0 for an
 * empty repository.
 */
GD_MUST_CHECK
int store_sync(struct store *st, const char *remote, git_oid *out, int *found);

/* The time commit was made (its committer's time). */
int store_commit_time(struct store *st, const git_oid *commit, time_t *out);

/* A change set: files to add or replace, paths to remove. */
struct change {
	struct {
		char *path;
		char *data;
		size_t len;
		int remove;
	} *v;
	size_t n, alloc;
};
GD_MUST_CHECK
int change_add(struct change *c, const char *path, const char *data, size_t len);
/*
 * change_add of a buffer's contents; refuses (buf_check) a buffer whose
 * appends failed, so a truncated file is never committed.
 */
GD_MUST_CHECK
int change_add_buf(struct change *c, const char *path, const struct buf *b);
GD_MUST_CHECK
int change_remove(struct change *c, const char *path);
/* Drops the entries after the first n (what one refused item added). */
void change_truncate(struct change *c, size_t n);
void change_release(struct change *c);

/*
 * Writes a commit with parent (NULL for a root commit) plus the change,
 * by author name/email at time when. Does not move any ref.
 */
GD_MUST_CHECK
int store_commit(struct store *st, git_oid *out, const git_oid *parent,
		 const struct change *c, const char *message,
		 const char *name, const char *email, time_t when);

#endif
