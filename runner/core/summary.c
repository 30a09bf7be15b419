#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ledger.h"
#include "summary.h"
#include "util.h"
#include "banned.h"

int summary_fill(struct csummary *out, struct cstate *cs, const struct repo *r,
		 const struct repo_campaign *rc, struct src *s, time_t now)
{
	const struct account *a;
	int err;

	memset(out, 0, sizeof(*out));
	memset(cs, 0, sizeof(*cs));
	if (!rc->c)
		return gd_error_set("campaign '%s' is not loaded", rc->id);
	out->id = rc->id;
	a = config_account(r->cfg, rc->c->account);
	snprintf(out->provider, sizeof(out->provider), "%s",
		 a && a->provider ? a->provider : "?");
	if ((err = state_init(cs, rc->aud)))
		return err;
	if ((err = ledger_replay(cs, s, rc->id)))
		return err;
	out->st = state_effective(rc->c, cs, now);
	snprintf(out->name, sizeof(out->name), "%s", rc->c->name);
	out->count = rc->aud ? rc->aud->rows : 0;
	snprintf(out->audience, sizeof(out->audience), "%s (%zu)",
		 rc->c->audience_csv ? rc->c->audience_csv
				     : rc->c->audience_segment, out->count);
	out->connected = cs->n_connected;
	out->answered = cs->n_answered;
	out->noanswer = cs->n_noanswer;
	if (rc->c->created)
		snprintf(out->created, sizeof(out->created), "%.10s", rc->c->created);
	else if (cs->first_ts) {
		char t[21];
		time_format_utc(t, (time_t)cs->first_ts);
		snprintf(out->created, sizeof(out->created), "%.10s", t);
	} else
		snprintf(out->created, sizeof(out->created), "-");
	return 0;
}

void summary_progress(struct progress *p, const struct campaign *c,
		      const struct cstate *cs, time_t now)
{
	size_t i;
	time_t when;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < cs->n; i++) {
		const struct rstate *rs = &cs->r[i];
		switch (rstate_eligible(c, rs, now, &when)) {
		case EL_INFLIGHT:
			p->in_flight++;
			break;
		case EL_TERMINAL:
			if (!rs->done)
				p->skipped++;
			else if (rs->dead || rs->last_outcome == OUT_FAILED)
				p->failed++;
			else
				p->completed++;
			break;
		default:
			p->queued++;
		}
	}
}

/* The moved view: base and the folder that stands in for campaigns/. */
struct moved {
	struct src *base;
	char top[16];
};

/* Rewrites "campaigns" and "campaigns/..." to top; other paths unchanged. */
static const char *moved_path(const struct moved *m, const char *path,
			      char *tmp, size_t n)
{
	if (strncmp(path, "campaigns", 9) || (path[9] && path[9] != '/'))
		return path;
	snprintf(tmp, n, "%s%s", m->top, path + 9);
	return tmp;
}

static int moved_read(struct src *s, const char *path, struct buf *out, size_t max)
{
	struct moved *m = s->ctx;
	char tmp[4096];

	return m->base->read(m->base, moved_path(m, path, tmp, sizeof(tmp)), out, max);
}

static int moved_list(struct src *s, const char *dir, struct names *out)
{
	struct moved *m = s->ctx;
	char tmp[4096];

	return m->base->list(m->base, moved_path(m, dir, tmp, sizeof(tmp)), out);
}

static void moved_content_id(struct src *s, const char *path, char out[41])
{
	struct moved *m = s->ctx;
	char tmp[4096];

	m->base->content_id(m->base, moved_path(m, path, tmp, sizeof(tmp)), out);
}

static int moved_files(struct src *s, const char *dir, const char *suffix,
		       struct src_files *out)
{
	struct moved *m = s->ctx;
	char tmp[4096];

	return m->base->files(m->base, moved_path(m, dir, tmp, sizeof(tmp)),
			      suffix, out);
}

/* files() handed out base paths already: map and unmap pass through. */
static int moved_map(struct src *s, const struct src_file *f, const char **data,
		     size_t *len, void **token)
{
	struct moved *m = s->ctx;

	return m->base->map(m->base, f, data, len, token);
}

static void moved_unmap(struct src *s, void *token)
{
	struct moved *m = s->ctx;

	m->base->unmap(m->base, token);
}

int src_init_moved(struct src *out, struct src *base, const char *top)
{
	struct moved *m;

	memset(out, 0, sizeof(*out));
	if (strcmp(top, "archived") && strcmp(top, "deleted"))
		return gd_error_set("'%s' is not a folder of moved campaigns", top);
	if (!(m = calloc(1, sizeof(*m))))
		return gd_error_set("out of memory");
	m->base = base;
	snprintf(m->top, sizeof(m->top), "%s", top);
	out->read = moved_read;
	out->list = moved_list;
	out->content_id = moved_content_id;
	out->files = moved_files;
	out->map = moved_map;
	out->unmap = moved_unmap;
	out->ctx = m;
	return 0;
}

void src_release_moved(struct src *s)
{
	free(s->ctx);
	s->ctx = NULL;
}
