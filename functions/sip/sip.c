/*
 * gitdial-sip: calls through a SIP trunk with our own user agent.
 *
 * dial   checks the request and the account's trunk settings, then forks
 *        a detached process (sip_ua.c) that sends the INVITE and holds
 *        the call; dial answers as soon as that INVITE is sent, with the
 *        SIP Call-ID as the call id. The process spools the call's
 *        outcome event itself, so the runner never waits on a ringing
 *        phone. A second dial of the same attempt answers the first
 *        call's id: the phone is never dialed twice. Dials of one
 *        attempt are serialised by an flock on .sip/<attempt>.lock
 *        (two runners, a manual dial): one that finds it held answers
 *        "ambiguous", dial_in_progress, and the runner asks status.
 * status what $GITDIAL_SPOOL/.sip/<call-id>.json says (by the attempt id
 *        when the call id is not known); a call whose process is gone
 *        before it ended is reported failed ("lost").
 * hangup asks the call's process over its control socket
 *        ($GITDIAL_SPOOL/.sip/<call-id>.sock): CANCEL while ringing,
 *        BYE to both legs once answered.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "hook.h"
#include "sip.h"
#include "util.h"
#include "trust.h"
#include "banned.h"

#define REPORT_WAIT_MS 15000

/* The absolute spool directory, with its .sip/ made. */
static int spool_dir(char *out, size_t n)
{
	const char *s = getenv("GITDIAL_SPOOL");
	char path[PATH_MAX + 8];

	if (!s || !*s)
		return gd_error_set("GITDIAL_SPOOL is not set");
	if (dir_create(s))
		return GD_ERROR;
	if (!realpath(s, out) || strlen(out) >= n)
		return gd_error_set("cannot resolve the spool '%s'", s);
	snprintf(path, sizeof(path), "%s/.sip", out);
	return dir_create(path);
}

/* Fills the plan from the request; a failure response on error. */
static cJSON *plan_make(struct sip_plan *p, const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(req, "agent");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(req, "ring_timeout_s");
	const char *uri = fn_str(agent, "sip_uri"), *lang = fn_str(req, "language");
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(acct, "credentials");
	size_t i;

	memset(p, 0, sizeof(*p));
	if (sip_trunk_parse(&p->trunk, cJSON_GetObjectItemCaseSensitive(acct, "trunk")))
		return fn_fail("rejected", "bad_trunk", "account \"%s\": %s",
			       fn_str(acct, "name"), gd_error_last());
	if (!uri || strncmp(uri, "sip:", 4) || strlen(uri) >= sizeof(p->agent_uri))
		return fn_fail("rejected", "no_agent_uri", "agent.sip_uri must be a "
			       "sip: URI (sips: is not supported by libre 1.1.0's "
			       "request routing)");
	for (i = 4; uri[i]; i++)
		if ((unsigned char)uri[i] <= ' ' || uri[i] == '<' || uri[i] == '>' ||
		    uri[i] == '"')
			return fn_fail("rejected", "no_agent_uri", "agent.sip_uri "
				       "holds a space, quote or angle bracket");
	/* the second leg and the trunk's digest answers: listed hosts only */
	if (trust_agent_check(uri, "agent.sip_uri"))
		return fn_fail("rejected", "agent_host", "%s", gd_error_last());
	if (trust_proxy_check(p->trunk.proxy, p->trunk.transport == SIP_TP_TLS,
			      "trunk.proxy"))
		return fn_fail("rejected", "proxy_host", "account \"%s\": %s",
			       fn_str(acct, "name"), gd_error_last());
	snprintf(p->agent_uri, sizeof(p->agent_uri), "%s", uri);
	snprintf(p->to, sizeof(p->to), "%s", fn_str(req, "to"));
	snprintf(p->from, sizeof(p->from), "%s", fn_str(req, "from"));
	snprintf(p->attempt_id, sizeof(p->attempt_id), "%s", fn_str(req, "attempt_id"));
	snprintf(p->campaign, sizeof(p->campaign), "%s", fn_str(req, "campaign"));
	snprintf(p->language, sizeof(p->language), "%s", lang &&
		 strspn(lang, "abcdefghijklmnopqrstuvwxyz-") == strlen(lang) &&
		 strlen(lang) < sizeof(p->language) ? lang : "en");
	p->disclosure = fn_str(req, "disclosure") != NULL;
	p->ring_timeout_s = cJSON_IsNumber(rt) ? (long)rt->valuedouble
		: SIP_RING_DEFAULT;
	if (p->ring_timeout_s > SIP_RING_MAX)
		p->ring_timeout_s = SIP_RING_MAX;
	if (time_parse_rfc3339(&p->now, fn_str(req, "now")))
		return fn_fail("rejected", "bad_request", "request \"now\" is not "
			       "an RFC 3339 time");
	if (cJSON_GetObjectItemCaseSensitive(creds, "username") ||
	    cJSON_GetObjectItemCaseSensitive(creds, "password")) {
		if (hook_credential(p->user, sizeof(p->user), acct, "username") ||
		    hook_credential(p->password, sizeof(p->password), acct,
				    "password")) {
			explicit_bzero(p->password, sizeof(p->password));
			return fn_fail("auth", "credentials", "account \"%s\": %s",
				       fn_str(acct, "name"), gd_error_last());
		}
	}
	if (spool_dir(p->spool, sizeof(p->spool)))
		return fn_fail("rejected", "no_spool", "%s", gd_error_last());
	return NULL;
}

