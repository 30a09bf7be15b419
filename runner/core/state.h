/*
 * State derived from a campaign's event log (SPEC §4 step 4, §5): per
 * recipient attempts, in-flight calls, last outcome and when it ended,
 * and the campaign's logged status. Pure: it takes log lines and an
 * audience, touches no file, and the order of an attempt's events does
 * not matter (a webhook may be ingested before the `placed` line).
 */
#ifndef GD_STATE_H
#define GD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attempt.h"
#include "audience.h"
#include "campaign.h"


struct rstate {
	uint16_t dispatched; /* bit n: attempt n was claimed */
	uint16_t placed;     /* bit n: the provider accepted attempt n */
	uint16_t done;       /* bit n: attempt n has an outcome */
	uint16_t free;       /* bit n: attempt n did not count (rate limited) */
	uint8_t last_outcome; /* enum outcome of the newest finished attempt */
	uint8_t last_attempt;
	uint8_t skipped;      /* a `skipped` event: never dialed again */
	uint8_t dead;         /* never called again: 1 the number (invalid, no
			       * WhatsApp call permission), 2 ended with its
			       * campaign (RS_DEAD_CAMPAIGN) */
	uint32_t dl_last;     /* 1 + index in cstate.dl of its newest claim, 0 = none */
	int64_t last_end;      /* ts of the newest attempt's outcome */
	int64_t dispatched_at; /* ts of the newest claim */
	int64_t placed_at;
};

/*
 * rstate.dead for a recipient whose newest attempt was refused for the
 * whole campaign (error kind `rejected` or `auth`: a caller ID the
 * provider does not accept, credentials it refuses), which fails the
 * campaign. Nothing is wrong with the number: when an operator resumes
 * the Failed campaign (a status whose reason starts with
 * RESUMED_FAILED_PREFIX, newer than the refusal), the attempt stops
 * counting and the recipient is dialed again.
 */
#define RS_DEAD_CAMPAIGN 2
#define RESUMED_FAILED_PREFIX "resumed after failed"
/*
 * The reason of the `failed` status `gitdial duplicate --remaining`
 * writes for a campaign whose recipients not yet reached it moved to a
 * copy: that campaign is never resumed (the copy dials them).
 */
#define REMAINING_PREFIX "remaining:"

/* Attempts in flight: claimed, and without an outcome. */
#define RS_INFLIGHT(rs) ((rs)->dispatched & ~(rs)->done)

enum status {
	ST_NONE = 0, ST_DRAFT, ST_SCHEDULED, ST_DIALING, ST_PAUSED,
	ST_COMPLETED, ST_FAILED,
	ST_ARCHIVED, /* shown only (state_shown): never logged nor effective */
};
extern const char *const status_names[];   /* "draft", ... (log values) */
extern const char *const status_labels[];  /* "Draft", ... (for people) */
/* A logged status (draft ... failed); ST_NONE for anything else. */
enum status status_parse(const char *s);

struct outcome_rec { /* for show/report: the newest outcomes */
	uint64_t key;
	uint8_t outcome;
	uint8_t sentiment; /* 0 none, 1 positive, 2 neutral, 3 negative */
	int32_t duration_s;
	int64_t ts;
	char call_id[48];
	char recording[200]; /* recording_url, "" when none */
};

#define RECENT_MAX 50
#define SKIP_WHY_MAX 8

/*
 * One claim, for frequency caps: its time (unix seconds) and 1 + the
 * index of the same recipient's claim before it in log order (0 = none),
 * so a number's claims are found from rstate.dl_last without a scan.
 */
struct dlog {
	uint32_t ts;
	uint32_t prev;
};

/*
 * Circuit breaker (SPEC §7, issue 7): when at least BREAKER_FAILED of the
 * last BREAKER_WINDOW attempts (with BREAKER_WINDOW or more since the
 * last status change) failed at the provider or transport level, the
 * tick pauses the campaign with a `status` event whose reason starts
 * with BREAKER_PREFIX. That pause holds whatever campaign.json says until
 * a newer `status` event that is not the breaker's (a `gitdial resume`,
 * or the tick's own "paused in campaign.json" / "resumed in
 * campaign.json" when an operator pauses and then schedules the campaign
 * again); any such event also starts the count afresh: only attempts
 * whose outcome is at or after its ts count (by time, not log order).
 * "Failed at the provider or transport level": an outcome with an error
 * of any kind but invalid_number (transient, rate_limited, auth,
 * rejected, not_placed, ...), or a `failed` call without one.
 */
