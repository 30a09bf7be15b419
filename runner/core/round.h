/*
 * The tick's engine: one round of the stateless runner, and the
 * per-campaign verdict that `tick`, `tick --dry-run`, `plan` and `show`
 * all read, so they cannot disagree about who is dialed now.
 *
 *   sync -> load -> ingest the spool -> reconcile -> judge (status,
 *   skips, the batch) -> claim (commit + publish: a recipient is dialed
 *   only once its `dispatched` line is on the branch) -> place ->
 *   commit outcomes.
 *
 * A claim that loses the race (someone else moved the branch) is thrown
 * away whole and the round starts over from the new head: nothing was
 * dialed for it. The commit of `placed` lines is append-only, so when it
 * races it is simply made again on the new head.
 *
 * The engine prints nothing on stdout; warnings about the runner's own
 * files (spool quarantine, configuration) go to stderr, escaped. The
 * caller (runner/cmd/tick.c) prints the round's results.
 */
#ifndef GD_ROUND_H
#define GD_ROUND_H

#include <git2/oid.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "spool.h"
#include "state.h"
#include "src.h"
#include "store.h"

struct round_opts {
	const char *repo;     /* the repository's path, for the functions */
	const char *remote;   /* publish to this remote (NULL: the local branch) */
	const char *spool;    /* the spool directory (NULL: the default) */
	const char *cmd;      /* "tick" or "ingest", for messages */
	const char *fn_dir;   /* where the gitdial-<provider> binaries are */
	time_t now;
	unsigned shard_i, shard_n;
	int dry_run;          /* judge only: claim, place and commit nothing */
	int ingest_only;      /* gitdial ingest: the spool into the log, nothing else */
	int quiet_config;     /* a configuration error was said already (tick --for) */
	long max_seconds;     /* 0: no limit besides the placing budget */
};

/* What the round saw, for the exit code (the most serious wins). */
#define ROUND_ALERT_CAMPAIGN 1u /* a campaign failed or the runner paused it */
#define ROUND_ALERT_UNREAD 2u   /* a campaign could not be read: not run */
#define ROUND_ALERT_CONFIG 4u   /* the runner is misconfigured */
#define ROUND_EXIT_CAMPAIGN 3
#define ROUND_EXIT_UNREAD 4
#define ROUND_EXIT_CONFIG 5

#define ROUND_WHY_MAX 96

/*
 * One campaign's work and verdict in a round. After round_tick or
 * round_judge the counters say what happened (or, judged, what would).
 */
struct round_camp {
	struct repo_campaign *rc;
	const struct account *acct;
	struct cstate st;
	int loaded;
	enum status eff;    /* the status it was judged in */
	struct buf lines;   /* the claim commit's new lines */
	struct buf placed;  /* the place commit's new lines */
	uint32_t *pick;     /* the batch: audience indexes, in audience order */
	size_t n_pick;
	size_t ingested, dispatched, n_placed, n_failed, skipped, reconciled;
	/* the verdict's figures (select.h's, at the round's now) */
	size_t waiting_window, waiting_cooldown, waiting_cap, in_flight_now;
	time_t next_cooldown;
	/*
	 * Recipients whose place has no callable time in the next week
	 * (nor before end_at): they stay queued, never skipped for
	 * windows alone; never_why names the rule of the first such place.
	 */
	size_t never_open;
	char never_why[ROUND_WHY_MAX];
	int failed_now;     /* a provider rejected the campaign */
	char fail_reason[300];
	int paused_now;     /* the runner paused it this tick (breaker, account) */
	char pause_reason[400];
	int st_paused_logged; /* that pause is already in lines */
	int blocked;        /* its account's secrets do not resolve here */
	int checked;        /* the secrets check looked at its account */
	size_t slots;
};

struct round_claims { const struct cstate *st; size_t upto; };
struct ledger_ahead;

