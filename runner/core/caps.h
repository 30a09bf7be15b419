/*
 * Frequency caps across campaigns (issue 7): per phone number, the
 * newest dispatch times from every campaign's committed log, so a cap
 * rule ("at most 3 calls per number per 24 h") can be checked at a
 * tick's --now. Pure: built from struct cstate claim logs, no I/O.
 */
#ifndef GD_CAPS_H
#define GD_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CAPS_KEEP 8 /* newest dispatches kept per number (>= max_calls) */

struct caps;

int caps_new(struct caps **out);
void caps_free(struct caps *c);
/*
 * Records a dispatch of number key at ts. Only the CAPS_KEEP newest per
 * number are kept, which is enough for any cap of at most CAPS_KEEP calls.
 */
int caps_add(struct caps *c, uint64_t key, time_t ts);

/* A set of numbers (phone keys). */
struct keyset;
int keyset_new(struct keyset **out);
void keyset_free(struct keyset *k);
int keyset_add(struct keyset *k, uint64_t key);
int keyset_contains(const struct keyset *k, uint64_t key);
/* Dispatches of key within (now - period_s, now]. */
size_t caps_count(const struct caps *c, uint64_t key, time_t now, long period_s);

#endif
