/*
 * gitdial audit's walk of the history (docs/audit.md): every commit from
 * the root to the head, parents first, compared with its first parent
 * under outcomes/ and dnc/. A line changed or removed is a finding; the
 * lines a commit added go to the checks (audit.h) with the
 * campaign.json, audience, rules pack and gitdial.json of that commit.
 * Only the repository's objects are read: no cache, spool or network.
 *
 * The log files a commit added are read and parsed on other threads
 * (one per other CPU, at most AUDIT_WALK_THREADS) while this one judges
 * them in path order, so what the checks see, and so every finding, is
 * the same as on one thread.
 */
#ifndef GD_AUDIT_WALK_H
#define GD_AUDIT_WALK_H

#include <stddef.h>

#include "audit.h"
#include "store.h"

/* The runner's commits: author and committer both this identity. */
#define AUDIT_RUNNER_NAME "gitdial runner"
#define AUDIT_RUNNER_EMAIL "runner@gitdial.invalid"

/* At most this many campaign ids may be named. */
#define AUDIT_IDS_MAX 64

/* Threads besides the caller's that parse ahead (GITDIAL_THREADS caps it). */
#define AUDIT_WALK_THREADS 3

/* What was walked: the figures and ids the report names. */
struct audit_range {
	char head[41];     /* the head commit */
	char tree[41];     /* its tree ("" when unreadable) */
	char outcomes[41]; /* its outcomes/ tree ("" when none) */
	char dnc[41];      /* its dnc/ tree ("" when none) */
	char first[41];    /* the first commit walked */
	char since[41];    /* --since, resolved ("" when not given) */
	size_t commits, runner_commits, signed_commits, lines;
};

/*
 * Walks the history of head (from store_sync on st) into a: since, when
 * not NULL, is a revision (any git revision syntax) whose commits only
 * build the state (findings are reported for the commits not reachable
 * from it); ids (n_ids of them, at most AUDIT_IDS_MAX; none: every
 * campaign) limits the logs read. Fills *out; returns 0 or an error (a
 * since that names no commit, an object that cannot be read). Call
 * audit_finish(a) afterwards.
 */
int audit_walk(struct store *st, const git_oid *head, const char *since,
	       const char *const *ids, int n_ids, struct audit *a,
	       struct audit_range *out);

#endif
