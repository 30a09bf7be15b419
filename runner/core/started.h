/*
 * A started campaign's audience held to its own log (for validate): the
 * tick keys each recipient's state by number and each skipped row by
 * line, so a row the log names that is gone, or moved to another line,
 * would drop out of the counts or be skipped twice. Rows may be added
 * at the end; the rows the log names stay where they are.
 */
#ifndef GD_STARTED_H
#define GD_STARTED_H

#include "diag.h"
#include "repo.h"
#include "src.h"

/*
 * For every campaign of r with a readable audience and a log in s: an
 * error in d, naming the audience file and line, for each number the
 * log dialed or skipped that the audience no longer has at the line the
 * log recorded (the first STARTED_REPORT_MAX of a campaign, then a
 * count). Returns 0, or an error when a log cannot be read.
 */
#define STARTED_REPORT_MAX 5
int started_check(struct src *s, struct repo *r, struct diags *d);

#endif
