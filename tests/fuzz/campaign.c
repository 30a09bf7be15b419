/*
 * Fuzz target: campaign.json through campaign_load (checked against a
 * fixed gitdial.json), then, when it loads, the audience header checks of
 * its placeholders and the rendered script for a fixed row.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_json[] =
	"{\"accounts\": {\"sim-main\": {\"provider\": \"sim\", \"caller_ids\": "
	"[\"+12125550100\", \"+966115550100\"], \"max_concurrency\": 20}, "
	"\"tw\": {\"provider\": \"twilio\", \"caller_ids\": [\"+14155550100\"], "
	"\"credentials\": {\"auth_token\": \"env:T\"}}}, "
	"\"disclosure\": {\"en\": \"This call may be recorded.\"}}";

static const char audience_csv[] =
	"phone,customer_name,amount,due_date,name,language,timezone\n"
	"+12125550100,Ann,$5,2026-12-01,Ann,en,\n"
	"+966500000100,\"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf\",1,2,\"x, y\",ar,Asia/Riyadh\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	static int init;
	struct diags d = { 0 };
	struct campaign *c = NULL;
	struct audience *a = NULL;
	struct buf b = BUF_INIT(1 << 20);
	int i;

	if (!init) {
		init = 1;
		if (config_load(&cfg, "gitdial.json", config_json,
				strlen(config_json), &d))
			abort();
		diags_release(&d);
	}
	if (campaign_load(&c, "fuzz", "campaigns/fuzz/campaign.json",
			  (const char *)data, size, cfg, &d)) {
		if (c || !d.errors)
			abort();
		diags_release(&d);
		return 0;
	}
	if (d.errors)
		abort();
	for (i = 0; i <= 12; i++)
		if (campaign_cooldown_s(c, i) < 60)
			abort();
	(void)campaign_caller_id(c, cfg);
	{
		struct audience_opts o = { c, NULL, 1, NULL, NULL };
		if (audience_read(&a, "campaigns/fuzz/audience.csv", audience_csv,
				  sizeof(audience_csv) - 1, &o, &d) == 0) {
			size_t k;
			for (k = 0; k < a->n; k++) {
				buf_reset(&b);
				render_script(&b, c, a, &a->r[k]);
			}
		}
		audience_free(a);
	}
	buf_release(&b);
	campaign_free(c);
	diags_release(&d);
	return 0;
}
