/*
 * Unit tests for audience_read on in-memory CSVs: RFC 4180 details, the
 * physical line of every record, header rules, row problems, bad bytes,
 * size caps, and the compressed forms (built here with libarchive's write
 * API, so no binary fixtures are needed).
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audience.h"
#include "bio.h"
#include "campaign.h"
#include "diag.h"
#include "err.h"
#include "phone.h"
#include "rules.h"
#include "util.h"

#include "tap.h"

static void dump(const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n && i < 20; i++)
		printf("#   %s %s:%lu [%s] %s\n",
		       d->v[i].level == DIAG_ERROR ? "error" : "warning",
		       d->v[i].file, d->v[i].line,
		       d->v[i].field ? d->v[i].field : "-", d->v[i].msg);
}

static int has(const struct diags *d, enum diag_level level, const char *file,
	       unsigned long line, const char *field, const char *msg)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		if (x->level != level || strcmp(x->file, file))
			continue;
		if (line != (unsigned long)-1 && x->line != line)
			continue;
		if (field && strcmp(field, "*") &&
		    (!x->field || strcmp(x->field, field)))
			continue;
		if (!field && x->field)
			continue;
		if (msg && !strstr(x->msg, msg))
			continue;
		return 1;
	}
	return 0;
}

#define ANY_LINE ((unsigned long)-1)
#define EXPECT(d, level, file, line, field, msg)                              \
	do {                                                                  \
		int ok_ = has(d, level, file, line, field, msg);              \
		CHECK(ok_, "%s %s:%ld %s: %s",                                \
		      (level) == DIAG_ERROR ? "error" : "warning", file,      \
		      (long)(line), field ? field : "-", msg);                \
		if (!ok_)                                                     \
			dump(d);                                              \
	} while (0)

/* The audience being tested, its problems, and the return code. */
static struct audience *A;
static struct diags D;
static int RC;

static void rd(const char *file, const char *data, size_t len,
	       const struct audience_opts *o)
{
	audience_free(A);
	A = NULL;
	diags_release(&D);
	RC = audience_read(&A, file, data, len, o, &D);
}

static void rds(const char *csv, const struct audience_opts *o)
{
	rd("a.csv", csv, strlen(csv), o);
}

/* "2,3,6": the lines of the kept recipients. */
static const char *kept_lines(void)
{
	static char out[1 << 17];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; A && i < A->n && n < sizeof(out) - 16; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%u", i ? "," : "",
				      A->r[i].line);
	return out;
}

/* "7:invalid,9:duplicate": the row problems. */
static const char *problem_lines(void)
{
	static char out[1 << 17];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; A && i < A->n_problems && n < sizeof(out) - 32; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%u:%s",
				      i ? "," : "", A->problems[i].line,
				      row_skip_names[A->problems[i].why]);
	return out;
}

static const char *var(size_t row, const char *col)
{
	int c;

	if (!A || row >= A->n)
		return "(no row)";
	for (c = 0; c < A->n_columns; c++)
		if (!strcmp(A->columns[c], col))
			return audience_var(A, &A->r[row], c);
	return "(no column)";
}


/* --- load-time values against dial-time values --------------------------- */

/* The values each kept row had when it was read (audience_trace_rows). */
struct seen_row {
	uint32_t line;
	int n;
	char **vals;
};
static struct seen_row *Seen;
static size_t N_seen, Seen_alloc;

static void seen_free(void)
{
	size_t i;
	int c;

	for (i = 0; i < N_seen; i++)
	{
		for (c = 0; c < Seen[i].n; c++)
			free(Seen[i].vals[c]);
		free(Seen[i].vals);
	}
	free(Seen);
	Seen = NULL;
	N_seen = Seen_alloc = 0;
}

static void seen_add(void *ctx, uint32_t line, char *const *vals, int n)
{
	struct seen_row *s;
	int c;

	(void)ctx;
	if (N_seen == Seen_alloc) {
		Seen_alloc = Seen_alloc ? Seen_alloc * 2 : 256;
		if (!(s = realloc(Seen, Seen_alloc * sizeof(*s))))
			abort();
		Seen = s;
	}
	s = &Seen[N_seen++];
	s->line = line;
	s->n = n;
	if (!(s->vals = malloc((size_t)(n ? n : 1) * sizeof(*s->vals))))
		abort();
	for (c = 0; c < n; c++)
		s->vals[c] = strdup(vals[c]);
}

/* Reads data with keep_vars while recording what every kept row read. */
static void rd_traced(const char *file, const char *data, size_t len)
{
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };

	seen_free();
	audience_trace_rows(seen_add, NULL);
	rd(file, data, len, &o);
	audience_trace_rows(NULL, NULL);
}

/*
 * The kept rows whose values re-read at dial time (audience_var) differ
 * from the values read at load, or that were never seen at load; the
 * first difference goes to the TAP output.
 */
static size_t differences(void)
{
	size_t i, j = 0, bad = 0;
	int c;

	/* both are in file order: one pass */
	for (i = 0; A && i < A->n; i++) {
		const struct seen_row *s = NULL;
		for (; j < N_seen && !s; j++)
			if (Seen[j].line == A->r[i].line)
				s = &Seen[j];
		if (!s || s->n != A->n_columns) {
			if (!bad++)
				printf("# row at line %u: not seen at load\n", A->r[i].line);
			continue;
		}
		for (c = 0; c < A->n_columns; c++)
			if (strcmp(audience_var(A, &A->r[i], c), s->vals[c])) {
				if (!bad++)
					printf("# line %u column %d: \"%s\" at load, "
					       "\"%s\" at dial time\n", A->r[i].line, c,
					       s->vals[c], audience_var(A, &A->r[i], c));
				break;
			}
	}
	return bad;
}

