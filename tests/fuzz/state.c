/*
 * Fuzz target: event-log lines (the .jsonl files under outcomes/<id>/,
 * one JSON object a line) through state_apply for a fixed audience and
 * campaign, then the eligibility, selection and status derived from them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "campaign.h"
#include "diag.h"
#include "select.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char campaign_json[] =
	"{\"name\": \"s\", \"status\": \"scheduled\", \"start_at\": "
	"\"2026-11-24T09:00:00Z\", \"end_at\": \"2026-12-24T09:00:00Z\", "
	"\"account\": \"a\", \"audience\": {\"csv\": \"a.csv\"}, \"pacing\": "
	"{\"concurrency\": 3, \"retries\": {\"max\": 3, \"cooldown_minutes\": "
	"[1, 30, 120], \"on\": [\"no_answer\", \"busy\", \"voicemail\", "
	"\"failed\", \"hangup\"]}}}";

static const char audience_csv[] =
	"phone,name\n"
	"+12125550100,a\n+12125550101,b\n+12125550102,c\n+12125550103,d\n"
	"+966500000100,e\n+442079460958,f\n+13055550100,g\n+12082001234,h\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct campaign *c;
	static struct audience *a;
	static int init;
	struct diags d = { 0 };
	struct cstate s;
	struct select_in in;
	struct select_out out;
	const char *p = (const char *)data, *end = p + size;
	uint8_t open[1] = { 1 };
	time_t now = 1795510800; /* 2026-11-24T09:00:00Z */
	size_t i;

	if (!init) {
		init = 1;
		if (campaign_load(&c, "s", "c.json", campaign_json,
				  strlen(campaign_json), NULL, &d) ||
		    audience_read(&a, "a.csv", audience_csv,
				  sizeof(audience_csv) - 1, NULL, &d))
			abort();
		diags_release(&d);
	}
	if (state_init(&s, a))
		return 0;
	/* lines exactly as ledger_replay cuts them: no NUL after each */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len)
			state_apply(&s, p, len);
		p += len + (nl ? 1 : 0);
	}
	for (i = 0; i < s.n; i++) {
		time_t when;
		enum elig e = rstate_eligible(c, &s.r[i], now, &when);
		if (e > EL_TERMINAL || rstate_attempts(&s.r[i]) > 16)
			abort();
	}
	(void)state_effective(c, &s, now);
	(void)state_all_terminal(c, &s, now);
	(void)state_has_analysis(&s, "CA1");
	memset(&in, 0, sizeof(in));
	in.c = c;
	in.a = a;
	in.s = &s;
	in.place_open = open;
	in.now = now + 3600;
	in.slots = 3;
	if (select_batch(&out, &in) == 0) {
		if (out.n_pick > 3)
			abort();
		for (i = 0; i < out.n_pick; i++)
			if (out.pick[i] >= a->n)
				abort();
		select_release(&out);
	}
	state_release(&s);
	return 0;
}
