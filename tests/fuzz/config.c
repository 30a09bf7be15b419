/*
 * Fuzz target: gitdial.json through json_load and config_load, and
 * json_line for the path of every value of a document that parsed (the
 * lines that error messages carry).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const char *text, size_t len, const cJSON *node,
		 const char *path, int depth, int *budget)
{
	const cJSON *c;
	char p[600];
	int i = 0;

	if (depth > 20 || *budget <= 0)
		return;
	(*budget)--;
	if (json_line(text, len, path) < 1)
		abort();
	for (c = node->child; c; c = c->next, i++) {
		if (cJSON_IsObject(node))
			jpath(p, sizeof(p), path, c->string ? c->string : "");
		else
			snprintf(p, sizeof(p), "%s[%d]", path, i);
		walk(text, len, c, p, depth + 1, budget);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = { 0 };
	struct config *cfg = NULL;
	cJSON *root = NULL;
	struct jctx c = { "gitdial.json", (const char *)data, size, &d, 0 };
	int budget = 300;
	size_t i;

	if (json_load(&root, &c) == 0) {
		walk((const char *)data, size, root, "", 0, &budget);
		cJSON_Delete(root);
	}
	diags_release(&d);
	if (config_load(&cfg, "gitdial.json", (const char *)data, size, &d) == 0) {
		if (d.errors)
			abort();
		for (i = 0; i < cfg->n_accounts; i++)
			(void)config_account(cfg, cfg->accounts[i].name);
		(void)config_disclosure(cfg, "ar");
		config_free(cfg);
	} else if (!d.errors || cfg) {
		abort(); /* a failure always says why */
	}
	for (i = 0; i < d.n; i++)
		if (!d.v[i].msg || !d.v[i].file)
			abort();
	diags_release(&d);
	return 0;
}
