/*
 * Bench input generator (tests/bench/run.sh builds it with cc -O2).
 *
 *   gen audience FILE ROWS SEED
 *       A realistic mixed audience for `validate`: phones in many formats and
 *       countries, names (some quoted, some Arabic), amount, due date,
 *       language, timezone sometimes, an account id. About 2% invalid rows
 *       and 1.5% duplicates. About 64 bytes a row.
 *
 *   gen tick DIR ROWS EVENTS FILES ID
 *       A campaign of ROWS recipients (+1 212 numbers, a few invalid and
 *       duplicate rows) at DIR/campaigns/ID/audience.csv and a history of
 *       about EVENTS log lines in FILES files under DIR/outcomes/ID/, in the
 *       exact formats of runner/core/ledger.c and functions/sim/sim.c:
 *       dispatched, placed, outcome, analysis, skipped, status. Batches of
 *       new recipients every 20 minutes, retries of no_answer/busy after
 *       their cool-down, nothing left in flight; the newest event is before
 *       2026-11-24T12:00:00Z.
 *
 *   gen more DIR ID FIRST N
 *       One more log file, as a concurrent runner would commit it between
 *       two ticks: N never-dialed recipients from row index FIRST on, each
 *       dispatched, placed and ended (about 3.5 lines each) by 15:00:00Z.
 *
 *   gen inflight DIR ID FIRST N SPOOL
 *       As `more`, but the N calls are left in flight (dispatched, placed)
 *       and their outcome and analysis events are files in SPOOL, as the
 *       sim's webhook spools them on the webhook host (for `ingest`).
 *
 *   gen flat DIR ROWS DIALED FILES ID [RETRIES]
 *       A small long-running campaign: ROWS recipients, the first DIALED of
 *       them dialed (and, with RETRIES 1, their retries), the log spread
 *       evenly over FILES files one minute apart (one per tick), ending
 *       before 2026-11-24T14:00:00Z.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void die(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0777) && errno != EEXIST)
				die(tmp);
			*p = '/';
		}
	if (mkdir(tmp, 0777) && errno != EEXIST)
		die(tmp);
}

static FILE *open_w(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die(path);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static const char *const first[] = {
	"Ann", "Bob", "Carla", "Dev", "Elena", "Frank", "Grace", "Hiro", "Ines",
	"James", "Kofi", "Laura", "Miguel", "Nina", "Omar", "Priya", "Quinn",
	"Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe",
	"Maria", "John", "Linda", "David", "Sofia", "Chen", "Aisha", "Luca"
};
static const char *const last[] = {
	"Smith", "Garcia", "Chen", "Okafor", "Rossi", "Muller", "Kim", "Tanaka",
	"Silva", "Johnson", "Mensah", "Novak", "Lopez", "Petrov", "Haddad",
	"Patel", "Murphy", "Diaz", "Lee", "Nguyen", "Brown", "Wilson", "Khan",
	"Martin", "Cohen", "Ali", "Jones", "Taylor", "Moore", "Clark"
};
static const char *const arabic[] = {
	"\xd9\x81\xd8\xa7\xd8\xb7\xd9\x85\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb9\xd9\x84\xd9\x8a",
	"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xa7\xd9\x84\xd8\xb3\xd8\xb9\xd8\xaf",
	"\xd8\xb3\xd8\xa7\xd8\xb1\xd8\xa9 \xd8\xae\xd8\xa7\xd9\x84\xd8\xaf",
	"\xd8\xb9\xd9\x85\xd8\xb1 \xd8\xad\xd8\xb3\xd9\x86"
};

/* US area codes (all in schemas/data) and the zone a timezone column names. */
static const struct { int ac; const char *tz; } nanp[] = {
	{ 212, "America/New_York" }, { 718, "America/New_York" },
	{ 917, "America/New_York" }, { 213, "America/Los_Angeles" },
	{ 310, "America/Los_Angeles" }, { 415, "America/Los_Angeles" },
	{ 305, "America/New_York" }, { 312, "America/Chicago" },
	{ 773, "America/Chicago" }, { 713, "America/Chicago" },
	{ 214, "America/Chicago" }, { 617, "America/New_York" },
	{ 206, "America/Los_Angeles" }, { 404, "America/New_York" },
	{ 602, "America/Phoenix" }, { 303, "America/Denver" },
	{ 202, "America/New_York" }, { 215, "America/New_York" },
	{ 503, "America/Los_Angeles" }, { 702, "America/Los_Angeles" },
	{ 615, "America/Chicago" }, { 412, "America/New_York" },
	{ 808, "Pacific/Honolulu" }, { 907, "America/Anchorage" }
};
#define N_NANP (sizeof(nanp) / sizeof(nanp[0]))

/* Writes a phone in one of the formats people put in spreadsheets. */
static int fmt_nanp(char *o, size_t n, int ac, int ex, int ln, unsigned style)
{
	switch (style % 6) {
	case 0: return snprintf(o, n, "+1 (%03d) %03d-%04d", ac, ex, ln);
	case 1: return snprintf(o, n, "+1%03d%03d%04d", ac, ex, ln);
	case 2: return snprintf(o, n, "001-%03d-%03d-%04d", ac, ex, ln);
	case 3: return snprintf(o, n, "+1.%03d.%03d.%04d", ac, ex, ln);
	case 4: return snprintf(o, n, "+1 %03d %03d %04d", ac, ex, ln);
	default: return snprintf(o, n, "+1-%03d-%03d-%04d", ac, ex, ln);
	}
}

