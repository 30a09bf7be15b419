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

/* A set of numbers: open addressing on the key, 0 = empty. */
struct keyset {
	uint64_t *v;
	size_t cap, n;
};

int keyset_new(struct keyset **out)
{
	struct keyset *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k || !(k->v = calloc(64, sizeof(*k->v)))) {
		free(k);
		return gd_error_set("out of memory");
	}
	k->cap = 64;
	*out = k;
	return 0;
}

void keyset_free(struct keyset *k)
{
	if (!k)
		return;
	free(k->v);
	free(k);
}

static size_t keyset_slot(const struct keyset *k, uint64_t key)
{
	size_t j;

	for (j = slot_of(key, k->cap); k->v[j] && k->v[j] != key;
	     j = (j + 1) & (k->cap - 1))
		;
	return j;
}

int keyset_add(struct keyset *k, uint64_t key)
{
	size_t j;

	if (!key)
		return 0;
	if ((k->n + 1) * 2 > k->cap) {
		uint64_t *old = k->v;
		size_t i, oc = k->cap;
		if (!(k->v = calloc(oc * 2, sizeof(*k->v)))) {
			k->v = old;
			return gd_error_set("out of memory");
		}
		k->cap = oc * 2;
		for (i = 0; i < oc; i++)
			if (old[i])
				k->v[keyset_slot(k, old[i])] = old[i];
		free(old);
	}
	j = keyset_slot(k, key);
	if (!k->v[j]) {
		k->v[j] = key;
		k->n++;
	}
	return 0;
}

int keyset_contains(const struct keyset *k, uint64_t key)
{
	return key && k->v[keyset_slot(k, key)] == key;
}