/* --- compression in memory ---------------------------------------------- */

struct blob {
	char *p;
	size_t len;
};

/*
 * Compresses data as kind ("gz", "xz", "zst", "zip"); for zip, extra
 * (when not NULL) is a member written before the CSV, and member names
 * the CSV. Returns 0, or -1 when libarchive cannot write that kind here.
 */
static int pack(struct blob *out, const char *kind, const char *member,
		const char *data, size_t len, const char *extra)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	size_t cap = len + len / 2 + 65536, used = 0;
	int r = ARCHIVE_OK;

	out->p = malloc(cap);
	out->len = 0;
	if (!a || !out->p)
		return -1;
	if (!strcmp(kind, "zip")) {
		r = archive_write_set_format_zip(a);
	} else {
		if (!strcmp(kind, "gz"))
			r = archive_write_add_filter_gzip(a);
		else if (!strcmp(kind, "xz"))
			r = archive_write_add_filter_xz(a);
		else if (!strcmp(kind, "zst"))
			r = archive_write_add_filter_zstd(a);
		if (r == ARCHIVE_OK)
			r = archive_write_set_format_raw(a);
	}
	if (r != ARCHIVE_OK ||
	    archive_write_open_memory(a, out->p, cap, &used) != ARCHIVE_OK) {
		printf("# libarchive cannot write %s: %s\n", kind,
		       archive_error_string(a) ? archive_error_string(a) : "?");
		archive_write_free(a);
		free(out->p);
		out->p = NULL;
		return -1;
	}
	if (extra) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, "README.txt");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(extra));
		archive_write_header(a, e);
		archive_write_data(a, extra, strlen(extra));
		archive_entry_free(e);
	}
	if (member) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, member);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_write_header(a, e);
		archive_write_data(a, data, len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	out->len = used;
	return 0;
}

/* --- the tests ---------------------------------------------------------- */

static void test_basic(void)
{
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };
	char ph[PHONE_MAX];

	rds("phone,name\n+12125550100,Ann\n+1 (212) 555-0101,Bob\n", &o);
	CHECK(RC == 0 && A && A->n == 2 && A->rows == 2 && D.n == 0,
	      "two good rows (rc %d)", RC);
	CHECK(!strcmp(kept_lines(), "2,3"), "lines 2,3 (got %s)", kept_lines());
	CHECK(A->n_columns == 2 && !strcmp(A->columns[0], "phone") &&
	      !strcmp(A->columns[1], "name") && A->col_phone == 0 &&
	      A->col_tz == -1 && A->col_lang == -1, "columns");
	audience_phone(ph, &A->r[1]);
	CHECK(!strcmp(ph, "+12125550101"), "audience_phone normalised (%s)", ph);
	CHECK(!strcmp(var(1, "name"), "Bob") && !strcmp(var(1, "phone"),
							"+1 (212) 555-0101"),
	      "keep_vars keeps the raw values");
	CHECK(audience_find(A, phone_key("+12125550101")) == &A->r[1] &&
	      !audience_find(A, phone_key("+12125550199")), "audience_find");
	CHECK(!strcmp(audience_var(A, &A->r[0], 7), "") &&
	      !strcmp(audience_var(A, &A->r[0], -1), ""),
	      "audience_var out of range is empty");

	/* without keep_vars, nothing is kept */
	rds("phone,name\n+12125550100,Ann\n", NULL);
	CHECK(RC == 0 && A->n == 1 && A->r[0].vars == UINT32_MAX &&
	      !strcmp(audience_var(A, &A->r[0], 1), ""), "no vars without keep_vars");

	/* no trailing newline, blank lines between records */
	rds("phone\n\n+12125550100\n\n\n+12125550101", NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "3,6"),
	      "blank lines are skipped and counted (got %s)", kept_lines());
}

static void test_bom_crlf(void)
{
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };

	rds("\xef\xbb\xbfphone,name\n+12125550100,Ann\n", &o);
	CHECK(RC == 0 && A->col_phone == 0 && !strcmp(A->columns[0], "phone") &&
	      A->n == 1, "a UTF-8 BOM is stripped");
	rds("\xef\xbb\xbf\"phone\",\"name\"\n+12125550100,Ann\n", &o);
	CHECK(RC == 0 && A && A->n == 1 && A->col_phone == 0,
	      "a BOM before a quoted header is stripped (rc %d)", RC);

	rds("phone,name\r\n+12125550100,Ann\r\n+12125550101,Bob\r\n", &o);
	CHECK(RC == 0 && A->n == 2 && !strcmp(kept_lines(), "2,3") &&
	      !strcmp(var(0, "name"), "Ann") && !strcmp(var(1, "name"), "Bob"),
	      "CRLF: no CR in values, lines 2,3");
	rds("phone,name\r\n+12125550100,Ann\n+12125550101,Bob\r\n", &o);
	CHECK(RC == 0 && A->n == 2 && !strcmp(kept_lines(), "2,3"),
	      "mixed CRLF and LF");
}

static const char quoted_lf[] =
	"phone,note\n"                          /* 1 */
	"+12125550100,\"a, b\"\n"               /* 2 */
	"+12125550101,\"multi\nline\nnote\"\n"  /* 3-5 */
	"+12125550102,\"say \"\"hi\"\"\"\n"     /* 6 */
	"bad,\"x\ny\"\n"                        /* 7-8 */
	"+12125550100,dup\n"                    /* 9 */
	"\"+1212555\n0103\",z\n"                /* 10-11 */
	"+12125550104,\"\r\n\"\n"               /* 12-13 */
	"+12125550105,last";                    /* 14 */

