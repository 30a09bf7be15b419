/*
 * Where campaign files are read from: a read interface (struct src) that
 * loaders use whether the files come from a commit's tree (the tick, the
 * operator commands) or from a work tree (validate in a pull request's
 * checkout). Both kinds refuse paths that escape the repository and
 * symbolic links, wherever they are.
 */
#ifndef GD_SRC_H
#define GD_SRC_H

#include <git2.h>
#include <stddef.h>

#include "buf.h"

struct store;

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
	/*
	 * Where parsed audiences are cached between runs (the caller's
	 * string, e.g. <gitdir>/gitdial/cache), or NULL, the default: parsed
	 * every time. Only audiences with blob ids (a commit's tree) are
	 * cached. A property of this source, not of the process.
	 */
	const char *cache_dir;
};

/* A source over a plain directory (a work tree). s->ctx is the caller's path. */
void src_init_dir(struct src *s, const char *root);

/* A source reading the tree of commit. Free with src_release_tree. */
int src_init_tree(struct src *s, struct store *st, const git_oid *commit);
void src_release_tree(struct src *s);


#endif
