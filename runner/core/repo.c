#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "repo.h"
#include "util.h"
#include "banned.h"


/* A mapped audience file lent to its audience (audience_opts.text_release). */
struct lent {
	struct src *s;
	void *token;
};

static void lent_release(void *arg)
{
	struct lent *l = arg;

	l->s->unmap(l->s, l->token);
	free(l);
}

static int load_audience(struct repo *r, struct src *s, struct repo_campaign *rc,
			 unsigned flags, struct diags *d)
{
	char cache_path[4096] = "", cache_key[192] = "";
	struct audience_opts o = { rc->c, NULL, 0, NULL, NULL };
	struct buf data = BUF_INIT(AUDIENCE_MAX);
	const char *mapped;
	size_t mapped_len;
	void *token = NULL;
	int err;

	if (rc->c->audience_csv) {
		snprintf(rc->audience_path, sizeof(rc->audience_path),
			 "%s/%s/%s", rc->top, rc->id, rc->c->audience_csv);
		if (!audience_file_supported(rc->c->audience_csv)) {
			diags_add(d, DIAG_ERROR, rc->audience_path, 0, NULL,
				  "unsupported audience file (expected .csv, "
				  ".csv.gz, .csv.xz, .csv.zst or .zip)");
			return GD_EINVALID;
		}
	} else {
		static const char *const ends[] = {
			".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".zip", NULL
		};
		struct names n = { NULL, 0 };
		size_t i, j;
		snprintf(rc->audience_path, sizeof(rc->audience_path),
			 "segments/%s.csv", rc->c->audience_segment);
		if (!s->list(s, "segments", &n))
			for (j = 0; ends[j]; j++)
				for (i = 0; i < n.n; i++) {
					char want[128];
					snprintf(want, sizeof(want), "%s%s",
						 rc->c->audience_segment, ends[j]);
					if (!strcmp(n.v[i], want)) {
						snprintf(rc->audience_path,
							 sizeof(rc->audience_path),
							 "segments/%s", want);
						goto found;
					}
				}
found:
		names_release(&n);
	}
	/* map the blob where we can: a million-row file is not copied */
	s->content_id(s, rc->audience_path, rc->audience_oid);
	if (rc->audience_oid[0] && s->cache_dir) {
		char cj[41], cjpath[128];
		snprintf(cjpath, sizeof(cjpath), "%s/%s/campaign.json", rc->top,
			 rc->id);
		s->content_id(s, cjpath, cj);
		snprintf(cache_key, sizeof(cache_key), "%.40s:%.40s:%u:%016llx",
			 rc->audience_oid, cj, flags & (REPO_PLACES | REPO_VARS),
			 r->rules ? (unsigned long long)rules_digest(r->rules) : 0ULL);
		snprintf(cache_path, sizeof(cache_path), "%s/%s.audience",
			 s->cache_dir, rc->id);
		if (!audience_load(&rc->aud, cache_path, cache_key, r->rules))
			return 0;
	}
	if (rc->audience_oid[0]) {
		struct src_file f;
		f.path = rc->audience_path;
		snprintf(f.id, sizeof(f.id), "%s", rc->audience_oid);
		if (!s->map(s, &f, &mapped, &mapped_len, &token)) {
			struct lent *l = NULL;
			if (flags & REPO_PLACES)
				o.rules = r->rules;
			o.keep_vars = !!(flags & REPO_VARS);
			/* the rows' values are read from the mapping later: the
			 * audience keeps it instead of a copy */
			if (o.keep_vars && mapped_len <= AUDIENCE_MAX &&
			    (l = malloc(sizeof(*l)))) {
				l->s = s;
				l->token = token;
				o.text_release = lent_release;
				o.text_token = l;
			}
			err = mapped_len > AUDIENCE_MAX
				? (diags_add(d, DIAG_ERROR, rc->audience_path, 0, NULL,
					     "larger than %u bytes", AUDIENCE_MAX), GD_EINVALID)
				: audience_read(&rc->aud, rc->audience_path, mapped,
						mapped_len, &o, d);
			if (!l)
				s->unmap(s, token);
			goto done;
		}
	}
	if ((err = s->read(s, rc->audience_path, &data, AUDIENCE_MAX))) {
		diags_add(d, DIAG_ERROR, rc->audience_path, 0, NULL, "%s",
			  err == GD_ENOTFOUND ? "the audience file does not exist"
					      : gd_error_last());
		buf_release(&data);
		return GD_EINVALID;
	}
	if (flags & REPO_PLACES)
		o.rules = r->rules;
	o.keep_vars = !!(flags & REPO_VARS);
	err = audience_read(&rc->aud, rc->audience_path, data.ptr, data.len, &o, d);
	buf_release(&data);
done:
	if (err) {
		audience_free(rc->aud);
		rc->aud = NULL;
	} else if (cache_path[0]) {
		/* the index goes into the cache: the next load need not build it */
		if (!audience_index(rc->aud))
			audience_save(rc->aud, cache_path, cache_key); /* best effort */
	}
	return err;
}

