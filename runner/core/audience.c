#include <archive.h>
#include <archive_entry.h>
#include <csv.h>
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <string.h>

#include "audience.h"
#include "bio.h"
#include "buf.h"
#include "err.h"
#include "tz.h"
#include "util.h"
#include "banned.h"

static void row_values_free(struct row_values *rv);

static audience_row_fn *trace_fn; /* audience_trace_rows */
static void *trace_ctx;

void audience_trace_rows(audience_row_fn *fn, void *ctx)
{
	trace_fn = fn;
	trace_ctx = ctx;
}

const char *const row_skip_names[] = {
	"", "invalid", "duplicate", "no_consent"
};

struct cache_entry {
	long key;
	char tz[48];
	uint32_t place;
	int used;
};

struct reader {
	struct audience *a;
	const struct audience_opts *o;
	const char *file;
	struct diags *d;
	struct csv_parser p;
	unsigned long line;       /* physical line being fed */
	unsigned long rec_line;   /* where the current record started */
	const char *base;         /* the text fed data lies in (offsets) */
	size_t rec_off;           /* where the current record started in it */
	int at_line_start;
	char *fields[AUDIENCE_COLUMNS_MAX];
	size_t flen[AUDIENCE_COLUMNS_MAX];
	size_t foff[AUDIENCE_COLUMNS_MAX];
	struct buf rec; /* libcsv reuses its field buffer: copies live here */
	int nf;
	int too_many;
	int header_done;
	int started;
	int skip_to_eol; /* dropping the rest of a line after a too-long field */
	int prev_cr;     /* the last byte fed was a CR (a CR LF may be split) */
	int fatal;
	int placeholder_col[PLACEHOLDER_MAX];
	uint8_t keep_col[AUDIENCE_COLUMNS_MAX]; /* columns row() or keep_vars read */
	/* dedup: open addressing over phone keys */
	size_t size_hint; /* expected rows, from the data size */
	/* time zone names already checked */
	char (*tzok)[48];
	size_t n_tzok;
	char (*tzbad)[48];
	size_t n_tzbad;
	struct cache_entry *cache;
	size_t cache_cap;
};

int audience_file_supported(const char *name)
{
	static const char *const ends[] = {
		".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".zip", NULL
	};
	size_t n = strlen(name), i;

	for (i = 0; ends[i]; i++) {
		size_t e = strlen(ends[i]);
		if (n > e && !strcmp(name + n - e, ends[i]))
			return 1;
	}
	return 0;
}

static void warn(struct reader *rd, unsigned long line, const char *field,
		 const char *fmt, const char *a, const char *b)
{
	diags_add(rd->d, DIAG_WARNING, rd->file, line, field, fmt, a, b);
}

static int problem(struct reader *rd, enum row_skip why, const char *phone)
{
	struct audience *a = rd->a;
	struct row_problem *p;

	if (a->n_problems == a->problems_alloc) {
		size_t n = a->problems_alloc ? a->problems_alloc * 2 : 64;
		p = realloc(a->problems, n * sizeof(*p));
		if (!p)
			return -1;
		a->problems = p;
		a->problems_alloc = n;
	}
	p = &a->problems[a->n_problems++];
	p->line = (uint32_t)rd->rec_line;
	p->why = (uint8_t)why;
	snprintf(p->phone, sizeof(p->phone), "%s", phone ? phone : "");
	if (why == SKIP_INVALID)
		a->n_invalid++;
	else if (why == SKIP_DUPLICATE)
		a->n_duplicate++;
	else
		a->n_no_consent++;
	return 0;
}

/*
 * Sorts recipient indexes by phone key, stable (LSD radix, 16 bits a
 * pass): sequential passes instead of a million random probes.
 */
struct keyed {
	uint64_t key;
	uint32_t idx;
};

/*
 * Sorts recipient indexes by phone key, stable (LSD radix on (key, index)
 * pairs, 16 bits a pass): sequential passes instead of a million random
 * probes. Returns the pairs (the caller's) or NULL.
 */
static struct keyed *sort_by_key(const struct recipient *r, size_t n)
{
	struct keyed *v = malloc(n * sizeof(*v)), *tmp = malloc(n * sizeof(*tmp));
	size_t *count = malloc(65537 * sizeof(*count));
	uint64_t maxkey = 0;
	unsigned shift;
	size_t i;

	mem_hint_huge(v, n * sizeof(*v));
	mem_hint_huge(tmp, n * sizeof(*tmp));

