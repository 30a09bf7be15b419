/*
 * The parsed audience as a flat file, so that a tick does not parse a
 * million-row CSV again when neither it nor campaign.json changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "audience.h"
#include "bio.h"
#include "buf.h"
#include "err.h"
#include "util.h"
#include "banned.h"

#define AUD_MAGIC "GDAUD007" /* 007: record offsets after a bare CR */
#define AUD_ALIGN 16 /* the arrays start aligned: they are used in place */

struct aud_head {
	char magic[8];
	uint32_t sizeof_recipient, sizeof_problem, sizeof_daywin;
	char key[192];
	uint64_t n, n_places, text_len, n_problems, rows;
	uint64_t n_invalid, n_duplicate, n_no_consent;
	uint64_t idx_cap; /* the phone index's capacity, 0 when not saved */
	int32_t n_columns, n_langs, col_phone, col_tz, col_lang, col_consent;
	uint8_t trim_cols[AUDIENCE_COLUMNS_MAX / 8];
};

struct place_disk {
	int32_t n_zones, source, disclosure, pad;
	char jurisdictions[160];
	char rule_ids[256];
	struct daywin legal;
	uint16_t rix[PLACE_MAX_RULES];
	int32_t n_rix, pad2;
};

int audience_save(struct audience *a, const char *path, const char *key)
{
	/* the small parts: the head, then (at head_len) the places */
	struct buf b = BUF_INIT(((size_t)1 << 30) + ((size_t)1 << 20));
	struct aud_head h;
	size_t i, head_len;
	int k, rc;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, AUD_MAGIC, 8);
	h.sizeof_recipient = sizeof(struct recipient);
	h.sizeof_problem = sizeof(struct row_problem);
	h.sizeof_daywin = sizeof(struct daywin);
	snprintf(h.key, sizeof(h.key), "%s", key);
	h.n = a->n;
	h.n_places = a->n_places;
	h.text_len = a->text_len;
	memcpy(h.trim_cols, a->trim_cols, sizeof(h.trim_cols));
	h.n_problems = a->n_problems;
	h.rows = a->rows;
	h.n_invalid = a->n_invalid;
	h.n_duplicate = a->n_duplicate;
	h.n_no_consent = a->n_no_consent;
	h.idx_cap = a->idx_cap;
	h.n_columns = a->n_columns;
	h.n_langs = a->n_langs;
	h.col_phone = a->col_phone;
	h.col_tz = a->col_tz;
	h.col_lang = a->col_lang;
	h.col_consent = a->col_consent;
	rc = buf_put(&b, &h, sizeof(h));
	for (k = 0; !rc && k < a->n_columns; k++)
		rc = buf_put(&b, a->columns[k], strlen(a->columns[k]) + 1);
	rc = rc ? rc : buf_put(&b, a->langs, sizeof(a->langs));
	while (!rc && b.len % AUD_ALIGN)
		rc = buf_putc(&b, '\0');
	head_len = b.len;
	/* the large arrays go out as they are, between the small parts */
	for (i = 0; !rc && i < a->n_places; i++) {
		const struct place *p = &a->places[i];
		struct place_disk pd;
		memset(&pd, 0, sizeof(pd));
		pd.n_zones = p->n_zones;
		pd.source = p->source;
		pd.disclosure = p->disclosure;
		memcpy(pd.jurisdictions, p->jurisdictions, sizeof(pd.jurisdictions));
		memcpy(pd.rule_ids, p->rule_ids, sizeof(pd.rule_ids));
		pd.legal = p->legal;
		memcpy(pd.rix, p->rix, sizeof(pd.rix));
		pd.n_rix = p->n_rix;
		rc = buf_put(&b, &pd, sizeof(pd));
		for (k = 0; !rc && k < p->n_zones; k++)
			rc = buf_put(&b, p->zones[k], strlen(p->zones[k]) + 1);
	}
	if (!rc) {
		static const char zeros[AUD_ALIGN];
		size_t r_len = a->n * sizeof(*a->r), v_len = a->text_len;
		size_t pl_len = b.len - head_len;
		struct iovec v[9];
		/* the small parts are the write's own; the arrays are lent */
		char *own = buf_detach(&b);
		v[0].iov_base = own;
		v[0].iov_len = head_len;
		v[1].iov_base = a->r;
		v[1].iov_len = r_len;
		v[2].iov_base = (void *)a->text;
		v[2].iov_len = v_len;
		/* pad so that problems starts aligned too */
		v[3].iov_base = (void *)zeros;
		v[3].iov_len = (AUD_ALIGN - (head_len + r_len + v_len) % AUD_ALIGN) % AUD_ALIGN;
		v[4].iov_base = a->problems;
		v[4].iov_len = a->n_problems * sizeof(*a->problems);
		v[5].iov_base = own + head_len;
		v[5].iov_len = pl_len;
		/* then the phone index, aligned */
		v[6].iov_base = (void *)zeros;
		v[6].iov_len = (AUD_ALIGN - (head_len + r_len + v_len + v[3].iov_len +
					      v[4].iov_len + pl_len) % AUD_ALIGN) % AUD_ALIGN;
		v[7].iov_base = a->idx_key;
		v[7].iov_len = a->idx_cap * sizeof(*a->idx_key);
		v[8].iov_base = a->idx_pos;
		v[8].iov_len = a->idx_cap * sizeof(*a->idx_pos);
		/* written on a thread while the tick goes on: audience_free
		 * waits for it */
		a->saving = 1;
		rc = bio_write_lent(path, v, 9, own);
	}
	buf_release(&b);
	return rc;
}

