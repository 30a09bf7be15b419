/*
 * A derived cache of a campaign's log state, outside the repository
 * (<gitdir>/gitdial/cache/<id>.state), so a tick replays only the log
 * files added since the last one. Keyed by the audience and campaign.json
 * blob ids, it records the tree id of the log it is of (outcomes/<id>),
 * so a tick finds the new files by comparing that tree with today's,
 * looking only into the directories whose ids differ: the cost of the
 * change, not of the history. When a file it saw is gone or changed,
 * its tree is unknown, or the key differs, it is ignored and rebuilt.
 * Deleting it changes no result, only the time a tick takes.
 */
#ifndef GD_CACHE_H
#define GD_CACHE_H

#include "err.h"
#include "state.h"
#include "src.h"

/*
 * Brings st (fresh from state_init) up to the log of campaign id in s,
 * using and then refreshing the cache file at path (NULL: no cache).
 * key identifies the inputs that shape the recipient list. *replayed
 * gets how many log files had to be read. ahead, when not NULL, is the
 * same log's replay begun ahead (ledger_ahead_start), used when the
 * whole log must be replayed; the caller frees it.
 */
struct ledger_ahead;
int cache_replay(struct cstate *st, struct src *s, const char *id,
		 const char *path, const char *key, struct ledger_ahead *ahead,
		 size_t *replayed);

#endif
