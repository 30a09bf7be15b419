/*
 * gitdial export: a campaign's audit bundle (SPEC §8), a .tar.gz or .zip
 * written with libarchive from the branch head:
 *
 *   gitdial-export-<id>/README.txt      what is inside and how to check it
 *   gitdial-export-<id>/MANIFEST.json   every file: size, SHA-256, blob id;
 *                                       each log segment: the commit that
 *                                       added it
 *   gitdial-export-<id>/SHA256SUMS      the same sums for `sha256sum -c`
 *   gitdial-export-<id>/outcomes.csv    each recipient's final state
 *   gitdial-export-<id>/<top>/<id>/...  the campaign folder as committed
 *   gitdial-export-<id>/outcomes/<id>/  the whole event log
 *
 * The bundle is a function of the branch head and --now (entry times are
 * the head commit's time; the gzip header carries none), and it appears
 * at --out only when complete (temp file, fsync, rename). A campaign
 * whose campaign.json or audience cannot be read is not exported (a
 * bundle without outcomes.csv is no audit): the error names the file.
 */
#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "csvout.h"
#include "err.h"
#include "ledger.h"
#include "repo.h"
#include "state.h"
#include "store.h"
#include "summary.h"
#include "term.h"
#include "treewalk.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial export ID --out FILE.tar.gz|FILE.tgz|FILE.zip [--repo PATH] "
	"[--now RFC3339] [--format text|json]";

#define GENERATED_MAX (256u << 20)

/* One file of the bundle: from the repository (blob) or made here (data). */
struct entry {
	char *path;     /* inside the bundle folder, e.g. outcomes/x/....jsonl */
	struct src_file src; /* the repository file, when from the repository */
	struct buf data;     /* generated content otherwise */
	const char *kind;    /* campaign, audience, log, summary, readme */
	size_t size;
	char sha256[65];
	int has_commit;
	git_oid commit;
	time_t commit_time;
};

struct bundle {
	struct entry *v;
	size_t n, alloc;
};

static void bundle_release(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].path);
		free(b->v[i].src.path);
		buf_release(&b->v[i].data);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static struct entry *bundle_add(struct bundle *b, const char *path,
				const char *kind)
{
	struct entry *e;

	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		struct entry *p = realloc(b->v, na * sizeof(*p));
		if (!p)
			return NULL;
		b->v = p;
		b->alloc = na;
	}
	e = &b->v[b->n];
	memset(e, 0, sizeof(*e));
	buf_init(&e->data, GENERATED_MAX);
	if (!(e->path = strdup(path)))
		return NULL;
	e->kind = kind;
	b->n++;
	return e;
}

/*
 * True when path is relative and names no "." or ".." component, so it
 * cannot leave the bundle's folder when extracted (git's trees can hold
 * such names even though git itself refuses to write them).
 */
static int path_inside(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    n == 0)
			return 0;
		p += n;
		if (*p)
			p++;
	}
	return 1;
}

/* Adds the repository's files f (their own paths) as entries of kind. */
static int bundle_add_files(struct bundle *b, const struct src_files *f,
			    const char *kind)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct entry *e;
		if (!path_inside(f->v[i].path))
			return gd_error_set("unsafe path '%s' in the repository",
					    f->v[i].path);
		e = bundle_add(b, f->v[i].path, kind);
		if (!e || !(e->src.path = strdup(f->v[i].path)))
			return gd_error_set("out of memory");
		memcpy(e->src.id, f->v[i].id, sizeof(e->src.id));
	}
	return 0;
}

