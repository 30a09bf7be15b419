#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "agent.h"
#include "fn.h"
#include "hook.h"
#include "phone.h"
#include "sig.h"
#include "spool.h"
#include "trust.h"
#include "util.h"
#include "web.h"
#include "banned.h"

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

static int is_rfc3339(const cJSON *v)
{
	time_t t;

	return cJSON_IsString(v) && !time_parse_rfc3339(&t, v->valuestring);
}

static int is_str_or_null(const cJSON *v)
{
	return !v || cJSON_IsString(v) || cJSON_IsNull(v);
}

static int is_secret_ref(const char *s)
{
	return s && ((!strncmp(s, "env:", 4) && s[4]) ||
		     (!strncmp(s, "file:", 5) && s[5]));
}

cJSON *fn_request_check(const cJSON *req, const char *provider,
			const char *action)
{
	static const char *const providers_ok[] = { "twilio", "telnyx", "sip",
		"whatsapp", "sim", NULL };
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "v");
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *x, *creds;
	const char *s;
	int dial = !strcmp(action, "dial"), status = !strcmp(action, "status");
	size_t i;

	if (v && !(cJSON_IsNumber(v) && v->valuedouble == 1))
		return fn_fail("rejected", "bad_request", "request \"v\" must be 1");
	if ((s = fn_str(req, "action")) && strcmp(s, action))
		return fn_fail("rejected", "bad_request", "request action \"%s\" "
			       "is not \"%s\"", s, action);
	if (!cJSON_IsObject(acct))
		return fn_fail("rejected", "bad_request", "request has no account");
	if (!account_name_valid(fn_str(acct, "name")))
		return fn_fail("rejected", "bad_request", "account.name is missing "
			       "or not [A-Za-z0-9_-]{1,64}");
	s = fn_str(acct, "provider");
	for (i = 0; s && providers_ok[i] && strcmp(s, providers_ok[i]); i++)
		;
	if (!s || !providers_ok[i] || (provider && strcmp(s, provider)))
		return fn_fail("rejected", "bad_request", "account \"%s\" is not a "
			       "%s account", fn_str(acct, "name"), provider);
	creds = cJSON_GetObjectItemCaseSensitive(acct, "credentials");
	if (creds && !cJSON_IsObject(creds))
		return fn_fail("rejected", "bad_request", "account.credentials "
			       "must be an object");
	cJSON_ArrayForEach(x, creds) {
		int literal_ok = !strcmp(x->string, "connection_id") ||
			!strcmp(x->string, "phone_number_id");
		if (!cJSON_IsString(x) ||
		    (!literal_ok && !is_secret_ref(x->valuestring)))
			return fn_fail("rejected", "bad_request", "credentials.%s "
				       "must be an env: or file: reference",
				       x->string);
	}
	x = cJSON_GetObjectItemCaseSensitive(acct, "api_base");
	if (x && !(cJSON_IsString(x) && (!strncmp(x->valuestring, "http://", 7) ||
					 !strncmp(x->valuestring, "https://", 8))))
		return fn_fail("rejected", "bad_request", "account.api_base must "
			       "be an http(s) URL");
	if ((dial || status) && !is_rfc3339(cJSON_GetObjectItemCaseSensitive(req, "now")))
		return fn_fail("rejected", "bad_request", "request \"now\" must be "
			       "an RFC 3339 time");
	x = cJSON_GetObjectItemCaseSensitive(req, "attempt_id");
	if ((dial || status || x) && !(cJSON_IsString(x) &&
				       attempt_id_valid(x->valuestring)))
		return fn_fail("rejected", "bad_request", "attempt_id is missing or "
			       "not <campaign>.<row>.<attempt>");
	x = cJSON_GetObjectItemCaseSensitive(req, "campaign");
	if ((dial || x) && !(cJSON_IsString(x) && id_valid(x->valuestring)))
		return fn_fail("rejected", "bad_request", "campaign is missing or "
			       "not a campaign id");
	x = cJSON_GetObjectItemCaseSensitive(req, "to");
	if ((dial || x) && !(cJSON_IsString(x) && phone_is_e164(x->valuestring)))
		return fn_fail("invalid_number", "bad_request", "\"to\" is not an "
			       "E.164 number");
	x = cJSON_GetObjectItemCaseSensitive(req, "from");
	if ((dial || x) && !(cJSON_IsString(x) && phone_is_e164(x->valuestring)))
		return fn_fail("rejected", "bad_request", "\"from\" is not an "
			       "E.164 number");
	x = cJSON_GetObjectItemCaseSensitive(req, "call_id");
	if (!strcmp(action, "hangup") ? !(cJSON_IsString(x) && *x->valuestring)
	    : !is_str_or_null(x))
		return fn_fail("rejected", "bad_request", "call_id must be a string");
	x = cJSON_GetObjectItemCaseSensitive(req, "voicemail_message");
	if (x && !cJSON_IsString(x))
		return fn_fail("rejected", "bad_request", "voicemail_message must "
			       "be a string");
	if (!is_str_or_null(cJSON_GetObjectItemCaseSensitive(req, "webhook_url")) ||
	    !is_str_or_null(cJSON_GetObjectItemCaseSensitive(req, "disclosure")))
		return fn_fail("rejected", "bad_request", "webhook_url and "
			       "disclosure must be strings or null");
	x = cJSON_GetObjectItemCaseSensitive(req, "dispatched_at");
	if (x && !is_rfc3339(x))
		return fn_fail("rejected", "bad_request", "dispatched_at must be an "
			       "RFC 3339 time");
	if ((s = fn_str(req, "voicemail")) && strcmp(s, "leave_message") &&
	    strcmp(s, "hang_up"))
		return fn_fail("rejected", "bad_request", "voicemail must be "
			       "leave_message or hang_up");
	x = cJSON_GetObjectItemCaseSensitive(req, "ring_timeout_s");
	if (x && !(cJSON_IsNumber(x) && x->valuedouble >= 1 &&
		   x->valuedouble == (double)(long)x->valuedouble))
		return fn_fail("rejected", "bad_request", "ring_timeout_s must be "
			       "a positive integer");
	x = cJSON_GetObjectItemCaseSensitive(req, "script");
	if (x && (!cJSON_IsObject(x) ||
		  !is_str_or_null(cJSON_GetObjectItemCaseSensitive(x, "text"))))
		return fn_fail("rejected", "bad_request", "script must be an object "
			       "with a text string");
	x = cJSON_GetObjectItemCaseSensitive(req, "variables");
	if (x) {
		const cJSON *y;
		if (!cJSON_IsObject(x))
			return fn_fail("rejected", "bad_request", "variables must "
				       "be an object");
		cJSON_ArrayForEach(y, x)
			if (!cJSON_IsString(y))
				return fn_fail("rejected", "bad_request",
					       "variables.%s must be a string",
					       y->string);
	}
	return NULL;
}

