/* Large tables on huge pages (mem.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"
#include "banned.h"

void mem_hint_huge(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);

	if (p && b > a)
		madvise((void *)a, b - a, MADV_HUGEPAGE);
}

void *table_calloc(size_t n, size_t size)
{
	const size_t huge = 2u << 20;
	size_t bytes;
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	bytes = n * size;
	if (bytes < huge)
		return calloc(n ? n : 1, size ? size : 1);
	bytes = (bytes + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, bytes))
		return NULL;
	mem_hint_huge(p, bytes);
	memset(p, 0, bytes);
	return p;
}
