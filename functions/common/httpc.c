/*
 * HTTP requests for the functions, through libcurl loaded on the first
 * one (curlx_load): a webhook delivered to a function running as CGI (a
 * process per request) almost never makes an HTTP request, so it does
 * not pay for loading libcurl; a dial pays the same as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curlx.h"
#include "err.h"
#include "httpc.h"
#include "banned.h"

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
	const struct curlx *cu = curlx_load(); /* loaded on the first request */

	memset(res, 0, sizeof(*res));
	buf_init(&res->body, HTTPC_BODY_MAX);
	res->retry_after_s = -1;
	res->fate = HTTPC_NOT_SENT;
	if (!cu) {
		snprintf(res->error, sizeof(res->error), "%s", gd_error_last());
		return GD_ERROR;
	}
	if (!(h = cu->easy_init())) {
		snprintf(res->error, sizeof(res->error), "cannot start libcurl");
		goto cleanup;
	}
	cu->easy_setopt(h, CURLOPT_URL, req->url);
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_USERAGENT, "gitdial/1");
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
	cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(h, CURLOPT_HEADERDATA, res);
	if (req->user) {
		cu->easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cu->easy_setopt(h, CURLOPT_USERNAME, req->user);
		cu->easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (req->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
		hdrs = cu->slist_append(hdrs, line);
	}
	if (req->header && !strchr(req->header, '\n') &&
	    !strchr(req->header, '\r'))
		hdrs = cu->slist_append(hdrs, req->header);
	hdrs = cu->slist_append(hdrs, "Accept: application/json");
	hdrs = cu->slist_append(hdrs, "Expect:");
	if (req->body) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 req->content_type ? req->content_type
			 : "application/octet-stream");
		hdrs = cu->slist_append(hdrs, line);
		cu->easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	}
	if (strcmp(req->method, req->body ? "POST" : "GET"))
		cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	cu->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	/* the secret lives in line only as long as the request needs it */
	memset(line, 0, sizeof(line));

	cc = cu->easy_perform(h);
	if (cc == CURLE_OK) {
		cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
		res->fate = HTTPC_ANSWERED;
		rc = 0;
		goto cleanup;
	}
	/*
	 * Whether the request left. Refused, unresolvable or a failed TLS
	 * handshake: it did not. A timeout before the transfer phase: it
	 * did not either. Anything else may have reached the provider.
	 */
	cu->easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
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
	snprintf(res->error, sizeof(res->error), "%s", cu->easy_strerror(cc));
	/* no URL in the message: some carry account ids */
	gd_error_set("%s request: %s", req->method, res->error);
cleanup:
	cu->slist_free_all(hdrs);
	if (h)
		cu->easy_cleanup(h);
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