static cJSON *run_action(const struct fn_def *def, const char *action,
			 const cJSON *req, int check)
{
	cJSON *bad = check ? fn_request_check(req, def->provider, action) : NULL;

	if (bad)
		return bad;
	if (!strcmp(action, "dial"))
		return def->dial(req);
	if (!strcmp(action, "status"))
		return def->status(req);
	return def->hangup(req);
}

/*
 * Records nonce (already checked: hex) as seen at ts under
 * $GITDIAL_SPOOL/.fn/<ts / window>/; a nonce seen before is a replay.
 * Buckets older than two windows are removed first, so the store holds
 * what a replay could still use and no more. Returns 0, GD_ECONFLICT for
 * a replay, or GD_ERROR.
 */
static int nonce_record(const char *nonce, long long ts, time_t now)
{
	const char *spool = getenv("GITDIAL_SPOOL");
	long long bucket = ts / TRUST_FN_WINDOW, oldest;
	char dir[4200], path[4300], f[4400];
	struct dirent *e, *g;
	DIR *d, *in;
	int fd;

	if (!spool || !*spool)
		return gd_error_set("GITDIAL_SPOOL is not set");
	oldest = (long long)now / TRUST_FN_WINDOW - 2;
	snprintf(dir, sizeof(dir), "%s/.fn", spool);
	if ((d = opendir(dir))) {
		while ((e = readdir(d))) {
			char *end;
			long long b = strtoll(e->d_name, &end, 10);
			if (e->d_name[0] == '.' || *end || b >= oldest)
				continue;
			if (str_fmt(path, sizeof(path), "%s/%s", dir, e->d_name))
				continue;
			if ((in = opendir(path))) {
				while ((g = readdir(in)))
					if (g->d_name[0] != '.' &&
					    !str_fmt(f, sizeof(f), "%s/%s",
						     path, g->d_name))
						unlink(f);
				closedir(in);
			}
			rmdir(path);
		}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/%lld", dir, bucket);
	if (dir_create(path))
		return GD_ERROR;
	snprintf(f, sizeof(f), "%s/%s", path, nonce);
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? GD_ECONFLICT
			: gd_error_set("'%s': %s", f, strerror(errno));
	close(fd);
	return 0;
}

/*
 * Checks a /fn request's signature headers (trust.h): 0, or the HTTP
 * status of the refusal with its reason in rep.
 */
static int fn_auth(const struct web_request *r, const char *secret,
		   struct web_reply *rep)
{
	const char *ts = web_header(r, "X-Gitdial-Timestamp");
	const char *nonce = web_header(r, "X-Gitdial-Nonce");
	const char *sig = web_header(r, "X-Gitdial-Signature");
	time_t now = time(NULL); /* transport freshness: the real clock */
	char want[65];
	long long t = 0;
	size_t i;
	int rc;

	if (!sig || !ts || !nonce) {
		web_reply_text(rep, 401, "a signed request needs X-Gitdial-"
			       "Signature, X-Gitdial-Timestamp and X-Gitdial-Nonce");
		return 401;
	}
	for (i = 0; ts[i] && i < 12; i++)
		if (ts[i] < '0' || ts[i] > '9')
			break;
	if (!i || ts[i]) {
		web_reply_text(rep, 400, "X-Gitdial-Timestamp is not Unix seconds");
		return 400;
	}
	t = strtoll(ts, NULL, 10);
	i = strspn(nonce, "0123456789abcdefABCDEF");
	if (i < 16 || i > 64 || nonce[i]) {
		web_reply_text(rep, 400, "X-Gitdial-Nonce is not 16-64 hex digits");
		return 400;
	}
	if (strncmp(sig, "sha256=", 7) ||
	    trust_fn_sign(want, secret, ts, nonce, r->body.ptr ? r->body.ptr : "",
			  r->body.len) || !ct_streq(want, sig + 7)) {
		web_reply_text(rep, 403, "wrong signature");
		return 403;
	}
	if (t < (long long)now - TRUST_FN_WINDOW ||
	    t > (long long)now + TRUST_FN_WINDOW) {
		web_reply_text(rep, 403, "stale request: signed at %lld, more than "
			       "%d s from this host's clock", t, TRUST_FN_WINDOW);
		return 403;
	}
	if ((rc = nonce_record(nonce, t, now))) {
		if (rc == GD_ECONFLICT)
			web_reply_text(rep, 403, "replayed request: the nonce was "
				       "used before");
		else
			web_reply_text(rep, 500, "cannot record the nonce: %s",
				       gd_error_last());
		return rc == GD_ECONFLICT ? 403 : 500;
	}
	return 0;
}

/*
 * The request's account and agent replaced by this host's: a remote
 * function acts only with the settings and references of its own
 * gitdial.json, never ones a caller sends. 0, or the HTTP status with the
 * reason in rep.
 */
static int use_host_config(cJSON *req, const char *provider,
			   struct web_reply *rep)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *name = fn_str(acct, "name");
	const cJSON *mine, *agent;
	cJSON *cfg = NULL, *copy;
	int st = 0;

	if (!account_name_valid(name)) {
		web_reply_text(rep, 400, "the request names no account");
		return 400;
	}
	if (hook_config_load(&cfg)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		return 500;
	}
	mine = hook_account(cfg, name);
	if (!mine || !fn_str(mine, "provider") ||
	    strcmp(fn_str(mine, "provider"), provider)) {
		web_reply_text(rep, 404, "no %s account \"%s\" in this host's "
			       "gitdial.json", provider, name);
		st = 404;
		goto cleanup;
	}
	copy = cJSON_Duplicate(mine, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "name");
	cJSON_AddStringToObject(copy, "name", name);
	cJSON_ReplaceItemInObjectCaseSensitive(req, "account", copy);
	cJSON_DeleteItemFromObjectCaseSensitive(req, "agent");
	agent = cJSON_GetObjectItemCaseSensitive(cfg, "agent");
	if (cJSON_IsObject(agent))
		cJSON_AddItemToObject(req, "agent", cJSON_Duplicate(agent, 1));
cleanup:
	cJSON_Delete(cfg);
	return st;
}

