/*
 * gitdial pause | resume | archive | delete | restore | duplicate ID...
 * (SPEC §8): the operators' bulk actions. Each call is one commit by the
 * operator, whatever the number of ids; an id that cannot take the action
 * is refused with the reason and the others still go through. The commit
 * is a compare-and-swap on the branch (store_edit): racing a tick or
 * another operator, the action is re-decided on the new head and neither
 * commit is lost.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "author.h"
#include "cmd.h"
#include "err.h"
#include "folder.h"
#include "jsonx.h"
#include "ledger.h"
#include "repo.h"
#include "state.h"
#include "store_edit.h"
#include "util.h"
#include "worktree.h"
#include "banned.h"

enum act { ACT_PAUSE, ACT_RESUME, ACT_ARCHIVE, ACT_DELETE, ACT_RESTORE,
	   ACT_DUPLICATE };

static const char *const act_names[] = {
	"pause", "resume", "archive", "delete", "restore", "duplicate"
};
static const char *const act_done[] = {
	"paused", "resumed", "archived", "deleted", "restored", "duplicated"
};

struct result {
	const char *id;
	char new_id[65];
	char where[16]; /* the folder it ended in */
	int ok;
	char msg[512];
};

struct bulk {
	enum act act;
	char **ids;
	size_t n;
	const char *as; /* duplicate: the new id (one source only) */
	int remaining;  /* duplicate --remaining: only recipients not reached */
	const char *who; /* "Name <email>" */
	time_t now;
	struct store *st; /* whose checkout must agree with the commit */
	struct result *res;
};

static int refuse(struct result *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int refuse(struct result *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	x->ok = 0;
	return 0;
}

/* A campaign under campaigns/ with its derived state. */
struct live {
	struct repo *r;
	struct repo_campaign *rc;
	struct cstate st;
	int have_state;
	enum status eff;
	size_t in_flight;
};

static void live_release(struct live *l)
{
	if (l->have_state)
		state_release(&l->st);
	repo_free(l->r);
	memset(l, 0, sizeof(*l));
}

/* Loads campaigns/<id> and its log; refuses (returns 1) when it cannot. */
static int live_load(struct live *l, struct src *s, const char *id,
		     time_t now, struct result *x)
{
	struct diags d = { 0 };
	int rc;

	memset(l, 0, sizeof(*l));
	rc = repo_load(&l->r, s, id, REPO_AUDIENCE, &d);
	diags_release(&d);
	if (rc == GD_ENOTFOUND || (!rc && !(l->rc = repo_find(l->r, id))))
		return refuse(x, "no campaign '%s' in campaigns/", id), 1;
	if (rc)
		return refuse(x, "gitdial.json is invalid (gitdial validate)"), 1;
	if (!l->rc->c)
		return refuse(x, "campaigns/%s/campaign.json is invalid "
			      "(gitdial validate)", id), 1;
	if (state_init(&l->st, l->rc->aud))
		return refuse(x, "out of memory"), 1;
	l->have_state = 1;
	ledger_replay(&l->st, s, id);
	l->eff = state_effective(l->rc->c, &l->st, now);
	l->in_flight = state_in_flight(&l->st);
	return 0;
}

/*
 * Sets the n members kv[2i] to kv[2i+1] (JSON texts) in text (a
 * campaign.json, edited in place) and adds it to ch at path.
 */
static int edit_text(struct change *ch, const char *path, struct buf *text,
		     const char *const *kv, size_t n)
{
	struct buf out = BUF_INIT(CAMPAIGN_MAX);
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		buf_reset(&out);
		if (!(rc = json_set_member(&out, text->ptr, text->len, kv[2 * i],
					   kv[2 * i + 1]))) {
			buf_reset(text);
			rc = buf_put(text, out.ptr, out.len);
		}
	}
	if (!rc)
		rc = change_add_buf(ch, path, text);
	buf_release(&out);
	return rc;
}

/* edit_text of the campaign.json at path in s, written back to path. */
static int edit_member(struct src *s, struct change *ch, const char *path,
		       const char *const *kv, size_t n)
{
	struct buf text = BUF_INIT(CAMPAIGN_MAX);
	int rc = s->read(s, path, &text, CAMPAIGN_MAX);

	if (!rc)
		rc = edit_text(ch, path, &text, kv, n);
	buf_release(&text);
	return rc;
}

/*
 * A status event in a new log file of the campaign l, dated now, or the
 * time of the newest event in its log when the clock is behind it: the
 * log never goes back in time.
 */
