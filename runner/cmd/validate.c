/*
 * gitdial validate [--repo PATH] [--format text|github|json] [--strict]
 *                  [--base REV] [--] [PATH...]
 * Checks the work tree's files as a pull request's CI sees them. With
 * --base, also what the commits since REV changed (prcheck.h): the
 * append-only logs, hand-written runner events, links, submodules, and
 * the changes that need an owner's approval (notices).
 *
 * Options end at the first path or at "--": a changed file named "-h" or
 * "--repo=x" is a path, never an option, so CI that passes file names
 * (`gitdial validate -- $changed`) cannot be talked into printing usage
 * and passing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dnc.h"
#include "err.h"
#include "prcheck.h"
#include "repo.h"
#include "round.h"
#include "started.h"
#include "trust_check.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial validate [--repo PATH] [--format text|github|json] [--strict]\n"
	"                 [--base REV] [--] [PATH...]";

/* The campaign a changed path belongs to, "*" for everything, NULL for none. */
static const char *path_campaign(const char *p, char *id, size_t n)
{
	const char *slash;

	while (!strncmp(p, "./", 2))
		p += 2;
	if (!strncmp(p, "campaigns/", 10)) {
		p += 10;
		slash = strchr(p, '/');
		snprintf(id, n, "%.*s", slash ? (int)(slash - p) : (int)strlen(p), p);
		return id;
	}
	if (!strcmp(p, "gitdial.json") || !strncmp(p, "segments/", 9) ||
	    !strncmp(p, "dnc/", 4) || !strncmp(p, RULES_DIR "/", 5) ||
	    !strcmp(p, ".") || !*p)
		return "*";
	return NULL;
}

/*
 * Warns about each campaign of r (loaded with its places) whose window,
 * the legal windows of its recipients' zones and its schedule leave
 * some recipients no callable time before end_at or within a week.
 */
static void window_check(const struct repo *r, struct diags *d, time_t now)
{
	size_t k;

	for (k = 0; r && k < r->n; k++) {
		const struct repo_campaign *rc = &r->v[k];
		char why[ROUND_WHY_MAX], file[256];
		size_t n;
		if (!rc->c || !rc->aud || !r->rules)
			continue;
		n = round_unreachable(r->rules, rc->c, rc->aud, now, why, sizeof(why));
		if (!n)
			continue;
		snprintf(file, sizeof(file), "%s/%s/campaign.json", rc->top, rc->id);
		diags_add(d, DIAG_WARNING, file, 0, "window",
			  "%zu of %zu recipients can never be called %s: the "
			  "window %s never meets their legal window (closed by "
			  "%s); they would stay queued", n, rc->aud->n,
			  round_unreachable_span(rc->c, now), rc->c->window_text,
			  why);
	}
}

/*
 * Warns about each campaign of r with "record" some of whose recipients
 * have no disclosure text in their language (nor "en") in gitdial.json:
 * they are called without recording (docs/recording.md).
 */
static void record_check(const struct repo *r, struct diags *d)
{
	size_t k, i;

	for (k = 0; r && r->cfg && k < r->n; k++) {
		const struct repo_campaign *rc = &r->v[k];
		char file[256], langs[64] = "";
		size_t n = 0, used = 0;
		int l;
		if (!rc->c || !rc->c->record || !rc->aud)
			continue;
		for (i = 0; i < rc->aud->n; i++) {
			l = rc->aud->r[i].lang;
			if (l < rc->aud->n_langs &&
			    !config_disclosure(r->cfg, rc->aud->langs[l][0]
					       ? rc->aud->langs[l] : "en"))
				n++;
		}
		if (!n)
			continue;
		for (l = 0; l < rc->aud->n_langs; l++) {
			const char *name = rc->aud->langs[l][0] ? rc->aud->langs[l]
				: "en"; /* a row without a language */
			int seen = 0, m;
			for (m = 0; m < l; m++)
				seen |= !strcmp(name, rc->aud->langs[m][0]
						? rc->aud->langs[m] : "en");
			if (!seen && !config_disclosure(r->cfg, name) &&
			    used + strlen(name) + 3 < sizeof(langs))
				used += (size_t)snprintf(langs + used, sizeof(langs) - used,
							 "%s%s", used ? ", " : "", name);
		}
		snprintf(file, sizeof(file), "%s/%s/campaign.json", rc->top, rc->id);
		diags_add(d, DIAG_WARNING, file, 0, "record",
			  "%zu of %zu recipients (language %s) have no disclosure "
			  "text in gitdial.json, nor \"en\": they are called "
			  "without recording", n, rc->aud->n, langs);
	}
}

