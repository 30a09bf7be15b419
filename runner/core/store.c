#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/alloc.h>
#include <git2/sys/repository.h>

#include "err.h"
#include "remote_auth.h"
#include "store.h"
#include "testhook.h"
#include "util.h"
#include "banned.h"

struct store {
	git_repository *repo;
	char branch[256];
	/* the index read ahead on a thread (store_index_prefetch) */
	pthread_t index_tid;
	int index_reading;
	git_index *index_ahead;
	char index_path[4096];
};

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return gd_error_set("%s: %s", what, e && e->message ? e->message : "git error");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_push(struct names *n, const char *name, int dir)
{
	char **v = realloc(n->v, (n->n + 1) * sizeof(*v));
	size_t l = strlen(name);

	if (!v)
		return gd_error_set("out of memory");
	n->v = v;
	if (!(v[n->n] = malloc(l + 2)))
		return gd_error_set("out of memory");
	memcpy(v[n->n], name, l);
	v[n->n][l] = dir ? '/' : '\0';
	v[n->n][l + 1] = '\0';
	n->n++;
	return 0;
}

void names_release(struct names *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

void src_files_release(struct src_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static int files_push(struct src_files *f, const char *path, const char *id)
{
	struct src_file *v;

	if ((f->n & (f->n - 1)) == 0) {
		v = realloc(f->v, (f->n ? f->n * 2 : 16) * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		f->v = v;
	}
	if (!(f->v[f->n].path = strdup(path)))
		return gd_error_set("out of memory");
	snprintf(f->v[f->n].id, sizeof(f->v[f->n].id), "%s", id);
	f->n++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct src_file *)a)->path,
		      ((const struct src_file *)b)->path);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Repository-relative paths must not escape: no "..", no absolute. */
static int path_safe(const char *p)
{
	return p && p[0] != '/' && !strstr(p, "..") && !strstr(p, "//");
}

/*
 * A symbolic link in the repository is refused wherever it is read: a
 * committed link could point out of the checkout (validate would check
 * the target, the tick the link's text), so neither follows one.
 */
#define SYMLINK_REFUSED "is a symbolic link (files in the repository must " \
	"be regular files; links are not followed)"

/* GD_EINVALID when path, or a directory on the way to it, is a link. */
static int dir_no_link(const char *root, const char *path)
{
	char full[4096];
	struct stat st;
	size_t n = strlen(root) + 1, i;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	for (i = n; ; i++) {
		if (full[i] == '/' || !full[i]) {
			char c = full[i];
			full[i] = '\0';
			if (lstat(full, &st) == 0 && S_ISLNK(st.st_mode))
				return gd_error_set("'%s' %s", full + n,
						    SYMLINK_REFUSED), GD_EINVALID;
			full[i] = c;
			if (!c)
				return 0;
		}
	}
}

static int dir_read(struct src *s, const char *path, struct buf *out, size_t max)
{
	char full[4096];
	struct stat st;
	int rc;

	if (!path_safe(path))
		return gd_error_set("unsafe path '%s'", path), GD_EINVALID;
	if ((rc = dir_no_link(s->ctx, path)))
		return rc;
	snprintf(full, sizeof(full), "%s/%s", (const char *)s->ctx, path);
	if (stat(full, &st) == 0 && !S_ISREG(st.st_mode))
		return gd_error_set("'%s' is not a regular file", path), GD_EINVALID;
	out->max = max;
	return file_read(out, full, max);
}

static int dir_list(struct src *s, const char *dir, struct names *out)
{
	char full[4096];
	struct dirent *e;
	DIR *d;

	if (!path_safe(dir) && *dir)
		return gd_error_set("unsafe path '%s'", dir), GD_EINVALID;
	snprintf(full, sizeof(full), "%s/%s", (const char *)s->ctx, dir);
	if (!(d = opendir(full)))
		return errno == ENOENT || errno == ENOTDIR ? GD_ENOTFOUND
			: gd_error_set("cannot list '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", full, e->d_name);
		/* a link is listed as a file, never entered: reading it says why */
		if (lstat(p, &st))
			continue;
		if (names_push(out, e->d_name, S_ISDIR(st.st_mode))) {
			closedir(d);
			return GD_ERROR;
		}
	}
	closedir(d);
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

static void dir_content_id(struct src *s, const char *path, char out[41])
{
	(void)s;
	(void)path;
	out[0] = '\0';
}

static int dir_walk(struct src *s, const char *dir, const char *suffix,
		    struct src_files *out, int depth)
{
	struct names n = { NULL, 0 };
	size_t i;
	int rc;

	if (depth > 16)
		return 0;
	rc = dir_list(s, dir, &n);
	if (rc == GD_ENOTFOUND)
		return 0;
	for (i = 0; !rc && i < n.n; i++) {
		char path[2048];
		size_t l = strlen(n.v[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, n.v[i]);
		if (l && n.v[i][l - 1] == '/') {
			path[strlen(path) - 1] = '\0';
			rc = dir_walk(s, path, suffix, out, depth + 1);
		} else if (ends_with(n.v[i], suffix)) {
			rc = files_push(out, path, "");
		}
	}
	names_release(&n);
	return rc;
}

static int dir_files(struct src *s, const char *dir, const char *suffix,
		     struct src_files *out)
{
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = dir_walk(s, dir, suffix, out, 0);
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	return rc;
}

static int dir_map(struct src *s, const struct src_file *f, const char **data,
		   size_t *len, void **token)
{
	struct buf *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return gd_error_set("out of memory");
	buf_init(b, 1024u << 20);
	if ((rc = dir_read(s, f->path, b, b->max))) {
		buf_release(b);
		free(b);
		return rc;
	}
	*data = b->ptr;
	*len = b->len;
	*token = b;
	return 0;
}

static void dir_unmap(struct src *s, void *token)
{
	(void)s;
	if (token) {
		buf_release(token);
		free(token);
	}
}

void src_init_dir(struct src *s, const char *root)
{
	memset(s, 0, sizeof(*s));
	s->read = dir_read;
	s->list = dir_list;
	s->content_id = dir_content_id;
	s->files = dir_files;
	s->map = dir_map;
	s->unmap = dir_unmap;
	s->ctx = (void *)root;
}

struct tree_src {
	git_repository *repo;
	git_tree *tree;
};

static int tree_read(struct src *s, const char *path, struct buf *out, size_t max)
{
	struct tree_src *t = s->ctx;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	int rc;

	if (!path_safe(path))
		return gd_error_set("unsafe path '%s'", path), GD_EINVALID;
	if (git_tree_entry_bypath(&e, t->tree, path))
		return gd_error_set("'%s' does not exist", path), GD_ENOTFOUND;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		return gd_error_set("'%s' is not a file", path), GD_EINVALID;
	}
	if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
		git_tree_entry_free(e);
		return gd_error_set("'%s' %s", path, SYMLINK_REFUSED), GD_EINVALID;
	}
	if (git_blob_lookup(&b, t->repo, git_tree_entry_id(e))) {
		git_tree_entry_free(e);
		return git_fail(path);
	}
	out->max = max;
	rc = buf_put(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	if (rc)
		gd_error_set("'%s' is larger than %zu bytes", path, max);
	git_blob_free(b);
	git_tree_entry_free(e);
	return rc;
}

static int tree_list(struct src *s, const char *dir, struct names *out)
{
	struct tree_src *t = s->ctx;
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	const git_tree *tree = t->tree;
	size_t i, n;
	int rc = 0;

	if (*dir) {
		char d[4096];
		size_t l;
		snprintf(d, sizeof(d), "%s", dir);
		l = strlen(d);
		if (l && d[l - 1] == '/')
			d[l - 1] = '\0';
		if (!path_safe(d))
			return gd_error_set("unsafe path '%s'", dir), GD_EINVALID;
		if (git_tree_entry_bypath(&e, t->tree, d))
			return GD_ENOTFOUND;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			git_tree_entry_free(e);
			return GD_ENOTFOUND;
		}
		if (git_tree_lookup(&sub, t->repo, git_tree_entry_id(e))) {
			git_tree_entry_free(e);
			return git_fail(dir);
		}
		git_tree_entry_free(e);
		tree = sub;
	}
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *x = git_tree_entry_byindex(tree, i);
		rc = names_push(out, git_tree_entry_name(x),
				git_tree_entry_type(x) == GIT_OBJECT_TREE);
	}
	git_tree_free(sub);
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return rc;
}

