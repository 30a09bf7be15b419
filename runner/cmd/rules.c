/*
 * gitdial rules [JURISDICTION | +NUMBER] [--repo PATH] [--format text|json]
 * gitdial rules --check FILE...
 *
 * Prints the compliance rules pack (the embedded one with the
 * repository's rules/ *.json layered over it): every row with its source
 * and the date it takes effect, and for a jurisdiction or a number what
 * they add up to (a call needs every applicable row; the stricter wins).
 * --check validates pack files as a repository layer would be read.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "phone.h"
#include "rules.h"
#include "src.h"
#include "store.h"
#include "term.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial rules [JURISDICTION | +NUMBER] [--repo PATH] [--format text|json]\n"
	"       gitdial rules --check FILE...";

/* "08:00-20:00, 14:00-20:00" for one weekday of w (empty: none). */
static void day_ranges(char *out, size_t n, const struct daywin *w, int wday)
{
	int m = 0, start;
	size_t len = 0;

	out[0] = '\0';
	while (m < 1440) {
		if (!daywin_contains(w, wday, m)) {
			m++;
			continue;
		}
		start = m;
		while (m < 1440 && daywin_contains(w, wday, m))
			m++;
		snprintf(out + len, n - len, "%s%02d:%02d-%02d:%02d", len ? ", " : "",
			 start / 60, start % 60, m / 60, m % 60);
		len = strlen(out);
	}
}

/* "mon-fri 09:00-18:00; sat 10:00-17:00" (days with equal hours grouped). */
static void week_text(char *out, size_t n, const struct daywin *w)
{
	/* Monday first, as people read a week */
	static const int order[7] = { 1, 2, 3, 4, 5, 6, 0 };
	char cur[128], next[128];
	size_t len = 0;
	int i = 0, j;

	out[0] = '\0';
	while (i < 7) {
		day_ranges(cur, sizeof(cur), w, order[i]);
		for (j = i + 1; j < 7; j++) {
			day_ranges(next, sizeof(next), w, order[j]);
			if (strcmp(cur, next))
				break;
		}
		if (cur[0]) {
			if (j - 1 > i)
				snprintf(out + len, n - len, "%s%s-%s %s", len ? "; " : "",
					 weekday_names[order[i]],
					 weekday_names[order[j - 1]], cur);
			else
				snprintf(out + len, n - len, "%s%s %s", len ? "; " : "",
					 weekday_names[order[i]], cur);
			len = strlen(out);
		}
		i = j;
	}
	if (!out[0])
		snprintf(out, n, "no hours");
}

static void date_text(char *out, size_t n, long day)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	str_fmt_cut(out, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday);
}

/* What a row says, in a few words. */
static void what_text(char *out, size_t n, const struct rule *x)
{
	size_t len, i;
	int d;

	switch (x->kind) {
	case RK_HOURS:
		week_text(out, n, &x->hours);
		break;
	case RK_BANNED:
		out[0] = '\0';
		for (d = 0; d < 7; d++)
			if (x->banned_days & (1u << d)) {
				len = strlen(out);
				snprintf(out + len, n - len, "%s%s", len ? "," : "no calls on ",
					 weekday_names[d]);
			}
		if (x->n_dates) {
			len = strlen(out);
			snprintf(out + len, n - len, "%sno calls on %zu holidays in %d:",
				 len ? "; " : "", x->n_dates, x->year);
			for (i = 0; i < x->n_dates; i++) {
				char ds[16];
				date_text(ds, sizeof(ds), x->dates[i]);
				len = strlen(out);
				snprintf(out + len, n - len, " %s", ds + 5);
			}
		}
		break;
	case RK_CAP:
		snprintf(out, n, "at most %d call%s per number per %ld h", x->max_calls,
			 x->max_calls == 1 ? "" : "s", x->period_s / 3600);
		break;
	case RK_DISCLOSURE:
		snprintf(out, n, "recording disclosure %s",
			 x->required ? "required" : "not required");
		break;
	}
}

