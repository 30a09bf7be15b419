#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rules.h"
#include "tz.h"
#include "util.h"
#include "banned.h"

extern const char gd_data_phone_zones[], gd_data_nanp_regions[];
extern const char gd_data_legal_windows[], gd_data_disclosure[];
extern const size_t gd_data_phone_zones_len, gd_data_legal_windows_len,
	gd_data_disclosure_len;

const char *const zone_source_names[4] = {
	"column", "area code", "country", "unknown"
};

struct prefix_row {
	char prefix[16];
	char *value; /* zones "A&B" or regions "US-NJ&..." */
};

/*
 * A prefix table's index: open addressing on (digits as a number, length),
 * so a longest-prefix match is at most one probe per length.
 */
struct prefix_index {
	uint64_t *key; /* value * 16 + length, 0 = empty */
	uint32_t *row;
	size_t cap;
	size_t max_len;
};

struct legal_rule {
	char id[48];
	char jurisdiction[12];
	struct daywin hours;
};

struct rules {
	struct prefix_row *zones;
	size_t n_zones;
	struct prefix_index zones_ix;
	struct prefix_row *regions;
	size_t n_regions;
	struct prefix_index regions_ix;
	struct legal_rule *legal;
	size_t n_legal;
	char (*disclosure)[12];
	size_t n_disclosure;
	char **zone_names; /* interned zone strings for struct place */
	size_t n_zone_names;
};

static int cmp_prefix(const void *a, const void *b)
{
	return strcmp(((const struct prefix_row *)a)->prefix,
		      ((const struct prefix_row *)b)->prefix);
}

static int load_prefixes(struct prefix_row **out, size_t *n, const char *text,
			 const char *what)
{
	const char *p = text;
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *eol = strchr(p, '\n'), *bar;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len && p[0] != '#' && (bar = memchr(p, '|', len))) {
			struct prefix_row *row;
			size_t pl = (size_t)(bar - p);
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 512;
				row = realloc(*out, alloc * sizeof(*row));
				if (!row)
					return gd_error_set("out of memory");
				*out = row;
			}
			row = &(*out)[(*n)++];
			if (pl == 0 || pl >= sizeof(row->prefix))
				return gd_error_set("%s: bad prefix row", what);
			memcpy(row->prefix, p, pl);
			row->prefix[pl] = '\0';
			row->value = strndup(bar + 1, len - pl - 1);
			if (!row->value)
				return gd_error_set("out of memory");
		}
		p += len + (eol ? 1 : 0);
	}
	qsort(*out, *n, sizeof(**out), cmp_prefix);
	return 0;
}

static size_t ix_slot(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

static int index_build(struct prefix_index *ix, const struct prefix_row *rows,
		       size_t n)
{
	size_t i, cap = 64;

	while (cap < n * 2 + 2)
		cap *= 2;
	ix->key = calloc(cap, sizeof(*ix->key));
	ix->row = calloc(cap, sizeof(*ix->row));
	if (!ix->key || !ix->row)
		return gd_error_set("out of memory");
	ix->cap = cap;
	for (i = 0; i < n; i++) {
		size_t len = strlen(rows[i].prefix), j;
		uint64_t v = 0, key;
		for (j = 0; j < len; j++)
			v = v * 10 + (uint64_t)(rows[i].prefix[j] - '0');
		key = v * 16 + len;
		if (len > ix->max_len)
			ix->max_len = len;
		for (j = ix_slot(key, cap); ix->key[j]; j = (j + 1) & (cap - 1))
			;
		ix->key[j] = key;
		ix->row[j] = (uint32_t)i;
	}
	return 0;
}

/* Longest prefix of digits found in rows; *plen gets its length. */
static const struct prefix_row *longest(const struct prefix_row *rows,
					const struct prefix_index *ix,
					const char *digits, size_t *plen)
{
	uint64_t pv[16];
	size_t len, l;

	for (len = 0; len < 15 && digits[len] >= '0' && digits[len] <= '9'; len++)
		pv[len + 1] = (len ? pv[len] : 0) * 10 + (uint64_t)(digits[len] - '0');
	for (l = len < ix->max_len ? len : ix->max_len; l > 0; l--) {
		uint64_t key = pv[l] * 16 + l;
		size_t j;
		for (j = ix_slot(key, ix->cap); ix->key[j]; j = (j + 1) & (ix->cap - 1))
			if (ix->key[j] == key) {
				*plen = l;
				return &rows[ix->row[j]];
			}
	}
	return NULL;
}

static int parse_hours(struct daywin *w, const cJSON *hours, const char *id)
{
	const cJSON *h, *d;

	daywin_clear(w);
	cJSON_ArrayForEach(h, hours) {
		const cJSON *days = cJSON_GetObjectItemCaseSensitive(h, "days");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(h, "start");
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(h, "end");
		int start = time_parse_hhmm(cJSON_GetStringValue(s), 0);
		int end = time_parse_hhmm(cJSON_GetStringValue(e), 1);
		unsigned mask = 0;
		if (start < 0 || end < 0 || start >= end || !cJSON_IsArray(days))
			return gd_error_set("legal-windows.json: rule '%s': bad hours "
					    "(expected days, start < end as HH:MM)", id);
		cJSON_ArrayForEach(d, days) {
			int wd = weekday_parse(cJSON_GetStringValue(d));
			if (wd < 0)
				return gd_error_set("legal-windows.json: rule '%s': bad day",
						    id);
			mask |= 1u << wd;
		}
		daywin_add(w, mask, start, end);
	}
	return 0;
}

static int load_legal(struct rules *r)
{
	cJSON *root = cJSON_Parse(gd_data_legal_windows), *rule;
	const cJSON *arr;
	int rc = 0;
	size_t i = 0;

	arr = cJSON_GetObjectItemCaseSensitive(root, "rules");
	if (!cJSON_IsArray(arr)) {
		rc = gd_error_set("legal-windows.json: expected a \"rules\" array");
		goto cleanup;
	}
	r->n_legal = (size_t)cJSON_GetArraySize(arr);
	r->legal = calloc(r->n_legal + 1, sizeof(*r->legal));
	if (!r->legal) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	cJSON_ArrayForEach(rule, arr) {
		const char *id = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(rule, "id"));
		const char *j = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(rule, "jurisdiction"));
		const char *src = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(rule, "source"));
		struct legal_rule *lr = &r->legal[i++];
		if (!id || !j || !src || !*src) {
			rc = gd_error_set("legal-windows.json: rule %zu needs id, "
					  "jurisdiction and source", i);
			goto cleanup;
		}
		snprintf(lr->id, sizeof(lr->id), "%s", id);
		snprintf(lr->jurisdiction, sizeof(lr->jurisdiction), "%s", j);
		if ((rc = parse_hours(&lr->hours,
				      cJSON_GetObjectItemCaseSensitive(rule, "hours"),
				      id)))
			goto cleanup;
	}
