/*
 * Calling provider functions (SPEC §6) from the runner: a local binary
 * (`gitdial-<provider> ACTION`, JSON on stdin and stdout) run as several
 * child processes at once, starting at most cps per second; or, for an
 * account with a "function" URL, an HTTP POST of the same JSON.
 */
#ifndef GD_FNEXEC_H
#define GD_FNEXEC_H

#include <stddef.h>

#define FN_RESPONSE_MAX (1u << 20)

struct fn_call {
	char *request;  /* JSON text, the caller's */
	char *response; /* filled: the stdout text (malloc'd), or NULL */
	int exit_code;  /* -1 when it did not run or was killed */
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
 * that no more than cps begin per second, each killed after timeout_s.
 * Always fills every call; returns 0, or an error when nothing could run.
 */
int fn_run(const struct fn_target *t, const char *action, struct fn_call *calls,
	   size_t n, int parallel, double cps, int timeout_s);
void fn_call_release(struct fn_call *c);

#endif
