#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonx.h"
#include "rules.h"
#include "src.h"
#include "store.h"
#include "tz.h"
#include "util.h"
#include "banned.h"

extern const char gd_data_phone_zones[], gd_data_nanp_regions[];
extern const char gd_data_rules[];
extern const size_t gd_data_phone_zones_len, gd_data_rules_len;

const char *const zone_source_names[4] = {
	"column", "area code", "country", "unknown"
};
const char *const rule_kind_names[4] = { "hours", "banned", "cap", "disclosure" };

struct prefix_row {
	char prefix[16];
	char *value; /* zones "A&B" or regions "US-NJ&..." */
};

/*
 * A prefix table's index: open addressing on (digits as a number, length),
 * so a longest-prefix match is at most one probe per length.
 */
struct prefix_index {
	uint64_t *key; /* value * 16 + length, 0 = empty */
	uint32_t *row;
	size_t cap;
	size_t max_len;
};

struct rules {
	struct prefix_row *zones;
	size_t n_zones;
	struct prefix_index zones_ix;
	struct prefix_row *regions;
	size_t n_regions;
	struct prefix_index regions_ix;
	struct rule *rules; /* the pack, layered packs applied */
	size_t n_rules, rules_alloc;
	cJSON **packs;      /* parsed packs: rows point into them */
	size_t n_packs;
	char **files;       /* file names rows point at */
	size_t n_files;
	uint64_t digest;
	char **zone_names; /* interned zone strings for struct place */
	size_t n_zone_names;
};

/* Interns a pack's file name for rows to point at; NULL-safe fallback. */
static const char *rules_file_name(struct rules *r, const char *name)
{
	char **v = realloc(r->files, (r->n_files + 1) * sizeof(*v));

	if (!v)
		return RULES_DIR;
	r->files = v;
	if (!(v[r->n_files] = strdup(name)))
		return RULES_DIR;
	return v[r->n_files++];
}

static int cmp_prefix(const void *a, const void *b)
{
	return strcmp(((const struct prefix_row *)a)->prefix,
		      ((const struct prefix_row *)b)->prefix);
}

static int load_prefixes(struct prefix_row **out, size_t *n, const char *text,
			 const char *what)
{
	const char *p = text;
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *eol = strchr(p, '\n'), *bar;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len && p[0] != '#' && (bar = memchr(p, '|', len))) {
			struct prefix_row *row;
			size_t pl = (size_t)(bar - p);
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 512;
				row = realloc(*out, alloc * sizeof(*row));
				if (!row)
					return gd_error_set("out of memory");
				*out = row;
			}
			row = &(*out)[(*n)++];
			if (pl == 0 || pl >= sizeof(row->prefix))
				return gd_error_set("%s: bad prefix row", what);
			memcpy(row->prefix, p, pl);
			row->prefix[pl] = '\0';
			row->value = strndup(bar + 1, len - pl - 1);
			if (!row->value)
				return gd_error_set("out of memory");
		}
		p += len + (eol ? 1 : 0);
	}
	qsort(*out, *n, sizeof(**out), cmp_prefix);
	return 0;
}

static size_t ix_slot(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

static int index_build(struct prefix_index *ix, const struct prefix_row *rows,
		       size_t n)
{
	size_t i, cap = 64;

	while (cap < n * 2 + 2)
		cap *= 2;
	ix->key = calloc(cap, sizeof(*ix->key));
	ix->row = calloc(cap, sizeof(*ix->row));
	if (!ix->key || !ix->row)
		return gd_error_set("out of memory");
	ix->cap = cap;
	for (i = 0; i < n; i++) {
		size_t len = strlen(rows[i].prefix), j;
		uint64_t v = 0, key;
		for (j = 0; j < len; j++)
			v = v * 10 + (uint64_t)(rows[i].prefix[j] - '0');
		key = v * 16 + len;
		if (len > ix->max_len)
			ix->max_len = len;
		for (j = ix_slot(key, cap); ix->key[j]; j = (j + 1) & (cap - 1))
			;
		ix->key[j] = key;
		ix->row[j] = (uint32_t)i;
	}
	return 0;
}

/* Longest prefix of digits found in rows; *plen gets its length. */
static const struct prefix_row *longest(const struct prefix_row *rows,
					const struct prefix_index *ix,
					const char *digits, size_t *plen)
{
	uint64_t pv[16];
	size_t len, l;

	for (len = 0; len < 15 && digits[len] >= '0' && digits[len] <= '9'; len++)
		pv[len + 1] = (len ? pv[len] : 0) * 10 + (uint64_t)(digits[len] - '0');
	for (l = len < ix->max_len ? len : ix->max_len; l > 0; l--) {
		uint64_t key = pv[l] * 16 + l;
		size_t j;
		for (j = ix_slot(key, ix->cap); ix->key[j]; j = (j + 1) & (ix->cap - 1))
			if (ix->key[j] == key) {
				*plen = l;
				return &rows[ix->row[j]];
			}
	}
	return NULL;
}


/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long rules_day(int y, int m, int d)
{
	return days_from_civil(y, m, d);
}

/* "YYYY-MM-DD" → days since the epoch, or LONG_MIN; *year gets the year. */
static long parse_date(const char *s, int *year)
{
	int y, m, d, n = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0))))
		return LONG_MIN;
	if (year)
		*year = y;
	return rules_day(y, m, d);
}

