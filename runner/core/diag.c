#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "banned.h"

void diags_add(struct diags *d, enum diag_level level, const char *file,
	       unsigned long line, const char *field, const char *fmt, ...)
{
	char msg[1024];
	struct diag *x;
	va_list ap;

	if (level == DIAG_ERROR)
		d->errors++;
	else if (level == DIAG_WARNING)
		d->warnings++;
	else
		d->notices++;
	if (d->n >= DIAG_KEEP)
		return;
	if (d->n == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 16;
		struct diag *v = realloc(d->v, n * sizeof(*v));
		if (!v)
			return;
		d->v = v;
		d->alloc = n;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x = &d->v[d->n++];
	x->level = level;
	x->file = strdup(file ? file : "");
	x->line = line;
	x->field = field ? strdup(field) : NULL;
	x->msg = strdup(msg);
}

void diags_release(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].field);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

struct diag_seq {
	struct diag d;
	size_t seq;
};

static int cmp_diag_seq(const void *a, const void *b)
{
	const struct diag_seq *x = a, *y = b;
	int c = strcmp(x->d.file, y->d.file);

	if (c)
		return c;
	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq; /* found first, first */
}

void diags_sort(struct diags *d)
{
	struct diag_seq *tmp;
	size_t i;

	if (d->n < 2 || !(tmp = malloc(d->n * sizeof(*tmp))))
		return;
	for (i = 0; i < d->n; i++) {
		tmp[i].d = d->v[i];
		tmp[i].seq = i;
	}
	qsort(tmp, d->n, sizeof(*tmp), cmp_diag_seq);
	for (i = 0; i < d->n; i++)
		d->v[i] = tmp[i].d;
	free(tmp);
}
