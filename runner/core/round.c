/*
 * The tick's engine (round.h): one round of the stateless runner and
 * the verdict that tick, plan and show share. The steps, in the order
 * round_tick runs them:
 *
 *   round_load      the repository at the head, every campaign's state
 *   secrets_check   accounts whose secrets do not resolve here sit out
 *   ingest          the spool's events into the logs, opt-outs into dnc/
 *   reconcile       claims never placed, calls that should have ended
 *   judge_campaign  status, skips and the batch (the verdict)
 *   build_change    the claim commit, published with compare-and-swap
 *   place_calls     the functions dial; the place commit records it
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "caps.h"
#include "checkout.h"
#include "dnc.h"
#include "err.h"
#include "fnexec.h"
#include "folder.h"
#include "html.h"
#include "ledger.h"
#include "publish.h"
#include "render.h"
#include "repo.h"
#include "round.h"
#include "select.h"
#include "shard.h"
#include "spool.h"
#include "state.h"
#include "store.h"
#include "term.h"
#include "testhook.h"
#include "trace.h"
#include "trust.h"
#include "util.h"
#include "banned.h"

#define CLAIM_GRACE_S 120  /* a claim younger than this may still be placing */
#define PLACE_BUDGET_S 90  /* no call starts later than this after its claim */
#define ROUNDS_MAX 20      /* claim attempts before giving up this tick */
#define SWEEP_GRACE_MS 500 /* the spool sweep's time after the round */
/*
 * Dial requests in flight at once (cps still spaces their starts): the
 * threads of one function process in batch mode (fnexec.c), so cheap.
 */
#define PLACE_PARALLEL 50
#define HOOK_SECRET_MAX_RUNNER 4096
#define RUNNER_NAME "gitdial runner"
#define RUNNER_EMAIL "runner@gitdial.invalid"

/*
 * The engine's event writes: a line that cannot be written marks its
 * buffer failed (buf_fail), and the commit that would carry the buffer
 * is then refused whole, never made without the event.
 */
static void log_status(struct buf *b, time_t ts, const char *id,
		       const char *status, const char *why)
{
	buf_fail(b, ev_status(b, ts, id, status, why));
}

static void log_placed(struct buf *b, time_t ts, const char *id,
		       const char *aid, const char *call_id)
{
	buf_fail(b, ev_placed(b, ts, id, aid, call_id));
}

static void log_failed(struct buf *b, time_t ts, const char *id,
		       const char *aid, const char *call_id, const char *kind,
		       const char *code, const char *msg)
{
	buf_fail(b, ev_failed(b, ts, id, aid, call_id, kind, code, msg));
}

/*
 * A status event for campaign c at the round's now: written into its
 * claim lines and applied to its state in one step, so what the round
 * decides next sees it. 0, or the writer's error (c->lines then failed).
 */
static int camp_status(struct round *r, struct round_camp *c,
		       const char *status, const char *why)
{
	size_t before = c->lines.len;
	int rc = ev_status(&c->lines, r->o->now, c->rc->id, status, why);

	buf_fail(&c->lines, rc);
	if (!rc)
		ledger_apply(&c->st, c->lines.ptr + before, c->lines.len - before);
	return rc;
}

/*
 * The provider refused the account, not the number (error kind
 * `account`): the campaign is paused with ACCOUNT_PREFIX, the code,
 * the provider's message and its hint, until an operator resumes it.
 */
static void account_pause_reason(struct round_camp *c, const char *code,
				 const char *msg, const char *hint)
{
	char m[160], h[160];

	utf8_truncate(m, sizeof(m), msg ? msg : "");
	utf8_truncate(h, sizeof(h), hint ? hint : "");
	c->paused_now = 1;
	/* code and hint first, where round_account_reason reads them back
	 * (the state keeps 256 bytes of a reason) */
	str_fmt_cut(c->pause_reason, sizeof(c->pause_reason),
		    ACCOUNT_PREFIX " the provider refused account %s (%s)%s%s; "
		    "it said: %s; fix it, then gitdial resume %s",
		    c->rc->c->account, code && *code ? code : "no code",
		    *h ? "; hint: " : "", h, m, c->rc->id);
}

void round_account_reason(const char *reason, char *code, size_t code_n,
			  char *hint, size_t hint_n)
{
	const char *p = strchr(reason, '('), *q = p ? strchr(p, ')') : NULL;
	const char *h = strstr(reason, "; hint: "), *e;
	size_t n;

	if (code_n)
		code[0] = '\0';
	if (hint_n)
		hint[0] = '\0';
	if (p && q && (n = (size_t)(q - p - 1)) < code_n)
		snprintf(code, code_n, "%.*s", (int)n, p + 1);
	if (h) {
		h += 8;
		e = strstr(h, "; it said: ");
		n = e ? (size_t)(e - h) : strlen(h);
		snprintf(hint, hint_n, "%.*s", (int)n, h);
	}
}

/* An error's code, string or number, into out ("" when it has none). */
static void err_code(char out[64], const cJSON *err)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");

	out[0] = '\0';
	if (cJSON_IsString(code))
		snprintf(out, 64, "%s", code->valuestring);
	else if (cJSON_IsNumber(code))
		snprintf(out, 64, "%ld", (long)code->valuedouble);
}

/*
 * An outcome that arrived later (webhook, status lookup) whose error
 * (err, or NULL) is of kind `account` pauses its campaign the same way,
 * once.
 */
static void account_pause_from(struct round *r, struct round_camp *c,
			       const cJSON *err)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "kind"));
	char code[64];

	if (err_kind_parse(kind) != EK_ACCOUNT || c->paused_now ||
	    state_breaker_paused(&c->st))
		return;
	err_code(code, err);
	account_pause_reason(c, code, cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(err, "message")),
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "hint")));
	if (!camp_status(r, c, "paused", c->pause_reason)) {
		c->st_paused_logged = 1;
		r->alerts |= ROUND_ALERT_CAMPAIGN;
	}
}

/* Seconds since *t (CLOCK_MONOTONIC). */
static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* The exit code for what the ticks saw (see ROUND_ALERT_*). */
int round_exit_code(unsigned alerts)
{
	return alerts & ROUND_ALERT_CONFIG ? ROUND_EXIT_CONFIG
		: alerts & ROUND_ALERT_UNREAD ? ROUND_EXIT_UNREAD
		: alerts & ROUND_ALERT_CAMPAIGN ? ROUND_EXIT_CAMPAIGN : 0;
}

static int in_shard(const struct round_opts *o, const char *id)
{
	return shard_of(id, o->shard_n) == o->shard_i;
}

void round_release(struct round *r)
{
	size_t i;

	ledger_ahead_free(r->ahead); /* before the source it reads */
	r->ahead = NULL;
	for (i = 0; i < r->n; i++) {
		state_release(&r->camps[i].st);
		buf_release(&r->camps[i].lines);
		buf_release(&r->camps[i].placed);
		free(r->camps[i].pick);
	}
	free(r->camps);
	r->camps = NULL;
	r->n = 0;
	repo_free(r->repo);
	r->repo = NULL;
	dnc_free(r->dnc);
	r->dnc = NULL;
	caps_free(r->caps);
	r->caps = NULL;
	for (i = 0; i < r->n_others; i++)
		state_release(&r->others[i]);
	free(r->others);
	r->others = NULL;
	r->n_others = 0;
	free(r->claims);
	r->claims = NULL;
	r->n_claims = 0;
	if (r->have_src)
		src_release_tree(&r->src);
	r->have_src = 0;
	spool_list_release(&r->spool);
	free(r->spool_done);
	free(r->spool_bad);
	free(r->spool_why);
	r->spool_done = r->spool_bad = NULL;
	r->spool_why = NULL;
	buf_release(&r->dnc_lines);
}

struct round_camp *round_camp_find(struct round *r, const char *id)
{
	size_t i;

