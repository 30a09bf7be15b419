/*
 * Fuzz target: an audience CSV through audience_read. The first byte picks
 * the options (keep the columns, resolve places with the rules tables,
 * check a campaign's placeholders and consent); the rest is the file.
 * Every kept row is then read back (phone, columns, script), and with
 * keep_vars its values at dial time (audience_var) must be the values
 * the reader checked at load (audience_trace_rows), whatever ends the
 * lines (LF, CR LF, a bare CR).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "buf.h"
#include "campaign.h"
#include "diag.h"
#include "phone.h"
#include "render.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The values of the kept rows at load: line, count, then each NUL-ended. */
static struct buf seen = BUF_INIT(64u << 20);

static void seen_row(void *ctx, uint32_t line, char *const *vals, int n)
{
	int c;

	(void)ctx;
	buf_put(&seen, &line, sizeof(line));
	buf_put(&seen, &n, sizeof(n));
	for (c = 0; c < n; c++)
		buf_put(&seen, vals[c], strlen(vals[c]) + 1);
}

/* Aborts unless every kept row's dial-time values are its load-time ones. */
static void check_seen(const struct audience *a)
{
	size_t at = 0, i;
	int c;

	for (i = 0; i < a->n; i++) {
		uint32_t line;
		int n;
		/* rows are kept in order: skip the ones left out (dedup) */
		for (;;) {
			if (at + sizeof(line) + sizeof(n) > seen.len)
				abort(); /* a kept row never seen at load */
			memcpy(&line, seen.ptr + at, sizeof(line));
			memcpy(&n, seen.ptr + at + sizeof(line), sizeof(n));
			at += sizeof(line) + sizeof(n);
			if (line == a->r[i].line)
				break;
			for (c = 0; c < n; c++)
				at += strlen(seen.ptr + at) + 1;
		}
		for (c = 0; c < n; c++) {
			const char *v = seen.ptr + at;
			if (c < a->n_columns && strcmp(audience_var(a, &a->r[i], c), v))
				abort(); /* a row read another row's values */
			at += strlen(v) + 1;
		}
	}
}

static const char campaign_json[] =
	"{\"name\": \"f\", \"account\": \"a\", \"audience\": {\"csv\": \"a.csv\"},"
	" \"require_consent\": false, \"script\": {\"mode\": \"override\","
	" \"text\": \"Hi {{name}}, {{ Amount }} due.\"}}";
static const char consent_json[] =
	"{\"name\": \"f\", \"account\": \"a\", \"audience\": {\"csv\": \"a.csv\"},"
	" \"require_consent\": true}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules *rules;
	static struct campaign *camp, *consent;
	static int init;
	struct diags d = { 0 };
	struct audience *a = NULL;
	struct audience_opts o = { NULL, NULL, 0, NULL, NULL };
	struct buf b = BUF_INIT(1 << 20);
	unsigned flags;
	size_t i;
	int c;

	if (!init) {
		init = 1;
		if (rules_load(&rules) ||
		    campaign_load(&camp, "f", "c.json", campaign_json,
				  strlen(campaign_json), NULL, &d) ||
		    campaign_load(&consent, "f", "c.json", consent_json,
				  strlen(consent_json), NULL, &d))
			abort();
		diags_release(&d);
	}
	if (size < 1)
		return 0;
	flags = data[0];
	o.keep_vars = flags & 1;
	o.rules = flags & 2 ? rules : NULL;
	o.campaign = flags & 4 ? camp : flags & 8 ? consent : NULL;
	buf_reset(&seen);
	audience_trace_rows(seen_row, NULL);
	c = audience_read(&a, "campaigns/f/audience.csv", (const char *)data + 1,
			  size - 1, &o, &d);
	audience_trace_rows(NULL, NULL);
	if (c == 0 && a) {
		if (o.keep_vars)
			check_seen(a);
		if (a->n > a->rows)
			abort();
		for (i = 0; i < a->n; i++) {
			char ph[PHONE_MAX];
			audience_phone(ph, &a->r[i]);
			if (!phone_is_e164(ph) || audience_find(a, a->r[i].key) != &a->r[i])
				abort();
			if (a->r[i].line < 2 || (o.rules && a->r[i].place >= a->n_places))
				abort();
			for (c = 0; c < a->n_columns; c++)
				(void)audience_var(a, &a->r[i], c);
			if (o.campaign == camp && o.keep_vars && i < 50) {
				buf_reset(&b);
				render_script(&b, camp, a, &a->r[i]);
			}
		}
		for (i = 0; i < a->n_problems; i++)
			if (a->problems[i].why < SKIP_INVALID ||
			    a->problems[i].why > SKIP_NO_CONSENT)
				abort();
	}
	for (i = 0; i < d.n; i++)
		if (!d.v[i].msg || strcmp(d.v[i].file, "campaigns/f/audience.csv"))
			abort();
	audience_free(a);
	buf_release(&b);
	diags_release(&d);
	return 0;
}
