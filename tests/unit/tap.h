/*
 * The unit tests' TAP harness: CHECK(cond, fmt, ...) prints "ok N - ..."
 * or "not ok N - ..." with the place; finish() prints the closing
 * "N passed, N failed" line that tests/run.sh counts. Header-only: each
 * test file is its own program.
 */
#ifndef GD_TAP_H
#define GD_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int t_n, t_fail, t_todo;

static void __attribute__((format(printf, 4, 5)))
check_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	printf("%s %d - ", ok ? "ok" : "not ok", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		t_fail++;
		printf("#   at %s:%d\n", file, line);
	}
}
#define CHECK(cond, ...) check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* A test of a known bug: reported as TODO, not counted as a failure. */
static void __attribute__((format(printf, 3, 4), unused))
todo_(int ok, const char *bug, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	printf("%s %d - ", ok ? "ok" : "not ok", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # TODO %s\n", bug);
	if (!ok)
		t_todo++;
}
#define TODO(cond, bug, ...) todo_(!!(cond), bug, __VA_ARGS__)

static int finish(void)
{
	if (t_todo)
		printf("# %d known-bug TODO test(s) not counted\n", t_todo);
	printf("%d passed, %d failed\n", t_n - t_fail - t_todo, t_fail);
	return t_fail ? 1 : 0;
}

#endif
