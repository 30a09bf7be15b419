#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "select.h"
#include "banned.h"

static int push(uint32_t **v, size_t *n, uint32_t x)
{
	/* grow in powers of two */
	if ((*n & (*n - 1)) == 0) {
		uint32_t *p = realloc(*v, (*n ? *n * 2 : 16) * sizeof(*p));
		if (!p)
			return gd_error_set("out of memory");
		*v = p;
	}
	(*v)[(*n)++] = x;
	return 0;
}

int select_batch(struct select_out *out, const struct select_in *in)
{
	const struct campaign *c = in->c;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->s->n && !rc; i++) {
		const struct rstate *rs = &in->s->r[i];
		const struct recipient *r = &in->a->r[i];
		time_t when;
		enum elig e = rstate_eligible(c, rs, in->now, &when);

		if (e == EL_INFLIGHT) {
			out->in_flight++;
			continue;
		}
		if (e == EL_TERMINAL) {
			out->terminal++;
			continue;
		}
		/* not terminal: the DNC list and end_at can end it now */
		if (dnc_contains(in->dnc, r->key)) {
			rc = push(&out->dnc_skip, &out->n_dnc_skip, (uint32_t)i);
			continue;
		}
		if (c->end_at && in->now >= c->end_at) {
			rc = push(&out->expired, &out->n_expired, (uint32_t)i);
			continue;
		}
		if (in->place_open && in->place_open[r->place] == PLACE_NEVER) {
			rc = push(&out->never, &out->n_never, (uint32_t)i);
			continue;
		}
		if (e == EL_WAIT) {
			out->waiting_cooldown++;
			if (!out->next_cooldown || when < out->next_cooldown)
				out->next_cooldown = when;
			continue;
		}
		if (!in->place_open || in->place_open[r->place] != PLACE_OPEN) {
			out->waiting_window++;
			continue;
		}
		/* a capped number waits; the retry is not lost */
		if (in->admit && out->n_pick < in->slots &&
		    !in->admit(in->admit_ctx, (uint32_t)i)) {
			out->waiting_cap++;
			continue;
		}
		out->eligible++;
		if (out->n_pick < in->slots)
			rc = push(&out->pick, &out->n_pick, (uint32_t)i);
	}
	if (rc)
		select_release(out);
	return rc;
}

void select_release(struct select_out *out)
{
	free(out->pick);
	free(out->dnc_skip);
	free(out->expired);
	free(out->never);
	memset(out, 0, sizeof(*out));
}