static int add_status(struct bulk *b, struct change *ch, const struct live *l,
		      const char *id, const char *status, const char *reason,
		      int64_t newest)
{
	struct buf line = BUF_INIT(4096);
	char path[512], tag[48];
	time_t ts = b->now;
	int rc;

	if (l && l->have_state && l->st.last_ts > newest)
		newest = l->st.last_ts;
	if (newest > (int64_t)ts)
		ts = (time_t)newest;
	snprintf(tag, sizeof(tag), "op-%08lx",
		 (unsigned long)(hash_fnv1a(b->who, strlen(b->who)) ^
				 (uint64_t)ts) & 0xffffffffUL);
	ledger_path(path, sizeof(path), id, ts, tag);
	rc = ev_status(&line, ts, id, status, reason);
	if (!rc)
		rc = change_add_buf(ch, path, &line);
	buf_release(&line);
	return rc;
}

static int do_pause(struct bulk *b, struct src *s, struct change *ch,
		    struct result *x)
{
	static const char *const kv[] = { "status", "\"paused\"" };
	struct live l;
	char path[128], why[300];
	int rc = 0;

	if (live_load(&l, s, x->id, b->now, x))
		goto cleanup;
	if (l.eff != ST_DIALING) {
		refuse(x, "is %s: only a Dialing campaign can be paused%s",
		       status_labels[l.eff],
		       l.eff == ST_SCHEDULED ? " (to hold it before it starts, "
		       "set \"status\": \"draft\")" : "");
		goto cleanup;
	}
	snprintf(path, sizeof(path), "campaigns/%s/campaign.json", x->id);
	snprintf(why, sizeof(why), "paused by %s", b->who);
	if (!(rc = edit_member(s, ch, path, kv, 1)) &&
	    !(rc = add_status(b, ch, &l, x->id, "paused", why, 0))) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "campaigns");
		if (l.in_flight)
			snprintf(x->msg, sizeof(x->msg), "%zu call%s in flight "
				 "finish and are recorded", l.in_flight,
				 l.in_flight == 1 ? "" : "s");
	}
cleanup:
	live_release(&l);
	return rc;
}

/* True when recipient rs is not final: it may still be dialed. */
static int not_final(const struct campaign *c, const struct rstate *rs,
		     time_t now)
{
	time_t when;

	return rs->dead == RS_DEAD_CAMPAIGN ||
	       rstate_eligible(c, rs, now, &when) != EL_TERMINAL;
}

/*
 * Resumes a Failed campaign (l) after the operator fixed the cause: a
 * status whose reason starts with RESUMED_FAILED_PREFIX, newer than the
 * failure, from which the tick goes on with the campaign's own log. The
 * recipients the failure refused are dialed again (state.h,
 * RS_DEAD_CAMPAIGN); those already final (reached, opted out, out of
 * retries) are not.
 */
static int resume_failed(struct bulk *b, struct src *s, struct change *ch,
			 struct result *x, struct live *l)
{
	static const char *const kv[] = { "status", "\"scheduled\"" };
	char path[128], why[300], t[21];
	size_t i, left = 0;
	int rc, started;

	if (!strncmp(l->st.logged_reason, REMAINING_PREFIX,
		     strlen(REMAINING_PREFIX)))
		return refuse(x, "is Failed and its recipients not yet reached "
			      "were moved to a copy (%s): run the copy instead",
			      l->st.logged_reason);
	if (b->now <= l->st.logged_ts) {
		time_format_utc(t, (time_t)l->st.logged_ts);
		return refuse(x, "failed at %s, not before now: a resumption "
			      "must be newer than the failure", t);
	}
	for (i = 0; i < l->st.n; i++)
		left += not_final(l->rc->c, &l->st.r[i], b->now);
	snprintf(path, sizeof(path), "campaigns/%s/campaign.json", x->id);
	if (l->rc->c->desired != WANT_SCHEDULED &&
	    (rc = edit_member(s, ch, path, kv, 1)))
		return rc;
	started = l->rc->c->start_at && b->now >= l->rc->c->start_at;
	snprintf(why, sizeof(why), RESUMED_FAILED_PREFIX " by %s", b->who);
	if ((rc = add_status(b, ch, l, x->id, started ? "dialing" : "scheduled",
			     why, 0)))
		return rc;
	x->ok = 1;
	snprintf(x->where, sizeof(x->where), "campaigns");
	snprintf(x->msg, sizeof(x->msg), "was Failed; %zu recipient%s not "
		 "reached yet %s dialed by the next ticks, %zu final (reached, "
		 "opted out, out of retries) %s not", left, left == 1 ? "" : "s",
		 left == 1 ? "is" : "are", l->st.n - left,
		 l->st.n - left == 1 ? "is" : "are");
	return 0;
}

static int do_resume(struct bulk *b, struct src *s, struct change *ch,
		     struct result *x)
{
	static const char *const kv[] = { "status", "\"scheduled\"" };
	struct live l;
	char path[128], why[300];
	int rc = 0, started;