cleanup:
	cJSON_Delete(root);
	return rc;
}

static int load_disclosure(struct rules *r)
{
	cJSON *root = cJSON_Parse(gd_data_disclosure), *j;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "jurisdictions");
	int rc = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return gd_error_set("disclosure.json: expected a \"jurisdictions\" array");
	}
	r->disclosure = calloc((size_t)cJSON_GetArraySize(arr) + 1,
			       sizeof(*r->disclosure));
	if (!r->disclosure)
		rc = gd_error_set("out of memory");
	cJSON_ArrayForEach(j, arr) {
		const char *name = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(j, "jurisdiction"));
		if (rc || !name)
			break;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "required")))
			continue;
		snprintf(r->disclosure[r->n_disclosure++], 12, "%s", name);
	}
	cJSON_Delete(root);
	return rc;
}

int rules_load(struct rules **out)
{
	struct rules *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return gd_error_set("out of memory");
	if ((rc = load_prefixes(&r->zones, &r->n_zones, gd_data_phone_zones,
				"phone-zones.txt")) ||
	    (rc = load_prefixes(&r->regions, &r->n_regions, gd_data_nanp_regions,
				"nanp-regions.txt")) ||
	    (rc = index_build(&r->zones_ix, r->zones, r->n_zones)) ||
	    (rc = index_build(&r->regions_ix, r->regions, r->n_regions)) ||
	    (rc = load_legal(r)) || (rc = load_disclosure(r))) {
		rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void rules_free(struct rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_zones; i++)
		free(r->zones[i].value);
	for (i = 0; i < r->n_regions; i++)
		free(r->regions[i].value);
	for (i = 0; i < r->n_zone_names; i++)
		free(r->zone_names[i]);
	free(r->zones);
	free(r->regions);
	free(r->zones_ix.key);
	free(r->zones_ix.row);
	free(r->regions_ix.key);
	free(r->regions_ix.row);
	free(r->legal);
	free(r->disclosure);
	free(r->zone_names);
	free(r);
}

long rules_place_key(const struct rules *r, const char *e164)
{
	const char *digits = e164 + (*e164 == '+');
	const struct prefix_row *z, *g = NULL;
	size_t plen = 0;
	long zi, gi = -1;

	z = longest(r->zones, &r->zones_ix, digits, &plen);
	zi = z ? (long)(z - r->zones) : -1;
	if (digits[0] == '1' &&
	    (g = longest(r->regions, &r->regions_ix, digits, &plen)) && plen == 4)
		gi = (long)(g - r->regions);
	return (zi + 1) * ((long)r->n_regions + 2) + gi + 1;
}

size_t rules_count(const struct rules *r)
{
	return r->n_legal;
}

/* Interns a zone name so struct place can point at it. */
static const char *intern(const struct rules *cr, const char *z, size_t len)
{
	struct rules *r = (struct rules *)cr; /* the intern table is a cache */
	char **n;
	size_t i;

	for (i = 0; i < r->n_zone_names; i++)
		if (strlen(r->zone_names[i]) == len &&
		    !memcmp(r->zone_names[i], z, len))
			return r->zone_names[i];
	n = realloc(r->zone_names, (r->n_zone_names + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->zone_names = n;
	if (!(n[r->n_zone_names] = strndup(z, len)))
		return NULL;
	return n[r->n_zone_names++];
}

const char *rules_zone(const struct rules *r, const char *name)
{
	return intern(r, name, strlen(name));
}

static int has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	while ((p = strstr(p, tok))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void add_token(char *list, size_t size, const char *tok)
{
	size_t n = strlen(list);

	if (!*tok || has_token(list, tok))
		return;
	snprintf(list + n, size - n, "%s%s", n ? "," : "", tok);
}

/* Does rule jurisdiction rj apply to the set js ("US" covers "US-FL")? */
static int rule_applies(const char *rj, const char *js)
{
	return has_token(js, rj);
}

int rules_place(const struct rules *r, struct place *out, const char *e164,
		const char *tz_column)
{
	const struct prefix_row *row;
	const char *digits = e164 + (*e164 == '+');
	const char *p;
	size_t plen = 0, i;
	int matched_country = 0;

	memset(out, 0, sizeof(*out));
	if (tz_column && *tz_column) {
		if (!tz_valid(tz_column))
			return gd_error_set("unknown time zone '%s'", tz_column),
			       GD_EINVALID;
		out->zones[out->n_zones++] = intern(r, tz_column,
						    strlen(tz_column));
		out->source = ZSRC_COLUMN;
	}
	row = longest(r->zones, &r->zones_ix, digits, &plen);
	if (!out->n_zones) {
		if (!row) {
			out->source = ZSRC_UNKNOWN;
			return gd_error_set("no time zone is known for '%s'", e164),
			       GD_ENOTFOUND;
		}
		for (p = row->value; *p && out->n_zones < PLACE_MAX_ZONES;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			const char *z = intern(r, p, len);
			if (z)
				out->zones[out->n_zones++] = z;
			p += len + (amp ? 1 : 0);
		}
		out->source = digits[0] == '1' && plen >= 4 ? ZSRC_AREA_CODE
							    : ZSRC_COUNTRY;
	}
	/* jurisdictions: the countries of the number's zones ... */
	if (row) {
		for (p = row->value; *p;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			char zone[64];
			const char *cc;
			snprintf(zone, sizeof(zone), "%.*s", (int)len, p);
			if ((cc = tz_country(zone)))
				add_token(out->jurisdictions,
					  sizeof(out->jurisdictions), cc);
			p += len + (amp ? 1 : 0);
		}
	}
	if (out->source == ZSRC_COLUMN) {
		const char *cc = tz_country(out->zones[0]);
		if (cc)
			add_token(out->jurisdictions, sizeof(out->jurisdictions), cc);
	}
	/* ... and the NANP state or province of the area code */
	if (digits[0] == '1' &&
	    (row = longest(r->regions, &r->regions_ix, digits, &plen)) && plen == 4) {
		for (p = row->value; *p;) {
			const char *amp = strchr(p, '&');
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			char reg[16];
			snprintf(reg, sizeof(reg), "%.*s", (int)len, p);
			add_token(out->jurisdictions, sizeof(out->jurisdictions), reg);
			reg[2] = '\0';
			add_token(out->jurisdictions, sizeof(out->jurisdictions), reg);
			p += len + (amp ? 1 : 0);
		}
	}
	daywin_fill(&out->legal);
	for (i = 0; i < r->n_legal; i++) {
		if (!strcmp(r->legal[i].jurisdiction, "default") ||
		    !rule_applies(r->legal[i].jurisdiction, out->jurisdictions))
			continue;
		daywin_intersect(&out->legal, &r->legal[i].hours);
		add_token(out->rule_ids, sizeof(out->rule_ids), r->legal[i].id);
		if (!strchr(r->legal[i].jurisdiction, '-'))
			matched_country = 1;
	}
	if (!matched_country) {
		for (i = 0; i < r->n_legal; i++) {
			if (strcmp(r->legal[i].jurisdiction, "default"))
				continue;
			daywin_intersect(&out->legal, &r->legal[i].hours);
			add_token(out->rule_ids, sizeof(out->rule_ids),
				  r->legal[i].id);
		}
	}
	for (i = 0; i < r->n_disclosure; i++)
		if (rule_applies(r->disclosure[i], out->jurisdictions))
			out->disclosure = 1;
	return 0;
}

int place_is_open(const struct place *p, const struct daywin *campaign, time_t now)
{
	int i;

	if (!p->n_zones)
		return 0;
	for (i = 0; i < p->n_zones; i++) {
		struct tm tm;
		int m;
		if (tz_local(&tm, p->zones[i], now))
			return 0;
		m = tm.tm_hour * 60 + tm.tm_min;
		if (!daywin_contains(campaign, tm.tm_wday, m) ||
		    !daywin_contains(&p->legal, tm.tm_wday, m))
			return 0;
	}
	return 1;
}

time_t place_next_open(const struct place *p, const struct daywin *campaign,
		       time_t now, long horizon)
{
	time_t t = now - now % 60;

	if (place_is_open(p, campaign, now))
		return now;
	for (t += 60; t <= now + horizon; t += 60)
		if (place_is_open(p, campaign, t))
			return t;
	return 0;
}