	if (!v || !tmp || !count) {
		free(v);
		free(tmp);
		free(count);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v[i].key = r[i].key;
		v[i].idx = (uint32_t)i;
		if (r[i].key > maxkey)
			maxkey = r[i].key;
	}
	for (shift = 0; shift < 64 && (maxkey >> shift); shift += 16) {
		struct keyed *t;
		memset(count, 0, 65537 * sizeof(*count));
		for (i = 0; i < n; i++)
			count[((v[i].key >> shift) & 0xffff) + 1]++;
		for (i = 1; i <= 65536; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			tmp[count[(v[i].key >> shift) & 0xffff]++] = v[i];
		t = v;
		v = tmp;
		tmp = t;
	}
	free(tmp);
	free(count);
	return v;
}

static int cmp_problem(const void *x, const void *y)
{
	const struct row_problem *p = x, *q = y;

	return p->line < q->line ? -1 : p->line > q->line;
}

/*
 * The first row with a number wins: later rows with it are reported as
 * duplicates, rows without consent are set aside, and the recipients
 * are compacted in audience order.
 */
static int dedup(struct reader *rd)
{
	struct audience *a = rd->a;
	struct keyed *v;
	size_t i, j;

	if (!a->n)
		return 0;
	if (!(v = sort_by_key(a->r, a->n)))
		return gd_error_set("out of memory");
	for (i = 1; i < a->n; i++)
		if (v[i].key == v[i - 1].key)
			a->r[v[i].idx].flags |= RCP_DUPLICATE;
	free(v);
	for (i = j = 0; i < a->n; i++) {
		struct recipient *r = &a->r[i];
		char phone[PHONE_MAX];
		if (!r->flags) {
			a->r[j++] = *r;
			continue;
		}
		audience_phone(phone, r);
		rd->rec_line = r->line;
		if (r->flags & RCP_DUPLICATE) {
			warn(rd, r->line, "phone", "%s is a duplicate; the first row "
			     "with it wins%s", phone, "");
			problem(rd, SKIP_DUPLICATE, phone);
		} else {
			problem(rd, SKIP_NO_CONSENT, phone);
		}
	}
	a->n = j;
	if (a->n_problems > 1)
		qsort(a->problems, a->n_problems, sizeof(*a->problems), cmp_problem);
	return 0;
}

static int tz_known(struct reader *rd, const char *tz)
{
	size_t i;
	void *n;

	if (strlen(tz) >= 48)
		return 0;
	for (i = 0; i < rd->n_tzok; i++)
		if (!strcmp(rd->tzok[i], tz))
			return 1;
	for (i = 0; i < rd->n_tzbad; i++)
		if (!strcmp(rd->tzbad[i], tz))
			return 0;
	if (tz_valid(tz)) {
		if ((n = realloc(rd->tzok, (rd->n_tzok + 1) * 48))) {
			rd->tzok = n;
			snprintf(rd->tzok[rd->n_tzok++], 48, "%s", tz);
		}
		return 1;
	}
	if (rd->n_tzbad < 1000 &&
	    (n = realloc(rd->tzbad, (rd->n_tzbad + 1) * 48))) {
		rd->tzbad = n;
		snprintf(rd->tzbad[rd->n_tzbad++], 48, "%s", tz);
	}
	return 0;
}

/* The place index for a phone/tz pair, computing and caching it. */
static int place_for(struct reader *rd, const char *phone, const char *tz,
		     uint32_t *out)
{
	struct audience *a = rd->a;
	long key = rules_place_key(rd->o->rules, phone);
	size_t i, h;
	struct place pl;

	if (!rd->cache_cap) {
		rd->cache_cap = 4096;
		rd->cache = calloc(rd->cache_cap, sizeof(*rd->cache));
		if (!rd->cache)
			return -1;
	}
	h = (size_t)hash_fnv1a(tz, strlen(tz)) ^ (size_t)key * 31;
	for (i = h & (rd->cache_cap - 1); rd->cache[i].used;
	     i = (i + 1) & (rd->cache_cap - 1)) {
		if (rd->cache[i].key == key && !strcmp(rd->cache[i].tz, tz)) {
			*out = rd->cache[i].place;
			return 0;
		}
	}
	if (a->n_places * 2 >= rd->cache_cap)
		return -1; /* more distinct places than we cache: give up */
	if (rules_place(rd->o->rules, &pl, phone, tz))
		return -1;
	{
		struct place *n = realloc(a->places, (a->n_places + 1) * sizeof(*n));
		if (!n)
			return -1;
		a->places = n;
		a->places[a->n_places] = pl;
	}
	rd->cache[i].used = 1;
	rd->cache[i].key = key;
	snprintf(rd->cache[i].tz, sizeof(rd->cache[i].tz), "%s", tz);
	rd->cache[i].place = (uint32_t)a->n_places;
	*out = (uint32_t)a->n_places++;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void trim_col_set(struct audience *a, int col)
{
	if (col >= 0 && col < AUDIENCE_COLUMNS_MAX)
		a->trim_cols[col / 8] |= (uint8_t)(1u << (col % 8));
}

static void header(struct reader *rd)
{
	struct audience *a = rd->a;
	const struct campaign *cp = rd->o->campaign;
	int i, j;

	rd->header_done = 1;
	for (i = 0; i < rd->nf; i++) {
		char *name = trim(rd->fields[i]), *p;
		for (p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		a->columns[i] = strdup(name);
		a->n_columns++;
		if (!*name)
			diags_add(rd->d, DIAG_ERROR, rd->file, 1, NULL,
				  "column %d has an empty name", i + 1);
		for (j = 0; j < i; j++)
			if (!strcmp(a->columns[j], name) && *name)
				diags_add(rd->d, DIAG_ERROR, rd->file, 1, name,
					  "column \"%s\" appears twice", name);
		if (!strcmp(name, "phone"))
			a->col_phone = i;
		else if (!strcmp(name, "timezone"))
			a->col_tz = i;
		else if (!strcmp(name, "language"))
			a->col_lang = i;
		else if (!strcmp(name, "consent"))
			a->col_consent = i;
	}
	if (a->col_phone < 0) {
		diags_add(rd->d, DIAG_ERROR, rd->file, 1, "phone",
			  "no \"phone\" column in the header (expected a column "
			  "named phone with E.164 numbers)");
		rd->fatal = 1;
	}
	for (i = 0; cp && i < cp->n_placeholders; i++) {
		rd->placeholder_col[i] = -1;
		for (j = 0; j < a->n_columns; j++)
			if (!strcmp(a->columns[j], cp->placeholders[i]))
				rd->placeholder_col[i] = j;
		if (rd->placeholder_col[i] < 0) {
			diags_add(rd->d, DIAG_ERROR, rd->file, 1, cp->placeholders[i],
				  "the script uses {{%s}} but the audience has no "
				  "such column", cp->placeholders[i]);
			rd->fatal = 1;
		}
	}
	for (i = 0; i < a->n_columns; i++)
		rd->keep_col[i] = rd->o->keep_vars || i == a->col_phone ||
				  i == a->col_tz || i == a->col_lang ||
				  i == a->col_consent;
	for (i = 0; cp && i < cp->n_placeholders; i++)
		if (rd->placeholder_col[i] >= 0)
			rd->keep_col[rd->placeholder_col[i]] = 1;
	/* the columns row() trims (see audience_var) */
	for (i = 0; cp && i < cp->n_placeholders; i++)
		if (rd->placeholder_col[i] >= 0)
			trim_col_set(a, rd->placeholder_col[i]);
	trim_col_set(a, a->col_tz);
	trim_col_set(a, a->col_lang);
	if (cp && cp->require_consent)
		trim_col_set(a, a->col_consent);
	if (cp && cp->require_consent && a->col_consent < 0)
		diags_add(rd->d, DIAG_WARNING, rd->file, 1, "consent",
			  "require_consent is set but there is no consent column: "
			  "no row will be dialed");
}

static int lang_index(struct audience *a, const char *lang)
{
	int i;

	if (!*lang || strlen(lang) > 7)
		return 0;
	for (i = 0; i < a->n_langs; i++)
		if (!strcmp(a->langs[i], lang))
			return i;
	if (a->n_langs == 32)
		return 0;
	snprintf(a->langs[a->n_langs], sizeof(a->langs[0]), "%s", lang);
	return a->n_langs++;
}

static void row(struct reader *rd)
{
	struct audience *a = rd->a;
	const struct campaign *cp = rd->o->campaign;
	unsigned long line = rd->rec_line;
	char phone[PHONE_MAX];
	const char *why, *tz = "";
	struct recipient *r;
	uint64_t key;
	int i, no_consent;

	a->rows++;
	if (rd->nf != a->n_columns) {
		char got[16], want[32];
		snprintf(got, sizeof(got), "%d", rd->nf);
		snprintf(want, sizeof(want), "%d", a->n_columns);
		warn(rd, line, NULL, "row has %s fields, the header has %s", got, want);
		problem(rd, SKIP_INVALID, NULL);
		return;
	}
	if (phone_normalize(phone, rd->fields[a->col_phone],
			    rd->flen[a->col_phone], &why)) {
		char shown[48];
		utf8_truncate(shown, sizeof(shown), rd->fields[a->col_phone]);
		warn(rd, line, "phone", "\"%s\" %s (expected E.164 such as "
		     "+14155550123)", shown, why);
		problem(rd, SKIP_INVALID, NULL);
		return;
	}
	{
		/* a number of a length its country's numbers never have */
		char why2[160];
		if (phone_possible(phone, why2, sizeof(why2))) {
			warn(rd, line, "phone", "%s %s (libphonenumber's metadata)",
			     phone, why2);
			problem(rd, SKIP_INVALID, NULL);
			return;
		}
	}
	key = phone_key(phone);
	if (a->col_tz >= 0) {
		tz = trim(rd->fields[a->col_tz]);
		if (*tz && !tz_known(rd, tz)) {
			char shown[64];
			utf8_truncate(shown, sizeof(shown), tz);
			warn(rd, line, "timezone", "\"%s\" is not a time zone "
			     "in the tz database (expected e.g. America/New_York)%s",
			     shown, "");
			problem(rd, SKIP_INVALID, phone);
			return;
		}
	}
	for (i = 0; cp && i < cp->n_placeholders; i++) {
		int col = rd->placeholder_col[i];
		if (col >= 0 && !*trim(rd->fields[col])) {
			warn(rd, line, cp->placeholders[i], "empty value for "
			     "{{%s}}, which the script uses%s", cp->placeholders[i], "");
			problem(rd, SKIP_INVALID, phone);
			return;
		}
	}
	/* duplicates are found after the whole file is read (dedup()) */
	no_consent = cp && cp->require_consent &&
		(a->col_consent < 0 || !*trim(rd->fields[a->col_consent]));
	if (a->n == a->alloc) {
		size_t n = a->alloc ? a->alloc * 2 : 1024;
		struct recipient *p = realloc(a->r, n * sizeof(*p));
		if (!p) {
			rd->fatal = 1;
			return;
		}
		a->r = p;
		a->alloc = n;
		mem_hint_huge(a->r + a->n, (n - a->n) * sizeof(*p));
	}
	r = &a->r[a->n];
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->line = (uint32_t)line;
	r->vars = UINT32_MAX;
	r->flags = no_consent ? RCP_NO_CONSENT : 0;
	if (no_consent) {
		a->n++;
		return;
	}
	if (a->col_lang >= 0)
		r->lang = (uint8_t)lang_index(a, trim(rd->fields[a->col_lang]));
	if (rd->o->rules && place_for(rd, phone, tz, &r->place)) {
		warn(rd, line, "phone", "no time zone is known for %s; add a "
		     "timezone column%s", phone, "");
		problem(rd, SKIP_INVALID, phone);
		return;
	}
	if (rd->o->keep_vars) {
		/* audience_var parses the record again from where it starts */
		if (rd->rec_off >= UINT32_MAX) {
			rd->fatal = 1;
			return;
		}
		r->vars = (uint32_t)rd->rec_off;
		if (trace_fn)
			trace_fn(trace_ctx, r->line, rd->fields, rd->nf);
	}
	a->n++;
}

static void cb_field(void *s, size_t len, void *ctx)
{
	struct reader *rd = ctx;
	size_t bad;

	if (rd->nf >= AUDIENCE_COLUMNS_MAX) {
		rd->too_many = 1;
		return;
	}
	if (len > AUDIENCE_FIELD_MAX) {
		diags_add(rd->d, rd->header_done ? DIAG_WARNING : DIAG_ERROR,
			  rd->file, rd->rec_line, NULL, "field %d is %zu bytes "
			  "(at most %d)", rd->nf + 1, len, AUDIENCE_FIELD_MAX);
		rd->too_many = 2;
		len = 0;
	}
	if ((bad = utf8_check(s, len))) {
		diags_add(rd->d, rd->header_done ? DIAG_WARNING : DIAG_ERROR,
			  rd->file, rd->rec_line, NULL, "field %d has %s at byte "
			  "%zu (expected UTF-8 text)", rd->nf + 1,
			  ((char *)s)[bad - 1] ? "invalid UTF-8" : "a NUL byte", bad);
		rd->too_many = 2;
	}
	rd->foff[rd->nf] = rd->rec.len;
	rd->flen[rd->nf] = len;
	/* a column nobody reads is checked, not copied */
	if (rd->header_done && rd->nf < rd->a->n_columns && !rd->keep_col[rd->nf])
		len = 0;
	if (buf_put(&rd->rec, s ? s : "", len) || buf_putc(&rd->rec, '\0')) {
		rd->fatal = 1;
		return;
	}
	rd->nf++;
}

static void cb_record(int c, void *ctx)
{
	struct reader *rd = ctx;
	int i;

	(void)c;
	if (rd->fatal)
		goto reset;
	for (i = 0; i < rd->nf; i++)
		rd->fields[i] = rd->rec.ptr + rd->foff[i];
	if (rd->too_many == 1)
		diags_add(rd->d, rd->header_done ? DIAG_WARNING : DIAG_ERROR,
			  rd->file, rd->rec_line, NULL, "more than %d fields",
			  AUDIENCE_COLUMNS_MAX);
	if (!rd->header_done) {
		if (rd->too_many) {
			rd->fatal = 1;
			goto reset;
		}
		header(rd);
	} else if (rd->too_many) {
		rd->a->rows++;
		problem(rd, SKIP_INVALID, NULL);
	} else {
		row(rd);
	}
reset:
	for (i = 0; i < rd->nf; i++)
		rd->fields[i] = NULL;
	rd->nf = 0;
	rd->too_many = 0;
	buf_reset(&rd->rec);
}

static void *capped_realloc(void *p, size_t n)
{
	if (n > (size_t)AUDIENCE_FIELD_MAX * 2 + 32 * 1024)
		return NULL;
	return realloc(p, n);
}

/*
 * Feeds bytes to libcsv a physical line at a time, so that we know the
 * line where each record starts: a record starts on the first line fed
 * while the parser had no row begun.
 */
static int parser_init(struct reader *rd)
{
	if (csv_init(&rd->p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI))
		return gd_error_set("out of memory");
	/*
	 * libcsv buffers a whole field before our callback sees it, growing
	 * by 128 bytes a step: grow in 16 KiB steps and refuse past twice the
	 * field limit, so a 500 MB field costs neither memory nor time.
	 */
	csv_set_blk_size(&rd->p, 16 * 1024);
	csv_set_realloc_func(&rd->p, capped_realloc);
	return 0;
}

/*
 * A field outgrew the cap: the row is reported and left out, the rest of
 * its physical line is dropped, and parsing starts afresh on the next
 * line (a quoted field with newlines in it may then yield a few more
 * row problems, never a crash).
 */
static int drop_long_field(struct reader *rd)
{
	int field = rd->nf + 1;

	if (!rd->header_done) {
		diags_add(rd->d, DIAG_ERROR, rd->file, rd->rec_line, NULL,
			  "field %d is longer than %d bytes (at most %d)", field,
			  AUDIENCE_FIELD_MAX * 2, AUDIENCE_FIELD_MAX);
		rd->fatal = 1;
		return GD_EINVALID;
	}
	diags_add(rd->d, DIAG_WARNING, rd->file, rd->rec_line, NULL,
		  "field %d is longer than %d bytes (at most %d); the row is "
		  "left out", field, AUDIENCE_FIELD_MAX * 2, AUDIENCE_FIELD_MAX);
	rd->a->rows++;
	problem(rd, SKIP_INVALID, NULL);
	csv_free(&rd->p);
	rd->nf = 0;
	rd->too_many = 0;
	buf_reset(&rd->rec);
	rd->skip_to_eol = 1;
	return parser_init(rd);
}

/*
 * The length of the next piece to feed in [p, end): up to and including
 * the first line end (LF, CR, or CR LF together), or all of it when
 * there is none. *cr and *nl cache the next CR and LF found (NULL: not
 * searched yet; end: none left), so a file is scanned once for each.
 * libcsv ends a record at a bare CR as well as at LF: a piece never
 * holds the end of one record and the start of the next.
 */
static size_t line_piece(const char *p, const char *end, const char **cr,
			 const char **nl)
{
	const char *t;

	if (!*cr || *cr < p)
		*cr = (t = memchr(p, '\r', (size_t)(end - p))) ? t : end;
	if (!*nl || *nl < p)
		*nl = (t = memchr(p, '\n', (size_t)(end - p))) ? t : end;
	t = *cr < *nl ? *cr : *nl;
	if (t == end)
		return (size_t)(end - p);
	if (*t == '\r' && t + 1 < end && t[1] == '\n')
		t++;
	return (size_t)(t - p) + 1;
}

/*
 * Feeds bytes to libcsv a line at a time (a line ends at LF, CR or CR LF,
 * as libcsv's records do), so that we know where each record starts: at
 * the first piece fed while the parser had no row begun. rec_off is then
 * the offset audience_var parses the record again from, and rec_line the
 * physical line it starts on.
 */
static int feed(struct reader *rd, const char *data, size_t len)
{
	const char *end, *cr = NULL, *nl = NULL;

	/* a UTF-8 BOM is not data: strip it before libcsv sees a quote */
	if (!rd->started) {
		rd->started = 1;
		if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
			data += 3;
			len -= 3;
		}
	}
	end = data + len;
	while (data < end && !rd->fatal) {
		size_t n;
		int eol;
		if (rd->prev_cr && *data == '\n') {
			/* the LF of a CR LF split between two feeds: the CR
			 * counted the line */
			n = 1;
			eol = 0;
		} else {
			n = line_piece(data, end, &cr, &nl);
			eol = data[n - 1] == '\n' || data[n - 1] == '\r';
		}
		if (rd->skip_to_eol) {
			if (eol) {
				rd->skip_to_eol = 0;
				rd->line++;
				rd->at_line_start = 1;
			}
			rd->prev_cr = data[n - 1] == '\r';
			data += n;
			continue;
		}
		if (rd->at_line_start && rd->p.pstate == 0) {
			rd->rec_line = rd->line;
			rd->rec_off = (size_t)(data - rd->base);
		}
		if (csv_parse(&rd->p, data, n, cb_field, cb_record, rd) != n) {
			if (csv_error(&rd->p) == CSV_ENOMEM) {
				if (drop_long_field(rd))
					return GD_EINVALID;
				continue; /* the same bytes, now skipped to the line end */
			}
			diags_add(rd->d, DIAG_ERROR, rd->file, rd->rec_line, NULL,
				  "malformed CSV: %s (a quote inside a quoted "
				  "field must be doubled)",
				  csv_strerror(csv_error(&rd->p)));
			rd->fatal = 1;
			return GD_EINVALID;
		}
		rd->prev_cr = data[n - 1] == '\r';
		if (n == 1 && !eol && *data == '\n') {
			data += n; /* the split CR LF's LF: the line is as it was */
			continue;
		}
		rd->at_line_start = eol;
		if (eol)
			rd->line++;
		data += n;
	}
	return rd->fatal ? GD_EINVALID : 0;
}

static int is_compressed(const char *file)
{
	size_t n = strlen(file);

	return !(n > 4 && !strcmp(file + n - 4, ".csv"));
}

/*
 * Decompression runs on a second thread while this one parses: on two
 * cores a .csv.gz then takes about as long as the plain .csv. The
 * threads hand each other PIPE_BUFS buffers; only the producer touches
 * the archive.
 */
#define PIPE_BUFS 4
#define PIPE_CHUNK (1u << 20)

struct pipe_state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct archive *ar;
	char *buf[PIPE_BUFS];
	size_t len[PIPE_BUFS];
	int full[PIPE_BUFS];
	int done, stop;
	la_ssize_t last; /* archive_read_data's final answer */
	uLong crc;
	uint64_t total;
	uint64_t packed; /* the compressed size, for the ratio cap */
	int bomb;        /* stopped at a cap (AUDIENCE_INFLATED_MAX, _RATIO_MAX) */
};

/* Whether total decompressed bytes from packed compressed ones is too much. */
static int inflated_too_much(uint64_t total, uint64_t packed)
{
	return total > AUDIENCE_INFLATED_MAX ||
	       (total > AUDIENCE_RATIO_FREE && total / AUDIENCE_RATIO_MAX > packed);
}

static void *inflate_thread(void *arg)
{
	struct pipe_state *ps = arg;
	int head = 0;

	for (;;) {
		la_ssize_t got;
		pthread_mutex_lock(&ps->mu);
		while (ps->full[head] && !ps->stop)
			pthread_cond_wait(&ps->cv, &ps->mu);
		if (ps->stop) {
			pthread_mutex_unlock(&ps->mu);
			break;
		}
		pthread_mutex_unlock(&ps->mu);
		got = archive_read_data(ps->ar, ps->buf[head], PIPE_CHUNK);
		pthread_mutex_lock(&ps->mu);
		if (got <= 0) {
			ps->last = got;
			ps->done = 1;
			pthread_cond_broadcast(&ps->cv);
			pthread_mutex_unlock(&ps->mu);
			break;
		}
		ps->total += (uint64_t)got;
		if (inflated_too_much(ps->total, ps->packed)) {
			/* a bomb: stop here, before the parser gets more */
			ps->bomb = 1;
			ps->done = 1;
			pthread_cond_broadcast(&ps->cv);
			pthread_mutex_unlock(&ps->mu);
			break;
		}
		ps->crc = crc32(ps->crc, (const Bytef *)ps->buf[head], (uInt)got);
		ps->len[head] = (size_t)got;
		ps->full[head] = 1;
		pthread_cond_broadcast(&ps->cv);
		pthread_mutex_unlock(&ps->mu);
		head = (head + 1) % PIPE_BUFS;
	}
	return NULL;
}

/*
 * Feeds decompressed bytes; with keep_vars they are kept as the text
 * first (audience_var reads rows from it) and fed from there.
 */
static int feed_chunk(struct reader *rd, const char *data, size_t len)
{
	struct audience *a = rd->a;

	if (!rd->o->keep_vars) {
		rd->base = data;
		return feed(rd, data, len);
	}
	if (a->text_len + len > a->text_alloc) {
		size_t n = a->text_alloc ? a->text_alloc : 1 << 20;
		char *p;
		while (n < a->text_len + len)
			n *= 2;
		if (!(p = realloc(a->text_own, n)))
			return gd_error_set("out of memory");
		mem_hint_huge(p + a->text_len, n - a->text_len);
		a->text = a->text_own = p;
		a->text_alloc = n;
	}
	memcpy(a->text_own + a->text_len, data, len);
	a->text_len += len;
	rd->base = a->text_own;
	return feed(rd, a->text_own + a->text_len - len, len);
}

/* Feeds the whole member to the parser; returns archive_read_data's last answer. */
static la_ssize_t inflate_and_feed(struct reader *rd, struct archive *ar,
				   uLong *crc, uint64_t *total, int *rc,
				   uint64_t packed, int *bomb)
{
	struct pipe_state ps;
	pthread_t th;
	int tail = 0, i;

	memset(&ps, 0, sizeof(ps));
	ps.ar = ar;
	ps.crc = *crc;
	ps.packed = packed;
	pthread_mutex_init(&ps.mu, NULL);
	pthread_cond_init(&ps.cv, NULL);
	for (i = 0; i < PIPE_BUFS; i++)
		if (!(ps.buf[i] = malloc(PIPE_CHUNK)))
			*rc = gd_error_set("out of memory");
	if (!*rc && pthread_create(&th, NULL, inflate_thread, &ps))
		*rc = gd_error_set("cannot start a thread");
	if (*rc) {
		for (i = 0; i < PIPE_BUFS; i++)
			free(ps.buf[i]);
		return 0;
	}
	for (;;) {
		pthread_mutex_lock(&ps.mu);
		while (!ps.full[tail] && !ps.done)
			pthread_cond_wait(&ps.cv, &ps.mu);
		if (!ps.full[tail]) { /* done, and nothing left */
			pthread_mutex_unlock(&ps.mu);
			break;
		}
		pthread_mutex_unlock(&ps.mu);
		*rc = feed_chunk(rd, ps.buf[tail], ps.len[tail]);
		pthread_mutex_lock(&ps.mu);
		ps.full[tail] = 0;
		if (*rc)
			ps.stop = 1;
		pthread_cond_broadcast(&ps.cv);
		pthread_mutex_unlock(&ps.mu);
		if (*rc)
			break;
		tail = (tail + 1) % PIPE_BUFS;
	}
	pthread_join(th, NULL);
	*crc = ps.crc;
	*total = ps.total;
	*bomb = ps.bomb;
	for (i = 0; i < PIPE_BUFS; i++)
		free(ps.buf[i]);
	pthread_cond_destroy(&ps.cv);
	pthread_mutex_destroy(&ps.mu);
	return ps.last;
}

static int feed_archive(struct reader *rd, const char *data, size_t len)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	size_t n = strlen(rd->file);
	int zip = n > 4 && !strcmp(rd->file + n - 4, ".zip");
	int rc = 0;
	la_ssize_t got;
	uLong crc = crc32(0L, Z_NULL, 0);
	uint64_t total = 0;
	int gzip = n > 3 && !strcmp(rd->file + n - 3, ".gz");
	int bomb = 0, members = 0;