	if (live_load(&l, s, x->id, b->now, x))
		goto cleanup;
	if (l.eff == ST_FAILED) {
		rc = resume_failed(b, s, ch, x, &l);
		goto cleanup;
	}
	if (l.eff != ST_PAUSED) {
		refuse(x, "is %s: only a Paused or Failed campaign can be "
		       "resumed%s", status_labels[l.eff], l.eff == ST_COMPLETED
		       ? " (Completed is final)" : "");
		goto cleanup;
	}
	snprintf(path, sizeof(path), "campaigns/%s/campaign.json", x->id);
	if (l.rc->c->desired == WANT_PAUSED &&
	    (rc = edit_member(s, ch, path, kv, 1)))
		goto cleanup;
	/*
	 * The status event says who resumed it, and ends a pause the runner
	 * made itself (the circuit breaker), which campaign.json cannot.
	 */
	started = l.rc->c->start_at && b->now >= l.rc->c->start_at;
	snprintf(why, sizeof(why), "resumed by %s", b->who);
	if (!(rc = add_status(b, ch, &l, x->id, started ? "dialing" : "scheduled",
			      why, 0))) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "campaigns");
	}
cleanup:
	live_release(&l);
	return rc;
}

/* Why a live campaign may not leave campaigns/ now; 0 when it may. */
static int must_stay(struct bulk *b, struct src *s, struct result *x)
{
	struct live l;
	int stay = 1;

	if (live_load(&l, s, x->id, b->now, x))
		goto cleanup;
	if (l.eff == ST_DIALING)
		refuse(x, "is Dialing: pause it first (gitdial pause %s), then "
		       "%s it once its calls in flight have ended", x->id,
		       act_names[b->act]);
	else if (l.in_flight)
		refuse(x, "%zu call%s still in flight: %s it once the next "
		       "ticks have recorded %s", l.in_flight,
		       l.in_flight == 1 ? " is" : "s are", act_names[b->act],
		       l.in_flight == 1 ? "it" : "them");
	else
		stay = 0;
cleanup:
	live_release(&l);
	return stay;
}

static int do_archive(struct bulk *b, struct src *s, struct change *ch,
		      struct result *x)
{
	char from[128], to[128];
	int rc;

	if (!folder_exists(s, "campaigns", x->id))
		return refuse(x, "no campaign '%s' in campaigns/%s", x->id,
			      folder_exists(s, "archived", x->id)
			      ? " (it is archived already)" : "");
	if (folder_exists(s, "archived", x->id))
		return refuse(x, "archived/%s exists already", x->id);
	if (must_stay(b, s, x))
		return 0;
	snprintf(from, sizeof(from), "campaigns/%s", x->id);
	snprintf(to, sizeof(to), "archived/%s", x->id);
	if (!(rc = folder_move(s, ch, from, to, NULL))) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "archived");
	}
	return rc;
}

static int do_delete(struct bulk *b, struct src *s, struct change *ch,
		     struct result *x)
{
	struct buf marker = BUF_INIT(4096);
	const char *top;
	char from[128], to[128], path[160];
	int rc = 0;

	if (folder_exists(s, "campaigns", x->id)) {
		top = "campaigns";
		if (must_stay(b, s, x))
			goto cleanup;
	} else if (folder_exists(s, "archived", x->id)) {
		top = "archived";
	} else {
		refuse(x, "no campaign '%s' in campaigns/ or archived/%s", x->id,
		       folder_exists(s, "deleted", x->id)
		       ? " (it is deleted already)" : "");
		goto cleanup;
	}
	if (folder_exists(s, "deleted", x->id)) {
		refuse(x, "deleted/%s exists (an earlier deletion, kept 30 "
		       "days): restore or purge it first", x->id);
		goto cleanup;
	}
	snprintf(from, sizeof(from), "%s/%s", top, x->id);
	snprintf(to, sizeof(to), "deleted/%s", x->id);
	snprintf(path, sizeof(path), "%s/%s", to, DELETED_MARKER);
	if (!(rc = folder_move(s, ch, from, to, NULL)) &&
	    !(rc = deleted_marker_write(&marker, b->now, b->who, top)) &&
	    !(rc = change_add_buf(ch, path, &marker))) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "deleted");
	}
cleanup:
	buf_release(&marker);
	return rc;
}

static int do_restore(struct bulk *b, struct src *s, struct change *ch,
		      struct result *x)
{
	struct buf text = BUF_INIT(4096);
	char from[128], to[128], path[160], top[16], t[21];
	time_t when;
	int rc = 0;

	if (folder_exists(s, "deleted", x->id)) {
		snprintf(path, sizeof(path), "deleted/%s/%s", x->id,
			 DELETED_MARKER);
		if (s->read(s, path, &text, 4096) ||
		    deleted_marker_parse(text.ptr, text.len, &when, top)) {
			refuse(x, "%s is missing or malformed: cannot tell where "
			       "the campaign came from", path);
			goto cleanup;
		}
		time_format_utc(t, when);
		if (b->now - when >= FOLDER_RETENTION_S) {
			refuse(x, "was deleted at %s, more than 30 days ago: it "
			       "is purged by the next tick", t);
			goto cleanup;
		}
		snprintf(from, sizeof(from), "deleted/%s", x->id);
	} else if (folder_exists(s, "archived", x->id)) {
		snprintf(top, sizeof(top), "campaigns");
		snprintf(from, sizeof(from), "archived/%s", x->id);
	} else {
		refuse(x, "no campaign '%s' in deleted/ or archived/", x->id);
		goto cleanup;
	}
	if (folder_exists(s, "campaigns", x->id) ||
	    folder_exists(s, top, x->id)) {
		refuse(x, "%s/%s exists: rename one of them first",
		       folder_exists(s, "campaigns", x->id) ? "campaigns" : top,
		       x->id);
		goto cleanup;
	}
	snprintf(to, sizeof(to), "%s/%s", top, x->id);
	if (!(rc = folder_move(s, ch, from, to, DELETED_MARKER))) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "%s", top);
	}
