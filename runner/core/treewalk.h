/*
 * The one walk of git trees: what differs between two versions of a
 * directory, entering only the subdirectories whose ids differ, so its
 * cost is that of the change, not of the directory. A full listing is
 * the difference from nothing (old NULL). The commit-tree source lists
 * files with it (src.h: files, files_since) and export finds the commit
 * that added each log segment with treewalk_first_added.
 */
#ifndef GD_TREEWALK_H
#define GD_TREEWALK_H

#include <git2.h>
#include <time.h>

/* Directories deeper than this below the walk's start are not entered. */
#define TREEWALK_DEPTH_MAX 16

/*
 * Called for each entry that differs, path being dir/name:
 *  - only in new: old is NULL (a directory only in new is entered, so fn
 *    sees the entries under it, never the directory itself);
 *  - only in old: new is NULL (a directory only in old is not entered:
 *    fn sees the directory);
 *  - in both with different ids, not both directories: both set.
 * Returns 0 to go on; anything else ends the walk.
 */
typedef int (*treewalk_fn)(void *payload, const char *path,
			   const git_tree_entry *old, const git_tree_entry *new);

/*
 * Walks old (NULL: an empty directory) against new, both versions of
 * the directory dir in repo, in git's order (the lexical order of the
 * full paths), calling fn as above. Entries with the same id on both
 * sides are skipped, however much is below them; directories in both
 * with different ids are entered. Returns 0, what fn returned to end
 * the walk, or an error when a tree cannot be read.
 */
int treewalk_diff(git_repository *repo, const git_tree *old,
		  const git_tree *new, const char *dir, treewalk_fn fn,
		  void *payload);

/* As treewalk_fn, with the commit whose change it is and its time. */
typedef int (*treewalk_history_fn)(void *payload, const git_oid *commit,
				   git_time_t when, const char *path,
				   const git_tree_entry *old,
				   const git_tree_entry *new);

/*
 * Walks the history from head, oldest commit first (parents before
 * children), and for each commit whose directory dir differs from its
 * first parent's, walks the difference with treewalk_diff (from nothing
 * when the parent had no dir), calling fn with the commit. Commits
 * without dir, or with the same dir as their parent, cost a lookup.
 * Returns 0, what fn returned to end the walk, or an error.
 */
int treewalk_history(git_repository *repo, const git_oid *head,
		     const char *dir, treewalk_history_fn fn, void *payload);

/* A file and the commit that added it (treewalk_first_added). */
struct treewalk_added {
	const char *path; /* in: the file's path in the repository */
	int found;        /* out: a commit added it */
	git_oid commit;
	time_t when;      /* the commit's time */
};

/*
 * For each of the n files of v (sorted by path, as strcmp sorts), the
 * oldest commit reachable from head, in st's repository, that added it
 * under dir: one treewalk_history, ending once every file has its
 * commit. Files are appended, never rewritten, so the first commit that
 * has one is the one that added it. Returns 0 or an error; files no
 * commit added keep found 0.
 */
struct store;
int treewalk_first_added(struct store *st, const git_oid *head,
			 const char *dir, struct treewalk_added **v, size_t n);

#endif