	for (i = 0; id && i < r->n; i++)
		if (!strcmp(r->camps[i].rc->id, id))
			return &r->camps[i];
	return NULL;
}

static void state_cache_path(const struct round *r, const char *id,
			     char *out, size_t n)
{
	/* no cache where its path would not fit: replayed every time */
	if (!r->cache_dir[0] || str_fmt(out, n, "%s/%s.state", r->cache_dir, id))
		out[0] = '\0';
}

/* A campaign's state from its log, through the derived cache. */
static int camp_state_load(struct round *r, const struct repo_campaign *rc2,
			   struct cstate *st)
{
	char cpath[PATH_MAX], key[128], cj[41], cjpath[128];
	struct ledger_ahead *ahead = NULL;
	size_t replayed;
	int rc;

	snprintf(cjpath, sizeof(cjpath), "campaigns/%s/campaign.json", rc2->id);
	r->src.content_id(&r->src, cjpath, cj);
	snprintf(key, sizeof(key), "%.40s:%.40s:%zu", rc2->audience_oid, cj,
		 rules_count(r->repo->rules));
	state_cache_path(r, rc2->id, cpath, sizeof(cpath));
	if ((rc = state_init(st, rc2->aud)))
		return rc;
	if (r->ahead && !strcmp(r->ahead_id, rc2->id)) {
		ahead = r->ahead;
		r->ahead = NULL;
	}
	rc = cache_replay(st, &r->src, rc2->id,
			  getenv("GITDIAL_NO_CACHE") || !cpath[0] ? NULL : cpath,
			  key, ahead,
			  &replayed);
	ledger_ahead_free(ahead);
	return rc;
}

/*
 * A cold tick (no state cache) reads a campaign's audience, then replays
 * its log: for a million recipients, about a second each. Parsing the
 * log needs no audience, so it starts first, on the other CPUs, for the
 * first campaign of this shard that has no state cache. (A cache that is
 * there but stale is replayed the usual way.)
 */
static void ahead_begin(struct round *r)
{
	struct names n = { NULL, 0 };
	int nocache = getenv("GITDIAL_NO_CACHE") != NULL;
	size_t i;

	if (r->src.list(&r->src, "campaigns", &n))
		return;
	for (i = 0; i < n.n && !r->ahead; i++) {
		char id[256], cpath[PATH_MAX];
		size_t l = strlen(n.v[i]);
		if (!l || n.v[i][l - 1] != '/' || l > sizeof(r->ahead_id))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(l - 1), n.v[i]);
		if (!id_valid(id) || !in_shard(r->o, id))
			continue;
		state_cache_path(r, id, cpath, sizeof(cpath));
		if (!nocache && access(cpath, F_OK) == 0)
			continue;
		if (str_fmt(r->ahead_id, sizeof(r->ahead_id), "%s", id))
			continue;
		if (ledger_ahead_start(&r->ahead, &r->src, id) || !r->ahead)
			r->ahead_id[0] = '\0';
	}
	names_release(&n);
}

/*
 * Frequency caps count across campaigns (another shard's too), from each
 * campaign's claims as the round loaded them (see cap_count). Another
 * shard's campaigns are read here, never planned.
 */
static int claims_load(struct round *r)
{
	size_t k;
	int rc;

	if ((rc = caps_new(&r->caps)))
		return rc;
	if (!(r->claims = calloc(r->repo->n + 1, sizeof(*r->claims))) ||
	    !(r->others = calloc(r->repo->n + 1, sizeof(*r->others))))
		return gd_error_set("out of memory");
	for (k = 0; k < r->n; k++) {
		r->claims[r->n_claims].st = &r->camps[k].st;
		r->claims[r->n_claims++].upto = r->camps[k].st.ndl;
	}
	for (k = 0; k < r->repo->n; k++) {
		const struct repo_campaign *rc2 = &r->repo->v[k];
		struct cstate *st = &r->others[r->n_others];
		if (!rc2->c || !rc2->aud || round_camp_find(r, rc2->id))
			continue;
		rc = camp_state_load(r, rc2, st);
		r->n_others++; /* released with the round, loaded or not */
		if (rc)
			return rc;
		r->claims[r->n_claims].st = st;
		r->claims[r->n_claims++].upto = st->ndl;
	}
	return 0;
}

/* Loads the repository in r->src and every campaign's state. */
static int round_load(struct round *r, struct diags *d)
{
	size_t i;
	int rc;

	buf_init(&r->dnc_lines, LEDGER_FILE_MAX);
	if (r->st)
		snprintf(r->cache_dir, sizeof(r->cache_dir), "%s/gitdial/cache",
			 store_gitdir(r->st));
	if (r->cache_dir[0] && !getenv("GITDIAL_NO_CACHE"))
		r->src.cache_dir = r->cache_dir; /* the audiences' cache too */
	ahead_begin(r);
	rc = repo_load(&r->repo, &r->src, NULL,
		       REPO_AUDIENCE | REPO_PLACES | REPO_VARS, d);
	trace_mark("load repository");
	if (rc)
		return rc == GD_EINVALID
			? gd_error_set("gitdial.json is invalid; fix it first "
				       "(gitdial validate)") : rc;
	if ((rc = dnc_load(&r->dnc, &r->src, NULL)))
		return rc;
	if (!(r->camps = calloc(r->repo->n + 1, sizeof(*r->camps))))
		return gd_error_set("out of memory");
	for (i = 0; i < r->repo->n; i++) {
		struct repo_campaign *rc2 = &r->repo->v[i];
		struct round_camp *c;
		if (!rc2->c || !rc2->aud || !in_shard(r->o, rc2->id))
			continue;
		c = &r->camps[r->n++];
		c->rc = rc2;
		c->acct = config_account(r->repo->cfg, rc2->c->account);
		buf_init(&c->lines, LEDGER_FILE_MAX);
		buf_init(&c->placed, LEDGER_FILE_MAX);
		if ((rc = camp_state_load(r, rc2, &c->st)))
			return rc;
		c->loaded = 1;
	}
	trace_mark("load states");
	return claims_load(r);
}

/* Appends a spooled event to its campaign's lines, once (SPEC §4 step 2). */
/*
 * Spool files are named by arrival; events are appended in the order of
 * their content (time, then the whole text), so two runners given the
 * same events write the same bytes whatever order the webhooks came in.
 */
static int cmp_spool_event(const void *a, const void *b)
{
	const struct spool_file *x = a, *y = b;
	const char *tx = strstr(x->data, "\"ts\":\""), *ty = strstr(y->data, "\"ts\":\"");
	int c;

	if (tx && ty && (c = strncmp(tx, ty, 26)))
		return c;
	if ((c = strcmp(x->data, y->data)))
		return c;
	return strcmp(x->name, y->name);
}

/*
 * Marks spool file i as unusable: it is moved to the spool's
 * quarantine/ when the round's commit is published (or at once when
 * nothing is committed), with a warning naming it and why, instead of
 * being read again at every tick.
 */
static void spool_reject(struct round *r, size_t i, const char *why)
{
	r->spool_bad[i] = 1;
	r->spool_why[i] = why;
}

/* An opt-out (agent's analysis) blocks the number for every campaign now. */
static void optout_note(struct round *r, cJSON *o, time_t ts, const char *cid)
{
	const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "attempt_id"));
	uint64_t key;
	int n;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "opt_out")) &&
	    !attempt_id_parse(aid, &key, &n) && !dnc_contains(r->dnc, key)) {
		char phone[PHONE_MAX];
		snprintf(phone, sizeof(phone), "+%" PRIu64, key);
		buf_fail(&r->dnc_lines, dnc_entry(&r->dnc_lines, ts, phone, 1,
					  "opted out during the call", cid));
		dnc_block(r->dnc, key);
	}
}

