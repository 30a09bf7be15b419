/*
 * One campaign as the operator commands show it (SPEC §8): the row of the
 * campaigns table (list, report) and the live progress of its recipients
 * (report, show), derived from the branch head with the tick's own state
 * code, so every view agrees with what the runner will do.
 */
#ifndef GD_SUMMARY_H
#define GD_SUMMARY_H

#include <stddef.h>
#include <time.h>

#include "repo.h"
#include "state.h"
#include "src.h"

/* A row of the campaigns table. */
struct csummary {
	const char *id; /* points into the repo_campaign it was filled from */
	char name[256], provider[32], audience[300], created[24];
	size_t count; /* audience rows read */
	size_t connected, answered, noanswer;
	enum status st;
};

/*
 * Replays campaign rc's log from s into *cs (initialised here; the
 * caller releases it with state_release, also on error) and fills *out:
 * the status to show at now (state_shown), the counters, created (campaign.json's
 * "created", else the day of the first logged event, else "-").
 * rc->c must be loaded. Returns 0 or an error.
 */
int summary_fill(struct csummary *out, struct cstate *cs, const struct repo *r,
		 const struct repo_campaign *rc, struct src *s, time_t now);

/* Where each recipient stands (every recipient is in exactly one). */
struct progress {
	size_t in_flight; /* an attempt claimed and without an outcome */
	size_t queued;    /* may still be dialed (now or after a cool-down) */
	size_t completed; /* terminal after a call that reached the provider */
	size_t failed;    /* terminal with a failed call or a dead number */
	size_t skipped;   /* terminal without a call (DNC, opted out, ...) */
	size_t not_called; /* would be queued, but the campaign is final
			    * (Failed, Completed): nobody calls them */
};

/*
 * Counts where campaign c's recipients stand at now. Pure. On a final
 * campaign nothing is queued: those recipients are not_called.
 */
void summary_progress(struct progress *p, const struct campaign *c,
		      const struct cstate *cs, time_t now);


#endif
