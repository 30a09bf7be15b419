/*
 * gitdial show ID: one campaign in detail (SPEC §8), from the branch
 * head and the same derived state the tick uses: the header, live
 * progress, the last 50 outcomes, and plain explanations of why it
 * failed, why it dials below its concurrency, and when the next window
 * opens.
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
#include "folder.h"
#include "ledger.h"
#include "repo.h"
#include "round.h"
#include "select.h"
#include "show_calls.h"
#include "state.h"
#include "summary.h"
#include "term.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial show ID [--repo PATH] [--now RFC3339] [--archived|--deleted]\n"
	"            [--format text|json]\n"
	"       gitdial show ID --calls [--outcome X[,Y]] [--limit N] "
	"[--full-numbers] [--format text|json]";

#define WEEK (7L * 24 * 3600)

struct view {
	const struct repo_campaign *rc;
	const struct account *acct;
	enum status eff;
	size_t in_flight, queued, completed, failed, skipped, not_called;
	size_t cap, share, active, concurrency;
	time_t next_open;    /* next window opening for someone waiting, 0 none */
	time_t next_retry;   /* earliest cool-down end, 0 none */
	size_t waiting_window, eligible;
	char hint[512];      /* what to do about a failure */
	char acct_code[64];  /* paused by an account error: the provider's code */
	/* the tick's verdict at now (round.h), for a campaign that dials */
	int judged;
	size_t batch, capped, never_open;
	char never_why[ROUND_WHY_MAX];
	char deleted_at[24], purged_after[24]; /* deleted/: "" when unknown */
};

/*
 * The tick's own verdict on v's campaign at now, from the same tree s:
 * who the next tick would dial (frequency caps and the account's fair
 * share included) and who waits at a place never open in a week.
 */
static int view_judge(struct view *v, struct src *s, struct store *st,
		      time_t now)
{
	struct round rd;
	struct round_opts ro;
	struct diags quiet = { 0 };
	struct round_camp *cv;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.now = now;
	ro.cmd = "show";
	ro.dry_run = 1;
	rc = round_judge(&rd, &ro, s, st, &quiet);
	if (!rc && (cv = round_camp_find(&rd, v->rc->id))) {
		v->judged = 1;
		v->batch = cv->n_pick;
		v->capped = cv->waiting_cap;
		v->never_open = cv->never_open;
		snprintf(v->never_why, sizeof(v->never_why), "%s", cv->never_why);
	}
	round_release(&rd);
	diags_release(&quiet);
	return rc;
}

/* What an operator can do about a campaign that failed for reason. */
static void failure_hint(char *out, size_t n, const char *reason)
{
	static const struct { const char *needle, *hint; } hints[] = {
		{ "21210", "the caller ID is not a verified number of the account: "
		  "verify it with the provider or pick another of the account's "
		  "caller_ids" },
		{ "21212", "the caller ID is not a valid number for the account: "
		  "pick one of the account's caller_ids" },
		{ "caller", "the provider refused the caller ID: verify it with the "
		  "provider or pick another of the account's caller_ids" },
		{ "20003", "the provider refused the credentials: check the "
		  "account's env:/file: references in gitdial.json" },
		{ "auth", "the provider refused the credentials: check the "
		  "account's env:/file: references in gitdial.json" },
		{ "credential", "the provider refused the credentials: check the "
		  "account's env:/file: references in gitdial.json" },
	};
	size_t i;

	if (!strncmp(reason, REMAINING_PREFIX, strlen(REMAINING_PREFIX))) {
		snprintf(out, n, "nothing here: the recipients not reached yet "
			 "are in the copy it names, which is the one to run");
		return;
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(reason, hints[i].needle)) {
			snprintf(out, n, "%s; then `gitdial resume` it: it dials "
				 "only the recipients not reached yet", hints[i].hint);
			return;
		}
	snprintf(out, n, "fix the cause the provider gave; then `gitdial "
		 "resume` it: it dials only the recipients not reached yet");
}

/*
 * A pause for an account error (reason starting ACCOUNT_PREFIX, read by
 * round_account_reason beside the code that writes it) into the
 * provider's code and what the operator should fix.
 */
