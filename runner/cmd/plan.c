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
#include "round.h"
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

/* Prints the problems of d that are in campaign id's folder. */
static void diags_print_campaign(const struct diags *d, const char *id)
{
	struct diags mine = { 0 };
	char dir[128];
	size_t i;

	snprintf(dir, sizeof(dir), "campaigns/%s/", id);
	for (i = 0; i < d->n; i++)
		if (d->v[i].file && !strncmp(d->v[i].file, dir, strlen(dir)))
			diags_add(&mine, d->v[i].level, d->v[i].file, d->v[i].line,
				 d->v[i].field, "%s", d->v[i].msg);
	diags_print(stderr, mine.n ? &mine : d, FMT_TEXT);
	diags_release(&mine);
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
	struct round rd;
	struct round_opts ro;
	struct round_camp *cv = NULL;
	struct repo *r = NULL;
	struct repo_campaign *rc_;
	const struct dnc *dnc = NULL;
	struct zone_row *zr = NULL;
	size_t nzr = 0, i, j, share = 0, active = 0, cap, dnc_n = 0, per_src[4] = { 0 };
	size_t unreach = 0;
	char uwhy[ROUND_WHY_MAX];
	uint8_t *open = NULL;
	time_t now = time(NULL);
	int fmt = FMT_TEXT, c, rc = 1, have_round = 0;
	struct src s;
	const struct account *acct;
	enum status eff;
	double est_min;

	memset(&ro, 0, sizeof(ro));
	memset(&rd, 0, sizeof(rd));
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
	/*
	 * The tick's own verdict over the whole work tree: the account's
	 * fair share and the frequency caps depend on every campaign.
	 */
	ro.now = now;
	ro.repo = root;
	ro.cmd = "plan";
	ro.dry_run = 1;
	if (round_judge(&rd, &ro, &s, NULL, &d)) {
		fprintf(stderr, "gitdial plan: %s\n", term_str(gd_error_last()));
		diags_print(stderr, &d, FMT_TEXT);
		goto cleanup;
	}
	have_round = 1;
	r = rd.repo;
	if (!(rc_ = repo_find(r, id))) {
		fprintf(stderr, "gitdial plan: no campaign '%s' in campaigns/\n", id);
		goto cleanup;
	}
	if (!rc_->c || !rc_->aud || !(cv = round_camp_find(&rd, id))) {
		fprintf(stderr, "gitdial plan: campaign '%s' has errors; fix them "
			"first (gitdial validate):\n", id);
		diags_print_campaign(&d, id);

		goto cleanup;
	}
	acct = config_account(r->cfg, rc_->c->account);
	dnc = rd.dnc;
	eff = cv->eff;
	share = repo_account_share(r, id, now, NULL, NULL, &active);
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
	unreach = round_unreachable(r->rules, rc_->c, rc_->aud, now, uwhy,
				    sizeof(uwhy));
	/* dialable × expected attempts × ~2.5 min per call, over the slots */
	est_min = cap && rc_->aud->n > dnc_n + unreach
		? (double)(rc_->aud->n - dnc_n - unreach) *
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
		x = cJSON_AddObjectToObject(o, "retries");
		cJSON_AddNumberToObject(x, "max", (double)rc_->c->retries_max);
		arr = cJSON_AddArrayToObject(x, "cooldown_minutes");
		for (i = 0; i < (size_t)rc_->c->retries_max; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(
				(double)(campaign_cooldown_s(rc_->c, (int)i + 1) / 60)));
		x = cJSON_AddObjectToObject(o, "unreachable");
		cJSON_AddNumberToObject(x, "recipients", (double)unreach);
		cJSON_AddStringToObject(x, "closed_by", uwhy);
		cJSON_AddNumberToObject(x, "horizon_days", (double)UNREACH_HORIZON_S / 86400);
		x = cJSON_AddObjectToObject(o, "verdict");
		cJSON_AddNumberToObject(x, "slots", (double)cv->slots);
		cJSON_AddNumberToObject(x, "waiting_window", (double)cv->waiting_window);
		cJSON_AddNumberToObject(x, "waiting_cooldown", (double)cv->waiting_cooldown);
		cJSON_AddNumberToObject(x, "waiting_cap", (double)cv->waiting_cap);
		cJSON_AddNumberToObject(x, "in_flight", (double)cv->in_flight_now);
		cJSON_AddNumberToObject(x, "never_open", (double)cv->never_open);
		arr = cJSON_AddArrayToObject(o, "first_batch");
		for (i = 0; i < cv->n_pick; i++) {
			char phone[PHONE_MAX];
			cJSON *b = cJSON_CreateObject();
			audience_phone(phone, &rc_->aud->r[cv->pick[i]]);
			cJSON_AddStringToObject(b, "phone", phone);
			cJSON_AddNumberToObject(b, "line", rc_->aud->r[cv->pick[i]].line);
			cJSON_AddItemToArray(arr, b);
		}
		json_emit(o);
	} else {
		char t[64];
		time_format_utc(t, now);
		/* names, zones and paths are the repository's text: escaped */
		printf("## gitdial plan: %s (\"%s\") at %s\n\n", id,
		       term_str(rc_->c->name), t);
		if (unreach)
			printf("**Warning: %zu of %zu recipients can never be called %s: "
			       "the campaign window %s never meets their legal "
			       "window (closed by %s). They stay queued; fix the "
			       "window or the schedule.**\n\n", unreach, rc_->aud->n,
			       round_unreachable_span(rc_->c, now),
			       term_str(rc_->c->window_text), term_str(uwhy));
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
			char when[160];
			if (zr[j].open)
				snprintf(when, sizeof(when), "open now");
			else if (zr[j].next) {
				fmt_time(t, sizeof(t), zr[j].next);
				str_fmt_cut(when, sizeof(when), "opens %s", t);
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
		if (rc_->c->retries_max) {
			long k;
			printf("Retries:     up to %ld, after cool-downs of", rc_->c->retries_max);
			for (k = 0; k < rc_->c->retries_max; k++)
				printf("%s %ld", k ? "," : "",
				       campaign_cooldown_s(rc_->c, (int)k + 1) / 60);
			printf(" min\n");
		} else
			printf("Retries:     none\n");
		printf("Estimate:    about %.0f minutes of dialing time inside the windows\n",
		       est_min);
		time_format_utc(t, now);
		printf("\nFirst batch at %s: %zu call%s\n", t, cv->n_pick,
		       cv->n_pick == 1 ? "" : "s");
		for (i = 0; i < cv->n_pick; i++) {
			char phone[PHONE_MAX];
			audience_phone(phone, &rc_->aud->r[cv->pick[i]]);
			printf("  %s (line %u)\n", phone, rc_->aud->r[cv->pick[i]].line);
		}
		if (!cv->n_pick && eff != ST_DIALING && eff != ST_SCHEDULED)
			printf("  (none: the campaign is %s)\n", status_labels[eff]);
		else if (!cv->n_pick)
			printf("  (none now: %zu waiting for a window, %zu for a cool-down, "
			       "%zu in flight)\n", cv->waiting_window, cv->waiting_cooldown,
			       cv->in_flight_now);
		if (d.warnings)
			printf("\n%zu row problem%s (see gitdial validate)\n", d.warnings,
			       d.warnings == 1 ? "" : "s");
	}
	rc = 0;
cleanup:
	if (have_round)
		round_release(&rd);
	free(open);
	free(zr);
	diags_release(&d);
	return rc;
}
