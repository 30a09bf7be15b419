#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnc.h"
#include "err.h"
#include "phone.h"
#include "util.h"
#include "banned.h"

#define DNC_FILE_MAX (256u << 20)

struct entry {
	uint64_t key;
	time_t ts;
	size_t seq;
	int add;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void bad(struct diags *d, const char *file, unsigned long line,
		const char *field, const char *msg)
{
	if (d)
		diags_add(d, DIAG_ERROR, file, line, field, "%s", msg);
}

int dnc_load(struct dnc **out, struct src *s, struct diags *d)
{
	struct names n = { NULL, 0 };
	struct entry *e = NULL;
	size_t ne = 0, alloc = 0, i;
	struct dnc *l;
	int rc = 0;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return gd_error_set("out of memory");
	rc = s->list(s, "dnc", &n);
	if (rc == GD_ENOTFOUND)
		rc = 0;
	for (i = 0; !rc && i < n.n; i++) {
		struct buf b = BUF_INIT(DNC_FILE_MAX);
		char path[512];
		char *line, *next;
		unsigned long lno = 0;
		size_t len = strlen(n.v[i]);
		if (len < 7 || strcmp(n.v[i] + len - 6, ".jsonl"))
			continue;
		snprintf(path, sizeof(path), "dnc/%s", n.v[i]);
		if ((rc = s->read(s, path, &b, DNC_FILE_MAX))) {
			bad(d, path, 0, NULL, gd_error_last());
			buf_release(&b);
			rc = 0;
			continue;
		}
		for (line = b.ptr; line && line < b.ptr + b.len; line = next) {
			cJSON *o;
			const char *ph, *act, *ts;
			size_t ll;
			time_t t;
			next = memchr(line, '\n', (size_t)(b.ptr + b.len - line));
			ll = next ? (size_t)(next - line) : (size_t)(b.ptr + b.len - line);
			if (next)
				*next++ = '\0';
			lno++;
			if (!ll)
				continue;
			/* a NUL byte is reported, but what stands before it still
			 * counts: for a do-not-call list, honouring it is the safe side */
			if (memchr(line, '\0', ll))
				bad(d, path, lno, NULL, "a NUL byte in the line "
				    "(expected one JSON object a line)");
			o = cJSON_Parse(line);
			ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "phone"));
			act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "action"));
			ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts"));
			if (!o)
				bad(d, path, lno, NULL, "not a JSON object");
			else if (!ph || !phone_is_e164(ph))
				bad(d, path, lno, "phone", "expected an E.164 number");
			else if (!act || (strcmp(act, "add") && strcmp(act, "remove")))
				bad(d, path, lno, "action", "expected \"add\" or \"remove\"");
			else if (!ts || time_parse_rfc3339(&t, ts))
				bad(d, path, lno, "ts", "expected an RFC 3339 time");
			else {
				if (ne == alloc) {
					struct entry *x;
					alloc = alloc ? alloc * 2 : 256;
					if (!(x = realloc(e, alloc * sizeof(*e)))) {
						cJSON_Delete(o);
						rc = gd_error_set("out of memory");
						break;
					}
					e = x;
				}
				e[ne].key = phone_key(ph);
				e[ne].ts = t;
				e[ne].seq = ne;
				e[ne].add = !strcmp(act, "add");
				ne++;
			}
			cJSON_Delete(o);
		}
		buf_release(&b);
	}
	names_release(&n);
	if (!rc && ne) {
		qsort(e, ne, sizeof(*e), cmp_entry);
		if (!(l->keys = malloc(ne * sizeof(*l->keys))))
			rc = gd_error_set("out of memory");
		for (i = 0; !rc && i < ne; i++)
			if ((i + 1 == ne || e[i + 1].key != e[i].key) && e[i].add)
				l->keys[l->n++] = e[i].key;
	}
	l->entries = ne;
	free(e);
	if (rc) {
		dnc_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int dnc_contains(const struct dnc *l, uint64_t key)
{
	size_t lo = 0, hi = l ? l->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->keys[mid] == key)
			return 1;
		if (l->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int dnc_block(struct dnc *l, uint64_t key)
{
	uint64_t *k;
	size_t i;

	if (dnc_contains(l, key))
		return 0;
	if (!(k = realloc(l->keys, (l->n + 1) * sizeof(*k))))
		return gd_error_set("out of memory");
	l->keys = k;
	/* keep it sorted for dnc_contains */
	for (i = l->n; i > 0 && k[i - 1] > key; i--)
		k[i] = k[i - 1];
	k[i] = key;
	l->n++;
	return 0;
}

void dnc_free(struct dnc *l)
{
	if (!l)
		return;
	free(l->keys);
	free(l);
}

void dnc_validate(struct src *s, struct diags *d)
{
	struct dnc *l = NULL;

	if (!dnc_load(&l, s, d))
		dnc_free(l);
}

int dnc_entry(struct buf *out, time_t ts, const char *phone, int add,
	      const char *reason, const char *source)
{
	char t[21];
	int rc;

	time_format_utc(t, ts);
	rc = buf_printf(out, "{\"v\":1,\"ts\":\"%s\",\"phone\":\"%s\",\"action\":\"%s\","
			"\"reason\":", t, phone, add ? "add" : "remove");
	rc = rc ? rc : buf_put_json_string(out, reason ? reason : "");
	rc = rc ? rc : buf_puts(out, ",\"source\":");
	rc = rc ? rc : buf_put_json_string(out, source ? source : "");
	return rc ? rc : buf_puts(out, "}\n");
}