static void tree_content_id(struct src *s, const char *path, char out[41])
{
	struct tree_src *t = s->ctx;
	git_tree_entry *e = NULL;

	out[0] = '\0';
	if (path_safe(path) && !git_tree_entry_bypath(&e, t->tree, path)) {
		/* a link has none: reading it (tree_read) says it is refused */
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_LINK)
			git_oid_tostr(out, 41, git_tree_entry_id(e));
		git_tree_entry_free(e);
	}
}

static int tree_walk_entry(struct tree_src *t, const git_tree_entry *e,
			   const char *path, const char *suffix,
			   struct src_files *out, int depth);

static int tree_walk(struct tree_src *t, const git_tree *tree, const char *dir,
		     const char *suffix, struct src_files *out, int depth)
{
	size_t i, n = git_tree_entrycount(tree);
	int rc = 0;

	if (depth > 16)
		return 0;
	for (i = 0; !rc && i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, git_tree_entry_name(e));
		rc = tree_walk_entry(t, e, path, suffix, out, depth + 1);
	}
	return rc;
}

static int tree_files(struct src *s, const char *dir, const char *suffix,
		      struct src_files *out)
{
	struct tree_src *t = s->ctx;
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (!path_safe(dir))
		return gd_error_set("unsafe path '%s'", dir), GD_EINVALID;
	if (git_tree_entry_bypath(&e, t->tree, dir))
		return 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&sub, t->repo, git_tree_entry_id(e))) {
		git_tree_entry_free(e);
		return 0;
	}
	git_tree_entry_free(e);
	rc = tree_walk(t, sub, dir, suffix, out, 0);
	git_tree_free(sub);
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	return rc;
}