static int valid_id(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 47 || !((s[0] >= 'a' && s[0] <= 'z') ||
				   (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int valid_jurisdiction(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (s && !strcmp(s, "default"))
		return 1;
	if (n < 2 || n > 6 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	if (n == 2)
		return 1;
	if (s[2] != '-' || n < 4)
		return 0;
	for (i = 3; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int valid_url(const char *s)
{
	const char *p;

	if (!s || (strncmp(s, "https://", 8) && strncmp(s, "http://", 7)))
		return 0;
	p = strstr(s, "://") + 3;
	if (!*p || *p == '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ')
			return 0;
	return 1;
}

static int days_mask(struct jctx *c, const cJSON *days, const char *path,
		     unsigned *out)
{
	const cJSON *d;
	char p[160];
	int i = 0;

	*out = 0;
	if (!cJSON_IsArray(days) || !cJSON_GetArraySize(days)) {
		jctx_error(c, path, "expected a non-empty array of weekdays "
			   "(\"sun\"..\"sat\")");
		return -1;
	}
	cJSON_ArrayForEach(d, days) {
		int wd = weekday_parse(cJSON_GetStringValue(d));
		snprintf(p, sizeof(p), "%s[%d]", path, i++);
		if (wd < 0) {
			jctx_error(c, p, "expected a weekday \"sun\"..\"sat\"");
			return -1;
		}
		*out |= 1u << wd;
	}
	return 0;
}

static int parse_hours(struct jctx *c, struct rule *x, const cJSON *hours,
		       const char *path)
{
	const cJSON *h;
	char p[160], q[200];
	int i = 0;

	daywin_clear(&x->hours);
	if (!cJSON_IsArray(hours) || !cJSON_GetArraySize(hours)) {
		jctx_error(c, path, "an hours rule needs \"hours\": a non-empty array "
			   "of {days, start, end}");
		return -1;
	}
	cJSON_ArrayForEach(h, hours) {
		static const char *const keys[] = { "days", "start", "end", NULL };
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "start"));
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "end"));
		int start = time_parse_hhmm(s, 0), end = time_parse_hhmm(e, 1);
		unsigned mask;
		snprintf(p, sizeof(p), "%s[%d]", path, i++);
		if (!cJSON_IsObject(h)) {
			jctx_error(c, p, "expected an object {days, start, end}");
			return -1;
		}
		jcheck_keys(c, h, p, keys);
		if (start < 0 || end < 0 || start >= end) {
			jctx_error(c, p, "expected start < end as HH:MM (end may be 24:00)"
				   ", got \"%s\"-\"%s\"", s ? s : "?", e ? e : "?");
			return -1;
		}
		snprintf(q, sizeof(q), "%s.days", p);
		if (days_mask(c, cJSON_GetObjectItemCaseSensitive(h, "days"), q, &mask))
			return -1;
		daywin_add(&x->hours, mask, start, end);
	}
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Fills x from row (at path "rules[i]"); problems go to c. 0 or -1. */
static int parse_row(struct jctx *c, struct rule *x, const cJSON *row,
		     const char *path)
{
	static const char *const keys[] = {
		"id", "jurisdiction", "kind", "hours", "days", "year", "dates",
		"max_calls", "period_hours", "required", "source", "effective",
		"status", "note", NULL
	};
	static const char *const allowed[4][4] = {
		{ "hours", NULL },
		{ "days", "year", "dates", NULL },
		{ "max_calls", "period_hours", NULL },
		{ "required", NULL },
	};
	static const char *const specific[] = {
		"hours", "days", "year", "dates", "max_calls", "period_hours",
		"required", NULL
	};
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
	const char *j = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "jurisdiction"));
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "kind"));
	const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "source"));
	const char *eff = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "effective"));
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "status"));
	const cJSON *v;
	char p[160];
	size_t errors = c->d->errors;
	int i, k;

	memset(x, 0, sizeof(*x));
	if (!cJSON_IsObject(row)) {
		jctx_error(c, path, "expected an object (a rule row)");
		return -1;
	}
	jcheck_keys(c, row, path, keys);
	if (!valid_id(id))
		jctx_error(c, jpath(p, sizeof(p), path, "id"), "expected an id of "
			   "lower-case letters, digits and '-' (at most 47)");
	else
		snprintf(x->id, sizeof(x->id), "%s", id);
	if (!valid_jurisdiction(j))
		jctx_error(c, jpath(p, sizeof(p), path, "jurisdiction"), "expected "
			   "a country code (US), a subdivision (US-FL) or \"default\"");
	else
		snprintf(x->jurisdiction, sizeof(x->jurisdiction), "%s", j);
	/* no row without its source: the pack is cited data */
	if (!src || !*src)
		jctx_error(c, jpath(p, sizeof(p), path, "source"), "missing: every "
			   "rule needs the URL of the law or summary it comes from");
	else if (!valid_url(src))
		jctx_error(c, jpath(p, sizeof(p), path, "source"), "expected an "
			   "http(s) URL, got \"%s\"", src);
	x->source = src;
	if ((x->effective = parse_date(eff, NULL)) == LONG_MIN)
		jctx_error(c, jpath(p, sizeof(p), path, "effective"), "expected the "
			   "date the rule takes effect, YYYY-MM-DD");
	if (status && strcmp(status, "confirmed") && strcmp(status, "secondary") &&
	    strcmp(status, "unconfirmed"))
		jctx_error(c, jpath(p, sizeof(p), path, "status"), "expected "
			   "confirmed, secondary or unconfirmed");
	x->status = status ? status : "";
	x->note = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "note"));
	for (k = 0; k < 4; k++)
		if (kind && !strcmp(kind, rule_kind_names[k]))
			break;
	if (k == 4) {
		jctx_error(c, jpath(p, sizeof(p), path, "kind"), "expected hours, "
			   "banned, cap or disclosure");
		return -1;
	}
	x->kind = (enum rule_kind)k;
	if (j && !strcmp(j, "default") && x->kind != RK_HOURS)
		jctx_error(c, jpath(p, sizeof(p), path, "jurisdiction"), "\"default\" "
			   "is for hours rows only");
	/* fields of another kind are mistakes, not extras */
	for (i = 0; specific[i]; i++) {
		int ok = 0;
		for (k = 0; allowed[x->kind][k]; k++)
			ok |= !strcmp(allowed[x->kind][k], specific[i]);
		if (!ok && cJSON_GetObjectItemCaseSensitive(row, specific[i]))
			jctx_error(c, jpath(p, sizeof(p), path, specific[i]),
				   "not a field of a %s rule", rule_kind_names[x->kind]);
	}
	switch (x->kind) {
	case RK_HOURS:
		parse_hours(c, x, cJSON_GetObjectItemCaseSensitive(row, "hours"),
			    jpath(p, sizeof(p), path, "hours"));
		break;
	case RK_BANNED: {
		const cJSON *days = cJSON_GetObjectItemCaseSensitive(row, "days");
		const cJSON *dates = cJSON_GetObjectItemCaseSensitive(row, "dates");
		const cJSON *year = cJSON_GetObjectItemCaseSensitive(row, "year");
		if (!days && !dates) {
			jctx_error(c, path, "a banned rule needs \"days\" (weekdays) "
				   "or \"year\" and \"dates\" (holidays)");
			break;
		}
		if (days)
			days_mask(c, days, jpath(p, sizeof(p), path, "days"),
				  &x->banned_days);
		if (!dates)
			break;
		if (!cJSON_IsNumber(year) || year->valuedouble < 2000 ||
		    year->valuedouble > 2100 ||
		    year->valuedouble != (double)(int)year->valuedouble) {
			jctx_error(c, jpath(p, sizeof(p), path, "year"), "expected the "
				   "year (2000-2100) the dates belong to");
			break;
		}
		x->year = (int)year->valuedouble;
		if (!cJSON_IsArray(dates) || !cJSON_GetArraySize(dates)) {
			jctx_error(c, jpath(p, sizeof(p), path, "dates"), "expected a "
				   "non-empty array of dates YYYY-MM-DD");
			break;
		}
		x->dates = calloc((size_t)cJSON_GetArraySize(dates), sizeof(*x->dates));
		if (!x->dates) {
			jctx_error(c, path, "out of memory");
			break;
		}
		i = 0;
		cJSON_ArrayForEach(v, dates) {
			int y = 0;
			long day = parse_date(cJSON_GetStringValue(v), &y);
			char q[200];
			snprintf(q, sizeof(q), "%s.dates[%d]", path, i++);
			if (day == LONG_MIN)
				jctx_error(c, q, "expected a date YYYY-MM-DD");
			else if (y != x->year)
				jctx_error(c, q, "%s is not in the row's year %d",
					   cJSON_GetStringValue(v), x->year);
			else
				x->dates[x->n_dates++] = day;
		}
		qsort(x->dates, x->n_dates, sizeof(*x->dates), cmp_long);
		break;
	}
	case RK_CAP: {
		long n = 0, h = 0;
		if (!jget_int(c, row, path, "max_calls", 1, 8, &n) ||
		    !jget_int(c, row, path, "period_hours", 1, 2160, &h)) {
			if (!cJSON_GetObjectItemCaseSensitive(row, "max_calls") ||
			    !cJSON_GetObjectItemCaseSensitive(row, "period_hours"))
				jctx_error(c, path, "a cap rule needs max_calls (1-8) "
					   "and period_hours (1-2160)");
			break;
		}
		x->max_calls = (int)n;
		x->period_s = h * 3600;
		break;
	}
	case RK_DISCLOSURE:
		v = cJSON_GetObjectItemCaseSensitive(row, "required");
		if (!cJSON_IsBool(v))
			jctx_error(c, jpath(p, sizeof(p), path, "required"), "expected "
				   "true or false (whether a recording disclosure is "
				   "required)");
		x->required = cJSON_IsTrue(v);
		break;
	}
	return c->d->errors > errors ? -1 : 0;
}