static void hex(char *out, const unsigned char *md, unsigned int n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The bytes of entry e (mapped from the repository or generated). */
static int entry_bytes(struct src *s, struct entry *e, const char **data,
		       size_t *len, void **tok)
{
	*tok = NULL;
	if (!e->src.path) {
		int rc = buf_check(&e->data);
		if (rc) {
			gd_error_prefix("%s", e->path);
			return rc;
		}
		*data = e->data.ptr ? e->data.ptr : "";
		*len = e->data.len;
		return 0;
	}
	return s->map(s, &e->src, data, len, tok);
}

static int entry_hash(struct src *s, struct entry *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const char *data;
	size_t len;
	void *tok;
	int rc;

	if ((rc = entry_bytes(s, e, &data, &len, &tok)))
		return rc;
	e->size = len;
	rc = EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) ? 0
		: gd_error_set("cannot hash '%s'", e->path);
	if (tok)
		s->unmap(s, tok);
	if (!rc)
		hex(e->sha256, md, n);
	return rc;
}

static int cmp_added(const void *a, const void *b)
{
	return strcmp((*(const struct treewalk_added *const *)a)->path,
		      (*(const struct treewalk_added *const *)b)->path);
}

/*
 * For every log entry (kind "log") of the bundle, the oldest commit
 * reachable from head that added its path (treewalk_first_added: one
 * walk of the history under logdir, oldest first, stopping once every
 * segment has its commit). A segment is never rewritten, so the first
 * commit that has it is the one that added it.
 */
static int find_commits(struct store *st, const git_oid *head,
			struct bundle *b, const char *logdir)
{
	struct treewalk_added *av = calloc(b->n + 1, sizeof(*av));
	struct treewalk_added **ix = calloc(b->n + 1, sizeof(*ix));
	size_t i, n = 0;
	int rc = 0;

	if (!av || !ix) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].kind, "log")) {
			av[n].path = b->v[i].path;
			ix[n] = &av[n];
			n++;
		}
	qsort(ix, n, sizeof(*ix), cmp_added);
	if ((rc = treewalk_first_added(st, head, logdir, ix, n)))
		goto cleanup;
	for (i = 0, n = 0; i < b->n; i++)
		if (!strcmp(b->v[i].kind, "log")) {
			b->v[i].has_commit = av[n].found;
			b->v[i].commit = av[n].commit;
			b->v[i].commit_time = av[n].when;
			n++;
		}
cleanup:
	free(ix);
	free(av);
	return rc;
}

/* One field of outcomes.csv and its separator (csvout.h: formula-safe). */
static int csv_field(struct buf *b, const char *v, int last)
{
	int rc = csvout_field(b, v);

	return rc ? rc : buf_puts(b, last ? "\r\n" : ",");
}

/* outcomes.csv: one row per recipient of the audience, in audience order. */
static int outcomes_csv(struct buf *b, const struct repo_campaign *rc,
			const struct cstate *cs, time_t now)
{
	static const char *const fixed[] = {
		"phone", "row", "state", "attempts", "last_outcome", "last_ended_at",
	};
	const struct audience *a = rc->aud;
	size_t i;
	int k, rc2 = 0;

	for (k = 0; k < 6; k++)
		csv_field(b, fixed[k], a ? 0 : k == 5);
	for (k = 0; a && k < a->n_columns; k++)
		if (k != a->col_phone)
			csv_field(b, a->columns[k], 0);
	if (a) {
		b->len--; /* the last "," becomes the end of the record */
		buf_puts(b, "\r\n");
	}
	for (i = 0; !rc2 && i < cs->n; i++) {
		const struct rstate *rs = &cs->r[i];
		const struct recipient *r = &a->r[i];
		char phone[PHONE_MAX], line[16], att[8], ended[21] = "";
		const char *state;
		time_t when;
		switch (rstate_eligible(rc->c, rs, now, &when)) {
		case EL_INFLIGHT: state = "in_flight"; break;
		case EL_TERMINAL:
			state = !rs->done ? "skipped"
				: rs->dead || rs->last_outcome == OUT_FAILED ? "failed"
				: "completed";
			break;
		default: state = "queued";
		}
		audience_phone(phone, r);
		snprintf(line, sizeof(line), "%" PRIu32, r->line);
		snprintf(att, sizeof(att), "%d", rstate_attempts(rs));
		if (rs->done)
			time_format_utc(ended, (time_t)rs->last_end);
		csv_field(b, phone, 0);
		csv_field(b, line, 0);
		csv_field(b, state, 0);
		csv_field(b, att, 0);
		csv_field(b, rs->done ? outcome_names[rs->last_outcome] : "", 0);
		rc2 = csv_field(b, ended, 0);
		for (k = 0; k < a->n_columns; k++)
			if (k != a->col_phone)
				rc2 = csv_field(b, audience_var(a, r, k), 0);
		b->len--;
		rc2 = rc2 ? rc2 : buf_puts(b, "\r\n");
	}
	return rc2;
}

