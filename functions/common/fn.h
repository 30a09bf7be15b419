/*
 * The function contract (SPEC §6): one small binary per provider, with
 * one handler per action. fn_main runs it the ways a function is run:
 * by the runner (`gitdial-<provider> ACTION`, one JSON request on stdin,
 * one JSON response on stdout) or as CGI/1.1 when GATEWAY_INTERFACE is
 * set (webhooks, and the actions POSTed to /<provider>/fn).
 */
#ifndef GD_FN_H
#define GD_FN_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define FN_BODY_MAX (1u << 20)

struct fn_def {
	const char *provider;
	/* Each returns a new response object, never NULL. */
	cJSON *(*dial)(const cJSON *req);
	cJSON *(*status)(const cJSON *req);
	cJSON *(*hangup)(const cJSON *req);
};

/* Runs the function; returns the process exit code. */
int fn_main(const struct fn_def *def, int argc, char **argv);

/* {"ok":true} to add fields to. */
cJSON *fn_ok(void);
/* {"ok":false,"error":{"kind","code","message"}}. */
cJSON *fn_fail(const char *kind, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* obj[key] when it is a string, else NULL. */
const char *fn_str(const cJSON *obj, const char *key);
/*
 * Resolves a secret reference (env:NAME or file:PATH, trailing newline
 * dropped) into out. Never logs the value. Returns 0 or -1.
 */
int fn_secret(char *out, size_t n, const char *ref);
/* Appends an event to the spool named by $GITDIAL_SPOOL. */
int fn_spool(const cJSON *event);

#endif