static int rules_grow(struct rules *r, size_t more)
{
	struct rule *v;
	size_t want = r->n_rules + more;

	if (want <= r->rules_alloc)
		return 0;
	if (!(v = realloc(r->rules, want * sizeof(*v))))
		return gd_error_set("out of memory");
	r->rules = v;
	r->rules_alloc = want;
	return 0;
}

/*
 * Parses one pack and layers it over r: a row with an id r already has
 * replaces that row; others are added. Problems go to d; the pack is
 * applied only when it has none. Keeps the parsed JSON (rows point in).
 */
/* True when window a has a minute that b does not. */
static int daywin_wider(const struct daywin *a, const struct daywin *b)
{
	size_t d, w;

	for (d = 0; d < 7; d++)
		for (w = 0; w < WIN_WORDS; w++)
			if (a->bits[d][w] & ~b->bits[d][w])
				return 1;
	return 0;
}

/*
 * How row x, replacing row old, would let a call through that old
 * stops (NULL when it does not): a later effective date, another
 * jurisdiction or kind, more hours, fewer banned days or holidays, a
 * looser cap, a disclosure no longer required.
 */
static const char *rule_widens(const struct rule *x, const struct rule *old)
{
	size_t i;

	if (strcmp(x->jurisdiction, old->jurisdiction))
		return "another jurisdiction";
	if (x->kind != old->kind)
		return "another kind";
	if (x->effective > old->effective)
		return "a later effective date";
	switch (x->kind) {
	case RK_HOURS:
		return daywin_wider(&x->hours, &old->hours)
			? "more hours (an earlier start, a later end or more days)"
			: NULL;
	case RK_BANNED:
		if (old->banned_days & ~x->banned_days)
			return "fewer banned days";
		for (i = 0; i < old->n_dates; i++)
			if (!bsearch(&old->dates[i], x->dates, x->n_dates,
				     sizeof(*x->dates), cmp_long))
				return "fewer holidays";
		return NULL;
	case RK_CAP:
		return x->max_calls > old->max_calls || x->period_s < old->period_s
			? "a looser frequency cap" : NULL;
	case RK_DISCLOSURE:
		return old->required && !x->required
			? "a disclosure no longer required" : NULL;
	}
	return NULL;
}