/* Whether tree_walk lists entry e at path. */
static int tree_listed(const git_tree_entry *e, const char *path,
		       const char *suffix)
{
	return git_tree_entry_type(e) == GIT_OBJECT_BLOB && ends_with(path, suffix);
}

/* Lists what tree_walk would from entry e at path, depth levels down. */
static int tree_walk_entry(struct tree_src *t, const git_tree_entry *e,
			   const char *path, const char *suffix,
			   struct src_files *out, int depth)
{
	git_tree *sub = NULL;
	char hex[41];
	int rc;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&sub, t->repo, git_tree_entry_id(e)))
			return git_fail(path);
		rc = tree_walk(t, sub, path, suffix, out, depth);
		git_tree_free(sub);
		return rc;
	}
	if (!tree_listed(e, path, suffix))
		return 0;
	if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		return gd_error_set("'%s' %s", path, SYMLINK_REFUSED), GD_EINVALID;
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
	return files_push(out, path, hex);
}

/*
 * The merge walk behind tree_files_since: old and new are two versions
 * of directory dir, each with its entries in git's order (which is the
 * lexical order of the full paths), so one pass pairs them up by name.
 * The same id on both sides: nothing below differs. What is only in new
 * is listed whole. A listed file only in old or changed, or a directory
 * only in old, sets *stale (even a directory that held no listed file:
 * rare, and a full listing is only slower, never wrong).
 */
static int tree_diff_walk(struct tree_src *t, const git_tree *old,
			  const git_tree *new, const char *dir,
			  const char *suffix, struct src_files *out,
			  int *stale, int depth)
{
	size_t i = 0, j = 0, no = git_tree_entrycount(old),
	       nn = git_tree_entrycount(new);
	int rc = 0;

	if (depth > 16)
		return 0;
	while (!rc && !*stale && (i < no || j < nn)) {
		const git_tree_entry *a = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *b = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		int c = !a ? 1 : !b ? -1 : git_tree_entry_cmp(a, b);
		git_tree *sa = NULL, *sb = NULL;
		char path[2048];

		snprintf(path, sizeof(path), "%s/%s", dir,
			 git_tree_entry_name(c <= 0 ? a : b));
		if (c < 0) { /* gone */
			i++;
			if (git_tree_entry_type(a) == GIT_OBJECT_TREE ||
			    tree_listed(a, path, suffix))
				*stale = 1;
			continue;
		}
		j++;
		if (c > 0) { /* new */
			rc = tree_walk_entry(t, b, path, suffix, out, depth + 1);
			continue;
		}
		i++;
		if (git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)))
			continue;
		if (git_tree_entry_type(a) != GIT_OBJECT_TREE) {
			if (tree_listed(a, path, suffix) || tree_listed(b, path, suffix))
				*stale = 1; /* a listed file changed */
			continue;
		}
		/* the same name, so both directories (git's order tells) */
		if (git_tree_lookup(&sa, t->repo, git_tree_entry_id(a)) ||
		    git_tree_lookup(&sb, t->repo, git_tree_entry_id(b))) {
			git_tree_free(sa);
			return git_fail(path);
		}
		rc = tree_diff_walk(t, sa, sb, path, suffix, out, stale, depth + 1);
		git_tree_free(sa);
		git_tree_free(sb);
	}
	return rc;
}

static int tree_files_since(struct src *s, const char *dir, const char *suffix,
			    const char *since, struct src_files *out, int *stale)
{
	struct tree_src *t = s->ctx;
	git_tree_entry *e = NULL;
	git_tree *old = NULL, *new = NULL;
	git_oid oid;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	*stale = 1;
	if (!path_safe(dir))
		return gd_error_set("unsafe path '%s'", dir), GD_EINVALID;
	/* since gone (a history rewritten, then collected) or dir gone */
	if (git_oid_fromstr(&oid, since) || git_tree_lookup(&old, t->repo, &oid) ||
	    git_tree_entry_bypath(&e, t->tree, dir) ||
	    git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&new, t->repo, git_tree_entry_id(e))) {
		git_error_clear();
		goto cleanup;
	}
	*stale = 0;
	if (!git_oid_equal(&oid, git_tree_id(new)))
		rc = tree_diff_walk(t, old, new, dir, suffix, out, stale, 0);
	if (rc || *stale)
		src_files_release(out);
	else if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
cleanup:
	git_tree_entry_free(e);
	git_tree_free(old);
	git_tree_free(new);
	return rc;
}

