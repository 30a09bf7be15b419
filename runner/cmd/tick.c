/*
 * gitdial tick and gitdial ingest: the options, the loop of --for and
 * what is printed. The engine itself (load, ingest, reconcile, judge,
 * claim, place, record) is runner/core/round.c.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "err.h"
#include "repo.h"
#include "round.h"
#include "term.h"
#include "trace.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial tick [--repo PATH] [--remote NAME] [--now RFC3339] [--shard I/N]\n"
	"             [--dry-run] [--spool DIR] [--max-seconds N] [--format text|json]\n"
	"             [--for DURATION [--every SECONDS]]";
static const char ingest_usage[] =
	"gitdial ingest [--repo PATH] [--remote NAME] [--spool DIR] [--now RFC3339]\n"
	"               [--format text|json]";

/* The command line: the engine's options and the loop's. */
struct opts {
	struct round_opts r;
	int now_given, json;
	long for_s, every_s; /* --for, --every */
};

static void print_summary(struct round *r, int json, const git_oid *claim,
			  const git_oid *place, int dry)
{
	cJSON *root = json ? cJSON_CreateObject() : NULL, *arr = NULL;
	size_t i;

	if (root) {
		char hex[41];
		arr = cJSON_AddArrayToObject(root, "campaigns");
		cJSON_AddBoolToObject(root, "dry_run", dry);
		git_oid_tostr(hex, sizeof(hex), claim);
		cJSON_AddStringToObject(root, "claim_commit", claim && !git_oid_is_zero(claim) ? hex : "");
		git_oid_tostr(hex, sizeof(hex), place);
		cJSON_AddStringToObject(root, "place_commit", place && !git_oid_is_zero(place) ? hex : "");
		cJSON_AddNumberToObject(root, "exit_code", round_exit_code(r->alerts));
		/* claim commits lost to another runner's push, each re-planned */
		cJSON_AddNumberToObject(root, "claim_rounds_lost",
					r->claim_rounds > 1 ? r->claim_rounds - 1 : 0);
		cJSON_AddBoolToObject(root, "runner_config_error",
				      (r->alerts & ROUND_ALERT_CONFIG) != 0);
		cJSON_AddBoolToObject(root, "campaign_not_run",
				      (r->alerts & ROUND_ALERT_UNREAD) != 0);
		cJSON_AddBoolToObject(root, "campaign_failed_or_paused",
				      (r->alerts & ROUND_ALERT_CAMPAIGN) != 0);
	}
	for (i = 0; i < r->n; i++) {
		struct round_camp *c = &r->camps[i];
		enum status now_st = c->failed_now ? ST_FAILED
			: c->paused_now ? ST_PAUSED
			: state_effective(c->rc->c, &c->st, r->o->now);
		size_t inflight, j;
		if (!c->lines.len && !c->placed.len && !dry && !c->blocked)
			continue;
		inflight = state_in_flight(&c->st);
		if (root) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", c->rc->id);
			cJSON_AddStringToObject(o, "status", status_names[now_st]);
			cJSON_AddNumberToObject(o, "dispatched", (double)c->dispatched);
			cJSON_AddNumberToObject(o, "placed", (double)c->n_placed);
			cJSON_AddNumberToObject(o, "failed", (double)c->n_failed);
			cJSON_AddNumberToObject(o, "ingested", (double)c->ingested);
			cJSON_AddNumberToObject(o, "reconciled", (double)c->reconciled);
			cJSON_AddNumberToObject(o, "skipped", (double)c->skipped);
			cJSON_AddNumberToObject(o, "in_flight", (double)inflight);
			if (c->blocked)
				cJSON_AddStringToObject(o, "alert", "runner configuration: "
							"its account's secrets do not "
							"resolve on this runner");
			else if (c->failed_now)
				cJSON_AddStringToObject(o, "alert", c->fail_reason);
			else if (c->paused_now)
				cJSON_AddStringToObject(o, "alert", c->pause_reason);
			if (dry) {
				cJSON *b = cJSON_AddArrayToObject(o, "batch");
				for (j = 0; j < c->n_pick; j++) {
					char phone[PHONE_MAX];
					audience_phone(phone, &c->rc->aud->r[c->pick[j]]);
					cJSON_AddItemToArray(b, cJSON_CreateString(phone));
				}
			}
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		if (c->blocked) {
			printf("%s: %s, left as it is: its account's secrets do not "
			       "resolve on this runner\n", c->rc->id,
			       status_labels[now_st]);
			continue;
		}
		printf("%s: %s, %s%zu dialed, %zu placed, %zu failed, %zu outcomes in, "
		       "%zu skipped, %zu in flight\n", c->rc->id, status_labels[now_st],
		       dry ? "would dial " : "+", c->dispatched, c->n_placed,
		       c->n_failed, c->ingested + c->reconciled, c->skipped, inflight);
		if (dry)
			for (j = 0; j < c->n_pick; j++) {
				char phone[PHONE_MAX];
				audience_phone(phone, &c->rc->aud->r[c->pick[j]]);
				printf("  %s (line %u)\n", phone, c->rc->aud->r[c->pick[j]].line);
			}
	}
	if (root)
		json_emit(root);
}

