/*
 * gitdial dnc add|remove|list|check: the do-not-call list (SPEC §7) by
 * hand. add and remove append entries (one new file under dnc/, one
 * commit per call, by the operator); nothing is ever edited, so a remove
 * is an audited event of its own and the history stays in git. list and
 * check read the branch head, as the tick does.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "author.h"
#include "cmd.h"
#include "dnc.h"
#include "dnc_log.h"
#include "err.h"
#include "phone.h"
#include "store.h"
#include "store_edit.h"
#include "term.h"
#include "util.h"
#include "worktree.h"
#include "banned.h"

static const char usage[] =
	"gitdial dnc add PHONE... [--reason TEXT] [--source TEXT] [--format text|json]\n"
	"       gitdial dnc remove PHONE... --reason TEXT [--source TEXT] [--format text|json]\n"
	"       gitdial dnc list [--all] [--format text|json]\n"
	"       gitdial dnc check PHONE... [--format text|json]\n"
	"  common: [--repo PATH] [--remote NAME] [--now RFC3339]"
	" [--author \"Name <email>\"]";

#define ROUNDS_MAX 8
#define TEXT_MAX 500

enum sub { SUB_ADD, SUB_REMOVE, SUB_LIST, SUB_CHECK };

struct opts {
	enum sub sub;
	const char *repo, *remote, *reason, *source, *author;
	time_t now;
	int json, all;
	char (*phones)[PHONE_MAX];
	size_t n_phones;
};

/* The branch head as a source; *have is 0 when the branch has no commit. */
static int open_head(struct store *st, const char *remote, git_oid *head,
		     int *have, struct src *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = store_sync(st, remote, head, have)) || !*have)
		return rc;
	return src_init_tree(s, st, head);
}

static void print_bad_lines(const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "gitdial dnc: %s:%lu: %s%s%s (line skipped)\n",
			term_str(d->v[i].file), d->v[i].line,
			d->v[i].field ? term_str(d->v[i].field) : "",
			d->v[i].field ? ": " : "", term_str(d->v[i].msg));
}

static void rec_json(cJSON *o, const struct dnc_rec *r)
{
	char t[21];

	time_format_utc(t, r->ts);
	cJSON_AddStringToObject(o, "phone", r->phone);
	cJSON_AddStringToObject(o, "action", r->add ? "add" : "remove");
	cJSON_AddStringToObject(o, "ts", t);
	cJSON_AddStringToObject(o, "reason", r->reason);
	cJSON_AddStringToObject(o, "source", r->source);
	cJSON_AddStringToObject(o, "file", r->file);
	cJSON_AddNumberToObject(o, "line", (double)r->line);
}

/* "2026-11-20T10:00:00Z (reason; source) dnc/x.jsonl:3" */
static void rec_text(FILE *f, const struct dnc_rec *r)
{
	char t[21];

	time_format_utc(t, r->ts);
	/* reasons and sources are the repository's text: escaped */
	fprintf(f, "%s (%s%s%s) %s:%lu", t, *r->reason ? term_str(r->reason)
		: "no reason", *r->source ? "; " : "", term_str(r->source),
		term_str(r->file), r->line);
}

static int print_json(cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);

	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(root);
	return s ? 0 : 1;
}