static void readme(struct buf *b, const char *id, const char *folder,
		   const struct csummary *sum, const struct cstate *cs,
		   const struct progress *p, const char *commit,
		   const char *branch, time_t committed, time_t now, size_t nlog)
{
	char t1[21], t2[21];

	time_format_utc(t1, committed);
	time_format_utc(t2, now);
	buf_printf(b, "gitdial audit bundle: %s\n\n", id);
	if (sum)
		buf_printf(b, "Campaign:   %s\nStatus:     %s (at the time of export)\n"
			   "Provider:   %s\nAudience:   %s\n", sum->name,
			   status_labels[sum->st], sum->provider, sum->audience);
	else
		buf_puts(b, "Campaign:   campaign.json or the audience could not be "
			 "read; the files are\n            exported as they are "
			 "(run gitdial validate).\n");
	buf_printf(b, "Folder:     %s/\nRepository: branch %s at commit %s\n"
		   "            (committed %s)\nExported:   %s\n\n", folder, branch,
		   commit, t1, t2);
	if (sum && p)
		buf_printf(b, "Recipients: %zu: %zu completed, %zu failed, %zu skipped "
			   "(DNC, opted out), %zu queued, %zu in flight\n"
			   "Calls:      %zu: %zu connected, %zu answered (30 s or "
			   "more), %zu no answer\n\n", cs->n, p->completed, p->failed,
			   p->skipped, p->queued, p->in_flight, cs->n_outcomes,
			   sum->connected, sum->answered, sum->noanswer);
	buf_printf(b,
		"What is inside\n"
		"  README.txt      this file\n"
		"  MANIFEST.json   every file with its size, SHA-256 and git blob id;\n"
		"                  each log segment with the commit that added it\n"
		"  SHA256SUMS      the same sums, for sha256sum -c\n"
		"%s"
		"  %s/\n"
		"                  the campaign folder as committed\n"
		"  outcomes/%s/\n"
		"                  the complete event log (%zu segment%s), one JSON\n"
		"                  object per line, in lexical path order\n\n"
		"How to check it\n"
		"  sha256sum -c SHA256SUMS          (in this folder)\n"
		"  In a clone of the repository, for a file of MANIFEST.json:\n"
		"    git rev-parse <commit>:<path>  prints its \"blob\"\n"
		"    git log --diff-filter=A --format=%%H -- <path>\n"
		"                                   prints its \"commit\" (log segments)\n\n",
		sum ? "  outcomes.csv    one row per recipient: final state, attempts, last\n"
		      "                  outcome and its time, then the audience's columns\n"
		    : "", folder, id, nlog, nlog == 1 ? "" : "s");
	if (sum)
		buf_puts(b,
			"About outcomes.csv\n"
			"  Values that a spreadsheet would run as a formula (starting with\n"
			"  = + - @, a tab or a carriage return) are prefixed with an\n"
			"  apostrophe, which spreadsheets treat as \"text\" and do not show.\n"
			"  Phone numbers start with +, so the raw file reads '+14155550100\n"
			"  and a spreadsheet shows +14155550100 as text (the + kept, not\n"
			"  turned into a number). The event log keeps every value exactly.\n"
			"  state is completed (a call reached the provider and nothing is\n"
			"  left to try), failed, skipped (never called: DNC, opted out,\n"
			"  ...), queued or in_flight.\n");
}

