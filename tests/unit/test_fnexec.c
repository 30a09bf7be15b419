/*
 * fn_run's local path (runner/core/fnexec.c) against small shell
 * functions that speak the batch protocol, or break it: answers in any
 * order, the command line, rate spacing, a call that never gets an
 * answer (timeout, and a process whose every place is held by such
 * calls), a process that dies or exits mid-batch, unknown and repeated
 * SEQs, an answer over the cap, a request with a newline in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fnexec.h"
#include "text.h"
#include "tap.h"
#include "banned.h"

static char dir[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes an executable sh script NAME (the body after the #! line). */
static const char *script(const char *name, const char *body)
{
	static char path[8][128];
	static int k;
	char *p = path[k++ % 8];
	FILE *f;

	snprintf(p, 128, "%s/%s", dir, name);
	if (!(f = fopen(p, "w")))
		return p;
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(p, 0755);
	return p;
}

/* n calls whose requests are {"i":I}. */
static struct fn_call *calls_make(size_t n)
{
	struct fn_call *c = calloc(n, sizeof(*c));
	size_t i;

	for (i = 0; c && i < n; i++) {
		c[i].request = malloc(32);
		snprintf(c[i].request, 32, "{\"i\":%zu}", i);
	}
	return c;
}

static void calls_free(struct fn_call *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fn_call_release(&c[i]);
		free(c[i].request);
	}
	free(c);
}

/* Runs binary over n calls; the wall time in seconds. */
static double run(const char *binary, struct fn_call *c, size_t n, int par,
		  double cps, int timeout_s, int *rc)
{
	struct fn_target t = { binary, NULL, NULL, dir, dir };
	double t0 = now_s();

	*rc = fn_run(&t, "dial", c, n, par, cps, timeout_s);
	return now_s() - t0;
}

/*
 * Each answer is the request with its SEQ, in pairs the wrong way round
 * (1 0 3 2 ...: an even number of calls, or the last one is never sent).
 */
#define ECHO \
	"echo \"$*\" >\"$GITDIAL_SPOOL/argv\"\n" \
	"while IFS= read -r even && IFS= read -r odd; do\n" \
	"  printf '%s\\n%s\\n' \"$odd\" \"$even\"\n" \
	"done\n"

static void answers(void)
{
	struct fn_call *c = calls_make(6);
	char argv[128] = "", want[32];
	size_t i, good = 0;
	FILE *f;
	int rc;

	run(script("echo", ECHO), c, 6, 8, 0, 10, &rc);
	for (i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "{\"i\":%zu}", i);
		good += c[i].response && !strcmp(c[i].response, want) &&
			c[i].exit_code == 0 && !c[i].timed_out;
	}
	CHECK(rc == 0 && good == 6, "every call gets the answer with its SEQ, "
	      "in whatever order they come (%zu of 6)", good);
	CHECK(!str_fmt(want, sizeof(want), "%s/argv", dir), "argv path fits");
	if ((f = fopen(want, "r"))) {
		if (!fgets(argv, sizeof(argv), f))
			argv[0] = '\0';
		fclose(f);
	}
	CHECK(!strcmp(argv, "dial --batch --parallel 6\n"),
	      "one process: ACTION --batch --parallel min(parallel, n) (%s)", argv);
	calls_free(c, 6);

	c = calls_make(2);
	free(c[1].request);
	c[1].request = strdup("{\"a\":\n1}");
	run(script("echo", ECHO), c, 2, 2, 0, 10, &rc);
	CHECK(c[1].response && !strcmp(c[1].response, "{\"a\": 1}"),
	      "a newline in a request is sent as a space: one line a request");
	calls_free(c, 2);
}

static void pacing(void)
{
	struct fn_call *c = calls_make(6);
	double wall;
	int rc;

	wall = run(script("echo", ECHO), c, 6, 6, 20, 10, &rc);
	CHECK(rc == 0 && c[5].response && wall >= 0.24,
	      "cps 20: 6 starts take at least 5 gaps of 50 ms (%.3f s)", wall);
	calls_free(c, 6);
}