/* POST .../fn: an action over HTTP for a runner using a remote function. */
static void serve_action(const struct fn_def *def, const struct web_request *r,
			 struct web_reply *rep)
{
	const char *ref = getenv("GITDIAL_FUNCTION_SECRET");
	char secret[HOOK_SECRET_MAX];
	const char *action;
	cJSON *req = NULL, *resp = NULL;

	secret[0] = '\0';
	if (strcmp(r->method, "POST")) {
		web_reply_text(rep, 405, "POST the request JSON");
		goto cleanup;
	}
	if (!is_secret_ref(ref) || secret_resolve(secret, sizeof(secret), ref) ||
	    !secret[0]) {
		web_reply_text(rep, 403, "remote calls are not enabled: "
			       "GITDIAL_FUNCTION_SECRET names no secret");
		goto cleanup;
	}
	if (fn_auth(r, secret, rep))
		goto cleanup;
	req = cJSON_ParseWithLength(r->body.ptr ? r->body.ptr : "", r->body.len);
	action = fn_str(req, "action");
	if (!cJSON_IsObject(req) || !action ||
	    (strcmp(action, "dial") && strcmp(action, "status") &&
	     strcmp(action, "hangup"))) {
		web_reply_text(rep, 400, "the body is not a request with an "
			       "action dial, status or hangup");
		goto cleanup;
	}
	if (use_host_config(req, def->provider, rep))
		goto cleanup;
	resp = run_action(def, action, req, 1);
	web_reply_json(rep, 200, resp);
cleanup:
	explicit_bzero(secret, sizeof(secret));
	cJSON_Delete(req);
	cJSON_Delete(resp);
}