static void check_quoted(const char *what)
{
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,3,6,12,14"),
	      "%s: kept lines 2,3,6,12,14 (got %s)", what, kept_lines());
	CHECK(!strcmp(problem_lines(), "7:invalid,9:duplicate,10:invalid"),
	      "%s: problems 7 invalid, 9 duplicate, 10 invalid (got %s)", what,
	      problem_lines());
	CHECK(A && A->n_invalid == 2 && A->n_duplicate == 1 && A->rows == 8,
	      "%s: counters", what);
	EXPECT(&D, DIAG_WARNING, A ? "a.csv" : "?", 7, "phone", "no country code");
	EXPECT(&D, DIAG_WARNING, "a.csv", 9, "phone",
	       "+12125550100 is a duplicate; the first row with it wins");
	EXPECT(&D, DIAG_WARNING, "a.csv", 10, "phone", "not a digit");
}

static void test_quoted(void)
{
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };
	char crlf[sizeof(quoted_lf) * 2];
	size_t i, n = 0;

	rd("a.csv", quoted_lf, sizeof(quoted_lf) - 1, &o);
	check_quoted("LF");
	CHECK(!strcmp(var(0, "note"), "a, b"), "quoted comma");
	CHECK(!strcmp(var(1, "note"), "multi\nline\nnote"), "quoted newlines");
	CHECK(!strcmp(var(2, "note"), "say \"hi\""), "doubled quotes");
	CHECK(!strcmp(var(3, "note"), "\r\n"), "a quoted CRLF is kept");

	/* the same with CRLF everywhere, inside quotes too */
	for (i = 0; i < sizeof(quoted_lf) - 1; i++) {
		if (quoted_lf[i] == '\n' && (i == 0 || quoted_lf[i - 1] != '\r'))
			crlf[n++] = '\r';
		crlf[n++] = quoted_lf[i];
	}
	rd("a.csv", crlf, n, &o);
	check_quoted("CRLF");
	CHECK(!strcmp(var(1, "note"), "multi\r\nline\r\nnote"),
	      "CRLF: quoted newlines kept as written");
}