static int run_list(struct store *st, const struct opts *o)
{
	struct dnc_log l = { 0 };
	struct diags d = { 0 };
	struct src s;
	git_oid head;
	size_t i, blocked = 0, numbers = 0;
	cJSON *root = NULL, *arr = NULL;
	int have, rc;

	if ((rc = open_head(st, o->remote, &head, &have, &s)))
		goto fail;
	if (have) {
		rc = dnc_log_load(&l, &s, &d);
		src_release_tree(&s);
		if (rc)
			goto fail;
	}
	print_bad_lines(&d);
	dnc_log_sort(&l);
	if (o->json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "numbers");
	} else {
		printf("%-16s %-7s %-20s %-28s %-24s %s\n", "PHONE", "STATE",
		       "SINCE", "REASON", "SOURCE", "ENTRY");
	}
	for (i = 0; i < l.n; i++) {
		const struct dnc_rec *r = &l.v[i];
		char t[21], where[160], reason[29], source[25], esc[4][128];
		if (i + 1 < l.n && l.v[i + 1].key == r->key)
			continue; /* not the latest entry for this number */
		numbers++;
		blocked += r->add;
		if (!r->add && !o->all)
			continue;
		if (o->json) {
			cJSON *x = cJSON_CreateObject();
			rec_json(x, r);
			cJSON_AddBoolToObject(x, "blocked", r->add);
			cJSON_AddItemToArray(arr, x);
			continue;
		}
		time_format_utc(t, r->ts);
		snprintf(where, sizeof(where), "%s:%lu", r->file, r->line);
		/* cut at a character boundary: reasons may be Arabic */
		/* escaped first (the repository's text), then cut */
		utf8_truncate(reason, 29, term_safe(esc[0], sizeof(esc[0]), r->reason));
		utf8_truncate(source, 25, term_safe(esc[1], sizeof(esc[1]), r->source));
		printf("%-16s %-7s %-20s %-28s %-24s %s\n",
		       term_safe(esc[2], sizeof(esc[2]), r->phone),
		       r->add ? "added" : "removed", t, reason, source,
		       term_safe(esc[3], sizeof(esc[3]), where));
	}
	if (o->json) {
		cJSON_AddNumberToObject(root, "blocked_count", (double)blocked);
		cJSON_AddNumberToObject(root, "number_count", (double)numbers);
		cJSON_AddNumberToObject(root, "entry_count", (double)l.n);
		rc = print_json(root);
	} else {
		fprintf(stderr, "%zu number%s blocked (%zu entr%s for %zu number%s)\n",
			blocked, blocked == 1 ? "" : "s", l.n, l.n == 1 ? "y" : "ies",
			numbers, numbers == 1 ? "" : "s");
	}
	dnc_log_release(&l);
	diags_release(&d);
	return rc;
fail:
	fprintf(stderr, "gitdial dnc list: %s\n", gd_error_last());
	dnc_log_release(&l);
	diags_release(&d);
	return 1;
}

/* Exit 0: none blocked, 1: some blocked, 2: could not tell. */
static int run_check(struct store *st, const struct opts *o)
{
	struct dnc_log l = { 0 };
	struct dnc *set = NULL;
	struct diags d = { 0 };
	struct src s;
	git_oid head;
	cJSON *root = NULL, *arr = NULL;
	size_t i, blocked = 0;
	int have, rc;

	if ((rc = open_head(st, o->remote, &head, &have, &s)))
		goto fail;
	if (have) {
		/* the verdict is the tick's own reading; the log says why */
		rc = dnc_load(&set, &s, NULL);
		if (!rc)
			rc = dnc_log_load(&l, &s, &d);
		src_release_tree(&s);
		if (rc)
			goto fail;
	}
	print_bad_lines(&d);
	dnc_log_sort(&l);
	if (o->json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "numbers");
	}
	for (i = 0; i < o->n_phones; i++) {
		uint64_t key = phone_key(o->phones[i]);
		const struct dnc_rec *r = dnc_log_latest(&l, key);
		int b = dnc_contains(set, key);
		blocked += b;
		if (o->json) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "phone", o->phones[i]);
			cJSON_AddBoolToObject(x, "blocked", b);
			if (r)
				rec_json(cJSON_AddObjectToObject(x, "entry"), r);
			else
				cJSON_AddNullToObject(x, "entry");
			cJSON_AddItemToArray(arr, x);
			continue;
		}
		printf("%s %s", o->phones[i], b ? "blocked" : "not blocked");
		if (r) {
			printf(": %s ", r->add ? "added" : "removed");
			rec_text(stdout, r);
		} else {
			printf(": not on the list");
		}
		printf("\n");
	}
	if (o->json) {
		cJSON_AddNumberToObject(root, "blocked_count", (double)blocked);
		print_json(root);
	}
	dnc_log_release(&l);
	dnc_free(set);
	diags_release(&d);
	return blocked ? 1 : 0;