static void account_hint(struct view *v, const char *reason)
{
	char hint[400];

	round_account_reason(reason, v->acct_code, sizeof(v->acct_code), hint,
			     sizeof(hint));
	if (hint[0])
		snprintf(v->hint, sizeof(v->hint), "%s; nobody reached is "
			 "dialed again", hint);
	else
		snprintf(v->hint, sizeof(v->hint), "the provider refused the "
			 "account's settings (code %s; docs/providers.md, Account "
			 "errors): fix them, then gitdial resume %s; nobody "
			 "reached is dialed again", v->acct_code[0] ? v->acct_code
			 : "none given", v->rc->id);
}

/* Fills the progress, capacity and window figures of v. */
static int view_fill(struct view *v, const struct repo *r,
		     const struct cstate *st, const struct dnc *dnc, time_t now)
{
	const struct campaign *c = v->rc->c;
	const struct audience *a = v->rc->aud;
	struct select_in in;
	struct select_out out;
	uint8_t *open = NULL;
	time_t *next = NULL;
	size_t i;
	int rc = 0;

	v->eff = state_shown(c, st, now, strcmp(v->rc->top, "campaigns") != 0);
	{
		struct progress p;
		summary_progress(&p, c, st, now);
		v->in_flight = p.in_flight;
		v->queued = p.queued;
		v->completed = p.completed;
		v->failed = p.failed;
		v->skipped = p.skipped;
		v->not_called = p.not_called;
	}
	v->concurrency = (size_t)c->concurrency;
	v->share = repo_account_share(r, v->rc->id, now, NULL, NULL, &v->active);
	v->cap = v->concurrency < v->share ? v->concurrency : v->share;
	if (!a || !a->n_places)
		return 0;
	if (!(open = calloc(a->n_places, 1)) ||
	    !(next = calloc(a->n_places, sizeof(*next)))) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	for (i = 0; i < a->n_places; i++)
		open[i] = (uint8_t)place_is_open(r->rules, &a->places[i], &c->window, now);
	memset(&in, 0, sizeof(in));
	in.c = c;
	in.a = a;
	in.s = st;
	in.dnc = dnc;
	in.place_open = open;
	in.now = now;
	in.slots = 0;
	if ((rc = select_batch(&out, &in)))
		goto cleanup;
	v->waiting_window = out.waiting_window;
	v->eligible = out.eligible;
	v->next_retry = out.next_cooldown;
	select_release(&out);
	/* the earliest opening among places where someone waits for one */
	for (i = 0; i < a->n && i < st->n; i++) {
		uint32_t p = a->r[i].place;
		time_t when;
		if (open[p] || rstate_eligible(c, &st->r[i], now, &when) != EL_NOW)
			continue;
		if (!next[p])
			next[p] = place_next_open(r->rules, &a->places[p], &c->window, now, WEEK, NULL, 0);
		if (next[p] && (!v->next_open || next[p] < v->next_open))
			v->next_open = next[p];
	}
cleanup:
	free(open);
	free(next);
	return rc;
}

static void mmss(char *out, size_t n, int s)
{
	snprintf(out, n, "%d:%02d", s / 60, s % 60);
}

static const char *const sentiments[] = { "", "positive", "neutral", "negative" };