int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "strict", no_argument, NULL, 's' },
		{ "base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = ".", *base = NULL;
	struct diags d = { 0 };
	struct repo *r = NULL;
	struct src s;
	int fmt = FMT_TEXT, strict = 0, all = 1, help = 0, c, i, rc = 0;
	size_t campaigns = 0;

	optind = 1;
	/* "+": the first path ends the options (no reordering) */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,github,json")) < 0)
				return usage_error("validate", usage,
						   "unknown format '%s'", optarg);
			break;
		case 's': strict = 1; break;
		case 'b': base = optarg; break;
		case 'h': help = 1; break;
		default: return usage_error("validate", usage, "bad option");
		}
	}
	if (help) {
		/* help alone is help; with anything else it may be a file name */
		if (argc != 2)
			return usage_error("validate", usage, "-h/--help with other "
					   "arguments (a path that starts with - "
					   "goes after --)");
		printf("usage: %s\n", usage);
		return 0;
	}
	src_init_dir(&s, root);
	if (optind < argc) {
		char id[256];
		all = 0;
		for (i = optind; i < argc; i++) {
			const char *x = path_campaign(argv[i], id, sizeof(id));
			if (x && !strcmp(x, "*"))
				all = 1;
		}
	}
	if (all) {
		if (repo_load(&r, &s, NULL, REPO_AUDIENCE | REPO_PLACES, &d) == GD_ERROR)
			rc = 1;
		window_check(r, &d, time(NULL));
		record_check(r, &d);
		campaigns = r ? r->n : 0;
		if (r) {
			struct rules *ru = NULL;
			/* what the operator allows, and what could only fail
			 * at dial time (SECURITY.md) */
			trust_check_config(&s, root, r->cfg, &d);
			trust_check_campaigns(&s, r, &d);
			if (started_check(&s, r, &d)) {
				fprintf(stderr, "gitdial validate: %s\n",
					gd_error_last());
				rc = 1;
			}
			dnc_validate(&s, &d);
			/* the repository's own rules packs (rules/ *.json) */
			if (rules_load_layered(&ru, &s, &d) == GD_ERROR)
				rc = 1;
			rules_free(ru);
		}
	} else {
		/* config once, then each named campaign */
		if (repo_load(&r, &s, NULL, REPO_CONFIG_ONLY, &d))
			rc = 1;
		else
			trust_check_config(&s, root, r->cfg, &d);
		repo_free(r);
		r = NULL;
		for (i = optind; i < argc && !rc; i++) {
			char id[256];
			struct repo *one = NULL;
			struct diags tmp = { 0 };
			const char *x = path_campaign(argv[i], id, sizeof(id));
			int j, dup = 0;
			if (!x)
				continue;
			for (j = optind; j < i; j++) {
				char id2[256];
				const char *y = path_campaign(argv[j], id2, sizeof(id2));
				if (y && !strcmp(y, x))
					dup = 1;
			}
			if (dup)
				continue;
			if (!id_valid(x)) {
				diags_add(&d, DIAG_ERROR, argv[i], 0, NULL,
					  "\"%s\" is not a valid campaign id", x);
				continue;
			}
			if (repo_load(&one, &s, x, REPO_AUDIENCE | REPO_PLACES,
				      &tmp) == GD_ENOTFOUND &&
			    !tmp.errors) {
				/* deleted in this change: nothing to check */
				repo_free(one);
				diags_release(&tmp);
				continue;
			}
			campaigns++;
			trust_check_campaigns(&s, one, &d);
			window_check(one, &d, time(NULL));
			record_check(one, &d);
			if (started_check(&s, one, &d)) {
				fprintf(stderr, "gitdial validate: %s\n",
					gd_error_last());
				rc = 1;
			}
			{
				size_t k;
				for (k = 0; k < tmp.n; k++)
					diags_add(&d, tmp.v[k].level, tmp.v[k].file,
						  tmp.v[k].line, tmp.v[k].field, "%s",
						  tmp.v[k].msg);
			}
			repo_free(one);
			diags_release(&tmp);
		}
	}
	if (base) {
		/* what the PR changed: every campaign is checked as well */
		struct store *st = NULL;
		if (store_open(&st, root) || prcheck(st, base, &d)) {
			fprintf(stderr, "gitdial validate: %s\n", gd_error_last());
			rc = 1;
		}
		store_free(st);
	}
	diags_sort(&d);
	if (fmt == FMT_JSON)
		diags_print_json(stdout, &d);
	else
		diags_print(stdout, &d, (enum out_format)fmt);
	if (d.errors || (strict && d.warnings))
		rc = 1;
	if (fmt == FMT_TEXT)
		fprintf(stderr, "%s: %zu campaign%s checked, %zu error%s, %zu warning%s%s\n",
			rc ? "FAILED" : "ok", campaigns, campaigns == 1 ? "" : "s",
			d.errors, d.errors == 1 ? "" : "s", d.warnings,
			d.warnings == 1 ? "" : "s", d.notices
			? "; changes that need an owner's approval (notices)" : "");
	repo_free(r);
	diags_release(&d);
	return rc;
}