fail:
	fprintf(stderr, "gitdial dnc check: %s\n", gd_error_last());
	dnc_log_release(&l);
	dnc_free(set);
	diags_release(&d);
	return 2;
}

/*
 * Builds the entries of one add/remove call on top of the log l (sorted):
 * numbers whose latest entry already says so are left out (noted on
 * stderr when print). Returns how many entries went into lines.
 */
static size_t build_entries(struct buf *lines, struct buf *msg,
			    const struct dnc_log *l, const struct opts *o,
			    const char *source, int print)
{
	int add = o->sub == SUB_ADD;
	size_t i, n = 0;

	buf_reset(lines);
	buf_reset(msg);
	buf_printf(msg, "dnc: %s", add ? "add" : "remove");
	for (i = 0; i < o->n_phones; i++) {
		const struct dnc_rec *r = dnc_log_latest(l, phone_key(o->phones[i]));
		time_t ts = o->now;
		if (add ? r && r->add : !r || !r->add) {
			if (print) {
				fprintf(stderr, "%s: %s", o->phones[i], add
					? "already blocked since " : r
					? "not blocked (removed " : "not on the list");
				if (r)
					rec_text(stderr, r);
				fprintf(stderr, "%s; nothing to do\n",
					r && !add ? ")" : "");
			}
			continue;
		}
		/*
		 * The latest entry wins by time: one dated no later than the
		 * entry it overrides would not take effect, so it is dated a
		 * second after it (and says so).
		 */
		if (r && r->ts >= ts) {
			ts = r->ts + 1;
			if (print) {
				char t[21];
				time_format_utc(t, ts);
				fprintf(stderr, "%s: the entry it overrides is dated "
					"at or after now; this one is dated %s\n",
					o->phones[i], t);
			}
		}
		/* a failure sticks to lines: change_add_buf refuses it */
		if (dnc_entry(lines, ts, o->phones[i], add, o->reason, source))
			break;
		if (n < 3)
			buf_printf(msg, "%s %s", n ? "," : "", o->phones[i]);
		n++;
	}
	if (n > 3)
		buf_printf(msg, " and %zu more", n - 3);
	buf_puts(msg, "\n\n");
	if (o->reason && *o->reason)
		buf_printf(msg, "reason: %s\n", o->reason);
	buf_printf(msg, "source: %s\n", source);
	return n;
}

/*
 * What add/remove did: the numbers written (from the entries in lines)
 * and the commit; with --format json also the numbers left as they were.
 * hex is NULL when nothing was written.
 */
static void print_change(const struct opts *o, const struct buf *lines,
			 const char *hex, const char *branch, const char *path)
{
	cJSON *root = NULL, *done = NULL, *same = NULL;
	size_t i, k;

	if (o->json) {
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "action", o->sub == SUB_ADD ? "add"
					: "remove");
		if (hex) {
			cJSON_AddStringToObject(root, "commit", hex);
			cJSON_AddStringToObject(root, "file", path);
		} else {
			cJSON_AddNullToObject(root, "commit");
			cJSON_AddNullToObject(root, "file");
		}
		cJSON_AddStringToObject(root, "branch", branch);
		cJSON_AddBoolToObject(root, "pushed", hex && o->remote);
		done = cJSON_AddArrayToObject(root, "written");
		same = cJSON_AddArrayToObject(root, "unchanged");
	}
	for (k = 0; k < o->n_phones; k++) {
		char key[PHONE_MAX + 12];
		snprintf(key, sizeof(key), "\"phone\":\"%s\"", o->phones[k]);
		i = hex && lines->len && strstr(lines->ptr, key);
		if (o->json)
			cJSON_AddItemToArray(i ? done : same,
					     cJSON_CreateString(o->phones[k]));
		else if (i)
			printf("%s %s\n", o->sub == SUB_ADD ? "added" : "removed",
			       o->phones[k]);
	}
	if (o->json) {
		print_json(root);
		return;
	}
	if (hex)
		printf("committed %.12s on %s%s%s (%s)\n", hex, branch,
		       o->remote ? ", pushed to " : "", o->remote ? o->remote : "",
		       path);
}

