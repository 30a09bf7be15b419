#include <ctype.h>
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "web.h"
#include "banned.h"

/* A CGI variable: the request's FastCGI parameter, or the environment's. */
static const char *param(const struct web_request *r, const char *name)
{
	if (r->fcgi)
		return FCGX_GetParam(name, ((FCGX_Request *)r->fcgi)->envp);
	return getenv(name);
}

static const char *param_or(const struct web_request *r, const char *name,
			    const char *dflt)
{
	const char *v = param(r, name);

	return v ? v : dflt;
}

/*
 * True when stdin is a listening socket (a FastCGI process manager
 * started us). libfcgi's first call installs its SIGPIPE, SIGUSR1 and
 * SIGTERM handlers; a CGI or action process gets its own dispositions
 * back.
 */
static int stdin_is_fastcgi(void)
{
	static const int sigs[] = { SIGPIPE, SIGUSR1, SIGTERM };
	struct sigaction was[3];
	size_t i;
	int fcgi;

	for (i = 0; i < 3; i++)
		sigaction(sigs[i], NULL, &was[i]);
	fcgi = FCGX_Init() == 0 && !FCGX_IsCGI();
	for (i = 0; !fcgi && i < 3; i++)
		sigaction(sigs[i], &was[i], NULL);
	return fcgi;
}

enum web_mode web_mode_detect(void)
{
	if (stdin_is_fastcgi())
		return WEB_FASTCGI;
	if (getenv("GATEWAY_INTERFACE"))
		return WEB_CGI;
	if (getenv("Http_Method"))
		return WEB_WATCHDOG;
	return 0;
}

/* Up to n bytes of the body: from the FastCGI input stream, or stdin. */
static ssize_t body_read(FCGX_Request *fr, char *out, size_t n)
{
	int got;

	if (!fr)
		return read(0, out, n);
	got = FCGX_GetStr(out, (int)n, fr->in);
	if (got == 0 && FCGX_GetError(fr->in)) {
		errno = EIO;
		return -1;
	}
	return got;
}

/* Reads exactly want bytes (or to EOF when want < 0) into b. */
static int read_body(struct buf *b, FCGX_Request *fr, long long want)
{
	char chunk[65536];
	long long got = 0;
	ssize_t n;

	for (;;) {
		size_t ask = sizeof(chunk);
		if (want >= 0) {
			if (got >= want)
				break;
			if ((long long)ask > want - got)
				ask = (size_t)(want - got);
		}
		n = body_read(fr, chunk, ask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 400;
		}
		if (n == 0)
			break;
		if (buf_put(b, chunk, (size_t)n))
			return 413;
		got += n;
	}
	if (want >= 0 && got < want)
		return 400;
	return buf_put(b, "", 0) ? 413 : 0;
}

/* web_request_read, for a FastCGI request (fr) or this process's one. */
static int request_fill(struct web_request *r, enum web_mode mode,
			FCGX_Request *fr)
{
	const char *cl, *script, *info;
	long long want = -1;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, WEB_BODY_MAX);
	r->mode = mode;
	r->fcgi = fr;
	if (mode == WEB_WATCHDOG) {
		r->method = param_or(r, "Http_Method", "");
		snprintf(r->path, sizeof(r->path), "%s", param_or(r, "Http_Path", ""));
		r->query = param_or(r, "Http_Query", "");
		r->content_type = param_or(r, "Http_Content_Type", "");
		cl = param(r, "Http_Content_Length");
	} else {
		r->method = param_or(r, "REQUEST_METHOD", "");
		script = param_or(r, "SCRIPT_NAME", "");
		info = param_or(r, "PATH_INFO", "");
		if (*script || *info) {
			snprintf(r->path, sizeof(r->path), "%s%s", script, info);
		} else {
			const char *uri = param_or(r, "REQUEST_URI", "");
			snprintf(r->path, sizeof(r->path), "%.*s",
				 (int)strcspn(uri, "?"), uri);
		}
		r->query = param_or(r, "QUERY_STRING", "");
		r->content_type = param_or(r, "CONTENT_TYPE", "");
		cl = param(r, "CONTENT_LENGTH");
	}
	if (cl && *cl) {
		char *end;
		errno = 0;
		want = strtoll(cl, &end, 10);
		if (errno || *end || want < 0)
			return 400;
		if (want > (long long)WEB_BODY_MAX)
			return 413;
	} else if (mode != WEB_WATCHDOG) {
		want = 0; /* CGI/1.1 and FastCGI: no CONTENT_LENGTH, no body */
	}
	return read_body(&r->body, fr, want);
}

int web_request_read(struct web_request *r, enum web_mode mode)
{
	return request_fill(r, mode, NULL);
}

void web_request_release(struct web_request *r)
{
	buf_release(&r->body);
}

const char *web_header(const struct web_request *r, const char *name)
{
	char var[160];
	size_t i, o = 0;
	int up = 1;

	if (r->mode != WEB_WATCHDOG) {
		if (!strcasecmp(name, "Content-Type"))
			return param(r, "CONTENT_TYPE");
		if (!strcasecmp(name, "Content-Length"))
			return param(r, "CONTENT_LENGTH");
	}
	o = (size_t)snprintf(var, sizeof(var), "%s",
			     r->mode != WEB_WATCHDOG ? "HTTP_" : "Http_");
	for (i = 0; name[i] && o + 1 < sizeof(var); i++) {
		char c = name[i];
		if (c == '-') {
			var[o++] = '_';
			up = 1;
			continue;
		}
		if (r->mode != WEB_WATCHDOG || up)
			var[o++] = (char)toupper((unsigned char)c);
		else
			var[o++] = (char)tolower((unsigned char)c);
		up = 0;
	}
	var[o] = '\0';
	return param(r, var);
}

