#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trace.h"
#include "banned.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void trace_mark(const char *phase)
{
	static int on = -1;
	static double first, last;
	double t;

	if (on < 0) {
		const char *v = getenv("GITDIAL_TRACE_PERF");
		on = v && *v && !(v[0] == '0' && !v[1]);
		first = last = now_ms();
	}
	if (!on)
		return;
	t = now_ms();
	fprintf(stderr, "gitdial trace: %-16s +%.1f ms (at %.1f ms)\n", phase,
		t - last, t - first);
	last = t;
}