/*
 * A duration for --for: a whole number of seconds, or parts with units
 * ("90", "90s", "4m30s", "1h"); at most a day. 0 or -1.
 */
static int duration_parse(long *out, const char *s)
{
	long total = 0, v;
	char *end;

	if (!*s)
		return -1;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		v = strtol(s, &end, 10);
		switch (*end) {
		case 'h': v *= 3600; end++; break;
		case 'm': v *= 60; end++; break;
		case 's': end++; break;
		case '\0': break;
		default: return -1;
		}
		total += v;
		if (total > 86400)
			return -1;
		s = end;
	}
	*out = total;
	return total > 0 ? 0 : -1;
}

static int parse_opts(struct opts *o, int argc, char **argv, int ingest_only)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "remote", required_argument, NULL, 'R' },
		{ "now", required_argument, NULL, 'n' },
		{ "shard", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "spool", required_argument, NULL, 'S' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "for", required_argument, NULL, 'F' },
		{ "every", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = ingest_only ? "ingest" : "tick";
	const char *use = ingest_only ? ingest_usage : usage;
	int c, f;
	char *end;

	memset(o, 0, sizeof(o[0]));
	o->r.repo = ".";
	o->r.now = time(NULL);
	o->r.cmd = cmd;
	o->r.ingest_only = ingest_only;
	o->r.fn_dir = self_dir();
	o->every_s = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ingest_only && (c == 's' || c == 'd' || c == 'm' || c == 'F' ||
				    c == 'E'))
			return usage_error(cmd, use, "%s is an option of gitdial tick",
					   argv[optind - 1]);
		switch (c) {
		case 'r': o->r.repo = optarg; break;
		case 'R': o->r.remote = optarg; break;
		case 'S': o->r.spool = optarg; break;
		case 'd': o->r.dry_run = 1; break;
		case 'n':
			if (time_parse_rfc3339(&o->r.now, optarg))
				return usage_error(cmd, use, "--now: \"%s\" is not "
						   "an RFC 3339 time with an offset", optarg);
			o->now_given = 1;
			break;
		case 's': {
			unsigned long i = strtoul(optarg, &end, 10), n;
			if (*end != '/' || (n = strtoul(end + 1, &end, 10)) == 0 ||
			    *end || i >= n || n > 10000)
				return usage_error(cmd, use, "--shard: expected I/N "
						   "with 0 <= I < N, got \"%s\"", optarg);
			o->r.shard_i = (unsigned)i;
			o->r.shard_n = (unsigned)n;
			break;
		}
		case 'm':
			o->r.max_seconds = strtol(optarg, &end, 10);
			if (*end || o->r.max_seconds < 1)
				return usage_error(cmd, use, "--max-seconds: "
						   "expected a whole number of seconds");
			break;
		case 'F':
			if (duration_parse(&o->for_s, optarg))
				return usage_error(cmd, use, "--for: expected a duration "
						   "such as 270, 4m30s or 1h (at most 24h), "
						   "got \"%s\"", optarg);
			break;
		case 'E':
			o->every_s = strtol(optarg, &end, 10);
			if (*end || o->every_s < 1 || o->every_s > 3600)
				return usage_error(cmd, use, "--every: expected 1 to "
						   "3600 seconds, got \"%s\"", optarg);
			break;
		case 'f':
			if ((f = format_parse(optarg, "text,json")) < 0)
				return usage_error(cmd, use, "unknown format '%s'", optarg);
			o->json = f == FMT_JSON;
			break;
		case 'h': printf("usage: %s\n", use); return -1;
		default: return usage_error(cmd, use, "bad option");
		}
	}
	if (optind < argc)
		return usage_error(cmd, use, "unexpected argument '%s'", argv[optind]);
	if (o->r.dry_run && o->for_s)
		return usage_error(cmd, use, "--dry-run and --for do not go together");
	return 0;
}

/*
 * One whole tick (or, for ingest, its ingest step alone), printed.
 * Returns 0 or an error (1); *alerts gets the ROUND_ALERT_* bits of
 * what it saw.
 */
