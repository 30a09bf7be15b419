#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ledger.h"
#include "summary.h"
#include "util.h"
#include "banned.h"

int summary_fill(struct csummary *out, struct cstate *cs, const struct repo *r,
		 const struct repo_campaign *rc, struct src *s, time_t now)
{
	const struct account *a;
	int err;

	memset(out, 0, sizeof(*out));
	memset(cs, 0, sizeof(*cs));
	if (!rc->c)
		return gd_error_set("campaign '%s' is not loaded", rc->id);
	out->id = rc->id;
	a = config_account(r->cfg, rc->c->account);
	snprintf(out->provider, sizeof(out->provider), "%s",
		 a && a->provider ? a->provider : "?");
	if ((err = state_init(cs, rc->aud)))
		return err;
	if ((err = ledger_replay(cs, s, rc->id)))
		return err;
	out->st = state_shown(rc->c, cs, now, strcmp(rc->top, "campaigns") != 0);
	snprintf(out->name, sizeof(out->name), "%s", rc->c->name);
	out->count = rc->aud ? rc->aud->rows : 0;
	snprintf(out->audience, sizeof(out->audience), "%s (%zu)",
		 rc->c->audience_csv ? rc->c->audience_csv
				     : rc->c->audience_segment, out->count);
	out->connected = cs->n_connected;
	out->answered = cs->n_answered;
	out->noanswer = cs->n_noanswer;
	if (rc->c->created)
		snprintf(out->created, sizeof(out->created), "%.10s", rc->c->created);
	else if (cs->first_ts) {
		char t[21];
		time_format_utc(t, (time_t)cs->first_ts);
		snprintf(out->created, sizeof(out->created), "%.10s", t);
	} else
		snprintf(out->created, sizeof(out->created), "-");
	return 0;
}

void summary_progress(struct progress *p, const struct campaign *c,
		      const struct cstate *cs, time_t now)
{
	size_t i;
	time_t when;
	enum status st = state_effective(c, cs, now);

	memset(p, 0, sizeof(*p));
	for (i = 0; i < cs->n; i++) {
		const struct rstate *rs = &cs->r[i];
		switch (rstate_eligible(c, rs, now, &when)) {
		case EL_INFLIGHT:
			p->in_flight++;
			break;
		case EL_TERMINAL:
			if (!rs->done)
				p->skipped++;
			else if (rs->dead || rs->last_outcome == OUT_FAILED)
				p->failed++;
			else
				p->completed++;
			break;
		default:
			if (st == ST_FAILED || st == ST_COMPLETED)
				p->not_called++;
			else
				p->queued++;
		}
	}
}