/* Points stdin/stdout at /dev/null and stderr at the call's log. */
static void detach_stdio(const struct sip_plan *p)
{
	char log[4300];
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	snprintf(log, sizeof(log), "%s/.sip/%s.log", p->spool, p->attempt_id);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
}

/* Reads the child's one-line report, waiting at most REPORT_WAIT_MS. */
static int report_read(int fd, char *line, size_t n)
{
	size_t got = 0;

	while (got + 1 < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;
		int pr = poll(&pf, 1, REPORT_WAIT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		r = read(fd, line + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	return got ? 0 : -1;
}

/*
 * The dial under the attempt's lock (lfd): the call already placed for
 * the attempt, or a new detached process that places it. The child
 * closes its copy of lfd at once, so the lock is the parent's alone.
 */
static cJSON *dial_locked(struct sip_plan *p, int lfd)
{
	struct buf prev = BUF_INIT(128);
	char line[700], *kind, *code, *msg, *save = NULL;
	int pfd[2];
	pid_t pid;
	cJSON *resp;

	if (!hook_state_get(&prev, "sip", p->attempt_id, "call") && prev.len &&
	    sip_callid_valid(prev.ptr)) {
		/* this attempt was dialed already: never twice */
		resp = fn_ok();
		cJSON_AddStringToObject(resp, "call_id", prev.ptr);
		buf_release(&prev);
		return resp;
	}
	buf_release(&prev);
	if (pipe2(pfd, O_CLOEXEC))
		return fn_fail("transient", "pipe", "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return fn_fail("transient", "fork", "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		char dir[4200];
		int rc;
		sigset_t none;
		close(lfd);
		close(pfd[0]);
		setsid();
		/* a runner that blocks or ignores SIGTERM must not pass that on:
		 * the call ends on SIGTERM (both legs hung up) */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		detach_stdio(p);
		snprintf(dir, sizeof(dir), "%s/.sip", p->spool);
		if (chdir(dir))
			_exit(1);
		rc = sip_ua_run(p, pfd[1]);
		explicit_bzero(p->password, sizeof(p->password));
		exit(rc); /* exit, not _exit: the leak checker runs at exit */
	}
	close(pfd[1]);
	if (report_read(pfd[0], line, sizeof(line))) {
		close(pfd[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return fn_fail("ambiguous", "no_report", "the call's process did "
			       "not say whether the INVITE was sent");
	}
	close(pfd[0]);
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "ok ", 3) && sip_callid_valid(line + 3)) {
		resp = fn_ok();
		cJSON_AddStringToObject(resp, "call_id", line + 3);
		return resp;
	}
	waitpid(pid, NULL, 0);
	kind = strtok_r(line, " ", &save);
	kind = strtok_r(NULL, " ", &save);
	code = strtok_r(NULL, " ", &save);
	msg = strtok_r(NULL, "", &save);
	return fn_fail(kind ? kind : "transient", code ? code : "internal", "%s",
		       msg ? msg : "the call's process failed");
}

static cJSON *sip_dial(const cJSON *req)
{
	struct sip_plan p;
	char lockp[4300];
	cJSON *resp;
	int lfd;

	if ((resp = plan_make(&p, req)))
		return resp;
	setenv("GITDIAL_SPOOL", p.spool, 1);
	if (!attempt_id_valid(p.attempt_id)) {
		explicit_bzero(p.password, sizeof(p.password));
		return fn_fail("rejected", "bad_request", "attempt_id is not "
			       "<campaign>.<row>.<attempt>");
	}
	/* one dial of an attempt at a time, whatever runs it */
	snprintf(lockp, sizeof(lockp), "%s/.sip/%s.lock", p.spool, p.attempt_id);
	lfd = open(lockp, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB)) {
		int busy = lfd >= 0 && errno == EWOULDBLOCK;
		if (lfd >= 0)
			close(lfd);
		explicit_bzero(p.password, sizeof(p.password));
		return busy ? fn_fail("ambiguous", "dial_in_progress", "another "
				      "dial of this attempt is placing its call")
			: fn_fail("transient", "lock", "%s: %s", lockp,
				  strerror(errno));
	}
	resp = dial_locked(&p, lfd);
	close(lfd);
	explicit_bzero(p.password, sizeof(p.password));
	return resp;
}

/* The call's state file, parsed; NULL when there is none. */
static cJSON *call_state(const char *spool, const char *call_id)
{
	struct buf b = BUF_INIT(1u << 16);
	char path[4300];
	cJSON *j = NULL;

	if (!sip_call_path(path, sizeof(path), spool, call_id, "json") &&
	    !access(path, F_OK) && !file_read(&b, path, b.max))
		j = cJSON_ParseWithLength(b.ptr, b.len);
	buf_release(&b);
	return j;
}

/*
 * True while the call's process (the pid in its state file) runs and the
 * request's clock (now) is not past the state's ends_by. A process past
 * it (stuck: its own timers end every call before) is stopped with
 * SIGKILL, once /proc says it is a gitdial-sip: the attempt must not
 * hold a concurrency slot for good.
 */
static int call_alive(const cJSON *st, const char *now_s)
{
	const cJSON *pidj = cJSON_GetObjectItemCaseSensitive(st, "pid");
	const cJSON *endj = cJSON_GetObjectItemCaseSensitive(st, "ends_by");
	char path[64], cmd[256];
	time_t now;
	pid_t pid;
	ssize_t n;
	int fd;

	if (!cJSON_IsNumber(pidj) || pidj->valuedouble < 2 ||
	    pidj->valuedouble > INT_MAX)
		return 0;
	pid = (pid_t)pidj->valuedouble;
	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	if (!cJSON_IsNumber(endj) || !now_s || time_parse_rfc3339(&now, now_s) ||
	    (double)now <= endj->valuedouble)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		cmd[n] = '\0';
		if (strstr(cmd, "gitdial-sip"))
			kill(pid, SIGKILL);
	}
	return 0;
}

/* Connects to the call's control socket (relative to .sip/). */
static int ctl_connect(const char *spool, const char *call_id)
{
	struct sockaddr_un sun;
	char dir[4200], cwd[PATH_MAX];
	int fd, rc;

	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(dir, sizeof(dir), "%s/.sip", spool);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.sock",
			     call_id) >= sizeof(sun.sun_path) || chdir(dir))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (chdir(cwd))
		rc = -1;
	if (rc && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static cJSON *sip_status(const cJSON *req)
{
	const char *call_id = fn_str(req, "call_id");
	const char *aid = fn_str(req, "attempt_id");
	struct buf link = BUF_INIT(128);
	char spool[4096];
	const char *state;
	cJSON *st, *resp;
	int fd = -1;

	if (spool_dir(spool, sizeof(spool)))
		return fn_fail("transient", "no_spool", "%s", gd_error_last());
	setenv("GITDIAL_SPOOL", spool, 1);
	if (!call_id || !*call_id) {
		if (hook_state_get(&link, "sip", aid, "call") || !link.len) {
			buf_release(&link);
			resp = fn_ok();
			cJSON_AddBoolToObject(resp, "found", 0);
			return resp;
		}
		call_id = link.ptr;
	}
	if (!sip_callid_valid(call_id)) {
		buf_release(&link);
		return fn_fail("rejected", "bad_call_id", "'%s' is not a gitdial "
			       "SIP Call-ID", call_id);
	}
	st = call_state(spool, call_id);
	resp = fn_ok();
	if (!st) {
		cJSON_AddBoolToObject(resp, "found", 0);
		buf_release(&link);
		return resp;
	}
	state = fn_str(st, "state");
	cJSON_AddBoolToObject(resp, "found", state && strcmp(state, "queued"));
	cJSON_AddStringToObject(resp, "call_id", call_id);
	if (state && !strcmp(state, "completed")) {
		static const char *const drop[] = { "v", "ts", "campaign",
			"event", "attempt_id", "call_id", NULL };
		cJSON *oc = cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(st, "outcome"), 1);
		size_t i;
		/* the response carries the outcome's fields, not the event */
		for (i = 0; drop[i]; i++)
			cJSON_DeleteItemFromObjectCaseSensitive(oc, drop[i]);
		cJSON_AddStringToObject(resp, "state", "completed");
		cJSON_AddItemToObject(resp, "outcome", oc);
	} else if ((fd = ctl_connect(spool, call_id)) >= 0 &&
		   call_alive(st, fn_str(req, "now"))) {
		close(fd);
		cJSON_AddStringToObject(resp, "state",
					state && !strcmp(state, "in_progress")
					? "in_progress" : state &&
					!strcmp(state, "queued") ? "queued" : "ringing");
	} else if (state && strcmp(state, "queued")) {
		/* the process is gone (or past its end) before the call ended */
		if (fd >= 0)
			close(fd);
		cJSON *oc = cJSON_AddObjectToObject(resp, "outcome");
		cJSON *e;
		cJSON_AddStringToObject(resp, "state", "completed");
		cJSON_AddStringToObject(oc, "outcome", "failed");
		cJSON_AddNumberToObject(oc, "duration_s", 0);
		cJSON_AddBoolToObject(oc, "connected", 0);
		cJSON_AddBoolToObject(oc, "answered", 0);
		e = cJSON_AddObjectToObject(oc, "error");
		cJSON_AddStringToObject(e, "kind", "lost");
		cJSON_AddStringToObject(e, "code", "process_gone");
		cJSON_AddStringToObject(e, "message", "the process holding the "
					"call stopped before the call ended");
	}
	cJSON_Delete(st);
	buf_release(&link);
	return resp;
}