static int tree_map(struct src *s, const struct src_file *f, const char **data,
		    size_t *len, void **token)
{
	struct tree_src *t = s->ctx;
	git_blob *b = NULL;
	git_oid oid;

	if (git_oid_fromstr(&oid, f->id) || git_blob_lookup(&b, t->repo, &oid))
		return git_fail(f->path);
	*data = git_blob_rawcontent(b);
	*len = (size_t)git_blob_rawsize(b);
	*token = b;
	return 0;
}

static void tree_unmap(struct src *s, void *token)
{
	(void)s;
	git_blob_free(token);
}

/* A twin's own repository handle: libgit2 objects stay on one thread. */
static void twin_release(struct src *s)
{
	struct tree_src *t = s->ctx;

	if (t) {
		git_repository_free(t->repo);
		free(t);
	}
	memset(s, 0, sizeof(*s));
}

static int tree_twin(struct src *s, struct src *out)
{
	struct tree_src *t = s->ctx, *u = calloc(1, sizeof(*u));

	memset(out, 0, sizeof(*out));
	if (!u)
		return gd_error_set("out of memory");
	if (git_repository_open_bare(&u->repo, git_repository_path(t->repo))) {
		free(u);
		return git_fail("cannot open the repository again");
	}
	out->map = tree_map;
	out->unmap = tree_unmap;
	out->release = twin_release;
	out->ctx = u;
	return 0;
}

int src_init_tree(struct src *s, struct store *st, const git_oid *commit)
{
	struct tree_src *t = calloc(1, sizeof(*t));
	git_commit *c = NULL;

	memset(s, 0, sizeof(*s));
	if (!t)
		return gd_error_set("out of memory");
	t->repo = st->repo;
	if (git_commit_lookup(&c, st->repo, commit) ||
	    git_commit_tree(&t->tree, c)) {
		git_commit_free(c);
		free(t);
		return git_fail("cannot read the commit");
	}
	git_commit_free(c);
	s->read = tree_read;
	s->list = tree_list;
	s->content_id = tree_content_id;
	s->files = tree_files;
	s->files_since = tree_files_since;
	s->map = tree_map;
	s->unmap = tree_unmap;
	s->twin = tree_twin;
	s->ctx = t;
	return 0;
}

