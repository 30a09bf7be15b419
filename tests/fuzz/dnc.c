/*
 * Fuzz target: do-not-call files (dnc/ *.jsonl) through dnc_load, read
 * from an in-memory source: the input is split at its first 0xff byte
 * into two files, dnc/a.jsonl and dnc/b.jsonl.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "dnc.h"
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
	struct dnc *l = NULL;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.read = mem_read;
	s.list = mem_list;
	s.content_id = mem_id;
	s.ctx = &m;

	m.a = (const char *)data;
	m.alen = cut ? (size_t)(cut - data) : size;
	m.b = cut ? (const char *)cut + 1 : "";
	m.blen = cut ? size - m.alen - 1 : 0;
	if (dnc_load(&l, &s, &d) == 0) {
		for (i = 1; i < l->n; i++)
			if (l->keys[i - 1] >= l->keys[i])
				abort(); /* sorted and unique */
		for (i = 0; i < l->n; i++)
			if (!dnc_contains(l, l->keys[i]))
				abort();
		(void)dnc_contains(l, phone_key("+12125550100"));
		dnc_free(l);
	}
	diags_release(&d);
	dnc_validate(&s, &d);
	diags_release(&d);
	return 0;
}