/*
 * A repository's pack may only narrow what the packs under it allow
 * (the embedded one first): a row replacing one must not widen it, and
 * a country's first hours row must stay within the "default" hours it
 * replaces (rules_place uses the default only for a country without
 * one). Errors name the row; the pack is then not applied.
 */
static void layer_check(const struct rules *r, const struct rule *x,
			struct jctx *c, const char *path)
{
	const char *why;
	size_t k;

	for (k = 0; k < r->n_rules; k++)
		if (!strcmp(r->rules[k].id, x->id))
			break;
	if (k < r->n_rules) {
		if ((why = rule_widens(x, &r->rules[k])))
			jctx_error(c, path, "rule \"%s\" would widen the row it "
				   "replaces (%s:%lu): %s; a repository's rules "
				   "may only narrow legal rows", x->id,
				   r->rules[k].file, r->rules[k].line, why);
		return;
	}
	if (x->kind != RK_HOURS || strchr(x->jurisdiction, '-') ||
	    !strcmp(x->jurisdiction, "default"))
		return; /* added to the rows that apply: only narrows */
	for (k = 0; k < r->n_rules; k++)
		if (r->rules[k].kind == RK_HOURS &&
		    !strcmp(r->rules[k].jurisdiction, x->jurisdiction))
			return; /* intersected with the country's own hours */
	for (k = 0; k < r->n_rules; k++) {
		const struct rule *def = &r->rules[k];
		if (def->kind != RK_HOURS || strcmp(def->jurisdiction, "default"))
			continue;
		if (x->effective > def->effective ||
		    daywin_wider(&x->hours, &def->hours)) {
			jctx_error(c, path, "rule \"%s\" would replace the default "
				   "hours (%s) for %s with wider ones; a "
				   "repository's rules may only narrow legal rows",
				   x->id, def->id, x->jurisdiction);
			return;
		}
	}
}

