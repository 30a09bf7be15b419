#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <spawn.h>
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

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

extern char **environ;

/*
 * The child's environment: ours, with GITDIAL_SPOOL and GITDIAL_REPO set
 * to the target's (vars holds their "NAME=value" texts). NULL when out of
 * memory; the caller frees the array, not the strings.
 */
static char **child_env(const struct fn_target *t, char vars[2][4200])
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 3, sizeof(*env))))
		return NULL;
	for (n = 0; environ[n]; n++)
		if ((!t->spool || strncmp(environ[n], "GITDIAL_SPOOL=", 14)) &&
		    (!t->repo || strncmp(environ[n], "GITDIAL_REPO=", 13)))
			env[k++] = environ[n];
	if (t->spool) {
		snprintf(vars[0], sizeof(vars[0]), "GITDIAL_SPOOL=%s", t->spool);
		env[k++] = vars[0];
	}
	if (t->repo) {
		snprintf(vars[1], sizeof(vars[1]), "GITDIAL_REPO=%s", t->repo);
		env[k++] = vars[1];
	}
	return env;
}

/*
 * Starts the function with posix_spawn, not fork: the runner may hold
 * hundreds of megabytes of mapped caches, and fork would copy their page
 * tables for every call only to throw them away at exec.
 */
static int spawn(struct child *ch, const struct fn_target *t, const char *action)
{
	posix_spawn_file_actions_t fa;
	char vars[2][4200], **env = NULL;
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
	if (!(env = child_env(t, vars)) || posix_spawn_file_actions_init(&fa)) {
		free(env);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return gd_error_set("out of memory");
	}
	err = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!err)
		err = posix_spawn(&pid, t->binary, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (err) {
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		gd_error_set("cannot run '%s': %s", t->binary, strerror(err));
		/* as a fork+exec child would: it ran, exited 127, said nothing */
		return err == ENOENT || err == EACCES || err == ENOEXEC ? 1 : GD_ERROR;
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

static void run_url(const struct fn_target *t, const char *action,
		    struct fn_call *c, int timeout_s)
{
	struct buf resp = BUF_INIT(FN_RESPONSE_MAX);
	struct curl_slist *h = NULL;
	char hdr[600], url[2048];
	CURL *curl = curl_easy_init();
	CURLcode rc;
	long code = 0;

	c->exit_code = -1;
	if (!curl)
		return;
	snprintf(url, sizeof(url), "%s%s%s", t->url,
		 strchr(t->url, '?') ? "&action=" : "?action=", action);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (t->secret) {
		snprintf(hdr, sizeof(hdr), "X-Gitdial-Function-Secret: %s", t->secret);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->request);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && code == 200) {
		c->exit_code = 0;
		c->response = buf_detach(&resp);
	}
	c->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	buf_release(&resp);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
}

int fn_run(const struct fn_target *t, const char *action, struct fn_call *calls,
	   size_t n, int parallel, double cps, int timeout_s)
{
	struct child *ch;
	struct pollfd *pf;
	size_t next = 0, done = 0, i;
	double gap = cps > 0 ? 1.0 / cps : 0, last_start = -1e9;
	int rc = 0, err;

	for (i = 0; i < n; i++) {
		calls[i].response = NULL;
		calls[i].exit_code = -1;
		calls[i].timed_out = 0;
	}
	if (!n)
		return 0;
	if (t->url) {
		for (i = 0; i < n; i++) {
			sleep_s(last_start + gap - now_s());
			last_start = now_s();
			run_url(t, action, &calls[i], timeout_s);
		}
		return 0;
	}
	if (parallel < 1)
		parallel = 1;
	ch = calloc((size_t)parallel, sizeof(*ch));
	pf = calloc((size_t)parallel * 2, sizeof(*pf));
	if (!ch || !pf) {
		free(ch);
		free(pf);
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
			if ((err = spawn(&ch[k], t, action))) {
				if (err < 0)
					rc = GD_ERROR;
				calls[next++].exit_code = err < 0 ? -1 : 127;
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
	return rc;
}

void fn_call_release(struct fn_call *c)
{
	free(c->response);
	c->response = NULL;
}