static void name_field(char *o, size_t n, uint64_t h, int ar)
{
	if (ar)
		snprintf(o, n, "%s", arabic[h % 4]);
	else if ((h >> 8) % 100 == 0) /* "Last, First" needs quotes */
		snprintf(o, n, "\"%s, %s\"", last[(h >> 16) % 30], first[(h >> 24) % 34]);
	else
		snprintf(o, n, "%s %s", first[(h >> 16) % 34], last[(h >> 24) % 30]);
}

static int cmd_audience(const char *path, long rows, uint64_t seed)
{
	FILE *f = open_w(path);
	char (*hist)[48] = calloc(4096, 48);
	long i;

	rng_state = seed;
	fputs("phone,customer_name,amount,due_date,language,timezone,account_id\n", f);
	for (i = 0; i < rows; i++) {
		uint64_t h = rnd();
		unsigned kind = (unsigned)(h % 1000);
		char phone[48], name[96], tz[48] = "";
		int ar = 0;
		const char *lang = "en";

		if (kind < 20) { /* 2%: no country code, junk, empty */
			switch ((h >> 12) % 4) {
			case 0: snprintf(phone, sizeof(phone), "(212) 555-%04d", (int)((h >> 20) % 10000)); break;
			case 1: snprintf(phone, sizeof(phone), "n/a"); break;
			case 2: snprintf(phone, sizeof(phone), "+1 212 555 01x%d", (int)((h >> 20) % 10)); break;
			default: phone[0] = '\0';
			}
		} else if (kind < 35 && i > 4096) { /* 1.5%: a number seen before */
			snprintf(phone, sizeof(phone), "%s", hist[(h >> 12) % 4096]);
		} else if (kind < 900) { /* US */
			unsigned k = (unsigned)((h >> 12) % N_NANP);
			int ex = 200 + (int)((h >> 20) % 800), ln = (int)((h >> 32) % 10000);
			fmt_nanp(phone, sizeof(phone), nanp[k].ac, ex, ln, (unsigned)(h >> 40));
			if ((h >> 48) % 10 == 0)
				snprintf(tz, sizeof(tz), "%s", nanp[k].tz);
			if ((h >> 52) % 8 == 0)
				lang = "es";
		} else if (kind < 940) { /* KSA mobile */
			snprintf(phone, sizeof(phone), "+966 5%d %03d %04d", (int)((h >> 12) % 10),
				 (int)((h >> 20) % 1000), (int)((h >> 32) % 10000));
			lang = "ar";
			ar = 1;
			if ((h >> 48) % 10 == 0)
				snprintf(tz, sizeof(tz), "Asia/Riyadh");
		} else if (kind < 965) { /* UAE */
			snprintf(phone, sizeof(phone), "00971 50 %03d %04d",
				 (int)((h >> 20) % 1000), (int)((h >> 32) % 10000));
			lang = (h >> 50) % 2 ? "ar" : "en";
			ar = lang[0] == 'a';
		} else if (kind < 985) { /* UK */
			snprintf(phone, sizeof(phone), "+44 20 7946 %04d", (int)((h >> 32) % 10000));
			if ((h >> 48) % 10 == 0)
				snprintf(tz, sizeof(tz), "Europe/London");
		} else { /* India */
			snprintf(phone, sizeof(phone), "+91 98%03d %05d",
				 (int)((h >> 20) % 1000), (int)((h >> 32) % 100000));
			if ((h >> 48) % 10 == 0)
				snprintf(tz, sizeof(tz), "Asia/Kolkata");
		}
		if (kind >= 35)
			snprintf(hist[i % 4096], 48, "%s", phone);
		if ((h >> 56) % 500 == 0)
			snprintf(tz, sizeof(tz), "Mars/Olympus_Mons"); /* not a zone */
		if ((h >> 44) % 300 == 0)
			name[0] = '\0'; /* empty {{customer_name}} */
		else
			name_field(name, sizeof(name), h * 31 + 7, ar);
		fprintf(f, "%s,%s,$%d.%02d,2026-12-%02d,%s,%s,ACC-%08ld\n", phone, name,
			(int)((h >> 20) % 990) + 10, (int)((h >> 30) % 100),
			1 + (int)((h >> 36) % 28), lang, tz, 10000000 + i);
	}
	if (fclose(f))
		die(path);
	free(hist);
	return 0;
}

/* ---- the log ---- */

struct log {
	FILE *f;
	const char *id;
	long lines;
};

