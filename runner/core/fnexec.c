#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "curlx.h"
#include "err.h"
#include "fnexec.h"
#include "trust.h"
#include "banned.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

extern char **environ;

/* The children's environment (posix_spawn takes it whole). */
struct child_env {
	char **v;       /* NULL-terminated; entries are environ's or made[] */
	char *made[2];  /* GITDIAL_SPOOL=..., GITDIAL_REPO=... */
};

/*
 * Builds the runner's environment with GITDIAL_SPOOL and GITDIAL_REPO set
 * from t (when given), once per fn_run: nothing is set between fork and
 * exec. e is the caller's (env_release) whether or not this fails.
 */
static int env_build(struct child_env *e, const struct fn_target *t)
{
	const char *names[2] = { "GITDIAL_SPOOL=", "GITDIAL_REPO=" };
	const char *vals[2] = { t->spool, t->repo };
	size_t n = 0, k = 0, i, j, len;

	memset(e, 0, sizeof(*e));
	while (environ && environ[n])
		n++;
	if (!(e->v = calloc(n + 3, sizeof(*e->v))))
		return gd_error_set("out of memory");
	for (i = 0; i < n; i++) {
		for (j = 0; j < 2; j++)
			if (vals[j] && !strncmp(environ[i], names[j], strlen(names[j])))
				break;
		if (j == 2)
			e->v[k++] = environ[i];
	}
	for (j = 0; j < 2; j++) {
		if (!vals[j])
			continue;
		len = strlen(names[j]) + strlen(vals[j]) + 1;
		if (!(e->made[j] = malloc(len)))
			return gd_error_set("out of memory");
		snprintf(e->made[j], len, "%s%s", names[j], vals[j]);
		e->v[k++] = e->made[j];
	}
	e->v[k] = NULL;
	return 0;
}

/* Frees what env_build made; e is then empty. */
static void env_release(struct child_env *e)
{
	free(e->v);
	free(e->made[0]);
	free(e->made[1]);
	memset(e, 0, sizeof(*e));
}

/* Where a call of the local path is. */
enum call_state {
	CALL_PENDING, /* not sent yet */
	CALL_SENT,    /* sent to the process, no response yet */
	CALL_LATE,    /* timed out (resolved) but still running in the process */
	CALL_DONE
};

/* The one `BINARY ACTION --batch` process of a local fn_run. */
struct batch_proc {
	pid_t pid;
	int in, out;     /* our ends of its stdin and stdout; -1 closed */
	struct buf wq;   /* request lines not yet written */
	size_t woff;     /* how much of wq is written */
	char *line;      /* the response line being read (FN_LINE_MAX) */
	size_t len;
	int skipping;    /* in a line over the cap: dropped up to its end */
	size_t busy;     /* calls sent to it and not answered (LATE too) */
	int active;
};

/* SEQ<TAB> + a response of at most FN_RESPONSE_MAX + the newline. */
#define FN_LINE_MAX (FN_RESPONSE_MAX + 24)
/* The most requests one batch process is asked to run at once. */
#define FN_BATCH_PARALLEL_MAX 256

/*
 * Starts `BINARY ACTION --batch --parallel P`: posix_spawn (a vfork, so
 * a runner holding a few hundred MB of state does not copy its page
 * tables), stdin and stdout on non-blocking pipes, env the whole
 * environment, stderr the runner's.
 */
