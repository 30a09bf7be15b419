#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "spool.h"
#include "util.h"
#include "banned.h"

cJSON *fn_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

cJSON *fn_fail(const char *kind, const char *code, const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject(), *e;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddBoolToObject(o, "ok", 0);
	e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "code", code ? code : "");
	cJSON_AddStringToObject(e, "message", msg);
	return o;
}

const char *fn_str(const cJSON *obj, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

int fn_secret(char *out, size_t n, const char *ref)
{
	struct buf b = BUF_INIT(64 * 1024);
	const char *v;

	if (!ref || !n)
		return -1;
	if (!strncmp(ref, "env:", 4)) {
		if (!(v = getenv(ref + 4)) || strlen(v) >= n)
			return -1;
		snprintf(out, n, "%s", v);
		return 0;
	}
	if (!strncmp(ref, "file:", 5)) {
		if (file_read(&b, ref + 5, b.max) || b.len >= n) {
			buf_release(&b);
			return -1;
		}
		while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
			b.ptr[--b.len] = '\0';
		snprintf(out, n, "%s", b.ptr);
		buf_release(&b);
		return 0;
	}
	return -1;
}

int fn_spool(const cJSON *event)
{
	const char *dir = getenv("GITDIAL_SPOOL");
	char *s;
	int rc;

	if (!dir || !*dir)
		return gd_error_set("GITDIAL_SPOOL is not set");
	if (!(s = cJSON_PrintUnformatted(event)))
		return gd_error_set("out of memory");
	rc = spool_write(dir, s, strlen(s));
	cJSON_free(s);
	return rc;
}

static int read_stdin(struct buf *b)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (buf_put(b, chunk, (size_t)n))
			return -2;
	}
	return buf_put(b, "", 0);
}

static int respond(cJSON *resp)
{
	char *s = cJSON_PrintUnformatted(resp);
	int ok = s && printf("%s\n", s) > 0 && fflush(stdout) == 0;

	cJSON_free(s);
	cJSON_Delete(resp);
	return ok ? 0 : 1;
}

int fn_main(const struct fn_def *def, int argc, char **argv)
{
	struct buf in = BUF_INIT(FN_BODY_MAX);
	const char *action, *want;
	cJSON *req = NULL, *resp;
	int rc;

	if (getenv("GATEWAY_INTERFACE")) {
		/* CGI: webhooks arrive with issue 4's providers */
		printf("Status: 501 Not Implemented\r\nContent-Type: text/plain\r\n\r\n"
		       "gitdial-%s has no webhook handler\n", def->provider);
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: gitdial-%s dial|status|hangup < request.json\n",
			def->provider);
		return argc < 2 ? 2 : 0;
	}
	action = argv[1];
	if (strcmp(action, "dial") && strcmp(action, "status") &&
	    strcmp(action, "hangup")) {
		fprintf(stderr, "gitdial-%s: unknown action '%s'\n", def->provider,
			action);
		return 2;
	}
	rc = read_stdin(&in);
	if (rc == -2) {
		fprintf(stderr, "gitdial-%s: request larger than %u bytes\n",
			def->provider, FN_BODY_MAX);
		buf_release(&in);
		return 2;
	}
	req = rc ? NULL : cJSON_Parse(in.ptr);
	buf_release(&in);
	if (!cJSON_IsObject(req)) {
		fprintf(stderr, "gitdial-%s: the request on stdin is not a JSON object\n",
			def->provider);
		cJSON_Delete(req);
		return 2;
	}
	want = fn_str(req, "action");
	if (want && strcmp(want, action)) {
		fprintf(stderr, "gitdial-%s: request says action \"%s\", "
			"command line says \"%s\"\n", def->provider, want, action);
		cJSON_Delete(req);
		return 2;
	}
	if (!strcmp(action, "dial"))
		resp = def->dial(req);
	else if (!strcmp(action, "status"))
		resp = def->status(req);
	else
		resp = def->hangup(req);
	cJSON_Delete(req);
	return respond(resp);
}
