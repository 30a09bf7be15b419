/*
 * gitdial audit: the runner's promises checked again from the committed
 * history alone (docs/audit.md). This is the pure half: it is fed the
 * log's lines in history order (commit by commit, files in path order,
 * lines in order), each with where it came from and the configuration in
 * force at that commit (campaign.json, the audience, the rules pack,
 * gitdial.json), and the do-not-call lines the same way; it keeps what
 * the checks need per number and returns findings. It reads no file and
 * knows nothing of git: core/audit_walk.c walks the history.
 */
#ifndef GD_AUDIT_H
#define GD_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audience.h"
#include "campaign.h"
#include "config.h"
#include "rules.h"
#include "state.h"

enum audit_check {
	AC_CLAIMS, AC_WINDOWS, AC_DNC, AC_CONSENT, AC_CAPS, AC_DISCLOSURE,
	AC_ACCOUNTING, AC_HISTORY, AC_N
};
extern const char *const audit_check_names[AC_N];
/* What each check proves, one line each (for the text and HTML output). */
extern const char *const audit_check_titles[AC_N];

/* Findings kept in full per check; the rest are only counted. */
#define AUDIT_KEEP 1000

struct audit_finding {
	enum audit_check check;
	char rule[48];      /* the promise or rule id: "two-in-flight", "us-tcpa" */
	char campaign[65];  /* "" for the do-not-call list */
	char file[200];     /* repository path of the event's file */
	unsigned long line; /* 1-based line in it (0: the whole file) */
	char commit[41];    /* the commit that added (or removed) the line */
	char message[400];
};

/* Where a line came from: the walker's indexes, kept small per event. */
struct audit_at {
	uint32_t commit; /* index from audit_commit */
	uint32_t file;   /* index from audit_file */
	uint32_t line;   /* 1-based */
};

/*
 * The configuration in force at a commit for one campaign. Any pointer
 * may be NULL when that commit lacks it (a purged campaign folder, a
 * broken campaign.json): the checks that need it then report that they
 * could not be done.
 */
struct audit_ctx {
	const struct campaign *c;
	const struct audience *aud; /* read with the campaign and rules: places set */
	const struct rules *rules;
	const struct config *cfg;
};

struct audit;

int audit_new(struct audit **out);
void audit_free(struct audit *a);

/*
 * Registers the next commit of the walk (40-hex id); by_runner when its
 * author and committer are the runner's identity; in_range when findings
 * in it are reported (--since: older commits only build the state).
 * Returns its index (commits are registered in walk order).
 */
uint32_t audit_commit(struct audit *a, const char *id, int by_runner,
		      int in_range);
/* The index of a file path (interned). */
uint32_t audit_file(struct audit *a, const char *path);

/*
 * One line of campaign's log, at. e and pool are state_parse's; rules is
 * what state_parse does not keep: the rules digest a dispatch recorded
 * (audit_rules_recorded of its raw line), or NULL when it recorded none
 * (only a dispatch's is read). ctx is the campaign's configuration at
 * that commit; only a dispatch or a completion reads it (see
 * audit_event_needs_ctx), so the walker loads it only for those lines and
 * may pass NULL for the others.
 */
int audit_event(struct audit *a, const char *campaign, const struct audit_at *at,
		const struct ev *e, const struct ev_pool *pool, const char *rules,
		const struct audit_ctx *ctx);
/*
 * The "rules" member of a log line (len bytes of raw text), as written:
 * at most 16 characters into out. Returns 0 when the line has none.
 */
int audit_rules_recorded(const char *line, size_t len, char out[17]);
/* True when a line of this kind needs the campaign's configuration. */
int audit_event_needs_ctx(const struct ev *e);

/* One line of dnc/ (at says where). A bad line is a finding of its own. */
int audit_dnc_line(struct audit *a, const struct audit_at *at, const char *line,
		   size_t len);

/*
 * A finding the walker made itself (history: a line changed or removed;
 * a campaign.json unreadable at a dispatch). campaign may be "".
 */
int audit_report(struct audit *a, enum audit_check check, const char *rule,
		 const char *campaign, const struct audit_at *at,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Counts one item checked by check (for the summary). */
void audit_count(struct audit *a, enum audit_check check, size_t n);

/*
 * Ends the walk: the checks that need every dispatch (caps across
 * campaigns) run here. Call once, after the last line.
 */
int audit_finish(struct audit *a);

/* The results: per check, items checked and findings (all, and kept). */
size_t audit_checked(const struct audit *a, enum audit_check check);
size_t audit_found(const struct audit *a, enum audit_check check);
size_t audit_found_total(const struct audit *a);
const struct audit_finding *audit_findings(const struct audit *a, size_t *n);

#endif