	if (!ar)
		return gd_error_set("out of memory");
	archive_read_support_filter_all(ar);
	if (zip)
		archive_read_support_format_zip(ar);
	else
		archive_read_support_format_raw(ar);
	if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
		diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
			  "cannot read the compressed file: %s",
			  archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
		rc = GD_EINVALID;
		goto cleanup;
	}
	for (;;) {
		int r = archive_read_next_header(ar, &e);
		const char *name;
		if (r == ARCHIVE_EOF) {
			diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
				  "the zip file has no .csv member");
			rc = GD_EINVALID;
			goto cleanup;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
				  "corrupt compressed file: %s",
				  archive_error_string(ar) ? archive_error_string(ar) : "bad header");
			rc = GD_EINVALID;
			goto cleanup;
		}
		if (!zip)
			break;
		name = archive_entry_pathname(e);
		n = name ? strlen(name) : 0;
		if (n > 4 && !strcasecmp(name + n - 4, ".csv"))
			break;
		if (++members >= AUDIENCE_ZIP_MEMBERS_MAX) {
			diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
				  "no .csv among the first %d members of the zip "
				  "file (at most %d are looked at)",
				  AUDIENCE_ZIP_MEMBERS_MAX, AUDIENCE_ZIP_MEMBERS_MAX);
			rc = GD_EINVALID;
			goto cleanup;
		}
		archive_read_data_skip(ar);
	}
	if (!zip && archive_filter_count(ar) <= 1) {
		diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
			  "not compressed data (expected what the file name says)");
		rc = GD_EINVALID;
		goto cleanup;
	}
	got = inflate_and_feed(rd, ar, &crc, &total, &rc, len, &bomb);
	if (rc)
		goto cleanup;
	if (bomb) {
		diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
			  "decompresses to more than %s (at most %llu MiB, and "
			  "at most %d times the compressed size past %llu MiB): "
			  "reading stopped; split the audience or compress it "
			  "less", total > AUDIENCE_INFLATED_MAX ? "the size cap"
			  : "the ratio cap", AUDIENCE_INFLATED_MAX >> 20,
			  AUDIENCE_RATIO_MAX, AUDIENCE_RATIO_FREE >> 20);
		rc = GD_EINVALID;
		goto cleanup;
	}
	if (got < 0) {
		diags_add(rd->d, DIAG_ERROR, rd->file, rd->line, NULL,
			  "corrupt or truncated compressed data: %s",
			  archive_error_string(ar) ? archive_error_string(ar) : "read error");
		rc = GD_EINVALID;
	} else if (gzip && len >= 18) {
		/*
		 * libarchive's gzip reader does not check the trailer; a
		 * single-member file ends with the CRC-32 and size of its data
		 */
		const unsigned char *t = (const unsigned char *)data + len - 8;
		uint32_t want_crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 |
				    (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
		uint32_t want_len = (uint32_t)t[4] | (uint32_t)t[5] << 8 |
				    (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
		if (want_crc != (uint32_t)crc || want_len != (uint32_t)total) {
			diags_add(rd->d, DIAG_ERROR, rd->file, 0, NULL,
				  "corrupt gzip data: the checksum does not match "
				  "(expected an intact .csv.gz)");
			rc = GD_EINVALID;
		}
	}
cleanup:
	archive_read_free(ar);
	return rc;
}

int audience_read(struct audience **out, const char *file, const char *data,
		  size_t len, const struct audience_opts *opts, struct diags *d)
{
	static const struct audience_opts none;
	struct reader rd;
	struct audience *a;
	size_t errors = d->errors;
	int rc = 0;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a)))) {
		if (opts && opts->text_release)
			opts->text_release(opts->text_token);
		return gd_error_set("out of memory");
	}
	if (opts && opts->text_release) {
		/* lent: the audience releases it, whatever happens next */
		a->text_release = opts->text_release;
		a->text_token = opts->text_token;
	}
	a->col_phone = a->col_tz = a->col_lang = a->col_consent = -1;
	a->n_langs = 1; /* index 0: no language given */
	memset(&rd, 0, sizeof(rd));
	rd.a = a;
	rd.o = opts ? opts : &none;
	rd.file = file;
	rd.d = d;
	rd.line = 1;
	rd.rec_line = 1;
	rd.at_line_start = 1;
	buf_init(&rd.rec, (size_t)AUDIENCE_FIELD_MAX * (AUDIENCE_COLUMNS_MAX + 1));
	/* about 40 bytes a row: size the tables once instead of growing them */
	rd.size_hint = is_compressed(file) ? len / 8 : len / 40;
	if (rd.size_hint > 1024) {
		a->r = malloc(rd.size_hint * sizeof(*a->r));
		a->alloc = a->r ? rd.size_hint : 0;
		mem_hint_huge(a->r, a->alloc * sizeof(*a->r));
	}
	*out = a;
	if ((rc = parser_init(&rd)))
		goto cleanup;
	if (len == 0) {
		diags_add(d, DIAG_ERROR, file, 0, NULL,
			  "file is empty (expected a header row with a phone column)");
		rc = GD_EINVALID;
		goto done;
	}
	if (!is_compressed(file) && rd.o->keep_vars) {
		if (!a->text_release) {
			/* the caller's data is only lent for this call: a copy */
			if (!(a->text_own = malloc(len))) {
				rc = gd_error_set("out of memory");
				goto done;
			}
			memcpy(a->text_own, data, len);
			a->text_alloc = len;
			data = a->text_own;
		}
		a->text = data;
		a->text_len = len;
	}
	rd.base = data;
	rc = is_compressed(file) ? feed_archive(&rd, data, len)
				 : feed(&rd, data, len);
	if (!rc && !rd.fatal &&
	    csv_fini(&rd.p, cb_field, cb_record, &rd) != 0) {
		diags_add(d, DIAG_ERROR, file, rd.rec_line, NULL,
			  "malformed CSV at the end: %s (an unterminated quote?)",
			  csv_strerror(csv_error(&rd.p)));
		rc = GD_EINVALID;
	}
	if (!rc && !rd.fatal && rd.header_done)
		rc = dedup(&rd);
	if (!rc && !rd.header_done && !rd.fatal) {
		diags_add(d, DIAG_ERROR, file, 0, NULL,
			  "no header row (expected a header with a phone column)");
		rc = GD_EINVALID;
	}