cleanup:
	buf_release(&text);
	return rc;
}

/* True when id is taken anywhere, by a folder or by a log. */
static int id_taken(struct src *s, const struct change *ch, const char *id)
{
	struct src_files f = { NULL, 0 };
	char dir[96];
	size_t i, l;
	int taken = 0;

	for (i = 0; folder_tops[i] && !taken; i++)
		taken = folder_exists(s, folder_tops[i], id);
	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	if (!taken && !s->files(s, dir, "", &f) && f.n)
		taken = 1; /* a new campaign must not inherit an old log */
	src_files_release(&f);
	snprintf(dir, sizeof(dir), "campaigns/%s/", id);
	l = strlen(dir);
	for (i = 0; ch && !taken && i < ch->n; i++)
		taken = !strncmp(ch->v[i].path, dir, l);
	return taken;
}

/*
 * Puts data at path into ch: over a file ch holds at from (a copied
 * audience, moved to path), else as a new file.
 */
static int change_put(struct change *ch, const char *from, const char *path,
		      const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (!ch->v[i].remove && !strcmp(ch->v[i].path, from)) {
			char *p = strdup(path), *d = malloc(len + 1);
			if (!p || !d) {
				free(p);
				free(d);
				return gd_error_set("out of memory");
			}
			memcpy(d, data, len);
			free(ch->v[i].path);
			free(ch->v[i].data);
			ch->v[i].path = p;
			ch->v[i].data = d;
			ch->v[i].len = len;
			return 0;
		}
	return change_add(ch, path, data, len);
}

/* What duplicate --remaining takes from the original. */
struct remain {
	struct buf csv;      /* the header and the rows not final, verbatim */
	size_t n, of;        /* rows taken, of the audience's recipients */
	char path[256];      /* the original audience file */
	time_t logged_ts;
	int64_t last_ts;     /* its log's newest event */
};

/*
 * The audience rows of x->id (in top/) whose recipients are not final
 * yet (never dialed, waiting for a retry, refused with their Failed
 * campaign), copied verbatim after the header into m->csv. Refuses
 * (returns 1) unless the campaign is Failed or Paused with no call in
 * flight, and when no row is left: the copy must be the only campaign
 * that can still dial them.
 */
static int remaining_rows(struct bulk *b, struct src *s, const char *top,
			  struct result *x, struct remain *m)
{
	struct diags d = { 0 };
	struct repo *r = NULL;
	struct repo_campaign *rc = NULL;
	struct cstate st;
	const struct audience *a;
	enum status eff;
	size_t i, len;
	int err, have = 0, out = 1, full = 0;

