/*
 * gitdial plan ID [--now T] [--format text|json]: what the campaign will
 * do, like `terraform plan` for a pull-request comment. Reads the work
 * tree, so it shows the change under review.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dnc.h"
#include "err.h"
#include "ledger.h"
#include "repo.h"
#include "select.h"
#include "state.h"
#include "term.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial plan ID [--repo PATH] [--now RFC3339] [--format text|json]";

#define WEEK (7L * 24 * 3600)

struct zone_row {
	char zones[256];
	enum zone_source source;
	size_t count;
	int open;
	time_t next;
	char rules[256];
	char why[96]; /* what keeps it closed for a week */
};

static void fmt_time(char *out, size_t n, time_t t)
{
	char s[21];

	if (!t) {
		snprintf(out, n, "not within a week");
		return;
	}
	time_format_utc(s, t);
	snprintf(out, n, "%s", s);
}

static void zones_text(char *out, size_t n, const struct place *p)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < p->n_zones; i++) {
		size_t l = strlen(out);
		if (i == 4 && p->n_zones > 5) {
			snprintf(out + l, n - l, "&+%d more", p->n_zones - 4);
			break;
		}
		snprintf(out + l, n - l, "%s%s", i ? "&" : "", p->zones[i]);
	}
}

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = ".", *id;
	struct diags d = { 0 };
	struct repo *r = NULL;
	struct repo_campaign *rc_;
	struct dnc *dnc = NULL;
	struct cstate st;
	struct select_in in;
	struct select_out out;
	struct zone_row *zr = NULL;
	size_t nzr = 0, i, j, share = 0, active = 0, cap, dnc_n = 0, per_src[4] = { 0 };
	uint8_t *open = NULL;
	time_t now = time(NULL);
	int fmt = FMT_TEXT, c, rc = 1, have_state = 0;
	struct src s;
	const struct account *acct;
	enum status eff;
	double est_min;

	memset(&out, 0, sizeof(out));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'n':
			if (time_parse_rfc3339(&now, optarg))
				return usage_error("plan", usage, "--now: \"%s\" is not an "
						   "RFC 3339 time with an offset", optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("plan", usage, "unknown format '%s'", optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("plan", usage, "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("plan", usage, "expected one campaign id");
	id = argv[optind];
	if (!id_valid(id)) {
		fprintf(stderr, "gitdial plan: \"%s\" is not a campaign id "
			"([a-z0-9][a-z0-9-]{0,63})\n", id);
		return 1;
	}
	src_init_dir(&s, root);
	if (repo_load(&r, &s, id, REPO_AUDIENCE | REPO_PLACES, &d) || !r) {
		fprintf(stderr, "gitdial plan: %s\n", gd_error_last());
		diags_print(stderr, &d, FMT_TEXT);
		goto cleanup;
	}
	rc_ = repo_find(r, id);
	if (!rc_->c || !rc_->aud) {
		fprintf(stderr, "gitdial plan: campaign '%s' has errors; fix them "
			"first (gitdial validate):\n", id);
		diags_print(stderr, &d, FMT_TEXT);
		goto cleanup;
	}
	acct = config_account(r->cfg, rc_->c->account);
	if (dnc_load(&dnc, &s, NULL) || state_init(&st, rc_->aud))
		goto cleanup;
	have_state = 1;
	ledger_replay(&st, &s, id);
	eff = state_effective(rc_->c, &st, now);
	/* the account's cap is shared with every campaign on it: load them all */
	{
		struct repo *all = NULL;
		struct diags quiet = { 0 };
		if (!repo_load(&all, &s, NULL, 0, &quiet) && all)
			share = repo_account_share(all, id, now, NULL, NULL, &active);
		else
			share = repo_account_share(r, id, now, NULL, NULL, &active);
		repo_free(all);
		diags_release(&quiet);
	}
	cap = (size_t)rc_->c->concurrency < share ? (size_t)rc_->c->concurrency : share;
	/* recipients per zone set, and when each opens */
	if (!(open = calloc(rc_->aud->n_places + 1, 1)) ||
	    !(zr = calloc(rc_->aud->n_places + 1, sizeof(*zr))))
		goto cleanup;
	for (i = 0; i < rc_->aud->n_places; i++)
		open[i] = (uint8_t)place_is_open(r->rules, &rc_->aud->places[i],
						 &rc_->c->window, now);
	for (i = 0; i < rc_->aud->n; i++) {
		const struct place *p = &rc_->aud->places[rc_->aud->r[i].place];
		char z[256];
		if (dnc_contains(dnc, rc_->aud->r[i].key)) {
			dnc_n++; /* excluded: not in the per-zone counts either */
			continue;
		}
		per_src[p->source]++;
		zones_text(z, sizeof(z), p);
		for (j = 0; j < nzr; j++)
			if (!strcmp(zr[j].zones, z) && zr[j].source == p->source &&
			    !strcmp(zr[j].rules, p->rule_ids))
				break;
		if (j == nzr) {
			snprintf(zr[j].zones, sizeof(zr[j].zones), "%s", z);
			zr[j].source = p->source;
			zr[j].open = open[rc_->aud->r[i].place];
			zr[j].next = place_next_open(r->rules, p, &rc_->c->window, now,
						     WEEK, zr[j].why, sizeof(zr[j].why));
			snprintf(zr[j].rules, sizeof(zr[j].rules), "%s", p->rule_ids);
			nzr++;
		}
		zr[j].count++;
	}
	memset(&in, 0, sizeof(in));
	in.c = rc_->c;
	in.a = rc_->aud;
	in.s = &st;
	in.dnc = dnc;
	in.place_open = open;
	in.now = now;
	{
		size_t inflight = state_in_flight(&st);
		in.slots = eff == ST_DIALING || eff == ST_SCHEDULED
			? (cap > inflight ? cap - inflight : 0) : 0;
	}
	if (select_batch(&out, &in))
		goto cleanup;
	/* dialable × expected attempts × ~2.5 min per call, over the slots */
	est_min = cap ? (double)(rc_->aud->n - dnc_n) *
		(1.0 + 0.3 * (double)rc_->c->retries_max) * 2.5 / (double)cap : 0;
	if (fmt == FMT_JSON) {
		cJSON *o = cJSON_CreateObject(), *x, *arr;
		char t[21];
		time_format_utc(t, now);
		cJSON_AddStringToObject(o, "campaign", id);
		cJSON_AddStringToObject(o, "name", rc_->c->name);
		cJSON_AddStringToObject(o, "now", t);
		cJSON_AddStringToObject(o, "status", status_labels[eff]);
		cJSON_AddStringToObject(o, "account", rc_->c->account);
		cJSON_AddStringToObject(o, "provider", acct && acct->provider ? acct->provider : "");
		x = cJSON_AddObjectToObject(o, "audience");
		cJSON_AddStringToObject(x, "file", rc_->audience_path);
		cJSON_AddNumberToObject(x, "rows", (double)rc_->aud->rows);
		cJSON_AddNumberToObject(x, "dialable", (double)(rc_->aud->n - dnc_n));
		x = cJSON_AddObjectToObject(o, "excluded");
		cJSON_AddNumberToObject(x, "invalid", (double)rc_->aud->n_invalid);
		cJSON_AddNumberToObject(x, "duplicate", (double)rc_->aud->n_duplicate);
		cJSON_AddNumberToObject(x, "dnc", (double)dnc_n);
		cJSON_AddNumberToObject(x, "no_consent", (double)rc_->aud->n_no_consent);
		x = cJSON_AddObjectToObject(o, "zone_sources");
		for (i = 0; i < 4; i++)
			cJSON_AddNumberToObject(x, zone_source_names[i], (double)per_src[i]);
		arr = cJSON_AddArrayToObject(o, "zones");
		for (j = 0; j < nzr; j++) {
			cJSON *z = cJSON_CreateObject();
			cJSON_AddStringToObject(z, "zones", zr[j].zones);
			cJSON_AddStringToObject(z, "source", zone_source_names[zr[j].source]);
			cJSON_AddNumberToObject(z, "recipients", (double)zr[j].count);
			cJSON_AddBoolToObject(z, "open", zr[j].open);
			if (zr[j].next) {
				time_format_utc(t, zr[j].next);
				cJSON_AddStringToObject(z, "opens", t);
			} else {
				cJSON_AddNullToObject(z, "opens");
				cJSON_AddStringToObject(z, "closed_by", zr[j].why);
			}
			cJSON_AddStringToObject(z, "rules", zr[j].rules);
			cJSON_AddItemToArray(arr, z);
		}
		x = cJSON_AddObjectToObject(o, "concurrency");
		cJSON_AddNumberToObject(x, "effective", (double)cap);
		cJSON_AddNumberToObject(x, "campaign", (double)rc_->c->concurrency);
		cJSON_AddNumberToObject(x, "account_max", acct ? (double)acct->max_concurrency : 0);
		cJSON_AddNumberToObject(x, "account_share", (double)share);
		cJSON_AddNumberToObject(x, "campaigns_on_account", (double)active);
		cJSON_AddStringToObject(x, "capped_by", (size_t)rc_->c->concurrency <= share
					? "campaign" : "account");
		cJSON_AddNumberToObject(o, "estimated_minutes", est_min);
		arr = cJSON_AddArrayToObject(o, "first_batch");
		for (i = 0; i < out.n_pick; i++) {
			char phone[PHONE_MAX];
			cJSON *b = cJSON_CreateObject();
			audience_phone(phone, &rc_->aud->r[out.pick[i]]);
			cJSON_AddStringToObject(b, "phone", phone);
			cJSON_AddNumberToObject(b, "line", rc_->aud->r[out.pick[i]].line);
			cJSON_AddItemToArray(arr, b);
		}
		json_emit(o);
	} else {
		char t[64];
		time_format_utc(t, now);
		/* names, zones and paths are the repository's text: escaped */
		printf("## gitdial plan: %s (\"%s\") at %s\n\n", id,
		       term_str(rc_->c->name), t);
		printf("Status:      %s%s\n", status_labels[eff],
		       eff == ST_SCHEDULED && rc_->c->start_at ? " (start_at " : "");
		if (eff == ST_SCHEDULED && rc_->c->start_at) {
			fmt_time(t, sizeof(t), rc_->c->start_at);
			printf("             starts %s)\n", t);
		}
		printf("Provider:    %s (account %s), caller ID %s\n",
		       acct && acct->provider ? acct->provider : "?",
		       term_str(rc_->c->account),
		       campaign_caller_id(rc_->c, r->cfg) ?
		       term_str(campaign_caller_id(rc_->c, r->cfg)) : "-");
		printf("Audience:    %s: %zu rows, %zu dialable\n",
		       term_str(rc_->audience_path),
		       rc_->aud->rows, rc_->aud->n - dnc_n);
		printf("Excluded:    invalid %zu, duplicate %zu, DNC %zu, no consent %zu\n",
		       rc_->aud->n_invalid, rc_->aud->n_duplicate, dnc_n,
		       rc_->aud->n_no_consent);
		printf("Window:      %s (recipient's local time, within the legal window)\n",
		       term_str(rc_->c->window_text));
		printf("Zone source: column %zu, area code %zu, country %zu\n\n",
		       per_src[ZSRC_COLUMN], per_src[ZSRC_AREA_CODE], per_src[ZSRC_COUNTRY]);
		printf("| recipients | time zone(s) | from | window | rules |\n");
		printf("|---:|---|---|---|---|\n");
		for (j = 0; j < nzr; j++) {
			char when[40];
			if (zr[j].open)
				snprintf(when, sizeof(when), "open now");
			else if (zr[j].next) {
				fmt_time(t, sizeof(t), zr[j].next);
				snprintf(when, sizeof(when), "opens %s", t);
			} else {
				snprintf(when, sizeof(when), "closed a week by %s",
					 zr[j].why);
			}
			printf("| %zu | %s | %s | %s | %s |\n", zr[j].count,
			       term_str(zr[j].zones), zone_source_names[zr[j].source],
			       when, term_str(zr[j].rules));
		}
		printf("\nConcurrency: %zu (campaign %ld; account %s max %ld shared by %zu "
		       "campaign%s = %zu) -> capped by the %s\n", cap, rc_->c->concurrency,
		       term_str(rc_->c->account), acct ? acct->max_concurrency : 0, active,
		       active == 1 ? "" : "s", share,
		       (size_t)rc_->c->concurrency <= share ? "campaign" : "account");
		if (rc_->c->retries_max)
			printf("Retries:     up to %ld after a cool-down of %ld min\n",
			       rc_->c->retries_max, rc_->c->cooldown[0]);
		else
			printf("Retries:     none\n");
		printf("Estimate:    about %.0f minutes of dialing time inside the windows\n",
		       est_min);
		time_format_utc(t, now);
		printf("\nFirst batch at %s: %zu call%s\n", t, out.n_pick,
		       out.n_pick == 1 ? "" : "s");
		for (i = 0; i < out.n_pick; i++) {
			char phone[PHONE_MAX];
			audience_phone(phone, &rc_->aud->r[out.pick[i]]);
			printf("  %s (line %u)\n", phone, rc_->aud->r[out.pick[i]].line);
		}
		if (!out.n_pick && eff != ST_DIALING && eff != ST_SCHEDULED)
			printf("  (none: the campaign is %s)\n", status_labels[eff]);
		else if (!out.n_pick)
			printf("  (none now: %zu waiting for a window, %zu for a cool-down, "
			       "%zu in flight)\n", out.waiting_window, out.waiting_cooldown,
			       out.in_flight);
		if (d.warnings)
			printf("\n%zu row problem%s (see gitdial validate)\n", d.warnings,
			       d.warnings == 1 ? "" : "s");
	}
	rc = 0;
cleanup:
	select_release(&out);
	if (have_state)
		state_release(&st);
	free(open);
	free(zr);
	dnc_free(dnc);
	repo_free(r);
	diags_release(&d);
	return rc;
}