static cJSON *rule_json(const struct rule *x)
{
	cJSON *o = cJSON_CreateObject();
	char what[1024], ds[16];

	what_text(what, sizeof(what), x);
	date_text(ds, sizeof(ds), x->effective);
	cJSON_AddStringToObject(o, "id", x->id);
	cJSON_AddStringToObject(o, "jurisdiction", x->jurisdiction);
	cJSON_AddStringToObject(o, "kind", rule_kind_names[x->kind]);
	cJSON_AddStringToObject(o, "rule", what);
	if (x->kind == RK_CAP) {
		cJSON_AddNumberToObject(o, "max_calls", x->max_calls);
		cJSON_AddNumberToObject(o, "period_hours", (double)(x->period_s / 3600));
	}
	if (x->kind == RK_DISCLOSURE)
		cJSON_AddBoolToObject(o, "required", x->required);
	cJSON_AddStringToObject(o, "effective", ds);
	cJSON_AddStringToObject(o, "status", x->status ? x->status : "");
	cJSON_AddStringToObject(o, "source", x->source ? x->source : "");
	if (x->note)
		cJSON_AddStringToObject(o, "note", x->note);
	cJSON_AddStringToObject(o, "file", x->file ? x->file : "");
	cJSON_AddNumberToObject(o, "line", (double)x->line);
	return o;
}

static void rule_print(const struct rule *x)
{
	char what[1024], ds[16];

	what_text(what, sizeof(what), x);
	date_text(ds, sizeof(ds), x->effective);
	/* a repository's pack is the repository's text: escaped */
	printf("  %-22s %-8s %-10s %s\n", term_str(x->id),
	       term_str(x->jurisdiction), rule_kind_names[x->kind], what);
	printf("  %-22s from %s, %s, %s:%lu\n", "", ds,
	       x->status && *x->status ? term_str(x->status) : "-",
	       term_str(x->file), x->line);
	printf("  %-22s %s\n", "", term_str(x->source));
}

/* Jurisdictions a query names: "US-FL" → "US,US-FL"; lower case accepted. */
static int query_jurisdictions(char *out, size_t n, const char *q)
{
	char up[16];
	size_t i, l = strlen(q);

	if (l < 2 || l > 6 || (l > 2 && q[2] != '-'))
		return -1;
	for (i = 0; i < l; i++) {
		char c = q[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (i >= 3 && c >= '0' && c <= '9') ||
		      (i == 2 && c == '-')))
			return -1;
		up[i] = c;
	}
	up[l] = '\0';
	if (l > 2)
		snprintf(out, n, "%.2s,%s", up, up);
	else
		snprintf(out, n, "%s", up);
	return 0;
}

/* The rule indexes that apply to jurisdiction set js (as rules_place does). */
static size_t applicable(const struct rules *r, const char *js, uint16_t *ix,
			 size_t max)
{
	size_t i, n = 0;
	int country = 0;

	for (i = 0; i < rules_count(r) && n < max; i++) {
		const struct rule *x = rules_get(r, i);
		if (strcmp(x->jurisdiction, "default") && list_has_token(js, x->jurisdiction)) {
			ix[n++] = (uint16_t)i;
			if (x->kind == RK_HOURS && !strchr(x->jurisdiction, '-'))
				country = 1;
		}
	}
	for (i = 0; !country && i < rules_count(r) && n < max; i++)
		if (!strcmp(rules_get(r, i)->jurisdiction, "default"))
			ix[n++] = (uint16_t)i;
	return n;
}