done:
	csv_free(&rd.p);
cleanup:
	if (!rc && (rd.fatal || d->errors > errors))
		rc = GD_EINVALID;
	buf_release(&rd.rec);
	free(rd.tzok);
	free(rd.tzbad);
	free(rd.cache);
	return rc;
}

void audience_free(struct audience *a)
{
	int i;

	if (!a)
		return;
	if (a->saving)
		bio_wait(); /* the cache file's write reads the arrays */
	for (i = 0; i < a->n_columns; i++)
		free(a->columns[i]);
	if (a->map) {
		file_unmap(a->map); /* r, text, problems and the index were in it */
	} else {
		free(a->r);
		free(a->problems);
		free(a->idx_key);
		free(a->idx_pos);
	}
	free(a->text_own);
	if (a->text_release)
		a->text_release(a->text_token);
	row_values_free(a->row_values);
	free(a->places);
	free(a->priv);
	free(a);
}

void audience_phone(char out[PHONE_MAX], const struct recipient *r)
{
	snprintf(out, PHONE_MAX, "+%" PRIu64, r->key);
}

/*
 * A kept row's values, parsed again from the text: libcsv with the
 * reader's options, a line at a time (line_piece) until the record ends.
 * The record was valid when it was read (a kept row), so what comes out
 * is what the reader saw.
 */