void src_release_tree(struct src *s)
{
	struct tree_src *t = s->ctx;

	if (t) {
		git_tree_free(t->tree);
		free(t);
	}
	s->ctx = NULL;
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

int store_open(struct store **out, const char *path)
{
	struct store *st;
	git_reference *head = NULL;
	int rc;

	*out = NULL;
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
	if (!(st = calloc(1, sizeof(*st))))
		return gd_error_set("out of memory");
	if (git_repository_open_ext(&st->repo, path, 0, NULL)) {
		free(st);
		return gd_error_set("'%s' is not a git repository", path),
		       GD_ENOTFOUND;
	}
	rc = git_reference_lookup(&head, st->repo, "HEAD");
	if (!rc && git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    !strncmp(git_reference_symbolic_target(head), "refs/heads/", 11))
		snprintf(st->branch, sizeof(st->branch), "%s",
			 git_reference_symbolic_target(head) + 11);
	else
		snprintf(st->branch, sizeof(st->branch), "main");
	git_reference_free(head);
	*out = st;
	return 0;
}

/* A repository-less index of its own: nothing shared with the main thread. */
static void *index_prefetch_thread(void *arg)
{
	struct store *st = arg;

	if (git_index_open(&st->index_ahead, st->index_path))
		st->index_ahead = NULL; /* read where it is needed, as without */
	return NULL;
}

void store_index_prefetch(struct store *st)
{
	git_buf path = GIT_BUF_INIT;

	if (st->index_reading || git_repository_is_bare(st->repo) ||
	    git_repository_item_path(&path, st->repo, GIT_REPOSITORY_ITEM_INDEX)) {
		git_buf_dispose(&path);
		return;
	}
	snprintf(st->index_path, sizeof(st->index_path), "%s", path.ptr);
	git_buf_dispose(&path);
	st->index_reading = !pthread_create(&st->index_tid, NULL,
					    index_prefetch_thread, st);
}

/*
 * Waits for the index read ahead, and makes it the repository's (with
 * the capabilities its config gives, as git_repository_index would) when
 * install is set, else drops it. Its later git_index_read(idx, 0) reads
 * the file again only if someone changed it since.
 */
static void index_ahead_take(struct store *st, int install)
{
	if (!st->index_reading)
		return;
	pthread_join(st->index_tid, NULL);
	st->index_reading = 0;
	if (st->index_ahead && install &&
	    !git_repository_set_index(st->repo, st->index_ahead))
		git_index_set_caps(st->index_ahead, GIT_INDEX_CAPABILITY_FROM_OWNER);
	git_index_free(st->index_ahead); /* the repository holds its own */
	st->index_ahead = NULL;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	index_ahead_take(st, 0);
	git_repository_free(st->repo);
	free(st);
}

git_repository *store_repo(struct store *st)
{
	return st->repo;
}

const char *store_branch(struct store *st)
{
	return st->branch;
}

void store_set_branch(struct store *st, const char *branch)
{
	snprintf(st->branch, sizeof(st->branch), "%s", branch);
}

int store_sync(struct store *st, const char *remote, git_oid *out, int *found)
{
	char ref[512];
	git_remote *r = NULL;

	*found = 0;
	if (remote) {
		git_fetch_options fo;
		struct remote_auth ra;
		char spec[600];
		char *specs[1] = { spec };
		git_strarray sa = { specs, 1 };
		int rc;
		if (git_remote_lookup(&r, st->repo, remote))
			return gd_error_set("no remote named '%s'", remote),
			       GD_ENOTFOUND;
		if ((rc = remote_auth_init(&ra, st->repo, r, 0))) {
			git_remote_free(r);
			return rc;
		}
		snprintf(spec, sizeof(spec), "+refs/heads/%s:refs/remotes/%s/%s",
			 st->branch, remote, st->branch);
		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		fo.update_fetchhead = 0;
		remote_auth_callbacks(&ra, &fo.callbacks);
		fo.custom_headers = ra.custom_headers;
		if (git_remote_fetch(r, &sa, &fo, NULL))
			rc = remote_auth_fail(&ra, "fetch");
		remote_auth_release(&ra);
		git_remote_free(r);
		if (rc)
			return rc;
		snprintf(ref, sizeof(ref), "refs/remotes/%s/%s", remote, st->branch);
	} else {
		snprintf(ref, sizeof(ref), "refs/heads/%s", st->branch);
	}
	if (git_reference_name_to_id(out, st->repo, ref) == 0)
		*found = 1;
	return 0;
}

int change_add(struct change *c, const char *path, const char *data, size_t len)
{
	if (c->n == c->alloc) {
		size_t n = c->alloc ? c->alloc * 2 : 8;
		void *v = realloc(c->v, n * sizeof(*c->v));
		if (!v)
			return gd_error_set("out of memory");
		c->v = v;
		c->alloc = n;
	}
	c->v[c->n].path = strdup(path);
	c->v[c->n].data = malloc(len + 1);
	if (!c->v[c->n].path || !c->v[c->n].data)
		return gd_error_set("out of memory");
	memcpy(c->v[c->n].data, data, len);
	c->v[c->n].len = len;
	c->v[c->n].remove = 0;
	c->n++;
	return 0;
}

int change_remove(struct change *c, const char *path)
{
	int rc = change_add(c, path, "", 0);

	if (!rc)
		c->v[c->n - 1].remove = 1;
	return rc;
}

void change_release(struct change *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].data);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int store_commit(struct store *st, git_oid *out, const git_oid *parent,
		 const struct change *c, const char *message,
		 const char *name, const char *email, time_t when)
{
	git_commit *pc = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update *up = NULL;
	git_signature *sig = NULL;
	git_oid tree_id;
	const git_commit *parents[1];
	size_t i;
	int rc = 0;

	if (parent && (git_commit_lookup(&pc, st->repo, parent) ||
		       git_commit_tree(&base, pc))) {
		rc = git_fail("cannot read the parent commit");
		goto cleanup;
	}
	if (!(up = calloc(c->n + 1, sizeof(*up)))) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	for (i = 0; i < c->n; i++) {
		if (!path_safe(c->v[i].path)) {
			rc = gd_error_set("unsafe path '%s'", c->v[i].path);
			goto cleanup;
		}
		up[i].path = c->v[i].path;
		if (c->v[i].remove) {
			up[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		if (git_blob_create_from_buffer(&up[i].id, st->repo, c->v[i].data,
						c->v[i].len)) {
			rc = git_fail("cannot write a blob");
			goto cleanup;
		}
	}
	if (base) {
		if (git_tree_create_updated(&tree_id, st->repo, base, c->n, up)) {
			rc = git_fail("cannot build the tree");
			goto cleanup;
		}
	} else {
		/* a root commit: build on the empty tree */
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, st->repo, NULL) ||
		    git_treebuilder_write(&empty, tb)) {
			git_treebuilder_free(tb);
			rc = git_fail("cannot write the empty tree");
			goto cleanup;
		}
		git_treebuilder_free(tb);
		if (git_tree_lookup(&base, st->repo, &empty) ||
		    git_tree_create_updated(&tree_id, st->repo, base, c->n, up)) {
			rc = git_fail("cannot build the tree");
			goto cleanup;
		}
	}
	if (git_tree_lookup(&tree, st->repo, &tree_id) ||
	    git_signature_new(&sig, name, email, (git_time_t)when, 0)) {
		rc = git_fail("cannot prepare the commit");
		goto cleanup;
	}
	parents[0] = pc;
	if (git_commit_create(out, st->repo, NULL, sig, sig, "UTF-8", message,
			      tree, pc ? 1 : 0, parents))
		rc = git_fail("cannot write the commit");
cleanup:
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	free(up);
	return rc;
}

