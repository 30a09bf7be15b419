/*
 * Unit tests for the publish hold (testhook_hold): inert without its
 * variable, holds only the Nth call, tells the test where it is through
 * DIR/ready, goes on when DIR/go appears (cleaning both up), and gives
 * up with an error when go never comes, rather than hanging.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "testhook.h"

#include "tap.h"

static char dir[256], ready[300], go[300], seen[256];

static int exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* The test's side: waits (bounded) for ready, remembers it, writes go. */
static void *releaser(void *arg)
{
	struct timespec ms = { 0, 1000 * 1000 };
	FILE *f;
	int i;

	(void)arg;
	for (i = 0; i < 30000 && !exists(ready); i++)
		nanosleep(&ms, NULL);
	if ((f = fopen(ready, "r"))) {
		if (!fgets(seen, sizeof(seen), f))
			seen[0] = 0;
		fclose(f);
	}
	if ((f = fopen(go, "w")))
		fclose(f);
	return NULL;
}

int main(void)
{
	char want[128];
	pthread_t t;
	struct timespec t0, t1;
	double waited;
	int rc;

	snprintf(dir, sizeof(dir), "%s/testhook.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(go, sizeof(go), "%s/go", dir);

	unsetenv("GITDIAL_TEST_HOLD");
	CHECK(testhook_hold("publish", "abc") == 0 && !exists(ready),
	      "without GITDIAL_TEST_HOLD: returns at once, writes nothing");

	setenv("GITDIAL_TEST_HOLD", dir, 1);
	setenv("GITDIAL_TEST_HOLD_NTH", "2", 1);
	CHECK(testhook_hold("publish", "abc") == 0 && !exists(ready),
	      "GITDIAL_TEST_HOLD_NTH=2: the 1st call passes without holding");

	/* the 2nd call holds, and nobody releases it: bounded */
	setenv("GITDIAL_TEST_HOLD_MAX_S", "1", 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = testhook_hold("publish", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(rc == GD_ERROR && strstr(gd_error_last(), "no ") &&
		      strstr(gd_error_last(), "/go after 1 s"),
	      "a hold nobody releases fails after GITDIAL_TEST_HOLD_MAX_S (%s)",
	      gd_error_last());
	CHECK(waited >= 1.0 && waited < 10.0,
	      "…having waited its bound, about 1 s (%.2f s)", waited);
	CHECK(!exists(ready), "…and removed its ready file");

	/* the 3rd call holds and the test releases it */
	setenv("GITDIAL_TEST_HOLD_NTH", "3", 1);
	setenv("GITDIAL_TEST_HOLD_MAX_S", "60", 1);
	pthread_create(&t, NULL, releaser, NULL);
	rc = testhook_hold("publish", "0123abcd");
	pthread_join(t, NULL);
	snprintf(want, sizeof(want), "publish %ld 0123abcd\n", (long)getpid());
	CHECK(rc == 0,
	      "the 3rd call held and went on when go appeared (%d: %s)", rc,
	      rc ? gd_error_last() : "");
	CHECK(!strcmp(seen, want), "ready said where, who and what: '%.*s'",
	      (int)strcspn(seen, "\n"), seen);
	CHECK(!exists(ready) && !exists(go), "ready and go are removed after");
	CHECK(testhook_hold("publish", "x") == 0 && !exists(ready),
	      "later calls pass without holding");
	rmdir(dir);

	/* testhook_elapsed: the real time unless the test names this point */
	unsetenv("GITDIAL_TEST_ELAPSED");
	CHECK(testhook_elapsed("claim", 1.5) == 1.5, "unset: the real elapsed time");
	setenv("GITDIAL_TEST_ELAPSED", "claim=88", 1);
	CHECK(testhook_elapsed("claim", 1.5) == 88.0, "claim=88: 88 s at claim");
	CHECK(testhook_elapsed("clai", 1.5) == 1.5 && testhook_elapsed("claims", 1.5) == 1.5,
	      "another point keeps the real time");
	setenv("GITDIAL_TEST_ELAPSED", "claim=-3", 1);
	CHECK(testhook_elapsed("claim", 1.5) == 1.5, "a negative time is ignored");
	setenv("GITDIAL_TEST_ELAPSED", "claim=8x", 1);
	CHECK(testhook_elapsed("claim", 1.5) == 1.5, "a malformed one too");
	unsetenv("GITDIAL_TEST_ELAPSED");
	return finish();
}
