/*
 * Writing CSV that people open in spreadsheets (export's outcomes.csv):
 * fields quoted by libcsv (RFC 4180), and values a spreadsheet would run
 * as a formula neutralised (OWASP "CSV injection").
 */
#ifndef GD_CSVOUT_H
#define GD_CSVOUT_H

#include "buf.h"

/*
 * Appends v to b as one quoted CSV field, without a separator. A value
 * starting with = + - @, a tab or a carriage return gets a leading '
 * first, which spreadsheets take as "this cell is text" and do not show
 * (so "+14155550100" is written '+14155550100 and shown +14155550100).
 * Returns 0, or an error (b's cap, memory).
 */
int csvout_field(struct buf *b, const char *v);
/* True when a spreadsheet could run v as a formula. */
int csvout_risky(const char *v);

#endif