/* Moves a local ref from expected to commit, or fails with GD_ECONFLICT. */
static int cas_ref(git_repository *repo, const char *name, const git_oid *commit,
		   const git_oid *expected)
{
	git_reference *ref = NULL;
	int e;

	if (expected)
		e = git_reference_create_matching(&ref, repo, name, commit, 1,
						  expected, "gitdial");
	else
		e = git_reference_create(&ref, repo, name, commit, 0, "gitdial");
	git_reference_free(ref);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS || e == GIT_ELOCKED)
		return gd_error_set("'%s' moved meanwhile", name), GD_ECONFLICT;
	if (e)
		return git_fail(name);
	return 0;
}

struct push_ctx {
	int rejected;
	char msg[256];
};

static int on_push_ref(const char *ref, const char *status, void *data)
{
	struct push_ctx *p = ((struct remote_auth *)data)->owner;

	if (status) {
		p->rejected = 1;
		snprintf(p->msg, sizeof(p->msg), "%s: %s", ref, status);
	}
	return 0;
}

/* Pushes spec to r with the credentials in ra (see remote_auth.h). */
static int push_refspec(git_remote *r, const char *spec, struct push_ctx *pc,
			struct remote_auth *ra)
{
	git_push_options po;
	char *specs[1] = { (char *)spec };
	git_strarray sa = { specs, 1 };
	int e;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	remote_auth_callbacks(ra, &po.callbacks);
	po.custom_headers = ra->custom_headers;
	po.callbacks.push_update_reference = on_push_ref;
	ra->owner = pc;
	e = git_remote_push(r, &sa, &po);
	if (e == GIT_ENONFASTFORWARD)
		return gd_error_set("push rejected (not a fast-forward)"),
		       GD_ECONFLICT;
	if (e)
		return remote_auth_fail(ra, "push");
	if (pc->rejected)
		return gd_error_set("push rejected: %s", pc->msg), GD_ECONFLICT;
	return 0;
}

/*
 * Copies object oid (and, for a tree, what it holds) from one
 * repository's object database to another's where it is missing there.
 * Children are written before their parent, so an object found in the
 * other database has everything below it: a tree that exists is not
 * walked (unchanged directories cost nothing).
 */
static int copy_object(git_repository *repo, git_odb *from, git_odb *to,
		       const git_oid *oid, int depth)
{
	git_odb_object *o = NULL;
	git_tree *tree = NULL;
	git_oid out;
	int rc = 0;

	if (git_odb_exists(to, oid))
		return 0;
	if (depth > 64)
		return gd_error_set("a tree nested deeper than 64 levels");
	if (git_odb_read(&o, from, oid))
		return git_fail("cannot read an object to publish");
	if (git_odb_object_type(o) == GIT_OBJECT_TREE) {
		size_t i, n;
		if (git_tree_lookup(&tree, repo, oid)) {
			git_odb_object_free(o);
			return git_fail("cannot read a tree to publish");
		}
		n = git_tree_entrycount(tree);
		for (i = 0; !rc && i < n; i++) {
			const git_tree_entry *e = git_tree_entry_byindex(tree, i);
			git_object_t t = git_tree_entry_type(e);
			if (t == GIT_OBJECT_TREE || t == GIT_OBJECT_BLOB)
				rc = copy_object(repo, from, to, git_tree_entry_id(e),
						 depth + 1);
		}
		git_tree_free(tree);
	}
	if (!rc && git_odb_write(&out, to, git_odb_object_data(o),
				 git_odb_object_size(o), git_odb_object_type(o)))
		rc = git_fail("cannot write an object to the remote");
	git_odb_object_free(o);
	return rc;
}
/*
 * Copies commit (its tree, and its parents where the other repository
 * lacks them) from repo to the repository other, the commit last.
 */
static int copy_commit(git_repository *repo, git_repository *other,
		       const git_oid *commit, int depth)
{
	git_odb *from = NULL, *to = NULL;
	git_commit *c = NULL;
	unsigned i;
	int rc = 0;

	if (git_repository_odb(&from, repo) || git_repository_odb(&to, other)) {
		rc = git_fail("cannot open an object database");
		goto cleanup;
	}
	if (git_odb_exists(to, commit))
		goto cleanup;
	if (depth > 1000) {
		rc = gd_error_set("the remote lacks more than 1000 commits of this branch");
		goto cleanup;
	}
	if (git_commit_lookup(&c, repo, commit)) {
		rc = git_fail("cannot read the commit to publish");
		goto cleanup;
	}
	for (i = 0; !rc && i < git_commit_parentcount(c); i++)
		rc = copy_commit(repo, other, git_commit_parent_id(c, i), depth + 1);
	if (!rc)
		rc = copy_object(repo, from, to, git_commit_tree_id(c), 0);
	if (!rc)
		rc = copy_object(repo, from, to, commit, 0);
cleanup:
	git_commit_free(c);
	git_odb_free(from);
	git_odb_free(to);
	return rc;
}

