/*
 * Which of N runners owns a campaign: `gitdial tick --shard I/N` dials
 * the campaigns whose shard_of(id, N) is I, and `gitdial list --shards N`
 * shows the same number, so an operator can see who owns what.
 */
#ifndef GD_SHARD_H
#define GD_SHARD_H

/*
 * The shard (0 to n-1) of campaign `id` among `n` (n 0 or 1: 0).
 * A jump consistent hash (Lamping and Veach, 2014) of the id's FNV-1a
 * hash with its bits mixed by the splitmix64 finaliser: ids spread
 * evenly for any n, and going from n to n+1 shards moves only about
 * 1/(n+1) of the campaigns, each to the new shard.
 */
unsigned shard_of(const char *id, unsigned n);

#endif
