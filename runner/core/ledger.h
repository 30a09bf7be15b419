/*
 * The event log on disk (SPEC §5): outcomes/<id>/ (every .jsonl below), read in
 * lexical path order, written as new files only, one per commit, so a
 * commit costs the same on day 1 and day 300.
 */
#ifndef GD_LEDGER_H
#define GD_LEDGER_H

#include <time.h>

#include "buf.h"
#include "err.h"
#include "state.h"
#include "src.h"

#define LEDGER_FILE_MAX (512u << 20)

/* Replays every log file of campaign id from s into st. */
int ledger_replay(struct cstate *st, struct src *s, const char *id);
/* Lists the log files of campaign id (repository paths, sorted). */
int ledger_files(struct src_files *out, struct src *s, const char *id);
/*
 * The content id of campaign id's whole log (the tree id of its
 * directory), "" when the source has none or there is no log yet.
 */
void ledger_id(struct src *s, const char *id, char out[41]);
/*
 * The log files added since the log whose ledger_id was since, sorted;
 * *stale when that cannot tell (a file gone or changed, since unknown):
 * see src->files_since.
 */
int ledger_files_since(struct src_files *out, struct src *s, const char *id,
		       const char *since, int *stale);
/* Replays every file of files (listed by ledger_files) into st. */
int ledger_replay_files(struct cstate *st, struct src *s,
			const struct src_files *files);

/*
 * A replay begun ahead: parsing a log needs no state, applying it needs
 * the audience, so a cold tick has other threads parse campaign id's log
 * while this thread reads the audience. ledger_ahead_start lists the files
 * in s and starts the threads (*out stays NULL, with 0, when there is
 * nothing to gain: one CPU, a short log); they parse in path order and
 * stop once LEDGER_AHEAD_BYTES of parsed lines wait to be applied.
 * ledger_ahead_replay applies them to st, parsing the rest meanwhile, as
 * ledger_replay_files(st, s, files) would (which it does when files is not
 * the list it started with); it may be called once. ledger_ahead_free
 * stops the threads and frees everything, applied or not. All three are
 * called from the thread that owns s. While an ahead runs, cJSON's hooks
 * are set (plain malloc and free for this thread).
 */
#define LEDGER_AHEAD_BYTES (80u << 20)
struct ledger_ahead;
int ledger_ahead_start(struct ledger_ahead **out, struct src *s, const char *id);
int ledger_ahead_replay(struct ledger_ahead *a, struct cstate *st,
			const struct src_files *files);
void ledger_ahead_free(struct ledger_ahead *a);
/*
 * Parses every non-empty line of data (len bytes) into (*v)[0..*n), in
 * order, their strings in pool, as a replay does (cJSON on this thread's
 * arena): for callers that judge lines one by one (gitdial audit). *v
 * grows as needed (*alloc is its room); the caller frees *v and the pool.
 * Safe on any thread, several at once (each with its own v and pool); a
 * thread that called it, other than the main one, calls
 * ledger_parse_thread_end before it ends.
 */
int ledger_parse(const char *data, size_t len, struct ev **v, size_t *n,
		 size_t *alloc, struct ev_pool *pool);
/* Frees this thread's parsing arena (ledger_parse makes it again). */
void ledger_parse_thread_end(void);
/*
 * Keeps cJSON's hooks set, as they are while a ledger_parse runs, until
 * ledger_parse_release: for a caller whose threads parse logs while it
 * parses other JSON, so that the hooks never change under it.
 */
void ledger_parse_hold(void);
void ledger_parse_release(void);
/* Applies every line of data (len bytes) to st. */
int ledger_apply(struct cstate *st, const char *data, size_t len);
/*
 * The path of a new log file: outcomes/<id>/YYYY/MM/DD/THHMMSSZ-<tag>.jsonl;
 * tag must make it unique (e.g. derived from the parent commit id).
 */
void ledger_path(char *out, size_t n, const char *id, time_t now, const char *tag);

/*
 * Appends one event line ("...}\n") to out; each returns 0 or an error.
 * A dispatch records rules, the digest of the rules pack its windows
 * and caps were judged with (rules_digest; 0 leaves it out), so that
 * gitdial audit can tell whether it evaluates with the same pack.
 */
GD_MUST_CHECK
int ev_dispatched(struct buf *out, time_t ts, const char *campaign,
		  const char *attempt_id, const char *phone, unsigned long row,
		  int attempt, const char *account, const char *caller_id,
		  uint64_t rules);
GD_MUST_CHECK
int ev_placed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id);
/* An outcome that the runner itself decides (failed dial, reconcile). */
GD_MUST_CHECK
int ev_failed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id, const char *kind,
	      const char *code, const char *message);
/*
 * An outcome a provider reported through the function's status answer:
 * the event's own keys (v, ts, campaign, event, attempt_id, call_id) are
 * the runner's, never taken from fields; the outcome's other fields
 * (outcome, duration_s, connected, answered, error, ...) are copied in
 * order. GD_EINVALID when fields is not an object with a string
 * "outcome" (nothing appended): the answer closes nothing.
 */
struct cJSON;
GD_MUST_CHECK
int ev_outcome_fields(struct buf *out, time_t ts, const char *campaign,
		      const char *attempt_id, const char *call_id,
		      const struct cJSON *fields);
GD_MUST_CHECK
int ev_skipped(struct buf *out, time_t ts, const char *campaign,
	       const char *phone, unsigned long row, const char *reason);
GD_MUST_CHECK
int ev_status(struct buf *out, time_t ts, const char *campaign,
	      const char *status, const char *reason);

#endif