/*
 * Parses the pack text of file and applies its rows over r's, each row
 * checked (layer_check). left, when not NULL, is how many rows it may
 * hold, less its rows once read: past it an error names the file and
 * nothing is applied.
 */
static int pack_apply(struct rules *r, const char *file, const char *text,
		      size_t len, size_t *left, struct diags *d)
{
	struct jctx c = { file, text, len, d, 0 };
	cJSON *root = NULL, **packs;
	const cJSON *arr, *row;
	struct rule *parsed = NULL;
	unsigned long *lines = NULL;
	size_t n = 0, i, k, errors = d->errors, rows;
	char path[64];
	int rc = 0;

	if (json_load(&root, &c))
		return GD_EINVALID;
	if (!cJSON_IsObject(root)) {
		diags_add(d, DIAG_ERROR, file, 1, NULL, "expected a JSON object with "
			  "a \"rules\" array");
		rc = GD_EINVALID;
		goto cleanup;
	}
	{
		static const char *const keys[] = { "$schema", "description", "rules", NULL };
		jcheck_keys(&c, root, "", keys);
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "rules");
	if (!cJSON_IsArray(arr)) {
		jctx_error(&c, "rules", "expected \"rules\": an array of rule rows");
		rc = GD_EINVALID;
		goto cleanup;
	}
	rows = (size_t)cJSON_GetArraySize(arr);
	if (left && rows > *left) {
		jctx_error(&c, "rules", "%zu rows; a repository's rules files hold "
			   "at most %d rows in all (%zu more here)", rows,
			   RULES_ROWS_MAX, *left);
		rc = GD_EINVALID;
		goto cleanup;
	}
	if (left)
		*left -= rows;
	if (!(parsed = calloc(rows + 1, sizeof(*parsed))) ||
	    !(lines = calloc(rows + 1, sizeof(*lines)))) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	json_item_lines(text, len, "rules", lines, rows);
	cJSON_ArrayForEach(row, arr) {
		struct rule *x = &parsed[n];
		snprintf(path, sizeof(path), "rules[%zu]", n);
		parse_row(&c, x, row, path);
		x->file = file;
		x->line = lines[n++];
		if (r->n_rules && x->id[0]) /* a layer over the embedded pack */
			layer_check(r, x, &c, path);
		for (k = 0; k + 1 < n && x->id[0]; k++)
			if (!strcmp(parsed[k].id, x->id))
				jctx_error(&c, path, "duplicate rule id \"%s\" (also "
					   "rules[%zu])", x->id, k);
	}
	if (d->errors > errors) {
		rc = GD_EINVALID;
		goto cleanup;
	}
	if (!(packs = realloc(r->packs, (r->n_packs + 1) * sizeof(*packs))) ||
	    rules_grow(r, n)) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	r->packs = packs;
	r->packs[r->n_packs++] = root;
	root = NULL;
	for (i = 0; i < n; i++) {
		for (k = 0; k < r->n_rules; k++)
			if (!strcmp(r->rules[k].id, parsed[i].id))
				break;
		if (k < r->n_rules)
			free(r->rules[k].dates);
		else
			r->n_rules++;
		r->rules[k] = parsed[i];
		parsed[i].dates = NULL;
	}
	r->digest = hash_fnv1a(text, len) ^ (r->digest * 0x100000001b3ULL);
cleanup:
	for (i = 0; parsed && i < n; i++)
		free(parsed[i].dates);
	free(parsed);
	free(lines);
	cJSON_Delete(root);
	return rc;
}

int rules_check(const char *file, const char *text, size_t len,
		struct diags *d)
{
	struct rules *r = calloc(1, sizeof(*r));
	size_t left = RULES_ROWS_MAX;
	int rc;

	if (!r)
		return gd_error_set("out of memory");
	rc = pack_apply(r, file, text, len, &left, d);
	rules_free(r);
	return rc;
}

static int load_base(struct rules *r)
{
	struct diags d = { 0 };
	int rc;

	if ((rc = load_prefixes(&r->zones, &r->n_zones, gd_data_phone_zones,
				"phone-zones.txt")) ||
	    (rc = load_prefixes(&r->regions, &r->n_regions, gd_data_nanp_regions,
				"nanp-regions.txt")) ||
	    (rc = index_build(&r->zones_ix, r->zones, r->n_zones)) ||
	    (rc = index_build(&r->regions_ix, r->regions, r->n_regions)))
		return rc;
	rc = pack_apply(r, RULES_EMBEDDED, gd_data_rules, gd_data_rules_len, NULL, &d);
	if (rc == GD_EINVALID && d.n)
		rc = gd_error_set("%s:%lu: %s%s%s (the embedded rules pack)",
				  d.v[0].file, d.v[0].line,
				  d.v[0].field ? d.v[0].field : "",
				  d.v[0].field ? ": " : "", d.v[0].msg);
	diags_release(&d);
	return rc;
}