struct row_values {
	uint32_t off;      /* the row held, UINT32_MAX when none */
	struct buf vals;   /* each value NUL-ended */
	size_t at[AUDIENCE_COLUMNS_MAX];
	int n, ended;
};

static void row_values_free(struct row_values *rv)
{
	if (rv) {
		buf_release(&rv->vals);
		free(rv);
	}
}

static void rv_field(void *s, size_t len, void *ctx)
{
	struct row_values *rv = ctx;

	if (rv->ended || rv->n >= AUDIENCE_COLUMNS_MAX)
		return;
	rv->at[rv->n++] = rv->vals.len;
	if (buf_put(&rv->vals, s ? s : "", len) || buf_putc(&rv->vals, '\0'))
		rv->n--;
}

static void rv_record(int c, void *ctx)
{
	(void)c;
	((struct row_values *)ctx)->ended = 1;
}

static int row_values_parse(struct row_values *rv, const struct audience *a,
			    uint32_t off)
{
	struct csv_parser p;
	const char *q = a->text + off, *end = a->text + a->text_len;
	const char *cr = NULL, *nl = NULL;
	int i;

	rv->off = UINT32_MAX;
	rv->n = rv->ended = 0;
	buf_reset(&rv->vals);
	if (off >= a->text_len || csv_init(&p, CSV_STRICT | CSV_APPEND_NULL))
		return -1;
	while (q < end && !rv->ended) {
		size_t n = line_piece(q, end, &cr, &nl);
		if (csv_parse(&p, q, n, rv_field, rv_record, rv) != n)
			break;
		q += n;
	}
	if (!rv->ended)
		csv_fini(&p, rv_field, rv_record, rv);
	csv_free(&p);
	if (!rv->ended)
		return -1;
	for (i = 0; i < rv->n && i < a->n_columns; i++)
		if (a->trim_cols[i / 8] & (1u << (i % 8))) {
			char *v = rv->vals.ptr + rv->at[i], *e = v + strlen(v);
			while (e > v && isspace((unsigned char)e[-1]))
				*--e = '\0';
		}
	rv->off = off;
	return 0;
}

