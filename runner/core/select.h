/*
 * Selection (SPEC §4 step 5): who to dial now. Pure: it reads the
 * campaign, audience, derived state, DNC list and which places have an
 * open window, and allocates nothing but its outputs.
 */
#ifndef GD_SELECT_H
#define GD_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audience.h"
#include "campaign.h"
#include "dnc.h"
#include "state.h"

enum { PLACE_CLOSED = 0, PLACE_OPEN = 1, PLACE_NEVER = 2 };

struct select_in {
	const struct campaign *c;
	const struct audience *a;
	const struct cstate *s;
	const struct dnc *dnc;
	/*
	 * Per audience place: PLACE_OPEN now, PLACE_CLOSED (wait), or
	 * PLACE_NEVER: closed until the campaign ends (skip the recipient).
	 */
	const uint8_t *place_open;
	/*
	 * Frequency caps (may be NULL): whether recipient i may be dialed
	 * now; when it says yes the dispatch is counted, so the next answer
	 * (for this campaign or another in the same tick) sees it.
	 */
	int (*admit)(void *ctx, uint32_t i);
	void *admit_ctx;
	time_t now;
	size_t slots;              /* free call slots for this campaign */
};

struct select_out {
	uint32_t *pick;     /* recipients to claim now, in audience order */
	size_t n_pick;
	uint32_t *dnc_skip; /* on the DNC list: log as skipped */
	size_t n_dnc_skip;
	uint32_t *expired;  /* past end_at: log as skipped (expired) */
	size_t n_expired;
	uint32_t *never;    /* at a PLACE_NEVER place: log as skipped (rule id) */
	size_t n_never;
	/* where everyone stands */
	size_t in_flight, terminal, eligible, waiting_window, waiting_cooldown,
	       waiting_cap;
	time_t next_cooldown; /* earliest cool-down end among the waiting, 0 if none */
};

int select_batch(struct select_out *out, const struct select_in *in);
void select_release(struct select_out *out);

#endif