/* A remote URL that is a path on this machine, which we open directly. */
static const char *local_path(const char *url)
{
	if (!strncmp(url, "file://", 7))
		return url + 7;
	if (strstr(url, "://") || (strchr(url, ':') && url[0] != '/' &&
				   url[0] != '.'))
		return NULL;
	return url;
}

int store_publish(struct store *st, const char *remote, const git_oid *commit,
		  const git_oid *expected)
{
	char ref[512], tmp[600], spec[1200], hex[41];
	git_remote *r = NULL;
	git_repository *rr = NULL;
	struct push_ctx pc = { 0, "" };
	struct remote_auth ra;
	const char *path;
	int rc;

	snprintf(ref, sizeof(ref), "refs/heads/%s", st->branch);
	if ((rc = testhook_hold("publish", git_oid_tostr(hex, sizeof(hex), commit))))
		return rc;
	if (!remote) {
		rc = cas_ref(st->repo, ref, commit, expected);
		return rc;
	}
	if (git_remote_lookup(&r, st->repo, remote))
		return gd_error_set("no remote named '%s'", remote), GD_ENOTFOUND;
	git_oid_tostr(hex, sizeof(hex), commit);
	path = local_path(git_remote_url(r));
	if (path) {
		/*
		 * A remote on this machine: its objects are written straight
		 * into its object database and its branch moves with the same
		 * compare-and-swap a server's receive-pack does (libgit2's
		 * local transport would update the ref without checking its
		 * old value). No ref of its own appears there, so another
		 * runner's fetch never sees one come and go.
		 */
		if (git_repository_open_bare(&rr, path) &&
		    git_repository_open(&rr, path)) {
			rc = git_fail("cannot open the remote repository");
			goto cleanup;
		}
		if ((rc = copy_commit(st->repo, rr, commit, 0)))
			goto cleanup;
		if ((rc = cas_ref(rr, ref, commit, expected)))
			goto cleanup;
	} else {
		snprintf(tmp, sizeof(tmp), "refs/gitdial/out/%s-%ld", hex, (long)getpid());
		if ((rc = cas_ref(st->repo, tmp, commit, NULL)) && rc != GD_ECONFLICT)
			goto cleanup;
		snprintf(spec, sizeof(spec), "%s:%s", tmp, ref);
		if (!(rc = remote_auth_init(&ra, st->repo, r, 1))) {
			rc = push_refspec(r, spec, &pc, &ra);
			remote_auth_release(&ra);
		}
		{
			git_reference *t = NULL;
			if (!git_reference_lookup(&t, st->repo, tmp))
				git_reference_delete(t);
			git_reference_free(t);
		}
		if (rc)
			goto cleanup;
	}
	/* the remote moved: follow it locally */
	snprintf(tmp, sizeof(tmp), "refs/remotes/%s/%s", remote, st->branch);
	{
		git_reference *t = NULL;
		git_reference_create(&t, st->repo, tmp, commit, 1, "gitdial push");
		git_reference_free(t);
	}
	{
		git_oid local;
		if (git_reference_name_to_id(&local, st->repo, ref) != 0 ||
		    (expected && git_oid_equal(&local, expected)) ||
		    git_graph_descendant_of(st->repo, commit, &local) == 1) {
			git_reference *t = NULL;
			git_reference_create(&t, st->repo, ref, commit, 1,
					     "gitdial push");
			git_reference_free(t);
		}
	}
cleanup:
	git_repository_free(rr);
	git_remote_free(r);
	return rc;
}

/*
 * Whether the work tree may take path as a new file: nothing there yet,
 * and every directory on the way a real directory or missing (a symlink
 * is left to git_checkout_tree, which knows how to refuse it).
 */
static int workdir_new_path(const char *workdir, const char *path)
{
	char full[4096];
	struct stat sb;
	size_t i, n;

	if (snprintf(full, sizeof(full), "%s%s", workdir, path) >= (int)sizeof(full))
		return 0;
	n = strlen(workdir);
	for (i = n; full[i]; i++) {
		if (full[i] != '/')
			continue;
		full[i] = '\0';
		if (!lstat(full, &sb) && !S_ISDIR(sb.st_mode)) {
			full[i] = '/';
			return 0;
		}
		full[i] = '/';
	}
	return lstat(full, &sb) && errno == ENOENT;
}

/*
 * The tick's usual change only adds files the checkout has never had (a
 * new log file, a new DNC file): they are written into the work tree and
 * added to the index one by one, which costs the index's read and write,
 * not a checkout's walk of every file (25 ms a commit at 10,000 log
 * files). *done is 0 when the change is anything else (an edit, a
 * removal, a path already there): the caller checks out as before.
 */