static int manifest(struct buf *b, const struct bundle *bu, const char *id,
		    const char *folder, const char *commit, const char *branch,
		    time_t now)
{
	cJSON *root = cJSON_CreateObject(), *files;
	char t[21], *txt;
	size_t i;
	int rc;

	time_format_utc(t, now);
	cJSON_AddNumberToObject(root, "v", 1);
	cJSON_AddStringToObject(root, "campaign", id);
	cJSON_AddStringToObject(root, "folder", folder);
	cJSON_AddStringToObject(root, "branch", branch);
	cJSON_AddStringToObject(root, "commit", commit);
	cJSON_AddStringToObject(root, "exported_at", t);
	files = cJSON_AddArrayToObject(root, "files");
	for (i = 0; i < bu->n; i++) {
		const struct entry *e = &bu->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", e->path);
		cJSON_AddStringToObject(o, "kind", e->kind);
		cJSON_AddNumberToObject(o, "size", (double)e->size);
		cJSON_AddStringToObject(o, "sha256", e->sha256);
		if (e->src.path)
			cJSON_AddStringToObject(o, "blob", e->src.id);
		if (e->has_commit) {
			char c[41];
			git_oid_tostr(c, sizeof(c), &e->commit);
			cJSON_AddStringToObject(o, "commit", c);
			time_format_utc(t, e->commit_time);
			cJSON_AddStringToObject(o, "committed_at", t);
		}
		cJSON_AddItemToArray(files, o);
	}
	txt = cJSON_Print(root);
	rc = txt ? buf_puts(b, txt) : gd_error_set("out of memory");
	if (!rc)
		rc = buf_putc(b, '\n');
	cJSON_free(txt);
	cJSON_Delete(root);
	return rc;
}

