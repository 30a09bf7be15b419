#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dnc_log.h"
#include "err.h"
#include "util.h"
#include "banned.h"

#define DNC_LOG_FILE_MAX (256u << 20)

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int dnc_log_parse(struct dnc_rec *r, const char *line, size_t len,
		  const char **field, const char **why)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	const char *ph, *act, *ts;
	int rc = GD_EINVALID;

	memset(r, 0, sizeof(*r));
	*field = NULL;
	ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "phone"));
	act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "action"));
	ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts"));
	if (!cJSON_IsObject(o))
		*why = "not a JSON object";
	else if (!ph || !phone_is_e164(ph))
		*field = "phone", *why = "expected an E.164 number";
	else if (!act || (strcmp(act, "add") && strcmp(act, "remove")))
		*field = "action", *why = "expected \"add\" or \"remove\"";
	else if (!ts || time_parse_rfc3339(&r->ts, ts))
		*field = "ts", *why = "expected an RFC 3339 time";
	else {
		snprintf(r->phone, sizeof(r->phone), "%s", ph);
		r->key = phone_key(ph);
		r->add = !strcmp(act, "add");
		r->reason = dup_or_empty(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "reason")));
		r->source = dup_or_empty(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "source")));
		if (!r->reason || !r->source) {
			free(r->reason);
			free(r->source);
			r->reason = r->source = NULL;
			*why = "out of memory";
			rc = gd_error_set("out of memory");
		} else {
			rc = 0;
		}
	}
	cJSON_Delete(o);
	return rc;
}

static int push(struct dnc_log *l, const struct dnc_rec *r)
{
	if (l->n == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 64;
		struct dnc_rec *v = realloc(l->v, n * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		l->v = v;
		l->alloc = n;
	}
	l->v[l->n] = *r;
	l->v[l->n].seq = l->n;
	l->n++;
	return 0;
}

static int load_file(struct dnc_log *l, struct src *s, const char *path,
		     struct diags *d)
{
	struct buf b = BUF_INIT(DNC_LOG_FILE_MAX);
	const char *line, *end, *next;
	unsigned long lno = 0;
	int rc = 0;

	if (s->read(s, path, &b, DNC_LOG_FILE_MAX)) {
		if (d)
			diags_add(d, DIAG_ERROR, path, 0, NULL, "%s", gd_error_last());
		buf_release(&b);
		return 0;
	}
	end = b.ptr + b.len;
	for (line = b.ptr; !rc && line && line < end; line = next) {
		struct dnc_rec r;
		const char *field, *why, *nl, *nul;
		size_t ll;
		nl = memchr(line, '\n', (size_t)(end - line));
		ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
		next = nl ? nl + 1 : NULL;
		lno++;
		if (!ll)
			continue;
		/* as dnc_load: what stands before a NUL byte still counts */
		if ((nul = memchr(line, '\0', ll))) {
			if (d)
				diags_add(d, DIAG_ERROR, path, lno, NULL, "a NUL byte "
					  "in the line (expected one JSON object a line)");
			ll = (size_t)(nul - line);
		}
		if (dnc_log_parse(&r, line, ll, &field, &why)) {
			if (d)
				diags_add(d, DIAG_ERROR, path, lno, field, "%s", why);
			continue;
		}
		str_fmt_cut(r.file, sizeof(r.file), "%s", path); /* a label */
		r.line = lno;
		if ((rc = push(l, &r))) {
			free(r.reason);
			free(r.source);
		}
	}
	buf_release(&b);
	return rc;
}

int dnc_log_load(struct dnc_log *out, struct src *s, struct diags *d)
{
	struct names n = { NULL, 0 };
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = s->list(s, "dnc", &n);
	if (rc == GD_ENOTFOUND)
		return 0;
	for (i = 0; !rc && i < n.n; i++) {
		char path[512];
		size_t len = strlen(n.v[i]);
		if (len < 7 || strcmp(n.v[i] + len - 6, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "dnc/%s", n.v[i]);
		rc = load_file(out, s, path, d);
	}
	names_release(&n);
	return rc;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct dnc_rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void dnc_log_sort(struct dnc_log *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_rec);
}

const struct dnc_rec *dnc_log_latest(const struct dnc_log *l, uint64_t key)
{
	size_t lo = 0, hi = l->n;

	/* the first entry past key's run, then one back */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].key <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && l->v[lo - 1].key == key ? &l->v[lo - 1] : NULL;
}

void dnc_log_release(struct dnc_log *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].reason);
		free(l->v[i].source);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