	err = repo_load(&r, s, x->id, REPO_AUDIENCE | REPO_VARS |
			(!strcmp(top, "archived") ? REPO_ARCHIVED : 0), &d);
	diags_release(&d);
	if (err || !(rc = repo_find(r, x->id)) || !rc->c) {
		refuse(x, "%s/%s/campaign.json or gitdial.json is invalid "
		       "(gitdial validate)", top, x->id);
		goto cleanup;
	}
	if (!(a = rc->aud) || !a->text) {
		refuse(x, "its audience %s cannot be read (gitdial validate)",
		       rc->audience_path);
		goto cleanup;
	}
	if (state_init(&st, a)) {
		refuse(x, "out of memory");
		goto cleanup;
	}
	have = 1;
	if ((err = ledger_replay(&st, s, x->id))) {
		refuse(x, "its log cannot be read: %s", gd_error_last());
		goto cleanup;
	}
	eff = state_effective(rc->c, &st, b->now);
	if (eff != ST_FAILED && eff != ST_PAUSED) {
		refuse(x, "is %s: --remaining takes the recipients of a Failed "
		       "or Paused campaign%s", status_labels[eff],
		       eff == ST_DIALING ? " (pause it first, so that only the "
		       "copy dials them)" : "");
		goto cleanup;
	}
	if (eff == ST_FAILED && !strncmp(st.logged_reason, REMAINING_PREFIX,
					 strlen(REMAINING_PREFIX))) {
		refuse(x, "its recipients not yet reached were moved already (%s)",
		       st.logged_reason);
		goto cleanup;
	}
	if (state_in_flight(&st)) {
		refuse(x, "%zu call%s still in flight: duplicate it once the next "
		       "ticks have recorded %s", state_in_flight(&st),
		       state_in_flight(&st) == 1 ? " is" : "s are",
		       state_in_flight(&st) == 1 ? "it" : "them");
		goto cleanup;
	}
	if (b->now <= st.logged_ts) {
		refuse(x, "its newest status is not before now");
		goto cleanup;
	}
	m->logged_ts = st.logged_ts;
	m->last_ts = st.last_ts;
	snprintf(m->path, sizeof(m->path), "%s", rc->audience_path);
	if (!(len = audience_record_len(a, 0)) ||
	    buf_put(&m->csv, a->text, len)) {
		refuse(x, "cannot read the header of %s", rc->audience_path);
		goto cleanup;
	}
	if (a->text[len - 1] != '\n' && a->text[len - 1] != '\r')
		full |= buf_putc(&m->csv, '\n');
	for (i = 0; i < a->n; i++) {
		const struct recipient *p = &a->r[i];
		if (!not_final(rc->c, &st.r[i], b->now))
			continue;
		if (p->vars == UINT32_MAX || !(len = audience_record_len(a, p->vars))) {
			refuse(x, "%s: line %lu cannot be copied", rc->audience_path,
			       (unsigned long)p->line);
			goto cleanup;
		}
		full |= buf_put(&m->csv, a->text + p->vars, len);
		/* the last row may end without a newline */
		if (a->text[p->vars + len - 1] != '\n' &&
		    a->text[p->vars + len - 1] != '\r')
			full |= buf_putc(&m->csv, '\n');
		m->n++;
	}
	m->of = a->n;
	if (full) {
		refuse(x, "the rows left do not fit in memory");
		goto cleanup;
	}
	if (!m->n) {
		refuse(x, "every one of its %zu recipients is final (reached, "
		       "opted out, out of retries): nobody remains", a->n);
		goto cleanup;
	}
	out = 0;
cleanup:
	if (have)
		state_release(&st);
	repo_free(r);
	return out;
}

static int do_duplicate(struct bulk *b, struct src *s, struct change *ch,
			struct result *x)
{
	struct buf text = BUF_INIT(CAMPAIGN_MAX);
	struct remain m;
	const char *top = NULL;
	char from[128], to[128], path[160], dst[160], name[600], *qname = NULL;
	char created[32], t[21];
	const char *kv[10];
	char aud_name[160], aud_member[200], why[400];
	const cJSON *nm, *sa;
	cJSON *o = NULL;
	time_t start = 0;
	size_t cut, chars;
	int rc = 0, i, has_created;

