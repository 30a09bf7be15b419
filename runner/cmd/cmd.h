/* The subcommands (one file each, registered in main.c) and what they share. */
#ifndef GD_CMD_H
#define GD_CMD_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "diag.h"

int cmd_init(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_tick(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_archive(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_duplicate(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_dnc(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_audit(int argc, char **argv);

enum out_format { FMT_TEXT, FMT_JSON, FMT_GITHUB, FMT_TABLE };

/* Parses --format's value; -1 when it is not one of allowed ("text,json"). */
int format_parse(const char *s, const char *allowed);
/* Prints problems as text ("file:line: field: message") or GitHub annotations. */
void diags_print(FILE *f, const struct diags *d, enum out_format fmt);
/* Prints {"errors":[...],"warnings":[...]} */
void diags_print_json(FILE *f, const struct diags *d);
/* Usage error: prints "gitdial CMD: msg" and the usage line, returns 2. */
int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * For a command that writes: --now was given. Returns 0 when the test
 * setting GITDIAL_TEST_ALLOW_NOW=1 allows it, else prints why it is
 * refused (as usage_error) and returns 2.
 */
int now_refused(const char *cmd, const char *usage);
/* Prints cmd's help (every option explained); -1 when it has none. */
int help_print(const char *cmd);
/* Flushes stdout; 1 when writing failed (git's check at exit). */
int finish_stdout(int rc);
/* Prints o as one line of JSON on stdout and frees it. */
void json_emit(cJSON *o);
/* The directory the gitdial binary lives in (for finding gitdial-<provider>). */
const char *self_dir(void);

#endif