static void test_header(void)
{
	rds("\" Phone \",\"NAME\",\tTimeZone\t,LANGUAGE\n+12125550100,a,,en\n", NULL);
	CHECK(RC == 0 && A->n_columns == 4 && !strcmp(A->columns[0], "phone") &&
	      !strcmp(A->columns[1], "name") && !strcmp(A->columns[2], "timezone") &&
	      A->col_phone == 0 && A->col_tz == 2 && A->col_lang == 3,
	      "header trimmed and lower-cased");

	rds("tel,name\n+12125550100,a\n+12125550101,b\n", NULL);
	CHECK(RC == GD_EINVALID && A && A->n == 0, "no phone column: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, "phone", "no \"phone\" column");

	rds("name,phone,name\n", NULL);
	CHECK(RC == GD_EINVALID, "a duplicate column: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, "name", "appears twice");

	rds("phone,,x\n+12125550100,1,2\n", NULL);
	CHECK(RC == GD_EINVALID, "an empty column name: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, NULL, "column 2 has an empty name");

	{
		char big[2000];
		size_t n = (size_t)snprintf(big, sizeof(big), "phone");
		int i;
		for (i = 0; i < 300; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, ",c%d", i);
		snprintf(big + n, sizeof(big) - n, "\n");
		rds(big, NULL);
		CHECK(RC == GD_EINVALID, "301 columns: an error");
		EXPECT(&D, DIAG_ERROR, "a.csv", 1, NULL, "more than 256 fields");
	}
}

static void test_duplicates(void)
{
	rds("phone\n+12125550100\n001 212 555 0100\n+1.212.555.0101\n"
	    "+1 (212) 555-0100\n+12125550101\n", NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,4"),
	      "the first row of a number wins (got %s)", kept_lines());
	CHECK(!strcmp(problem_lines(), "3:duplicate,5:duplicate,6:duplicate"),
	      "later rows are duplicates with their lines (got %s)",
	      problem_lines());
	CHECK(A->n_problems == 3 && !strcmp(A->problems[0].phone, "+12125550100"),
	      "the problem keeps the normalised number");
	EXPECT(&D, DIAG_WARNING, "a.csv", 6, "phone", "+12125550101 is a duplicate");
}

static void test_bad_bytes(void)
{
	static const char nul[] = "phone,name\n+12125550100,A\0B\n+12125550101,ok\n";
	static const char nulh[] = "phone,na\0me\n+12125550100,a\n";

	rds("phone,name\n+12125550100,Jos\xe9\n+12125550101,ok\n", NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "3") &&
	      !strcmp(problem_lines(), "2:invalid"),
	      "invalid UTF-8 in a row: the row is skipped (got %s / %s)",
	      kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 2, NULL, "field 2 has invalid UTF-8 at byte 4");

	rds("phone,n\xe4me\n+12125550100,a\n", NULL);
	CHECK(RC == GD_EINVALID, "invalid UTF-8 in the header: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, NULL, "invalid UTF-8");

	rd("a.csv", nul, sizeof(nul) - 1, NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "3") &&
	      !strcmp(problem_lines(), "2:invalid"),
	      "a NUL byte in a row: the row is skipped (got %s / %s)",
	      kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 2, NULL, "a NUL byte at byte 2");

	rd("a.csv", nulh, sizeof(nulh) - 1, NULL);
	CHECK(RC == GD_EINVALID, "a NUL byte in the header: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, NULL, "NUL byte");
}

static void test_big_field(void)
{
	size_t n = 70000, len;
	char *csv = malloc(n + 200);

	len = (size_t)snprintf(csv, 200, "phone,note\n+12125550100,\"");
	memset(csv + len, 'a', n);
	len += n;
	len += (size_t)snprintf(csv + len, 200, "\"\n+12125550101,ok\n");
	rd("a.csv", csv, len, NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "3") &&
	      !strcmp(problem_lines(), "2:invalid"),
	      "a 70000-byte field: the row is skipped (got %s / %s)", kept_lines(),
	      problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 2, NULL,
	       "field 2 is 70000 bytes (at most 65536)");

	/* exactly at the cap is fine */
	len = (size_t)snprintf(csv, 200, "phone,note\n+12125550100,");
	memset(csv + len, 'b', AUDIENCE_FIELD_MAX);
	len += AUDIENCE_FIELD_MAX;
	csv[len++] = '\n';
	rd("a.csv", csv, len, NULL);
	CHECK(RC == 0 && A->n == 1 && D.n == 0, "a field of exactly 64 KiB is fine");

	/* in the header it is an error */
	memset(csv, 'h', n);
	memcpy(csv + n, ",phone\n", 7);
	rd("a.csv", csv, n + 7, NULL);
	CHECK(RC == GD_EINVALID, "a 70000-byte header field: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, NULL, "field 1 is 70000 bytes");
	free(csv);
}

static void test_ragged(void)
{
	rds("phone,name\n+12125550100,a,extra\n+12125550101\n+12125550102,ok\n", NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "4") &&
	      !strcmp(problem_lines(), "2:invalid,3:invalid"),
	      "ragged rows are skipped (got %s / %s)", kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 2, NULL, "row has 3 fields, the header has 2");
	EXPECT(&D, DIAG_WARNING, "a.csv", 3, NULL, "row has 1 fields, the header has 2");
}

static void test_malformed(void)
{
	rd("a.csv", "", 0, NULL);
	CHECK(RC == GD_EINVALID && A, "an empty file: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 0, NULL, "file is empty");

	rds("phone,name\n", NULL);
	CHECK(RC == 0 && A->n == 0 && A->rows == 0 && D.n == 0,
	      "a header without rows reads as empty");

	rds("\n\n\r\n", NULL);
	CHECK(RC == GD_EINVALID, "only blank lines: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 0, NULL, "no header row");

	rds("phone,name\n+12125550100,ok\n+12125550101,\"unterminated\n", NULL);
	CHECK(RC == GD_EINVALID, "an unterminated quote: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 3, NULL, "malformed CSV at the end");

	rds("phone,name\n+12125550100,ok\n+12125550101,O\"Brien\n", NULL);
	CHECK(RC == GD_EINVALID, "a stray quote: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 3, NULL, "malformed CSV");

	rds("phone,name\n+12125550100,\"ok\"x\n", NULL);
	CHECK(RC == GD_EINVALID, "text after a closing quote: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 2, NULL, "malformed CSV");
}

static void test_placeholders(void)
{
	static const char cj[] =
		"{\"name\": \"x\", \"account\": \"a\", \"audience\": {\"csv\": \"a.csv\"},"
		" \"script\": {\"mode\": \"override\", \"text\": "
		"\"Hi {{Customer_Name}}, you owe {{amount}}.\"}}";
	struct campaign *c = NULL;
	struct diags cd = { 0 };
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };

	if (campaign_load(&c, "x", "campaign.json", cj, strlen(cj), NULL, &cd)) {
		dump(&cd);
		CHECK(0, "the placeholder campaign loads");
		diags_release(&cd);
		return;
	}
	o.campaign = c;
	rds("phone,customer_name\n+12125550100,Ann\n", &o);
	CHECK(RC == GD_EINVALID, "a placeholder without a column: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv", 1, "amount",
	       "the script uses {{amount}} but the audience has no such column");

	rds("phone,Customer_Name,amount\n+12125550100,Ann,$5\n+12125550101,,$6\n"
	    "+12125550102,\"  \",$7\n+12125550103,Dee,\n+12125550104,Eve,$9\n", &o);
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,6") &&
	      !strcmp(problem_lines(), "3:invalid,4:invalid,5:invalid"),
	      "empty placeholder values are row problems (got %s / %s)",
	      kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 3, "customer_name",
	       "empty value for {{customer_name}}");
	EXPECT(&D, DIAG_WARNING, "a.csv", 4, "customer_name", "empty value");
	EXPECT(&D, DIAG_WARNING, "a.csv", 5, "amount", "empty value for {{amount}}");

	/* a value with trailing blanks must not shift the later columns */
	rds("phone,customer_name,amount\n+12125550100,\"Ann  \",$5\n", &o);
	CHECK(RC == 0 && A->n == 1, "a padded placeholder value is kept");
	CHECK(!strcmp(var(0, "amount"), "$5"),
	      "the column after a padded value reads \"$5\" (got \"%s\")",
	      var(0, "amount"));
	/* values are read from the text again: a column the row checks
	 * read loses its trailing blanks (as they saw it), any other keeps
	 * them, and leading blanks stay (libcsv itself trims unquoted
	 * values) */
	rds("phone,customer_name,amount,note\n"
	    "+12125550100,\" Ann  \",$5 ,\" x \"\n", &o);
	CHECK(RC == 0 && !strcmp(var(0, "customer_name"), " Ann") &&
	      !strcmp(var(0, "amount"), "$5") && !strcmp(var(0, "note"), " x "),
	      "trailing blanks cut in placeholder columns only (got \"%s\" "
	      "\"%s\" \"%s\")", var(0, "customer_name"), var(0, "amount"),
	      var(0, "note"));
	{
		/* the same through the cache file, values and all */
		char path[] = "/tmp/gitdial-test-aud-XXXXXX";
		struct audience *back = NULL;
		int fd = mkstemp(path);
		if (fd >= 0)
			close(fd);
		CHECK(fd >= 0 && !audience_save(A, path, "k") &&
		      (bio_wait(), !audience_load(&back, path, "k", NULL)) &&
		      back->n == 1 &&
		      !strcmp(audience_var(back, &back->r[0], 1), " Ann") &&
		      !strcmp(audience_var(back, &back->r[0], 3), " x "),
		      "a saved audience reads the same values back");
		audience_free(back);
		unlink(path);
	}

	/* require_consent */
	{
		static const char cc[] =
			"{\"name\": \"x\", \"account\": \"a\", \"audience\": "
			"{\"csv\": \"a.csv\"}, \"require_consent\": true}";
		struct campaign *c2 = NULL;
		if (!campaign_load(&c2, "x", "campaign.json", cc, strlen(cc), NULL, &cd)) {
			struct audience_opts o2 = { c2, NULL, 0, NULL, NULL };
			rds("phone,consent\n+12125550100,yes\n+12125550101,\n", &o2);
			CHECK(RC == 0 && !strcmp(kept_lines(), "2") &&
			      A->n_no_consent == 1 &&
			      !strcmp(problem_lines(), "3:no_consent"),
			      "require_consent: an empty consent is not dialed (%s)",
			      problem_lines());
			rds("phone\n+12125550100\n", &o2);
			CHECK(RC == 0 && A->n == 0 && A->n_no_consent == 1,
			      "require_consent without the column dials nobody");
			EXPECT(&D, DIAG_WARNING, "a.csv", 1, "consent",
			       "no consent column");
		}
		campaign_free(c2);
	}
	campaign_free(c);
	diags_release(&cd);
}

static void test_timezone_language(const struct rules *rules)
{
	struct audience_opts o = { NULL, NULL, 0, NULL, NULL };

	rds("phone,timezone,language\n+12125550100,America/New_York,en\n"
	    "+12125550101,Mars/Base,ar\n+12125550102,../../etc/passwd,ar\n"
	    "+12125550103,,ar\n+12125550104,Asia/Riyadh,\n", &o);
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,5,6") &&
	      !strcmp(problem_lines(), "3:invalid,4:invalid"),
	      "unknown zones are row problems (got %s / %s)", kept_lines(),
	      problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 3, "timezone", "\"Mars/Base\" is not a time zone");
	EXPECT(&D, DIAG_WARNING, "a.csv", 4, "timezone", "is not a time zone");
	CHECK(A->n == 3 && !strcmp(A->langs[A->r[0].lang], "en") &&
	      !strcmp(A->langs[A->r[1].lang], "ar") && A->r[2].lang == 0 &&
	      A->langs[0][0] == '\0', "languages are indexed, none is 0");

	/* with rules, every kept row has a place */
	o.rules = rules;
	/* +800 (international freephone) exists but has no time zone */
	rds("phone,timezone\n+12125550100,\n+966500000100,\n+80012345678,\n"
	    "+80012345679,Europe/Paris\n+12125550101,\n", &o);
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,3,5,6") &&
	      !strcmp(problem_lines(), "4:invalid"),
	      "a number with no known zone is a row problem (got %s / %s)",
	      kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 4, "phone", "no time zone is known for +80012345678");
	CHECK(A->n_places == 3 && A->r[0].place == A->r[3].place &&
	      A->r[0].place != A->r[1].place,
	      "places are shared by equal numbers (%zu places)", A->n_places);
	CHECK(A->n == 4 && A->places[A->r[2].place].source == ZSRC_COLUMN &&
	      !strcmp(A->places[A->r[2].place].zones[0], "Europe/Paris"),
	      "the timezone column gives the place");
}

/*
 * Numbers that cannot exist (libphonenumber's metadata): a length no
 * number of the country has, or a country code nobody uses, is a row
 * problem like any other bad number; the example numbers pass.
 */
static void test_cannot_exist(void)
{
	rds("phone\n+12015550123\n+1201555012\n+447400123456\n+336123456\n"
	    "+33612345678\n+99912345678\n+966500000100\n", NULL);
	CHECK(RC == 0 && !strcmp(kept_lines(), "2,4,6,8") &&
	      !strcmp(problem_lines(), "3:invalid,5:invalid,7:invalid"),
	      "cut numbers and an unused code are row problems (got %s / %s)",
	      kept_lines(), problem_lines());
	EXPECT(&D, DIAG_WARNING, "a.csv", 3, "phone",
	       "+1201555012 cannot exist: +1 numbers have 7, 10 or 11 digits "
	       "after the country code, not 9");
	EXPECT(&D, DIAG_WARNING, "a.csv", 5, "phone", "+336123456 cannot exist");
	EXPECT(&D, DIAG_WARNING, "a.csv", 7, "phone",
	       "a country code no country or service uses");
}

static void test_warnings_are_utf8(void)
{
	char csv[256];
	size_t i, n;

	/* a phone typed in Arabic-Indic digits, odd byte count before the cut */
	n = (size_t)snprintf(csv, sizeof(csv), "phone\n+");
	for (i = 0; i < 25; i++) {
		memcpy(csv + n, "\xd9\xa1", 2);
		n += 2;
	}
	csv[n++] = '\n';
	rd("a.csv", csv, n, NULL);
	CHECK(RC == 0 && A->n_invalid == 1 && D.n == 1, "an Arabic-digit phone is a row problem");
	CHECK(D.n && utf8_check(D.v[0].msg, strlen(D.v[0].msg)) == 0,
	      "the warning text is valid UTF-8 (an excerpt never cuts a character)");
}

static void test_file_names(void)
{
	CHECK(audience_file_supported("audience.csv"), "supported .csv");
	CHECK(audience_file_supported("a.csv.gz") && audience_file_supported("a.csv.xz") &&
	      audience_file_supported("a.csv.zst") && audience_file_supported("a.zip"),
	      "supported .csv.gz .csv.xz .csv.zst .zip");
	CHECK(!audience_file_supported("a.txt") && !audience_file_supported(".csv") &&
	      !audience_file_supported("a.csv.bz2") && !audience_file_supported("a.gz") &&
	      !audience_file_supported(""), "unsupported names");
}

static int released;

static void count_release(void *token)
{
	released += token == &released;
}

static void test_lent_text(void)
{
	static const char csv[] = "phone,name\n+12125550100,\"Ann, A.\"\n"
				  "bad,x\n+12125550101,Bob\n";
	struct audience_opts o = { NULL, NULL, 1, count_release, &released };
	char *copy = strdup(csv);

	/* lent: no copy, the values come from the caller's bytes, and the
	 * release comes once, with the audience */
	released = 0;
	rds(copy, &o);
	CHECK(RC == 0 && A->n == 2 && A->text == copy && released == 0,
	      "a lent text is referred to, not copied");
	CHECK(!strcmp(var(0, "name"), "Ann, A.") && !strcmp(var(1, "name"), "Bob") &&
	      !strcmp(var(0, "name"), "Ann, A."), "values from the lent text");
	audience_free(A);
	A = NULL;
	CHECK(released == 1, "released once with the audience (%d)", released);
	/* an unusable file releases it too */
	rds("name\nAnn\n", &o);
	audience_free(A);
	A = NULL;
	CHECK(released == 2, "released once when the file is unusable (%d)", released);
	/* not lent: a copy, so the caller's bytes may go */
	o.text_release = NULL;
	rds(copy, &o);
	memset(copy, 'x', strlen(copy));
	CHECK(RC == 0 && A->text != copy && !strcmp(var(1, "name"), "Bob"),
	      "without text_release the text is copied");
	free(copy);
}

static void test_compressed(void)
{
	static const char *const kinds[] = { "gz", "xz", "zst", "zip" };
	static const char *const names[] = {
		"a.csv.gz", "a.csv.xz", "a.csv.zst", "a.zip"
	};
	struct audience_opts o = { NULL, NULL, 1, NULL, NULL };
	struct blob b;
	size_t k;

	for (k = 0; k < 4; k++) {
		if (pack(&b, kinds[k], "audience.csv", quoted_lf,
			 sizeof(quoted_lf) - 1, NULL)) {
			CHECK(0, "libarchive writes %s", kinds[k]);
			continue;
		}
		rd(names[k], b.p, b.len, &o);
		CHECK(RC == 0 && !strcmp(kept_lines(), "2,3,6,12,14") &&
		      !strcmp(problem_lines(), "7:invalid,9:duplicate,10:invalid"),
		      "%s: same records and lines as plain (got %s / %s)",
		      names[k], kept_lines(), problem_lines());
		EXPECT(&D, DIAG_WARNING, names[k], 9, "phone", "duplicate");
		CHECK(!strcmp(var(1, "note"), "multi\nline\nnote"),
		      "%s: quoted newlines survive", names[k]);
		free(b.p);
	}

	/* zip: the first .csv member, whatever comes first */
	if (!pack(&b, "zip", "export/DATA.CSV", "phone\n+12125550100\n", 20,
		  "not a csv\n")) {
		rd("a.zip", b.p, b.len, NULL);
		CHECK(RC == 0 && A->n == 1, "zip: the .csv member after another file");
		free(b.p);
	}
	if (!pack(&b, "zip", NULL, "", 0, "just a readme\n")) {
		rd("a.zip", b.p, b.len, NULL);
		CHECK(RC == GD_EINVALID, "zip without a .csv member: an error");
		EXPECT(&D, DIAG_ERROR, "a.zip", 0, NULL, "no .csv member");
		free(b.p);
	}

	/* the name promises compression; plain text is an error */
	rds("phone\n+12125550100\n", NULL);
	rd("a.csv.gz", "phone\n+12125550100\n", 20, NULL);
	CHECK(RC == GD_EINVALID, "plain text named .csv.gz: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv.gz", 0, NULL, "not compressed data");
	rd("a.zip", "PK\3\4garbage garbage garbage", 27, NULL);
	CHECK(RC == GD_EINVALID, "a broken zip: an error");
	rd("a.csv.xz", "\xfd" "7zXZ\0\0garbage", 13, NULL);
	CHECK(RC == GD_EINVALID, "a broken xz: an error");
}

/*
 * A CSV over several 64 KiB chunks, with quoted newlines across them; the
 * lines of the kept rows and of the invalid ones go to want_kept and
 * want_bad (when not NULL), worked out independently of the reader.
 */
static char *big_csv(size_t *len, size_t rows, char *want_kept, char *want_bad,
		     size_t want_size)
{
	size_t cap = rows * 64 + 64, n = 0, i, kn = 0, bn = 0;
	unsigned long line = 2;
	char *s = malloc(cap);

	if (want_kept)
		want_kept[0] = want_bad[0] = '\0';
	n += (size_t)snprintf(s + n, cap - n, "phone,note\n");
	for (i = 0; i < rows; i++) {
		int bad = 0, lines = 1;
		if (i % 7 == 3) {
			n += (size_t)snprintf(s + n, cap - n,
					      "+12125%06zu,\"two\nlines, %zu\"\n", i, i);
			lines = 2;
		} else if (i % 11 == 5) {
			n += (size_t)snprintf(s + n, cap - n, "not-a-phone-%zu,x\n", i);
			bad = 1;
		} else {
			n += (size_t)snprintf(s + n, cap - n, "+12125%06zu,row %zu\n", i, i);
		}
		if (want_kept && bad && bn < want_size - 32)
			bn += (size_t)snprintf(want_bad + bn, want_size - bn, "%s%lu:invalid",
					       bn ? "," : "", line);
		else if (want_kept && !bad && kn < want_size - 32)
			kn += (size_t)snprintf(want_kept + kn, want_size - kn, "%s%lu",
					       kn ? "," : "", line);
		line += (unsigned long)lines;
	}
	*len = n;
	return s;
}

static void test_chunks(void)
{
	static char want_kept[1 << 17], want_bad[1 << 17];
	size_t len, k;
	char *csv = big_csv(&len, 9000, want_kept, want_bad, sizeof(want_kept));
	static const char *const kinds[] = { "gz", "zip", "xz" };
	static const char *const names[] = { "big.csv.gz", "big.zip", "big.csv.xz" };
	struct blob b;

	rd("big.csv", csv, len, NULL);
	CHECK(RC == 0 && len > 3 * 65536 && A->rows == 9000,
	      "big plain CSV reads (%zu bytes, %zu kept, %zu invalid)", len, A->n,
	      A->n_invalid);
	CHECK(!strcmp(kept_lines(), want_kept), "big plain CSV: every kept line right");
	CHECK(!strcmp(problem_lines(), want_bad),
	      "big plain CSV: every problem line right");
	for (k = 0; k < 3; k++) {
		if (pack(&b, kinds[k], "big.csv", csv, len, NULL))
			continue;
		rd(names[k], b.p, b.len, NULL);
		CHECK(RC == 0 && !strcmp(kept_lines(), want_kept) &&
		      !strcmp(problem_lines(), want_bad),
		      "%s: the same lines as plain across chunk edges", names[k]);
		free(b.p);
	}
	free(csv);
}

/*
 * libcsv ends a record at a bare CR as well as at LF: every record gets
 * its own values at dial time, whatever ends its lines (issue: a stray CR
 * gave Bob Alice's values; a CR-only file gave everyone the header).
 */
static void test_line_ends(void)
{
	static const char stray[] = "phone,name,amount\n"
				    "+12125550100,Alice,100\r"
				    "+12125550101,Bob,5\n";
	static const char mac[] = "phone,name\r+12125550100,Ann\r+12125550101,Bob\r";
	static const char mixed[] = "phone,note\r\n"           /* 1 */
				    "+12125550100,\"a\rb\"\r"  /* 2-3 */
				    "+12125550101,x\n"           /* 4 */
				    "\r\n\r"                     /* 5-6 */
				    "+12125550102,\"y\r\nz\"\r\n" /* 7-8 */
				    "+12125550103,last";          /* 9 */
	size_t len, i, k;
	char want_kept[1 << 16], want_bad[1 << 16];
	char *csv = big_csv(&len, 5000, want_kept, want_bad, sizeof(want_kept));
	char *crlf = malloc(len * 2), *cr = malloc(len);
	size_t ncrlf = 0;
	struct blob b;

	rd_traced("a.csv", stray, sizeof(stray) - 1);
	CHECK(RC == 0 && A->n == 2 && !strcmp(var(1, "name"), "Bob") &&
	      !strcmp(var(1, "amount"), "5") && !strcmp(var(0, "name"), "Alice"),
	      "a stray CR: Bob's row has Bob's values");
	CHECK(!strcmp(kept_lines(), "2,3"), "a stray CR ends a line (got %s)",
	      kept_lines());
	CHECK(differences() == 0, "a stray CR: dial-time values are load-time values");

	rd_traced("a.csv", mac, sizeof(mac) - 1);
	CHECK(RC == 0 && A->n == 2 && A->n_columns == 2 &&
	      !strcmp(var(0, "name"), "Ann") && !strcmp(var(1, "name"), "Bob") &&
	      !strcmp(kept_lines(), "2,3"),
	      "a CR-only file: own values, lines 2,3 (lines %s)", kept_lines());
	CHECK(differences() == 0, "a CR-only file: dial-time values are load-time values");

	rd_traced("a.csv", mixed, sizeof(mixed) - 1);
	CHECK(RC == 0 && A->n == 4 && !strcmp(kept_lines(), "2,4,7,9"),
	      "CR LF, CR, LF and quoted line ends: lines 2,4,7,9 (got %s)",
	      kept_lines());
	CHECK(!strcmp(var(0, "note"), "a\rb") && !strcmp(var(1, "note"), "x") &&
	      !strcmp(var(2, "note"), "y\r\nz") && !strcmp(var(3, "note"), "last"),
	      "quoted CR and CR LF are values; each row its own");
	CHECK(differences() == 0, "mixed line ends: dial-time values are load-time values");

	/* thousands of rows with CR or CR LF line ends, plain and across the
	 * chunks of a compressed file (a CR LF may be split between two) */
	for (i = 0; i < len; i++) {
		cr[i] = csv[i] == '\n' ? '\r' : csv[i];
		if (csv[i] == '\n')
			crlf[ncrlf++] = '\r';
		crlf[ncrlf++] = csv[i];
	}
	for (k = 0; k < 2; k++) {
		const char *text = k ? crlf : cr, *what = k ? "CR LF" : "CR";
		size_t tlen = k ? ncrlf : len;
		rd_traced("big.csv", text, tlen);
		CHECK(RC == 0 && !strcmp(kept_lines(), want_kept) &&
		      !strcmp(problem_lines(), want_bad),
		      "%s line ends: every kept and problem line right", what);
		CHECK(differences() == 0 && N_seen == A->n,
		      "%s line ends: every row's values at dial time as at load", what);
		if (pack(&b, "gz", "big.csv", text, tlen, NULL))
			continue;
		rd_traced("big.csv.gz", b.p, b.len);
		CHECK(RC == 0 && !strcmp(kept_lines(), want_kept) &&
		      !strcmp(problem_lines(), want_bad) && differences() == 0,
		      "%s line ends in a .csv.gz: the same lines and values", what);
		free(b.p);
	}
	seen_free();
	free(cr);
	free(crlf);
	free(csv);
}

/*
 * Decompression bombs: reading stops at the ratio cap (past the first
 * AUDIENCE_RATIO_FREE bytes) with an error naming the file, whatever
 * the compression; a sane ratio passes.
 */
static void test_bomb(void)
{
	static const char *const kinds[] = { "gz", "xz", "zst" };
	static const char *const names[] = { "b.csv.gz", "b.csv.xz", "b.csv.zst" };
	size_t len = (size_t)AUDIENCE_RATIO_FREE + (4u << 20), k;
	char *csv = malloc(len);
	struct blob b;

	/* a header, then spaces: libcsv skips them cheaply, the ratio is huge */
	memset(csv, ' ', len);
	memcpy(csv, "phone\n", 6);
	for (k = 0; k < 3; k++) {
		if (pack(&b, kinds[k], "b.csv", csv, len, NULL))
			continue;
		rd(names[k], b.p, b.len, NULL);
		CHECK(RC == GD_EINVALID && b.len * AUDIENCE_RATIO_MAX < len,
		      "%s: %zu bytes inflating to %zu is refused (rc %d)", names[k],
		      b.len, len, RC);
		EXPECT(&D, DIAG_ERROR, names[k], 0, NULL, "decompresses to more than");
		free(b.p);
	}
	free(csv);
}

static void test_corrupt_gzip(void)
{
	size_t len;
	char *csv = big_csv(&len, 6000, NULL, NULL, 0);
	struct blob b;

	if (pack(&b, "gz", "big.csv", csv, len, NULL)) {
		free(csv);
		return;
	}
	/* truncated: half the stream, and just the header */
	rd("a.csv.gz", b.p, b.len / 2, NULL);
	CHECK(RC == GD_EINVALID, "a gzip cut in half: an error");
	EXPECT(&D, DIAG_ERROR, "a.csv.gz", ANY_LINE, NULL, "truncated");
	rd("a.csv.gz", b.p, 12, NULL);
	CHECK(RC == GD_EINVALID, "a gzip of 12 bytes: an error");
	rd("a.csv.gz", b.p, 2, NULL);
	CHECK(RC == GD_EINVALID, "the gzip magic alone: an error");
	rd("a.csv.gz", b.p, b.len - 4, NULL);
	CHECK(RC == GD_EINVALID, "a gzip without its length trailer: an error");

	/* corrupt: a reserved deflate block type right after the header */
	{
		char *c = malloc(b.len);
		memcpy(c, b.p, b.len);
		c[10] = 0x07;
		rd("a.csv.gz", c, b.len, NULL);
		CHECK(RC == GD_EINVALID, "a corrupt deflate stream: an error");
		EXPECT(&D, DIAG_ERROR, "a.csv.gz", ANY_LINE, NULL, "compressed");
		/* bad CRC-32 in the trailer: the data decodes, the check fails */
		memcpy(c, b.p, b.len);
		c[b.len - 8] ^= 0x55;
		rd("a.csv.gz", c, b.len, NULL);
		CHECK(RC == GD_EINVALID, "a gzip with a wrong CRC-32 is an error (rc %d)",
		      RC);
		EXPECT(&D, DIAG_ERROR, "a.csv.gz", ANY_LINE, NULL, "checksum");
		/* a wrong length (ISIZE) in the trailer too */
		memcpy(c, b.p, b.len);
		c[b.len - 2] ^= 0x01;
		rd("a.csv.gz", c, b.len, NULL);
		CHECK(RC == GD_EINVALID, "a gzip with a wrong length is an error (rc %d)",
		      RC);
		/* flipped bits in the middle: must never crash; ideally an error */
		memcpy(c, b.p, b.len);
		c[b.len / 2] ^= 0xff;
		rd("a.csv.gz", c, b.len, NULL);
		CHECK(A != NULL, "a gzip with flipped bits does not crash (rc %d)", RC);
		free(c);
	}
	free(b.p);
	free(csv);
}

int main(void)
{
	struct rules *rules = NULL;

	if (rules_load(&rules)) {
		printf("Bail out! rules_load: %s\n", gd_error_last());
		return 1;
	}
	test_basic();
	test_bom_crlf();
	test_quoted();
	test_header();
	test_duplicates();
	test_bad_bytes();
	test_big_field();
	test_ragged();
	test_malformed();
	test_placeholders();
	test_timezone_language(rules);
	test_cannot_exist();
	test_warnings_are_utf8();
	test_file_names();
	test_lent_text();
	test_compressed();
	test_chunks();
	test_line_ends();
	test_bomb();
	test_corrupt_gzip();
	audience_free(A);
	diags_release(&D);
	rules_free(rules);
	return finish();
}
