#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/alloc.h>

#include "err.h"
#include "gitx.h"
#include "util.h"
#include "banned.h"

int gitx_fail(const char *what)
{
	const git_error *e = git_error_last();

	return gd_error_set("%s: %s", what, e && e->message ? e->message : "git error");
}

/*
 * libgit2's allocations are plain malloc and free, except that a large
 * one (an audience blob of tens of MB, inflated into a buffer of its
 * own) asks for huge pages before it is written: on a VM each 4 KiB
 * fault costs 15-35 us. Compatible with the default allocator both
 * ways, so it can be set at any time.
 */
#define GIT_BIG_ALLOC (4u << 20)

static void *ga_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n ? n : 1);

	(void)file;
	(void)line;
	if (n >= GIT_BIG_ALLOC)
		mem_hint_huge(p, n);
	return p;
}

static void *ga_calloc(size_t nelem, size_t elsize, const char *file, int line)
{
	void *p = calloc(nelem ? nelem : 1, elsize ? elsize : 1);

	(void)file;
	(void)line;
	/* a packed object is inflated into calloc'd memory */
	if (p && elsize && nelem >= GIT_BIG_ALLOC / elsize)
		mem_hint_huge(p, nelem * elsize);
	return p;
}

static char *ga_strdup(const char *str, const char *file, int line)
{
	(void)file;
	(void)line;
	return strdup(str);
}

static char *ga_strndup(const char *str, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return strndup(str, n);
}

static char *ga_substrdup(const char *str, size_t n, const char *file, int line)
{
	char *p;

	(void)file;
	(void)line;
	if (n == SIZE_MAX || !(p = malloc(n + 1)))
		return NULL;
	memcpy(p, str, n);
	p[n] = '\0';
	return p;
}

static void *ga_realloc(void *ptr, size_t size, const char *file, int line)
{
	void *p = realloc(ptr, size ? size : 1);

	(void)file;
	(void)line;
	if (p && size >= GIT_BIG_ALLOC)
		mem_hint_huge(p, size);
	return p;
}

static void *ga_reallocarray(void *ptr, size_t nelem, size_t elsize,
			     const char *file, int line)
{
	if (elsize && nelem > SIZE_MAX / elsize)
		return NULL;
	return ga_realloc(ptr, nelem * elsize, file, line);
}

static void *ga_mallocarray(size_t nelem, size_t elsize, const char *file, int line)
{
	return ga_reallocarray(NULL, nelem, elsize, file, line);
}

static void ga_free(void *ptr)
{
	free(ptr);
}

static git_allocator git_alloc = {
	ga_malloc, ga_calloc, ga_strdup, ga_strndup, ga_substrdup,
	ga_realloc, ga_reallocarray, ga_mallocarray, ga_free,
};

#define STORE_PACK_WINDOW (2u << 20)
#define STORE_PACK_MAPPED (16u << 20)

void gitx_init(void)
{
	git_libgit2_init();
	/*
	 * Objects are checked by git fsck, not on every read (as git does);
	 * hashing every blob again cost a third of a cold tick.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_ALLOCATOR, &git_alloc);
	/*
	 * libgit2 maps packs in windows of 1 GB and keeps up to 8 GB
	 * mapped; every page it has read then counts in the process's RSS
	 * (the whole 50 MB pack after a cold tick). Smaller windows, fewer
	 * of them kept, bound that at a few MB for no measurable time.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)STORE_PACK_WINDOW);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)STORE_PACK_MAPPED);
}
