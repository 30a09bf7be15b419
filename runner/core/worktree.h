/*
 * The person's checkout, as operator commands see it before they commit:
 * a command that commits a file the person has modified or staged would
 * leave the index disagreeing with the branch, and the person's next
 * `git commit -a` would undo the command. Such commands refuse instead.
 */
#ifndef GD_WORKTREE_H
#define GD_WORKTREE_H

#include <stddef.h>

#include "store.h"

/*
 * Looks at the paths c->v[from..c->n) in the work tree of st's repository
 * as `git status` would (HEAD against the index, the index against the
 * files): the first one that is modified, staged, deleted or untracked
 * (a file in the way of one the change adds) is copied to path (n bytes)
 * with what is wrong with it in why (n bytes), and 1 is returned. Returns
 * 0 (path left "") when all are clean, when the repository is bare or
 * when HEAD is not st's branch (the commit will not touch that checkout),
 * or a negative GD_E* code when the status cannot be read.
 */
int worktree_dirty(struct store *st, const struct change *c, size_t from,
		   char *path, char *why, size_t n);

#endif
