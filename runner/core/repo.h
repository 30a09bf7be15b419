/*
 * The whole campaign repository loaded from a source: gitdial.json, every
 * campaign under campaigns/ (or one), and optionally their audiences.
 * Broken campaigns are reported and left out; the rest still load.
 */
#ifndef GD_REPO_H
#define GD_REPO_H

#include "audience.h"
#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "rules.h"
#include "src.h"

#define CONFIG_MAX (1u << 20)
#define CAMPAIGN_MAX (1u << 20)
#define AUDIENCE_MAX (1024u << 20)
/*
 * Campaign folders in campaigns/ that are loaded (CPU per input: each
 * may bring an audience up to the caps above). Past it, each further
 * folder (in name order) is an error and is not loaded; the others are.
 * archived/ and deleted/ are not held to it: they grow with use.
 */
#define REPO_CAMPAIGNS_MAX 1000

enum {
	REPO_AUDIENCE = 1, /* read audiences */
	REPO_PLACES = 2,   /* resolve time zones and legal windows per row */
	REPO_VARS = 4,     /* keep every row's columns (for dialing) */
	REPO_CONFIG_ONLY = 8, /* gitdial.json only, no campaign */
	REPO_ARCHIVED = 16,   /* the campaigns under archived/ instead */
	REPO_DELETED = 32,    /* the campaigns under deleted/ instead */
};

struct repo_campaign {
	char id[65];
	const char *top;      /* "campaigns", "archived" or "deleted" */
	struct campaign *c;   /* NULL when campaign.json is broken */
	struct audience *aud; /* NULL unless REPO_AUDIENCE and readable */
	char audience_path[256];
	char audience_oid[41]; /* blob id of the audience, "" from a work tree */
};

struct repo {
	struct config *cfg;
	struct rules *rules;
	struct repo_campaign *v;
	size_t n;
};

/*
 * Loads from s. only (NULL for all) limits it to one campaign id, which
 * must exist (GD_ENOTFOUND otherwise). Returns 0 even when some campaign
 * is broken (see d); GD_EINVALID only when gitdial.json itself is.
 * With REPO_VARS an audience may keep a file of s mapped: free the repo
 * before s.
 */
int repo_load(struct repo **out, struct src *s, const char *only,
	      unsigned flags, struct diags *d);
void repo_free(struct repo *r);
struct repo_campaign *repo_find(struct repo *r, const char *id);


/*
 * The fair share of campaign id's account cap: max_concurrency split
 * evenly across the campaigns that may be dialing on the account at now
 * (the remainder goes to the first ids). dialing(ctx, rc) says whether a
 * campaign is; NULL, or a -1 answer, means "judge by campaign.json":
 * scheduled with start_at reached. *active gets how many share it.
 */
size_t repo_account_share(const struct repo *r, const char *id, time_t now,
			  int (*dialing)(void *ctx, const struct repo_campaign *rc),
			  void *ctx, size_t *active);

#endif
