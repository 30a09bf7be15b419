/*
 * gitdial audit [ID...] [--since REV] [--format text|json|html] [--out DIR]
 * [--repo PATH]: the runner's promises checked again from the branch's
 * history alone (docs/audit.md): options, the walk (core/audit_walk.c)
 * feeding the checks (core/audit.c), and the report in text, JSON or
 * HTML. Exit 0 when every check holds, 1 with findings, 2 on a usage
 * error, 3 when the repository cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "audit_walk.h"
#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "html.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial audit [ID...] [--since REV] [--format text|json|html] [--out DIR]\n"
	"              [--repo PATH]";

/* Exit codes (docs/audit.md). */
#define AUDIT_EXIT_FINDINGS 1
#define AUDIT_EXIT_UNREADABLE 3

/* ---- output ---------------------------------------------------------- */

struct report {
	const struct audit *a;
	const struct audit_range *w;
	const char *branch;
};

static void text_out(struct buf *b, const struct report *r)
{
	const struct audit *a = r->a;
	const struct audit_finding *f;
	size_t n, i, total = audit_found_total(a);
	int k;

	buf_printf(b, "gitdial audit of %s at %s (tree %s)\n", r->branch, r->w->head,
		   r->w->tree);
	buf_printf(b, "commits: %zu walked from %s%s%s, %zu by the runner (%zu "
		   "signed), %zu log lines\n", r->w->commits, r->w->first,
		   r->w->since[0] ? "; findings since " : "", r->w->since,
		   r->w->runner_commits, r->w->signed_commits, r->w->lines);
	buf_printf(b, "outcomes/ tree %s, dnc/ tree %s\n\n",
		   r->w->outcomes[0] ? r->w->outcomes : "-", r->w->dnc[0] ? r->w->dnc : "-");
	for (k = 0; k < AC_N; k++)
		buf_printf(b, "%-11s %-4s %9zu checked, %zu finding%s\n",
			   audit_check_names[k], audit_found(a, k) ? "FAIL" : "ok",
			   audit_checked(a, k), audit_found(a, k),
			   audit_found(a, k) == 1 ? "" : "s");
	f = audit_findings(a, &n);
	if (n)
		buf_puts(b, "\n");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s/%s: %s%s%s:%lu: commit %s: %s\n",
			   audit_check_names[f[i].check], f[i].rule,
			   f[i].campaign, f[i].campaign[0] ? ": " : "",
			   f[i].file[0] ? f[i].file : "-", f[i].line,
			   f[i].commit, f[i].message);
	if (total > n)
		buf_printf(b, "(%zu more findings not listed: at most %d per check)\n",
			   total - n, AUDIT_KEEP);
	buf_printf(b, "\n%s: %zu finding%s\n", total ? "FAILED" : "OK", total,
		   total == 1 ? "" : "s");
}

static cJSON *json_out(const struct report *r)
{
	const struct audit *a = r->a;
	const struct audit_finding *f;
	cJSON *o = cJSON_CreateObject(), *x, *arr;
	size_t n, i;
	int k;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddBoolToObject(o, "ok", audit_found_total(a) == 0);
	cJSON_AddStringToObject(o, "branch", r->branch);
	x = cJSON_AddObjectToObject(o, "range");
	cJSON_AddStringToObject(x, "first", r->w->first);
	if (r->w->since[0])
		cJSON_AddStringToObject(x, "since", r->w->since);
	else
		cJSON_AddNullToObject(x, "since");
	cJSON_AddStringToObject(x, "head", r->w->head);
	cJSON_AddStringToObject(x, "tree", r->w->tree);
	cJSON_AddStringToObject(x, "outcomes_tree", r->w->outcomes);
	cJSON_AddStringToObject(x, "dnc_tree", r->w->dnc);
	cJSON_AddNumberToObject(x, "commits", (double)r->w->commits);
	cJSON_AddNumberToObject(x, "runner_commits", (double)r->w->runner_commits);
	cJSON_AddNumberToObject(x, "signed_runner_commits", (double)r->w->signed_commits);
	cJSON_AddNumberToObject(x, "lines", (double)r->w->lines);
	x = cJSON_AddObjectToObject(o, "runner");
	cJSON_AddStringToObject(x, "name", AUDIT_RUNNER_NAME);
	cJSON_AddStringToObject(x, "email", AUDIT_RUNNER_EMAIL);
	arr = cJSON_AddArrayToObject(o, "checks");
	for (k = 0; k < AC_N; k++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", audit_check_names[k]);
		cJSON_AddStringToObject(c, "proves", audit_check_titles[k]);
		cJSON_AddNumberToObject(c, "checked", (double)audit_checked(a, k));
		cJSON_AddNumberToObject(c, "findings", (double)audit_found(a, k));
		cJSON_AddBoolToObject(c, "ok", audit_found(a, k) == 0);
		cJSON_AddItemToArray(arr, c);
	}
	f = audit_findings(a, &n);
	cJSON_AddNumberToObject(o, "findings_total", (double)audit_found_total(a));
	arr = cJSON_AddArrayToObject(o, "findings");
	for (i = 0; i < n; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "check", audit_check_names[f[i].check]);
		cJSON_AddStringToObject(c, "rule", f[i].rule);
		cJSON_AddStringToObject(c, "campaign", f[i].campaign);
		cJSON_AddStringToObject(c, "file", f[i].file);
		cJSON_AddNumberToObject(c, "line", (double)f[i].line);
		cJSON_AddStringToObject(c, "commit", f[i].commit);
		cJSON_AddStringToObject(c, "message", f[i].message);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}