#define SPOOL_FUTURE_MAX_S (7L * 86400) /* later than this: a bad clock */

static void ingest(struct round *r)
{
	size_t i;

	if (spool_read(&r->spool, r->spool_dir))
		return;
	if (r->spool.n > 1)
		qsort(r->spool.v, r->spool.n, sizeof(*r->spool.v), cmp_spool_event);
	r->spool_done = calloc(r->spool.n + 1, 1);
	r->spool_bad = calloc(r->spool.n + 1, 1);
	r->spool_why = calloc(r->spool.n + 1, sizeof(*r->spool_why));
	if (!r->spool_done || !r->spool_bad || !r->spool_why)
		return;
	for (i = 0; i < r->spool.n; i++) {
		cJSON *o = r->spool.v[i].len <= SPOOL_EVENT_MAX
			? cJSON_Parse(r->spool.v[i].data) : NULL;
		const char *ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
		const char *ts_s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts"));
		const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "campaign"));
		const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "attempt_id"));
		const char *call = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "call_id"));
		const char *acct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "account"));
		struct round_camp *c;
		time_t ts;
		uint64_t key;
		int n;
		long idx;
		char *line;

		if (!o || !ev || !ts_s || !cid || time_parse_rfc3339(&ts, ts_s) ||
		    !id_valid(cid)) {
			spool_reject(r, i, r->spool.v[i].len > SPOOL_EVENT_MAX
				     ? "larger than 64 KiB"
				     : "not an event (JSON with event, ts and campaign)");
			goto next;
		}
		if (ts > r->o->now + SPOOL_FUTURE_MAX_S) {
			spool_reject(r, i, "its time is more than 7 days ahead");
			goto next;
		}
		if (ts > r->o->now)
			goto next; /* not yet: the clock has not reached it */
		if (!(c = round_camp_find(r, cid))) {
			/*
			 * Another shard's waits in the spool. A campaign this
			 * head does not have (archived or deleted since) never
			 * takes it: quarantined, but an opt-out cannot wait: the
			 * number is blocked for every campaign now.
			 */
			if (!repo_find(r->repo, cid)) {
				spool_reject(r, i, "its campaign is not in campaigns/");
				if (!strcmp(ev, "analysis"))
					optout_note(r, o, ts, cid);
			}
			goto next;
		}
		/* bound to the account that placed it, when the hook says */
		if (acct && c->rc->c->account && strcmp(acct, c->rc->c->account)) {
			spool_reject(r, i, "signed with another account's key than "
				     "the campaign's");
			goto next;
		}
		if (!strcmp(ev, "outcome")) {
			const char *placed_call;
			if (attempt_id_parse(aid, &key, &n) ||
			    (idx = state_find(&c->st, key)) < 0 ||
			    !(c->st.r[idx].dispatched & (1u << n))) {
				spool_reject(r, i, "its attempt was never dispatched");
				goto next;
			}
			if (c->st.r[idx].done & (1u << n)) {
				r->spool_done[i] = 1; /* a duplicate delivery */
				goto next;
			}
			placed_call = state_call_id(&c->st, (uint32_t)idx, n);
			if (call && placed_call && *placed_call && strcmp(call, placed_call)) {
				spool_reject(r, i, "its call_id is not the placed call's");
				goto next;
			}
		} else if (!strcmp(ev, "analysis")) {
			if (!call) {
				spool_reject(r, i, "an analysis without call_id");
				goto next;
			}
			if (state_has_analysis(&c->st, call)) {
				r->spool_done[i] = 1;
				goto next;
			}
			optout_note(r, o, ts, cid);
		} else if (!strcmp(ev, "recording")) {
			/* a recording's URL after the outcome (Telnyx): once per
			 * attempt, of an attempt this campaign dispatched */
			const char *url = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(o, "recording_url"));
			if (attempt_id_parse(aid, &key, &n) ||
			    (idx = state_find(&c->st, key)) < 0 ||
			    !(c->st.r[idx].dispatched & (1u << n))) {
				spool_reject(r, i, "its attempt was never dispatched");
				goto next;
			}
			/* the check show and report apply to a link (calls.c) */
			if (!url || strlen(url) > 2048 || !html_url_ok(url)) {
				spool_reject(r, i, "a recording without an http(s) "
					     "recording_url");
				goto next;
			}
			if (state_has_recording(&c->st, aid)) {
				r->spool_done[i] = 1; /* a duplicate delivery */
				goto next;
			}
		} else {
			/* progress and other events: nothing to record */
			r->spool_done[i] = 1;
			goto next;
		}
		if (!(line = cJSON_PrintUnformatted(o)))
			goto next;
		if (!buf_puts(&c->lines, line) && !buf_putc(&c->lines, '\n')) {
			state_apply(&c->st, line, strlen(line));
			r->spool_done[i] = 1;
			c->ingested++;
			account_pause_from(r, c, cJSON_GetObjectItemCaseSensitive(o, "error"));
		}
		cJSON_free(line);
next:
		cJSON_Delete(o);
	}
}

/* Moves this round's unusable spool files aside, saying so. */
static void spool_quarantine_bad(struct round *r)
{
	size_t i;

	for (i = 0; r->spool_bad && i < r->spool.n; i++) {
		if (!r->spool_bad[i])
			continue;
		if (spool_quarantine(r->spool_dir, r->spool.v[i].name))
			fprintf(stderr, "gitdial %s: spool/%s: %s; could not move it "
				"to quarantine/: %s\n", r->o->cmd,
				term_str(r->spool.v[i].name), term_str(r->spool_why[i]),
				term_str(gd_error_last()));
		else
			fprintf(stderr, "gitdial %s: warning: spool/%s: %s; moved to "
				"%s/quarantine/\n", r->o->cmd,
				term_str(r->spool.v[i].name), term_str(r->spool_why[i]),
				term_str(r->spool_dir));
	}
}

/* True when ref resolves here to something not empty; else *why says so. */
static int ref_resolves(const struct account *a, const char *group,
			const char *key, const char *ref, char *why, size_t n)
{
	char val[HOOK_SECRET_MAX_RUNNER];
	int bad = secret_resolve(val, sizeof(val), ref);

	if (!bad && val[0]) {
		explicit_bzero(val, sizeof(val));
		return 1;
	}
	snprintf(why, n, "accounts.%s.%s%s: %s does not resolve on this runner: %s",
		 a->name, group, key, ref, bad ? gd_error_last() : "it is empty");
	explicit_bzero(val, sizeof(val));
	return 0;
}

/*
 * A runner configuration check before anything is asked of a provider:
 * every secret reference of the account (its credentials, its
 * function_secret, the sim's webhook_secret) must resolve, to something not empty, in this
 * runner's environment. When one does not, *why names it (never a
 * value) and the account's campaigns are left as they are this tick:
 * the fault is the runner's, not the campaign's. An account with a
 * remote function sends its credentials and webhook_secret as
 * references, resolved on the function's host: only its
 * function_secret must resolve here.
 */
