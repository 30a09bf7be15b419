/*
 * The work tree after a commit: a non-bare checkout of the branch the
 * runner committed to follows it, file by file for what the commit
 * added (the tick's usual change) and by a safe git_checkout_tree
 * otherwise, so a file a person modified is never overwritten.
 */
#ifndef GD_CHECKOUT_H
#define GD_CHECKOUT_H

#include <git2.h>

struct store;
struct change;

/*
 * Brings a non-bare checkout of the branch up to date with the files
 * this commit added (safe checkout: modified files are left alone).
 */
int store_checkout_paths(struct store *st, const git_oid *parent,
			 const git_oid *commit, const struct change *c);

#endif
