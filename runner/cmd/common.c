#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "term.h"
#include "banned.h"

int format_parse(const char *s, const char *allowed)
{
	static const char *const names[] = { "text", "json", "github", "table" };
	size_t n = strlen(s);
	const char *p;
	int i;

	for (p = strstr(allowed, s); p; p = strstr(p + 1, s))
		if ((p == allowed || p[-1] == ',') && (p[n] == ',' || !p[n]))
			for (i = 0; i < 4; i++)
				if (!strcmp(names[i], s))
					return i;
	return -1;
}

/* GitHub annotation values escape %, CR and LF. */
static void gh_escape(FILE *f, const char *s, int prop)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else if (prop && *s == ':')
			fputs("%3A", f);
		else if (prop && *s == ',')
			fputs("%2C", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\x%02x", (unsigned char)*s); /* no ESC in a CI log */
		else
			fputc(*s, f);
	}
}

void diags_print(FILE *f, const struct diags *d, enum out_format fmt)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		const char *lvl = x->level == DIAG_ERROR ? "error"
				: x->level == DIAG_WARNING ? "warning" : "notice";
		if (fmt == FMT_GITHUB) {
			fprintf(f, "::%s file=", lvl);
			gh_escape(f, x->file, 1);
			if (x->line)
				fprintf(f, ",line=%lu", x->line);
			fputs("::", f);
			if (x->field) {
				gh_escape(f, x->field, 0);
				fputs(": ", f);
			}
			gh_escape(f, x->msg, 0);
			fputc('\n', f);
			continue;
		}
		/* file names, fields and messages quote the repository */
		term_put(f, x->file);
		if (x->line)
			fprintf(f, ":%lu", x->line);
		fprintf(f, ": %s: ", lvl);
		if (x->field) {
			term_put(f, x->field);
			fputs(": ", f);
		}
		term_put(f, x->msg);
		fputc('\n', f);
	}
	if (d->errors + d->warnings + d->notices > d->n)
		fprintf(f, "... and %zu more problems not shown\n",
			d->errors + d->warnings + d->notices - d->n);
}

void diags_print_json(FILE *f, const struct diags *d)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *errs = cJSON_AddArrayToObject(root, "errors");
	cJSON *warns = cJSON_AddArrayToObject(root, "warnings");
	cJSON *notes = cJSON_AddArrayToObject(root, "notices");
	char *s;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", x->file);
		cJSON_AddNumberToObject(o, "line", (double)x->line);
		if (x->field)
			cJSON_AddStringToObject(o, "field", x->field);
		else
			cJSON_AddNullToObject(o, "field");
		cJSON_AddStringToObject(o, "message", x->msg);
		cJSON_AddItemToArray(x->level == DIAG_ERROR ? errs
				     : x->level == DIAG_WARNING ? warns : notes, o);
	}
	cJSON_AddNumberToObject(root, "error_count", (double)d->errors);
	cJSON_AddNumberToObject(root, "warning_count", (double)d->warnings);
	cJSON_AddNumberToObject(root, "notice_count", (double)d->notices);
	s = cJSON_PrintUnformatted(root);
	if (s)
		fprintf(f, "%s\n", s);
	cJSON_free(s);
	cJSON_Delete(root);
}

int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gitdial %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return 2;
}

int finish_stdout(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "gitdial: cannot write to stdout: %s\n",
			strerror(errno));
		return 1;
	}
	return rc;
}

const char *self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		snprintf(dir, sizeof(dir), ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

void json_emit(cJSON *o)
{
	char *txt = cJSON_PrintUnformatted(o);

	if (txt)
		printf("%s\n", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
}

int now_refused(const char *cmd, const char *usage)
{
	const char *allow = getenv("GITDIAL_TEST_ALLOW_NOW");

	if (allow && !strcmp(allow, "1"))
		return 0;
	return usage_error(cmd, usage, "--now is refused: a command that writes "
			   "records the clock's time (--now is for tick, ingest, "
			   "plan, show, list and report; tests set "
			   "GITDIAL_TEST_ALLOW_NOW=1)");
}
