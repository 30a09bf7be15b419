/*
 * gitdial list: the campaigns table, from the branch head.
 * Name, ID, Provider, Audience, Status, Connected, Answered, No answer,
 * Created, with --deleted when it was deleted and when the tick purges it,
 * and with --shards N the shard (shard_of) whose `tick --shard I/N` dials it.
 * A campaign that cannot be read (campaign.json, its log) is a row with
 * status "error" and the reason, never left out; the exit code is then 1.
 * Text from the repository is printed with control characters escaped.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "cmd.h"
#include "config.h"
#include "err.h"
#include "folder.h"
#include "ledger.h"
#include "repo.h"
#include "shard.h"
#include "state.h"
#include "summary.h"
#include "term.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial list [--repo PATH] [--search TEXT] [--provider P,...] [--status S,...]\n"
	"             [--archived|--deleted] [--shards N] [--now RFC3339]\n"
	"             [--format table|json]";

/* Display columns of a UTF-8 string (Arabic letters are one column each). */
static int display_width(const char *s)
{
	wchar_t w[512];
	size_t n = mbstowcs(w, s, 511);
	int width;

	if (n == (size_t)-1)
		return (int)strlen(s);
	w[n] = L'\0';
	width = wcswidth(w, n);
	return width < 0 ? (int)n : width;
}

static void cell(const char *s, int width, int right)
{
	int pad = width - display_width(s);

	if (right)
		printf("%*s%s", pad > 0 ? pad : 0, "", s);
	else
		printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

/* The edit distance of a and b (both short), for a did-you-mean. */
static size_t distance(const char *a, const char *b)
{
	size_t row[64], i, j, la = strlen(a), lb = strlen(b), diag, up;

	if (la >= 63 || lb >= 63)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));
			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/*
 * Parses a --provider or --status value: names separated by commas,
 * spaces around them ignored ("draft, completed"), each one of names
 * (any case). Sets bit i of *mask for names[i]. Returns 0, or prints a
 * usage error naming the value that is not one (with the nearest name)
 * and returns 2.
 */
static int filter_parse(const char *opt, const char *list,
			const char *const *names, unsigned *mask)
{
	char buf[512], *tok, *save = NULL, *end;
	size_t i, best = 0, bd;

	*mask = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return usage_error("list", usage, "--%s is too long", opt);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok)
			continue;
		for (i = 0; names[i] && strcasecmp(names[i], tok); i++)
			;
		if (names[i]) {
			*mask |= 1u << i;
			continue;
		}
		for (i = 0, bd = 64; names[i]; i++)
			if (distance(tok, names[i]) < bd)
				bd = distance(tok, names[i]), best = i;
		{
			char t[200], all[200] = "";
			size_t k, o = 0;
			for (k = 0; names[k] && o < sizeof(all); k++)
				o += (size_t)snprintf(all + o, sizeof(all) - o, "%s%s",
						      k ? ", " : "", names[k]);
			term_safe(t, sizeof(t), tok);
			if (bd <= 2 || !strncasecmp(names[best], tok, strlen(tok)))
				return usage_error("list", usage, "--%s: '%s' is not "
						   "one of %s; did you mean '%s'?", opt,
						   t, all, names[best]);
			return usage_error("list", usage, "--%s: '%s' is not one "
					   "of %s", opt, t, all);
		}
	}
	if (!*mask)
		return usage_error("list", usage, "--%s: no value given", opt);
	return 0;
}

/* The index of v in names (case-insensitive), or -1. */
static int name_index(const char *const *names, const char *v)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcasecmp(names[i], v))
			return i;
	return -1;
}

/* Whether bit i (an index from name_index, -1 for none) is in mask. */
static int in_mask(unsigned mask, int i)
{
	return i >= 0 && i < 32 && (mask >> i & 1u);
}

/*
 * Whether hay contains needle, both folded to lower case code point by
 * code point (towlower in C.UTF-8, as the report's toLowerCase does in
 * the browser but for the few letters whose lower case is two code
 * points), so "ÉTÉ" finds "été" and "РАССЫЛКА" finds "рассылка".
 */
