#include <curl/curl.h>
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
#include "err.h"
#include "fnexec.h"
#include "banned.h"

struct child {
	pid_t pid;
	int in, out;      /* our ends of its stdin and stdout */
	size_t written;
	struct buf resp;
	double started;
	size_t call;
	int active;
};

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

/*
 * Starts one child: posix_spawn (a vfork, so a runner holding a few
 * hundred MB of state does not copy its page tables for every call),
 * stdin and stdout on pipes, env the whole environment.
 */
static int spawn(struct child *ch, const struct fn_target *t, const char *action,
		 char **env)
{
	posix_spawn_file_actions_t fa;
	char *argv[3];
	int in[2], out[2], err;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return gd_error_set("pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return gd_error_set("pipe: %s", strerror(errno));
	}
	argv[0] = (char *)t->binary;
	argv[1] = (char *)action;
	argv[2] = NULL;
	if ((err = posix_spawn_file_actions_init(&fa)) == 0) {
		if (!(err = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) &&
		    !(err = posix_spawn_file_actions_adddup2(&fa, out[1], 1)))
			err = posix_spawn(&pid, t->binary, &fa, NULL, argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (err) {
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return gd_error_set("cannot start '%s': %s", t->binary, strerror(err));
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	ch->pid = pid;
	ch->in = in[1];
	ch->out = out[0];
	ch->written = 0;
	buf_init(&ch->resp, FN_RESPONSE_MAX);
	ch->active = 1;
	return 0;
}

static void reap(struct child *ch, struct fn_call *c, int killed)
{
	int status = 0;

	if (ch->in >= 0)
		close(ch->in);
	close(ch->out);
	if (killed)
		kill(ch->pid, SIGKILL);
	while (waitpid(ch->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->timed_out = killed;
	c->exit_code = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	c->response = ch->resp.len ? buf_detach(&ch->resp) : NULL;
	buf_release(&ch->resp);
	ch->active = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct buf *b = data;

	return buf_put(b, p, size * n) ? 0 : size * n;
}

/* One HTTP call to a remote function, in flight in a curl multi handle. */
struct xfer {
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
static int xfer_start(struct xfer *x, const struct fn_target *t,
		      const char *action, const struct fn_call *c, int timeout_s)
{
	char hdr[600], url[2048];

	memset(x, 0, sizeof(*x));
	if (!(x->h = curl_easy_init()))
		return -1;
	buf_init(&x->resp, FN_RESPONSE_MAX);
	snprintf(url, sizeof(url), "%s%s%s", t->url,
		 strchr(t->url, '?') ? "&action=" : "?action=", action);
	x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
	if (t->secret) {
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Function-Secret: %s", t->secret);
		x->hdrs = curl_slist_append(x->hdrs, hdr);
		explicit_bzero(hdr, sizeof(hdr));
	}
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, c->request);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->resp);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, (void *)x);
	x->active = 1;
	return 0;
}

/* Fills c from x's finished transfer (rc) and frees what x holds. */
static void xfer_finish(struct xfer *x, struct fn_call *c, CURLcode rc)
{
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && code == 200) {
		c->exit_code = 0;
		c->response = buf_detach(&x->resp);
	}
	c->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	buf_release(&x->resp);
	curl_slist_free_all(x->hdrs);
	curl_easy_cleanup(x->h);
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

	if (parallel < 1)
		parallel = 1;
	x = calloc((size_t)parallel, sizeof(*x));
	m = curl_multi_init();
	if (!x || !m) {
		free(x);
		if (m)
			curl_multi_cleanup(m);
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
			if (xfer_start(&x[k], t, action, &calls[next], timeout_s) ||
			    curl_multi_add_handle(m, x[k].h) != CURLM_OK) {
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
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = gd_error_set("curl_multi_perform failed");
			break;
		}
		while ((msg = curl_multi_info_read(m, &left))) {
			struct xfer *d = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
			curl_multi_remove_handle(m, d->h);
			xfer_finish(d, &calls[d->call], msg->data.result);
			done++;
		}
		if (done < n && curl_multi_poll(m, NULL, 0, wait_ms, NULL) != CURLM_OK) {
			rc = gd_error_set("curl_multi_poll failed");
			break;
		}
	}
	for (k = 0; k < parallel; k++)
		if (x[k].active) {
			curl_multi_remove_handle(m, x[k].h);
			xfer_finish(&x[k], &calls[x[k].call], CURLE_ABORTED_BY_CALLBACK);
		}
	curl_multi_cleanup(m);
	free(x);
	return rc;
}

int fn_run(const struct fn_target *t, const char *action, struct fn_call *calls,
	   size_t n, int parallel, double cps, int timeout_s)
{
	struct child_env env;
	struct child *ch;
	struct pollfd *pf;
	size_t next = 0, done = 0, i;
	double gap = cps > 0 ? 1.0 / cps : 0, last_start = -1e9;
	int rc = 0;

	for (i = 0; i < n; i++) {
		calls[i].response = NULL;
		calls[i].exit_code = -1;
		calls[i].timed_out = 0;
	}
	if (!n)
		return 0;
	if (t->url)
		return run_urls(t, action, calls, n, parallel, cps, timeout_s);
	if (parallel < 1)
		parallel = 1;
	if (env_build(&env, t)) {
		env_release(&env);
		return GD_ERROR;
	}
	ch = calloc((size_t)parallel, sizeof(*ch));
	pf = calloc((size_t)parallel * 2, sizeof(*pf));
	if (!ch || !pf) {
		free(ch);
		free(pf);
		env_release(&env);
		return gd_error_set("out of memory");
	}
	signal(SIGPIPE, SIG_IGN);
	while (done < n) {
		int np = 0, k, timeout = 1000;
		double tnow = now_s();
		/* start more when a slot is free and the rate allows */
		for (k = 0; k < parallel && next < n; k++) {
			if (ch[k].active)
				continue;
			if (tnow < last_start + gap) {
				timeout = (int)((last_start + gap - tnow) * 1000) + 1;
				break;
			}
			if (spawn(&ch[k], t, action, env.v)) {
				rc = GD_ERROR;
				calls[next++].exit_code = -1;
				done++;
				continue;
			}
			ch[k].call = next++;
			ch[k].started = tnow;
			last_start = tnow;
		}
		for (k = 0; k < parallel; k++) {
			if (!ch[k].active)
				continue;
			if (ch[k].in >= 0) {
				pf[np].fd = ch[k].in;
				pf[np].events = POLLOUT;
				np++;
			}
			pf[np].fd = ch[k].out;
			pf[np].events = POLLIN;
			np++;
		}
		if (np && poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			rc = gd_error_set("poll: %s", strerror(errno));
			break;
		}
		tnow = now_s();
		for (k = 0; k < parallel; k++) {
			struct child *c = &ch[k];
			struct fn_call *call;
			char tmp[8192];
			ssize_t got;
			if (!c->active)
				continue;
			call = &calls[c->call];
			if (c->in >= 0) {
				size_t len = strlen(call->request);
				ssize_t w = write(c->in, call->request + c->written,
						  len - c->written);
				if (w > 0)
					c->written += (size_t)w;
				if (c->written >= len || (w < 0 && errno != EAGAIN &&
							  errno != EINTR)) {
					close(c->in);
					c->in = -1;
				}
			}
			while ((got = read(c->out, tmp, sizeof(tmp))) > 0)
				if (buf_put(&c->resp, tmp, (size_t)got))
					break;
			if (got == 0) {
				reap(c, call, 0);
				done++;
			} else if (tnow - c->started > timeout_s) {
				reap(c, call, 1);
				done++;
			}
		}
	}
	for (i = 0; i < (size_t)parallel; i++)
		if (ch[i].active)
			reap(&ch[i], &calls[ch[i].call], 1);
	free(ch);
	free(pf);
	env_release(&env);
	return rc;
}

void fn_call_release(struct fn_call *c)
{
	free(c->response);
	c->response = NULL;
}
