/*
 * Test hooks: points where a test makes a race or a crash happen when it
 * chooses, instead of hoping the scheduler interleaves two processes the
 * way the test needs. Each hook does nothing unless its GITDIAL_TEST_*
 * variable is set; docs/testing.md says how the tests drive them.
 */
#ifndef GD_TESTHOOK_H
#define GD_TESTHOOK_H

/*
 * Holds this process at a named point (e.g. "publish", between making a
 * commit and moving the branch to it) while a test makes another writer
 * move first.
 *
 * With GITDIAL_TEST_HOLD naming a directory, the GITDIAL_TEST_HOLD_NTH-th
 * call in this process (default the first; later and earlier calls pass)
 * writes DIR/ready atomically, one line "POINT PID DETAIL\n", then polls
 * every 10 ms for DIR/go. When go appears it removes go and ready and
 * returns 0. The wait is bounded: after GITDIAL_TEST_HOLD_MAX_S seconds
 * (default 300) without a go it returns GD_ERROR with a message, so a
 * broken test fails instead of hanging. detail (may be NULL) is for the
 * test to read (the commit being published, say). Without the variable
 * it returns 0 at once.
 */
int testhook_hold(const char *point, const char *detail);

/*
 * Kills this process with SIGKILL when GITDIAL_TEST_CRASH equals point:
 * a crash at an exact step (t-tick-crash.sh walks every one).
 */
void testhook_crash(const char *point);

/*
 * The seconds elapsed at a named point of a deadline (e.g. "claim", how
 * long since the claim was published): real, unless GITDIAL_TEST_ELAPSED
 * is "POINT=SECONDS" for this point, when SECONDS (a number >= 0) is
 * returned instead, so a test decides how much of a budget is left
 * rather than the machine's load.
 */
double testhook_elapsed(const char *point, double real);

#endif