static int check_files(int argc, char **argv, int first, int fmt)
{
	struct diags d = { 0 };
	size_t rows = 0;
	int i, rc = 0;

	for (i = first; i < argc; i++) {
		struct buf text = BUF_INIT(RULES_PACK_MAX);
		if (file_read(&text, argv[i], RULES_PACK_MAX)) {
			diags_add(&d, DIAG_ERROR, argv[i], 0, NULL, "cannot read: %s",
				  gd_error_last());
		} else if (rules_check(argv[i], text.ptr, text.len, &d)) {
			rc = 1;
		} else {
			cJSON *o = cJSON_ParseWithLength(text.ptr, text.len);
			rows += (size_t)cJSON_GetArraySize(
				cJSON_GetObjectItemCaseSensitive(o, "rules"));
			cJSON_Delete(o);
		}
		buf_release(&text);
	}
	if (d.errors)
		rc = 1;
	diags_sort(&d);
	if (fmt == FMT_JSON)
		diags_print_json(stdout, &d);
	else
		diags_print(stdout, &d, FMT_TEXT);
	if (fmt == FMT_TEXT)
		fprintf(stderr, "%s: %d file%s checked, %zu rule%s, %zu error%s\n",
			rc ? "FAILED" : "ok", argc - first, argc - first == 1 ? "" : "s",
			rows, rows == 1 ? "" : "s", d.errors, d.errors == 1 ? "" : "s");
	diags_release(&d);
	return finish_stdout(rc);
}

