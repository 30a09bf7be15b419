/*
 * The operators' edit: one commit by a person, published by
 * compare-and-swap and made again from the new head when another writer
 * moved the branch first. Above the store, the sources, publishing and
 * checkout, which it ties together.
 */
#ifndef GD_STORE_EDIT_H
#define GD_STORE_EDIT_H

#include <git2.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "src.h"
#include "store.h"

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