static void len_field(void *s, size_t len, void *ctx)
{
	(void)s;
	(void)len;
	(void)ctx;
}

static void len_record(int c, void *ctx)
{
	(void)c;
	*(int *)ctx = 1;
}

size_t audience_record_len(const struct audience *a, size_t off)
{
	struct csv_parser p;
	const char *q, *end, *cr = NULL, *nl = NULL;
	int ended = 0;

	if (!a->text || off >= a->text_len ||
	    csv_init(&p, CSV_STRICT | CSV_APPEND_NULL))
		return 0;
	q = a->text + off;
	end = a->text + a->text_len;
	/* a line at a time: the record ends with the line it ended in */
	while (q < end && !ended) {
		size_t n = line_piece(q, end, &cr, &nl);
		if (csv_parse(&p, q, n, len_field, len_record, &ended) != n)
			break;
		q += n;
	}
	csv_free(&p);
	return (size_t)(q - (a->text + off));
}

const char *audience_var(const struct audience *a, const struct recipient *r,
			 int col)
{
	struct row_values *rv = a->row_values;

	if (r->vars == UINT32_MAX || col < 0 || col >= a->n_columns || !a->text)
		return "";
	if (!rv) {
		if (!(rv = calloc(1, sizeof(*rv))))
			return "";
		buf_init(&rv->vals, (size_t)AUDIENCE_FIELD_MAX * (AUDIENCE_COLUMNS_MAX + 1));
		rv->off = UINT32_MAX;
		((struct audience *)a)->row_values = rv; /* a cache: not the audience's value */
	}
	if (rv->off != r->vars && row_values_parse(rv, a, r->vars))
		return "";
	return col < rv->n ? rv->vals.ptr + rv->at[col] : "";
}

