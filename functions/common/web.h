/*
 * HTTP requests the way a web server hands them to a program: one per
 * process as CGI/1.1 (GATEWAY_INTERFACE set: REQUEST_METHOD, SCRIPT_NAME +
 * PATH_INFO, QUERY_STRING, HTTP_* headers, CONTENT_LENGTH bytes on
 * stdin, a "Status:" header in the reply) or under an OpenFaaS-style
 * watchdog (Http_Method, Http_Path, Http_Query, Http_X_Foo headers, the
 * body on stdin until EOF, only the body in the reply; a status of 400
 * or more becomes a non-zero exit); or many, one after another, in a
 * long-lived FastCGI process (libfcgi): stdin is the listening socket a
 * server's process manager made (lighttpd's bin-path, spawn-fcgi), the
 * CGI variables come as each request's FastCGI parameters and the body
 * as its input stream. Header names are normalised for all three.
 *
 * Under FastCGI only the request comes from the parameters; what
 * configures the function (GITDIAL_REPO, GITDIAL_SPOOL, GITDIAL_NOW, the
 * env: secrets) is the process environment the server started it with
 * (lighttpd's bin-environment), never a request's parameters.
 */
#ifndef GD_WEB_H
#define GD_WEB_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "buf.h"

/* The largest request body read (a larger CONTENT_LENGTH is a 413). */
#define WEB_BODY_MAX (1u << 20)

enum web_mode { WEB_CGI = 1, WEB_WATCHDOG = 2, WEB_FASTCGI = 3 };

struct web_request {
	enum web_mode mode;
	const char *method;       /* "POST"; "" when the server gave none */
	char path[1024];          /* the path, no query: "/twilio", "/twilio/fn" */
	const char *query;        /* the raw query string, "" when none */
	const char *content_type; /* "" when none */
	struct buf body;          /* at most WEB_BODY_MAX bytes, NUL-terminated */
	void *fcgi;               /* FastCGI: the FCGX_Request (web.c's), else NULL */
};

struct web_reply {
	int status;
	const char *type; /* Content-Type; NULL with no body */
	struct buf body;
};

/*
 * The adapter this process runs under, or 0 when it is not a web
 * request: FastCGI when stdin is a listening socket (libfcgi's
 * FCGX_IsCGI() is false), else CGI when GATEWAY_INTERFACE is set, else a
 * watchdog when Http_Method is. The one place that decides the mode.
 * Outside FastCGI the signal dispositions libfcgi sets up (SIGPIPE,
 * SIGUSR1, SIGTERM) are put back as they were.
 */
enum web_mode web_mode_detect(void);
/*
 * Fills r from the environment and reads the body from stdin. Returns 0,
 * or the HTTP status to answer: 413 when the body is larger than
 * WEB_BODY_MAX (it is not read), 400 when stdin ends early or the length
 * is not a number. r is the caller's (web_request_release) either way.
 */
int web_request_read(struct web_request *r, enum web_mode mode);
void web_request_release(struct web_request *r);
/*
 * A request header ("X-Twilio-Signature", any case) from the adapter's
 * environment variables (the request's parameters under FastCGI), or
 * NULL. Content-Type and Content-Length come from CONTENT_TYPE and
 * CONTENT_LENGTH under CGI and FastCGI. Valid until r is released.
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

/*
 * What web_fastcgi_serve calls for each request: st is 0, or the status
 * web_request_read would have returned (413, 400) with the body unread.
 * It sets rep; r and rep are the loop's and released after the reply.
 */
typedef void web_handler_fn(void *ctx, const struct web_request *r, int st,
			    struct web_reply *rep);
/*
 * The FastCGI loop (WEB_FASTCGI): accepts requests on the listening
 * socket on stdin one at a time, fills a web_request from each (the
 * same rules and 1 MiB cap as web_request_read), calls handle, writes
 * the reply as web_reply_send does under CGI, and releases everything
 * before the next. Returns when the server asks the process to stop
 * (SIGTERM, or SIGUSR1, libfcgi's own) after the request in hand is
 * answered: 0, or 1 when accepting failed otherwise.
 */
int web_fastcgi_serve(web_handler_fn *handle, void *ctx);

#endif