static int account_secrets_ok(const struct account *a, char *why, size_t n)
{
	const char *gha = getenv("GITHUB_ACTIONS"), *eph = getenv("GITDIAL_EPHEMERAL");
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(a->json, "credentials");
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(a->json, "function_secret");
	const cJSON *x;

	/*
	 * A SIP call is held by the gitdial-sip process for its whole
	 * length: on a runner that ends with its job (GitHub Actions, a
	 * Kubernetes Job: GITDIAL_EPHEMERAL=1) it would die with the job
	 * and take the calls with it. Such a runner reaches the trunk
	 * through a remote function on a host that stays.
	 */
	if (a->provider && !strcmp(a->provider, "sip") && !a->function &&
	    ((gha && !strcmp(gha, "true")) || (eph && !strcmp(eph, "1")))) {
		snprintf(why, n, "accounts.%s: a SIP trunk cannot be dialed from "
			 "an ephemeral runner (%s): its calls live in the "
			 "gitdial-sip process; give the account a \"function\" "
			 "URL on a host that stays up", a->name,
			 eph && !strcmp(eph, "1") ? "GITDIAL_EPHEMERAL=1"
			 : "GITHUB_ACTIONS=true");
		return 0;
	}
	/* a function URL the operator does not allow gets nothing */
	if (a->function && trust_endpoint_check(a->function, NULL, "function")) {
		snprintf(why, n, "accounts.%s.function: %s", a->name, gd_error_last());
		return 0;
	}
	if (a->function)
		creds = NULL; /* resolved by the remote function, on its host */
	cJSON_ArrayForEach(x, creds) {
		const char *ref = cJSON_GetStringValue(x);
		if (!ref || (strncmp(ref, "env:", 4) && strncmp(ref, "file:", 5)))
			continue; /* a literal id (connection_id, phone_number_id) */
		if (!ref_resolves(a, "credentials.", x->string, ref, why, n))
			return 0;
	}
	x = a->function ? NULL
		: cJSON_GetObjectItemCaseSensitive(a->json, "webhook_secret");
	if (cJSON_IsString(x) &&
	    !ref_resolves(a, "", "webhook_secret", x->valuestring, why, n))
		return 0;
	if (cJSON_IsString(fs) &&
	    !ref_resolves(a, "", "function_secret", fs->valuestring, why, n))
		return 0;
	return 1;
}

/* Marks the campaigns whose account's secrets do not resolve (once each). */
static void secrets_check(struct round *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		struct round_camp *c = &r->camps[i];
		char why[512];
		enum status eff;
		if (!c->acct)
			continue;
		/* only what will ask the provider something this tick */
		eff = state_effective(c->rc->c, &c->st, r->o->now);
		if (eff != ST_DIALING && !state_in_flight(&c->st))
			continue;
		for (j = 0; j < i; j++)
			if (r->camps[j].acct == c->acct && r->camps[j].checked)
				break;
		if (j < i) {
			c->blocked = r->camps[j].blocked;
			c->checked = 1;
			continue;
		}
		c->checked = 1;
		if (account_secrets_ok(c->acct, why, sizeof(why)))
			continue;
		c->blocked = 1;
		r->alerts |= ROUND_ALERT_CONFIG;
		if (!r->o->quiet_config)
			fprintf(stderr, "gitdial tick: runner configuration: %s; its "
				"campaigns are left as they are (nothing dialed)\n",
				term_str(why));
	}
}

static const char *fn_binary(const struct round *r, const struct account *a,
			     char *out, size_t n)
{
	snprintf(out, n, "%s/gitdial-%s", r->o->fn_dir ? r->o->fn_dir : ".",
		 a->provider);
	return out;
}

static void fn_target_for(struct fn_target *t, struct round *r,
			  const struct account *a, char *bin, size_t n,
			  char *secret, size_t sn)
{
	memset(t, 0, sizeof(*t));
	if (a->function) {
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(a->json,
								    "function_secret");
		t->url = a->function;
		if (secret_resolve(secret, sn, cJSON_GetStringValue(ref)))
			secret[0] = '\0';
		t->secret = secret[0] ? secret : NULL;
	} else {
		t->binary = fn_binary(r, a, bin, n);
	}
	t->spool = r->spool_dir;
	t->repo = r->o->repo;
}

/*
 * Reconcile (SPEC §4 step 3): attempts claimed but never placed, and
 * calls that should have ended, are asked about; never redialed blindly.
 */
static void reconcile(struct round *r, struct round_camp *c)
{
	const struct campaign *cp = c->rc->c;
	struct fn_call *calls = NULL;
	uint32_t *who = NULL;
	uint8_t *att = NULL;
	size_t n = 0, i;
	long overdue = cp->ring_timeout_s + cp->max_call_minutes * 60 + 60;
	struct fn_target t;
	char bin[PATH_MAX], secret[512];
	const uint32_t *infl;
	size_t ninfl, k;

	if (!c->acct || !c->acct->provider)
		return;
	/* in audience order, like a scan of every recipient would be */
	state_in_flight_list(&c->st, &infl, &ninfl);
	for (k = 0; k < ninfl; k++) {
		const struct rstate *rs = &c->st.r[infl[k]];
		uint16_t fl = RS_INFLIGHT(rs);
		int a;
		i = infl[k];
		if (!fl)
			continue;
		for (a = 1; a <= ATTEMPTS_MAX; a++) {
			int unplaced;
			if (!(fl & (1u << a)))
				continue;
			unplaced = !(rs->placed & (1u << a));
			if (unplaced ? rs->dispatched_at + CLAIM_GRACE_S > r->o->now
				     : rs->placed_at + overdue > r->o->now)
				continue;
			if (!(n & (n - 1))) {
				size_t cap = n ? n * 2 : 8;
				void *p1 = realloc(calls, cap * sizeof(*calls));
				void *p2 = p1 ? realloc(who, cap * sizeof(*who)) : NULL;
				void *p3 = p2 ? realloc(att, cap) : NULL;
				if (p1) calls = p1;
				if (p2) who = p2;
				if (p3) att = p3;
				if (!p3)
					goto cleanup;
			}
			{
				char aid[128], phone[PHONE_MAX];
				const char *call_id;
				cJSON *req;
				attempt_id_make(aid, sizeof(aid), cp->id,
						c->rc->aud->r[i].key, a);
				audience_phone(phone, &c->rc->aud->r[i]);
				call_id = state_call_id(&c->st, (uint32_t)i, a);
				req = render_status(r->repo->cfg, cp, aid, phone, call_id,
						    (time_t)rs->dispatched_at, r->o->now);
				calls[n].request = cJSON_PrintUnformatted(req);
				cJSON_Delete(req);
				who[n] = (uint32_t)i;
				att[n] = (uint8_t)a;
				n++;
			}
		}
	}
	if (!n)
		goto cleanup;
	fn_target_for(&t, r, c->acct, bin, sizeof(bin), secret, sizeof(secret));
	fn_run(&t, "status", calls, n, 8, c->acct->cps * 4, 30);
	for (i = 0; i < n; i++) {
		cJSON *resp = calls[i].response ? cJSON_Parse(calls[i].response) : NULL;
		const struct rstate *rs = &c->st.r[who[i]];
		const cJSON *oc = cJSON_GetObjectItemCaseSensitive(resp, "outcome");
		const char *call_id = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(resp, "call_id"));
		size_t before = c->lines.len;
		char aid[128];
		attempt_id_make(aid, sizeof(aid), cp->id, c->rc->aud->r[who[i]].key,
				att[i]);
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"))) {
			/* the provider could not say: ask again next tick */
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "found"))) {
			if (!(rs->placed & (1u << att[i])))
				log_placed(&c->lines, r->o->now, cp->id, aid,
					  call_id ? call_id : "");
			if (cJSON_IsObject(oc)) {
				/*
				 * The answer's outcome holds the outcome's fields;
				 * the event's own keys are ours (a function's answer
				 * that carried none once committed lines that closed
				 * nothing, again at every tick).
				 */
				time_t ts = r->o->now;
				time_parse_rfc3339(&ts, cJSON_GetStringValue(
					cJSON_GetObjectItemCaseSensitive(oc, "ts")));
				if (ts > r->o->now)
					ts = r->o->now;
				if (ev_outcome_fields(&c->lines, ts, cp->id, aid,
						      call_id ? call_id
						      : state_call_id(&c->st, who[i], att[i]),
						      oc))
					fprintf(stderr, "gitdial tick: %s: %s: %s; asking "
						"again next tick\n", cp->id, aid,
						term_str(gd_error_last()));
			}
		} else if (!(rs->placed & (1u << att[i]))) {
			log_failed(&c->lines, r->o->now, cp->id, aid, NULL, "not_placed",
				  "claimed_not_placed", "claimed, but the provider has no "
				  "such call (the runner stopped before placing it)");
		} else {
			log_failed(&c->lines, r->o->now, cp->id, aid, call_id, "lost",
				  "no_such_call", "the provider no longer knows this call");
		}
		if (c->lines.len > before) {
			ledger_apply(&c->st, c->lines.ptr + before, c->lines.len - before);
			c->reconciled++;
			account_pause_from(r, c, cJSON_GetObjectItemCaseSensitive(oc, "error"));
		}
		cJSON_Delete(resp);
		fn_call_release(&calls[i]);
		free(calls[i].request);
	}