	memset(&m, 0, sizeof(m));
	buf_init(&m.csv, AUDIENCE_INFLATED_MAX + 4096); /* allocates nothing yet */
	if (folder_exists(s, "campaigns", x->id))
		top = "campaigns";
	else if (folder_exists(s, "archived", x->id))
		top = "archived";
	else
		return refuse(x, "no campaign '%s' in campaigns/ or archived/",
			      x->id);
	if (b->as) {
		if (!id_valid(b->as))
			return refuse(x, "--as '%s' is not a campaign id (expected "
				      "[a-z0-9][a-z0-9-]{0,63})", b->as);
		if (id_taken(s, ch, b->as))
			return refuse(x, "'%s' is taken (a campaign folder or a "
				      "log has that id)", b->as);
		snprintf(x->new_id, sizeof(x->new_id), "%s", b->as);
	} else {
		for (i = 1; i < 1000; i++) {
			char cand[96];
			if (i == 1)
				snprintf(cand, sizeof(cand), "%.59s-copy", x->id);
			else
				snprintf(cand, sizeof(cand), "%.55s-copy-%d", x->id, i);
			if (!id_taken(s, ch, cand)) {
				/* at most 64 characters: it always fits */
				if (str_fmt(x->new_id, sizeof(x->new_id), "%s", cand))
					x->new_id[0] = '\0';
				break;
			}
		}
		if (!x->new_id[0])
			return refuse(x, "no free id '%s-copy-N' left", x->id);
	}
	if (b->remaining && remaining_rows(b, s, top, x, &m))
		goto cleanup;
	/* the copy's name: the original's, marked, within 120 characters */
	snprintf(path, sizeof(path), "%s/%s/campaign.json", top, x->id);
	if ((rc = s->read(s, path, &text, CAMPAIGN_MAX)))
		goto cleanup;
	o = cJSON_ParseWithLength(text.ptr, text.len);
	nm = cJSON_GetObjectItemCaseSensitive(o, "name");
	snprintf(name, sizeof(name), "%s",
		 cJSON_IsString(nm) ? nm->valuestring : x->id);
	has_created = cJSON_GetObjectItemCaseSensitive(o, "created") != NULL;
	/* a start in the past would start the copy the moment it is scheduled */
	sa = cJSON_GetObjectItemCaseSensitive(o, "start_at");
	if (cJSON_IsString(sa) && !time_parse_rfc3339(&start, sa->valuestring) &&
	    start <= b->now) {
		struct buf nosa = BUF_INIT(CAMPAIGN_MAX);
		if (!(rc = json_remove_member(&nosa, text.ptr, text.len, "start_at"))) {
			buf_reset(&text);
			rc = buf_put(&text, nosa.ptr, nosa.len);
		}
		buf_release(&nosa);
		if (rc)
			goto cleanup;
		snprintf(x->msg, sizeof(x->msg), "its start_at (%.32s) was past: "
			 "removed, set one before scheduling it", sa->valuestring);
	}
	for (cut = 0, chars = 0; name[cut] && chars < 113; cut++)
		if (((unsigned char)name[cut] & 0xc0) != 0x80)
			chars++;
	while (name[cut] && ((unsigned char)name[cut] & 0xc0) == 0x80)
		cut++;
	snprintf(name + cut, sizeof(name) - cut, " (copy)");
	{
		struct buf q = BUF_INIT(2048);
		buf_put_json_string(&q, name);
		qname = buf_detach(&q);
	}
	time_format_utc(t, b->now);
	snprintf(created, sizeof(created), "\"%s\"", t);
	kv[0] = "status"; kv[1] = "\"draft\"";
	kv[2] = "name"; kv[3] = qname ? qname : "\"copy\"";
	kv[4] = "created"; kv[5] = created;
	snprintf(from, sizeof(from), "%s/%s", top, x->id);
	snprintf(to, sizeof(to), "campaigns/%s", x->new_id);
	snprintf(dst, sizeof(dst), "%s/campaign.json", to);
	if (!(rc = folder_copy(s, ch, from, to, "campaign.json")) &&
	    b->remaining) {
		/*
		 * The rows left, in the copy's own plain .csv (the original's
		 * name when it is one), over the copied whole audience.
		 */
		size_t k = has_created ? 6 : 4;
		const char *base = strrchr(m.path, '/');
		char old[400];
		base = base ? base + 1 : m.path;
		if ((rc = str_fmt(aud_name, sizeof(aud_name), "%s",
				  strlen(base) > 4 && strlen(base) < 100 &&
				  !strcmp(base + strlen(base) - 4, ".csv") &&
				  !strncmp(m.path, from, strlen(from))
				  ? base : "audience.csv")) ||
		    (rc = str_fmt(old, sizeof(old), "%s/%s", to,
				  !strncmp(m.path, from, strlen(from)) &&
				  m.path[strlen(from)] == '/'
				  ? m.path + strlen(from) + 1 : aud_name)) ||
		    (rc = str_fmt(path, sizeof(path), "%s/%s", to, aud_name)))
			return refuse(x, "%s", gd_error_last());
		rc = change_put(ch, old, path, m.csv.ptr, m.csv.len);
		snprintf(aud_member, sizeof(aud_member), "{\"csv\": \"%s\"}",
			 aud_name);
		kv[k++] = "audience";
		kv[k++] = aud_member;
		if (!rc)
			rc = edit_text(ch, dst, &text, kv, k / 2);
		/* the original can never dial them again */
		snprintf(why, sizeof(why), REMAINING_PREFIX " its %zu recipient%s "
			 "not yet reached moved to campaign %s by %s", m.n,
			 m.n == 1 ? "" : "s", x->new_id, b->who);
		if (!rc)
			rc = add_status(b, ch, NULL, x->id, "failed", why,
					m.last_ts);
		if (!rc)
			snprintf(x->msg, sizeof(x->msg), "%zu of %zu recipients not "
				 "yet reached, in %s; %s is now Failed for good",
				 m.n, m.of, path, x->id);
	} else if (!rc) {
		struct src_files f = { NULL, 0 };
		char dir[96];
		rc = edit_text(ch, dst, &text, kv, has_created ? 3 : 2);
		/* say so before anyone is called twice */
		snprintf(dir, sizeof(dir), "outcomes/%s", x->id);
		if (!rc && !s->files(s, dir, "", &f) && f.n)
			snprintf(x->msg, sizeof(x->msg), "its audience is all of "
				 "%s's, whose log has calls: the copy calls them "
				 "again (--remaining takes only those not reached)",
				 x->id);
		src_files_release(&f);
	}
	if (!rc) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "campaigns");
	}
cleanup:
	buf_release(&m.csv);
	cJSON_Delete(o);
	buf_release(&text);
	free(qname);
	return rc;
}

static int bulk_build(void *ctx, struct src *s, const git_oid *head,
		      struct change *ch, struct buf *msg)
{
	static int (*const fns[])(struct bulk *, struct src *, struct change *,
				  struct result *) = {
		do_pause, do_resume, do_archive, do_delete, do_restore,
		do_duplicate
	};
	struct bulk *b = ctx;
	size_t i, done = 0, n0;
	int rc = 0;