int rules_load(struct rules **out)
{
	struct rules *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return gd_error_set("out of memory");
	if ((rc = load_base(r))) {
		rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int rules_load_layered(struct rules **out, struct src *s, struct diags *d)
{
	struct names n = { NULL, 0 };
	struct buf text = BUF_INIT(RULES_PACK_MAX);
	size_t i, files = 0, left = RULES_ROWS_MAX;
	int rc, err;

	if ((rc = rules_load(out)))
		return rc;
	if (!s)
		return 0;
	err = s->list(s, RULES_DIR, &n);
	if (err == GD_ENOTFOUND)
		return 0;
	if (err) {
		rc = err;
		goto cleanup;
	}
	for (i = 0; i < n.n; i++) {
		char path[300];
		size_t l = strlen(n.v[i]);
		if (l < 6 || strcmp(n.v[i] + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), RULES_DIR "/%s", n.v[i]);
		if (++files > RULES_FILES_MAX || !left) {
			diags_add(d, DIAG_ERROR, path, 0, NULL, "not applied: a "
				  "repository holds at most %d rules files and %d "
				  "rows in all", RULES_FILES_MAX, RULES_ROWS_MAX);
			rc = GD_EINVALID;
			continue;
		}
		buf_reset(&text);
		if ((err = s->read(s, path, &text, RULES_PACK_MAX))) {
			diags_add(d, DIAG_ERROR, path, 0, NULL, "%s", gd_error_last());
			rc = GD_EINVALID;
			continue;
		}
		/* rows keep pointers to the file name: intern it with the pack */
		if (pack_apply(*out, rules_file_name(*out, path), text.ptr,
			       text.len, &left, d))
			rc = GD_EINVALID;
	}
cleanup:
	names_release(&n);
	buf_release(&text);
	return rc;
}

void rules_free(struct rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_zones; i++)
		free(r->zones[i].value);
	for (i = 0; i < r->n_regions; i++)
		free(r->regions[i].value);
	for (i = 0; i < r->n_zone_names; i++)
		free(r->zone_names[i]);
	for (i = 0; i < r->n_rules; i++)
		free(r->rules[i].dates);
	for (i = 0; i < r->n_packs; i++)
		cJSON_Delete(r->packs[i]);
	for (i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->zones);
	free(r->regions);
	free(r->zones_ix.key);
	free(r->zones_ix.row);
	free(r->regions_ix.key);
	free(r->regions_ix.row);
	free(r->rules);
	free(r->packs);
	free(r->files);
	free(r->zone_names);
	free(r);
}

long rules_place_key(const struct rules *r, const char *e164)
{
	const char *digits = e164 + (*e164 == '+');
	const struct prefix_row *z, *g = NULL;
	size_t plen = 0;
	long zi, gi = -1;

	z = longest(r->zones, &r->zones_ix, digits, &plen);
	zi = z ? (long)(z - r->zones) : -1;
	if (digits[0] == '1' &&
	    (g = longest(r->regions, &r->regions_ix, digits, &plen)) && plen == 4)
		gi = (long)(g - r->regions);
	return (zi + 1) * ((long)r->n_regions + 2) + gi + 1;
}

size_t rules_count(const struct rules *r)
{
	return r->n_rules;
}

const struct rule *rules_get(const struct rules *r, size_t i)
{
	return i < r->n_rules ? &r->rules[i] : NULL;
}

uint64_t rules_digest(const struct rules *r)
{
	return r->digest;
}

/* Interns a zone name so struct place can point at it. */
static const char *intern(const struct rules *cr, const char *z, size_t len)
{
	struct rules *r = (struct rules *)cr; /* the intern table is a cache */
	char **n;
	size_t i;

	for (i = 0; i < r->n_zone_names; i++)
		if (strlen(r->zone_names[i]) == len &&
		    !memcmp(r->zone_names[i], z, len))
			return r->zone_names[i];
	n = realloc(r->zone_names, (r->n_zone_names + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->zone_names = n;
	if (!(n[r->n_zone_names] = strndup(z, len)))
		return NULL;
	return n[r->n_zone_names++];
}

const char *rules_zone(const struct rules *r, const char *name)
{
	return intern(r, name, strlen(name));
}

static void add_token(char *list, size_t size, const char *tok)
{
	size_t n = strlen(list);

	if (!*tok || list_has_token(list, tok))
		return;
	snprintf(list + n, size - n, "%s%s", n ? "," : "", tok);
}

/* Does rule jurisdiction rj apply to the set js ("US" covers "US-FL")? */
static int rule_applies(const char *rj, const char *js)
{
	return list_has_token(js, rj);
}

/* Adds rule i to place p (its hours, disclosure and id). */
static int place_add_rule(const struct rules *r, struct place *p, size_t i)
{
	const struct rule *x = &r->rules[i];

	if (p->n_rix >= PLACE_MAX_RULES)
		return gd_error_set("more than %d rules apply to one number (%s); "
				    "a rule cannot be dropped", PLACE_MAX_RULES,
				    p->jurisdictions), GD_EINVALID;
	p->rix[p->n_rix++] = (uint16_t)i;
	if (x->kind == RK_HOURS)
		daywin_intersect(&p->legal, &x->hours);
	if (x->kind == RK_DISCLOSURE && x->required)
		p->disclosure = 1;
	add_token(p->rule_ids, sizeof(p->rule_ids), x->id);
	return 0;
}

int rules_place(const struct rules *r, struct place *out, const char *e164,
		const char *tz_column)
{
	const struct prefix_row *row;
	const char *digits = e164 + (*e164 == '+');
	const char *p;
	size_t plen = 0, i;
	int matched_country = 0;

	memset(out, 0, sizeof(*out));
	if (tz_column && *tz_column) {
		if (!tz_valid(tz_column))
			return gd_error_set("unknown time zone '%s'", tz_column),
			       GD_EINVALID;
		out->zones[out->n_zones++] = intern(r, tz_column,
						    strlen(tz_column));
		out->source = ZSRC_COLUMN;
	}
	row = longest(r->zones, &r->zones_ix, digits, &plen);
	if (!out->n_zones) {
		if (!row) {
			out->source = ZSRC_UNKNOWN;
			return gd_error_set("no time zone is known for '%s'", e164),
			       GD_ENOTFOUND;
		}
		for (p = row->value; *p && out->n_zones < PLACE_MAX_ZONES;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			const char *z = intern(r, p, len);
			if (z)
				out->zones[out->n_zones++] = z;
			p += len + (amp ? 1 : 0);
		}
		out->source = digits[0] == '1' && plen >= 4 ? ZSRC_AREA_CODE
							    : ZSRC_COUNTRY;
	}
	/* jurisdictions: the countries of the number's zones ... */
	if (row) {
		for (p = row->value; *p;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			char zone[64];
			const char *cc;
			snprintf(zone, sizeof(zone), "%.*s", (int)len, p);
			if ((cc = tz_country(zone)))
				add_token(out->jurisdictions,
					  sizeof(out->jurisdictions), cc);
			p += len + (amp ? 1 : 0);
		}
	}
	if (out->source == ZSRC_COLUMN) {
		const char *cc = tz_country(out->zones[0]);
		if (cc)
			add_token(out->jurisdictions, sizeof(out->jurisdictions), cc);
	}
	/* ... and the NANP state or province of the area code */
	if (digits[0] == '1' &&
	    (row = longest(r->regions, &r->regions_ix, digits, &plen)) && plen == 4) {
		for (p = row->value; *p;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			char reg[16];
			snprintf(reg, sizeof(reg), "%.*s", (int)len, p);
			add_token(out->jurisdictions, sizeof(out->jurisdictions), reg);
			reg[2] = '\0';
			add_token(out->jurisdictions, sizeof(out->jurisdictions), reg);
			p += len + (amp ? 1 : 0);
		}
	}
	/* every row of those jurisdictions applies; the stricter wins */
	daywin_fill(&out->legal);
	for (i = 0; i < r->n_rules; i++) {
		const struct rule *x = &r->rules[i];
		if (!strcmp(x->jurisdiction, "default") ||
		    !rule_applies(x->jurisdiction, out->jurisdictions))
			continue;
		if (x->kind == RK_HOURS && !strchr(x->jurisdiction, '-'))
			matched_country = 1;
		if (place_add_rule(r, out, i))
			return GD_EINVALID;
	}
	if (!matched_country)
		for (i = 0; i < r->n_rules; i++)
			if (!strcmp(r->rules[i].jurisdiction, "default") &&
			    place_add_rule(r, out, i))
				return GD_EINVALID;
	return 0;
}

/* Local wall time of t in zone, through a per-call offset cache. */
struct local {
	long day; /* days since the epoch of the local date */
	int wday, minute;
};

static int local_of(struct local *out, const char *zone, time_t t)
{
	struct tm tm;

	if (tz_local(&tm, zone, t))
		return -1;
	out->day = rules_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	out->wday = tm.tm_wday;
	out->minute = tm.tm_hour * 60 + tm.tm_min;
	return 0;
}

int rule_allows(const struct rule *x, long day, int wday, int minute)
{
	if (day < x->effective)
		return 1; /* not yet in force */
	switch (x->kind) {
	case RK_HOURS:
		return daywin_contains(&x->hours, wday, minute);
	case RK_BANNED:
		if (x->banned_days & (1u << wday))
			return 0;
		return !x->n_dates || !bsearch(&day, x->dates, x->n_dates,
					       sizeof(*x->dates), cmp_long);
	default:
		return 1;
	}
}

/*
 * Whether a call may start at local time l for place p: the campaign
 * window, then every rule. *denied (may be NULL) gets a bit per rule of
 * p that said no (bit k = p->rix[k]); returns 1 when all allow, 0 when
 * only rules deny, -1 when the campaign window does.
 */
static int open_at(const struct rules *r, const struct place *p,
		   const struct daywin *campaign, const struct local *l,
		   uint32_t *denied)
{
	int k, ok = 1;

	if (!daywin_contains(campaign, l->wday, l->minute))
		return -1;
	for (k = 0; k < p->n_rix; k++)
		if (!rule_allows(&r->rules[p->rix[k]], l->day, l->wday, l->minute)) {
			ok = 0;
			if (!denied)
				break;
			*denied |= 1u << k;
		}
	return ok;
}

int place_is_open(const struct rules *r, const struct place *p,
		  const struct daywin *campaign, time_t now)
{
	struct local l;
	int i;

	if (!p->n_zones)
		return 0;
	for (i = 0; i < p->n_zones; i++)
		if (local_of(&l, p->zones[i], now) ||
		    open_at(r, p, campaign, &l, NULL) != 1)
			return 0;
	return 1;
}

/*
 * The offsets of a place's zones, asked of tzdata once per half hour of
 * UTC (every offset change falls on one), so a week's scan minute by
 * minute costs a few hundred lookups per zone instead of ten thousand.
 */
static int scan_local(struct local *out, const char *zone, time_t t,
		      time_t *base_t, struct local *base)
{
	time_t slot = t - ((t % 1800) + 1800) % 1800;
	long m;

	if (*base_t != slot) {
		if (local_of(base, zone, slot))
			return -1;
		*base_t = slot;
	}
	m = base->minute + (long)(t - slot) / 60;
	*out = *base;
	if (m >= 1440) {
		m -= 1440;
		out->day++;
		out->wday = (out->wday + 1) % 7;
	}
	out->minute = (int)m;
	return 0;
}

time_t place_next_open(const struct rules *r, const struct place *p,
		       const struct daywin *campaign, time_t now, long horizon,
		       char *why, size_t why_n)
{
	time_t t, base_t[PLACE_MAX_ZONES];
	struct local base[PLACE_MAX_ZONES];
	uint32_t always = ~0u, ever = 0;
	int i, k, window_ever = 0;

	if (why && why_n)
		why[0] = '\0';
	if (!p->n_zones)
		return 0;
	for (i = 0; i < p->n_zones; i++)
		base_t[i] = (time_t)-1;
	for (t = now; t <= now + horizon; t = t - t % 60 + 60) {
		uint32_t denied = 0;
		int ok = 1, window = 1;
		for (i = 0; i < p->n_zones; i++) {
			struct local l;
			int v;
			if (scan_local(&l, p->zones[i], t, &base_t[i], &base[i]))
				return 0;
			v = open_at(r, p, campaign, &l, &denied);
			if (v < 0)
				window = 0;
			if (v != 1)
				ok = 0;
		}
		if (ok)
			return t;
		if (window) {
			window_ever = 1;
			always &= denied;
			ever |= denied;
		}
	}
	if (why && why_n) {
		/* which rule closes it: the ones that said no every time */
		uint32_t blame = window_ever ? (always ? always : ever) : 0;
		size_t len = 0;
		if (!window_ever)
			snprintf(why, why_n, "window");
		for (k = 0; k < p->n_rix && blame; k++)
			if (blame & (1u << k)) {
				snprintf(why + len, why_n - len, "%s%s", len ? "+" : "",
					 r->rules[p->rix[k]].id);
				len = strlen(why);
			}
	}
	return 0;
}

int place_cap(const struct rules *r, const struct place *p, time_t now,
	      size_t (*count)(void *ctx, long period_s), void *ctx,
	      const char **rule_id)
{
	struct local l;
	int k;

	/* caps take effect by the UTC date: a day's difference at most */
	l.day = (long)(now / 86400);
	for (k = 0; k < p->n_rix; k++) {
		const struct rule *x = &r->rules[p->rix[k]];
		if (x->kind != RK_CAP || l.day < x->effective)
			continue;
		if (count(ctx, x->period_s) >= (size_t)x->max_calls) {
			if (rule_id)
				*rule_id = x->id;
			return 1;
		}
	}
	return 0;
}

int place_has_cap(const struct rules *r, const struct place *p)
{
	int k;

	for (k = 0; k < p->n_rix; k++)
		if (r->rules[p->rix[k]].kind == RK_CAP)
			return 1;
	return 0;
}
