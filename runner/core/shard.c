/*
 * Shard assignment (see shard.h).
 */
#include <stdint.h>
#include <string.h>

#include "shard.h"
#include "util.h"

/*
 * splitmix64's finaliser: every output bit depends on every input bit.
 * FNV-1a alone keeps weak low bits (modulo 2 it is the parity of the
 * number of odd bytes), which put north, south, east and west on one
 * shard of two.
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

unsigned shard_of(const char *id, unsigned n)
{
	uint64_t key = mix64(hash_fnv1a(id, strlen(id)));
	int64_t b = 0, j = 0;

	if (n <= 1)
		return 0;
	while (j < (int64_t)n) {
		b = j;
		key = key * 2862933555777941143ULL + 1;
		j = (int64_t)((double)(b + 1) *
			      ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (unsigned)b;
}