cleanup:
	free(calls);
	free(who);
	free(att);
}

#define PLACE_WHY_MAX ROUND_WHY_MAX
#define NEVER_HORIZON_S (8L * 86400) /* a week and a day: every weekday seen */

/*
 * Each place's verdict at now: open, closed (the recipient waits), or
 * never open again before the campaign ends, with the rule ids that
 * close it in (*why)[place] for the skip reason. Only end_at ends a
 * campaign: a place closed for the next NEVER_HORIZON_S (the weekly
 * rules are periodic) when end_at is further or not set stays closed,
 * its recipients queued, and (*quiet)[place] says so for the verdict.
 * Windows alone never finish a campaign.
 */
static int places_judge(struct round *r, const struct campaign *cp,
			const struct audience *a, uint8_t **open,
			char (**why)[PLACE_WHY_MAX], uint8_t **quiet)
{
	const struct rules *ru = r->repo->rules;
	long horizon = NEVER_HORIZON_S;
	int bounded = 0;
	size_t i;

	*open = calloc(a->n_places + 1, 1);
	*quiet = calloc(a->n_places + 1, 1);
	*why = calloc(a->n_places + 1, sizeof(**why));
	if (!*open || !*why || !*quiet)
		return gd_error_set("out of memory");
	/* a call must start before end_at */
	if (cp->end_at && cp->end_at - 1 - r->o->now < horizon) {
		horizon = (long)(cp->end_at - 1 - r->o->now);
		bounded = 1;
	}
	for (i = 0; i < a->n_places; i++) {
		const struct place *p = &a->places[i];
		if (place_is_open(ru, p, &cp->window, r->o->now))
			(*open)[i] = PLACE_OPEN;
		else if (horizon > 0 &&
			 !place_next_open(ru, p, &cp->window, r->o->now, horizon,
					  (*why)[i], PLACE_WHY_MAX)) {
			if (bounded)
				(*open)[i] = PLACE_NEVER;
			else
				(*quiet)[i] = 1;
		}
	}
	return 0;
}

struct admit_ctx {
	struct round *r;
	const struct audience *a;
	uint64_t key;
};

/*
 * A number's claims within (now - period_s, now]: this round's own, and
 * those of every campaign's log that holds the number, each found
 * through the audience's phone index and the recipient's chain of
 * claims, so a tick pays for the numbers it asks about, not for every
 * claim of every log.
 */
static size_t cap_count(void *ctx, long period_s)
{
	struct admit_ctx *x = ctx;
	const struct round *r = x->r;
	time_t now = r->o->now;
	size_t n = caps_count(r->caps, x->key, now, period_s), k;

	for (k = 0; k < r->n_claims; k++) {
		const struct cstate *st = r->claims[k].st;
		const struct recipient *rp = audience_find(st->aud, x->key);
		/*
		 * Claims stamped after now count too: another runner's
		 * clock may be ahead of ours (skew, or simulated clocks),
		 * and a claim it made is a call all the same.
		 */
		if (rp)
			n += state_claims(st, (size_t)(rp - st->aud->r),
					  r->claims[k].upto, now - period_s,
					  now + period_s);
	}
	return n;
}

/* Frequency caps across campaigns: may recipient i be dialed now? */
static int cap_admit(void *ctx, uint32_t i)
{
	struct admit_ctx *x = ctx;
	const struct recipient *rc = &x->a->r[i];

	x->key = rc->key;
	if (place_cap(x->r->repo->rules, &x->a->places[rc->place], x->r->o->now,
		      cap_count, x, NULL))
		return 0;
	/* counted now, so another campaign in this tick sees it */
	caps_add(x->r->caps, rc->key, x->r->o->now);
	return 1;
}

/*
 * The circuit breaker: when at least half of the campaign's last
 * BREAKER_WINDOW attempts failed at the provider or transport level,
 * log a pause (reason starting with BREAKER_PREFIX) and return 1.
 */
static int breaker_check(struct round *r, struct round_camp *c)
{
	char why[200];
	int failed, of;

	if (!state_breaker(&c->st, &failed, &of))
		return 0;
	snprintf(why, sizeof(why), BREAKER_PREFIX " %d of the last %d attempts "
		 "failed at the provider or transport level (threshold %d); "
		 "resume with gitdial resume", failed, of, BREAKER_FAILED);
	camp_status(r, c, "paused", why);
	c->eff = ST_PAUSED;
	c->paused_now = 1;
	snprintf(c->pause_reason, sizeof(c->pause_reason), "%s", why);
	r->alerts |= ROUND_ALERT_CAMPAIGN;
	return 1;
}

/*
 * The verdict's never_open: recipients still to be called who wait at
 * a place with no callable time in the next week (quiet, from
 * places_judge), and the rule that closes the first such place.
 */
static void never_open_count(struct round *r, struct round_camp *c,
			     const uint8_t *quiet,
			     char (*never)[PLACE_WHY_MAX])
{
	const struct audience *a = c->rc->aud;
	size_t i;

	for (i = 0; i < a->n_places && !quiet[i]; i++)
		;
	if (i == a->n_places)
		return; /* every place opens within the week */
	for (i = 0; i < a->n && i < c->st.n; i++) {
		const struct recipient *x = &a->r[i];
		time_t when;
		enum elig e;
		if (!quiet[x->place])
			continue;
		e = rstate_eligible(c->rc->c, &c->st.r[i], r->o->now, &when);
		if (e == EL_TERMINAL || e == EL_INFLIGHT ||
		    dnc_contains(r->dnc, x->key))
			continue;
		if (!c->never_open++)
			snprintf(c->never_why, sizeof(c->never_why), "%s",
				 never[x->place]);
	}
}

/*
 * The verdict for one campaign at the round's now: its status
 * transitions, the rows it accounts for as skipped, the batch (c->pick)
 * and where everyone else stands, all as lines in c->lines applied to
 * c->st. tick, tick --dry-run, plan and show all read this.
 */
