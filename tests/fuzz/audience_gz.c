/*
 * Fuzz target: a compressed audience through audience_read (libarchive in
 * front of libcsv). The first byte picks the file name, and so the
 * decoder (.csv.gz, .csv.xz, .csv.zst, .zip), and the options as in
 * audience.c (keep the columns, resolve places); the rest is the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "diag.h"
#include "phone.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"campaigns/f/audience.csv.gz", "campaigns/f/audience.csv.xz",
		"campaigns/f/audience.csv.zst", "campaigns/f/audience.zip"
	};
	static struct rules *rules;
	static int init;
	struct diags d = { 0 };
	struct audience *a = NULL;
	struct audience_opts o = { NULL, NULL, 0, NULL, NULL };
	const char *name;
	size_t i;
	int c;

	if (!init) {
		init = 1;
		if (rules_load(&rules))
			abort();
	}
	if (size < 1)
		return 0;
	name = names[data[0] & 3];
	o.keep_vars = (data[0] >> 2) & 1;
	o.rules = (data[0] >> 3) & 1 ? rules : NULL;
	if (audience_read(&a, name, (const char *)data + 1, size - 1, &o, &d) == 0) {
		for (i = 0; i < a->n; i++) {
			char ph[PHONE_MAX];
			audience_phone(ph, &a->r[i]);
			if (!phone_is_e164(ph))
				abort();
			for (c = 0; c < a->n_columns; c++)
				(void)audience_var(a, &a->r[i], c);
		}
	} else if (!d.errors) {
		abort(); /* unusable always says why */
	}
	audience_free(a);
	diags_release(&d);
	return 0;
}
