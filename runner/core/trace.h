/*
 * Phase timings on stderr, like git's GIT_TRACE_PERFORMANCE: when
 * GITDIAL_TRACE_PERF is set (to anything but "" or "0"), trace_mark
 * prints "gitdial trace: PHASE +MS ms (at MS ms, cpu MS ms, peak rss MB
 * MB)": the time since the previous mark and since the first, the CPU
 * time of all threads so far, and the peak resident size. trace_note
 * prints "gitdial trace: " and a printf-style line. Costs one getenv per
 * process when unset. Not thread-safe: call from the main thread.
 */
#ifndef GD_TRACE_H
#define GD_TRACE_H

void trace_mark(const char *phase);
void trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