	(void)head;
	for (i = 0; !rc && i < b->n; i++) {
		struct result *x = &b->res[i];
		char path[512], why[512];
		memset(x, 0, sizeof(*x));
		x->id = b->ids[i];
		if (!id_valid(x->id)) {
			refuse(x, "not a campaign id (expected "
			       "[a-z0-9][a-z0-9-]{0,63})");
			continue;
		}
		n0 = ch->n;
		rc = fns[b->act](b, s, ch, x);
		/*
		 * A file it would write that the person changed in the
		 * checkout: committing it would leave the index disagreeing
		 * with the branch, and the person's next commit -a would
		 * undo this one. Refused, the change left to the person.
		 */
		if (!rc && x->ok &&
		    (rc = worktree_dirty(b->st, ch, n0, path, why,
					 sizeof(path))) == 1) {
			rc = 0;
			change_truncate(ch, n0);
			x->where[0] = x->new_id[0] = '\0';
			refuse(x, "%s %s in the work tree: commit or stash it "
			       "first, then %s again", path, why,
			       act_names[b->act]);
		}
		if (!rc && x->ok) {
			buf_printf(msg, "%s%s", done ? ", " : "", x->id);
			if (b->act == ACT_DUPLICATE)
				buf_printf(msg, " as %s", x->new_id);
			done++;
		}
	}
	if (!rc && done) {
		/* "pause: a, b" then who, for the log's readers */
		struct buf m = BUF_INIT(64 * 1024);
		buf_printf(&m, "%s: %s\n\nby %s via gitdial %s\n", act_names[b->act],
			   msg->ptr, b->who, act_names[b->act]);
		buf_reset(msg);
		buf_put(msg, m.ptr, m.len);
		buf_release(&m);
	}
	return rc;
}

/*
 * archive and delete say what they will do and go on only when the
 * person agrees: with --yes, or "y" at a prompt on a terminal. Returns 0
 * to go on, 2 (a usage error) when stdin is not a terminal and there is
 * no --yes, 1 when the person said no.
 */
