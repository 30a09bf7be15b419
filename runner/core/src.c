#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "gitx.h"
#include "src.h"
#include "store.h"
#include "treewalk.h"
#include "util.h"
#include "banned.h"

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
		if (str_fmt(p, sizeof(p), "%s/%s", full, e->d_name))
			continue; /* a path no file of ours can have */
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
		return gitx_fail(path);
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
			return gitx_fail(dir);
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

/* Whether a walk of the tree lists entry e at path. */
static int tree_listed(const git_tree_entry *e, const char *path,
		       const char *suffix)
{
	return git_tree_entry_type(e) == GIT_OBJECT_BLOB && ends_with(path, suffix);
}

/* What tree_list_entry returns to end a files_since walk. */
#define TREE_STALE 1

struct tree_listing {
	const char *suffix;
	struct src_files *out;
};

/*
 * The treewalk_diff callback behind files and files_since: what is only
 * in the new tree is listed (files' walk is from nothing, so that is
 * everything). A listed file gone or changed, or a directory gone, ends
 * the walk with TREE_STALE (even a directory that held no listed file:
 * rare, and a full listing is only slower, never wrong).
 */
static int tree_list_entry(void *payload, const char *path,
			   const git_tree_entry *a, const git_tree_entry *b)
{
	struct tree_listing *l = payload;
	char hex[41];

	if (!b) /* gone */
		return git_tree_entry_type(a) == GIT_OBJECT_TREE ||
		       tree_listed(a, path, l->suffix) ? TREE_STALE : 0;
	if (a) /* a listed file changed */
		return tree_listed(a, path, l->suffix) ||
		       tree_listed(b, path, l->suffix) ? TREE_STALE : 0;
	if (!tree_listed(b, path, l->suffix))
		return 0;
	if (git_tree_entry_filemode(b) == GIT_FILEMODE_LINK)
		return gd_error_set("'%s' %s", path, SYMLINK_REFUSED), GD_EINVALID;
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(b));
	return files_push(l->out, path, hex);
}

static int tree_files(struct src *s, const char *dir, const char *suffix,
		      struct src_files *out)
{
	struct tree_src *t = s->ctx;
	struct tree_listing l = { suffix, out };
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
	rc = treewalk_diff(t->repo, NULL, sub, dir, tree_list_entry, &l);
	git_tree_free(sub);
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	return rc;
}

static int tree_files_since(struct src *s, const char *dir, const char *suffix,
			    const char *since, struct src_files *out, int *stale)
{
	struct tree_src *t = s->ctx;
	struct tree_listing l = { suffix, out };
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
		rc = treewalk_diff(t->repo, old, new, dir, tree_list_entry, &l);
	if (rc == TREE_STALE) {
		*stale = 1;
		rc = 0;
	}
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
		return gitx_fail(f->path);
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
		return gitx_fail("cannot open the repository again");
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
	t->repo = store_repo(st);
	if (git_commit_lookup(&c, t->repo, commit) ||
	    git_commit_tree(&t->tree, c)) {
		git_commit_free(c);
		free(t);
		return gitx_fail("cannot read the commit");
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
