/*
 * Audience CSVs (SPEC §3): RFC 4180 through libcsv, compressed ones
 * through libarchive, streamed. Every problem carries the physical line
 * where its record starts (header = line 1), so annotations land right
 * even when quoted fields hold newlines.
 *
 * Row problems (bad phone, duplicate, unknown zone, empty placeholder
 * value, missing consent) are warnings and the row is left out; problems
 * with the file itself (unreadable, corrupt, no phone column, a
 * placeholder without a column) are errors.
 */
#ifndef GD_AUDIENCE_H
#define GD_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "diag.h"
#include "phone.h"
#include "rules.h"

#define AUDIENCE_FIELD_MAX 65536  /* bytes in one field */
/*
 * A compressed audience (decompression bombs): at most this many bytes
 * once decompressed, and past the first AUDIENCE_RATIO_FREE bytes at
 * most AUDIENCE_RATIO_MAX times its compressed size; a zip at most
 * AUDIENCE_ZIP_MEMBERS_MAX members before its .csv. Past a cap reading
 * stops with an error naming the file, so the work per input is bounded.
 * docs/inputs.md lists them.
 */
#define AUDIENCE_INFLATED_MAX (512ull << 20)
#define AUDIENCE_RATIO_FREE (16ull << 20)
#define AUDIENCE_RATIO_MAX 200
#define AUDIENCE_ZIP_MEMBERS_MAX 1000
#define AUDIENCE_COLUMNS_MAX 256

/* Why a row is not dialed; the names are the `skipped` reasons. */
enum row_skip { SKIP_INVALID = 1, SKIP_DUPLICATE, SKIP_NO_CONSENT };
extern const char *const row_skip_names[];

struct recipient {
	uint64_t key;   /* phone digits as a number (phone_key) */
	uint32_t line;  /* physical line where the row starts */
	uint32_t place; /* index into audience.places (when rules given) */
	uint32_t vars;  /* offset into audience.vars, UINT32_MAX if none */
	uint8_t lang;   /* index into audience.langs */
	uint8_t flags;  /* while reading only: RCP_* */
};

#define RCP_DUPLICATE 1
#define RCP_NO_CONSENT 2

struct row_problem {
	uint32_t line;
	uint8_t why;          /* enum row_skip */
	char phone[PHONE_MAX]; /* normalised, or empty when it was invalid */
};

struct audience_opts {
	const struct campaign *campaign; /* placeholders and consent, or NULL */
	const struct rules *rules;       /* resolve places, or NULL */
	int keep_vars;                   /* keep the other columns per row */
	/*
	 * With keep_vars, the audience keeps the file's text to read a row's
	 * values from again (audience_var). A plain .csv is copied, unless
	 * text_release is set: then the audience refers to the caller's data
	 * and calls text_release(text_token) when it is freed (or before
	 * audience_read returns, when there is no audience).
	 */
	void (*text_release)(void *token);
	void *text_token;
};

struct row_values; /* audience.c: audience_var's cache */

struct audience {
	char *columns[AUDIENCE_COLUMNS_MAX]; /* trimmed, lower case */
	int n_columns;
	int col_phone, col_tz, col_lang, col_consent; /* -1 when absent */
	struct recipient *r;
	size_t n, alloc;
	struct place *places;
	size_t n_places;
	/*
	 * The file's text (decompressed) when rows were kept with keep_vars;
	 * a kept row's r->vars is the offset where its record starts, and
	 * audience_var parses it again. Values in trim_cols (the columns the
	 * row checks read: time zone, language, consent, placeholders) lose
	 * their trailing blanks, as the checks saw them.
	 */
	const char *text;
	size_t text_len;
	char *text_own; /* text, when the audience allocated it */
	size_t text_alloc;
	void (*text_release)(void *token); /* text, when the caller lent it */
	void *text_token;
	uint8_t trim_cols[AUDIENCE_COLUMNS_MAX / 8];
	struct row_values *row_values; /* audience_var's last row */
	int saving; /* audience_save lent the arrays to a write (bio_wait) */
	char langs[32][8];
	int n_langs;
	size_t rows; /* data rows read */
	size_t n_invalid, n_duplicate, n_no_consent;
	struct row_problem *problems;
	size_t n_problems, problems_alloc;
	void *priv;
	void *map; /* the cache file r, text and problems live in, or NULL */
	/* phone key → index in r (open addressing), once audience_index ran */
	uint64_t *idx_key;
	uint32_t *idx_pos;
	size_t idx_cap; /* a power of two; 0 when not built */
};

/*
 * Reads an audience from data (len bytes, the file's raw contents; file
 * names it, and its ending picks the decompression: .csv, .csv.gz,
 * .csv.xz, .csv.zst, .zip). Returns 0 when the file is usable (row
 * problems are only warnings in d), GD_EINVALID when it is not.
 * *out is the caller's (audience_free), also on GD_EINVALID when non-NULL.
 */
int audience_read(struct audience **out, const char *file, const char *data,
		  size_t len, const struct audience_opts *opts, struct diags *d);
void audience_free(struct audience *a);
/*
 * For tests that compare what a row read at load with what audience_var
 * reads again at dial time: fn (NULL to stop) is called for every row
 * kept with keep_vars, with the line the row starts on and its n values
 * as the row checks saw them. Process-wide; not for production use.
 */
typedef void audience_row_fn(void *ctx, uint32_t line, char *const *vals,
			     int n);
void audience_trace_rows(audience_row_fn *fn, void *ctx);
/* Writes "+digits" for a recipient. */
void audience_phone(char out[PHONE_MAX], const struct recipient *r);
/*
 * The value of column col for a row kept with keep_vars, or "". Valid
 * until the next call for another row; not for two threads at once.
 */
const char *audience_var(const struct audience *a, const struct recipient *r,
			 int col);
/*
 * The length in bytes of the record that starts at byte off of a's text
 * (a kept row's r->vars; 0 for the header row), its line ending
 * included, as libcsv ends it: so a row can be copied verbatim. 0 when
 * a kept no text or off is not inside it.
 */
size_t audience_record_len(const struct audience *a, size_t off);
/*
 * Builds the phone index (idx_*) once; audience_save keeps it in the
 * cache, so a tick that loads the cache need not build it again.
 */
int audience_index(struct audience *a);
/* Slot of key in an index of capacity cap (a power of two). */
size_t audience_slot(uint64_t key, size_t cap);
/* Asks the CPU to fetch key's slot of the index, for a find soon after. */
void audience_prefetch(const struct audience *a, uint64_t key);
/* Looks a recipient up by phone key; NULL when not in the audience. */
const struct recipient *audience_find(const struct audience *a, uint64_t key);
/*
 * A parsed audience saved to and read back from a file (the tick's
 * derived cache; see cache.h). key must name everything the parse
 * depended on. audience_load returns GD_ENOTFOUND when the file is
 * missing, stale or damaged; zone names are re-interned through rules.
 * audience_save writes on a thread (bio_write_lent): the audience
 * must not change after it, and audience_free waits for the write.
 */
int audience_save(struct audience *a, const char *path, const char *key);
int audience_load(struct audience **out, const char *path, const char *key,
		  const struct rules *rules);

/* True when name is an audience file name we can read. */
int audience_file_supported(const char *name);

#endif