/* What one add/remove call decides on a head (rebuilt when the branch moved). */
struct dnc_edit {
	const struct opts *o;
	struct store *st;
	const char *verb, *source;
	struct buf lines;
	char path[256];
	size_t n;
	int round;
};

static int dnc_build(void *ctx, struct src *s, const git_oid *head,
		     struct change *ch, struct buf *msg)
{
	struct dnc_edit *e = ctx;
	struct dnc_log l = { 0 };
	struct diags d = { 0 };
	char t[21], hex[41], path[512], why[512];
	int rc;

	rc = dnc_log_load(&l, s, &d);
	if (!rc && !e->round)
		print_bad_lines(&d);
	diags_release(&d);
	dnc_log_sort(&l);
	e->n = rc ? 0 : build_entries(&e->lines, msg, &l, e->o, e->source,
				      !e->round);
	dnc_log_release(&l);
	e->round++;
	if (rc || !e->n)
		return rc;
	/* one new file per call, as the tick writes its opt-outs */
	time_format_utc(t, e->o->now);
	t[4] = t[7] = t[13] = t[16] = '-';
	git_oid_tostr(hex, sizeof(hex), head);
	snprintf(e->path, sizeof(e->path), "dnc/%s-%s-%.12s.jsonl", e->verb, t, hex);
	if ((rc = change_add_buf(ch, e->path, &e->lines)))
		return rc;
	/* the person's checkout must agree with the commit (worktree.h) */
	rc = worktree_dirty(e->st, ch, 0, path, why, sizeof(path));
	if (rc == 1)
		rc = gd_error_set("%s %s in the work tree: commit, stash or "
				  "remove it first, then try again", path, why);
	return rc;
}

static int run_change(struct store *st, const struct opts *o)
{
	struct dnc_edit e;
	struct author a;
	char source[300], hex[41];
	git_oid out;
	int rc;

	memset(&e, 0, sizeof(e));
	e.o = o;
	e.st = st;
	e.verb = o->sub == SUB_ADD ? "add" : "remove";
	buf_init(&e.lines, 4u << 20);
	if ((rc = author_resolve(&a, st, o->author)))
		goto fail;
	if (o->source)
		snprintf(source, sizeof(source), "%s", o->source);
	else
		snprintf(source, sizeof(source), "%s <%s>", a.name, a.email);
	e.source = source;
	/* the branch moved: the same entries, decided again on the new head */
	if ((rc = store_edit(st, o->remote, dnc_build, &e, a.name, a.email,
			     o->now, &out, NULL)))
		goto fail;
	if (git_oid_is_zero(&out)) {
		print_change(o, &e.lines, NULL, store_branch(st), NULL);
	} else {
		git_oid_tostr(hex, sizeof(hex), &out);
		print_change(o, &e.lines, hex, store_branch(st), e.path);
	}
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "gitdial dnc %s: %s\n", e.verb, gd_error_last());
	rc = 1;