static int batch_spawn(struct batch_proc *p, const struct fn_target *t,
		       const char *action, int parallel, char **env)
{
	posix_spawn_file_actions_t fa;
	char par[16], *argv[6];
	int in[2], out[2], err;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->in = p->out = -1;
	if (!(p->line = malloc(FN_LINE_MAX)))
		return gd_error_set("out of memory");
	if (pipe2(in, O_CLOEXEC)) {
		free(p->line);
		return gd_error_set("pipe: %s", strerror(errno));
	}
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		free(p->line);
		return gd_error_set("pipe: %s", strerror(errno));
	}
	snprintf(par, sizeof(par), "%d", parallel);
	argv[0] = (char *)t->binary;
	argv[1] = (char *)action;
	argv[2] = "--batch";
	argv[3] = "--parallel";
	argv[4] = par;
	argv[5] = NULL;
	if ((err = posix_spawn_file_actions_init(&fa)) == 0) {
		if (!(err = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) &&
		    !(err = posix_spawn_file_actions_adddup2(&fa, out[1], 1)))
			err = posix_spawn(&pid, t->binary, &fa, NULL, argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (err) {
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		free(p->line);
		return gd_error_set("cannot start '%s': %s", t->binary, strerror(err));
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->in = in[1];
	p->out = out[0];
	buf_init(&p->wq, (size_t)-1);
	p->active = 1;
	return 0;
}

/*
 * Ends the process: kill (SIGKILL) at once, or else close its stdin and
 * give it grace_s to exit by itself first. Every call still SENT to it
 * is resolved with no response and its exit code (-1 when killed or
 * signalled), said on stderr; LATE ones are resolved already. Returns
 * how many calls this resolved.
 */
static size_t batch_end(struct batch_proc *p, const char *binary,
			struct fn_call *calls, unsigned char *st, size_t lo,
			size_t hi, int kill_it, double grace_s)
{
	double until = now_s() + grace_s;
	int status = 0, code = -1;
	size_t i, resolved = 0;
	pid_t r = 0;

	if (p->in >= 0)
		close(p->in);
	p->in = -1;
	while (!kill_it && (r = waitpid(p->pid, &status, WNOHANG)) == 0 &&
	       now_s() < until) {
		struct pollfd pf = { p->out, POLLIN, 0 };
		char drop[4096];
		/* its output is no use now: drained so it never blocks on it */
		if (poll(&pf, 1, 20) > 0 && read(p->out, drop, sizeof(drop)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			break;
	}
	if (kill_it || r == 0) {
		kill(p->pid, SIGKILL);
		while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
			;
	}
	if (r > 0 && WIFEXITED(status) && !kill_it)
		code = WEXITSTATUS(status);
	for (i = lo; i < hi; i++) {
		if (st[i] == CALL_SENT) {
			calls[i].exit_code = code;
			resolved++;
		}
		if (st[i] == CALL_SENT || st[i] == CALL_LATE)
			st[i] = CALL_DONE;
	}
	if (resolved)
		fprintf(stderr, "gitdial: %s ended (%s %d) with %zu call%s "
			"unanswered\n", binary, r > 0 && WIFSIGNALED(status)
			? "signal" : "exit code", r > 0 && WIFSIGNALED(status)
			? WTERMSIG(status) : code, resolved, resolved == 1 ? "" : "s");
	close(p->out);
	buf_release(&p->wq);
	free(p->line);
	memset(p, 0, sizeof(*p));
	p->in = p->out = -1;
	return resolved;
}

/* Queues call i's request as the line "i<TAB>request\n" (newlines blanked). */
static int batch_queue(struct batch_proc *p, size_t i, const char *req)
{
	size_t at = p->wq.len, k;

	if (buf_printf(&p->wq, "%zu\t%s\n", i, req))
		return gd_error_set("out of memory");
	for (k = p->wq.len - 2; k > at; k--)
		if (p->wq.ptr[k] == '\n' || p->wq.ptr[k] == '\r')
			p->wq.ptr[k] = ' ';
	return 0;
}

/*
 * One response line (no newline). Fills the call its SEQ names when it
 * is waiting for one; a LATE call's answer only frees its place. Returns
 * 1 when it resolved a call.
 */
static int batch_answer(struct batch_proc *p, const char *binary,
			struct fn_call *calls, unsigned char *st, size_t n,
			const char *s, size_t len)
{
	size_t k = 0, i = 0;

	while (k < len && k < 20 && s[k] >= '0' && s[k] <= '9')
		i = i * 10 + (size_t)(s[k++] - '0');
	if (!k || k >= len || s[k] != '\t') {
		fprintf(stderr, "gitdial: %s: a response line without SEQ<TAB>: "
			"ignored\n", binary);
		return 0;
	}
	if (i >= n || (st[i] != CALL_SENT && st[i] != CALL_LATE)) {
		fprintf(stderr, "gitdial: %s: a response for %s SEQ %zu: ignored\n",
			binary, i >= n ? "unknown" : "an answered or unsent", i);
		return 0;
	}
	p->busy--;
	if (st[i] == CALL_LATE) {
		st[i] = CALL_DONE;
		return 0;
	}
	st[i] = CALL_DONE;
	if (!(calls[i].response = malloc(len - k))) {
		calls[i].exit_code = -1;
		return 1;
	}
	memcpy(calls[i].response, s + k + 1, len - k - 1);
	calls[i].response[len - k - 1] = '\0';
	calls[i].exit_code = 0;
	return 1;
}

/*
 * Reads what the process wrote, answering calls line by line. Returns
 * the calls resolved; *eof set when its stdout is closed.
 */
static size_t batch_read(struct batch_proc *p, const char *binary,
			 struct fn_call *calls, unsigned char *st, size_t n,
			 int *eof)
{
	size_t resolved = 0, start;
	ssize_t got;
	char *nl;

	*eof = 0;
	for (;;) {
		got = read(p->out, p->line + p->len, FN_LINE_MAX - p->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			*eof = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
			return resolved;
		}
		p->len += (size_t)got;
		start = 0;
		while ((nl = memchr(p->line + start, '\n', p->len - start))) {
			if (p->skipping)
				p->skipping = 0;
			else
				resolved += (size_t)batch_answer(p, binary, calls, st,
					n, p->line + start, (size_t)(nl - p->line) - start);
			start = (size_t)(nl - p->line) + 1;
		}
		memmove(p->line, p->line + start, p->len - start);
		p->len -= start;
		if (p->len == FN_LINE_MAX) {
			if (!p->skipping)
				fprintf(stderr, "gitdial: %s: a response line over %u "
					"bytes: ignored\n", binary, FN_LINE_MAX);
			p->skipping = 1;
			p->len = 0;
		}
	}
}

/*
 * fn_run for a local binary: one `BINARY ACTION --batch --parallel P`
 * process for all the calls (a process costs ~20 ms of CPU to start;
 * a batch pays it once). Requests go in as lines "i<TAB>JSON", i the
 * index in calls[]; answers come back as "i<TAB>JSON" in any order.
 * The rules of fn_run hold per call: at most parallel outstanding,
 * starts cps apart, timeout_s each. A process that dies takes its
 * unanswered calls with it (no response, its exit code); the calls not
 * sent yet go to a new process. One whose every place is held by calls
 * that timed out is killed and replaced, and so is, at the end, one
 * still running a call that timed out; else it gets EOF and exits.
 */
static int run_local(const struct fn_target *t, const char *action,
		     struct fn_call *calls, size_t n, int parallel, double cps,
		     int timeout_s)
{
	double gap = cps > 0 ? 1.0 / cps : 0, last_start = -1e9, tnow;
	double *started = calloc(n, sizeof(*started));
	unsigned char *st = calloc(n, 1);
	struct batch_proc p;
	struct child_env env;
	size_t next = 0, done = 0, lo = 0, first = 0, i;
	int rc = 0, useful = 0, eof;

	memset(&p, 0, sizeof(p));
	memset(&env, 0, sizeof(env));
	p.in = p.out = -1;
	if (!started || !st) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	if ((rc = env_build(&env, t)))
		goto cleanup;
	if (parallel > FN_BATCH_PARALLEL_MAX)
		parallel = FN_BATCH_PARALLEL_MAX;
	signal(SIGPIPE, SIG_IGN);
	while (done < n) {
		struct pollfd pf[2];
		int np = 0, wait_ms = 1000;
		tnow = now_s();
		/* a process whose every place is held by timed-out calls */
		if (p.active && next < n && p.busy >= (size_t)parallel && !useful) {
			done += batch_end(&p, t->binary, calls, st, lo, next, 1, 0);
			lo = next;
		}
		/* start calls: a free place, and the rate allows */
		while (next < n && (!p.active || p.busy < (size_t)parallel)) {
			if (tnow < last_start + gap) {
				wait_ms = (int)((last_start + gap - tnow) * 1000) + 1;
				break;
			}
			if (!calls[next].request) {
				st[next++] = CALL_DONE;
				done++;
				continue;
			}
			if (!p.active) {
				int par = n - next < (size_t)parallel ? (int)(n - next)
					: parallel;
				if (batch_spawn(&p, t, action, par, env.v)) {
					rc = GD_ERROR; /* no process: none can run */
					done += n - next;
					for (; next < n; next++)
						st[next] = CALL_DONE;
					break;
				}
				lo = next;
			}
			if (batch_queue(&p, next, calls[next].request)) {
				rc = GD_ERROR;
				st[next++] = CALL_DONE;
				done++;
				continue;
			}
			st[next] = CALL_SENT;
			started[next++] = tnow;
			p.busy++;
			useful++;
			last_start = tnow;
		}
		if (!p.active) {
			if (next < n)
				poll(NULL, 0, wait_ms); /* the rate says wait */
			continue;
		}
		/* the oldest call still waiting sets the timeout */
		while (first < next && st[first] != CALL_SENT)
			first++;
		if (first < next && st[first] == CALL_SENT) {
			double left = started[first] + timeout_s - tnow;
			int ms = left > 0 ? (int)(left * 1000) + 1 : 0;
			if (ms < wait_ms)
				wait_ms = ms;
		}
		pf[np].fd = p.out;
		pf[np++].events = POLLIN;
		if (p.in >= 0 && p.woff < p.wq.len) {
			pf[np].fd = p.in;
			pf[np++].events = POLLOUT;
		}
		if (poll(pf, (nfds_t)np, wait_ms) < 0 && errno != EINTR) {
			rc = gd_error_set("poll: %s", strerror(errno));
			break;
		}
		/* write what the pipe takes: never blocks, so never deadlocks */
		if (p.in >= 0 && p.woff < p.wq.len) {
			ssize_t w = write(p.in, p.wq.ptr + p.woff, p.wq.len - p.woff);
			if (w > 0)
				p.woff += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				close(p.in); /* it is gone: its stdout says so */
				p.in = -1;
			}
			if (p.woff == p.wq.len) {
				buf_reset(&p.wq);
				p.woff = 0;
			}
		}
		i = batch_read(&p, t->binary, calls, st, n, &eof);
		done += i;
		useful -= (int)i;
		if (eof) {
			i = batch_end(&p, t->binary, calls, st, lo, next, 0, 1);
			done += i;
			useful -= (int)i;
			lo = next;
			continue;
		}
		tnow = now_s();
		for (i = first; i < next; i++) {
			if (st[i] != CALL_SENT)
				continue;
			if (tnow - started[i] <= timeout_s)
				break; /* started in order: the rest are later */
			st[i] = CALL_LATE;
			calls[i].timed_out = 1;
			done++;
			useful--;
		}
	}
	if (p.active)
		batch_end(&p, t->binary, calls, st, lo, next, p.busy > 0, 5);
cleanup:
	env_release(&env);
	free(started);
	free(st);
	return rc;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct buf *b = data;

	return buf_put(b, p, size * n) ? 0 : size * n;
}

/* One HTTP call to a remote function, in flight in a curl multi handle. */
struct xfer {
	const struct curlx *cu;
	CURL *h;
	struct curl_slist *hdrs;
	struct buf resp;
	size_t call;
	int active;
};

/*
 * Sets up x for the call: POST of its request to the function URL with
 * ?action= and the shared secret. Returns 0, or -1 when libcurl could
 * not make a handle (x is then inactive and holds nothing).
 */
static int xfer_start(struct xfer *x, const struct curlx *cu,
		      const struct fn_target *t, const char *action,
		      const struct fn_call *c, int timeout_s)
{
	char hdr[600], url[2048], ts[24], nonce[33], sig[65];

	memset(x, 0, sizeof(*x));
	x->cu = cu;
	if (!(x->h = cu->easy_init()))
		return -1;
	buf_init(&x->resp, FN_RESPONSE_MAX);
	snprintf(url, sizeof(url), "%s%s%s", t->url,
		 strchr(t->url, '?') ? "&action=" : "?action=", action);
	x->hdrs = x->cu->slist_append(x->hdrs, "Content-Type: application/json");
	if (t->secret) {
		/* signed, timestamped and unique: a captured request cannot
		 * be sent again (trust.h) */
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		if (trust_fn_nonce(nonce) ||
		    trust_fn_sign(sig, t->secret, ts, nonce, c->request,
				  strlen(c->request))) {
			buf_release(&x->resp);
			cu->easy_cleanup(x->h);
			x->h = NULL;
			return -1;
		}
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Timestamp: %s", ts);
		x->hdrs = x->cu->slist_append(x->hdrs, hdr);
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Nonce: %s", nonce);
		x->hdrs = x->cu->slist_append(x->hdrs, hdr);
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Signature: sha256=%s", sig);
		x->hdrs = x->cu->slist_append(x->hdrs, hdr);
	}
	x->cu->easy_setopt(x->h, CURLOPT_URL, url);
	x->cu->easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	x->cu->easy_setopt(x->h, CURLOPT_POSTFIELDS, c->request);
	x->cu->easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	x->cu->easy_setopt(x->h, CURLOPT_WRITEDATA, &x->resp);
	x->cu->easy_setopt(x->h, CURLOPT_TIMEOUT, (long)timeout_s);
	x->cu->easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	x->cu->easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	x->cu->easy_setopt(x->h, CURLOPT_PRIVATE, (void *)x);
	x->active = 1;
	return 0;
}

/* Fills c from x's finished transfer (rc) and frees what x holds. */
static void xfer_finish(struct xfer *x, struct fn_call *c, CURLcode rc)
{
	long code = 0;

	x->cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && code == 200) {
		c->exit_code = 0;
		c->response = buf_detach(&x->resp);
	}
	c->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	buf_release(&x->resp);
	x->cu->slist_free_all(x->hdrs);
	x->cu->easy_cleanup(x->h);
	x->hdrs = NULL;
	x->h = NULL;
	x->active = 0;
}

/*
 * fn_run for a remote function: the calls as HTTP POSTs side by side in
 * one curl multi handle (at most parallel at once, starts cps apart),
 * where a local binary would be parallel processes. Connections to the
 * function are reused from one call to the next.
 */
static int run_urls(const struct fn_target *t, const char *action,
		    struct fn_call *calls, size_t n, int parallel, double cps,
		    int timeout_s)
{
	double gap = cps > 0 ? 1.0 / cps : 0, last_start = -1e9, tnow;
	size_t next = 0, done = 0;
	struct xfer *x;
	CURLM *m;
	int k, running, rc = 0;
	const struct curlx *cu = curlx_load(); /* only when a call is remote */

	if (!cu)
		return GD_ERROR; /* libcurl could not be loaded: nothing ran */
	if (parallel < 1)
		parallel = 1;
	x = calloc((size_t)parallel, sizeof(*x));
	m = cu->multi_init();
	if (!x || !m) {
		free(x);
		if (m)
			cu->multi_cleanup(m);
		return gd_error_set("out of memory");
	}
	while (done < n) {
		CURLMsg *msg;
		int left, wait_ms = 1000;
		tnow = now_s();
		for (k = 0; k < parallel && next < n; k++) {
			if (x[k].active)
				continue;
			if (tnow < last_start + gap) {
				wait_ms = (int)((last_start + gap - tnow) * 1000) + 1;
				break;
			}
			if (xfer_start(&x[k], cu, t, action, &calls[next], timeout_s) ||
			    cu->multi_add_handle(m, x[k].h) != CURLM_OK) {
				if (x[k].active)
					xfer_finish(&x[k], &calls[next], CURLE_FAILED_INIT);
				calls[next++].exit_code = -1;
				done++;
				rc = GD_ERROR;
				continue;
			}
			x[k].call = next++;
			last_start = tnow;
		}
		if (cu->multi_perform(m, &running) != CURLM_OK) {
			rc = gd_error_set("curl_multi_perform failed");
			break;
		}
		while ((msg = cu->multi_info_read(m, &left))) {
			struct xfer *d = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
			cu->multi_remove_handle(m, d->h);
			xfer_finish(d, &calls[d->call], msg->data.result);
			done++;
		}
		if (done < n && cu->multi_poll(m, NULL, 0, wait_ms, NULL) != CURLM_OK) {
			rc = gd_error_set("curl_multi_poll failed");
			break;
		}
	}
	for (k = 0; k < parallel; k++)
		if (x[k].active) {
			cu->multi_remove_handle(m, x[k].h);
			xfer_finish(&x[k], &calls[x[k].call], CURLE_ABORTED_BY_CALLBACK);
		}
	cu->multi_cleanup(m);
	free(x);
	return rc;
}

int fn_run(const struct fn_target *t, const char *action, struct fn_call *calls,
	   size_t n, int parallel, double cps, int timeout_s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		calls[i].response = NULL;
		calls[i].exit_code = -1;
		calls[i].timed_out = 0;
	}
	if (!n)
		return 0;
	if (parallel < 1)
		parallel = 1;
	/* the operator's hosts only: the function secret signs what goes there */
	if (t->url && trust_endpoint_check(t->url, NULL, "function"))
		return GD_EINVALID;
	if (t->url)
		return run_urls(t, action, calls, n, parallel, cps, timeout_s);
	return run_local(t, action, calls, n, parallel, cps, timeout_s);
}

void fn_call_release(struct fn_call *c)
{
	free(c->response);
	c->response = NULL;
}