size_t audience_slot(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: the high bits of the product */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - __builtin_ctzll(cap)));
}

int audience_index(struct audience *a)
{
	size_t i, cap = 16;

	if (a->idx_cap)
		return 0;
	while (cap < a->n * 2 + 2)
		cap *= 2;
	a->idx_key = table_calloc(cap, sizeof(*a->idx_key));
	a->idx_pos = table_calloc(cap, sizeof(*a->idx_pos));
	if (!a->idx_key || !a->idx_pos) {
		free(a->idx_key);
		free(a->idx_pos);
		a->idx_key = NULL;
		a->idx_pos = NULL;
		return gd_error_set("out of memory");
	}
	a->idx_cap = cap;
	for (i = 0; i < a->n; i++) {
		size_t j = audience_slot(a->r[i].key, cap);
		while (a->idx_key[j])
			j = (j + 1) & (cap - 1);
		a->idx_key[j] = a->r[i].key;
		a->idx_pos[j] = (uint32_t)i;
	}
	return 0;
}

void audience_prefetch(const struct audience *a, uint64_t key)
{
	if (a->idx_cap && key) {
		size_t i = audience_slot(key, a->idx_cap);
		__builtin_prefetch(&a->idx_key[i]);
		__builtin_prefetch(&a->idx_pos[i]);
	}
}

const struct recipient *audience_find(const struct audience *a, uint64_t key)
{
	size_t i;

	if (a->idx_cap && key) {
		size_t probes;
		/* a table read from a cache file is checked here, where it is
		 * used: a position past the rows, or no free slot, finds nothing */
		for (i = audience_slot(key, a->idx_cap), probes = 0;
		     a->idx_key[i] && probes < a->idx_cap;
		     i = (i + 1) & (a->idx_cap - 1), probes++)
			if (a->idx_key[i] == key)
				return a->idx_pos[i] < a->n ? &a->r[a->idx_pos[i]] : NULL;
		return NULL;
	}
	/* a linear scan is fine for the few lookups made per tick */
	for (i = 0; i < a->n; i++)
		if (a->r[i].key == key)
			return &a->r[i];
	return NULL;
}
