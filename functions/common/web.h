/*
 * One HTTP request per process, the way a web server hands it to a
 * program: CGI/1.1 (GATEWAY_INTERFACE set: REQUEST_METHOD, SCRIPT_NAME +
 * PATH_INFO, QUERY_STRING, HTTP_* headers, CONTENT_LENGTH bytes on
 * stdin, a "Status:" header in the reply) or an OpenFaaS-style watchdog
 * (Http_Method, Http_Path, Http_Query, Http_X_Foo headers, the body on
 * stdin until EOF, only the body in the reply; a status of 400 or more
 * becomes a non-zero exit). Header names are normalised for both.
 */
#ifndef GD_WEB_H
#define GD_WEB_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"

enum web_mode { WEB_CGI = 1, WEB_WATCHDOG = 2 };

struct web_request {
	enum web_mode mode;
	const char *method;       /* "POST"; "" when the server gave none */
	char path[1024];          /* the path, no query: "/twilio", "/twilio/fn" */
	const char *query;        /* the raw query string, "" when none */
	const char *content_type; /* "" when none */
	struct buf body;          /* at most FN_BODY_MAX bytes, NUL-terminated */
};

struct web_reply {
	int status;
	const char *type; /* Content-Type; NULL with no body */
	struct buf body;
};

/* The adapter this process runs under, or 0 when it is not a web request. */
enum web_mode web_mode_detect(void);
/*
 * Fills r from the environment and reads the body from stdin. Returns 0,
 * or the HTTP status to answer: 413 when the body is larger than
 * FN_BODY_MAX (it is not read), 400 when stdin ends early or the length
 * is not a number. r is the caller's (web_request_release) either way.
 */
int web_request_read(struct web_request *r, enum web_mode mode);
void web_request_release(struct web_request *r);
/*
 * A request header ("X-Twilio-Signature", any case) from the adapter's
 * environment variables, or NULL. Content-Type and Content-Length come
 * from CONTENT_TYPE and CONTENT_LENGTH under CGI.
 */
const char *web_header(const struct web_request *r, const char *name);
/*
 * The last and the next-to-last segments of the path ("/a/twilio/fn" →
 * "fn", "twilio"); empty strings when absent.
 */
void web_path_tail(const struct web_request *r, char last[64], char prev[64]);

void web_reply_init(struct web_reply *rep);
/* Sets a plain-text reply: the status and one line of explanation. */
void web_reply_text(struct web_reply *rep, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets a JSON reply (obj is not taken). */
void web_reply_json(struct web_reply *rep, int status, const cJSON *obj);
/*
 * Writes the reply to stdout and flushes it. Returns the exit code for
 * the process: 0, or 1 when stdout failed (or, under a watchdog, when
 * the status is 400 or more).
 */
int web_reply_send(struct web_reply *rep, enum web_mode mode);
void web_reply_release(struct web_reply *rep);

#endif