static int checkout_added(git_repository *repo, const git_tree *base,
			  const struct change *c, int *done)
{
	const char *workdir = git_repository_workdir(repo);
	git_index *idx = NULL;
	git_tree_entry *e = NULL;
	char full[4096];
	size_t i;
	int rc = 0;

	*done = 0;
	if (!workdir || !base)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].remove || !path_safe(c->v[i].path) ||
		    !workdir_new_path(workdir, c->v[i].path))
			return 0;
		if (!git_tree_entry_bypath(&e, base, c->v[i].path)) {
			git_tree_entry_free(e);
			return 0;
		}
	}
	/* what is on disk now (a person may have staged something since) */
	if (git_repository_index(&idx, repo) || git_index_read(idx, 0)) {
		git_index_free(idx);
		return git_fail("cannot read the index");
	}
	for (i = 0; i < c->n; i++)
		if (git_index_get_bypath(idx, c->v[i].path, 0))
			goto cleanup; /* staged already: not ours to touch */
	for (i = 0; !rc && i < c->n; i++) {
		char *slash;
		snprintf(full, sizeof(full), "%s%s", workdir, c->v[i].path);
		if ((slash = strrchr(full, '/'))) {
			*slash = '\0';
			rc = dir_create(full);
			*slash = '/';
		}
		if (!rc)
			rc = file_write_new(full, c->v[i].data, c->v[i].len);
		if (!rc && git_index_add_bypath(idx, c->v[i].path))
			rc = git_fail("cannot add to the index");
	}
	if (!rc && git_index_write(idx))
		rc = git_fail("cannot write the index");
	if (!rc)
		*done = 1;
cleanup:
	git_index_free(idx);
	return rc;
}

int store_checkout_paths(struct store *st, const git_oid *parent,
			 const git_oid *commit, const struct change *c)
{
	git_checkout_options co;
	git_commit *cm = NULL, *pc = NULL;
	git_tree *base = NULL;
	git_reference *head = NULL;
	char **paths;
	size_t i;
	int rc = 0, done = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (git_repository_is_bare(st->repo) || !c->n)
		return 0;
	/* only a checkout of the branch we committed to follows it */
	if (git_repository_head(&head, st->repo) ||
	    strcmp(git_reference_shorthand(head), st->branch) ||
	    !git_oid_equal(git_reference_target(head), commit)) {
		git_reference_free(head);
		return 0;
	}
	git_reference_free(head);
	if (!(paths = calloc(c->n, sizeof(*paths))))
		return gd_error_set("out of memory");
	for (i = 0; i < c->n; i++)
		paths[i] = c->v[i].path;
	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.paths.strings = paths;
	co.paths.count = c->n;
	if (!git_commit_lookup(&pc, st->repo, parent) && !git_commit_tree(&base, pc))
		co.baseline = base;
	index_ahead_take(st, 1); /* both ways below read it */
	if ((rc = checkout_added(st->repo, base, c, &done)) || done)
		goto cleanup;
	if (git_commit_lookup(&cm, st->repo, commit) ||
	    git_checkout_tree(st->repo, (const git_object *)cm, &co))
		rc = git_fail("cannot update the checkout");
cleanup:
	git_tree_free(base);
	git_commit_free(pc);
	git_commit_free(cm);
	free(paths);
	return rc;
}

#define EDIT_ROUNDS 32

int store_edit(struct store *st, const char *remote, store_build_fn build,
	       void *ctx, const char *name, const char *email, time_t when,
	       git_oid *out, int *retries)
{
	int round, rc = 0, found;

	memset(out, 0, sizeof(*out));
	for (round = 0; round < EDIT_ROUNDS; round++) {
		if (retries)
			*retries = round;
		struct change ch = { 0 };
		struct buf msg = BUF_INIT(64 * 1024);
		struct src s;
		git_oid head, commit;
		if ((rc = store_sync(st, remote, &head, &found)))
			return rc;
		if (!found)
			return gd_error_set("the branch '%s' has no commit yet",
					    st->branch);
		if ((rc = src_init_tree(&s, st, &head)))
			return rc;
		rc = build(ctx, &s, &head, &ch, &msg);
		src_release_tree(&s);
		if (!rc && ch.n) {
			rc = store_commit(st, &commit, &head, &ch, msg.ptr, name,
					  email, when);
			if (!rc)
				rc = store_publish(st, remote, &commit, &head);
			if (!rc) {
				store_checkout_paths(st, &head, &commit, &ch);
				*out = commit;
			}
		}
		change_release(&ch);
		buf_release(&msg);
		if (rc != GD_ECONFLICT && rc != GD_ERETRY)
			return rc;
	}
	return gd_error_set("the branch kept moving; gave up after %d tries "
			    "(nothing was changed)", EDIT_ROUNDS);
}
