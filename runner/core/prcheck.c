#include <cjson/cJSON.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonx.h"
#include "prcheck.h"
#include "term.h"
#include "banned.h"

/* Keys of gitdial.json whose change needs an owner's approval. */
static const char *const owned_keys[] = {
	"api_base", "function", "function_secret", "credentials",
	"webhook_base_url", NULL
};

static int owned(const char *path, const char *key)
{
	size_t i;

	if (!strcmp(path, "agent.secret"))
		return 1;
	for (i = 0; owned_keys[i]; i++)
		if (!strcmp(key, owned_keys[i]))
			return 1;
	return 0;
}

struct pr {
	git_repository *repo;
	struct diags *d;
	const char *old_text, *new_text; /* gitdial.json, for lines */
	size_t old_len, new_len;
};

/* A notice for every owned value that differs between a and b (objects or NULL). */
static void owned_walk(struct pr *pr, const cJSON *a, const cJSON *b,
		       const char *prefix, int depth)
{
	const cJSON *side[2] = { a, b }, *k;
	int s;

	if (depth > 8)
		return;
	for (s = 0; s < 2; s++) {
		if (!cJSON_IsObject(side[s]))
			continue;
		cJSON_ArrayForEach(k, side[s]) {
			const cJSON *va, *vb;
			char path[256];
			if (!k->string)
				continue;
			va = cJSON_IsObject(a) ? cJSON_GetObjectItemCaseSensitive(a, k->string) : NULL;
			vb = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, k->string) : NULL;
			if (s == 1 && va)
				continue; /* seen from a */
			jpath(path, sizeof(path), prefix, k->string);
			if (owned(path, k->string)) {
				if (!va || !vb || !cJSON_Compare(va, vb, 1))
					diags_add(pr->d, DIAG_NOTICE, "gitdial.json",
						  vb ? json_line(pr->new_text, pr->new_len, path)
						     : 0, path, "%s; where secrets go or come "
						  "from needs an owner's approval "
						  "(CODEOWNERS)", !va ? "added" : !vb
						  ? "removed" : "changed");
			} else if (cJSON_IsObject(va) || cJSON_IsObject(vb)) {
				owned_walk(pr, cJSON_IsObject(va) ? va : NULL,
					   cJSON_IsObject(vb) ? vb : NULL, path, depth + 1);
			}
		}
	}
}

/* The blob's text (NUL-ended copy, the caller's) or NULL. */
static char *blob_text(git_repository *repo, const git_diff_file *f, size_t *len)
{
	git_blob *b = NULL;
	char *t;

	*len = 0;
	if (!(f->flags & GIT_DIFF_FLAG_EXISTS) ||
	    git_blob_lookup(&b, repo, &f->id))
		return NULL;
	*len = (size_t)git_blob_rawsize(b);
	if ((t = malloc(*len + 1))) {
		memcpy(t, git_blob_rawcontent(b), *len);
		t[*len] = '\0';
	}
	git_blob_free(b);
	return t;
}

static void config_check(struct pr *pr, const git_diff_delta *dl)
{
	size_t ol, nl;
	char *ot = blob_text(pr->repo, &dl->old_file, &ol);
	char *nt = blob_text(pr->repo, &dl->new_file, &nl);
	cJSON *a = ot ? cJSON_ParseWithLength(ot, ol) : NULL;
	cJSON *b = nt ? cJSON_ParseWithLength(nt, nl) : NULL;

	pr->old_text = ot ? ot : "";
	pr->old_len = ol;
	pr->new_text = nt ? nt : "";
	pr->new_len = nl;
	owned_walk(pr, a, b, "", 0);
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(ot);
	free(nt);
}

/* An added DNC line: its reason and source are read by people. */
static void dnc_line_check(struct pr *pr, const char *path,
			   const git_diff_line *l)
{
	static const char *const keys[] = { "reason", "source", NULL };
	cJSON *o = cJSON_ParseWithLength(l->content, l->content_len);
	size_t i;
	char why[32];

	for (i = 0; o && keys[i]; i++) {
		const char *v = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, keys[i]));
		if (v && term_unsafe(v, why, sizeof(why)))
			diags_add(pr->d, DIAG_ERROR, path, (unsigned long)l->new_lineno,
				  keys[i], "contains %s, a control character "
				  "(expected printable text)", why);
	}
	cJSON_Delete(o);
}