static int fold_contains(const char *hay, const char *needle)
{
	wchar_t h[512], nd[256];
	size_t nh = mbstowcs(h, hay, 511), nn = mbstowcs(nd, needle, 255), i;

	if (nh == (size_t)-1 || nn == (size_t)-1)
		return strcasestr(hay, needle) != NULL;
	h[nh] = nd[nn] = L'\0';
	for (i = 0; i < nh; i++)
		h[i] = (wchar_t)towlower((wint_t)h[i]);
	for (i = 0; i < nn; i++)
		nd[i] = (wchar_t)towlower((wint_t)nd[i]);
	return wcsstr(h, nd) != NULL;
}

/*
 * The first error validate gives for a file of campaign id, as validate
 * prints it ("file:line: field: message"), into out; 0 when there is none.
 */
static int campaign_error(const struct diags *d, const char *top,
			  const char *id, char *out, size_t n)
{
	char dir[128], line[24] = "";
	size_t i, l;

	l = (size_t)snprintf(dir, sizeof(dir), "%s/%s/", top, id);
	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		if (x->level != DIAG_ERROR || strncmp(x->file, dir, l))
			continue;
		if (x->line)
			snprintf(line, sizeof(line), ":%lu", x->line);
		snprintf(out, n, "%s%s: %s%s%s", x->file, line,
			 x->field ? x->field : "", x->field ? ": " : "", x->msg);
		return 1;
	}
	return 0;
}

/*
 * When deleted/<id> was deleted, and when the first tick after that
 * purges it (RFC 3339, "-" when its marker cannot be read).
 */