static int write_entry(struct archive *a, const char *top, const char *path,
		       const char *data, size_t len, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	char name[4096];
	int rc = 0;

	if (!e)
		return gd_error_set("out of memory");
	snprintf(name, sizeof(name), "%s/%s", top, path);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		rc = gd_error_set("%s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

/* Writes the bundle to fd in the format out's name asks for. */
static int write_archive(int fd, int zip, struct src *s, struct bundle *bu,
			 const char *top, time_t mtime)
{
	struct archive *a = archive_write_new();
	size_t i;
	int rc = 0;

	if (!a)
		return gd_error_set("out of memory");
	if ((zip ? archive_write_set_format_zip(a)
		 : (archive_write_set_format_pax_restricted(a) ||
		    archive_write_add_filter_gzip(a) ||
		    archive_write_set_filter_option(a, "gzip", "timestamp", NULL))) ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = gd_error_set("%s", archive_error_string(a));
		goto cleanup;
	}
	for (i = 0; !rc && i < bu->n; i++) {
		const char *data;
		size_t len;
		void *tok;
		if ((rc = entry_bytes(s, &bu->v[i], &data, &len, &tok)))
			break;
		rc = write_entry(a, top, bu->v[i].path, data, len, mtime);
		if (tok)
			s->unmap(s, tok);
	}
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = gd_error_set("%s", archive_error_string(a));
cleanup:
	archive_write_free(a);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "repo", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const tops[] = { "campaigns", "archived", "deleted" };
	const char *root = ".", *out = NULL, *id, *top = NULL;
	struct store *st = NULL;
	struct repo *r = NULL;
	struct repo_campaign *rc = NULL;
	struct diags d = { 0 };
	struct bundle bu = { 0 };
	struct src_files cf = { NULL, 0 }, lf = { NULL, 0 };
	struct src s, *vs = NULL;
	struct cstate cs;
	struct csummary sum;
	struct progress p;
	struct entry *e;
	char folder[128], commit[41], dir[128], tmp[PATH_MAX], bundle_top[96];
	git_oid head;
	time_t now = time(NULL), committed;
	size_t i, nlog;
	int c, ret = 1, found, have_src = 0, have_state = 0, zip, fd = -1, err;
	int fmt = FMT_TEXT;

	memset(&cs, 0, sizeof(cs));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'r': root = optarg; break;
		case 'n':
			if (time_parse_rfc3339(&now, optarg))
				return usage_error("export", usage, "--now: bad time '%s'",
						   optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("export", usage, "unknown format '%s'",
						   optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("export", usage, "bad option");
		}
	}
	if (optind != argc - 1)
		return usage_error("export", usage, optind >= argc
				   ? "a campaign ID is required"
				   : "one campaign ID at a time");
	id = argv[optind];
	if (!id_valid(id))
		return usage_error("export", usage, "'%s' is not a campaign id "
				   "(expected [a-z0-9][a-z0-9-]{0,63})", id);
	if (!out || !*out)
		return usage_error("export", usage, "--out FILE is required");
	zip = ends_with(out, ".zip");
	if (!zip && !ends_with(out, ".tar.gz") && !ends_with(out, ".tgz"))
		return usage_error("export", usage, "--out '%s': the name must end "
				   "in .tar.gz, .tgz or .zip", out);
	if (store_open(&st, root) || store_sync(st, NULL, &head, &found))
		goto fail;
	if (!found) {
		gd_error_set("the repository '%s' has no commit yet", root);
		goto fail;
	}
	if (src_init_tree(&s, st, &head))
		goto fail;
	have_src = 1;
	git_oid_tostr(commit, sizeof(commit), &head);
	if (store_commit_time(st, &head, &committed)) {
		gd_error_set("cannot read commit %s", commit);
		goto fail;
	}
	for (i = 0; i < 3 && !top; i++) {
		struct names n = { NULL, 0 };
		snprintf(folder, sizeof(folder), "%s/%s", tops[i], id);
		if (!s.list(&s, folder, &n))
			top = tops[i];
		names_release(&n);
	}
	if (!top) {
		gd_error_set("no campaign '%s' in campaigns/, archived/ or deleted/ "
			     "at %.12s", id, commit);
		goto fail;
	}
	snprintf(folder, sizeof(folder), "%s/%s", top, id);
	/* the campaign folder, the log, and a segment audience it uses */
	if (s.files(&s, folder, "", &cf) || bundle_add_files(&bu, &cf, "campaign") ||
	    ledger_files(&lf, &s, id) || bundle_add_files(&bu, &lf, "log"))
		goto fail;
	nlog = lf.n;
	for (i = 0; i < bu.n; i++)
		if (ends_with(bu.v[i].path, ".csv") || ends_with(bu.v[i].path, ".csv.gz") ||
		    ends_with(bu.v[i].path, ".csv.xz") ||
		    ends_with(bu.v[i].path, ".csv.zst") || ends_with(bu.v[i].path, ".zip"))
			bu.v[i].kind = "audience";
	vs = &s;
	err = repo_load(&r, vs, id, REPO_AUDIENCE | REPO_VARS |
			(!strcmp(top, "archived") ? REPO_ARCHIVED
			 : !strcmp(top, "deleted") ? REPO_DELETED : 0), &d);
	if (err && err != GD_ENOTFOUND) {
		gd_error_set("gitdial.json is invalid (gitdial validate)");
		goto fail;
	}
	rc = repo_find(r, id);
	if (rc && rc->c && rc->c->audience_segment && rc->audience_path[0]) {
		struct src_file sf;
		struct src_files one = { &sf, 1 };
		sf.path = rc->audience_path;
		s.content_id(&s, rc->audience_path, sf.id);
		if (sf.id[0] && bundle_add_files(&bu, &one, "audience"))
			goto fail;
	}
	if (!rc || !rc->c || !rc->aud) {
		/* a bundle without outcomes.csv is not an audit: say why */
		size_t k;
		for (k = 0; k < d.n && d.v[k].level != DIAG_ERROR; k++)
			;
		if (k < d.n) {
			char at[32] = "";
			if (d.v[k].line)
				snprintf(at, sizeof(at), ":%lu", d.v[k].line);
			gd_error_set("outcomes.csv cannot be made: %s%s: %s%s%s "
				     "(gitdial validate)", d.v[k].file, at,
				     d.v[k].field ? d.v[k].field : "",
				     d.v[k].field ? ": " : "", d.v[k].msg);
		}
		else
			gd_error_set("outcomes.csv cannot be made: campaign.json or "
				     "the audience of '%s' cannot be read (gitdial "
				     "validate)", id);
		goto fail;
	}
	{
		if (summary_fill(&sum, &cs, r, rc, vs, now))
			goto fail;
		have_state = 1;
		summary_progress(&p, rc->c, &cs, now);
		if (!(e = bundle_add(&bu, "outcomes.csv", "summary")) ||
		    outcomes_csv(&e->data, rc, &cs, now))
			goto fail;
	}
	if (!(e = bundle_add(&bu, "README.txt", "readme")))
		goto fail;
	readme(&e->data, id, folder, have_state ? &sum : NULL, &cs,
	       have_state ? &p : NULL, commit, store_branch(st), committed, now,
	       nlog);
	for (i = 0; i < bu.n; i++)
		if (entry_hash(&s, &bu.v[i]))
			goto fail;
	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	if (find_commits(st, &head, &bu, dir))
		goto fail;
	for (i = 0; i < nlog; i++) {
		const struct entry *x = &bu.v[cf.n + i];
		if (!x->has_commit) {
			gd_error_set("no commit in the history of %.12s adds '%s'",
				     commit, x->path);
			goto fail;
		}
	}
	/* the manifest lists every file but itself; SHA256SUMS all but itself */
	if (!(e = bundle_add(&bu, "MANIFEST.json", "manifest")))
		goto fail;
	bu.n--;
	err = manifest(&e->data, &bu, id, folder, commit, store_branch(st), now);
	bu.n++;
	if (err || entry_hash(&s, e) || !(e = bundle_add(&bu, "SHA256SUMS", "sums")))
		goto fail;
	for (i = 0; i + 1 < bu.n; i++)
		if (buf_printf(&e->data, "%s  %s\n", bu.v[i].sha256, bu.v[i].path))
			goto fail;
	/* write beside the target, then rename: no half bundle at --out */
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out);
	if ((fd = mkstemp(tmp)) < 0) {
		gd_error_set("cannot write '%s': %s", out, strerror(errno));
		goto fail;
	}
	snprintf(bundle_top, sizeof(bundle_top), "gitdial-export-%s", id);
	if (write_archive(fd, zip, &s, &bu, bundle_top, committed)) {
		gd_error_prefix("cannot write '%s'", out);
		goto fail_tmp;
	}
	if (fchmod(fd, 0644) || fsync(fd) || close(fd) || rename(tmp, out)) {
		fd = -1;
		gd_error_set("cannot write '%s': %s", out, strerror(errno));
		goto fail_tmp;
	}
	fd = -1;
	if (fmt == FMT_JSON) {
		struct buf j = BUF_INIT(1 << 16);
		buf_puts(&j, "{\"out\":");
		buf_put_json_string(&j, out);
		buf_puts(&j, ",\"campaign\":");
		buf_put_json_string(&j, id);
		buf_puts(&j, ",\"folder\":");
		buf_put_json_string(&j, folder);
		buf_printf(&j, ",\"commit\":\"%s\",\"files\":%zu,\"segments\":%zu}",
			   commit, bu.n, nlog);
		if (buf_check(&j)) {
			buf_release(&j);
			goto fail;
		}
		printf("%s\n", j.ptr);
		buf_release(&j);
	} else
		printf("export: %s (%zu files: campaign %zu, log %zu segments)\n",
		       out, bu.n, cf.n, nlog);
	ret = 0;
	goto cleanup;
fail_tmp:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
fail:
	fputs("gitdial export: ", stderr);
	term_put(stderr, gd_error_last()); /* may quote the repository */
	fputc('\n', stderr);
cleanup:
	if (have_state || cs.r)
		state_release(&cs);
	src_files_release(&cf);
	src_files_release(&lf);
	bundle_release(&bu);
	repo_free(r);
	diags_release(&d);
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	return ret;
}
