/*
 * The do-not-call list: dnc/ *.jsonl, append-only, global to the
 * repository. The latest entry for a number wins (files in lexical order,
 * lines in order); nothing is ever edited in place.
 */
#ifndef GD_DNC_H
#define GD_DNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "err.h"
#include "src.h"

struct dnc {
	uint64_t *keys; /* blocked numbers (phone_key), sorted */
	size_t n;
	size_t entries; /* lines read */
};

/* Loads every .jsonl file under dnc/ of s; bad lines are reported to d (when given) and skipped. */
int dnc_load(struct dnc **out, struct src *s, struct diags *d);
int dnc_contains(const struct dnc *l, uint64_t key);
/* Blocks a number in the loaded list (an opt-out not yet committed). */
int dnc_block(struct dnc *l, uint64_t key);
void dnc_free(struct dnc *l);
/* Checks the DNC files only (for validate). */
void dnc_validate(struct src *s, struct diags *d);
/* Appends one entry line (with its newline) to out. */
GD_MUST_CHECK
int dnc_entry(struct buf *out, time_t ts, const char *phone, int add,
	      const char *reason, const char *source);

#endif
