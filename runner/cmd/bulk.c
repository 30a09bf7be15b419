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

#include "author.h"
#include "cmd.h"
#include "err.h"
#include "folder.h"
#include "jsonx.h"
#include "ledger.h"
#include "repo.h"
#include "state.h"
#include "util.h"
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
	const char *who; /* "Name <email>" */
	time_t now;
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

/* A status event in a new log file of campaign id. */
static int add_status(struct bulk *b, struct change *ch, const char *id,
		      const char *status, const char *reason)
{
	struct buf line = BUF_INIT(4096);
	char path[512], tag[48];
	int rc;

	snprintf(tag, sizeof(tag), "op-%08lx",
		 (unsigned long)(hash_fnv1a(b->who, strlen(b->who)) ^
				 (uint64_t)b->now) & 0xffffffffUL);
	ledger_path(path, sizeof(path), id, b->now, tag);
	rc = ev_status(&line, b->now, id, status, reason);
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
	    !(rc = add_status(b, ch, x->id, "paused", why))) {
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

static int do_resume(struct bulk *b, struct src *s, struct change *ch,
		     struct result *x)
{
	static const char *const kv[] = { "status", "\"scheduled\"" };
	struct live l;
	char path[128], why[300];
	int rc = 0, started;

	if (live_load(&l, s, x->id, b->now, x))
		goto cleanup;
	if (l.eff != ST_PAUSED) {
		refuse(x, "is %s: only a Paused campaign can be resumed",
		       status_labels[l.eff]);
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
	if (!(rc = add_status(b, ch, x->id, started ? "dialing" : "scheduled",
			      why))) {
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

static int do_duplicate(struct bulk *b, struct src *s, struct change *ch,
			struct result *x)
{
	struct buf text = BUF_INIT(CAMPAIGN_MAX);
	const char *top = NULL;
	char from[128], to[128], path[160], dst[160], name[600], *qname = NULL;
	char created[32], t[21];
	const char *kv[6];
	const cJSON *nm;
	cJSON *o = NULL;
	size_t cut, chars;
	int rc = 0, i, has_created;

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
	/* the copy's name: the original's, marked, within 120 characters */
	snprintf(path, sizeof(path), "%s/%s/campaign.json", top, x->id);
	if ((rc = s->read(s, path, &text, CAMPAIGN_MAX)))
		goto cleanup;
	o = cJSON_ParseWithLength(text.ptr, text.len);
	nm = cJSON_GetObjectItemCaseSensitive(o, "name");
	snprintf(name, sizeof(name), "%s",
		 cJSON_IsString(nm) ? nm->valuestring : x->id);
	has_created = cJSON_GetObjectItemCaseSensitive(o, "created") != NULL;
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
	if (!(rc = folder_copy(s, ch, from, to, "campaign.json")))
		rc = edit_text(ch, dst, &text, kv, has_created ? 3 : 2);
	if (!rc) {
		x->ok = 1;
		snprintf(x->where, sizeof(x->where), "campaigns");
	}
cleanup:
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
	size_t i, done = 0;
	int rc = 0;

	(void)head;
	for (i = 0; !rc && i < b->n; i++) {
		struct result *x = &b->res[i];
		memset(x, 0, sizeof(*x));
		x->id = b->ids[i];
		if (!id_valid(x->id)) {
			refuse(x, "not a campaign id (expected "
			       "[a-z0-9][a-z0-9-]{0,63})");
			continue;
		}
		rc = fns[b->act](b, s, ch, x);
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

static int bulk_run(enum act act, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "remote", required_argument, NULL, 'R' },
		{ "author", required_argument, NULL, 'a' },
		{ "now", required_argument, NULL, 'n' },
		{ "as", required_argument, NULL, 'A' },
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
	int c, fmt = FMT_TEXT, rc, retries = 0;

	memset(&b, 0, sizeof(b));
	b.act = act;
	b.now = time(NULL);
	snprintf(usage, sizeof(usage), "gitdial %s ID... [--repo PATH] "
		 "[--remote NAME] [--author \"Name <email>\"] [--now RFC3339]%s "
		 "[--format text|json]", act_names[act],
		 act == ACT_DUPLICATE ? " [--as NEW_ID]" : "");
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
		case 'n':
			if (time_parse_rfc3339(&b.now, optarg))
				return usage_error(act_names[act], usage,
						   "--now: bad time '%s'", optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error(act_names[act], usage,
						   "unknown format '%s'", optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
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
	if (!(b.res = calloc(b.n, sizeof(*b.res)))) {
		fprintf(stderr, "gitdial %s: out of memory\n", act_names[act]);
		return 1;
	}
	if ((rc = store_open(&st, root)) ||
	    (rc = author_resolve(&au, store_repo(st), author))) {
		fprintf(stderr, "gitdial %s: %s\n", act_names[act], gd_error_last());
		rc = rc == GD_EINVALID && st ? 2 : 1;
		goto cleanup;
	}
	snprintf(who, sizeof(who), "%s <%s>", au.name, au.email);
	b.who = who;
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
				printf("%s %s as %s (campaigns/%s, a Draft)\n",
				       act_done[act], x->id, x->new_id, x->new_id);
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