/* Takes len bytes from *p (within end); NULL when the file is short. */
static const char *take(const char **p, const char *end, size_t len)
{
	const char *at = *p;

	if ((size_t)(end - at) < len)
		return NULL;
	*p += len;
	return at;
}

/* Steps over the padding to the next AUD_ALIGN boundary; 0 when short. */
static int aligned(const char **p, const char *end)
{
	size_t pad = (AUD_ALIGN - (uintptr_t)*p % AUD_ALIGN) % AUD_ALIGN;

	return take(p, end, pad) != NULL;
}

static const char *take_str(const char **p, const char *end)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));

	return nul ? take(p, end, (size_t)(nul - *p) + 1) : NULL;
}

int audience_load(struct audience **out, const char *path, const char *key,
		  const struct rules *rules)
{
	struct audience *a = NULL;
	struct aud_head h;
	const char *p, *end, *x, *data;
	size_t i, len;
	void *token = NULL;
	int k, rc = GD_ENOTFOUND;

	*out = NULL;
	if (file_map(path, &data, &len, &token) || len < sizeof(h))
		goto cleanup;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, AUD_MAGIC, 8) ||
	    h.sizeof_recipient != sizeof(struct recipient) ||
	    h.sizeof_problem != sizeof(struct row_problem) ||
	    h.sizeof_daywin != sizeof(struct daywin) ||
	    strncmp(h.key, key, sizeof(h.key)) || h.n_columns < 0 ||
	    h.n_columns > AUDIENCE_COLUMNS_MAX || h.n_langs < 0 || h.n_langs > 32 ||
	    h.n > len || h.n_places > len || h.n_problems > len)
		goto cleanup;
	if (!(a = calloc(1, sizeof(*a))))
		goto cleanup;
	p = data + sizeof(h);
	end = data + len;
	for (k = 0; k < h.n_columns; k++) {
		if (!(x = take_str(&p, end)) || !(a->columns[k] = strdup(x)))
			goto bad;
		a->n_columns++;
	}
	if (!(x = take(&p, end, sizeof(a->langs))))
		goto bad;
	memcpy(a->langs, x, sizeof(a->langs));
	a->n_langs = h.n_langs;
	a->col_phone = h.col_phone;
	a->col_tz = h.col_tz;
	a->col_lang = h.col_lang;
	a->col_consent = h.col_consent;
	a->rows = h.rows;
	a->n_invalid = h.n_invalid;
	a->n_duplicate = h.n_duplicate;
	a->n_no_consent = h.n_no_consent;
	/* the arrays are used where they lie in the (private) mapping */
	if (!aligned(&p, end) || !(x = take(&p, end, h.n * sizeof(*a->r))))
		goto bad;
	a->map = token;
	token = NULL;
	a->r = (struct recipient *)x;
	a->n = a->alloc = h.n;
	if (!(x = take(&p, end, h.text_len)))
		goto bad;
	a->text = h.text_len ? x : NULL;
	a->text_len = h.text_len;
	memcpy(a->trim_cols, h.trim_cols, sizeof(a->trim_cols));
	if (!aligned(&p, end) ||
	    !(x = take(&p, end, h.n_problems * sizeof(*a->problems))))
		goto bad;
	a->problems = (struct row_problem *)x;
	a->n_problems = a->problems_alloc = h.n_problems;
	if (!(a->places = calloc(h.n_places + 1, sizeof(*a->places))))
		goto bad;
	for (i = 0; i < h.n_places; i++) {
		struct place *pl = &a->places[i];
		struct place_disk pd;
		if (!(x = take(&p, end, sizeof(pd))))
			goto bad;
		memcpy(&pd, x, sizeof(pd));
		if (pd.n_zones < 0 || pd.n_zones > PLACE_MAX_ZONES || pd.source < 0 ||
		    pd.source > ZSRC_UNKNOWN || pd.n_rix < 0 ||
		    pd.n_rix > PLACE_MAX_RULES)
			goto bad;
		pl->n_zones = pd.n_zones;
		pl->source = (enum zone_source)pd.source;
		pl->disclosure = pd.disclosure;
		memcpy(pl->jurisdictions, pd.jurisdictions, sizeof(pl->jurisdictions));
		pl->jurisdictions[sizeof(pl->jurisdictions) - 1] = '\0';
		memcpy(pl->rule_ids, pd.rule_ids, sizeof(pl->rule_ids));
		pl->rule_ids[sizeof(pl->rule_ids) - 1] = '\0';
		pl->legal = pd.legal;
		pl->n_rix = pd.n_rix;
		for (k = 0; k < pd.n_rix; k++) {
			if (pd.rix[k] >= rules_count(rules))
				goto bad;
			pl->rix[k] = pd.rix[k];
		}
		for (k = 0; k < pd.n_zones; k++)
			if (!(x = take_str(&p, end)) ||
			    !(pl->zones[k] = rules_zone(rules, x)))
				goto bad;
	}
	a->n_places = h.n_places;
	if (h.idx_cap) {
		if ((h.idx_cap & (h.idx_cap - 1)) || h.idx_cap < a->n * 2 ||
		    h.idx_cap > len || !aligned(&p, end) ||
		    !(x = take(&p, end, h.idx_cap * sizeof(*a->idx_key))))
			goto bad;
		a->idx_key = (uint64_t *)x;
		if (!(x = take(&p, end, h.idx_cap * sizeof(*a->idx_pos))))
			goto bad;
		a->idx_pos = (uint32_t *)x;
		a->idx_cap = h.idx_cap;
	}
	if (p != end)
		goto bad;
	/*
	 * Every recipient must point at a place and inside the text: counted
	 * without a branch a row, so checking a million costs one pass over
	 * the array. (The phone index is checked where it is read:
	 * audience_find.)
	 */
	{
		size_t bad = 0;
		uint32_t np = a->n_places ? (uint32_t)a->n_places : UINT32_MAX;
		uint32_t vl = (uint32_t)a->text_len;
		for (i = 0; i < a->n; i++) {
			const struct recipient *rp = &a->r[i];
			bad += (rp->place >= np) | (rp->lang >= 32) |
			       ((rp->vars != UINT32_MAX) & (rp->vars >= vl));
		}
		if (bad || a->text_len > UINT32_MAX)
			goto bad;
	}
	*out = a;
	a = NULL;
	rc = 0;
	goto cleanup;
bad:
	rc = GD_ENOTFOUND;
cleanup:
	audience_free(a);
	file_unmap(token);
	return rc;
}
