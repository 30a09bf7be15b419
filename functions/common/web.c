#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "web.h"
#include "banned.h"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v ? v : dflt;
}

enum web_mode web_mode_detect(void)
{
	if (getenv("GATEWAY_INTERFACE"))
		return WEB_CGI;
	if (getenv("Http_Method"))
		return WEB_WATCHDOG;
	return 0;
}

/* Reads exactly want bytes (or to EOF when want < 0) into b. */
static int read_body(struct buf *b, long long want)
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
		n = read(0, chunk, ask);
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

int web_request_read(struct web_request *r, enum web_mode mode)
{
	const char *cl, *script, *info;
	long long want = -1;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, FN_BODY_MAX);
	r->mode = mode;
	if (mode == WEB_WATCHDOG) {
		r->method = env_or("Http_Method", "");
		snprintf(r->path, sizeof(r->path), "%s", env_or("Http_Path", ""));
		r->query = env_or("Http_Query", "");
		r->content_type = env_or("Http_Content_Type", "");
		cl = getenv("Http_Content_Length");
	} else {
		r->method = env_or("REQUEST_METHOD", "");
		script = env_or("SCRIPT_NAME", "");
		info = env_or("PATH_INFO", "");
		if (*script || *info) {
			snprintf(r->path, sizeof(r->path), "%s%s", script, info);
		} else {
			const char *uri = env_or("REQUEST_URI", "");
			snprintf(r->path, sizeof(r->path), "%.*s",
				 (int)strcspn(uri, "?"), uri);
		}
		r->query = env_or("QUERY_STRING", "");
		r->content_type = env_or("CONTENT_TYPE", "");
		cl = getenv("CONTENT_LENGTH");
	}
	if (cl && *cl) {
		char *end;
		errno = 0;
		want = strtoll(cl, &end, 10);
		if (errno || *end || want < 0)
			return 400;
		if (want > (long long)FN_BODY_MAX)
			return 413;
	} else if (mode == WEB_CGI) {
		want = 0; /* CGI/1.1: no CONTENT_LENGTH, no body */
	}
	return read_body(&r->body, want);
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

	if (r->mode == WEB_CGI) {
		if (!strcasecmp(name, "Content-Type"))
			return getenv("CONTENT_TYPE");
		if (!strcasecmp(name, "Content-Length"))
			return getenv("CONTENT_LENGTH");
	}
	o = (size_t)snprintf(var, sizeof(var), "%s",
			     r->mode == WEB_CGI ? "HTTP_" : "Http_");
	for (i = 0; name[i] && o + 1 < sizeof(var); i++) {
		char c = name[i];
		if (c == '-') {
			var[o++] = '_';
			up = 1;
			continue;
		}
		if (r->mode == WEB_CGI || up)
			var[o++] = (char)toupper((unsigned char)c);
		else
			var[o++] = (char)tolower((unsigned char)c);
		up = 0;
	}
	var[o] = '\0';
	return getenv(var);
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
	buf_init(&rep->body, FN_BODY_MAX);
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

int web_reply_send(struct web_reply *rep, enum web_mode mode)
{
	int ok = 1;

	if (mode == WEB_CGI) {
		ok = printf("Status: %d %s\r\n", rep->status, reason(rep->status)) > 0;
		if (rep->type && rep->body.len && rep->status != 204)
			ok = ok && printf("Content-Type: %s\r\nContent-Length: %zu"
					  "\r\n", rep->type, rep->body.len) > 0;
		ok = ok && fputs("\r\n", stdout) >= 0;
	}
	if (rep->body.len && rep->status != 204)
		ok = ok && fwrite(rep->body.ptr, 1, rep->body.len, stdout) ==
			rep->body.len;
	ok = ok && fflush(stdout) == 0;
	if (!ok)
		return 1;
	return mode == WEB_WATCHDOG && rep->status >= 400 ? 1 : 0;
}

void web_reply_release(struct web_reply *rep)
{
	buf_release(&rep->body);
}
