/*
 * Publishing a commit: the branch moves to it by compare-and-swap, here
 * (git_reference_create_matching) or on the remote (a push the server
 * accepts only from the commit it expects, or, for a remote on this
 * machine, its objects copied in and its ref moved the same way), so two
 * runners can never both win and the loser learns it and starts over.
 */
#ifndef GD_PUBLISH_H
#define GD_PUBLISH_H

#include <git2.h>

#include "err.h"

struct store;

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

#endif
