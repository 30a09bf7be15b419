/*
 * libcurl is loaded on the first request (dlopen), not when the process
 * starts. Debian's libcurl brings about 30 shared libraries (GnuTLS,
 * Kerberos, LDAP, libssh2, ...), and relocating them is most of what a
 * function costs to start: measured here ≈ 14 ms of CPU per exec against
 * ≈ 2 ms for a binary without it. A webhook delivered to a function
 * running as CGI (a process per request) almost never makes an HTTP
 * request, so it should not pay for one; a dial pays the same as before.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "httpc.h"
#include "banned.h"

/* the soname of libcurl's ABI 4, the one <curl/curl.h> describes */
#define HTTPC_LIBCURL "libcurl.so.4"

/* the libcurl entry points used here, typed by <curl/curl.h> itself */
static struct {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
} cu;

/* What httpc_load_once found: 1 loaded, -1 failed (why says what). */
static int load_state;
static char load_why[200];

/*
 * Loads libcurl and runs curl_global_init: run once per process, by
 * pthread_once, so a batch's threads (fn.c) never race on it and no
 * thread calls into libcurl before curl_global_init has returned. The
 * handle is kept for the life of the process (curl_global_cleanup is
 * never needed by a short-lived function).
 */
static void httpc_load_once(void)
{
	void *h;

	load_state = -1;
	if (!(h = dlopen(HTTPC_LIBCURL, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(load_why, sizeof(load_why), "cannot load %s: %s",
			 HTTPC_LIBCURL, dlerror());
		return;
	}
#define SYM(field, name) \
	if (!(*(void **)&cu.field = dlsym(h, name))) { \
		snprintf(load_why, sizeof(load_why), "%s has no %s", \
			 HTTPC_LIBCURL, name); \
		return; \
	}
	SYM(global_init, "curl_global_init")
	SYM(easy_init, "curl_easy_init")
	SYM(easy_setopt, "curl_easy_setopt")
	SYM(easy_perform, "curl_easy_perform")
	SYM(easy_getinfo, "curl_easy_getinfo")
	SYM(easy_strerror, "curl_easy_strerror")
	SYM(easy_cleanup, "curl_easy_cleanup")
	SYM(slist_append, "curl_slist_append")
	SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
	if (cu.global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(load_why, sizeof(load_why), "cannot start libcurl");
		return;
	}
	load_state = 1;
}

/*
 * libcurl, loaded on the first call from any thread. Returns 0, or an
 * error (in the calling thread's gd_error) naming what is missing.
 */
static int httpc_load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, httpc_load_once);
	return load_state > 0 ? 0 : gd_error_set("%s", load_why);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	/* past the cap curl aborts the transfer (CURLE_WRITE_ERROR) */
	return buf_put(b, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct httpc_response *res = ud;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		char v[32];
		size_t k = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
		char *end;
		long s;
		memcpy(v, p + 12, k);
		v[k] = '\0';
		s = strtol(v, &end, 10);
		if (end != v && s >= 0)
			res->retry_after_s = s;
	}
	return len;
}

static long timeout_default(void)
{
	const char *v = getenv("GITDIAL_HTTP_TIMEOUT_MS");
	long t;

	if (v && (t = strtol(v, NULL, 10)) > 0 && t <= 600000)
		return t;
	return HTTPC_TIMEOUT_MS;
}

int httpc_perform(struct httpc_response *res, const struct httpc_request *req)
{
	struct curl_slist *hdrs = NULL;
	char line[4200];
	curl_off_t pre = 0;
	CURLcode cc;
	CURL *h = NULL;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : timeout_default();
	int rc = GD_ERROR;

	memset(res, 0, sizeof(*res));
	buf_init(&res->body, HTTPC_BODY_MAX);
	res->retry_after_s = -1;
	res->fate = HTTPC_NOT_SENT;
	if (httpc_load()) {
		snprintf(res->error, sizeof(res->error), "%s", gd_error_last());
		return GD_ERROR;
	}
	if (!(h = cu.easy_init())) {
		snprintf(res->error, sizeof(res->error), "cannot start libcurl");
		goto cleanup;
	}
	cu.easy_setopt(h, CURLOPT_URL, req->url);
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
	cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(h, CURLOPT_USERAGENT, "gitdial/1");
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
	cu.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	cu.easy_setopt(h, CURLOPT_HEADERDATA, res);
	if (req->user) {
		cu.easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cu.easy_setopt(h, CURLOPT_USERNAME, req->user);
		cu.easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (req->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
		hdrs = cu.slist_append(hdrs, line);
	}
	if (req->header && !strchr(req->header, '\n') &&
	    !strchr(req->header, '\r'))
		hdrs = cu.slist_append(hdrs, req->header);
	hdrs = cu.slist_append(hdrs, "Accept: application/json");
	hdrs = cu.slist_append(hdrs, "Expect:");
	if (req->body) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 req->content_type ? req->content_type
			 : "application/octet-stream");
		hdrs = cu.slist_append(hdrs, line);
		cu.easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		cu.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	}
	if (strcmp(req->method, req->body ? "POST" : "GET"))
		cu.easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	/* the secret lives in line only as long as the request needs it */
	memset(line, 0, sizeof(line));

	cc = cu.easy_perform(h);
	if (cc == CURLE_OK) {
		cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
		res->fate = HTTPC_ANSWERED;
		rc = 0;
		goto cleanup;
	}
	/*
	 * Whether the request left. Refused, unresolvable or a failed TLS
	 * handshake: it did not. A timeout before the transfer phase: it
	 * did not either. Anything else may have reached the provider.
	 */
	cu.easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		res->fate = HTTPC_NOT_SENT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		res->fate = pre > 0 ? HTTPC_NO_RESPONSE : HTTPC_NOT_SENT;
		break;
	default:
		res->fate = HTTPC_NO_RESPONSE;
	}
	snprintf(res->error, sizeof(res->error), "%s", cu.easy_strerror(cc));
	/* no URL in the message: some carry account ids */
	gd_error_set("%s request: %s", req->method, res->error);
cleanup:
	cu.slist_free_all(hdrs);
	if (h)
		cu.easy_cleanup(h);
	return rc;
}

void httpc_response_release(struct httpc_response *res)
{
	buf_release(&res->body);
}

int httpc_json(struct httpc_response *res, const char *method,
	       const char *base, const char *path, const char *bearer,
	       const cJSON *body)
{
	struct buf url = BUF_INIT(8192);
	struct httpc_request rq;
	char *json = NULL;
	int rc;

	memset(&rq, 0, sizeof(rq));
	if (buf_printf(&url, "%s%s", base, path) ||
	    (body && !(json = cJSON_PrintUnformatted(body)))) {
		memset(res, 0, sizeof(*res));
		buf_init(&res->body, HTTPC_BODY_MAX);
		res->fate = HTTPC_NOT_SENT;
		snprintf(res->error, sizeof(res->error), "request too large");
		buf_release(&url);
		return GD_ERROR;
	}
	rq.method = method;
	rq.url = url.ptr;
	rq.bearer = bearer;
	if (json) {
		rq.content_type = "application/json";
		rq.body = json;
		rq.len = strlen(json);
	}
	rc = httpc_perform(res, &rq);
	cJSON_free(json);
	buf_release(&url);
	return rc;
}
