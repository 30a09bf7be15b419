/*
 * gitdial demo: a whole campaign on the sim carrier in a temporary
 * repository. It runs the real commands (init, tick, list) as a user
 * would, on a simulated clock: one minute per tick while calls are
 * happening, fast-forwarding 15 minutes while nothing can be dialed
 * (outside every calling window, or waiting for retry cool-downs).
 * At the end it writes the HTML report into <dir>/report/.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "checkout.h"
#include "cmd.h"
#include "err.h"
#include "publish.h"
#include "src.h"
#include "store.h"
#include "term.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial demo [--dir DIR] [--start RFC3339] [--max-ticks N] [--quiet]";

/* Runs this binary with args; captures stdout into out when given. */
static int run_self(char *const args[], struct buf *out)
{
	char self[PATH_MAX];
	int fd[2], status = 0;
	pid_t pid;
	ssize_t n;

	snprintf(self, sizeof(self), "%s/gitdial", self_dir());
	if (out && pipe(fd))
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			dup2(fd[1], 1);
			close(fd[0]);
			close(fd[1]);
		}
		execv(self, args);
		_exit(127);
	}
	if (out) {
		char chunk[8192];
		close(fd[1]);
		while ((n = read(fd[0], chunk, sizeof(chunk))) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0)
				buf_put(out, chunk, (size_t)n);
		close(fd[0]);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * True when the campaign's account is a sim account in cfg (the template's
 * gitdial.json): the demo runs only what needs no real provider.
 */
static int on_sim(const cJSON *cfg, const cJSON *campaign)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cfg, "accounts"),
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(campaign,
								      "account")));
	const char *p = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(acct, "provider"));

	return p && !strcmp(p, "sim");
}

