#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "trace.h"
#include "banned.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int trace_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("GITDIAL_TRACE_PERF");
		on = v && *v && !(v[0] == '0' && !v[1]);
	}
	return on;
}

void trace_mark(const char *phase)
{
	static double first = -1, last;
	struct rusage ru;
	double t, cpu;

	if (!trace_on())
		return;
	t = now_ms();
	if (first < 0)
		first = last = t;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	fprintf(stderr, "gitdial trace: %-16s +%.1f ms (at %.1f ms, cpu %.0f ms, "
		"peak rss %ld MB)\n", phase, t - last, t - first, cpu,
		ru.ru_maxrss / 1024);
	last = t;
}

void trace_note(const char *fmt, ...)
{
	va_list ap;

	if (!trace_on())
		return;
	fputs("gitdial trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