struct web_ctx {
	const struct fn_def *def;
	const struct fn_web *web;
};

/*
 * Routes one request to its handler and sets rep; st is web_request_read's
 * result (413, 400: answered without a handler). Refusals are logged to
 * stderr (the server's error log).
 */
static void route(void *ctx, const struct web_request *r, int st,
		  struct web_reply *rep)
{
	const struct fn_def *def = ((const struct web_ctx *)ctx)->def;
	const struct fn_web *web = ((const struct web_ctx *)ctx)->web;
	char last[64], prev[64];

	if (st) {
		web_reply_text(rep, st, st == 413 ? "body larger than %u bytes"
			       : "cannot read the request body", FN_BODY_MAX);
		goto log;
	}
	web_path_tail(r, last, prev);
	if (!strcmp(last, "fn")) {
		if (*prev && strcmp(prev, def->provider))
			web_reply_text(rep, 404, "this is gitdial-%s, not %s",
				       def->provider, prev);
		else
			serve_action(def, r, rep);
	} else if (!strcmp(last, "agent")) {
		agent_webhook(r, rep);
	} else if (web && web->webhook) {
		if (strcmp(last, def->provider) &&
		    (!strcmp(last, "twilio") || !strcmp(last, "telnyx") ||
		     !strcmp(last, "whatsapp") || !strcmp(last, "sip")))
			web_reply_text(rep, 404, "this is gitdial-%s, not %s",
				       def->provider, last);
		else
			web->webhook(r, rep);
	} else {
		web_reply_text(rep, 501, "gitdial-%s has no webhook handler",
			       def->provider);
	}
log:
	if (rep->status >= 400)
		fprintf(stderr, "gitdial-%s: %s %s: %d %s", def->provider,
			r->method ? r->method : "", r->path, rep->status,
			rep->body.ptr ? rep->body.ptr : "\n");
}

