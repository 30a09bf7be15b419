/*
 * Fuzz target: a repository's rules pack (rules/ *.json, outside input)
 * through rules_check, then layered over the embedded pack from an
 * in-memory source; when it applies, places and windows of a few numbers
 * are computed with it (hours bitmaps, holiday lookups, caps).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "err.h"
#include "rules.h"
#include "src.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const char *p;
	size_t len;
};

static int mem_read(struct src *s, const char *path, struct buf *out, size_t max)
{
	struct mem *m = s->ctx;

	out->max = max;
	if (!strcmp(path, "rules/fuzz.json"))
		return buf_put(out, m->p, m->len);
	return GD_ENOTFOUND;
}

static int mem_list(struct src *s, const char *dir, struct names *out)
{
	(void)s;
	if (strcmp(dir, "rules"))
		return GD_ENOTFOUND;
	out->v = calloc(2, sizeof(*out->v));
	out->n = 0;
	if (out->v && (out->v[0] = strdup("fuzz.json")))
		out->n = 1;
	return 0;
}

static size_t count_two(void *ctx, long period_s)
{
	(void)ctx;
	return period_s > 86400 ? 2 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const numbers[] = {
		"+12125550100", "+13055550100", "+12082001234", "+33142685300",
		"+971501234567", "+442079460958"
	};
	struct diags d = { 0 };
	struct rules *r = NULL;
	struct mem m = { (const char *)data, size };
	struct src s;
	struct daywin w;
	size_t i;

	rules_check("fuzz.json", (const char *)data, size, &d);
	diags_release(&d);
	memset(&s, 0, sizeof(s));
	s.read = mem_read;
	s.list = mem_list;
	s.ctx = &m;
	if (rules_load_layered(&r, &s, &d) == 0 && r) {
		daywin_fill(&w);
		for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
			struct place p;
			char why[96];
			if (rules_place(r, &p, numbers[i], NULL))
				continue;
			(void)place_is_open(r, &p, &w, 1795000000);
			(void)place_next_open(r, &p, &w, 1795000000, 2 * 86400, why,
					      sizeof(why));
			(void)place_cap(r, &p, 1795000000, count_two, NULL, NULL);
		}
	}
	rules_free(r);
	diags_release(&d);
	return 0;
}