#define BREAKER_WINDOW 20
#define BREAKER_FAILED 10
#define BREAKER_PREFIX "breaker:"
/*
 * An error of kind `account` (the provider says the account or its
 * settings are wrong: geo permissions, a trial account, an unverified
 * caller ID, a trunk refusing our credentials) pauses the campaign the
 * same way, with a reason that starts with ACCOUNT_PREFIX; the attempt
 * does not count against the recipient's retries (nothing is wrong with
 * the number), so `gitdial resume` after the fix dials them again.
 */
#define ACCOUNT_PREFIX "account:"

/*
 * A campaign's state. The state cache (cache.c) saves its values field
 * by field: a field added here that is not rebuilt from the arrays must
 * be added to cache.c's struct saved too.
 */
struct cstate {
	const struct audience *aud;
	struct rstate *r; /* parallel to aud->r */
	void *r_map;      /* the cache file r lives in (file_map), or NULL */
	size_t n;
	/* lines of audience rows already logged as skipped */
	uint8_t *skipped_line; /* bitmap by physical line */
	size_t skipped_line_max;
	enum status logged;     /* the newest `status` event */
	char logged_reason[256];
	int64_t logged_ts;
	int64_t first_ts, last_ts;
	int ever_dialed;
	/* call ids of placed attempts, for status queries (state_call_id) */
	struct flight { uint32_t idx; uint8_t attempt; char call_id[64]; } *fl;
	size_t nfl, fl_alloc;
	uint64_t *analysis; /* hashes of call ids with an analysis event */
	size_t n_analysis, analysis_alloc;
	/* counters for list/show */
	size_t events, bad_lines, unknown;
	size_t n_connected, n_answered, n_noanswer, n_failed_calls;
	size_t n_outcomes, n_dispatched, n_skipped;
	size_t n_provider_failed; /* outcomes with an error (provider or transport) */
	/* skip events by reason, first SKIP_WHY_MAX reasons seen; the
	 * rest (and reasons too long) counted in the last, "other" */
	struct skip_why { char why[48]; uint32_t n; } skip_why[SKIP_WHY_MAX];
	int64_t revive_ts;   /* the newest resumption of a Failed campaign */
	/* claims in log order, for frequency caps across campaigns */
	struct dlog *dl;
	size_t ndl, dl_alloc;
	int dl_mapped; /* dl lies in the cache's private mapping (r_map) */
	/* recipients with an attempt in flight: how many, and their indexes
	 * (appended when one goes in flight; stale or repeated entries are
	 * dropped by state_in_flight_list) */
	size_t n_inflight;
	uint32_t *infl;
	size_t ninfl, infl_alloc;
	/* circuit breaker: the newest BREAKER_WINDOW attempt results by
	 * time (newest first), and the time of the newest status that is not
	 * the breaker's: only attempts since then count (log order free) */
	struct brk_rec { int64_t ts; int64_t failed; } brk[BREAKER_WINDOW];
	uint32_t n_brk;
	int64_t brk_since;
	struct outcome_rec recent[RECENT_MAX];
	size_t n_recent; /* total seen; recent[] holds the newest RECENT_MAX */
};

/* Prepares state for an audience (may be NULL: no recipients). */
int state_init(struct cstate *s, const struct audience *aud);
void state_release(struct cstate *s);
/*
 * Applies one log line (a JSON object; len bytes, need not be
 * NUL-terminated). A malformed line is counted in bad_lines and skipped.
 * Same as state_parse then state_apply_ev.
 */
void state_apply(struct cstate *s, const char *line, size_t len);

enum ev_kind { EV_OTHER, EV_DISPATCHED, EV_PLACED, EV_OUTCOME, EV_SKIPPED,
	       EV_STATUS, EV_ANALYSIS, EV_BAD, EV_RECORDING };
/*
 * The kinds of error a function's answer or an outcome carries in
 * error.kind (schemas/event.schema.json): one list for the runner,
 * parsed in one place. EK_OTHER is a kind gitdial does not know.
 */
enum err_kind { EK_NONE, EK_INVALID_NUMBER, EK_DECLINED, EK_RATE_LIMITED,
		EK_TRANSIENT, EK_ACCOUNT, EK_REJECTED, EK_AUTH,
		EK_NO_CALL_PERMISSION, EK_OTHER };
/* kind's enum (NULL: EK_NONE). */
enum err_kind err_kind_parse(const char *kind);
/* What an outcome's error.kind means (see state_apply_ev). */
enum { ERRC_NONE, ERRC_INVALID, ERRC_FREE, ERRC_DEAD, ERRC_OTHER,
       ERRC_CAMPAIGN /* rejected, auth: see RS_DEAD_CAMPAIGN */ };

/* Strings of parsed lines: NUL-ended, found by 1-based offset. */
struct ev_pool {
	char *p;
	size_t len, cap;
};
void ev_pool_release(struct ev_pool *p);