/*
 * Serves the web: one request (CGI, a watchdog), or, under FastCGI,
 * every request the server sends until it stops us.
 */
static int serve_web(const struct fn_def *def, const struct fn_web *web,
		     enum web_mode mode)
{
	struct web_ctx ctx = { def, web };
	struct web_request r;
	struct web_reply rep;
	int st, code;

	if (mode == WEB_FASTCGI)
		return web_fastcgi_serve(route, &ctx);
	web_reply_init(&rep);
	st = web_request_read(&r, mode);
	route(&ctx, &r, st, &rep);
	code = web_reply_send(&rep, mode);
	web_reply_release(&rep);
	web_request_release(&r);
	return code;
}

/*
 * --batch: the runner's way (one process for many calls). Lines
 * SEQ<TAB>JSON on stdin; for each, one line SEQ<TAB>JSON on stdout when
 * its handler returns, so in the order they finish. Up to parallel
 * handlers run at once, each on a worker thread (started as needed);
 * with parallel 1 (or a serial fn_def) the main thread runs them one
 * after another and no thread is started.
 */
struct batch_job {
	struct batch_job *next;
	char seq[FN_BATCH_SEQ_MAX + 1];
	cJSON *req; /* the job's */
};

struct batch {
	const struct fn_def *def;
	const char *action;
	int check, parallel;
	pthread_mutex_t mu;   /* guards the queue, the counts, workers[] */
	pthread_cond_t work;  /* a job was queued, or eof */
	pthread_cond_t room;  /* a job is done */
	struct batch_job *head, **tail;
	int running;          /* jobs queued or being handled */
	int eof;
	pthread_t *workers;
	int n_workers;
	pthread_mutex_t out;  /* one response line at a time on stdout */
	int write_failed;
};

/* Writes one response line; frees resp. Any thread. */
static void batch_reply(struct batch *b, const char *seq, cJSON *resp)
{
	char *s = cJSON_PrintUnformatted(resp);
	struct buf line = BUF_INIT((size_t)-1);
	size_t off = 0;

	cJSON_Delete(resp);
	if (!s || buf_printf(&line, "%s\t%s\n", seq, s)) {
		fprintf(stderr, "gitdial-%s: out of memory answering %s\n",
			b->def->provider, seq);
		goto cleanup;
	}
	pthread_mutex_lock(&b->out);
	while (off < line.len) {
		ssize_t w = write(1, line.ptr + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			b->write_failed = 1;
			break;
		}
		off += (size_t)w;
	}
	pthread_mutex_unlock(&b->out);
cleanup:
	cJSON_free(s);
	buf_release(&line);
}

static void batch_handle(struct batch *b, struct batch_job *j)
{
	batch_reply(b, j->seq, run_action(b->def, b->action, j->req, b->check));
	cJSON_Delete(j->req);
	free(j);
}

static void *batch_worker(void *arg)
{
	struct batch *b = arg;
	struct batch_job *j;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->head && !b->eof)
			pthread_cond_wait(&b->work, &b->mu);
		if (!(j = b->head))
			break; /* eof, and nothing left */
		if (!(b->head = j->next))
			b->tail = &b->head;
		pthread_mutex_unlock(&b->mu);
		batch_handle(b, j);
		pthread_mutex_lock(&b->mu);
		b->running--;
		pthread_cond_signal(&b->room);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/*
 * Hands j to a worker, first waiting until fewer than parallel run; a
 * worker is started while there are fewer workers than jobs. With
 * parallel 1, or when no thread can be started at all, runs j here.
 */
