/*
 * Unit tests for shard_of: the campaigns of `tick --shard I/N` and the
 * Shard column of `list --shards N`. Even spread for every N, and a
 * change of N moves few campaigns, each to a new shard.
 */
#include <stdio.h>
#include <string.h>

#include "shard.h"

#include "tap.h"

#define IDS 20000

static void spread(unsigned n)
{
	static unsigned count[64];
	unsigned i, lo = IDS, hi = 0, bad = 0;
	char id[32];

	memset(count, 0, sizeof(count));
	for (i = 0; i < IDS; i++) {
		unsigned s;
		snprintf(id, sizeof(id), "camp-%u", i);
		s = shard_of(id, n);
		if (s >= n)
			bad++;
		else
			count[s]++;
	}
	for (i = 0; i < n; i++) {
		if (count[i] < lo)
			lo = count[i];
		if (count[i] > hi)
			hi = count[i];
	}
	/* within 15% of the mean for 20,000 ids: the binomial's spread is
	 * ~2.3% at n = 16, so this fails only for a skewed hash */
	CHECK(!bad && lo * 100 >= IDS / n * 85 && hi * 100 <= IDS / n * 115,
	      "N=%u: %u ids per shard from %u to %u (mean %u), %u out of range",
	      n, IDS, lo, hi, IDS / n, bad);
}

static void moves(unsigned n)
{
	unsigned i, moved = 0, wrong = 0;
	char id[32];

	for (i = 0; i < IDS; i++) {
		unsigned a, b;
		snprintf(id, sizeof(id), "c%u-x", i);
		a = shard_of(id, n);
		b = shard_of(id, n + 1);
		if (a != b) {
			moved++;
			if (b != n)
				wrong++;
		}
	}
	/* about IDS/(n+1) move, all to the new shard */
	CHECK(!wrong && moved * 100 <= IDS / (n + 1) * 115 &&
	      moved * 100 >= IDS / (n + 1) * 85,
	      "N=%u -> %u: %u of %u ids moved (about %u expected), %u not to the new shard",
	      n, n + 1, moved, IDS, IDS / (n + 1), wrong);
}

int main(void)
{
	static const char *const names[] = {
		"north", "south", "east", "west", "spring", "summer", "autumn"
	};
	unsigned i, on0 = 0, n;

	for (i = 0; i < 7; i++)
		on0 += shard_of(names[i], 2) == 0;
	CHECK(on0 > 0 && on0 < 7, "N=2: %u of north..autumn on shard 0, the "
	      "rest on 1 (FNV-1a %% 2 put all 7 on 0)", on0);
	CHECK(shard_of("north", 0) == 0 && shard_of("north", 1) == 0,
	      "N 0 or 1: everything is shard 0");
	for (n = 2; n <= 16; n++)
		spread(n);
	spread(40);
	for (n = 1; n <= 8; n++)
		moves(n);
	CHECK(shard_of("nov-reminders", 4) == shard_of("nov-reminders", 4),
	      "the same id, the same shard");
	return finish();
}