void web_path_tail(const struct web_request *r, char last[64], char prev[64])
{
	const char *segs[2] = { "", "" };
	size_t lens[2] = { 0, 0 };
	const char *p = r->path;

	while (*p) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n) {
			segs[0] = segs[1];
			lens[0] = lens[1];
			segs[1] = p;
			lens[1] = n;
		}
		p += n;
	}
	snprintf(last, 64, "%.*s", (int)(lens[1] < 63 ? lens[1] : 63), segs[1]);
	snprintf(prev, 64, "%.*s", (int)(lens[0] < 63 ? lens[0] : 63), segs[0]);
}

void web_reply_init(struct web_reply *rep)
{
	rep->status = 500;
	rep->type = NULL;
	buf_init(&rep->body, WEB_BODY_MAX);
}

void web_reply_text(struct web_reply *rep, int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_reset(&rep->body);
	rep->status = status;
	rep->type = "text/plain; charset=utf-8";
	if (buf_puts(&rep->body, line) || buf_putc(&rep->body, '\n'))
		buf_reset(&rep->body);
}

void web_reply_json(struct web_reply *rep, int status, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);

	buf_reset(&rep->body);
	rep->status = status;
	rep->type = "application/json";
	if (!s || buf_puts(&rep->body, s) || buf_putc(&rep->body, '\n')) {
		rep->status = 500;
		rep->type = "text/plain; charset=utf-8";
		buf_reset(&rep->body);
		buf_puts(&rep->body, "response too large\n");
	}
	cJSON_free(s);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* The CGI reply's header block (Status, and the body's type and length). */
static void reply_head(char out[512], const struct web_reply *rep)
{
	size_t n = (size_t)snprintf(out, 512, "Status: %d %s\r\n", rep->status,
				    reason(rep->status));

	if (rep->type && rep->body.len && rep->status != 204 && n < 512)
		n += (size_t)snprintf(out + n, 512 - n, "Content-Type: %s\r\n"
				      "Content-Length: %zu\r\n", rep->type,
				      rep->body.len);
	if (n < 512)
		snprintf(out + n, 512 - n, "\r\n");
}

int web_reply_send(struct web_reply *rep, enum web_mode mode)
{
	char head[512];
	int ok = 1;

	/* never a truncated body: a failed one becomes a 500 */
	if (buf_failed(&rep->body))
		web_reply_text(rep, 500, "response too large");
	if (mode == WEB_CGI) {
		reply_head(head, rep);
		ok = fputs(head, stdout) >= 0;
	}
	if (rep->body.len && rep->status != 204)
		ok = ok && fwrite(rep->body.ptr, 1, rep->body.len, stdout) ==
			rep->body.len;
	ok = ok && fflush(stdout) == 0;
	if (!ok)
		return 1;
	return mode == WEB_WATCHDOG && rep->status >= 400 ? 1 : 0;
}

/* web_reply_send under CGI, to a FastCGI request's output stream. */
static int reply_send_fcgi(const struct web_reply *rep, FCGX_Request *fr)
{
	char head[512];
	int ok;

	reply_head(head, rep);
	ok = FCGX_PutS(head, fr->out) >= 0;
	if (rep->body.len && rep->status != 204)
		ok = ok && FCGX_PutStr(rep->body.ptr, (int)rep->body.len,
				       fr->out) == (int)rep->body.len;
	return ok && FCGX_FFlush(fr->out) == 0 ? 0 : 1;
}

static volatile sig_atomic_t fcgi_stop;

static void fcgi_on_stop(int sig)
{
	(void)sig;
	fcgi_stop = 1;
	FCGX_ShutdownPending();
}

int web_fastcgi_serve(web_handler_fn *handle, void *ctx)
{
	FCGX_Request fr;
	struct sigaction sa;
	int rc = 0;

	/*
	 * No SA_RESTART: a stop signal while libfcgi waits in accept()
	 * ends the wait, and FCGX_Accept_r returns -1 (shutdown pending).
	 */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fcgi_on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN; /* a client gone mid-reply is EPIPE, not death */
	sigaction(SIGPIPE, &sa, NULL);
	if (FCGX_Init() || FCGX_InitRequest(&fr, 0, 0)) {
		fprintf(stderr, "gitdial: cannot set up libfcgi\n");
		return 1;
	}
	while (!fcgi_stop) {
		struct web_request r;
		struct web_reply rep;
		int st;

		if (FCGX_Accept_r(&fr) < 0) {
			if (!fcgi_stop) {
				fprintf(stderr, "gitdial: FastCGI accept failed: "
					"%s\n", strerror(errno));
				rc = 1;
			}
			break;
		}
		web_reply_init(&rep);
		st = request_fill(&r, WEB_FASTCGI, &fr);
		handle(ctx, &r, st, &rep);
		if (reply_send_fcgi(&rep, &fr))
			fprintf(stderr, "gitdial: %s %s: the reply was not "
				"delivered (the client left?)\n", r.method, r.path);
		web_reply_release(&rep);
		web_request_release(&r);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return rc;
}

void web_reply_release(struct web_reply *rep)
{
	buf_release(&rep->body);
}