static int judge_campaign(struct round *r, struct round_camp *c)
{
	const struct campaign *cp = c->rc->c;
	const struct audience *a = c->rc->aud;
	struct select_in in;
	struct select_out out;
	struct admit_ctx actx;
	uint8_t *open = NULL, *quiet = NULL;
	char (*never)[PLACE_WHY_MAX] = NULL;
	size_t i, mark;
	int rc = 0;
	const char *caller = campaign_caller_id(cp, r->repo->cfg);

	c->eff = state_effective(cp, &c->st, r->o->now);
	if (c->eff == ST_COMPLETED || c->eff == ST_FAILED)
		return 0;
	/* the circuit breaker pauses a dialing campaign itself */
	if (c->eff == ST_DIALING && breaker_check(r, c))
		return 0;
	/* an operator's pause in campaign.json takes over a breaker pause,
	 * so scheduling it again afterwards resumes it */
	if (c->eff == ST_PAUSED && cp->desired == WANT_PAUSED &&
	    state_breaker_paused(&c->st)) {
		camp_status(r, c, "paused", "paused in campaign.json");
	}
	if (c->eff != c->st.logged && c->eff != ST_DRAFT) {
		const char *why = c->eff == ST_SCHEDULED ? "scheduled in campaign.json"
			: c->eff == ST_PAUSED ? "paused in campaign.json"
			: c->st.logged == ST_PAUSED ? "resumed in campaign.json"
			: "start_at reached";
		camp_status(r, c, status_names[c->eff], why);
	}
	if (c->eff != ST_DIALING)
		return 0;
	/* rows that will never be dialed are accounted for once */
	mark = c->lines.len;
	for (i = 0; i < a->n_problems; i++) {
		const struct row_problem *p = &a->problems[i];
		if (p->line < c->st.skipped_line_max &&
		    (c->st.skipped_line[p->line / 8] >> (p->line % 8)) & 1)
			continue;
		if ((rc = ev_skipped(&c->lines, r->o->now, cp->id, p->phone, p->line,
				     row_skip_names[p->why])))
			return rc;
		c->skipped++;
	}
	if ((rc = places_judge(r, cp, a, &open, &never, &quiet)))
		goto out;
	memset(&in, 0, sizeof(in));
	in.c = cp;
	in.a = a;
	in.s = &c->st;
	in.dnc = r->dnc;
	in.place_open = open;
	in.now = r->o->now;
	in.slots = c->slots;
	actx.r = r;
	actx.a = a;
	in.admit = cap_admit;
	in.admit_ctx = &actx;
	if ((rc = select_batch(&out, &in)))
		goto out;
	c->waiting_window = out.waiting_window;
	c->waiting_cooldown = out.waiting_cooldown;
	c->waiting_cap = out.waiting_cap;
	c->in_flight_now = out.in_flight;
	c->next_cooldown = out.next_cooldown;
	never_open_count(r, c, quiet, never);
	for (i = 0; !rc && i < out.n_never; i++) {
		char phone[PHONE_MAX];
		const struct recipient *x = &a->r[out.never[i]];
		audience_phone(phone, x);
		rc = ev_skipped(&c->lines, r->o->now, cp->id, phone, x->line,
				never[x->place]);
		c->skipped++;
	}
	for (i = 0; !rc && i < out.n_dnc_skip; i++) {
		char phone[PHONE_MAX];
		const struct recipient *x = &a->r[out.dnc_skip[i]];
		audience_phone(phone, x);
		rc = ev_skipped(&c->lines, r->o->now, cp->id, phone, x->line, "dnc");
		c->skipped++;
	}
	for (i = 0; !rc && i < out.n_expired; i++) {
		char phone[PHONE_MAX];
		const struct recipient *x = &a->r[out.expired[i]];
		audience_phone(phone, x);
		rc = ev_skipped(&c->lines, r->o->now, cp->id, phone, x->line, "expired");
		c->skipped++;
	}
	for (i = 0; !rc && i < out.n_pick; i++) {
		const struct recipient *x = &a->r[out.pick[i]];
		const struct rstate *rs = &c->st.r[out.pick[i]];
		char phone[PHONE_MAX], aid[128];
		int next = rstate_newest(rs) + 1;
		audience_phone(phone, x);
		attempt_id_make(aid, sizeof(aid), cp->id, x->key, next);
		rc = ev_dispatched(&c->lines, r->o->now, cp->id, aid, phone, x->line,
				   next, cp->account, caller ? caller : "",
				   rules_digest(r->repo->rules));
	}
	if (!rc && out.n_pick) {
		c->pick = out.pick;
		c->n_pick = out.n_pick;
		out.pick = NULL;
		c->dispatched = c->n_pick;
	}
	select_release(&out);
out:
	free(open);
	free(quiet);
	free(never);
	if (rc)
		return rc;
	/* what this commit adds counts now; then see whether we are done */
	ledger_apply(&c->st, c->lines.ptr + mark, c->lines.len - mark);
	if (!c->n_pick && state_all_terminal(cp, &c->st, r->o->now)) {
		camp_status(r, c, "completed", "every recipient is in a final state");
	}
	return 0;
}

static int camp_dialing(void *ctx, const struct repo_campaign *rc)
{
	struct round *r = ctx;
	struct round_camp *c = round_camp_find(r, rc->id);

	if (!c)
		return -1; /* another shard's: judge by campaign.json */
	return state_effective(rc->c, &c->st, r->o->now) == ST_DIALING;
}

/*
 * Free slots per campaign: min(campaign concurrency, its fair share of
 * the account's max_concurrency) minus what it has in flight.
 */
static void compute_slots(struct round *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct round_camp *c = &r->camps[i];
		size_t share, cap, inflight = state_in_flight(&c->st);
		share = repo_account_share(r->repo, c->rc->id, r->o->now,
					   camp_dialing, r, NULL);
		cap = (size_t)c->rc->c->concurrency < share
			? (size_t)c->rc->c->concurrency : share;
		c->slots = cap > inflight ? cap - inflight : 0;
	}
}

/* Builds the change of this round's claim commit; *summary for the message. */
static int build_change(struct round *r, struct change *ch, const char *tag,
			struct buf *msg, int placing)
{
	size_t i, dialed = 0, outcomes = 0;
	int rc = 0;

	for (i = 0; !rc && i < r->n; i++) {
		struct round_camp *c = &r->camps[i];
		struct buf *b = placing ? &c->placed : &c->lines;
		char path[512];
		if (!b->len)
			continue;
		ledger_path(path, sizeof(path), c->rc->id, r->o->now, tag);
		/* a failed append anywhere in it refuses the whole commit */
		rc = change_add_buf(ch, path, b);
		if (!msg->len)
			buf_puts(msg, placing ? "place:" : r->o->ingest_only
				 ? "ingest:" : "tick:");
		else
			buf_putc(msg, ',');
		if (placing)
			buf_printf(msg, " %s %zu placed, %zu failed", c->rc->id,
				   c->n_placed, c->n_failed);
		else
			buf_printf(msg, " %s +%zu dialed, %zu outcomes", c->rc->id,
				   c->dispatched, c->ingested + c->reconciled);
		dialed += c->dispatched;
		outcomes += c->ingested;
	}
	if (!rc && !placing && r->dnc_lines.len) {
		char path[256], t[21];
		time_format_utc(t, r->o->now);
		t[4] = t[7] = t[13] = t[16] = '-';
		snprintf(path, sizeof(path), "dnc/optouts-%s-%s.jsonl", t, tag);
		rc = change_add_buf(ch, path, &r->dnc_lines);
		buf_printf(msg, "%s dnc +opt-outs", msg->len ? ","
			   : r->o->ingest_only ? "ingest:" : "tick:");
	}
	/* deleted campaigns past their 30 days leave the tree (logs stay) */
	if (!rc && !placing && r->o->shard_i == 0 && !r->o->ingest_only) {
		struct buf ids = BUF_INIT(64 * 1024);
		rc = folder_purge_deleted(&r->src, r->o->now, ch, &ids);
		if (!rc && ids.len)
			buf_printf(msg, "%s purged deleted/ %s", msg->len ? "," : "tick:",
				   ids.ptr);
		if (!rc)
			rc = buf_check(&ids);
		buf_release(&ids);
	}
	/* the message says what the commit holds: a cut one is refused */
	if (!rc && (rc = buf_check(msg)))
		gd_error_prefix("the commit message");
	(void)dialed;
	(void)outcomes;
	return rc;
}

/*
 * This process's run id (32 hex digits, random), written into every
 * commit it makes. Two runners that plan the same change from the same
 * head at the same second would otherwise make the very same commit: the
 * second push then finds the branch already there and succeeds, and both
 * runners dial the same claim. With the id the commits differ and the
 * compare-and-swap lets one of them through.
 */
