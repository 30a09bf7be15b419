#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/repository.h>

#include "err.h"
#include "gitx.h"
#include "remote_auth.h"
#include "store.h"
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

int store_open(struct store **out, const char *path)
{
	struct store *st;
	git_reference *head = NULL;
	int rc;

	*out = NULL;
	gitx_init();
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

void store_index_ready(struct store *st)
{
	index_ahead_take(st, 1);
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

const char *store_gitdir(struct store *st)
{
	return git_repository_path(st->repo);
}

const char *store_branch(struct store *st)
{
	return st->branch;
}

void store_set_branch(struct store *st, const char *branch)
{
	snprintf(st->branch, sizeof(st->branch), "%s", branch);
}

int store_branch_exists(struct store *st, const char *branch)
{
	git_reference *ref = NULL;
	char path[512];

	snprintf(path, sizeof(path), "refs/heads/%s", branch);
	if (git_reference_lookup(&ref, st->repo, path))
		return 0;
	git_reference_free(ref);
	return 1;
}

void store_set_upstream(struct store *st, const char *branch,
			const char *upstream)
{
	git_reference *b = NULL;

	if (!git_branch_lookup(&b, st->repo, branch, GIT_BRANCH_LOCAL))
		git_branch_set_upstream(b, upstream);
	git_reference_free(b);
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

int store_commit_time(struct store *st, const git_oid *commit, time_t *out)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, st->repo, commit))
		return gitx_fail("cannot read the commit");
	*out = (time_t)git_commit_time(c);
	git_commit_free(c);
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

int change_add_buf(struct change *c, const char *path, const struct buf *b)
{
	int rc = buf_check(b);

	if (rc) {
		gd_error_prefix("%s", path);
		return rc;
	}
	return change_add(c, path, b->ptr ? b->ptr : "", b->len);
}

int change_remove(struct change *c, const char *path)
{
	int rc = change_add(c, path, "", 0);

	if (!rc)
		c->v[c->n - 1].remove = 1;
	return rc;
}

void change_truncate(struct change *c, size_t n)
{
	while (c->n > n) {
		c->n--;
		free(c->v[c->n].path);
		free(c->v[c->n].data);
	}
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
		rc = gitx_fail("cannot read the parent commit");
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
			rc = gitx_fail("cannot write a blob");
			goto cleanup;
		}
	}
	if (base) {
		if (git_tree_create_updated(&tree_id, st->repo, base, c->n, up)) {
			rc = gitx_fail("cannot build the tree");
			goto cleanup;
		}
	} else {
		/* a root commit: build on the empty tree */
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, st->repo, NULL) ||
		    git_treebuilder_write(&empty, tb)) {
			git_treebuilder_free(tb);
			rc = gitx_fail("cannot write the empty tree");
			goto cleanup;
		}
		git_treebuilder_free(tb);
		if (git_tree_lookup(&base, st->repo, &empty) ||
		    git_tree_create_updated(&tree_id, st->repo, base, c->n, up)) {
			rc = gitx_fail("cannot build the tree");
			goto cleanup;
		}
	}
	if (git_tree_lookup(&tree, st->repo, &tree_id) ||
	    git_signature_new(&sig, name, email, (git_time_t)when, 0)) {
		rc = gitx_fail("cannot prepare the commit");
		goto cleanup;
	}
	parents[0] = pc;
	if (git_commit_create(out, st->repo, NULL, sig, sig, "UTF-8", message,
			      tree, pc ? 1 : 0, parents))
		rc = gitx_fail("cannot write the commit");
cleanup:
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	free(up);
	return rc;
}

int store_create(const char *dir, const char *branch)
{
	git_repository *repo = NULL;
	git_repository_init_options io;
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	char head[300];
	int rc = 0;

	git_libgit2_init();
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH;
	snprintf(head, sizeof(head), "%s", branch);
	io.initial_head = head;
	if (git_repository_init_ext(&repo, dir, &io) ||
	    git_repository_index(&idx, repo) ||
	    git_index_add_all(idx, NULL, 0, NULL, NULL) ||
	    git_index_write(idx) ||
	    git_index_write_tree(&tree_id, idx) ||
	    git_tree_lookup(&tree, repo, &tree_id)) {
		const git_error *e = git_error_last();
		rc = gd_error_set("git: %s", e && e->message ? e->message : "failed");
		goto cleanup;
	}
	if (git_signature_default(&sig, repo) &&
	    git_signature_now(&sig, "gitdial init", "init@gitdial.invalid")) {
		rc = gd_error_set("cannot make a signature");
		goto cleanup;
	}
	if (git_commit_create(&commit_id, repo, "HEAD", sig, sig, "UTF-8",
			      "Campaign repository from gitdial init\n", tree, 0,
			      NULL)) {
		const git_error *e = git_error_last();
		rc = gd_error_set("git commit: %s", e && e->message ? e->message : "failed");
	}
cleanup:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(repo);
	return rc;
}