int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = ".", *q = NULL;
	struct rules *r = NULL;
	struct diags d = { 0 };
	struct place pl;
	struct src s;
	uint16_t ix[PLACE_MAX_RULES * 4];
	size_t n = 0, i;
	char js[160] = "";
	int fmt = FMT_TEXT, check = 0, c, rc = 1, have_place = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'c': check = 1; break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("rules", usage, "unknown format '%s'", optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("rules", usage, "bad option");
		}
	}
	if (check) {
		if (optind >= argc)
			return usage_error("rules", usage, "--check needs a file");
		return check_files(argc, argv, optind, fmt);
	}
	if (optind + 1 < argc)
		return usage_error("rules", usage, "expected at most one jurisdiction "
				   "or number");
	q = optind < argc ? argv[optind] : NULL;
	src_init_dir(&s, root);
	if (rules_load_layered(&r, &s, &d)) {
		fprintf(stderr, "gitdial rules: %s\n", d.n ? "the repository's rules "
			"pack is invalid:" : gd_error_last());
		diags_print(stderr, &d, FMT_TEXT);
		goto cleanup;
	}
	if (q && q[0] == '+') {
		char e164[PHONE_MAX];
		const char *why = NULL;
		if (phone_normalize(e164, q, strlen(q), &why)) {
			fprintf(stderr, "gitdial rules: \"%s\" is not a phone number "
				"(%s)\n", q, why ? why : "expected E.164");
			rc = 2;
			goto cleanup;
		}
		if (rules_place(r, &pl, e164, NULL)) {
			fprintf(stderr, "gitdial rules: %s\n", gd_error_last());
			goto cleanup;
		}
		have_place = 1;
		snprintf(js, sizeof(js), "%s", pl.jurisdictions);
		for (i = 0; i < (size_t)pl.n_rix; i++)
			ix[n++] = pl.rix[i];
	} else if (q) {
		if (query_jurisdictions(js, sizeof(js), q)) {
			rc = usage_error("rules", usage, "\"%s\" is not a jurisdiction "
					 "(US, US-FL, FR) or a number (+1...)", q);
			goto cleanup;
		}
		n = applicable(r, js, ix, sizeof(ix) / sizeof(ix[0]));
	}
	{
		/* what they add up to: every hours row, every ban, every cap */
		struct daywin all;
		unsigned banned = 0;
		size_t holidays = 0;
		int disclosure = 0;
		char week[512], ids[512] = "";
		cJSON *root_json = NULL, *arr = NULL, *caps = NULL;

		daywin_fill(&all);
		if (fmt == FMT_JSON) {
			root_json = cJSON_CreateObject();
			cJSON_AddStringToObject(root_json, "query", q ? q : "");
			if (have_place) {
				cJSON *z = cJSON_AddArrayToObject(root_json, "zones");
				for (i = 0; i < (size_t)pl.n_zones; i++)
					cJSON_AddItemToArray(z, cJSON_CreateString(pl.zones[i]));
				cJSON_AddStringToObject(root_json, "zone_source",
							zone_source_names[pl.source]);
			}
			cJSON_AddStringToObject(root_json, "jurisdictions", js);
			arr = cJSON_AddArrayToObject(root_json, "rules");
		} else if (q) {
			printf("%s: %zu rule%s for %s (a call needs every one of them: "
			       "the stricter wins)\n", q, n, n == 1 ? "" : "s", js);
			if (have_place) {
				printf("  zones (%s):", zone_source_names[pl.source]);
				for (i = 0; i < (size_t)pl.n_zones; i++)
					printf(" %s", pl.zones[i]);
				printf("\n");
			}
			printf("\n");
		} else {
			printf("%zu rules (the embedded %s, with the repository's "
			       RULES_DIR "/*.json layered over it)\n\n", rules_count(r),
			       RULES_EMBEDDED);
		}
		if (fmt == FMT_JSON)
			caps = cJSON_CreateArray();
		for (i = 0; i < (q ? n : rules_count(r)); i++) {
			const struct rule *x = rules_get(r, q ? ix[i] : i);
			if (fmt == FMT_JSON)
				cJSON_AddItemToArray(arr, rule_json(x));
			else
				rule_print(x);
			if (!q)
				continue;
			if (x->kind == RK_HOURS)
				daywin_intersect(&all, &x->hours);
			if (x->kind == RK_BANNED) {
				banned |= x->banned_days;
				holidays += x->n_dates;
			}
			if (x->kind == RK_DISCLOSURE && x->required)
				disclosure = 1;
			if (x->kind == RK_CAP) {
				size_t l = strlen(ids);
				snprintf(ids + l, sizeof(ids) - l, "%s%d per %ld h (%s)",
					 l ? ", " : "", x->max_calls, x->period_s / 3600, x->id);
				if (caps) {
					cJSON *o = cJSON_CreateObject();
					cJSON_AddStringToObject(o, "id", x->id);
					cJSON_AddNumberToObject(o, "max_calls", x->max_calls);
					cJSON_AddNumberToObject(o, "period_hours",
								(double)(x->period_s / 3600));
					cJSON_AddItemToArray(caps, o);
				}
			}
		}
		{
			struct daywin open = all;
			for (i = 0; i < 7; i++)
				if (banned & (1u << i)) {
					struct daywin none;
					daywin_fill(&none);
					memset(none.bits[i], 0, sizeof(none.bits[i]));
					daywin_intersect(&open, &none);
				}
			week_text(week, sizeof(week), &open);
		}
		if (fmt == FMT_JSON) {
			if (q) {
				cJSON *o = cJSON_AddObjectToObject(root_json, "combined");
				cJSON_AddStringToObject(o, "hours", week);
				cJSON_AddNumberToObject(o, "holidays", (double)holidays);
				cJSON_AddItemToObject(o, "caps", caps);
				caps = NULL;
				cJSON_AddBoolToObject(o, "disclosure", disclosure);
			}
			{
				char *txt = cJSON_PrintUnformatted(root_json);
				if (txt)
					printf("%s\n", txt);
				cJSON_free(txt);
			}
			cJSON_Delete(root_json);
			cJSON_Delete(caps);
		} else if (q) {
			printf("\nCombined: %s (local time%s)\n", week,
			       have_place && pl.n_zones > 1 ? ", in every zone" : "");
			if (holidays)
				printf("          no calls on %zu listed holiday%s\n", holidays,
				       holidays == 1 ? "" : "s");
			printf("          caps: %s\n", ids[0] ? ids : "none");
			printf("          recording disclosure: %s\n",
			       disclosure ? "required" : "not required");
		}
	}
	rc = 0;
cleanup:
	rules_free(r);
	diags_release(&d);
	return finish_stdout(rc);
}
