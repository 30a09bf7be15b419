#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "buf.h"
#include "err.h"
#include "ledger.h"
#include "phone.h"
#include "started.h"
#include "state.h"
#include "banned.h"

/* A number the log names that the audience no longer holds there. */
struct gone {
	uint64_t key;
	uint32_t row;  /* the line the log recorded */
	uint32_t now;  /* the line it is on now, 0 when gone */
};

struct gones {
	struct gone *v;
	size_t n, alloc;
};

static int gone_add(struct gones *g, uint64_t key, uint32_t row, uint32_t now)
{
	if (g->n == g->alloc) {
		size_t na = g->alloc ? g->alloc * 2 : 64;
		struct gone *v = realloc(g->v, na * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		g->v = v;
		g->alloc = na;
	}
	g->v[g->n].key = key;
	g->v[g->n].row = row;
	g->v[g->n].now = now;
	g->n++;
	return 0;
}

static int key_cmp(const void *x, const void *y)
{
	const struct gone *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->row < q->row ? -1 : p->row > q->row;
}

static int gone_cmp(const void *x, const void *y)
{
	const struct gone *p = x, *q = y;

	if (p->row != q->row)
		return p->row < q->row ? -1 : 1;
	return p->key < q->key ? -1 : p->key > q->key;
}

/*
 * True when a's row problems (sorted by line) hold number key at line:
 * a row skipped for a problem (a duplicate, no consent) is still there.
 */
static int problem_at(const struct audience *a, uint64_t key, uint32_t line)
{
	size_t lo = 0, hi = a->n_problems;
	char phone[PHONE_MAX];
	struct recipient x;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->problems[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	memset(&x, 0, sizeof(x));
	x.key = key;
	audience_phone(phone, &x);
	for (; lo < a->n_problems && a->problems[lo].line == line; lo++)
		if (!strcmp(a->problems[lo].phone, phone))
			return 1;
	return 0;
}

/* Judges one parsed event of campaign rc's log against its audience. */
static int judge(const struct audience *a, const struct ev *e, struct gones *g)
{
	const struct recipient *x;

	if ((e->kind != EV_DISPATCHED && e->kind != EV_SKIPPED) || !e->key ||
	    !e->has_row)
		return 0;
	x = audience_find(a, e->key);
	if (x && x->line == e->row)
		return 0;
	if (e->kind == EV_SKIPPED && problem_at(a, e->key, e->row))
		return 0;
	return gone_add(g, e->key, e->row, x ? x->line : 0);
}

/* The errors of one campaign, each number once (its first row). */
static void report(const struct repo_campaign *rc, struct gones *g,
		   struct diags *d)
{
	size_t i, j, shown = 0, more = 0;

	/* each number once, at the first line the log gave it */
	qsort(g->v, g->n, sizeof(*g->v), key_cmp);
	for (i = j = 0; i < g->n; i++)
		if (!j || g->v[j - 1].key != g->v[i].key)
			g->v[j++] = g->v[i];
	g->n = j;
	qsort(g->v, g->n, sizeof(*g->v), gone_cmp);
	for (i = 0; i < g->n; i++) {
		const struct gone *x = &g->v[i];
		char phone[PHONE_MAX];
		struct recipient r;
		if (shown == STARTED_REPORT_MAX) {
			more++;
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.key = x->key;
		audience_phone(phone, &r);
		if (x->now)
			diags_add(d, DIAG_ERROR, rc->audience_path, x->row, "phone",
				  "%s, dialed or skipped by the started campaign "
				  "%s from this line, is now on line %lu: rows "
				  "the log names must stay where they are (add "
				  "rows at the end)", phone, rc->id,
				  (unsigned long)x->now);
		else
			diags_add(d, DIAG_ERROR, rc->audience_path, x->row, "phone",
				  "%s, dialed or skipped by the started campaign "
				  "%s from this line, was removed or its number "
				  "changed: its outcome would drop out of the "
				  "counts (keep the row; to call others, add rows "
				  "at the end or use a new campaign)", phone, rc->id);
		shown++;
	}
	if (more)
		diags_add(d, DIAG_ERROR, rc->audience_path, 0, NULL,
			  "%zu more number%s the log of %s names %s gone or "
			  "moved", more, more == 1 ? "" : "s", rc->id,
			  more == 1 ? "is" : "are");
}

/* started_check for one campaign. */
static int check_one(struct src *s, struct repo_campaign *rc, struct diags *d)
{
	struct src_files f = { NULL, 0 };
	struct buf data = BUF_INIT(LEDGER_FILE_MAX);
	struct ev_pool pool = { NULL, 0, 0 };
	struct gones g = { NULL, 0, 0 };
	struct ev *v = NULL;
	size_t i, k, n, alloc = 0;
	int rc2;

	if ((rc2 = ledger_files(&f, s, rc->id)) || !f.n)
		goto cleanup;
	if ((rc2 = audience_index(rc->aud)))
		goto cleanup;
	for (i = 0; !rc2 && i < f.n; i++) {
		buf_reset(&data);
		pool.len = 0;
		if ((rc2 = s->read(s, f.v[i].path, &data, LEDGER_FILE_MAX)) ||
		    (rc2 = ledger_parse(data.ptr, data.len, &v, &n, &alloc, &pool)))
			break;
		for (k = 0; !rc2 && k < n; k++)
			rc2 = judge(rc->aud, &v[k], &g);
	}
	if (!rc2 && g.n)
		report(rc, &g, d);
cleanup:
	free(g.v);
	free(v);
	ev_pool_release(&pool);
	buf_release(&data);
	src_files_release(&f);
	return rc2;
}

int started_check(struct src *s, struct repo *r, struct diags *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && r && i < r->n; i++)
		if (r->v[i].aud && !strcmp(r->v[i].top, "campaigns"))
			rc = check_one(s, &r->v[i], d);
	return rc;
}
