/*
 * Fuzz target: the DNC history people see (dnc_log, for gitdial dnc list
 * and check) against the tick's reading (dnc_load). For every number the
 * two must agree on whether it is blocked, whatever the files hold. The
 * input is split at its first 0xff byte into dnc/a.jsonl and dnc/b.jsonl.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "dnc.h"
#include "dnc_log.h"
#include "err.h"
#include "phone.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const char *a, *b;
	size_t alen, blen;
};

static int mem_read(struct src *s, const char *path, struct buf *out, size_t max)
{
	struct mem *m = s->ctx;

	out->max = max;
	if (!strcmp(path, "dnc/a.jsonl"))
		return buf_put(out, m->a, m->alen);
	if (!strcmp(path, "dnc/b.jsonl"))
		return buf_put(out, m->b, m->blen);
	return GD_ENOTFOUND;
}

static int mem_list(struct src *s, const char *dir, struct names *out)
{
	static const char *const n[] = { "README.md", "a.jsonl", "b.jsonl", "old/" };
	size_t i;

	(void)s;
	if (strcmp(dir, "dnc"))
		return GD_ENOTFOUND;
	out->v = calloc(4, sizeof(*out->v));
	out->n = 0;
	for (i = 0; out->v && i < 4; i++)
		if ((out->v[out->n] = strdup(n[i])))
			out->n++;
	return 0;
}

static void mem_id(struct src *s, const char *path, char out[41])
{
	(void)s;
	(void)path;
	out[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = memchr(data, 0xff, size);
	struct mem m;
	struct src s;
	struct diags d = { 0 };
	struct dnc *set = NULL;
	struct dnc_log l = { 0 };
	size_t i, blocked = 0;

	memset(&s, 0, sizeof(s));
	s.read = mem_read;
	s.list = mem_list;
	s.content_id = mem_id;
	s.ctx = &m;

	m.a = (const char *)data;
	m.alen = cut ? (size_t)(cut - data) : size;
	m.b = cut ? (const char *)cut + 1 : "";
	m.blen = cut ? size - m.alen - 1 : 0;
	if (dnc_load(&set, &s, NULL) == 0 && dnc_log_load(&l, &s, &d) == 0) {
		dnc_log_sort(&l);
		for (i = 0; i < l.n; i++) {
			const struct dnc_rec *r = dnc_log_latest(&l, l.v[i].key);
			if (!r || r->key != l.v[i].key)
				abort();
			if (i + 1 < l.n && l.v[i + 1].key == l.v[i].key)
				continue;
			if (r != &l.v[i] || r->add != dnc_contains(set, r->key))
				abort(); /* people and the tick disagree */
			blocked += r->add;
		}
		if (blocked != set->n)
			abort();
	}
	dnc_log_release(&l);
	dnc_free(set);
	diags_release(&d);
	return 0;
}