static int tick_once(struct opts *o, struct store *st, unsigned *alerts,
		     int quiet_config)
{
	struct round r;
	struct diags d = { 0 };
	size_t i;
	int rc;

	o->r.quiet_config = quiet_config;
	rc = round_tick(&r, &o->r, st, &d);
	if (rc) {
		fprintf(stderr, "gitdial %s: %s\n", o->r.cmd, term_str(gd_error_last()));
		diags_print(stderr, &d, FMT_TEXT);
		rc = 1;
		goto done;
	}
	/* broken campaigns do not stop the others, but people must hear of it */
	for (i = 0; !o->r.dry_run && i < d.n; i++) {
		char where[32] = "";
		if (d.v[i].level != DIAG_ERROR)
			continue;
		if (d.v[i].line)
			snprintf(where, sizeof(where), ":%lu", d.v[i].line);
		fprintf(stderr, "gitdial %s: not run: %s%s: %s%s%s\n", o->r.cmd,
			term_str(d.v[i].file), where,
			d.v[i].field ? term_str(d.v[i].field) : "",
			d.v[i].field ? ": " : "", term_str(d.v[i].msg));
	}
	if (o->r.dry_run) {
		print_summary(&r, o->json, NULL, NULL, 1);
		goto done;
	}
	print_summary(&r, o->json, &r.claim, &r.placed, 0);
	if (r.claim_rounds > 1 && !o->json)
		printf("(the branch moved under this %s %d time%s; it re-planned "
		       "from the new head each time)\n", o->r.cmd, r.claim_rounds - 1,
		       r.claim_rounds == 2 ? "" : "s");
done:
	*alerts |= r.alerts;
	round_release(&r);
	diags_release(&d);
	return rc;
}

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}


/*
 * tick and ingest. With --for, complete ticks one after another until
 * the time is up, each starting --every seconds after the one before
 * (at once when one took longer); SIGTERM and SIGINT end the loop after
 * the tick in progress, whose claims are then placed and recorded as
 * usual. With --now the clock is simulated: each tick is --every
 * seconds after the one before, with no waiting.
 */
static int tick_main(int argc, char **argv, int ingest_only)
{
	struct opts o;
	struct store *st = NULL;
	struct sigaction sa, old_term, old_int;
	struct timespec start, next;
	unsigned alerts = 0, seen = 0;
	int rc, n = 0, failures = 0;

	trace_mark("start");
	if ((rc = parse_opts(&o, argc, argv, ingest_only)))
		return rc < 0 ? 0 : rc;
	if (store_open(&st, o.r.repo)) {
		fprintf(stderr, "gitdial %s: %s\n", o.r.cmd, gd_error_last());
		return 1;
	}
	if (!o.for_s) {
		rc = tick_once(&o, st, &alerts, 0);
		store_free(st);
		trace_mark("end");
		return rc ? rc : round_exit_code(alerts);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	clock_gettime(CLOCK_MONOTONIC, &start);
	next = start;
	for (;;) {
		unsigned a = 0;
		struct timespec now;
		double since;
		rc = tick_once(&o, st, &a, (seen & ROUND_ALERT_CONFIG) != 0);
		n++;
		seen |= a;
		alerts |= a;
		failures += rc != 0;
		if (stop_asked)
			break;
		next.tv_sec += o.every_s;
		if (o.now_given) {
			/* a simulated clock: the next tick's time, no waiting */
			if ((long)n * o.every_s >= o.for_s)
				break;
			o.r.now += o.every_s;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		since = (double)(next.tv_sec - start.tv_sec) +
			(double)(next.tv_nsec - start.tv_nsec) / 1e9;
		if (since >= (double)o.for_s)
			break;
		/* wait for the next start (or a signal); the clock is real */
		while (!stop_asked && (now.tv_sec < next.tv_sec ||
				       (now.tv_sec == next.tv_sec &&
					now.tv_nsec < next.tv_nsec))) {
			struct timespec left;
			left.tv_sec = next.tv_sec - now.tv_sec;
			left.tv_nsec = next.tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000L;
			}
			nanosleep(&left, NULL); /* EINTR on a signal */
			clock_gettime(CLOCK_MONOTONIC, &now);
		}
		if (stop_asked)
			break;
		o.r.now = time(NULL);
		if (now.tv_sec > next.tv_sec)
			next = now; /* a tick ran long: no burst to catch up */
	}
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	if (!o.json)
		printf("%d tick%s in %s%s\n", n, n == 1 ? "" : "s",
		       stop_asked ? "the time before a stop signal" : "--for",
		       failures ? " (some failed: see above)" : "");
	store_free(st);
	trace_mark("end");
	return failures ? 1 : round_exit_code(alerts);
}

int cmd_tick(int argc, char **argv)
{
	return tick_main(argc, argv, 0);
}

int cmd_ingest(int argc, char **argv)
{
	return tick_main(argc, argv, 1);
}
