/*
 * What a pull request changed (`gitdial validate --base REV`): the
 * commits from the merge base of REV and HEAD to HEAD, read through
 * libgit2, checked for what the repository's content alone must not
 * decide.
 *
 * Errors: an edit or deletion of an existing line (or file) in dnc/ or
 * outcomes/ (both append-only); any line added to outcomes/ (runner
 * events are written by the runner, never by hand); a symbolic link or
 * a submodule anywhere; a control character in a changed path or in an
 * added DNC entry's reason or source.
 *
 * Notices (DIAG_NOTICE): a change to where secrets go or come from
 * (gitdial.json: api_base, function, function_secret, credentials,
 * agent.secret, webhook_base_url) or to rules/, which needs an owner's
 * approval (the template's CODEOWNERS names them).
 */
#ifndef GD_PRCHECK_H
#define GD_PRCHECK_H

#include "diag.h"
#include "store.h"

/*
 * Checks the change from base (any revision libgit2 resolves: a branch,
 * "origin/main", a commit id) to HEAD of st. Problems go to d. Returns 0,
 * or an error (base unknown, repository unreadable) with gd_error set.
 */
int prcheck(struct store *st, const char *base, struct diags *d);

#endif
