#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "testhook.h"
#include "banned.h"

#define HOLD_POLL_NS (10 * 1000 * 1000) /* 10 ms between looks for go */
#define HOLD_MAX_S 300			/* default bound on the wait */

/* A positive decimal from the environment, or def. */
static long env_long(const char *name, long def, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > max)
		return def;
	return n;
}

/* Writes text to path through a temp file and a rename (all or nothing). */
static int write_whole(const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text);
	int fd, ok, flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld", path,
			     (long)getpid()) >= sizeof(tmp))
		return gd_error_set("test hold: path too long: %s", path);
	if ((fd = open(tmp, flags, 0644)) < 0)
		return gd_error_set("test hold: cannot write %s: %s", tmp,
				    strerror(errno));
	ok = write(fd, text, len) == (ssize_t)len;
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return gd_error_set("test hold: cannot write %s", path);
	}
	return 0;
}

int testhook_hold(const char *point, const char *detail)
{
	static long calls;
	const char *dir = getenv("GITDIAL_TEST_HOLD");
	char ready[4096], go[4096], line[512];
	struct timespec pause = { 0, HOLD_POLL_NS }, now, end;
	long nth, max_s;
	int rc;

	if (!dir || !*dir)
		return 0;
	nth = env_long("GITDIAL_TEST_HOLD_NTH", 1, 1000000);
	if (++calls != nth)
		return 0;
	max_s = env_long("GITDIAL_TEST_HOLD_MAX_S", HOLD_MAX_S, 86400);
	if (strlen(dir) > sizeof(go) - sizeof("/ready"))
		return gd_error_set("test hold: GITDIAL_TEST_HOLD is too long");
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(go, sizeof(go), "%s/go", dir);
	snprintf(line, sizeof(line), "%s %ld %s\n", point, (long)getpid(),
		 detail ? detail : "-");
	if ((rc = write_whole(ready, line)))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += max_s;
	do {
		if (!access(go, F_OK)) {
			unlink(go);
			unlink(ready);
			return 0;
		}
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	unlink(ready);
	return gd_error_set("test hold at %s: no %s after %ld s", point, go,
			    max_s);
}

void testhook_crash(const char *point)
{
	const char *want = getenv("GITDIAL_TEST_CRASH");

	if (want && !strcmp(want, point))
		raise(SIGKILL);
}

double testhook_elapsed(const char *point, double real)
{
	const char *v = getenv("GITDIAL_TEST_ELAPSED");
	size_t n = strlen(point);
	char *end;
	double x;

	if (!v || strncmp(v, point, n) || v[n] != '=')
		return real;
	x = strtod(v + n + 1, &end);
	return end != v + n + 1 && !*end && x >= 0 ? x : real;
}