static void html_out(struct buf *b, const struct report *r)
{
	const struct audit *a = r->a;
	const struct audit_finding *f;
	size_t n, i, total = audit_found_total(a);
	int k;

	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<title>gitdial audit</title><style>"
		 "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
		 "table{border-collapse:collapse;margin:1em 0}"
		 "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
		 "th{background:#f4f4f4}.ok{color:#176b2c;font-weight:bold}"
		 ".fail{color:#b00020;font-weight:bold}code{font-size:12px}"
		 "</style></head><body>\n");
	buf_printf(b, "<h1>gitdial audit: <span class=\"%s\">%s</span></h1>\n",
		   total ? "fail" : "ok", total ? "FAILED" : "every check holds");
	buf_puts(b, "<table><tr><th>branch</th><td>");
	html_put(b, r->branch);
	buf_printf(b, "</td></tr><tr><th>head commit</th><td><code>%s</code></td></tr>"
		   "<tr><th>head tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>outcomes/ tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>dnc/ tree</th><td><code>%s</code></td></tr>"
		   "<tr><th>first commit walked</th><td><code>%s</code></td></tr>"
		   "<tr><th>findings reported since</th><td><code>%s</code></td></tr>"
		   "<tr><th>commits</th><td>%zu walked, %zu by the runner "
		   "(&quot;%s&quot; &lt;%s&gt;), %zu of them signed</td></tr>"
		   "<tr><th>log lines read</th><td>%zu</td></tr></table>\n",
		   r->w->head, r->w->tree, r->w->outcomes[0] ? r->w->outcomes : "-",
		   r->w->dnc[0] ? r->w->dnc : "-", r->w->first,
		   r->w->since[0] ? r->w->since : "the first commit",
		   r->w->commits, r->w->runner_commits, AUDIT_RUNNER_NAME, AUDIT_RUNNER_EMAIL,
		   r->w->signed_commits, r->w->lines);
	buf_puts(b, "<h2>Checks</h2>\n<table><tr><th>check</th><th>what it proves</th>"
		 "<th>checked</th><th>findings</th><th>result</th></tr>\n");
	for (k = 0; k < AC_N; k++)
		buf_printf(b, "<tr><td>%s</td><td>%s</td><td>%zu</td><td>%zu</td>"
			   "<td class=\"%s\">%s</td></tr>\n", audit_check_names[k],
			   audit_check_titles[k], audit_checked(a, k),
			   audit_found(a, k), audit_found(a, k) ? "fail" : "ok",
			   audit_found(a, k) ? "FAIL" : "ok");
	buf_puts(b, "</table>\n<h2>Findings</h2>\n");
	f = audit_findings(a, &n);
	if (!n)
		buf_puts(b, "<p>None.</p>\n");
	else
		buf_puts(b, "<table><tr><th>check</th><th>rule</th><th>campaign</th>"
			 "<th>event</th><th>commit</th><th>finding</th></tr>\n");
	for (i = 0; i < n; i++) {
		buf_printf(b, "<tr><td>%s</td><td>", audit_check_names[f[i].check]);
		html_put(b, f[i].rule);
		buf_puts(b, "</td><td>");
		html_put(b, f[i].campaign);
		buf_puts(b, "</td><td><code>");
		html_put(b, f[i].file[0] ? f[i].file : "-");
		buf_printf(b, ":%lu</code></td><td><code>%s</code></td><td>", f[i].line,
			   f[i].commit);
		html_put(b, f[i].message);
		buf_puts(b, "</td></tr>\n");
	}
	if (n)
		buf_puts(b, "</table>\n");
	if (total > n)
		buf_printf(b, "<p>%zu more findings not listed (at most %d per check).</p>\n",
			   total - n, AUDIT_KEEP);
	buf_puts(b, "<p>Made by <code>gitdial audit</code> from the repository's "
		 "objects alone; re-run it on the same head to get the same page.</p>\n"
		 "</body></html>\n");
}

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_write_atomic(path, data, len);
}

