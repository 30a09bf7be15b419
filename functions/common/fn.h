/*
 * The function contract (SPEC §6): one small binary per provider, with
 * one handler per action. fn_main runs it the ways a function is run:
 * one request (`gitdial-<provider> ACTION`, one JSON request on stdin,
 * one JSON response on stdout); a batch, as the runner does
 * (`gitdial-<provider> ACTION --batch [--parallel N]`: lines
 * `SEQ<TAB>JSON` in, one line `SEQ<TAB>JSON` out per request, in the
 * order they finish, up to N handled at once on threads); as CGI/1.1
 * when GATEWAY_INTERFACE is set (webhooks, and the actions POSTed to
 * /<provider>/fn); or as a long-lived FastCGI process serving the same
 * routes when stdin is a listening socket (web_mode_detect decides).
 */
#ifndef GD_FN_H
#define GD_FN_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "fnutil.h"
#include "web.h"

/* A request body, over HTTP or on a batch line, is at most this. */
#define FN_BODY_MAX WEB_BODY_MAX

struct fn_def {
	const char *provider;
	/* Each returns a new response object, never NULL. */
	cJSON *(*dial)(const cJSON *req);
	cJSON *(*status)(const cJSON *req);
	cJSON *(*hangup)(const cJSON *req);
	/*
	 * 1 when the handlers must not run side by side in one process (SIP:
	 * they fork, chdir and setenv): --batch then runs the requests one
	 * after another on the main thread, whatever --parallel says.
	 */
	int serial;
};

/* The most requests `--batch --parallel N` runs at once. */
#define FN_BATCH_PARALLEL_MAX 256
/* The longest SEQ of a batch line (decimal digits). */
#define FN_BATCH_SEQ_MAX 20

struct web_request;
struct web_reply;

/* What a provider adds for the web: its webhook handler. */
struct fn_web {
	/*
	 * Handles a delivery to /<provider>: verifies the signature before
	 * anything else, spools the events, and sets the reply (2xx only
	 * once every event is durable in the spool).
	 */
	void (*webhook)(const struct web_request *req, struct web_reply *rep);
};

/*
 * Runs the function; returns the process exit code. Under CGI it serves
 * POST /<provider>/fn and the agent's webhook (/agent); provider
 * webhooks answer 501. Requests on stdin are passed on unchecked.
 */
int fn_main(const struct fn_def *def, int argc, char **argv);
/*
 * fn_main for the real providers: requests are checked against the
 * function-request schema's rules before a handler sees them, and under
 * CGI/a watchdog the routes are
 *   POST .../fn      an action over HTTP (the request JSON in the body),
 *                    allowed when $GITDIAL_FUNCTION_SECRET names a secret
 *                    (env:/file:) and the request carries it in
 *                    X-Gitdial-Function-Secret, or signs the body with
 *                    it (X-Gitdial-Signature: sha256=<hex>);
 *   .../agent        the voice agent's webhook (analysis events);
 *   anything else    web->webhook.
 */
int fn_main_web(const struct fn_def *def, const struct fn_web *web, int argc,
		char **argv);
/*
 * fn_main_web without the schema check of requests (the sim carrier,
 * whose requests the runner makes for tests and the demo).
 */
int fn_main_hooks(const struct fn_def *def, const struct fn_web *web, int argc,
		  char **argv);
/*
 * Checks a request for action against the function-request schema's
 * rules (types, enums, patterns, what each action requires). Returns
 * NULL when it passes, else a failure response for it (the caller's):
 * invalid_number for a bad "to", rejected otherwise.
 */
cJSON *fn_request_check(const cJSON *req, const char *provider,
			const char *action);

#endif
