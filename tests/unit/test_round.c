/*
 * The tick's verdict (round_judge) on a repository in a plain
 * directory, without git or a runner: the batch in audience order up to
 * the concurrency, a draft that dials nobody, frequency caps across
 * campaigns (Florida: 3 calls per number per 24 hours), and a window
 * that never meets the legal window: nobody skipped, everyone queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "ledger.h"
#include "repo.h"
#include "round.h"
#include "store.h"
#include "util.h"
#include "tap.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = dir + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void campaign(const char *id, const char *status, const char *extra,
		     const char *csv)
{
	char rel[128], text[1024];

	snprintf(rel, sizeof(rel), "campaigns/%s/campaign.json", id);
	snprintf(text, sizeof(text),
		 "{\"name\": \"%s\", \"status\": \"%s\", \"account\": \"sim-main\",\n"
		 " \"start_at\": \"2026-11-24T12:00:00Z\",\n"
		 " \"audience\": {\"csv\": \"audience.csv\"},\n"
		 " \"pacing\": {\"concurrency\": 3%s}}\n", id, status, extra);
	put(rel, text);
	snprintf(rel, sizeof(rel), "campaigns/%s/audience.csv", id);
	put(rel, csv);
}

/* n numbers +1<area>55500<k> as a CSV */
static const char *numbers(char *out, size_t n, const char *area, int count)
{
	size_t l;
	int k;

	l = (size_t)snprintf(out, n, "phone,name\n");
	for (k = 0; k < count && l < n; k++)
		l += (size_t)snprintf(out + l, n - l, "+1%s55500%02d,P%d\n", area, k, k);
	return out;
}

static void rm_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
	struct round r;
	struct round_opts o;
	struct diags d = { 0 };
	struct round_camp *c;
	struct src s;
	struct buf log = BUF_INIT(64 * 1024);
	char csv[2048], path[256], rel[300];
	time_t now, t;
	int k;

	snprintf(root, sizeof(root), "/tmp/gd-round-%d", (int)getpid());
	mkdir(root, 0755);
	put("gitdial.json",
	    "{\"accounts\": {\"sim-main\": {\"provider\": \"sim\",\n"
	    "  \"caller_ids\": [\"+12125550100\"], \"max_concurrency\": 100,\n"
	    "  \"cps\": 50}}}\n");
	campaign("ny", "scheduled", "", numbers(csv, sizeof(csv), "212", 7));
	campaign("draft", "draft", "", numbers(csv, sizeof(csv), "212", 2));
	/* Florida numbers, twice: fl-old called 0 and 1 three times today */
	campaign("fl-new", "scheduled", "", numbers(csv, sizeof(csv), "305", 4));
	campaign("fl-old", "paused", "", numbers(csv, sizeof(csv), "305", 2));
	campaign("ksa", "scheduled",
		 ", \"window\": {\"start\": \"21:00\", \"end\": \"23:00\"}",
		 "phone,name\n+966555550001,A\n+966555550002,B\n");
	CHECK(time_parse_rfc3339(&now, "2026-11-24T15:00:00Z") == 0,
	      "10:00 in New York and Miami, 18:00 in Riyadh");
	t = now - 5 * 3600;
	for (k = 1; k <= 3; k++, t += 3600) {
		char aid[128];
		attempt_id_make(aid, sizeof(aid), "fl-old", phone_key("+13055550000"), k);
		CHECK(ev_dispatched(&log, t, "fl-old", aid, "+13055550000", 2, k,
				    "sim-main", "+12125550100", 0) == 0,
		      "fl-old's log: +13055550000 attempt %d", k);
		attempt_id_make(aid, sizeof(aid), "fl-old", phone_key("+13055550001"), k);
		CHECK(ev_dispatched(&log, t, "fl-old", aid, "+13055550001", 3, k,
				    "sim-main", "+12125550100", 0) == 0,
		      "fl-old's log: +13055550001 attempt %d", k);
	}
	ledger_path(path, sizeof(path), "fl-old", now - 5 * 3600, "t1");
	snprintf(rel, sizeof(rel), "%s", path);
	put(rel, log.ptr);
	buf_release(&log);

	memset(&o, 0, sizeof(o));
	o.now = now;
	o.cmd = "test";
	o.dry_run = 1;
	src_init_dir(&s, root);
	k = round_judge(&r, &o, &s, NULL, &d);
	CHECK(k == 0 && d.errors == 0, "round_judge on a plain directory%s%s",
	      k ? ": " : "", k ? gd_error_last() : "");

	c = round_camp_find(&r, "ny");
	CHECK(c && c->eff == ST_DIALING, "ny: start_at passed, Dialing");
	CHECK(c && c->n_pick == 3 && c->pick[0] == 0 && c->pick[1] == 1 &&
	      c->pick[2] == 2, "ny: the batch is the first 3 rows (concurrency 3)");
	CHECK(c && c->waiting_window == 0 && c->never_open == 0,
	      "ny: nobody waits for a window");

	c = round_camp_find(&r, "draft");
	CHECK(c && c->eff == ST_DRAFT && c->n_pick == 0, "draft: dials nobody");

	c = round_camp_find(&r, "fl-new");
	CHECK(c && c->n_pick == 2 && c->pick[0] == 2 && c->pick[1] == 3,
	      "fl-new: the two numbers called 3 times today by fl-old are "
	      "held back, the next two fill the batch");
	CHECK(c && c->waiting_cap == 2, "fl-new: 2 waiting for the cap (got %zu)",
	      c ? c->waiting_cap : 0);

	c = round_camp_find(&r, "ksa");
	CHECK(c && c->eff == ST_DIALING && c->n_pick == 0 && c->skipped == 0,
	      "ksa: a window that never meets sa-policy dials and skips nobody");
	CHECK(c && c->never_open == 2 && strstr(c->never_why, "sa-policy"),
	      "ksa: both never open, closed by sa-policy (%s)",
	      c ? c->never_why : "");
	CHECK(c && !state_all_terminal(c->rc->c, &c->st, now),
	      "ksa: not everyone is final, so it is not completed");
	CHECK(c && round_unreachable(r.repo->rules, c->rc->c, c->rc->aud, now,
				     rel, sizeof(rel)) == 2,
	      "round_unreachable agrees: 2");
	c = round_camp_find(&r, "ny");
	CHECK(c && round_unreachable(r.repo->rules, c->rc->c, c->rc->aud, now,
				     rel, sizeof(rel)) == 0,
	      "round_unreachable: New York's numbers are reachable");
	CHECK(round_camp_find(&r, "nope") == NULL, "an unknown id is NULL");

	round_release(&r);
	diags_release(&d);
	rm_tree();
	return finish();
}