/* One round: the caller's after round_tick/round_judge, until round_release. */
struct round {
	const struct round_opts *o;
	struct store *st;      /* NULL when judging a plain source */
	git_oid head;
	struct src src;
	int have_src;          /* src is this round's (released with it) */
	struct repo *repo;
	struct dnc *dnc;
	struct caps *caps; /* this round's own claims per number, for caps */
	/* every campaign's claims as loaded (the round's and another
	 * shard's), for frequency caps: st's first upto claims */
	struct round_claims *claims;
	size_t n_claims;
	struct cstate *others; /* another shard's campaigns, read only */
	size_t n_others;
	struct round_camp *camps;
	size_t n;
	struct spool_list spool;
	uint8_t *spool_done; /* per spool file: committed, remove after publish */
	uint8_t *spool_bad;
	const char **spool_why; /* per bad spool file: why */
	struct buf dnc_lines;
	char spool_dir[4096];
	struct spool_sweep *sweep; /* removing earlier rounds' published files */
	struct ledger_ahead *ahead; /* a cold campaign's log, parsed early */
	char ahead_id[64 + 1];
	unsigned alerts;            /* ROUND_ALERT_* */
	git_oid claim, placed;      /* the commits made (zero: none) */
	int claim_rounds;           /* claim attempts (more than 1: it raced) */
	char cache_dir[4096];       /* the state cache's directory, "" none */
};

/*
 * One whole round from the branch head of st (its remote with
 * o->remote): everything it needs is read afresh, so rounds repeated by
 * `tick --for` are as independent as ticks started by cron. With
 * o->dry_run it stops after judging (nothing claimed, the batches in
 * each camp's pick). Campaigns that could not be read are in *d and set
 * ROUND_ALERT_UNREAD. Returns 0 or an error (gd_error_last); *r is the
 * caller's to read and round_release in both cases.
 */
int round_tick(struct round *r, const struct round_opts *o, struct store *st,
	       struct diags *d);

/*
 * The verdict without a runner: every campaign of s (a work tree or a
 * commit's tree) judged at o->now as round_tick would judge it with an
 * empty spool and nothing to reconcile: status, skips, frequency caps,
 * the account's fair share, the batch. Nothing is written. st, when not
 * NULL, lends its state cache. Find a campaign with round_camp_find.
 */
int round_judge(struct round *r, const struct round_opts *o, struct src *s,
		struct store *st, struct diags *d);

/* The campaign id's work in r, or NULL (not in r's shard, or unreadable). */
struct round_camp *round_camp_find(struct round *r, const char *id);

/* Frees what r holds; r can be used again. */
void round_release(struct round *r);

/*
 * How many of a's recipients have no callable time between max(now,
 * start_at) and end_at or a week later, whichever comes first: the
 * campaign window, the legal windows of their zones and the schedule
 * never meet (a needs its places). *why gets the rules that close the
 * first such place ("window" when the campaign window itself never
 * opens). validate warns and plan's headline says so; the tick keeps
 * them queued.
 */
#define UNREACH_HORIZON_S (7L * 86400)
struct rules;
struct campaign;
struct audience;
size_t round_unreachable(const struct rules *ru, const struct campaign *c,
			 const struct audience *a, time_t now, char *why,
			 size_t why_n);
/*
 * Reads back what an account pause's reason (ACCOUNT_PREFIX, written by
 * the round) carries: the provider's code into code ("" when the reason
 * has none) and its hint, up to "; it said: ", into hint ("" when none).
 */
void round_account_reason(const char *reason, char *code, size_t code_n,
			  char *hint, size_t hint_n);

/*
 * The span round_unreachable judges, for people: "before end_at" when
 * end_at comes within UNREACH_HORIZON_S of the start, else "in any week".
 */
const char *round_unreachable_span(const struct campaign *c, time_t now);

/* The exit code for alerts (ROUND_ALERT_* bits), 0 when none. */
int round_exit_code(unsigned alerts);

#endif
