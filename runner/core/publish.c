#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gitx.h"
#include "publish.h"
#include "remote_auth.h"
#include "store.h"
#include "testhook.h"
#include "banned.h"

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
		return gitx_fail(name);
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
		return gitx_fail("cannot read an object to publish");
	if (git_odb_object_type(o) == GIT_OBJECT_TREE) {
		size_t i, n;
		if (git_tree_lookup(&tree, repo, oid)) {
			git_odb_object_free(o);
			return gitx_fail("cannot read a tree to publish");
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
		rc = gitx_fail("cannot write an object to the remote");
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
		rc = gitx_fail("cannot open an object database");
		goto cleanup;
	}
	if (git_odb_exists(to, commit))
		goto cleanup;
	if (depth > 1000) {
		rc = gd_error_set("the remote lacks more than 1000 commits of this branch");
		goto cleanup;
	}
	if (git_commit_lookup(&c, repo, commit)) {
		rc = gitx_fail("cannot read the commit to publish");
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
	git_repository *repo = store_repo(st);
	git_remote *r = NULL;
	git_repository *rr = NULL;
	struct push_ctx pc = { 0, "" };
	struct remote_auth ra;
	const char *path;
	int rc;

	snprintf(ref, sizeof(ref), "refs/heads/%s", store_branch(st));
	/* tests: hold here, the commit made, until told to go (testhook.h) */
	if ((rc = testhook_hold("publish", git_oid_tostr(hex, sizeof(hex), commit))))
		return rc;
	if (!remote) {
		rc = cas_ref(repo, ref, commit, expected);
		return rc;
	}
	if (git_remote_lookup(&r, repo, remote))
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
			rc = gitx_fail("cannot open the remote repository");
			goto cleanup;
		}
		if ((rc = copy_commit(repo, rr, commit, 0)))
			goto cleanup;
		if ((rc = cas_ref(rr, ref, commit, expected)))
			goto cleanup;
	} else {
		snprintf(tmp, sizeof(tmp), "refs/gitdial/out/%s-%ld", hex, (long)getpid());
		if ((rc = cas_ref(repo, tmp, commit, NULL)) && rc != GD_ECONFLICT)
			goto cleanup;
		snprintf(spec, sizeof(spec), "%s:%s", tmp, ref);
		if (!(rc = remote_auth_init(&ra, repo, r, 1))) {
			rc = push_refspec(r, spec, &pc, &ra);
			remote_auth_release(&ra);
		}
		{
			git_reference *t = NULL;
			if (!git_reference_lookup(&t, repo, tmp))
				git_reference_delete(t);
			git_reference_free(t);
		}
		if (rc)
			goto cleanup;
	}
	/* the remote moved: follow it locally */
	snprintf(tmp, sizeof(tmp), "refs/remotes/%s/%s", remote,
		 store_branch(st));
	{
		git_reference *t = NULL;
		git_reference_create(&t, repo, tmp, commit, 1, "gitdial push");
		git_reference_free(t);
	}
	{
		git_oid local;
		if (git_reference_name_to_id(&local, repo, ref) != 0 ||
		    (expected && git_oid_equal(&local, expected)) ||
		    git_graph_descendant_of(repo, commit, &local) == 1) {
			git_reference *t = NULL;
			git_reference_create(&t, repo, ref, commit, 1,
					     "gitdial push");
			git_reference_free(t);
		}
	}
cleanup:
	git_repository_free(rr);
	git_remote_free(r);
	return rc;
}