static void batch_submit(struct batch *b, struct batch_job *j)
{
	if (b->parallel == 1) {
		batch_handle(b, j);
		return;
	}
	pthread_mutex_lock(&b->mu);
	while (b->running >= b->parallel)
		pthread_cond_wait(&b->room, &b->mu);
	if (b->n_workers <= b->running &&
	    !pthread_create(&b->workers[b->n_workers], NULL, batch_worker, b))
		b->n_workers++;
	if (!b->n_workers) {
		pthread_mutex_unlock(&b->mu);
		batch_handle(b, j);
		return;
	}
	j->next = NULL;
	*b->tail = j;
	b->tail = &j->next;
	b->running++;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->mu);
}

/* The SEQ at the start of p (digits, then a TAB) into seq; its length, or 0. */
static size_t batch_seq(char *seq, const char *p, size_t len)
{
	size_t k = 0;

	while (k < len && k < FN_BATCH_SEQ_MAX && p[k] >= '0' && p[k] <= '9')
		k++;
	if (!k || k >= len || p[k] != '\t')
		return 0;
	memcpy(seq, p, k);
	seq[k] = '\0';
	return k;
}

/* One whole line (without its newline). */
static void batch_line(struct batch *b, const char *p, size_t len)
{
	char seq[FN_BATCH_SEQ_MAX + 1];
	struct batch_job *j;
	const char *want;
	size_t k;
	cJSON *req;

	if (!len)
		return;
	if (!(k = batch_seq(seq, p, len))) {
		fprintf(stderr, "gitdial-%s: batch line without SEQ<TAB> (%zu "
			"bytes): skipped\n", b->def->provider, len);
		return;
	}
	req = cJSON_ParseWithLength(p + k + 1, len - k - 1);
	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		batch_reply(b, seq, fn_fail("rejected", "bad_request", "the request "
					   "is not a JSON object on one line"));
		return;
	}
	if ((want = fn_str(req, "action")) && strcmp(want, b->action)) {
		batch_reply(b, seq, fn_fail("rejected", "bad_request", "the request "
					   "says action \"%s\", the batch is \"%s\"",
					   want, b->action));
		cJSON_Delete(req);
		return;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		cJSON_Delete(req);
		batch_reply(b, seq, fn_fail("transient", "internal", "out of memory"));
		return;
	}
	memcpy(j->seq, seq, sizeof(seq));
	j->req = req;
	batch_submit(b, j);
}

/* A line longer than the cap, of which p holds the first len bytes. */
static void batch_too_long(struct batch *b, const char *p, size_t len)
{
	char seq[FN_BATCH_SEQ_MAX + 1];

	if (batch_seq(seq, p, len))
		batch_reply(b, seq, fn_fail("rejected", "too_large", "request "
					   "larger than %u bytes", FN_BODY_MAX));
	else
		fprintf(stderr, "gitdial-%s: batch line over %u bytes without "
			"SEQ<TAB>: skipped\n", b->def->provider, FN_BODY_MAX);
}

/*
 * Reads stdin to its end, line by line into a buffer of at most one
 * request (a longer line is answered with an error and skipped, never
 * held whole); returns 0 at EOF, -1 on a read error.
 */
static int batch_read(struct batch *b)
{
	const size_t cap = FN_BODY_MAX + FN_BATCH_SEQ_MAX + 2;
	char *in = malloc(cap), *nl;
	size_t len = 0, start;
	int skipping = 0, rc = 0;
	ssize_t n;

	if (!in) {
		fprintf(stderr, "gitdial-%s: out of memory\n", b->def->provider);
		return -1;
	}
	for (;;) {
		n = read(0, in + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				fprintf(stderr, "gitdial-%s: cannot read stdin: %s\n",
					b->def->provider, strerror(errno));
				rc = -1;
			} else if (len && !skipping) {
				batch_line(b, in, len); /* no newline at the end */
			}
			break;
		}
		len += (size_t)n;
		start = 0;
		while ((nl = memchr(in + start, '\n', len - start))) {
			if (skipping)
				skipping = 0;
			else
				batch_line(b, in + start, (size_t)(nl - in) - start);
			start = (size_t)(nl - in) + 1;
		}
		memmove(in, in + start, len - start);
		len -= start;
		if (len == cap) {
			if (!skipping)
				batch_too_long(b, in, len);
			skipping = 1;
			len = 0;
		}
	}
	free(in);
	return rc;
}

