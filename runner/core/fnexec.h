/*
 * Calling provider functions (SPEC §6) from the runner: a local binary
 * run once for all the calls of an fn_run (`gitdial-<provider> ACTION
 * --batch --parallel P`: request lines `SEQ<TAB>JSON` on its stdin, a
 * line `SEQ<TAB>JSON` back on its stdout as each call ends), starting at
 * most cps per second; or, for an account with a "function" URL, an HTTP
 * POST of the same JSON per call.
 */
#ifndef GD_FNEXEC_H
#define GD_FNEXEC_H

#include <stddef.h>

#define FN_RESPONSE_MAX (1u << 20)

struct fn_call {
	char *request;  /* JSON text, the caller's */
	char *response; /* filled: the response JSON text (malloc'd), or NULL */
	int exit_code;  /* 0 answered; else the process's exit code when it
			 * ended first, -1 when it did not run, was killed
			 * or timed out */
	int timed_out;
};

struct fn_target {
	const char *binary; /* path of gitdial-<provider>, or NULL */
	const char *url;    /* remote function URL, or NULL */
	const char *secret; /* shared secret for the URL (resolved), or NULL */
	const char *spool;  /* GITDIAL_SPOOL for the child */
	const char *repo;   /* GITDIAL_REPO for the child */
};

/*
 * Runs action for every call: at most parallel at once, starts spaced so
 * that no more than cps begin per second, each given up after timeout_s
 * (timed_out set, no response; a local process still running such a
 * call is killed once nothing else is waiting on it). A local process
 * that dies leaves its unanswered calls without a response; the calls
 * not yet sent then go to a new one. Always fills every call; returns 0,
 * or an error when something could not run.
 */
int fn_run(const struct fn_target *t, const char *action, struct fn_call *calls,
	   size_t n, int parallel, double cps, int timeout_s);
void fn_call_release(struct fn_call *c);

#endif
