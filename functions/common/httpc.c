#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
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
	static int inited;
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
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			snprintf(res->error, sizeof(res->error), "cannot start libcurl");
			return gd_error_set("%s", res->error);
		}
		inited = 1;
	}
	if (!(h = curl_easy_init())) {
		snprintf(res->error, sizeof(res->error), "cannot start libcurl");
		goto cleanup;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "gitdial/1");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, res);
	if (req->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (req->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (req->header && !strchr(req->header, '\n') &&
	    !strchr(req->header, '\r'))
		hdrs = curl_slist_append(hdrs, req->header);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (req->body) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 req->content_type ? req->content_type
			 : "application/octet-stream");
		hdrs = curl_slist_append(hdrs, line);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	}
	if (strcmp(req->method, req->body ? "POST" : "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	/* the secret lives in line only as long as the request needs it */
	memset(line, 0, sizeof(line));

	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
		res->fate = HTTPC_ANSWERED;
		rc = 0;
		goto cleanup;
	}
	/*
	 * Whether the request left. Refused, unresolvable or a failed TLS
	 * handshake: it did not. A timeout before the transfer phase: it
	 * did not either. Anything else may have reached the provider.
	 */
	curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
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
	snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(cc));
	/* no URL in the message: some carry account ids */
	gd_error_set("%s request: %s", req->method, res->error);
cleanup:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

void httpc_response_release(struct httpc_response *res)
{
	buf_release(&res->body);
}
