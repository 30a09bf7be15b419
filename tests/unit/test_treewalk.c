/*
 * The one tree walk (runner/core/treewalk.c) on a real repository made
 * here: what treewalk_diff reports for a file added, changed or gone and
 * for a directory gone, that it stops when asked, the history walk's
 * commits, and the commit-tree source's files_since built on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "src.h"
#include "store.h"
#include "treewalk.h"

#include "tap.h"

static git_repository *repo;
static char seen[4096];

/* Appends "+path" (new), "-path" (gone) or "~path" (changed) to seen. */
static int note(void *payload, const char *path, const git_tree_entry *old,
		const git_tree_entry *new)
{
	size_t n = strlen(seen);

	(void)payload;
	snprintf(seen + n, sizeof(seen) - n, "%s%c%s", n ? "," : "",
		 !old ? '+' : !new ? '-' : '~', path);
	return 0;
}

static int stop_at_first(void *payload, const char *path,
			 const git_tree_entry *old, const git_tree_entry *new)
{
	note(payload, path, old, new);
	return 7;
}

/* The commits made below, so the history walk's can be named. */
static git_oid commits[3];

static int note_history(void *payload, const git_oid *commit, git_time_t when,
			const char *path, const git_tree_entry *old,
			const git_tree_entry *new)
{
	size_t n = strlen(seen), i;

	(void)payload;
	for (i = 0; i < 3 && !git_oid_equal(commit, &commits[i]); i++)
		;
	snprintf(seen + n, sizeof(seen) - n, "%s%zu@%lld", n ? "," : "", i + 1,
		 (long long)when);
	return note(NULL, path, old, new);
}

