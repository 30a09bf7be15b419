/*
 * gitdial list: the campaigns table, from the branch head.
 * Name, Provider, Audience, Status, Connected, Answered, No answer, Created,
 * and with --shards N the shard (shard_of) whose `tick --shard I/N` dials it.
 * A campaign that cannot be read (campaign.json, its log) is a row with
 * status "error" and the reason, never left out; the exit code is then 1.
 * Text from the repository is printed with control characters escaped.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cmd.h"
#include "err.h"
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

static int in_list(const char *list, const char *v)
{
	char buf[512], *tok, *save = NULL;

	if (!list)
		return 1;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcasecmp(tok, v))
			return 1;
	return 0;
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
		"Name", "Provider", "Audience", "Status", "Connected", "Answered",
		"No answer", "Created"
	};
	const char *root = ".", *search = NULL, *prov = NULL, *stat = NULL;
	struct store *st = NULL;
	struct repo *r = NULL;
	struct diags d = { 0 };
	struct csummary *rows = NULL;
	char (*errs)[300] = NULL; /* per row: why it cannot be read, or "" */
	size_t n_err = 0;
	struct src s;
	git_oid head;
	time_t now = time(NULL);
	size_t i, n = 0;
	int fmt = FMT_TABLE, c, rc = 1, found, have_src = 0, color;
	unsigned tab = 0, shards = 0;
	int w[8], ws = 5;
	char *end;

	setlocale(LC_CTYPE, "C.UTF-8");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 's':
			search = optarg;
			if (utf8_len(search) > 120)
				return usage_error("list", usage, "--search is longer than "
						   "120 characters");
			break;
		case 'p': prov = optarg; break;
		case 'S': stat = optarg; break;
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
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("list", usage, "bad option");
		}
	}
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
	if (!rows || !errs) {
		fprintf(stderr, "gitdial list: out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < r->n; i++) {
		struct repo_campaign *rc2 = &r->v[i];
		struct cstate cs;
		struct csummary *x = &rows[n];
		const char *name = rc2->c ? rc2->c->name : rc2->id;
		int bad;
		if (search && !strcasestr(name, search))
			continue;
		/* the row is derived with report's code (summary.c) */
		bad = !rc2->c ? gd_error_set("campaign.json is invalid (gitdial "
					     "validate)")
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
			if (!in_list(stat, "error"))
				continue;
			n_err++;
			n++;
			continue;
		}
		if (!in_list(prov, x->provider) ||
		    !in_list(stat, status_labels[x->st]))
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
	for (c = 0; c < 8; c++)
		w[c] = display_width(heads[c]);
	for (i = 0; i < n; i++) {
		char num[3][24];
		const char *v[8];
		snprintf(num[0], sizeof(num[0]), "%zu", rows[i].connected);
		snprintf(num[1], sizeof(num[1]), "%zu", rows[i].answered);
		snprintf(num[2], sizeof(num[2]), "%zu", rows[i].noanswer);
		v[0] = rows[i].name; v[1] = rows[i].provider; v[2] = rows[i].audience;
		v[3] = errs[i][0] ? "error" : status_labels[rows[i].st]; v[4] = num[0]; v[5] = num[1]; v[6] = num[2];
		v[7] = rows[i].created;
		for (c = 0; c < 8; c++)
			if (display_width(v[c]) > w[c])
				w[c] = display_width(v[c]);
	}
	for (c = 0; c < 8; c++) {
		cell(heads[c], w[c], c >= 4 && c <= 6);
		printf(c < 7 || shards ? "  " : "\n");
	}
	if (shards)
		printf("Shard\n");
	for (i = 0; i < n; i++) {
		static const char *const col[] = {
			"", "\033[2m", "\033[34m", "\033[33m", "\033[2m", "\033[32m",
			"\033[31m"
		};
		char num[3][24];
		snprintf(num[0], sizeof(num[0]), "%zu", rows[i].connected);
		snprintf(num[1], sizeof(num[1]), "%zu", rows[i].answered);
		snprintf(num[2], sizeof(num[2]), "%zu", rows[i].noanswer);
		cell(rows[i].name, w[0], 0); printf("  ");
		cell(rows[i].provider, w[1], 0); printf("  ");
		cell(rows[i].audience, w[2], 0); printf("  ");
		if (color)
			printf("%s", errs[i][0] ? "\033[31m" : col[rows[i].st]);
		cell(errs[i][0] ? "error" : status_labels[rows[i].st], w[3], 0);
		if (color)
			printf("\033[0m");
		printf("  ");
		cell(num[0], w[4], 1); printf("  ");
		cell(num[1], w[5], 1); printf("  ");
		cell(num[2], w[6], 1); printf("  ");
		if (shards) {
			cell(rows[i].created, w[7], 0);
			printf("  %*u\n", ws, shard_of(rows[i].id, shards));
		} else {
			cell(rows[i].created, w[7], 0);
			printf("\n");
		}
	}
	for (i = 0; i < n; i++)
		if (errs[i][0])
			fprintf(stderr, "gitdial list: %s: %s\n", rows[i].id, errs[i]);
	rc = n_err ? 1 : 0;
cleanup:
	free(errs);
	free(rows);
	repo_free(r);
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	diags_release(&d);
	return rc;
}