static void ts_fmt(char *o, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(o, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void head(struct log *l, time_t t, const char *ev)
{
	char ts[21];
	ts_fmt(ts, t);
	fprintf(l->f, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\",\"event\":\"%s\"",
		ts, l->id, ev);
	l->lines++;
}

static const char *const sent[] = { "positive", "neutral", "negative" };

/* What gitdial-sim would answer for this number and attempt. */
struct oc {
	const char *outcome;
	long ring, talk;
	int connected, sip, retry;
	const char *by;
	uint64_t h;
};

static void outcome_of(struct oc *c, uint64_t num, int attempt)
{
	uint64_t h = mix(num * 4 + (uint64_t)attempt + 42);
	unsigned pick = (unsigned)(h % 100);

	memset(c, 0, sizeof(*c));
	c->h = h;
	if (pick < 55) {
		c->outcome = "connected"; c->connected = 1; c->by = "human";
		c->ring = 4 + (long)((h >> 8) % 18); c->talk = 5 + (long)((h >> 16) % 236);
		c->sip = 200;
	} else if (pick < 70) {
		c->outcome = "voicemail"; c->by = "machine_end_beep";
		c->ring = 15 + (long)((h >> 8) % 10); c->talk = 20 + (long)((h >> 16) % 20);
		c->sip = 200;
	} else if (pick < 88) {
		c->outcome = "no_answer"; c->ring = 30; c->sip = 480; c->retry = 1;
	} else if (pick < 95) {
		c->outcome = "busy"; c->ring = 2; c->sip = 486; c->retry = 1;
	} else if (pick < 98) {
		c->outcome = "hangup"; c->connected = 1; c->by = "human";
		c->ring = 6; c->talk = 1 + (long)((h >> 16) % 3); c->sip = 200;
	} else {
		c->outcome = "failed"; c->ring = 1; c->sip = 503;
	}
}

static void attempt_id(char *o, size_t n, const char *id, uint64_t num, int a)
{
	snprintf(o, n, "%s.%" PRIu64 ".%d", id, num, a);
}

static void call_id(char *o, size_t n, const char *aid)
{
	snprintf(o, n, "SIM%016" PRIx64, fnv1a(aid));
}

static void ev_dispatched(struct log *l, time_t t, uint64_t num, long row, int a)
{
	char aid[128];
	attempt_id(aid, sizeof(aid), l->id, num, a);
	head(l, t, "dispatched");
	fprintf(l->f, ",\"attempt_id\":\"%s\",\"phone\":\"+%" PRIu64 "\",\"row\":%ld,"
		"\"attempt\":%d,\"account\":\"sim-main\",\"caller_id\":\"+12125550100\"}\n",
		aid, num, row, a);
}

static void ev_placed(struct log *l, time_t t, uint64_t num, int a)
{
	char aid[128], cid[40];
	attempt_id(aid, sizeof(aid), l->id, num, a);
	call_id(cid, sizeof(cid), aid);
	head(l, t, "placed");
	fprintf(l->f, ",\"attempt_id\":\"%s\",\"call_id\":\"%s\"}\n", aid, cid);
}

/* The outcome (and analysis) lines as gitdial-sim spools them. */
static void ev_outcome(struct log *l, time_t placed, uint64_t num, int a)
{
	char aid[128], cid[40];
	struct oc c;
	time_t end;

	outcome_of(&c, num, a);
	end = placed + c.ring + c.talk;
	attempt_id(aid, sizeof(aid), l->id, num, a);
	call_id(cid, sizeof(cid), aid);
	head(l, end, "outcome");
	fprintf(l->f, ",\"attempt_id\":\"%s\",\"call_id\":\"%s\",\"outcome\":\"%s\","
		"\"duration_s\":%ld,\"connected\":%s,\"answered\":%s", aid, cid,
		c.outcome, c.talk, c.connected ? "true" : "false",
		c.connected && c.talk >= 30 ? "true" : "false");
	if (c.by)
		fprintf(l->f, ",\"answered_by\":\"%s\"", c.by);
	fprintf(l->f, ",\"sip_code\":%d}\n", c.sip);
	if (c.connected && c.talk >= 5) {
		head(l, end + 5, "analysis");
		fprintf(l->f, ",\"attempt_id\":\"%s\",\"call_id\":\"%s\",\"sentiment\":"
			"\"%s\",\"summary\":\"Talked with the agent.\",\"opt_out\":false}\n",
			aid, cid, sent[(c.h >> 24) % 3]);
	}
}

static int retry_wanted(uint64_t num, int a)
{
	struct oc c;
	outcome_of(&c, num, a);
	return c.retry;
}

/* The tick audience: +1 212 numbers, all distinct, with a few bad rows. */
struct trow {
	uint64_t num; /* 0: not a recipient (invalid or duplicate row) */
	int why;      /* 1 invalid, 2 duplicate */
};

static struct trow *tick_audience(const char *path, long rows)
{
	FILE *f = open_w(path);
	struct trow *r = calloc((size_t)rows + 1, sizeof(*r));
	long i;

	if (!r)
		die("calloc");
	fputs("phone,customer_name,amount,due_date,language,timezone,account_id\n", f);
	for (i = 0; i < rows; i++) {
		uint64_t h = mix((uint64_t)i + 7);
		uint64_t local = 2000000 + ((uint64_t)i * 7919) % 8000000;
		char phone[48], name[96];
		int ex = (int)(local / 10000), ln = (int)(local % 10000);

		if (i % 200 == 199) {
			snprintf(phone, sizeof(phone), "n/a");
			r[i].why = 1;
		} else if (i % 331 == 330) {
			uint64_t prev = 2000000 + ((uint64_t)(i - 100) * 7919) % 8000000;
			ex = (int)(prev / 10000);
			ln = (int)(prev % 10000);
			fmt_nanp(phone, sizeof(phone), 212, ex, ln, (unsigned)(h >> 40));
			r[i].why = (i - 100) % 200 == 199 ? 0 : 2;
			if (!r[i].why) /* that row was invalid: this one is the first */
				r[i].num = 12120000000ULL + prev;
		} else {
			fmt_nanp(phone, sizeof(phone), 212, ex, ln, (unsigned)(h >> 40));
			r[i].num = 12120000000ULL + local;
		}
		name_field(name, sizeof(name), h, 0);
		fprintf(f, "%s,%s,$%d.%02d,2026-12-%02d,en,%s,ACC-%08ld\n", phone, name,
			(int)((h >> 20) % 990) + 10, (int)((h >> 30) % 100),
			1 + (int)((h >> 36) % 28),
			(h >> 50) % 10 == 0 ? "America/New_York" : "", 10000000 + i);
	}
	if (fclose(f))
		die(path);
	return r;
}

/* A tick's file is written only when the tick logged something. */
static char *mem;
static size_t mem_len;

static FILE *log_open(void)
{
	FILE *f = open_memstream(&mem, &mem_len);
	if (!f)
		die("open_memstream");
	return f;
}

static void log_close(FILE *f, const char *dir, const char *id, time_t t, long k)
{
	char path[4200], d[4000];
	struct tm tm;
	FILE *o;

	if (fclose(f))
		die("fclose");
	if (mem_len) {
		gmtime_r(&t, &tm);
		snprintf(d, sizeof(d), "%s/outcomes/%s/%04d/%02d/%02d", dir, id,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		mkdirs(d);
		snprintf(path, sizeof(path), "%s/T%02d%02d%02dZ-%012" PRIx64 ".jsonl", d,
			 tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (uint64_t)(mix((uint64_t)k + 99) & 0xffffffffffffULL));
		o = open_w(path);
		if (fwrite(mem, 1, mem_len, o) != mem_len || fclose(o))
			die(path);
	}
	free(mem);
	mem = NULL;
	mem_len = 0;
}

/* A pending attempt: recipient index and attempt number. */
struct pend {
	long i;
	int a;
	long due; /* file index from which it may be dialed */
};

struct queue {
	struct pend *v;
	size_t head, n, cap;
};

static void q_push(struct queue *q, struct pend p)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 1024;
		q->v = realloc(q->v, q->cap * sizeof(*q->v));
		if (!q->v)
			die("realloc");
	}
	q->v[q->n++] = p;
}

/*
 * The history: file k at tick time T(k) holds the outcomes of file k-1's
 * calls (ingested from the spool), then the dispatched and placed lines of
 * this tick's batch. One extra last file holds the last outcomes.
 */
static void history(const char *dir, const char *id, struct trow *r, long rows,
		    long events, long files, time_t (*when)(long, long))
{
	struct log l = { NULL, id, 0 };
	struct queue retry = { 0 }, prev = { 0 }, cur = { 0 };
	long next = 0, k, i;
	/* new recipients per file: events / files / (about 4.6 lines each) */
	double per = (double)events / (double)files / 4.62;
	double acc = 0;

	for (k = 0; k <= files; k++) {
		time_t t = when(k, files);
		size_t j;

		l.f = log_open();
		if (k == 0) {
			head(&l, t, "status");
			fputs(",\"status\":\"dialing\",\"reason\":\"start_at reached\"}\n", l.f);
			for (i = 0; i < rows; i++) {
				if (!r[i].why)
					continue;
				head(&l, t, "skipped");
				if (r[i].why == 1)
					fprintf(l.f, ",\"phone\":null,\"row\":%ld,\"reason\":\"invalid\"}\n", i + 2);
				else
					fprintf(l.f, ",\"phone\":\"+%" PRIu64 "\",\"row\":%ld,"
						"\"reason\":\"duplicate\"}\n",
						(uint64_t)(12120000000ULL + 2000000 +
						((uint64_t)(i - 100) * 7919) % 8000000), i + 2);
			}
		}
		/* outcomes of the previous tick's calls */
		for (j = 0; j < prev.n; j++) {
			struct pend p = prev.v[j];
			ev_outcome(&l, when(k - 1, files) + 1, r[p.i].num, p.a);
			if (p.a < 3 && retry_wanted(r[p.i].num, p.a))
				q_push(&retry, (struct pend){ p.i, p.a + 1,
					k + (p.a == 1 ? 2 : 8) });
		}
		prev.n = 0;
		if (k == files) {
			log_close(l.f, dir, id, t, k);
			break;
		}
		/* this tick's batch: due retries first, then new recipients */
		cur.n = 0;
		while (retry.head < retry.n && retry.v[retry.head].due <= k)
			q_push(&cur, retry.v[retry.head++]);
		acc += per;
		while (acc >= 1 && next < rows && l.lines < events) {
			if (r[next].num) {
				q_push(&cur, (struct pend){ next, 1, 0 });
				acc -= 1;
			}
			next++;
		}
		for (j = 0; j < cur.n; j++)
			ev_dispatched(&l, t, r[cur.v[j].i].num, cur.v[j].i + 2, cur.v[j].a);
		for (j = 0; j < cur.n; j++)
			ev_placed(&l, t + 1, r[cur.v[j].i].num, cur.v[j].a);
		for (j = 0; j < cur.n; j++)
			q_push(&prev, cur.v[j]);
		log_close(l.f, dir, id, t, k);
	}
	fprintf(stderr, "gen: %ld log lines in %ld files, %ld of %ld rows reached\n",
		l.lines, files + 1, next, rows);
	free(retry.v);
	free(prev.v);
	free(cur.v);
}

/* 2026-11-02 .. 2026-11-23, ticks every 20 minutes from 14:00Z to 23:40Z. */
static time_t when_tick(long k, long files)
{
	long per_day = (files + 21) / 22, day, slot;
	if (per_day > 30)
		per_day = 30;
	day = k / per_day;
	slot = k % per_day;
	if (k == files) { /* the closing file: the last outcomes */
		day = (files - 1) / per_day;
		slot = (files - 1) % per_day;
		return 1793628000 + day * 86400 + slot * 1200 + 600;
	}
	return 1793628000 /* 2026-11-02T14:00:00Z */ + day * 86400 + slot * 1200;
}

/*
 * A long-running small campaign: the attempts (first attempts of the first
 * DIALED recipients, then retries of no_answer/busy when retries is set)
 * as a stream of groups, dispatched+placed then outcome(+analysis), spread
 * evenly over FILES files one minute apart, ending before
 * 2026-11-24T14:00:00Z.
 */
static void flat(const char *dir, const char *id, struct trow *r, long rows,
		 long dialed, long files, int retries)
{
	struct log l = { NULL, id, 0 };
	struct queue at = { 0 };
	size_t j, g = 0, ng;
	long i, k, n = 0, pass_start, pass_end;

	for (i = 0; i < rows && n < dialed; i++)
		if (r[i].num) {
			q_push(&at, (struct pend){ i, 1, 0 });
			n++;
		}
	for (pass_start = 0; retries && pass_start < (long)at.n; pass_start = pass_end) {
		pass_end = (long)at.n;
		for (i = pass_start; i < pass_end; i++) {
			struct pend p = at.v[i];
			if (p.a < 3 && retry_wanted(r[p.i].num, p.a))
				q_push(&at, (struct pend){ p.i, p.a + 1, 0 });
		}
	}
	ng = at.n * 2;
	for (k = 0; k < files; k++) {
		time_t t = 1795528800 /* 2026-11-24T14:00:00Z */ - (files - k) * 60;
		size_t upto = (size_t)((double)ng * (double)(k + 1) / (double)files);
		l.f = log_open();
		if (k == 0) {
			head(&l, t - 299, "status");
			fputs(",\"status\":\"dialing\",\"reason\":\"start_at reached\"}\n", l.f);
			for (i = 0; i < rows; i++) {
				if (!r[i].why)
					continue;
				head(&l, t - 299, "skipped");
				if (r[i].why == 1)
					fprintf(l.f, ",\"phone\":null,\"row\":%ld,\"reason\":\"invalid\"}\n", i + 2);
				else
					fprintf(l.f, ",\"phone\":\"+%" PRIu64 "\",\"row\":%ld,"
						"\"reason\":\"duplicate\"}\n",
						(uint64_t)(12120000000ULL + 2000000 +
						((uint64_t)(i - 100) * 7919) % 8000000), i + 2);
			}
		}
		for (; g < upto; g++) {
			struct pend p = at.v[g / 2];
			if (g % 2 == 0) {
				ev_dispatched(&l, t - 290, r[p.i].num, p.i + 2, p.a);
				ev_placed(&l, t - 289, r[p.i].num, p.a);
			} else {
				ev_outcome(&l, t - 290, r[p.i].num, p.a);
			}
		}
		log_close(l.f, dir, id, t, k);
	}
	j = at.n;
	fprintf(stderr, "gen: %ld log lines, %zu attempts in %ld files\n", l.lines, j, files);
	free(at.v);
}

/*
 * Another runner's commit between two ticks: N recipients from audience
 * row index FIRST on (never dialed in the history), each dispatched at
 * 14:55:30Z, placed and ended by 15:00:00Z, in one file at 15:00:30Z.
 */
static void more(const char *dir, const char *id, long first_row, long n)
{
	struct log l = { NULL, id, 0 };
	time_t t = 1795532430; /* 2026-11-24T15:00:30Z */
	long i, done = 0;

	l.f = log_open();
	for (i = first_row; done < n; i++) {
		uint64_t num = 12120000000ULL + 2000000 + ((uint64_t)i * 7919) % 8000000;
		if (i % 200 == 199 || i % 331 == 330)
			continue;
		ev_dispatched(&l, t - 300, num, i + 2, 1);
		ev_placed(&l, t - 299, num, 1);
		ev_outcome(&l, t - 299, num, 1);
		done++;
	}
	log_close(l.f, dir, id, t, 424242);
	fprintf(stderr, "gen: %ld more log lines\n", l.lines);
}

/*
 * gen inflight DIR ID FIRST N SPOOL: one more log file in which N
 * never-dialed recipients from row index FIRST on are dispatched and
 * placed (in flight) at 15:00Z, and in SPOOL one file a call with the
 * outcome (and analysis) the sim's webhook delivered for it, named and
 * shaped as gitdial-sim at /sim spools them: what `gitdial ingest` on
 * the webhook host then commits.
 */
static void inflight(const char *dir, const char *id, long first_row, long n,
		     const char *spool)
{
	struct log l = { NULL, id, 0 }, ev = { NULL, id, 0 };
	time_t t = 1795532400; /* 2026-11-24T15:00:00Z */
	long i, done = 0;
	char path[4096], *buf = NULL;
	size_t len = 0;

	l.f = log_open();
	mkdirs(spool);
	for (i = first_row; done < n; i++) {
		uint64_t num = 12120000000ULL + 2000000 + ((uint64_t)i * 7919) % 8000000;
		FILE *f;
		char *nl, *p;
		if (i % 200 == 199 || i % 331 == 330)
			continue;
		ev_dispatched(&l, t, num, i + 2, 1);
		ev_placed(&l, t + 1, num, 1);
		/* the events of this call, one spool file each */
		if (!(ev.f = open_memstream(&buf, &len)))
			die("open_memstream");
		ev_outcome(&ev, t + 1, num, 1);
		fclose(ev.f);
		for (p = buf; *p; p = nl + 1) {
			if (!(nl = strchr(p, '\n')))
				break;
			/* the sim's webhook names its account */
			snprintf(path, sizeof(path), "%s/1795532400.%09ld.1.%lu.json",
				 spool, done, (unsigned long)(p - buf));
			f = open_w(path);
			fprintf(f, "%.*s,\"account\":\"sim-main\"}", (int)(nl - p - 1), p);
			if (fclose(f))
				die(path);
		}
		free(buf);
		buf = NULL;
		done++;
	}
	log_close(l.f, dir, id, t, 515151);
	fprintf(stderr, "gen: %ld log lines in flight, %ld spooled events\n",
		l.lines, ev.lines);
}

/*
 * gen month DAYS PER_DAY CUT...: a month of a PER_DAY-calls-a-day
 * operation as a `git fast-import` stream on stdout, on top of the
 * current refs/heads/main. Every DAYS day (day 0 is Tuesday
 * 2026-11-03) has a tick a minute from 14:00Z to 23:59Z (09:00-18:59 in
 * New York), each two commits as the runner makes them: the claim
 * (tick: ..., the outcomes and analyses that ended since, then the
 * batch's dispatched lines) and the place commit (place: ..., the
 * placed lines), each a new file of outcomes/ID/YYYY/MM/DD/. A campaign
 * a week (week-1 ...), added by an operator's commit before its first
 * tick, of PER_DAY * 6 recipients (+1 212), runs seven days with
 * retries of no_answer and busy after 30 and 120 minutes; due retries
 * go first in a batch. For each CUT day (0-based), the tick of 19:58Z
 * ends at refs/tags/cutD-a and that of 19:59Z at refs/tags/cutD-b (the
 * measured tick is at 20:00Z); the stream ends after the last cut.
 * On stderr: per cut, the calls dialed and the commits made so far.
 */
struct mcall {
	long row;
	int a;
	uint64_t num;
	time_t end, due; /* the outcome (and analysis) time; a retry's */
};

static void fi_file(const char *path, const char *data, size_t len)
{
	printf("M 100644 inline %s\ndata %zu\n", path, len);
	fwrite(data, 1, len, stdout);
	putchar('\n');
}

static void fi_commit(long mark, const char *who, time_t t, const char *msg,
		      int first)
{
	printf("commit refs/heads/main\nmark :%ld\nauthor %s %lld +0000\n"
	       "committer %s %lld +0000\ndata %zu\n%s\n", mark, who, (long long)t,
	       who, (long long)t, strlen(msg), msg);
	if (first)
		printf("from refs/heads/main^0\n");
}

static void month(long days, long per_day, long *cuts, int ncuts)
{
	const char *runner = "gitdial runner <runner@gitdial.invalid>";
	time_t day0 = 1793714400; /* 2026-11-03T14:00:00Z, a Tuesday */
	long rows = per_day * 6, mark = 0, calls = 0, next = 0, d, m;
	struct mcall *pend = NULL, *retry = NULL;
	size_t npend = 0, nretry = 0, cap = 0, rcap = 0, i;
	char id[32] = "", path[256], msg[512], run[33];
	double acc = 0;
	int week = -1, c = 0;

	for (d = 0; d < days && c < ncuts; d++) {
		if ((int)(d / 7) != week) { /* a new campaign, added by an operator */
			char *csv = NULL, js[1024];
			size_t len = 0;
			FILE *f = open_memstream(&csv, &len);
			long r;
			if (*id) { /* the ended campaign's last outcomes, and the rows it never reached */
				struct log l = { NULL, id, 0 };
				char *buf = NULL;
				size_t len = 0;
				struct tm tm;
				time_t t = day0 + d * 86400 - 7200; /* before the next campaign's commit */
				if (!(l.f = open_memstream(&buf, &len)))
					die("open_memstream");
				for (i = 0; i < npend; i++) {
					struct oc o;
					outcome_of(&o, pend[i].num, pend[i].a);
					ev_outcome(&l, pend[i].end - o.ring - o.talk -
						   ((o.connected && o.talk >= 5) ? 5 : 0), pend[i].num, pend[i].a);
				}
				for (i = 0; i < nretry + (size_t)(rows - next); i++) {
					long r = i < nretry ? retry[i].row : next + (long)(i - nretry);
					head(&l, t, "skipped");
					fprintf(l.f, ",\"phone\":\"+1212%07" PRIu64 "\",\"row\":%ld,\"reason\":\"expired\"}\n",
						(uint64_t)(2000000 + ((uint64_t)(week * rows + r) * 7919) % 8000000), r + 2);
				}
				head(&l, t, "status");
				fputs(",\"status\":\"completed\",\"reason\":\"every recipient is in a final state\"}\n", l.f);
				fclose(l.f);
				gmtime_r(&t, &tm);
				snprintf(msg, sizeof(msg), "tick: %s %zu outcomes, %zu skipped\n\nGitdial-Run: %032" PRIx64 "\n",
					 id, npend, nretry + (size_t)(rows - next), (uint64_t)mix((uint64_t)mark));
				mark++;
				fi_commit(mark, runner, t, msg, 0);
				snprintf(path, sizeof(path), "outcomes/%s/%04d/%02d/%02d/T%02d%02d%02dZ-%012" PRIx64 ".jsonl",
					 id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
					 tm.tm_min, tm.tm_sec, (uint64_t)(mix((uint64_t)mark) & 0xffffffffffffULL));
				fi_file(path, buf, len);
				free(buf);
			}
			week = (int)(d / 7);
			snprintf(id, sizeof(id), "week-%d", week + 1);
			if (!f)
				die("open_memstream");
			fputs("phone,customer_name,amount,due_date\n", f);
			for (r = 0; r < rows; r++) {
				uint64_t h = mix((uint64_t)(week * rows + r) + 11);
				uint64_t local = 2000000 + ((uint64_t)(week * rows + r) * 7919) % 8000000;
				fprintf(f, "+1212%07" PRIu64 ",%s %s,$%d.%02d,2026-12-%02d\n", local,
					first[h % 34], last[(h >> 8) % 30], (int)((h >> 20) % 990) + 10,
					(int)((h >> 30) % 100), 1 + (int)((h >> 36) % 28));
			}
			fclose(f);
			{
				char s0[21], s1[21];
				ts_fmt(s0, day0 + d * 86400);
				ts_fmt(s1, day0 + (d + 7) * 86400 - 1);
				snprintf(js, sizeof(js), "{\n  \"name\": \"Reminders, week %d\",\n"
					 "  \"status\": \"scheduled\",\n  \"start_at\": \"%s\",\n"
					 "  \"end_at\": \"%s\",\n  \"account\": \"sim-main\",\n"
					 "  \"caller_id\": \"+12125550100\",\n  \"script\": {\"mode\": \"override\", "
					 "\"text\": \"A payment reminder for {{customer_name}}: {{amount}} is due on {{due_date}}.\"},\n"
					 "  \"audience\": {\"csv\": \"audience.csv\"},\n  \"pacing\": {\"concurrency\": 40,\n"
					 "    \"window\": {\"start\": \"09:00\", \"end\": \"20:00\"},\n"
					 "    \"retries\": {\"max\": 2, \"cooldown_minutes\": [30, 120], \"on\": [\"no_answer\", \"busy\"]}}\n}\n",
					 week + 1, s0, s1);
			}
			snprintf(msg, sizeof(msg), "campaigns: %s\n", id);
			mark++;
			fi_commit(mark, "Ops Person <ops@example.com>", day0 + d * 86400 - 3600, msg, mark == 1);
			snprintf(path, sizeof(path), "campaigns/%s/audience.csv", id);
			fi_file(path, csv, len);
			snprintf(path, sizeof(path), "campaigns/%s/campaign.json", id);
			fi_file(path, js, strlen(js));
			free(csv);
			npend = nretry = 0; /* the last campaign ended with its week */
			next = 0;
		}
		for (m = 0; m < 600; m++) {
			time_t t = day0 + d * 86400 + m * 60;
			struct log l = { NULL, id, 0 };
			char *buf = NULL, *pbuf = NULL, ts[21], hex[13];
			size_t len = 0, plen = 0, w, n = 0, ins = 0, batch_from;
			struct tm tm;
			struct log p = { NULL, id, 0 };
			uint64_t h = mix((uint64_t)mark * 31 + 5);

			snprintf(run, sizeof(run), "%016" PRIx64 "%016" PRIx64, h, mix(h));
			if (!(l.f = open_memstream(&buf, &len)) || !(p.f = open_memstream(&pbuf, &plen)))
				die("open_memstream");
			if (m == 0 && d % 7 == 0) {
				head(&l, t, "status");
				fputs(",\"status\":\"dialing\",\"reason\":\"start_at reached\"}\n", l.f);
			}
			/* the calls that ended (outcome and analysis in by now) */
			for (i = w = 0; i < npend; i++) {
				struct mcall x = pend[i];
				struct oc o;
				if (x.end > t) {
					pend[w++] = x;
					continue;
				}
				outcome_of(&o, x.num, x.a);
				ev_outcome(&l, x.end - o.ring - o.talk - ((o.connected && o.talk >= 5) ? 5 : 0),
					   x.num, x.a);
				ins++;
				if (o.retry && x.a < 3) {
					if (nretry == rcap && !(retry = realloc(retry, (rcap = rcap * 2 + 256) * sizeof(*retry))))
						die("realloc");
					x.a++;
					x.due = x.end + (x.a == 2 ? 1800 : 7200);
					retry[nretry++] = x;
				}
			}
			npend = w;
			/* this tick's batch: due retries first, then new rows */
			acc += (double)per_day / 600.0;
			batch_from = npend;
			for (i = w = 0; i < nretry; i++) {
				if (retry[i].due <= t && acc >= 1) {
					if (npend == cap && !(pend = realloc(pend, (cap = cap * 2 + 256) * sizeof(*pend))))
						die("realloc");
					pend[npend++] = retry[i];
					acc -= 1;
				} else {
					retry[w++] = retry[i];
				}
			}
			nretry = w;
			while (acc >= 1 && next < rows) {
				struct mcall x = { next, 1, 12120000000ULL + 2000000 +
					((uint64_t)(week * rows + next) * 7919) % 8000000, 0, 0 };
				if (npend == cap && !(pend = realloc(pend, (cap = cap * 2 + 256) * sizeof(*pend))))
					die("realloc");
				pend[npend++] = x;
				next++;
				acc -= 1;
			}
			for (i = batch_from; i < npend; i++) {
				struct oc o;
				char aid[128], cid[40];
				outcome_of(&o, pend[i].num, pend[i].a);
				pend[i].end = t + o.ring + o.talk + ((o.connected && o.talk >= 5) ? 5 : 0);
				attempt_id(aid, sizeof(aid), id, pend[i].num, pend[i].a);
				head(&l, t, "dispatched");
				fprintf(l.f, ",\"attempt_id\":\"%s\",\"phone\":\"+%" PRIu64 "\",\"row\":%ld,"
					"\"attempt\":%d,\"account\":\"sim-main\",\"caller_id\":\"+12125550100\","
					"\"rules\":\"4fd6809825f964f3\"}\n", aid, pend[i].num, pend[i].row + 2,
					pend[i].a);
				call_id(cid, sizeof(cid), aid);
				head(&p, t, "placed");
				fprintf(p.f, ",\"attempt_id\":\"%s\",\"call_id\":\"%s\"}\n", aid, cid);
				n++;
			}
			calls += (long)n;
			fclose(l.f);
			fclose(p.f);
			gmtime_r(&t, &tm);
			ts_fmt(ts, t);
			snprintf(hex, sizeof(hex), "%012" PRIx64, (uint64_t)(mix(h + 1) & 0xffffffffffffULL));
			snprintf(msg, sizeof(msg), "tick: %s +%zu dialed, %zu outcomes\n\nGitdial-Run: %s\n",
				 id, n, ins, run);
			mark++;
			fi_commit(mark, runner, t, msg, mark == 1);
			snprintf(path, sizeof(path), "outcomes/%s/%04d/%02d/%02d/T%02d%02d%02dZ-%s.jsonl",
				 id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec, hex);
			fi_file(path, buf, len);
			snprintf(hex, sizeof(hex), "%012" PRIx64, (uint64_t)(mix(h + 2) & 0xffffffffffffULL));
			snprintf(msg, sizeof(msg), "place: %s %zu placed, 0 failed\n\nGitdial-Run: %s\n",
				 id, n, run);
			fi_commit(++mark, runner, t, msg, 0);
			snprintf(path, sizeof(path), "outcomes/%s/%04d/%02d/%02d/T%02d%02d%02dZ-%s-p.jsonl",
				 id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec, hex);
			fi_file(path, pbuf, plen);
			free(buf);
			free(pbuf);
			if (d == cuts[c] && m == 358)
				printf("reset refs/tags/cut%ld-a\nfrom :%ld\n\n", d, mark);
			if (d == cuts[c] && m == 359) {
				printf("reset refs/tags/cut%ld-b\nfrom :%ld\n\n", d, mark);
				fprintf(stderr, "gen: cut%ld: %ld calls, %ld commits, the measured tick at %sZ\n",
					d, calls, mark, "20:00:00");
				if (++c == ncuts)
					break;
			}
		}
	}
	printf("done\n");
	free(pend);
	free(retry);
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc >= 5 && !strcmp(argv[1], "audience"))
		return cmd_audience(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc >= 7 && !strcmp(argv[1], "tick")) {
		long rows = atol(argv[3]);
		struct trow *r;
		snprintf(path, sizeof(path), "%s/campaigns/%s", argv[2], argv[6]);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/campaigns/%s/audience.csv", argv[2], argv[6]);
		r = tick_audience(path, rows);
		history(argv[2], argv[6], r, rows, atol(argv[4]), atol(argv[5]), when_tick);
		free(r);
		return 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "flat")) {
		long rows = atol(argv[3]), dialed = atol(argv[4]), files = atol(argv[5]);
		struct trow *r;
		snprintf(path, sizeof(path), "%s/campaigns/%s", argv[2], argv[6]);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/campaigns/%s/audience.csv", argv[2], argv[6]);
		r = tick_audience(path, rows);
		flat(argv[2], argv[6], r, rows, dialed, files, argc > 7 && atoi(argv[7]));
		free(r);
		return 0;
	}
	if (argc >= 6 && !strcmp(argv[1], "more")) {
		more(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
		return 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "inflight")) {
		inflight(argv[2], argv[3], atol(argv[4]), atol(argv[5]), argv[6]);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "month")) {
		long cuts[8];
		int i, n = 0;
		for (i = 4; i < argc && n < 8; i++)
			cuts[n++] = atol(argv[i]);
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
		month(atol(argv[2]), atol(argv[3]), cuts, n);
		return fflush(stdout) ? 2 : 0;
	}
	fprintf(stderr, "usage: gen audience FILE ROWS SEED | gen tick DIR ROWS EVENTS FILES ID"
		" | gen flat DIR ROWS DIALED FILES ID [RETRIES] | gen more DIR ID FIRST N"
		" | gen inflight DIR ID FIRST N SPOOL | gen month DAYS PER_DAY CUT...\n");
	return 2;
}
