#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "err.h"
#include "banned.h"

struct caps_slot {
	uint64_t key; /* 0 = empty */
	int64_t ts[CAPS_KEEP]; /* newest first */
	uint8_t n;
};

struct caps {
	struct caps_slot *v;
	size_t cap, n;
};

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

int caps_new(struct caps **out)
{
	struct caps *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c || !(c->v = calloc(64, sizeof(*c->v)))) {
		free(c);
		return gd_error_set("out of memory");
	}
	c->cap = 64;
	*out = c;
	return 0;
}

void caps_free(struct caps *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

static struct caps_slot *find(const struct caps *c, uint64_t key)
{
	size_t j;

	for (j = slot_of(key, c->cap); c->v[j].key; j = (j + 1) & (c->cap - 1))
		if (c->v[j].key == key)
			return &c->v[j];
	return &c->v[j];
}

static int grow(struct caps *c)
{
	struct caps_slot *old = c->v;
	size_t i, oc = c->cap;

	if (!(c->v = calloc(oc * 2, sizeof(*c->v)))) {
		c->v = old;
		return gd_error_set("out of memory");
	}
	c->cap = oc * 2;
	for (i = 0; i < oc; i++)
		if (old[i].key)
			*find(c, old[i].key) = old[i];
	free(old);
	return 0;
}

int caps_add(struct caps *c, uint64_t key, time_t ts)
{
	struct caps_slot *s;
	int i, at;

	if (!key)
		return 0;
	if ((c->n + 1) * 2 > c->cap && grow(c))
		return GD_ERROR;
	s = find(c, key);
	if (!s->key) {
		s->key = key;
		c->n++;
	}
	/* keep newest first; drop the oldest when full */
	for (at = 0; at < s->n && s->ts[at] >= (int64_t)ts; at++)
		;
	if (at >= CAPS_KEEP)
		return 0;
	for (i = s->n < CAPS_KEEP ? s->n : CAPS_KEEP - 1; i > at; i--)
		s->ts[i] = s->ts[i - 1];
	s->ts[at] = (int64_t)ts;
	if (s->n < CAPS_KEEP)
		s->n++;
	return 0;
}

size_t caps_count(const struct caps *c, uint64_t key, time_t now, long period_s)
{
	const struct caps_slot *s;
	size_t n = 0;
	int i;

	if (!key)
		return 0;
	s = find(c, key);
	if (!s->key)
		return 0;
	for (i = 0; i < s->n; i++)
		if (s->ts[i] <= (int64_t)now && s->ts[i] > (int64_t)now - period_s)
			n++;
	return n;
}
