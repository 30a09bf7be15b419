/*
 * gitdial.json: accounts, the voice agent, webhooks. Loading checks the
 * schema's rules and the semantic ones (no literal secrets), reporting
 * each problem with file, line and JSON path.
 */
#ifndef GD_CONFIG_H
#define GD_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "diag.h"

#define CONFIG_FILE "gitdial.json"

struct account {
	const char *name;       /* points into json */
	const char *provider;
	const char **caller_ids;
	size_t n_caller_ids;
	long max_concurrency;   /* default 10 */
	double cps;             /* calls started per second, default 1 */
	const char *function;   /* remote function URL, or NULL */
	const cJSON *json;      /* the whole account object, for functions */
};

struct config {
	cJSON *root;
	struct account *accounts;
	size_t n_accounts;
	const char *webhook_base_url;
	const cJSON *agent;
	const cJSON *disclosure; /* language → text */
};

/*
 * Parses text (the file's bytes, len long) named file. Problems go to d;
 * returns 0 when there were no errors, GD_EINVALID otherwise (*out is
 * then NULL). *out is the caller's (config_free).
 */
int config_load(struct config **out, const char *file, const char *text,
		size_t len, struct diags *d);
const struct account *config_account(const struct config *c, const char *name);
/* The disclosure text for a language, falling back to "en"; NULL if none. */
const char *config_disclosure(const struct config *c, const char *lang);
void config_free(struct config *c);

extern const char *const providers[];

#endif