/* dnc/ and outcomes/: nothing existing may change; outcomes/ gets nothing by hand. */
static int log_check(struct pr *pr, git_patch *p, const git_diff_delta *dl,
		     int outcomes)
{
	const char *path = dl->new_file.path ? dl->new_file.path : dl->old_file.path;
	size_t h, nh = git_patch_num_hunks(p);
	int said_edit = 0, said_add = 0;

	if (dl->status == GIT_DELTA_DELETED || dl->status == GIT_DELTA_RENAMED ||
	    dl->status == GIT_DELTA_TYPECHANGE) {
		diags_add(pr->d, DIAG_ERROR, dl->old_file.path, 0, NULL,
			  "deleted or moved: %s is append-only (entries are "
			  "added, never removed)", outcomes ? "outcomes/" : "dnc/");
		return 0;
	}
	for (h = 0; h < nh; h++) {
		int nl = git_patch_num_lines_in_hunk(p, h), i;
		for (i = 0; i < nl; i++) {
			const git_diff_line *l;
			if (git_patch_get_line_in_hunk(&l, p, h, (size_t)i))
				return gd_error_set("cannot read the change to '%s'", path);
			if (l->origin == GIT_DIFF_LINE_DELETION && !said_edit) {
				said_edit = 1;
				diags_add(pr->d, DIAG_ERROR, path,
					  (unsigned long)l->old_lineno, NULL,
					  "edits or deletes an existing line: %s is "
					  "append-only", outcomes ? "outcomes/" : "dnc/");
			} else if (l->origin == GIT_DIFF_LINE_ADDITION) {
				if (outcomes && !said_add) {
					said_add = 1;
					diags_add(pr->d, DIAG_ERROR, path,
						  (unsigned long)l->new_lineno, NULL,
						  "a hand-written runner event: outcomes/ "
						  "is written by the runner only");
				} else if (!outcomes) {
					dnc_line_check(pr, path, l);
				}
			}
		}
	}
	return 0;
}

static int delta_check(struct pr *pr, git_diff *diff, size_t i)
{
	const git_diff_delta *dl = git_diff_get_delta(diff, i);
	const char *path = dl->new_file.path ? dl->new_file.path : dl->old_file.path;
	git_patch *p = NULL;
	char why[32];
	int rc = 0, out;

	if (term_unsafe(path, why, sizeof(why)) ||
	    term_unsafe(dl->old_file.path, why, sizeof(why)))
		diags_add(pr->d, DIAG_ERROR, path, 0, NULL, "the path contains "
			  "%s, a control character", why);
	if (dl->status != GIT_DELTA_DELETED) {
		if (dl->new_file.mode == GIT_FILEMODE_LINK)
			diags_add(pr->d, DIAG_ERROR, path, 0, NULL, "a symbolic link "
				  "(files in the repository must be regular files)");
		else if (dl->new_file.mode == GIT_FILEMODE_COMMIT)
			diags_add(pr->d, DIAG_ERROR, path, 0, NULL, "a submodule "
				  "(the repository must hold its files itself)");
	}
	if (!strcmp(path, "gitdial.json"))
		config_check(pr, dl);
	if (!strncmp(path, "rules/", 6) || !strncmp(dl->old_file.path, "rules/", 6))
		diags_add(pr->d, DIAG_NOTICE, path, 0, NULL, "the legal rules "
			  "change; needs an owner's approval (CODEOWNERS)");
	out = !strncmp(path, "outcomes/", 9) || !strncmp(dl->old_file.path, "outcomes/", 9);
	if (out || !strncmp(path, "dnc/", 4) || !strncmp(dl->old_file.path, "dnc/", 4)) {
		if (git_patch_from_diff(&p, diff, i))
			return gd_error_set("cannot read the change to '%s'", path);
		rc = log_check(pr, p, dl, out);
		git_patch_free(p);
	}
	return rc;
}

/* The tree of a commit-ish, the caller's. */
static int tree_of(git_tree **out, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int rc;

	if (git_commit_lookup(&c, repo, id))
		return -1;
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc;
}

int prcheck(struct store *st, const char *base, struct diags *d)
{
	git_repository *repo = store_repo(st);
	git_object *bo = NULL, *bc = NULL;
	git_tree *old = NULL, *new = NULL;
	git_diff *diff = NULL;
	git_diff_options opts;
	git_oid head, mb;
	struct pr pr = { repo, d, NULL, NULL, 0, 0 };
	size_t i, n;
	int rc = 0;

	if (git_revparse_single(&bo, repo, base) ||
	    git_object_peel(&bc, bo, GIT_OBJECT_COMMIT)) {
		rc = gd_error_set("--base: no commit '%s' in the repository (fetch "
				  "it first, e.g. actions/checkout with fetch-depth: 0)",
				  term_str(base));
		goto cleanup;
	}
	if (git_reference_name_to_id(&head, repo, "HEAD")) {
		rc = gd_error_set("--base: the repository has no HEAD commit");
		goto cleanup;
	}
	/* what the branch did since it left base, as `git diff base...HEAD` */
	if (git_merge_base(&mb, repo, git_object_id(bc), &head))
		git_oid_cpy(&mb, git_object_id(bc));
	if (tree_of(&old, repo, &mb) || tree_of(&new, repo, &head)) {
		rc = gd_error_set("--base: cannot read the trees to compare");
		goto cleanup;
	}
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_FORCE_TEXT;
	opts.context_lines = 0;
	if (git_diff_tree_to_tree(&diff, repo, old, new, &opts)) {
		rc = gd_error_set("--base: cannot compare the trees");
		goto cleanup;
	}
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && !rc; i++)
		rc = delta_check(&pr, diff, i);
cleanup:
	git_diff_free(diff);
	git_tree_free(old);
	git_tree_free(new);
	git_object_free(bc);
	git_object_free(bo);
	return rc;
}