/* The tree at path in commit (the root tree when path is ""). */
static git_tree *tree_at(const git_oid *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *root = NULL, *t = NULL;
	git_tree_entry *e = NULL;

	if (git_commit_lookup(&c, repo, commit) || git_commit_tree(&root, c))
		return NULL;
	git_commit_free(c);
	if (!*path)
		return root;
	if (!git_tree_entry_bypath(&e, root, path))
		git_tree_lookup(&t, repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(root);
	return t;
}

static void tree_hex(const git_oid *commit, const char *path, char out[41])
{
	git_tree *t = tree_at(commit, path);

	out[0] = '\0';
	if (t)
		git_oid_tostr(out, 41, git_tree_id(t));
	git_tree_free(t);
}

static int diff(const git_oid *a, const git_oid *b, const char *path,
		const char *dir, treewalk_fn fn)
{
	git_tree *ta = a ? tree_at(a, path) : NULL, *tb = tree_at(b, path);
	int rc;

	seen[0] = '\0';
	rc = treewalk_diff(repo, ta, tb, dir, fn, NULL);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

int main(void)
{
	char root[256], hex[41];
	struct store *st = NULL;
	struct change ch = { 0 };
	struct src s;
	struct src_files f = { NULL, 0 };
	int rc, stale = -1;

	snprintf(root, sizeof(root), "%s/gitdial-treewalk.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	git_libgit2_init();
	if (git_repository_init(&repo, root, 1) || store_open(&st, root)) {
		printf("Bail out! cannot make a repository: %s\n", gd_error_last());
		return 1;
	}
	git_repository_free(repo);
	repo = store_repo(st);

	rc = change_add(&ch, "a/x.jsonl", "x\n", 2) ||
	     change_add(&ch, "a/y.txt", "y\n", 2) ||
	     change_add(&ch, "a/deep/k.jsonl", "k\n", 2) ||
	     change_add(&ch, "b/z.jsonl", "z\n", 2);
	rc = rc ? rc : store_commit(st, &commits[0], NULL, &ch, "one\n", "t",
				    "t@x.invalid", 1000);
	change_release(&ch);
	rc = rc ? rc : change_add(&ch, "a/w.jsonl", "w\n", 2) ||
		       change_remove(&ch, "a/y.txt") ||
		       change_add(&ch, "b/z.jsonl", "z2\n", 3) ||
		       change_add(&ch, "c/d/e.jsonl", "e\n", 2);
	rc = rc ? rc : store_commit(st, &commits[1], &commits[0], &ch, "two\n",
				    "t", "t@x.invalid", 2000);
	change_release(&ch);
	rc = rc ? rc : change_add(&ch, "a/v.jsonl", "v\n", 2);
	rc = rc ? rc : store_commit(st, &commits[2], &commits[1], &ch, "three\n",
				    "t", "t@x.invalid", 3000);
	change_release(&ch);
	if (rc) {
		printf("Bail out! cannot commit: %s\n", gd_error_last());
		return 1;
	}

	CHECK(diff(NULL, &commits[0], "a", "a", note) == 0 &&
	      !strcmp(seen, "+a/deep/k.jsonl,+a/x.jsonl,+a/y.txt"),
	      "from nothing: every file, directories entered, in git's order (%s)",
	      seen);
	CHECK(diff(&commits[0], &commits[1], "a", "a", note) == 0 &&
	      !strcmp(seen, "+a/w.jsonl,-a/y.txt"),
	      "a file added and one gone; the same directory is not entered (%s)",
	      seen);
	CHECK(diff(&commits[0], &commits[1], "b", "b", note) == 0 &&
	      !strcmp(seen, "~b/z.jsonl"), "a file changed (%s)", seen);
	CHECK(diff(&commits[1], &commits[0], "", "r", note) == 0 &&
	      !strcmp(seen, "-r/a/w.jsonl,+r/a/y.txt,~r/b/z.jsonl,-r/c"),
	      "backwards from the root: a directory gone is seen, not entered (%s)",
	      seen);
	CHECK(diff(&commits[0], &commits[1], "", "r", stop_at_first) == 7 &&
	      !strcmp(seen, "+r/a/w.jsonl"),
	      "the callback's nonzero ends the walk and is returned (%s)", seen);

	seen[0] = '\0';
	CHECK(treewalk_history(repo, &commits[2], "a", note_history, NULL) == 0 &&
	      !strcmp(seen, "1@1000,+a/deep/k.jsonl,1@1000,+a/x.jsonl,"
		      "1@1000,+a/y.txt,2@2000,+a/w.jsonl,2@2000,-a/y.txt,"
		      "3@3000,+a/v.jsonl"),
	      "history: oldest commit first, each with its change (%s)", seen);
	seen[0] = '\0';
	CHECK(treewalk_history(repo, &commits[2], "c", note_history, NULL) == 0 &&
	      !strcmp(seen, "2@2000,+c/d/e.jsonl"),
	      "history: commits without the directory or without a change to it "
	      "are passed over (%s)", seen);

	if (src_init_tree(&s, st, &commits[1])) {
		printf("Bail out! src_init_tree: %s\n", gd_error_last());
		return 1;
	}
	tree_hex(&commits[0], "a", hex);
	CHECK(s.files_since(&s, "a", ".jsonl", hex, &f, &stale) == 0 && !stale &&
	      f.n == 1 && !strcmp(f.v[0].path, "a/w.jsonl"),
	      "files_since: the new file; an unlisted one gone does not matter");
	src_files_release(&f);
	tree_hex(&commits[0], "b", hex);
	CHECK(s.files_since(&s, "b", ".jsonl", hex, &f, &stale) == 0 && stale &&
	      f.n == 0, "files_since: a listed file changed is stale");
	src_files_release(&f);
	CHECK(s.files(&s, "a", ".jsonl", &f) == 0 && f.n == 3 &&
	      !strcmp(f.v[0].path, "a/deep/k.jsonl") &&
	      !strcmp(f.v[1].path, "a/w.jsonl") && !strcmp(f.v[2].path, "a/x.jsonl") &&
	      strlen(f.v[0].id) == 40, "files: every listed file under a, with ids");
	src_files_release(&f);
	src_release_tree(&s);

	store_free(st);
	{
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd))
			printf("# could not remove %s\n", root);
	}
	return finish();
}
