/*
 * Problems found in the repository's files, for validate, plan and tick.
 * Each names the file, the physical line where the record starts (0 when
 * the whole file is meant), the field (JSON path or CSV column) and what
 * was expected. At most DIAG_KEEP are kept; the rest are only counted.
 */
#ifndef GD_DIAG_H
#define GD_DIAG_H

#include <stddef.h>

#define DIAG_KEEP 10000

/*
 * A notice is neither a problem nor a pass/fail matter: a change that
 * needs an owner's approval (validate --base), shown apart.
 */
enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTICE };

struct diag {
	enum diag_level level;
	char *file;
	unsigned long line;
	char *field; /* may be NULL */
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, alloc;
	size_t errors, warnings; /* all of them, kept or not */
	size_t notices;
};

void diags_add(struct diags *d, enum diag_level level, const char *file,
	       unsigned long line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Orders the kept problems by file, then line (stable). */
void diags_sort(struct diags *d);
void diags_release(struct diags *d);

#endif
