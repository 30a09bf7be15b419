/*
 * Phase timings on stderr, like git's GIT_TRACE_PERFORMANCE: when
 * GITDIAL_TRACE_PERF is set (to anything but "" or "0"), trace_mark
 * prints "gitdial trace: PHASE +MS ms (at MS ms)", the time since the
 * previous mark and since the first. Costs one getenv per process when
 * unset. Not thread-safe: call from the main thread.
 */
#ifndef GD_TRACE_H
#define GD_TRACE_H

void trace_mark(const char *phase);

#endif
