/*
 * The functions' HTTP client (libcurl), with the one distinction a dialer
 * cares about: a request that never left (connection refused, DNS) is
 * safe to retry, while one that was sent but drew no answer (timeout,
 * reset, empty reply) may have created a call and must be reconciled.
 */
#ifndef GD_HTTPC_H
#define GD_HTTPC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"

#define HTTPC_BODY_MAX (1u << 20)
#define HTTPC_TIMEOUT_MS 15000L

enum httpc_fate {
	HTTPC_ANSWERED = 0,    /* an HTTP response arrived (any status) */
	HTTPC_NOT_SENT = 1,    /* the request did not reach the server */
	HTTPC_NO_RESPONSE = 2, /* sent, but no complete response came back */
};

struct httpc_request {
	const char *method;       /* "GET", "POST" */
	const char *url;
	const char *user;         /* Basic auth user, or NULL */
	const char *password;     /* Basic auth password */
	const char *bearer;       /* Bearer token, or NULL */
	const char *content_type; /* with a body */
	const char *body;         /* or NULL */
	size_t len;
	long timeout_ms;          /* 0: $GITDIAL_HTTP_TIMEOUT_MS or HTTPC_TIMEOUT_MS */
	const char *header;       /* one more "Name: value" line, or NULL */
};

struct httpc_response {
	enum httpc_fate fate;
	long status;              /* HTTP status when answered */
	struct buf body;          /* capped at HTTPC_BODY_MAX */
	long retry_after_s;       /* Retry-After in seconds, or -1 */
	char error[256];          /* what went wrong when not answered */
};

/*
 * Performs one request (no retries, no redirects). Returns 0 when a
 * response arrived, whatever its status; otherwise GD_ERROR with
 * res->fate and res->error saying why. res is the caller's
 * (httpc_response_release) either way.
 */
int httpc_perform(struct httpc_response *res, const struct httpc_request *req);
void httpc_response_release(struct httpc_response *res);
/*
 * A JSON API call with a Bearer token: method on url (base, then path
 * printed after it), body (may be NULL) sent as application/json. A
 * request that cannot be built is NOT_SENT with a reason in res->error.
 * Returns httpc_perform's result.
 */
int httpc_json(struct httpc_response *res, const char *method,
	       const char *base, const char *path, const char *bearer,
	       const cJSON *body);

#endif
