/* Builds the requests the runner sends to provider functions (SPEC §6). */
#ifndef GD_RENDER_H
#define GD_RENDER_H

#include <cjson/cJSON.h>
#include <time.h>

#include "audience.h"
#include "buf.h"
#include "campaign.h"
#include "config.h"

/*
 * Renders the override script for one recipient: every {{column}} takes
 * the row's value (rows with an empty value never get this far).
 */
int render_script(struct buf *out, const struct campaign *c,
		  const struct audience *a, const struct recipient *r);
/* As render_script, for any campaign text (the voicemail message). */
int render_text(struct buf *out, const char *text, const struct audience *a,
		const struct recipient *r);

/*
 * The dial request for attempt_id to recipient r (a new object, the
 * caller's). disclosure is the text to say first, or NULL.
 */
cJSON *render_dial(const struct config *cfg, const struct campaign *c,
		   const struct audience *a, const struct recipient *r,
		   const char *attempt_id, const char *caller_id, time_t now);
/* The status request for an attempt (call_id may be NULL). */
cJSON *render_status(const struct config *cfg, const struct campaign *c,
		     const char *attempt_id, const char *to, const char *call_id,
		     time_t dispatched_at, time_t now);

#endif