done:
	buf_release(&e.lines);
	return rc;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "remote", required_argument, NULL, 'R' },
		{ "reason", required_argument, NULL, 'w' },
		{ "source", required_argument, NULL, 's' },
		{ "author", required_argument, NULL, 'a' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const subs[] = { "add", "remove", "list", "check" };
	int c, f, i;

	memset(o, 0, sizeof(*o));
	o->repo = ".";
	o->now = time(NULL);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: %s\n", usage);
		return -1;
	}
	if (argc < 2)
		return usage_error("dnc", usage, "expected add, remove, list or check");
	for (i = 0; i < 4 && strcmp(argv[1], subs[i]); i++)
		;
	if (i == 4)
		return usage_error("dnc", usage, "'%s' is not add, remove, list "
				   "or check", argv[1]);
	o->sub = (enum sub)i;
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->repo = optarg; break;
		case 'R': o->remote = optarg; break;
		case 'w': o->reason = optarg; break;
		case 's': o->source = optarg; break;
		case 'a': o->author = optarg; break;
		case 'A': o->all = 1; break;
		case 'n':
			if ((o->sub == SUB_ADD || o->sub == SUB_REMOVE) &&
			    now_refused("dnc", usage))
				return 2;
			if (time_parse_rfc3339(&o->now, optarg))
				return usage_error("dnc", usage, "--now: \"%s\" is not an "
						   "RFC 3339 time with an offset", optarg);
			break;
		case 'f':
			if ((f = format_parse(optarg, "text,json")) < 0)
				return usage_error("dnc", usage, "unknown format '%s'", optarg);
			o->json = f == FMT_JSON;
			break;
		case 'h': printf("usage: %s\n", usage); return -1;
		default: return usage_error("dnc", usage, "bad option");
		}
	}
	if ((o->reason && utf8_check(o->reason, strlen(o->reason))) ||
	    (o->source && utf8_check(o->source, strlen(o->source))))
		return usage_error("dnc", usage, "--reason and --source must be UTF-8");
	if ((o->reason && strlen(o->reason) > TEXT_MAX) ||
	    (o->source && strlen(o->source) > TEXT_MAX))
		return usage_error("dnc", usage, "--reason and --source are at most "
				   "%d bytes", TEXT_MAX);
	if (o->sub == SUB_LIST) {
		if (optind < argc)
			return usage_error("dnc", usage, "list takes no phone numbers");
		return 0;
	}
	if (optind == argc)
		return usage_error("dnc", usage, "%s: expected at least one phone "
				   "number", subs[o->sub]);
	if (o->sub == SUB_REMOVE && (!o->reason || !*o->reason))
		return usage_error("dnc", usage, "remove: --reason is required (a "
				   "number taken off the do-not-call list is audited)");
	if (o->all)
		return usage_error("dnc", usage, "--all is for list");
	if (!(o->phones = calloc((size_t)(argc - optind), sizeof(*o->phones))))
		return usage_error("dnc", usage, "out of memory");
	for (i = optind; i < argc; i++) {
		char p[PHONE_MAX];
		const char *why;
		size_t j;
		if (phone_normalize(p, argv[i], strlen(argv[i]), &why))
			return usage_error("dnc", usage, "phone \"%s\" %s (expected "
					   "E.164, e.g. +12125550100)", argv[i], why);
		for (j = 0; j < o->n_phones && strcmp(o->phones[j], p); j++)
			;
		if (j == o->n_phones)
			memcpy(o->phones[o->n_phones++], p, PHONE_MAX);
	}
	return 0;
}

int cmd_dnc(int argc, char **argv)
{
	struct store *st = NULL;
	struct opts o;
	int rc;

	if ((rc = parse_opts(&o, argc, argv))) {
		free(o.phones);
		return rc < 0 ? 0 : rc;
	}
	if (store_open(&st, o.repo)) {
		fprintf(stderr, "gitdial dnc: %s\n", gd_error_last());
		free(o.phones);
		return o.sub == SUB_CHECK ? 2 : 1;
	}
	switch (o.sub) {
	case SUB_LIST: rc = run_list(st, &o); break;
	case SUB_CHECK: rc = run_check(st, &o); break;
	default: rc = run_change(st, &o); break;
	}
	store_free(st);
	free(o.phones);
	return rc;
}