static void deleted_dates(struct src *s, const char *id, char del[24],
			  char purge[24])
{
	struct buf text = BUF_INIT(4096);
	char path[160], from[16];
	time_t when;

	snprintf(del, 24, "-");
	snprintf(purge, 24, "-");
	snprintf(path, sizeof(path), "deleted/%s/%s", id, DELETED_MARKER);
	if (!s->read(s, path, &text, 4096) &&
	    !deleted_marker_parse(text.ptr, text.len, &when, from)) {
		time_format_utc(del, when);
		time_format_utc(purge, when + FOLDER_RETENTION_S);
	}
	buf_release(&text);
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "search", required_argument, NULL, 's' },
		{ "provider", required_argument, NULL, 'p' },
		{ "status", required_argument, NULL, 'S' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "archived", no_argument, NULL, 'A' },
		{ "deleted", no_argument, NULL, 'D' },
		{ "shards", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const heads[] = {
		"Name", "ID", "Provider", "Audience", "Status", "Connected",
		"Answered", "No answer", "Created", "Deleted", "Purged after"
	};
	static const char *const stat_names[] = {
		"draft", "scheduled", "dialing", "paused", "completed", "failed",
		"error", NULL
	};
	const char *root = ".", *search = NULL, *prov = NULL, *stat = NULL;
	struct store *st = NULL;
	struct repo *r = NULL;
	struct diags d = { 0 };
	struct csummary *rows = NULL;
	char (*errs)[300] = NULL; /* per row: why it cannot be read, or "" */
	char (*dates)[2][24] = NULL; /* per row with --deleted: deleted, purge */
	unsigned prov_mask = 0, stat_mask = 0;
	char sbuf[1024];
	size_t n_err = 0;
	struct src s;
	git_oid head;
	time_t now = time(NULL);
	size_t i, n = 0;
	int fmt = FMT_TABLE, c, rc = 1, found, have_src = 0, color;
	unsigned tab = 0, shards = 0;
	int w[11], ws = 5, ncol;
	char *end;

	setlocale(LC_CTYPE, "C.UTF-8");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 's': {
			/* trimmed, as the report's search box does */
			size_t sl;
			while (*optarg == ' ' || *optarg == '\t')
				optarg++;
			sl = strlen(optarg);
			while (sl && (optarg[sl - 1] == ' ' || optarg[sl - 1] == '\t'))
				sl--;
			snprintf(sbuf, sizeof(sbuf), "%.*s", (int)(sl < 1000 ? sl : 1000),
				 optarg);
			search = sbuf;
			if (utf8_len(search) > 120)
				return usage_error("list", usage, "--search is longer than "
						   "120 characters");
			break;
		}
		case 'p':
			prov = optarg;
			if (filter_parse("provider", prov, providers, &prov_mask))
				return 2;
			break;
		case 'S':
			stat = optarg;
			if (filter_parse("status", stat, stat_names, &stat_mask))
				return 2;
			break;
		case 'n':
			if (time_parse_rfc3339(&now, optarg))
				return usage_error("list", usage, "--now: bad time '%s'", optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "table,json")) < 0)
				return usage_error("list", usage, "unknown format '%s'", optarg);
			break;
		case 'A':
		case 'D':
			if (tab)
				return usage_error("list", usage, "--archived and "
						   "--deleted are two tabs: pick one");
			tab = c == 'A' ? REPO_ARCHIVED : REPO_DELETED;
			break;
		case 'N': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 10000)
				return usage_error("list", usage, "--shards: expected a "
						   "number from 1 to 10000, got \"%s\"", optarg);
			shards = (unsigned)v;
			break;
		}
		case 'h': help_print("list"); return 0;
		default: return usage_error("list", usage, "bad option");
		}
	}
	if (optind < argc)
		return usage_error("list", usage, "unexpected argument '%s' (to "
				   "filter, use --search TEXT)", term_str(argv[optind]));
	if (store_open(&st, root) || store_sync(st, NULL, &head, &found) || !found ||
	    src_init_tree(&s, st, &head)) {
		fprintf(stderr, "gitdial list: %s\n", gd_error_last());
		goto cleanup;
	}
	have_src = 1;
	if (repo_load(&r, &s, NULL, REPO_AUDIENCE | tab, &d)) {
		fprintf(stderr, "gitdial list: gitdial.json is invalid (gitdial validate)\n");
		goto cleanup;
	}
	rows = calloc(r->n + 1, sizeof(*rows));
	errs = calloc(r->n + 1, sizeof(*errs));
	dates = calloc(r->n + 1, sizeof(*dates));
	if (!rows || !errs || !dates) {
		fprintf(stderr, "gitdial list: out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < r->n; i++) {
		struct repo_campaign *rc2 = &r->v[i];
		struct cstate cs;
		struct csummary *x = &rows[n];
		const char *name = rc2->c ? rc2->c->name : rc2->id;
		int bad;
		char why[280];
		if (search && *search && !fold_contains(name, search))
			continue;
		if (tab == REPO_DELETED)
			deleted_dates(&s, rc2->id, dates[n][0], dates[n][1]);
		/* the row is derived with report's code (summary.c) */
		bad = !rc2->c ? (campaign_error(&d, rc2->top, rc2->id, why,
						sizeof(why))
				 ? gd_error_set("%s (gitdial validate)", why)
				 : gd_error_set("campaign.json is invalid (gitdial "
						"validate)"))
			      : summary_fill(x, &cs, r, rc2, &s, now);
		if (rc2->c)
			state_release(&cs);
		if (bad) {
			/* shown with the reason, not left out */
			char prov_[sizeof(x->provider)];
			snprintf(prov_, sizeof(prov_), "%s", rc2->c && x->provider[0]
				 ? x->provider : "-");
			memset(x, 0, sizeof(*x));
			snprintf(x->provider, sizeof(x->provider), "%s", prov_);
			x->id = rc2->id;
			snprintf(x->name, sizeof(x->name), "%s", name);
			snprintf(x->audience, sizeof(x->audience), "-");
			snprintf(x->created, sizeof(x->created), "-");
			snprintf(errs[n], sizeof(errs[n]), "%s", gd_error_last());
			/* whatever the filters: its provider and status are unknown */
			n_err++;
			n++;
			continue;
		}
		if ((prov && !in_mask(prov_mask, name_index(providers, x->provider))) ||
		    (stat && !in_mask(stat_mask, name_index(stat_names,
							     status_names[x->st]))))
			continue;
		n++;
	}
	if (fmt == FMT_JSON) {
		cJSON *arr = cJSON_CreateArray();
		for (i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", rows[i].id);
			cJSON_AddStringToObject(o, "name", rows[i].name);
			cJSON_AddStringToObject(o, "provider", rows[i].provider);
			cJSON_AddStringToObject(o, "audience", rows[i].audience);
			cJSON_AddNumberToObject(o, "audience_count", (double)rows[i].count);
			cJSON_AddStringToObject(o, "status", errs[i][0] ? "error"
						: status_labels[rows[i].st]);
			if (errs[i][0])
				cJSON_AddStringToObject(o, "error", errs[i]);
			if (tab == REPO_DELETED) {
				cJSON_AddStringToObject(o, "deleted_at", dates[i][0]);
				cJSON_AddStringToObject(o, "purged_after", dates[i][1]);
			}
			cJSON_AddNumberToObject(o, "connected", (double)rows[i].connected);
			cJSON_AddNumberToObject(o, "answered", (double)rows[i].answered);
			cJSON_AddNumberToObject(o, "no_answer", (double)rows[i].noanswer);
			cJSON_AddStringToObject(o, "created", rows[i].created);
			if (shards)
				cJSON_AddNumberToObject(o, "shard",
							(double)shard_of(rows[i].id, shards));
			cJSON_AddItemToArray(arr, o);
		}
		json_emit(arr);
		rc = n_err ? 1 : 0;
		goto cleanup;
	}
	/* names, audiences and dates are the repository's text: escaped on a terminal */
	for (i = 0; i < n; i++) {
		char t[sizeof(rows[i].audience) * 4];
		term_safe(t, sizeof(rows[i].name), rows[i].name);
		str_fmt_cut(rows[i].name, sizeof(rows[i].name), "%s", t);
		term_safe(t, sizeof(rows[i].audience), rows[i].audience);
		str_fmt_cut(rows[i].audience, sizeof(rows[i].audience), "%s", t);
		term_safe(t, sizeof(rows[i].created), rows[i].created);
		str_fmt_cut(rows[i].created, sizeof(rows[i].created), "%s", t);
		term_safe(t, sizeof(errs[i]), errs[i]);
		str_fmt_cut(errs[i], sizeof(errs[i]), "%s", t);
	}
	color = isatty(1) && !getenv("NO_COLOR");
	ncol = tab == REPO_DELETED ? 11 : 9;
	for (c = 0; c < ncol; c++)
		w[c] = display_width(heads[c]);
	for (i = 0; i < n; i++) {
		char num[3][24];
		const char *v[11];
		snprintf(num[0], sizeof(num[0]), "%zu", rows[i].connected);
		snprintf(num[1], sizeof(num[1]), "%zu", rows[i].answered);
		snprintf(num[2], sizeof(num[2]), "%zu", rows[i].noanswer);
		v[0] = rows[i].name; v[1] = rows[i].id; v[2] = rows[i].provider;
		v[3] = rows[i].audience;
		v[4] = errs[i][0] ? "error" : status_labels[rows[i].st]; v[5] = num[0]; v[6] = num[1]; v[7] = num[2];
		v[8] = rows[i].created; v[9] = dates[i][0]; v[10] = dates[i][1];
		for (c = 0; c < ncol; c++)
			if (display_width(v[c]) > w[c])
				w[c] = display_width(v[c]);
	}
	for (c = 0; c < ncol; c++) {
		cell(heads[c], w[c], c >= 5 && c <= 7);
		printf(c < ncol - 1 || shards ? "  " : "\n");
	}
	if (shards)
		printf("Shard\n");
	for (i = 0; i < n; i++) {
		static const char *const col[] = {
			"", "\033[2m", "\033[34m", "\033[33m", "\033[2m", "\033[32m",
			"\033[31m", "\033[2m"
		};
		char num[3][24];
		snprintf(num[0], sizeof(num[0]), "%zu", rows[i].connected);
		snprintf(num[1], sizeof(num[1]), "%zu", rows[i].answered);
		snprintf(num[2], sizeof(num[2]), "%zu", rows[i].noanswer);
		cell(rows[i].name, w[0], 0); printf("  ");
		cell(rows[i].id, w[1], 0); printf("  ");
		cell(rows[i].provider, w[2], 0); printf("  ");
		cell(rows[i].audience, w[3], 0); printf("  ");
		if (color)
			printf("%s", errs[i][0] ? "\033[31m" : col[rows[i].st]);
		cell(errs[i][0] ? "error" : status_labels[rows[i].st], w[4], 0);
		if (color)
			printf("\033[0m");
		printf("  ");
		cell(num[0], w[5], 1); printf("  ");
		cell(num[1], w[6], 1); printf("  ");
		cell(num[2], w[7], 1); printf("  ");
		cell(rows[i].created, w[8], 0);
		if (tab == REPO_DELETED) {
			printf("  ");
			cell(dates[i][0], w[9], 0);
			printf("  ");
			cell(dates[i][1], w[10], 0);
		}
		if (shards)
			printf("  %*u\n", ws, shard_of(rows[i].id, shards));
		else
			printf("\n");
	}
	for (i = 0; i < n; i++)
		if (errs[i][0])
			fprintf(stderr, "gitdial list: %s: %s\n", rows[i].id, errs[i]);
	rc = n_err ? 1 : 0;
cleanup:
	free(dates);
	free(errs);
	free(rows);
	repo_free(r);
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	diags_release(&d);
	return rc;
}