static int confirm_ask(enum act act, const char *usage, char **ids, size_t n)
{
	char line[64];
	size_t i;

	if (!isatty(STDIN_FILENO))
		return usage_error(act_names[act], usage, "give --yes to %s "
				   "(stdin is not a terminal, so there is no one "
				   "to ask)", act_names[act]);
	fprintf(stderr, "%s ", act == ACT_ARCHIVE ? "Archive" : "Delete");
	for (i = 0; i < n && i < 10; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", ids[i]);
	if (n > 10)
		fprintf(stderr, " and %zu more", n - 10);
	fprintf(stderr, " (%s)? [y/N] ", act == ACT_ARCHIVE
		? "move to archived/, restorable with gitdial restore"
		: "move to deleted/; restorable for 30 days, then purged "
		  "by the next tick");
	if (!fgets(line, sizeof(line), stdin) ||
	    (strcmp(line, "y\n") && strcmp(line, "yes\n") &&
	     strcmp(line, "Y\n") && strcmp(line, "y") && strcmp(line, "yes"))) {
		fprintf(stderr, "gitdial %s: not confirmed; nothing changed\n",
			act_names[act]);
		return 1;
	}
	return 0;
}

static int bulk_run(enum act act, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "remote", required_argument, NULL, 'R' },
		{ "author", required_argument, NULL, 'a' },
		{ "now", required_argument, NULL, 'n' },
		{ "as", required_argument, NULL, 'A' },
		{ "yes", no_argument, NULL, 'y' },
		{ "remaining", no_argument, NULL, 'M' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char usage[256], who[600], hex[41];
	struct author au;
	const char *root = ".", *remote = NULL, *author = NULL;
	struct store *st = NULL;
	struct bulk b;
	git_oid commit;
	size_t i, ok = 0;
	int c, fmt = FMT_TEXT, rc, retries = 0, yes = 0;
	int confirm = act == ACT_ARCHIVE || act == ACT_DELETE;

	memset(&b, 0, sizeof(b));
	b.act = act;
	b.now = time(NULL);
	snprintf(usage, sizeof(usage), "gitdial %s ID... [--repo PATH] "
		 "[--remote NAME] [--author \"Name <email>\"]%s%s "
		 "[--format text|json]", act_names[act],
		 act == ACT_DUPLICATE ? " [--remaining] [--as NEW_ID]" : "",
		 confirm ? " [--yes]" : "");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'R': remote = optarg; break;
		case 'a': author = optarg; break;
		case 'A':
			if (act != ACT_DUPLICATE)
				return usage_error(act_names[act], usage,
						   "--as is for duplicate");
			b.as = optarg;
			break;
		case 'y':
			if (!confirm)
				return usage_error(act_names[act], usage,
						   "--yes is for archive and delete");
			yes = 1;
			break;
		case 'M':
			if (act != ACT_DUPLICATE)
				return usage_error(act_names[act], usage,
						   "--remaining is for duplicate");
			b.remaining = 1;
			break;
		case 'n':
			if (now_refused(act_names[act], usage))
				return 2;
			if (time_parse_rfc3339(&b.now, optarg))
				return usage_error(act_names[act], usage,
						   "--now: bad time '%s'", optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error(act_names[act], usage,
						   "unknown format '%s'", optarg);
			break;
		case 'h': help_print(act_names[act]); return 0;
		default: return usage_error(act_names[act], usage, "bad option");
		}
	}
	if (optind >= argc)
		return usage_error(act_names[act], usage, "which campaign? give "
				   "one id or more");
	if (b.as && argc - optind > 1)
		return usage_error(act_names[act], usage, "--as names the copy "
				   "of one campaign; %d were given", argc - optind);
	b.ids = argv + optind;
	b.n = (size_t)(argc - optind);
	for (i = 0; i < b.n; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (!strcmp(b.ids[i], b.ids[j]))
				return usage_error(act_names[act], usage,
						   "'%s' is given twice", b.ids[i]);
	}
	if (confirm && !yes && (rc = confirm_ask(act, usage, b.ids, b.n)))
		return rc;
	if (!(b.res = calloc(b.n, sizeof(*b.res)))) {
		fprintf(stderr, "gitdial %s: out of memory\n", act_names[act]);
		return 1;
	}
	if ((rc = store_open(&st, root)) ||
	    (rc = author_resolve(&au, st, author))) {
		fprintf(stderr, "gitdial %s: %s\n", act_names[act], gd_error_last());
		rc = rc == GD_EINVALID && st ? 2 : 1;
		goto cleanup;
	}
	snprintf(who, sizeof(who), "%s <%s>", au.name, au.email);
	b.who = who;
	b.st = st;
	if ((rc = store_edit(st, remote, bulk_build, &b, au.name, au.email, b.now,
			     &commit, &retries))) {
		fprintf(stderr, "gitdial %s: %s\n", act_names[act], gd_error_last());
		rc = 1;
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), &commit);
	for (i = 0; i < b.n; i++)
		ok += b.res[i].ok;
	if (fmt == FMT_JSON) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
		cJSON_AddStringToObject(o, "action", act_names[act]);
		cJSON_AddNumberToObject(o, "retries", retries);
		if (ok)
			cJSON_AddStringToObject(o, "commit", hex);
		else
			cJSON_AddNullToObject(o, "commit");
		for (i = 0; i < b.n; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "id", b.res[i].id);
			cJSON_AddBoolToObject(e, "ok", b.res[i].ok);
			if (b.res[i].ok)
				cJSON_AddStringToObject(e, "folder", b.res[i].where);
			if (b.res[i].new_id[0])
				cJSON_AddStringToObject(e, "new_id", b.res[i].new_id);
			if (b.res[i].msg[0])
				cJSON_AddStringToObject(e, b.res[i].ok ? "note" : "error",
							b.res[i].msg);
			cJSON_AddItemToArray(arr, e);
		}
		json_emit(o);
	} else {
		for (i = 0; i < b.n; i++) {
			struct result *x = &b.res[i];
			if (!x->ok) {
				fprintf(stderr, "gitdial %s: %s: %s\n", act_names[act],
					x->id, x->msg);
				continue;
			}
			if (act == ACT_DUPLICATE)
				printf("%s %s as %s (campaigns/%s, a Draft)%s%s\n",
				       act_done[act], x->id, x->new_id, x->new_id,
				       x->msg[0] ? ": " : "", x->msg);
			else
				printf("%s %s%s%s%s%s\n", act_done[act], x->id,
				       act == ACT_ARCHIVE || act == ACT_DELETE ||
				       act == ACT_RESTORE ? " → " : "",
				       act == ACT_ARCHIVE || act == ACT_DELETE ||
				       act == ACT_RESTORE ? x->where : "",
				       x->msg[0] ? ": " : "", x->msg);
		}
		if (ok)
			printf("commit %.12s by %s%s%s\n", hex, who,
			       remote ? ", pushed to " : "", remote ? remote : "");
		else
			fprintf(stderr, "gitdial %s: nothing changed\n", act_names[act]);
	}
	rc = ok == b.n ? 0 : 1;
cleanup:
	free(b.res);
	store_free(st);
	return rc;
}

int cmd_pause(int argc, char **argv) { return bulk_run(ACT_PAUSE, argc, argv); }
int cmd_resume(int argc, char **argv) { return bulk_run(ACT_RESUME, argc, argv); }
int cmd_archive(int argc, char **argv) { return bulk_run(ACT_ARCHIVE, argc, argv); }
int cmd_delete(int argc, char **argv) { return bulk_run(ACT_DELETE, argc, argv); }
int cmd_restore(int argc, char **argv) { return bulk_run(ACT_RESTORE, argc, argv); }
int cmd_duplicate(int argc, char **argv) { return bulk_run(ACT_DUPLICATE, argc, argv); }