static cJSON *sip_hangup(const cJSON *req)
{
	const char *call_id = fn_str(req, "call_id");
	char spool[4096], reply[8];
	cJSON *st;
	ssize_t n;
	int fd;

	if (spool_dir(spool, sizeof(spool)))
		return fn_fail("transient", "no_spool", "%s", gd_error_last());
	if (!sip_callid_valid(call_id))
		return fn_fail("rejected", "bad_call_id", "'%s' is not a gitdial "
			       "SIP Call-ID", call_id ? call_id : "");
	if ((fd = ctl_connect(spool, call_id)) >= 0) {
		struct timeval tv = { 5, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = write(fd, "hangup\n", 7) == 7 ? read(fd, reply, sizeof(reply))
			: -1;
		close(fd);
		if (n >= 2 && !strncmp(reply, "ok", 2))
			return fn_ok();
		return fn_fail("transient", "no_reply", "the call's process did "
			       "not confirm the hangup");
	}
	st = call_state(spool, call_id);
	if (!st)
		return fn_fail("rejected", "no_such_call", "no SIP call '%s' in "
			       "this spool", call_id);
	cJSON_Delete(st);
	return fn_ok(); /* already ended */
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"sip", sip_dial, sip_status, sip_hangup,
		1 /* serial: dial forks, status chdirs, both setenv */
	};

	return fn_main_web(&def, NULL, argc, argv);
}
