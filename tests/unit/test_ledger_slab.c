/*
 * The replay's slab (runner/core/ledger.c, static there, hence included):
 * blocks from 2 MB chunks, a chunk back in use only when all its blocks
 * are freed, in any order; no room means NULL (the caller mallocs).
 */
#include "../../runner/core/ledger.c"

#include "tap.h"

static size_t chunk_of(const struct slab *sl, const void *p)
{
	return (size_t)((const char *)p - sl->base) / SLAB_CHUNK;
}

int main(void)
{
	struct slab sl;
	void *a, *b, *c, *d, *e;
	size_t half = SLAB_CHUNK / 2;

	slab_init(&sl, 2 * SLAB_CHUNK);
	CHECK(sl.base && sl.nchunks == 2 &&
	      ((uintptr_t)sl.base & (SLAB_CHUNK - 1)) == 0, "two aligned chunks");
	a = slab_alloc(&sl, half);
	b = slab_alloc(&sl, half);
	CHECK(a && b && chunk_of(&sl, a) == chunk_of(&sl, b) &&
	      (char *)b == (char *)a + half, "two halves fill one chunk, in order");
	c = slab_alloc(&sl, 100);
	d = slab_alloc(&sl, half);
	CHECK(c && d && chunk_of(&sl, c) != chunk_of(&sl, a) &&
	      chunk_of(&sl, d) == chunk_of(&sl, c) && (char *)d == (char *)c + 112,
	      "the next blocks open the other chunk (16-byte aligned)");
	CHECK(!slab_alloc(&sl, half), "no room left: NULL (the caller mallocs)");
	CHECK(!slab_alloc(&sl, SLAB_CHUNK + 1), "a block larger than a chunk: NULL");
	memset(a, 1, half); /* all of it is writable */
	memset(b, 2, half);
	memset(d, 3, half);
	/* frees out of order: a chunk comes back after its last block */
	CHECK(slab_free(&sl, b), "freed one of two");
	CHECK(!slab_alloc(&sl, 16), "a chunk with a block left is not reused");
	CHECK(slab_free(&sl, a), "freed the other");
	e = slab_alloc(&sl, 16);
	CHECK(e && chunk_of(&sl, e) == chunk_of(&sl, a),
	      "the emptied chunk is used again");
	{
		int x;
		CHECK(!slab_free(&sl, &x), "memory it does not hold is not its own");
	}
	CHECK(slab_free(&sl, c) && slab_free(&sl, d) && slab_free(&sl, e),
	      "freed the rest");
	CHECK(sl.nspare == 1 && !sl.live[0] && !sl.live[1],
	      "all free: one chunk spare, one current");
	slab_release(&sl);

	slab_init(&sl, SLAB_CHUNK / 2);
	CHECK(!sl.base && !slab_alloc(&sl, 16), "less than a chunk: no slab, NULL");
	slab_release(&sl);
	return finish();
}