static const char *run_id(void)
{
	static char id[33];
	unsigned char b[16];
	size_t i;

	if (id[0])
		return id;
	/* the determinism tests compare commits made by separate runs */
	if (getenv("GITDIAL_TEST_RUN_ID") && strlen(getenv("GITDIAL_TEST_RUN_ID")) == 32 &&
	    strspn(getenv("GITDIAL_TEST_RUN_ID"), "0123456789abcdef") == 32) {
		memcpy(id, getenv("GITDIAL_TEST_RUN_ID"), 32);
		return id;
	}
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		uint64_t x;
		clock_gettime(CLOCK_REALTIME, &ts);
		x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
		    ((uint64_t)getpid() << 40);
		for (i = 0; i < sizeof(b); i++, x = x * 6364136223846793005u + 1442695040888963407u)
			b[i] = (unsigned char)(x >> 56);
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return id;
}

static int commit_and_publish(struct round *r, struct change *ch,
			      const char *message, git_oid *out)
{
	git_oid made;
	size_t len = strlen(message);
	char *msg;
	int rc;

	/* the run id as a trailer of its own paragraph */
	if (!(msg = malloc(len + 64)))
		return gd_error_set("out of memory");
	snprintf(msg, len + 64, "%s%sGitdial-Run: %s\n", message,
		 len && message[len - 1] == '\n' ? "\n" : "\n\n", run_id());
	/* *out names a commit only once it is on the branch */
	rc = store_commit(r->st, &made, &r->head, ch, msg, RUNNER_NAME,
			  RUNNER_EMAIL, r->o->now);
	free(msg);
	if (rc)
		return rc;
	testhook_crash(ch->n && strstr(message, "place:") ? "place-committed"
						       : "claim-committed");
	if ((rc = store_publish(r->st, r->o->remote, &made, &r->head)))
		return rc;
	store_checkout_paths(r->st, &r->head, &made, ch);
	r->head = *out = made;
	return 0;
}

/* Places the claimed calls (step 7) and records what the providers said. */
static void place_calls(struct round *r, struct round_camp *c, double deadline)
{
	const struct campaign *cp = c->rc->c;
	const struct audience *a = c->rc->aud;
	const char *caller = campaign_caller_id(cp, r->repo->cfg);
	struct fn_call *calls;
	struct fn_target t;
	char bin[PATH_MAX], secret[512];
	size_t i, n = c->n_pick, started;
	int par;

	if (!n || !c->acct)
		return;
	if (!(calls = calloc(n, sizeof(*calls))))
		return;
	for (i = 0; i < n; i++) {
		const struct recipient *x = &a->r[c->pick[i]];
		const struct rstate *rs = &c->st.r[c->pick[i]];
		char aid[128];
		int next = rstate_newest(rs); /* the claim made it the newest */
		cJSON *req;
		attempt_id_make(aid, sizeof(aid), cp->id, x->key, next);
		req = render_dial(r->repo->cfg, cp, a, x, aid, caller ? caller : "",
				  r->o->now);
		calls[i].request = cJSON_PrintUnformatted(req);
		cJSON_Delete(req);
	}
	fn_target_for(&t, r, c->acct, bin, sizeof(bin), secret, sizeof(secret));
	par = n < PLACE_PARALLEL ? (int)n : PLACE_PARALLEL;
	/*
	 * Only what can start within deadline seconds is started (the
	 * placing budget, --max-seconds): cps spaces the starts.
	 */
	started = n;
	if (deadline <= 0) {
		started = 0;
	} else if (c->acct->cps > 0) {
		size_t can = (size_t)(deadline * c->acct->cps) + 1;
		if (can < n)
			started = can;
	}
	testhook_crash("placing");
	fn_run(&t, "dial", calls, started, par, c->acct->cps, 30);
	for (i = 0; i < n; i++) {
		const struct recipient *x = &a->r[c->pick[i]];
		cJSON *resp = calls[i].response ? cJSON_Parse(calls[i].response) : NULL;
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "kind"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err, "message"));
		enum err_kind ek = err_kind_parse(kind);
		char codebuf[64], aid[128];
		int next = rstate_newest(&c->st.r[c->pick[i]]);
		attempt_id_make(aid, sizeof(aid), cp->id, x->key, next);
		err_code(codebuf, err);
		if (i >= started) {
			log_failed(&c->placed, r->o->now, cp->id, aid, NULL, "transient",
				  "not_started", "the tick ran out of time (its placing budget "
				  "or --max-seconds) "
				  "before this call could start");
			c->n_failed++;
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"))) {
			const char *cid = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(resp, "call_id"));
			log_placed(&c->placed, r->o->now, cp->id, aid, cid ? cid : "");
			c->n_placed++;
		} else if (ek == EK_REJECTED || ek == EK_AUTH) {
			log_failed(&c->placed, r->o->now, cp->id, aid, NULL, kind, codebuf,
				  msg ? msg : "");
			c->n_failed++;
			if (!c->failed_now) {
				c->failed_now = 1;
				snprintf(c->fail_reason, sizeof(c->fail_reason),
					 "provider rejected the campaign (%s %s): %s", kind,
					 codebuf, msg ? msg : "");
			}
		} else if (ek == EK_ACCOUNT) {
			log_failed(&c->placed, r->o->now, cp->id, aid, NULL, kind, codebuf,
				  msg ? msg : "");
			c->n_failed++;
			if (!c->paused_now)
				account_pause_reason(c, codebuf, msg, cJSON_GetStringValue(
					cJSON_GetObjectItemCaseSensitive(err, "hint")));
		} else if (ek == EK_INVALID_NUMBER || ek == EK_RATE_LIMITED ||
			   ek == EK_TRANSIENT || ek == EK_NO_CALL_PERMISSION) {
			log_failed(&c->placed, r->o->now, cp->id, aid, NULL, kind, codebuf,
				  msg ? msg : "");
			c->n_failed++;
		}
		/* ambiguous, or no answer at all: left claimed; reconcile asks */
		cJSON_Delete(resp);
		fn_call_release(&calls[i]);
		free(calls[i].request);
		if (i == n / 2)
			testhook_crash("placing-half");
	}
	if (c->failed_now)
		log_status(&c->placed, r->o->now, cp->id, "failed", c->fail_reason);
	else if (c->paused_now && !c->st_paused_logged)
		log_status(&c->placed, r->o->now, cp->id, "paused", c->pause_reason);
	if (c->failed_now || c->paused_now)
		r->alerts |= ROUND_ALERT_CAMPAIGN;
	/* the round's state says what it recorded (the summary reads it) */
	if (c->placed.len && !buf_failed(&c->placed))
		ledger_apply(&c->st, c->placed.ptr, c->placed.len);
	free(calls);
}

/*
 * The spool directory of this round: o->spool or the default inside
 * the repository's git directory, made absolute (the functions run
 * elsewhere).
 */
static int spool_dir_set(struct round *r)
{
	if (r->o->spool)
		snprintf(r->spool_dir, sizeof(r->spool_dir), "%s", r->o->spool);
	else if (r->st)
		spool_default(r->spool_dir, sizeof(r->spool_dir),
			      store_gitdir(r->st));
	if (r->spool_dir[0] && r->spool_dir[0] != '/') {
		char cwd[PATH_MAX], tmp[PATH_MAX + 4096];
		if (getcwd(cwd, sizeof(cwd)) &&
		    (str_fmt(tmp, sizeof(tmp), "%s/%s", cwd, r->spool_dir) ||
		     str_fmt(r->spool_dir, sizeof(r->spool_dir), "%s", tmp)))
			return gd_error_set("the spool directory's path is too "
					    "long");
	}
	return 0;
}

/* Every campaign's verdict, in the repository's order (caps count in it). */
static int judge_all(struct round *r)
{
	size_t i;
	int rc;

	compute_slots(r);
	for (i = 0; i < r->n; i++)
		if (!r->camps[i].blocked && (rc = judge_campaign(r, &r->camps[i])))
			return rc;
	trace_mark("plan");
	return 0;
}

static int round_run(struct round *r, const struct round_opts *o,
		     struct store *st, struct diags *d);