static int output(struct audit *a, const struct audit_range *w,
		  const char *branch, int fmt, const char *out_dir)
{
	struct report r;
	struct buf b = BUF_INIT((size_t)64 << 20);
	cJSON *j = NULL;
	char *js = NULL;
	int rc = 0;

	r.a = a;
	r.w = w;
	r.branch = branch;
	if (out_dir) {
		if (mkdir(out_dir, 0777) && errno != EEXIST)
			return gd_error_set("cannot create %s", out_dir);
		text_out(&b, &r);
		if (!(rc = buf_check(&b)))
			rc = write_file(out_dir, "audit.txt", b.ptr, b.len);
		buf_reset(&b);
		if (!rc && (j = json_out(&r)) && (js = cJSON_PrintUnformatted(j)))
			rc = write_file(out_dir, "audit.json", js, strlen(js));
		else if (!rc)
			rc = gd_error_set("out of memory");
		if (!rc) {
			html_out(&b, &r);
			if (!(rc = buf_check(&b)))
				rc = write_file(out_dir, "index.html", b.ptr,
						b.len);
		}
		buf_reset(&b);
	}
	if (!rc) {
		if (fmt == 1) {
			if (!j)
				j = json_out(&r);
			if (!js && j)
				js = cJSON_PrintUnformatted(j);
			if (js)
				printf("%s\n", js);
		} else {
			if (fmt == 2)
				html_out(&b, &r);
			else
				text_out(&b, &r);
			if (!(rc = buf_check(&b)))
				fwrite(b.ptr ? b.ptr : "", 1, b.len, stdout);
		}
	}
	cJSON_free(js);
	cJSON_Delete(j);
	buf_release(&b);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ids[AUDIT_IDS_MAX];
	const char *root = ".", *since = NULL, *out_dir = NULL;
	struct store *st = NULL;
	struct audit *a = NULL;
	struct audit_range range;
	git_oid head;
	int c, fmt = 0, rc, found = 0, n_ids = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 's': since = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'f':
			if (!strcmp(optarg, "text"))
				fmt = 0;
			else if (!strcmp(optarg, "json"))
				fmt = 1;
			else if (!strcmp(optarg, "html"))
				fmt = 2;
			else
				return usage_error("audit", usage, "unknown format '%s'",
						   optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("audit", usage, "bad option");
		}
	}
	for (; optind < argc; optind++) {
		if (!id_valid(argv[optind]))
			return usage_error("audit", usage, "'%s' is not a campaign id",
					   argv[optind]);
		if (n_ids == AUDIT_IDS_MAX)
			return usage_error("audit", usage, "at most %d campaign ids",
					   AUDIT_IDS_MAX);
		ids[n_ids++] = argv[optind];
	}
	if (store_open(&st, root)) {
		fprintf(stderr, "gitdial audit: %s\n", gd_error_last());
		return AUDIT_EXIT_UNREADABLE;
	}
	rc = store_sync(st, NULL, &head, &found);
	if (!rc && !found)
		rc = gd_error_set("the branch %s has no commit", store_branch(st));
	if (!rc)
		rc = audit_new(&a);
	if (!rc)
		rc = audit_walk(st, &head, since, ids, n_ids, a, &range);
	if (!rc)
		rc = audit_finish(a);
	if (!rc)
		rc = output(a, &range, store_branch(st), fmt, out_dir);
	if (rc)
		fprintf(stderr, "gitdial audit: %s\n", gd_error_last());
	else if (audit_found_total(a))
		rc = AUDIT_EXIT_FINDINGS;
	audit_free(a);
	store_free(st);
	if (rc < 0)
		return AUDIT_EXIT_UNREADABLE;
	return rc;
}