static void timeouts(void)
{
	struct fn_call *c = calls_make(4);
	double wall;
	int rc;

	/* SEQ 1 is never answered; the process outlives its stdin */
	wall = run(script("hang1",
		"while IFS= read -r line; do seq=${line%%\t*}\n"
		"  [ \"$seq\" = 1 ] || printf '%s\\t{\"ok\":true}\\n' \"$seq\"\n"
		"done\nexec sleep 30\n"), c, 4, 4, 0, 1, &rc);
	CHECK(c[1].timed_out && !c[1].response && c[1].exit_code == -1,
	      "a call with no answer after timeout_s: timed_out, no response, -1");
	CHECK(c[0].response && c[2].response && c[3].response && !c[0].timed_out,
	      "the others are answered");
	CHECK(wall >= 1.0 && wall < 4.0, "the process still running the "
	      "timed-out call is killed at the end, not waited for (%.2f s)", wall);
	calls_free(c, 4);

	/* SEQ 0 and 1 hang, the process holds 2: replaced for SEQ 2 and 3 */
	c = calls_make(4);
	wall = run(script("hang01",
		"while IFS= read -r line; do seq=${line%%\t*}\n"
		"  case $seq in 0|1) ;; *) printf '%s\\t{\"ok\":true}\\n' \"$seq\" ;; esac\n"
		"done\n"), c, 4, 2, 0, 1, &rc);
	CHECK(c[0].timed_out && c[1].timed_out && c[2].response && c[3].response,
	      "a process whose every place is held by timed-out calls is "
	      "replaced: the next calls are answered by a new one");
	CHECK(wall < 4.0, "without waiting for the hung ones (%.2f s)", wall);
	calls_free(c, 4);
}

static void deaths(void)
{
	struct fn_call *c = calls_make(6);
	int rc, k, later, lost;

	/* answers two lines, dies on reading the third */
	run(script("die3",
		"n=0\nwhile IFS= read -r line; do n=$((n + 1))\n"
		"  [ $n = 3 ] && kill -9 $$\n"
		"  printf '%s\\t{\"ok\":true}\\n' \"${line%%\t*}\"\n"
		"done\n"), c, 6, 3, 0, 10, &rc);
	for (k = 3, later = 0, lost = 0; k < 6; k++) {
		later += c[k].response && c[k].exit_code == 0;
		lost += !c[k].response && c[k].exit_code == -1 && !c[k].timed_out;
	}
	CHECK(c[0].response && c[1].response && c[0].exit_code == 0,
	      "a process killed mid-batch: what it answered counts");
	CHECK(!c[2].response && c[2].exit_code == -1 && !c[2].timed_out,
	      "its unanswered calls: no response, -1 (a signal), not timed out");
	/* 3 and 4 may go to the first one before its end is seen */
	CHECK(later >= 1 && later + lost == 3, "the calls sent after it died "
	      "went to a new process (%d answered, %d lost with a process)",
	      later, lost);
	calls_free(c, 6);

	c = calls_make(3);
	run(script("exit7",
		"IFS= read -r line; printf '%s\\t{\"ok\":true}\\n' \"${line%%\t*}\"\n"
		"exit 7\n"), c, 3, 3, 0, 10, &rc);
	CHECK(c[0].response && !c[1].response && c[1].exit_code == 7 &&
	      !c[2].response && c[2].exit_code == 7,
	      "a process that exits early: its unanswered calls get its exit code");
	calls_free(c, 3);

	c = calls_make(2);
	{
		struct fn_target t = { "/nonexistent/gitdial-x", NULL, NULL, dir, dir };
		rc = fn_run(&t, "dial", c, 2, 2, 0, 10);
	}
	CHECK(rc != 0 && !c[0].response && c[0].exit_code == -1 &&
	      c[1].exit_code == -1, "a binary that cannot start: an error, every "
	      "call filled with -1");
	calls_free(c, 2);

	c = calls_make(3);
	run(script("noisy",
		"while IFS= read -r line; do seq=${line%%\t*}\n"
		"  printf '99\\t{\"ok\":true}\\nno seq\\n'\n"
		"  printf '%s\\t{\"first\":true}\\n%s\\t{\"second\":true}\\n' \"$seq\" \"$seq\"\n"
		"done\n"), c, 3, 3, 0, 10, &rc);
	for (k = 0; k < 3 && c[k].response && strstr(c[k].response, "first"); k++)
		;
	CHECK(k == 3, "unknown SEQs, lines without SEQ and second answers are "
	      "ignored: each call keeps its first answer");
	calls_free(c, 3);

	c = calls_make(2);
	run(script("huge",
		"IFS= read -r a; IFS= read -r b\n"
		"printf '0\\t'; head -c 1100000 /dev/zero | tr '\\0' x; echo\n"
		"printf '1\\t{\"ok\":true}\\n'; exec sleep 30\n"), c, 2, 2, 0, 1, &rc);
	CHECK(!c[0].response && c[0].timed_out && c[1].response &&
	      !strcmp(c[1].response, "{\"ok\":true}"),
	      "an answer over the cap is dropped whole; the line after it counts");
	calls_free(c, 2);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gd-fnexec.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	answers();
	pacing();
	timeouts();
	deaths();
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	return finish();
}