/*
 * One log line parsed: all a state needs from it, with its strings in a
 * pool (0 = absent), so lines can be parsed on other threads and applied
 * in log order later.
 */
struct ev {
	int64_t ts;
	uint64_t key;      /* the attempt id's number, or a skip's phone */
	uint32_t call_id, recording, reason; /* pool offsets */
	int32_t duration;  /* clamped to [0, 1e7) */
	uint32_t row;      /* skipped, dispatched: when has_row, 1 <= row < 4e9 */
	uint8_t kind;      /* enum ev_kind */
	uint8_t attempt;   /* 0 when the attempt id is malformed */
	uint8_t outcome;   /* enum outcome */
	uint8_t err;       /* ERRC_* */
	uint8_t status;    /* enum status */
	uint8_t answered, has_row, has_sentiment, sentiment;
};
/*
 * Parses one log line into e, its strings appended to pool (a line that
 * is not a well-formed event becomes EV_BAD). Touches no state: safe on
 * any thread, given its own pool.
 */
void state_parse(struct ev *e, struct ev_pool *pool, const char *line, size_t len);
/* Applies a parsed line; pool is the one state_parse was given. */
void state_apply_ev(struct cstate *s, const struct ev *e,
		    const struct ev_pool *pool);
/* state_apply_ev for each of v[0..n), in order (fetching ahead). */
void state_apply_evs(struct cstate *s, const struct ev *v, size_t n,
		     const struct ev_pool *pool);
/* The call id of placed attempt (idx, attempt), or NULL. */
const char *state_call_id(const struct cstate *s, uint32_t idx, int attempt);
/* True when the log has an analysis event for call_id. */
int state_has_analysis(const struct cstate *s, const char *call_id);
/* True when the log has a recording event for attempt_id. */
int state_has_recording(const struct cstate *s, const char *attempt_id);
/* Recipient index for a phone key, or -1. */
long state_find(const struct cstate *s, uint64_t key);
/* The newest attempt number claimed for a recipient, 0 if none. */
int rstate_newest(const struct rstate *rs);
/*
 * How many claims of recipient idx among the first upto of s->dl (those
 * the log had when the caller took ndl) have a time in (from, to].
 */
size_t state_claims(const struct cstate *s, size_t idx, size_t upto,
		    time_t from, time_t to);
/* How many recipients have an attempt in flight. */
size_t state_in_flight(const struct cstate *s);
/*
 * The recipients with an attempt in flight, ascending, without scanning
 * them all: *out points into s (valid until the state changes), *n set.
 */
void state_in_flight_list(struct cstate *s, const uint32_t **out, size_t *n);
/*
 * Forgets everything derived from the log, keeping the recipients and the
 * audience (for a cache that turned out stale).
 */
void state_forget(struct cstate *s);
/* Number of attempts that count against retries.max. */
int rstate_attempts(const struct rstate *rs);

enum elig { EL_NOW, EL_WAIT, EL_INFLIGHT, EL_TERMINAL };
/*
 * Whether recipient rs may be dialed at now by campaign c (ignoring
 * windows, DNC and slots, which the caller checks): in flight, waiting
 * for a cool-down (*when set to the earliest time), terminal, or now.
 */
enum elig rstate_eligible(const struct campaign *c, const struct rstate *rs,
			  time_t now, time_t *when);

/*
 * The effective status of c at now given its logged state (SPEC §4):
 * what the tick acts on. The newest status wins: the runner writes
 * none after `completed`, and `gitdial resume` refuses a Completed
 * campaign, so Completed is final; a `failed` one holds until a newer
 * status (gitdial resume, RESUMED_FAILED_PREFIX).
 */
enum status state_effective(const struct campaign *c, const struct cstate *s,
			    time_t now);
/*
 * The status to show people: state_effective, but Scheduled until a
 * tick has started the campaign (logged it dialing), and ST_ARCHIVED
 * for a campaign outside campaigns/ (archived, deleted: nothing dials
 * it) that is not Completed or Failed.
 */
enum status state_shown(const struct campaign *c, const struct cstate *s,
			time_t now, int archived);
/*
 * The breaker's verdict: 1 when it trips (see BREAKER_WINDOW), with
 * *failed of the last *of attempts failed; 0 otherwise.
 */
int state_breaker(const struct cstate *s, int *failed, int *of);
/*
 * True when the newest status is a pause the runner made itself (the
 * breaker's or an account error's): it holds until a `gitdial resume`.
 */
int state_breaker_paused(const struct cstate *s);
/* True when every recipient is terminal and nothing is in flight. */
int state_all_terminal(const struct campaign *c, const struct cstate *s,
		       time_t now);

#endif