/*
 * The round, while the spool's published files (spool_retire) are
 * removed beside it: up to SWEEP_GRACE_MS longer when some are left.
 */
int round_tick(struct round *r, const struct round_opts *o, struct store *st,
	       struct diags *d)
{
	int rc = round_run(r, o, st, d);

	spool_sweep_stop(r->sweep, SWEEP_GRACE_MS);
	r->sweep = NULL;
	return rc;
}

static int round_run(struct round *r, const struct round_opts *o,
		     struct store *st, struct diags *d)
{
	struct timespec t0, t_claim;
	int rc, round_no, found;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_claim = t0;
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->st = st;
	if (!o->dry_run)
		store_index_prefetch(st); /* for the checkout after the commits */
	if ((rc = spool_dir_set(r)))
		return rc;
	if (!o->dry_run)
		r->sweep = spool_sweep_start(r->spool_dir);
	for (round_no = 0; round_no < ROUNDS_MAX; round_no++) {
		struct change ch = { 0 };
		struct buf msg = BUF_INIT(64 * 1024);
		char tag[32], hex[41];

		round_release(r);
		diags_release(d);
		r->alerts = 0;
		r->claim_rounds++;
		if ((rc = store_sync(st, o->remote, &r->head, &found)))
			return rc;
		if (!found)
			return gd_error_set("the branch '%s' has no commit yet",
					    store_branch(st));
		trace_mark("sync");
		if ((rc = src_init_tree(&r->src, r->st, &r->head)))
			return rc;
		r->have_src = 1;
		if ((rc = round_load(r, d)))
			return rc;
		if (!o->ingest_only)
			secrets_check(r);
		ingest(r);
		trace_mark("ingest");
		testhook_crash("ingest");
		if (!o->ingest_only) {
			if (!o->dry_run)
				for (i = 0; i < r->n; i++)
					if (!r->camps[i].blocked)
						reconcile(r, &r->camps[i]);
			trace_mark("reconcile");
			if ((rc = judge_all(r)))
				return rc;
		}
		if (o->dry_run)
			goto unread;
		git_oid_tostr(hex, sizeof(hex), &r->head);
		snprintf(tag, sizeof(tag), "%.12s%s", hex, o->ingest_only ? "-i" : "");
		if ((rc = build_change(r, &ch, tag, &msg, 0))) {
			change_release(&ch);
			buf_release(&msg);
			return rc;
		}
		if (!ch.n) {
			change_release(&ch);
			buf_release(&msg);
			/* duplicates only: their events are on the branch */
			for (i = 0; r->spool_done && i < r->spool.n; i++)
				if (r->spool_done[i])
					spool_retire(r->spool_dir, r->spool.v[i].name);
			spool_quarantine_bad(r);
			break; /* nothing to do this tick */
		}
		trace_mark("build claim");
		rc = commit_and_publish(r, &ch, msg.ptr, &r->claim);
		clock_gettime(CLOCK_MONOTONIC, &t_claim);
		trace_mark("commit claim");
		change_release(&ch);
		buf_release(&msg);
		if (rc == GD_ECONFLICT || rc == GD_ERETRY)
			continue; /* someone else moved first: start over */
		if (rc)
			return rc;
		testhook_crash("claim-pushed");
		/* published: out of the spool; spool_sweep removes them */
		for (i = 0; r->spool_done && i < r->spool.n; i++)
			if (r->spool_done[i])
				spool_retire(r->spool_dir, r->spool.v[i].name);
		spool_quarantine_bad(r);
		break;
	}
	if (round_no == ROUNDS_MAX)
		return gd_error_set("the branch kept moving; gave up after %d "
				    "tries (nothing was dialed)", ROUNDS_MAX);
	/* place the claimed calls */
	if (!o->ingest_only) {
		size_t any = 0;
		/* (a test sets how long the claim took: testhook_elapsed) */
		double budget = PLACE_BUDGET_S;
		for (i = 0; i < r->n; i++) {
			/*
			 * Calls start only while their claim is younger than
			 * the budget: past CLAIM_GRACE_S another runner's
			 * reconcile may close a claim not yet placed, and a
			 * call placed after that would be a second dial. The
			 * rest end `failed` (transient, not_started), not
			 * counted as attempts. --max-seconds may cut sooner.
			 */
			double left = budget - testhook_elapsed("claim", since(&t_claim));
			if (o->max_seconds && o->max_seconds - since(&t0) < left)
				left = (double)o->max_seconds - since(&t0);
			place_calls(r, &r->camps[i], left);
			any += r->camps[i].placed.len;
		}
		trace_mark("place calls");
		testhook_crash("before-outcome-commit");
		if (any) {
			char tag[32], hex[41];
			git_oid_tostr(hex, sizeof(hex), &r->claim);
			snprintf(tag, sizeof(tag), "%.12s-p", hex);
			for (round_no = 0; round_no < ROUNDS_MAX; round_no++) {
				struct change ch = { 0 };
				struct buf msg = BUF_INIT(64 * 1024);
				rc = build_change(r, &ch, tag, &msg, 1);
				if (!rc)
					rc = commit_and_publish(r, &ch, msg.ptr, &r->placed);
				change_release(&ch);
				buf_release(&msg);
				if (rc != GD_ECONFLICT && rc != GD_ERETRY)
					break;
				/* append-only: the same new file on top of the new head */
				if ((rc = store_sync(st, o->remote, &r->head, &found)))
					break;
			}
			if (rc)
				return rc;
		}
	}
	trace_mark("commit placed");
unread:
	/* broken campaigns do not stop the others, but people must hear of it */
	for (i = 0; i < d->n; i++)
		if (d->v[i].level == DIAG_ERROR)
			r->alerts |= ROUND_ALERT_UNREAD;
	return 0;
}

int round_judge(struct round *r, const struct round_opts *o, struct src *s,
		struct store *st, struct diags *d)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->st = st;
	r->src = *s; /* borrowed: the caller releases it */
	if ((rc = round_load(r, d)) || (rc = judge_all(r)))
		return rc;
	return 0;
}

/* Seconds from max(now, start_at) that round_unreachable looks ahead. */
static long unreach_horizon(const struct campaign *c, time_t now)
{
	time_t from = c->start_at > now ? c->start_at : now;

	if (c->end_at && c->end_at > from && c->end_at - from < UNREACH_HORIZON_S)
		return (long)(c->end_at - from);
	return UNREACH_HORIZON_S;
}

const char *round_unreachable_span(const struct campaign *c, time_t now)
{
	return unreach_horizon(c, now) < UNREACH_HORIZON_S ? "before end_at"
							   : "in any week";
}

size_t round_unreachable(const struct rules *ru, const struct campaign *c,
			 const struct audience *a, time_t now, char *why,
			 size_t why_n)
{
	time_t from = c->start_at > now ? c->start_at : now;
	long horizon = unreach_horizon(c, now);
	uint8_t *seen;
	size_t i, n = 0;

	if (why_n)
		why[0] = '\0';
	if (c->end_at && c->end_at <= from)
		return 0; /* over before it starts: end_at says so itself */
	/* per place: 0 not looked at, 1 callable, 2 never */
	if (!a->n_places || !(seen = calloc(a->n_places, 1)))
		return 0;
	for (i = 0; i < a->n; i++) {
		uint32_t p = a->r[i].place;
		char w[ROUND_WHY_MAX];
		if (p >= a->n_places)
			continue;
		if (!seen[p])
			seen[p] = place_is_open(ru, &a->places[p], &c->window, from) ||
				  place_next_open(ru, &a->places[p], &c->window,
						  from, horizon, w, sizeof(w)) ? 1 : 2;
		if (seen[p] == 2 && !n++ && why_n)
			snprintf(why, why_n, "%s", w);
	}
	free(seen);
	return n;
}
