/*
 * gitdial list: the campaigns table (SPEC §8), from the branch head.
 * Name, Provider, Audience, Status, Connected, Answered, No answer, Created,
 * and with --shards N the shard (shard_of) whose `tick --shard I/N` dials it.
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
	for (i = 0; rows && i < r->n; i++) {
		struct repo_campaign *rc2 = &r->v[i];
		struct cstate cs;
		struct csummary *x = &rows[n];
		if (!rc2->c)
			continue;
		if (search && !strcasestr(rc2->c->name, search))
			continue;
		/* the row is derived with report's code (summary.c) */
		if (summary_fill(x, &cs, r, rc2, &s, now) ||
		    !in_list(prov, x->provider) ||
		    !in_list(stat, status_labels[x->st])) {
			state_release(&cs);
			continue;
		}
		state_release(&cs);
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
			cJSON_AddStringToObject(o, "status", status_labels[rows[i].st]);
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
		rc = 0;
		goto cleanup;
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
		v[3] = status_labels[rows[i].st]; v[4] = num[0]; v[5] = num[1]; v[6] = num[2];
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
			printf("%s", col[rows[i].st]);
		cell(status_labels[rows[i].st], w[3], 0);
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
	rc = 0;
cleanup:
	free(rows);
	repo_free(r);
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	diags_release(&d);
	return rc;
}
