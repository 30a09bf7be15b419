/*
 * The campaign repository through libgit2, and a read interface (struct
 * src) that loaders use whether the files come from a commit's tree (the
 * tick) or from the work tree (validate in a pull request's checkout).
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

/* A sorted list of names in a directory; dirs end in '/'. */
struct names {
	char **v;
	size_t n;
};
void names_release(struct names *n);

/* A file found by src->files: its path and content id. */
struct src_file {
	char *path;
	char id[41]; /* blob id; "" in a work tree */
};

struct src_files {
	struct src_file *v;
	size_t n;
};
void src_files_release(struct src_files *f);

struct src {
	/* Reads a file (repository-relative path) into out, at most max. */
	int (*read)(struct src *s, const char *path, struct buf *out, size_t max);
	/* Lists a directory; GD_ENOTFOUND when it does not exist. */
	int (*list)(struct src *s, const char *dir, struct names *out);
	/*
	 * A stable id for a file's content (the blob id; a directory's is
	 * its tree id), or "" if unknown, missing or a symbolic link.
	 */
	void (*content_id)(struct src *s, const char *path, char out[41]);
	/*
	 * Every file under dir whose name ends in suffix, recursively, in
	 * lexical path order; a missing dir is empty. One walk of the tree,
	 * however many files: read them with map.
	 */
	int (*files)(struct src *s, const char *dir, const char *suffix,
		     struct src_files *out);
	/*
	 * Optional (NULL when the source cannot tell): what files would list
	 * now that it did not list when dir's content_id was since, in
	 * lexical path order. Directories the same in both are not looked
	 * into, so the cost is that of the change, not of the directory.
	 * *stale is set (and out left empty) when a file it listed then is
	 * gone or changed, or since is unknown here: then only files tells.
	 */
	int (*files_since)(struct src *s, const char *dir, const char *suffix,
			   const char *since, struct src_files *out, int *stale);
	/*
	 * The bytes of a file listed by files, without a copy where the
	 * source allows; release with unmap(token).
	 */
	int (*map)(struct src *s, const struct src_file *f, const char **data,
		   size_t *len, void **token);
	void (*unmap)(struct src *s, void *token);
	/*
	 * Optional (NULL when the source has none): makes *out, a source
	 * that can map and unmap the files s listed on another thread while
	 * s is used on this one; release it with out->release.
	 */
	int (*twin)(struct src *s, struct src *out);
	void (*release)(struct src *s);
	void *ctx;
};

/* A source over a plain directory (a work tree). s->ctx is the caller's path. */
void src_init_dir(struct src *s, const char *root);

struct store;

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
git_repository *store_repo(struct store *st);
/* The branch HEAD points at ("main"), even when it has no commit yet. */
const char *store_branch(struct store *st);
/*
 * Makes store_sync and store_publish work on another branch (gitdial new
 * publishes campaign/<id>); HEAD and the work tree are not touched.
 */
void store_set_branch(struct store *st, const char *branch);

/*
 * Fetches remote (when not NULL) and resolves the commit the tick starts
 * from: the remote's branch, else the local branch. *found is 0 for an
 * empty repository.
 */
GD_MUST_CHECK
int store_sync(struct store *st, const char *remote, git_oid *out, int *found);

/* A source reading the tree of commit. Free with src_release_tree. */
int src_init_tree(struct src *s, struct store *st, const git_oid *commit);
void src_release_tree(struct src *s);

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
void change_release(struct change *c);

/*
 * Writes a commit with parent (NULL for a root commit) plus the change,
 * by author name/email at time when. Does not move any ref.
 */
GD_MUST_CHECK
int store_commit(struct store *st, git_oid *out, const git_oid *parent,
		 const struct change *c, const char *message,
		 const char *name, const char *email, time_t when);

/*
 * Publishes commit as the new head of the branch, expecting it to be at
 * expected now (NULL: the branch must not exist). With a remote, the
 * remote's branch moves (server-side compare-and-swap) and then the
 * local refs; without, the local branch. Returns GD_ECONFLICT when
 * someone else moved the branch first, GD_ERETRY when the transfer
 * failed before anything moved; in both cases nothing changed.
 */
GD_MUST_CHECK
int store_publish(struct store *st, const char *remote, const git_oid *commit,
		  const git_oid *expected);

/*
 * Brings a non-bare checkout of the branch up to date with the files
 * this commit added (safe checkout: modified files are left alone).
 */
int store_checkout_paths(struct store *st, const git_oid *parent,
			 const git_oid *commit, const struct change *c);

/*
 * One edit by a person (an operator command) as a compare-and-swap loop:
 * syncs (fetching remote when named), calls build with a source over the
 * head (and its id) to fill the change and the commit message, commits as name/email
 * at when, and publishes. When another writer (a tick, another operator)
 * moved the branch first, it starts over from the new head, so build runs
 * again and may decide differently; neither commit is lost. build returns
 * 0 (an empty change means nothing to commit) or an error that ends the
 * edit. *out gets the commit, or stays zero when nothing was committed;
 * *retries (may be NULL) how many times the branch moved under it.
 */
typedef int (*store_build_fn)(void *ctx, struct src *s, const git_oid *head,
			      struct change *ch, struct buf *msg);
GD_MUST_CHECK
int store_edit(struct store *st, const char *remote, store_build_fn build,
	       void *ctx, const char *name, const char *email, time_t when,
	       git_oid *out, int *retries);


#endif