static void print_json(const struct view *v, const struct cstate *st,
		       const struct config *cfg, time_t now)
{
	const struct campaign *c = v->rc->c;
	cJSON *o = cJSON_CreateObject(), *p, *arr;
	char t[21];
	size_t i, n = st->n_recent < RECENT_MAX ? st->n_recent : RECENT_MAX;

	cJSON_AddStringToObject(o, "id", v->rc->id);
	cJSON_AddStringToObject(o, "folder", v->rc->top);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "status", status_labels[v->eff]);
	cJSON_AddStringToObject(o, "account", c->account);
	cJSON_AddStringToObject(o, "provider", v->acct && v->acct->provider
				? v->acct->provider : "");
	cJSON_AddStringToObject(o, "caller_id", campaign_caller_id(c, cfg));
	if (c->created)
		cJSON_AddStringToObject(o, "created", c->created);
	else if (st->first_ts) {
		time_format_utc(t, (time_t)st->first_ts);
		cJSON_AddStringToObject(o, "created", t);
	} else
		cJSON_AddNullToObject(o, "created");
	if (st->last_ts) {
		time_format_utc(t, (time_t)st->last_ts);
		cJSON_AddStringToObject(o, "updated", t);
	} else
		cJSON_AddNullToObject(o, "updated");
	if (v->deleted_at[0]) {
		cJSON_AddStringToObject(o, "deleted_at", v->deleted_at);
		cJSON_AddStringToObject(o, "purged_after", v->purged_after);
	}
	time_format_utc(t, now);
	cJSON_AddStringToObject(o, "now", t);
	p = cJSON_AddObjectToObject(o, "progress");
	cJSON_AddNumberToObject(p, "audience", (double)st->n);
	cJSON_AddNumberToObject(p, "in_flight", (double)v->in_flight);
	cJSON_AddNumberToObject(p, "queued", (double)v->queued);
	cJSON_AddNumberToObject(p, "completed", (double)v->completed);
	cJSON_AddNumberToObject(p, "failed", (double)v->failed);
	cJSON_AddNumberToObject(p, "skipped", (double)v->skipped);
	cJSON_AddNumberToObject(p, "not_called", (double)v->not_called);
	{
		cJSON *w = cJSON_AddObjectToObject(p, "skip_reasons");
		for (i = 0; i < SKIP_WHY_MAX && st->skip_why[i].n; i++)
			cJSON_AddNumberToObject(w, st->skip_why[i].why,
						(double)st->skip_why[i].n);
	}
	cJSON_AddNumberToObject(p, "connected", (double)st->n_connected);
	cJSON_AddNumberToObject(p, "answered", (double)st->n_answered);
	cJSON_AddNumberToObject(p, "no_answer", (double)st->n_noanswer);
	p = cJSON_AddObjectToObject(o, "concurrency");
	cJSON_AddNumberToObject(p, "set", (double)v->concurrency);
	cJSON_AddNumberToObject(p, "effective", (double)v->cap);
	cJSON_AddNumberToObject(p, "account_share", (double)v->share);
	cJSON_AddNumberToObject(p, "sharing_campaigns", (double)v->active);
	if (v->next_open) {
		time_format_utc(t, v->next_open);
		cJSON_AddStringToObject(o, "next_window", t);
	} else
		cJSON_AddNullToObject(o, "next_window");
	if (v->judged) {
		p = cJSON_AddObjectToObject(o, "next_tick");
		cJSON_AddNumberToObject(p, "would_dial", (double)v->batch);
		cJSON_AddNumberToObject(p, "held_by_caps", (double)v->capped);
		cJSON_AddNumberToObject(p, "never_open", (double)v->never_open);
		if (v->never_open)
			cJSON_AddStringToObject(p, "closed_by", v->never_why);
	}
	if (v->eff == ST_FAILED || v->eff == ST_PAUSED) {
		cJSON_AddStringToObject(o, "reason", st->logged_reason);
		if (v->eff == ST_FAILED || v->acct_code[0])
			cJSON_AddStringToObject(o, "what_to_do", v->hint);
		if (v->eff == ST_PAUSED && v->acct_code[0]) {
			cJSON *ae = cJSON_AddObjectToObject(o, "account_error");
			cJSON_AddStringToObject(ae, "code", v->acct_code);
			cJSON_AddStringToObject(ae, "hint", v->hint);
		}
	}
	arr = cJSON_AddArrayToObject(o, "recent");
	for (i = 0; i < n; i++) {
		const struct outcome_rec *x =
			&st->recent[(st->n_recent - 1 - i) % RECENT_MAX];
		struct recipient rcp;
		char phone[PHONE_MAX];
		cJSON *e = cJSON_CreateObject();
		memset(&rcp, 0, sizeof(rcp));
		rcp.key = x->key;
		audience_phone(phone, &rcp);
		time_format_utc(t, (time_t)x->ts);
		cJSON_AddStringToObject(e, "ts", t);
		cJSON_AddStringToObject(e, "phone", phone);
		cJSON_AddStringToObject(e, "outcome", outcome_names[x->outcome]);
		cJSON_AddNumberToObject(e, "duration_s", x->duration_s);
		if (x->sentiment)
			cJSON_AddStringToObject(e, "sentiment", sentiments[x->sentiment]);
		if (x->recording[0])
			cJSON_AddStringToObject(e, "recording_url", x->recording);
		cJSON_AddItemToArray(arr, e);
	}
	json_emit(o);
}