static void load_campaign(struct repo *r, struct src *s, const char *top,
			  const char *id, unsigned flags, struct diags *d)
{
	struct buf text = BUF_INIT(CAMPAIGN_MAX);
	struct repo_campaign *rc;
	char path[256];
	int err;

	rc = &r->v[r->n++];
	memset(rc, 0, sizeof(*rc));
	rc->top = top;
	/* id_valid keeps both short; a cut would name another campaign */
	if (str_fmt(rc->id, sizeof(rc->id), "%s", id) ||
	    str_fmt(path, sizeof(path), "%s/%s/campaign.json", top, id)) {
		diags_add(d, DIAG_ERROR, top, 0, NULL, "%s", gd_error_last());
		goto cleanup;
	}
	if ((err = s->read(s, path, &text, CAMPAIGN_MAX))) {
		diags_add(d, DIAG_ERROR, path, 0, NULL, "%s",
			  err == GD_ENOTFOUND ? "missing (every campaign folder "
			  "needs a campaign.json)" : gd_error_last());
		goto cleanup;
	}
	if (campaign_load(&rc->c, id, path, text.ptr, text.len, r->cfg, d))
		goto cleanup;
	if (flags & REPO_AUDIENCE)
		load_audience(r, s, rc, flags, d);
cleanup:
	buf_release(&text);
}

int repo_load(struct repo **out, struct src *s, const char *only,
	      unsigned flags, struct diags *d)
{
	struct buf text = BUF_INIT(CONFIG_MAX);
	struct names n = { NULL, 0 };
	struct repo *r;
	const char *top;
	size_t i, folders = 0;
	int rc = 0, err, over;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return gd_error_set("out of memory");
	if ((err = s->read(s, CONFIG_FILE, &text, CONFIG_MAX))) {
		diags_add(d, DIAG_ERROR, CONFIG_FILE, 0, NULL, "%s",
			  err == GD_ENOTFOUND ? "missing: a campaign repository "
			  "needs gitdial.json at its top (gitdial init writes one)"
					      : gd_error_last());
		rc = GD_EINVALID;
		goto cleanup;
	}
	if (config_load(&r->cfg, CONFIG_FILE, text.ptr, text.len, d)) {
		rc = GD_EINVALID;
		goto cleanup;
	}
	/* the embedded rules pack, with the repository's rules/ over it */
	if ((flags & REPO_PLACES) &&
	    (rc = rules_load_layered(&r->rules, s, d)) && rc != GD_EINVALID)
		goto cleanup;
	if (rc == GD_EINVALID) {
		rc = gd_error_set("the rules pack in %s/ is invalid; fix it first "
				  "(gitdial validate)", RULES_DIR);
		goto cleanup;
	}
	if (flags & REPO_CONFIG_ONLY)
		goto cleanup;
	top = flags & REPO_ARCHIVED ? "archived"
	    : flags & REPO_DELETED ? "deleted" : "campaigns";
	err = s->list(s, top, &n);
	if (err && err != GD_ENOTFOUND) {
		rc = err;
		goto cleanup;
	}
	if (!(r->v = calloc(n.n + 1, sizeof(*r->v)))) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	for (i = 0; i < n.n; i++) {
		char id[256];
		size_t l = strlen(n.v[i]);
		if (l == 0 || n.v[i][l - 1] != '/') {
			if (!only)
				diags_add(d, DIAG_ERROR, top, 0, NULL,
					  "\"%s\" is a file; %s/ holds one "
					  "folder per campaign", n.v[i], top);
			continue;
		}
		snprintf(id, sizeof(id), "%.*s", (int)(l - 1), n.v[i]);
		/* in name order, whether or not only this one is asked for */
		over = !strcmp(top, "campaigns") && ++folders > REPO_CAMPAIGNS_MAX;
		if (only && strcmp(only, id))
			continue;
		if (!id_valid(id)) {
			diags_add(d, DIAG_ERROR, top, 0, NULL, "folder "
				  "\"%s\" is not a valid campaign id (expected "
				  "[a-z0-9][a-z0-9-]{0,63})", id);
			continue;
		}
		if (over) {
			diags_add(d, DIAG_ERROR, top, 0, id, "not loaded: campaigns/ "
				  "holds at most %d campaign folders; archive "
				  "finished ones (gitdial archive)", REPO_CAMPAIGNS_MAX);
			continue;
		}
		load_campaign(r, s, top, id, flags, d);
	}
	if (only && !repo_find(r, only)) {
		rc = gd_error_set("no campaign '%s' in %s/", only, top);
		rc = GD_ENOTFOUND;
	}
cleanup:
	names_release(&n);
	buf_release(&text);
	if (rc && rc != GD_ENOTFOUND) {
		repo_free(r);
		return rc;
	}
	*out = r;
	return rc;
}

void repo_free(struct repo *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		campaign_free(r->v[i].c);
		audience_free(r->v[i].aud);
	}
	free(r->v);
	rules_free(r->rules);
	config_free(r->cfg);
	free(r);
}

struct repo_campaign *repo_find(struct repo *r, const char *id)
{
	size_t i;

	for (i = 0; r && i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	return NULL;
}

size_t repo_account_share(const struct repo *r, const char *id, time_t now,
			  int (*dialing)(void *ctx, const struct repo_campaign *rc),
			  void *ctx, size_t *active)
{
	const struct repo_campaign *me = NULL;
	const struct account *a;
	size_t i, n = 0, rank = 0;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			me = &r->v[i];
	if (!me || !me->c || !(a = config_account(r->cfg, me->c->account)))
		return 0;
	for (i = 0; i < r->n; i++) {
		const struct repo_campaign *o = &r->v[i];
		int d = -1;
		if (!o->c || strcmp(o->c->account, me->c->account))
			continue;
		if (dialing)
			d = dialing(ctx, o);
		if (d < 0)
			d = o->c->desired == WANT_SCHEDULED && o->c->start_at &&
			    o->c->start_at <= now;
		if (!d && o != me)
			continue;
		if (strcmp(o->id, id) < 0)
			rank++;
		n++;
	}
	if (active)
		*active = n;
	return (size_t)a->max_concurrency / n +
	       (rank < (size_t)a->max_concurrency % n ? 1 : 0);
}