/*
 * Runs `ACTION --batch`: answers every request line, then, at EOF,
 * waits for the ones still running. Returns the exit code: 0, or 1 when
 * stdin could not be read or a response could not be written.
 */
static int fn_batch(const struct fn_def *def, const char *action, int check,
		    int parallel)
{
	struct batch b;
	int rc, k;

	memset(&b, 0, sizeof(b));
	b.def = def;
	b.action = action;
	b.check = check;
	b.parallel = def->serial ? 1 : parallel;
	b.tail = &b.head;
	pthread_mutex_init(&b.mu, NULL);
	pthread_mutex_init(&b.out, NULL);
	pthread_cond_init(&b.work, NULL);
	pthread_cond_init(&b.room, NULL);
	if (b.parallel > 1 && !(b.workers = calloc((size_t)b.parallel,
						   sizeof(*b.workers))))
		b.parallel = 1;
	rc = batch_read(&b);
	pthread_mutex_lock(&b.mu);
	b.eof = 1;
	pthread_cond_broadcast(&b.work);
	pthread_mutex_unlock(&b.mu);
	for (k = 0; k < b.n_workers; k++)
		pthread_join(b.workers[k], NULL);
	free(b.workers);
	pthread_cond_destroy(&b.room);
	pthread_cond_destroy(&b.work);
	pthread_mutex_destroy(&b.out);
	pthread_mutex_destroy(&b.mu);
	return rc || b.write_failed ? 1 : 0;
}

static int fn_run(const struct fn_def *def, const struct fn_web *web,
		  int check, int argc, char **argv)
{
	struct buf in = BUF_INIT(FN_BODY_MAX);
	const char *action, *want;
	enum web_mode mode = web_mode_detect();
	cJSON *req = NULL, *resp;
	int rc;

	if (mode)
		return serve_web(def, web, mode);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: gitdial-%s dial|status|hangup < request.json\n"
			"   or: gitdial-%s dial|status|hangup --batch [--parallel N]\n"
			"       (lines SEQ<TAB>JSON in, SEQ<TAB>JSON out as each ends)\n"
			"   or: run as CGI/1.1 (GATEWAY_INTERFACE set) for webhooks\n",
			def->provider, def->provider);
		return argc < 2 ? 2 : 0;
	}
	action = argv[1];
	if (strcmp(action, "dial") && strcmp(action, "status") &&
	    strcmp(action, "hangup")) {
		fprintf(stderr, "gitdial-%s: unknown action '%s'\n", def->provider,
			action);
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--batch")) {
		long par = 1;
		char *end = NULL;
		int ok = argc == 3 || (argc == 5 && !strcmp(argv[3], "--parallel"));
		if (argc == 5)
			par = strtol(argv[4], &end, 10);
		if (!ok || (end && (*end || end == argv[4])) || par < 1 ||
		    par > FN_BATCH_PARALLEL_MAX) {
			fprintf(stderr, "gitdial-%s: usage: %s --batch [--parallel "
				"N], N from 1 to %d\n", def->provider, action,
				FN_BATCH_PARALLEL_MAX);
			return 2;
		}
		return fn_batch(def, action, check, (int)par);
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
	resp = run_action(def, action, req, check);
	cJSON_Delete(req);
	return respond(resp);
}

int fn_main(const struct fn_def *def, int argc, char **argv)
{
	return fn_run(def, NULL, 0, argc, argv);
}

int fn_main_web(const struct fn_def *def, const struct fn_web *web, int argc,
		char **argv)
{
	return fn_run(def, web, 1, argc, argv);
}

int fn_main_hooks(const struct fn_def *def, const struct fn_web *web, int argc,
		  char **argv)
{
	return fn_run(def, web, 0, argc, argv);
}