static void print_text(const struct view *v, const struct cstate *st,
		       const struct config *cfg, time_t now)
{
	const struct campaign *c = v->rc->c;
	char t[21], u[21];
	size_t i, n = st->n_recent < RECENT_MAX ? st->n_recent : RECENT_MAX;

	/* the repository's and the log's text is escaped (term_str) */
	printf("%s (%s%s%s)\n", term_str(c->name), strcmp(v->rc->top, "campaigns")
	       ? v->rc->top : "", strcmp(v->rc->top, "campaigns") ? "/" : "",
	       v->rc->id);
	printf("  Status       %s%s%s\n", status_labels[v->eff],
	       v->eff == ST_PAUSED && st->logged_reason[0] ? " — " : "",
	       v->eff == ST_PAUSED ? term_str(st->logged_reason) : "");
	printf("  Provider     %s (account %s), caller ID %s\n",
	       v->acct && v->acct->provider ? v->acct->provider : "?",
	       term_str(c->account), term_str(campaign_caller_id(c, cfg)));
	if (c->created)
		snprintf(t, sizeof(t), "%s", c->created);
	else if (st->first_ts)
		time_format_utc(t, (time_t)st->first_ts);
	else
		snprintf(t, sizeof(t), "-");
	if (st->last_ts)
		time_format_utc(u, (time_t)st->last_ts);
	else
		snprintf(u, sizeof(u), "-");
	printf("  Created      %s\n  Updated      %s\n", term_str(t), u);
	if (v->deleted_at[0])
		printf("  Deleted      %s; restorable until %s, then the first "
		       "tick purges it\n", v->deleted_at, v->purged_after);
	printf("  Audience     %s: %zu recipients\n",
	       term_str(c->audience_csv ? c->audience_csv : c->audience_segment),
	       st->n);
	printf("  Progress     %zu in flight, %zu queued, %zu completed, "
	       "%zu failed, %zu skipped", v->in_flight, v->queued, v->completed,
	       v->failed, v->skipped);
	if (v->not_called)
		printf(", %zu not called (the campaign is %s)", v->not_called,
		       status_labels[v->eff]);
	printf("\n");
	if (st->n_skipped) {
		/* from the skip events' reasons */
		printf("  Skipped      %zu:", st->n_skipped);
		for (i = 0; i < SKIP_WHY_MAX && st->skip_why[i].n; i++)
			printf("%s %s %u", i ? "," : "", term_str(st->skip_why[i].why),
			       st->skip_why[i].n);
		printf("\n");
	}
	printf("  Outcomes     %zu connected, %zu answered (30 s+), "
	       "%zu no answer\n", st->n_connected, st->n_answered, st->n_noanswer);
	printf("  Concurrency  %zu", v->cap);
	if (v->cap < v->concurrency)
		printf(" of %zu set: account %s's max_concurrency %ld is shared "
		       "by %zu campaign%s, %zu each", v->concurrency,
		       term_str(c->account),
		       v->acct ? v->acct->max_concurrency : 0L, v->active,
		       v->active == 1 ? "" : "s", v->share);
	printf("\n  Window       %s (recipient's local time, within the legal "
	       "hours of their jurisdiction)\n", term_str(c->window_text));
	if (v->eff == ST_DIALING || v->eff == ST_SCHEDULED) {
		if (v->eff == ST_SCHEDULED && c->start_at > now) {
			time_format_utc(t, c->start_at);
			printf("  Starts       %s\n", t);
		} else if (v->eff == ST_SCHEDULED && c->start_at) {
			/* due, but no tick has started it yet */
			time_format_utc(t, c->start_at);
			printf("  Starts       at the next tick (start_at %s has "
			       "passed)\n", t);
		}
		if (v->eff == ST_SCHEDULED && c->start_at > now)
			;
		else if (v->judged && v->batch)
			printf("  Next         the next tick dials %zu recipient%s\n",
			       v->batch, v->batch == 1 ? "" : "s");
		else if (!v->judged && v->eligible)
			printf("  Next         %zu recipient%s can be called now\n",
			       v->eligible, v->eligible == 1 ? "" : "s");
		else if (v->next_open) {
			time_format_utc(t, v->next_open);
			printf("  Next         the window opens at %s for %zu waiting "
			       "recipient%s\n", t, v->waiting_window,
			       v->waiting_window == 1 ? "" : "s");
		}
		if (v->judged && v->capped)
			printf("  Caps         %zu held back by frequency caps for now\n",
			       v->capped);
		if (v->judged && v->never_open)
			printf("  Never open   %zu recipient%s can never be called in a "
			       "week: the window never meets their legal window "
			       "(closed by %s); they stay queued\n", v->never_open,
			       v->never_open == 1 ? "" : "s", term_str(v->never_why));
		if (v->next_retry && !v->eligible) {
			time_format_utc(t, v->next_retry);
			printf("  Retries      the next cool-down ends at %s\n", t);
		}
	}
	if (v->eff == ST_FAILED) {
		printf("  Failed       %s\n", term_str(st->logged_reason));
		printf("  What to do   %s\n", term_str(v->hint));
	}
	if (v->eff == ST_PAUSED && v->acct_code[0]) {
		printf("  Account      the provider refused account %s: code %s\n",
		       term_str(c->account), term_str(v->acct_code));
		printf("  What to do   %s\n", term_str(v->hint));
	}
	printf("\nLast %zu outcome%s (newest first)\n", n, n == 1 ? "" : "s");
	if (!n) {
		printf("  none yet\n");
		return;
	}
	printf("  %-20s  %-16s  %-9s  %8s  %-9s  %s\n", "Time", "Phone",
	       "Outcome", "Duration", "Sentiment", "Recording");
	for (i = 0; i < n; i++) {
		const struct outcome_rec *x =
			&st->recent[(st->n_recent - 1 - i) % RECENT_MAX];
		struct recipient rcp;
		char phone[PHONE_MAX], d[16];
		memset(&rcp, 0, sizeof(rcp));
		rcp.key = x->key;
		audience_phone(phone, &rcp);
		time_format_utc(t, (time_t)x->ts);
		mmss(d, sizeof(d), x->duration_s);
		printf("  %-20s  %-16s  %-9s  %8s  %-9s  %s\n", t, phone,
		       outcome_names[x->outcome], d,
		       x->sentiment ? sentiments[x->sentiment] : "-",
		       x->recording[0] ? term_str(x->recording) : "-");
	}
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "archived", no_argument, NULL, 'A' },
		{ "deleted", no_argument, NULL, 'D' },
		{ "calls", no_argument, NULL, 'C' },
		{ "outcome", required_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'L' },
		{ "full-numbers", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = ".", *id;
	char cache_dir[4096];
	struct store *st = NULL;
	struct repo *r = NULL;
	struct dnc *dnc = NULL;
	struct diags d = { 0 };
	struct cstate cs;
	struct view v;
	struct src s;
	git_oid head;
	time_t now = time(NULL);
	unsigned top = 0;
	int fmt = FMT_TEXT, c, rc = 1, found, have_src = 0, have_state = 0, err;
	struct calls_opts co = { 0, CALLS_LIMIT_DEFAULT, 0, 0 };
	int calls = 0, calls_only = 0;
	char why[160];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'n':
			if (time_parse_rfc3339(&now, optarg))
				return usage_error("show", usage, "--now: bad time '%s'",
						   optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("show", usage, "unknown format '%s'",
						   optarg);
			break;
		case 'A': top = REPO_ARCHIVED; break;
		case 'D': top = REPO_DELETED; break;
		case 'C': calls = 1; break;
		case 'O':
			if (calls_parse_outcomes(&co.outcomes, optarg, why, sizeof(why)))
				return usage_error("show", usage, "--outcome: %s", why);
			calls_only = 1;
			break;
		case 'L':
			if (calls_parse_limit(&co.limit, optarg))
				return usage_error("show", usage, "--limit: \"%s\" is "
						   "not a whole number from 1 to %d",
						   term_str(optarg), CALLS_LIMIT_MAX);
			calls_only = 1;
			break;
		case 'F': co.full_numbers = 1; calls_only = 1; break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("show", usage, "bad option");
		}
	}
	if (argc - optind != 1)
		return usage_error("show", usage, "give one campaign id");
	if (calls_only && !calls)
		return usage_error("show", usage, "--outcome, --limit and "
				   "--full-numbers go with --calls");
	co.json = fmt == FMT_JSON;
	id = argv[optind];
	if (!id_valid(id))
		return usage_error("show", usage, "'%s' is not a campaign id "
				   "(expected [a-z0-9][a-z0-9-]{0,63})", id);
	memset(&v, 0, sizeof(v));
	if (store_open(&st, root) || store_sync(st, NULL, &head, &found)) {
		fprintf(stderr, "gitdial show: %s\n", gd_error_last());
		goto cleanup;
	}
	if (!found) {
		fprintf(stderr, "gitdial show: the branch '%s' has no commit yet\n",
			store_branch(st));
		goto cleanup;
	}
	if (src_init_tree(&s, st, &head)) {
		fprintf(stderr, "gitdial show: %s\n", gd_error_last());
		goto cleanup;
	}
	have_src = 1;
	if (!str_fmt(cache_dir, sizeof(cache_dir), "%s/gitdial/cache",
		     store_gitdir(st)) && !getenv("GITDIAL_NO_CACHE"))
		s.cache_dir = cache_dir; /* the tick's audience cache */
	/* every campaign of the tab: the account's cap is shared among them */
	err = repo_load(&r, &s, NULL, REPO_AUDIENCE | REPO_PLACES | top, &d);
	if (err) {
		fprintf(stderr, "gitdial show: gitdial.json is invalid (gitdial "
			"validate)\n");
		goto cleanup;
	}
	if (!(v.rc = repo_find(r, id))) {
		fprintf(stderr, "gitdial show: no campaign '%s' in %s/\n", id,
			top == REPO_ARCHIVED ? "archived"
			: top == REPO_DELETED ? "deleted" : "campaigns");
		goto cleanup;
	}
	if (!v.rc->c) {
		fprintf(stderr, "gitdial show: %s/%s/campaign.json is invalid:\n",
			v.rc->top, id);
		diags_print(stderr, &d, FMT_TEXT);
		goto cleanup;
	}
	if (dnc_load(&dnc, &s, NULL) || state_init(&cs, v.rc->aud)) {
		fprintf(stderr, "gitdial show: %s\n", gd_error_last());
		goto cleanup;
	}
	have_state = 1;
	if (ledger_replay(&cs, &s, id)) {
		fprintf(stderr, "gitdial show: %s\n", gd_error_last());
		goto cleanup;
	}
	if (calls) {
		if (show_calls(&s, v.rc, &cs, &co)) {
			fprintf(stderr, "gitdial show: %s\n", gd_error_last());
			goto cleanup;
		}
		rc = 0;
		goto cleanup;
	}
	v.acct = config_account(r->cfg, v.rc->c->account);
	if (view_fill(&v, r, &cs, dnc, now)) {
		fprintf(stderr, "gitdial show: %s\n", gd_error_last());
		goto cleanup;
	}
	if (!top && (v.eff == ST_DIALING || (v.eff == ST_SCHEDULED &&
	     v.rc->c->start_at <= now)) && view_judge(&v, &s, st, now)) {
		fprintf(stderr, "gitdial show: %s\n", term_str(gd_error_last()));
		goto cleanup;
	}
	if (v.eff == ST_FAILED)
		failure_hint(v.hint, sizeof(v.hint), cs.logged_reason);
	else if (v.eff == ST_PAUSED &&
		 !strncmp(cs.logged_reason, ACCOUNT_PREFIX, strlen(ACCOUNT_PREFIX)))
		account_hint(&v, cs.logged_reason);
	if (top == REPO_DELETED) {
		struct buf mk = BUF_INIT(4096);
		char path[160], from[16];
		time_t when;
		snprintf(path, sizeof(path), "deleted/%s/%s", id, DELETED_MARKER);
		if (!s.read(&s, path, &mk, 4096) &&
		    !deleted_marker_parse(mk.ptr, mk.len, &when, from)) {
			time_format_utc(v.deleted_at, when);
			time_format_utc(v.purged_after, when + FOLDER_RETENTION_S);
		}
		buf_release(&mk);
	}
	if (fmt == FMT_JSON)
		print_json(&v, &cs, r->cfg, now);
	else
		print_text(&v, &cs, r->cfg, now);
	rc = 0;
cleanup:
	if (have_state)
		state_release(&cs);
	dnc_free(dnc);
	repo_free(r);
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	diags_release(&d);
	return rc;
}