/* Sets every sample campaign on the sim carrier to scheduled at start, in one commit. */
static int schedule_all(const char *dir, time_t start)
{
	struct store *st = NULL;
	struct change ch = { 0 };
	struct names n = { NULL, 0 };
	struct src s;
	git_oid head, out;
	char t[21];
	size_t i;
	int rc, found, have = 0;
	cJSON *cfg = NULL;

	time_format_utc(t, start);
	if ((rc = store_open(&st, dir)) || (rc = store_sync(st, NULL, &head, &found)) ||
	    (rc = src_init_tree(&s, st, &head)))
		goto cleanup;
	have = 1;
	{
		struct buf b = BUF_INIT(1 << 20);
		if (!s.read(&s, "gitdial.json", &b, b.max))
			cfg = cJSON_ParseWithLength(b.ptr, b.len);
		buf_release(&b);
	}
	if ((rc = s.list(&s, "campaigns", &n)))
		goto cleanup;
	for (i = 0; i < n.n; i++) {
		struct buf b = BUF_INIT(1 << 20);
		char path[512], *txt;
		cJSON *o;
		snprintf(path, sizeof(path), "campaigns/%.*s/campaign.json",
			 (int)strlen(n.v[i]) - 1, n.v[i]);
		if (s.read(&s, path, &b, b.max) || !(o = cJSON_Parse(b.ptr))) {
			buf_release(&b);
			continue;
		}
		if (!on_sim(cfg, o)) {
			cJSON_Delete(o);
			buf_release(&b);
			continue;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(o, "status",
						       cJSON_CreateString("scheduled"));
		cJSON_DeleteItemFromObjectCaseSensitive(o, "start_at");
		cJSON_AddStringToObject(o, "start_at", t);
		txt = cJSON_Print(o);
		if (txt) {
			size_t l = strlen(txt);
			txt[l] = '\0';
			rc = change_add(&ch, path, txt, l);
		}
		cJSON_free(txt);
		cJSON_Delete(o);
		buf_release(&b);
		if (rc)
			goto cleanup;
	}
	if ((rc = store_commit(st, &out, &head, &ch, "Schedule the sample campaigns\n",
			       "gitdial demo", "demo@gitdial.invalid", start)) ||
	    (rc = store_publish(st, NULL, &out, &head)))
		goto cleanup;
	rc = store_checkout_paths(st, &head, &out, &ch);
cleanup:
	cJSON_Delete(cfg);
	if (have)
		src_release_tree(&s);
	names_release(&n);
	change_release(&ch);
	store_free(st);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 's' },
		{ "max-ticks", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char dirbuf[PATH_MAX] = "", *dir = NULL;
	time_t start = 0, now;
	long max_ticks = 5000, ticks = 0, minutes = 0;
	int c, quiet = 0, rc = 1, done = 0, total = 0;
	struct timespec w0, w1;
	char names[16][70];
	int finished[16] = { 0 };

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's':
			if (time_parse_rfc3339(&start, optarg))
				return usage_error("demo", usage, "--start: bad time '%s'", optarg);
			break;
		case 'm': {
			char *end;
			max_ticks = strtol(optarg, &end, 10);
			if (end == optarg || *end || max_ticks < 1 || max_ticks > 1000000)
				return usage_error("demo", usage, "--max-ticks: '%s' is "
						   "not a number from 1 to 1000000",
						   term_str(optarg));
			break;
		}
		case 'q': quiet = 1; break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("demo", usage, "bad option");
		}
	}
	if (optind < argc)
		return usage_error("demo", usage, "unexpected argument '%s' (the "
				   "directory is given with --dir DIR)",
				   term_str(argv[optind]));
	/* Tuesday 06:00 UTC: Gulf windows open first, then Europe, then the Americas */
	if (!start)
		time_parse_rfc3339(&start, "2026-11-24T06:00:00Z");
	if (!dir) {
		snprintf(dirbuf, sizeof(dirbuf), "%s/gitdial-demo.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dirbuf)) {
			fprintf(stderr, "gitdial demo: cannot make a directory: %s\n",
				strerror(errno));
			return 1;
		}
		dir = dirbuf;
	}
	clock_gettime(CLOCK_MONOTONIC, &w0);
	{
		char *args[] = { "gitdial", "init", dir, NULL };
		struct buf out = BUF_INIT(1 << 16);
		if (run_self(args, &out)) {
			fprintf(stderr, "gitdial demo: init failed\n");
			buf_release(&out);
			return 1;
		}
		buf_release(&out);
	}
	if (schedule_all(dir, start)) {
		fprintf(stderr, "gitdial demo: %s\n", gd_error_last());
		return 1;
	}
	printf("gitdial demo: campaign repository in %s\n"
	       "both sample campaigns scheduled; ticking on a simulated clock\n\n", dir);
	for (now = start; ticks < max_ticks && !(total && done == total); ticks++) {
		char t[21], nowarg[32];
		char *args[] = { "gitdial", "tick", "--repo", dir, "--now", nowarg,
				 "--format", "json", NULL };
		struct buf out = BUF_INIT(1 << 20);
		cJSON *o, *arr, *x;
		int active = 0, code;
		time_format_utc(t, now);
		snprintf(nowarg, sizeof(nowarg), "%s", t);
		code = run_self(args, &out);
		o = code == 0 ? cJSON_Parse(out.ptr) : NULL;
		buf_release(&out);
		if (!o) {
			fprintf(stderr, "gitdial demo: tick at %s failed\n", t);
			goto cleanup;
		}
		arr = cJSON_GetObjectItemCaseSensitive(o, "campaigns");
		if (cJSON_GetArraySize(arr) && !quiet)
			printf("%.16sZ ", t + 0);
		cJSON_ArrayForEach(x, arr) {
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
			const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "status"));
			double disp = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "dispatched"));
			double in = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "ingested"));
			double fl = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "in_flight"));
			int k;
			if (!id || !status)
				continue;
			for (k = 0; k < total; k++)
				if (!strcmp(names[k], id))
					break;
			if (k == total && total < 16)
				snprintf(names[total++], sizeof(names[0]), "%s", id);
			if (k < 16 && !finished[k] &&
			    (!strcmp(status, "completed") || !strcmp(status, "failed"))) {
				finished[k] = 1;
				done++;
			}
			if (disp > 0 || fl > 0)
				active = 1;
			if (!quiet)
				printf(" %s: %s +%.0f dialed, %.0f in, %.0f in flight;", id,
				       status, disp, in, fl);
		}
		if (cJSON_GetArraySize(arr) && !quiet)
			printf("\n");
		cJSON_Delete(o);
		fflush(stdout);
		/* a minute per tick while calls happen; skip ahead when idle */
		now += active ? 60 : 15 * 60;
		minutes += active ? 1 : 15;
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	{
		char *args[] = { "gitdial", "list", "--repo", dir, "--now", NULL, NULL };
		char t[21];
		time_format_utc(t, now);
		args[5] = t;
		printf("\n");
		fflush(stdout);
		run_self(args, NULL);
	}
	printf("\n%ld ticks, %ld simulated minutes, %.1f s of wall time\n", ticks,
	       minutes, (double)(w1.tv_sec - w0.tv_sec) +
	       (double)(w1.tv_nsec - w0.tv_nsec) / 1e9);
	printf("repository: %s\nevent log:  %s/outcomes/\n", dir, dir);
	{
		/*
		 * the dashboard of the finished run, beside the repository
		 * (<dir>-report/), so the repository is left clean
		 */
		char t[21], rdir[PATH_MAX];
		size_t dl = strlen(dir);
		char *args[] = { "gitdial", "report", "--repo", dir, "--out", rdir,
				 "--now", t, NULL };
		struct buf out = BUF_INIT(1 << 16);
		time_format_utc(t, now);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		if (str_fmt(rdir, sizeof(rdir), "%.*s-report", (int)dl, dir) ||
		    run_self(args, &out))
			fprintf(stderr, "gitdial demo: the report could not be written\n");
		else
			printf("report:     %s/index.html\n", rdir);
		buf_release(&out);
	}
	printf("try: git -C %s log --oneline | head; gitdial list --repo %s\n",
	       dir, dir);
	rc = total && done == total ? 0 : 1;
	if (rc)
		fprintf(stderr, "gitdial demo: campaigns did not complete within %ld ticks\n",
			max_ticks);
cleanup:
	return rc;
}
