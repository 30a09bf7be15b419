/*
 * Frequency caps across campaigns (issue 7): per phone number, the
 * newest dispatch times, so a cap rule ("at most 3 calls per number per
 * 24 h") can be checked at a tick's --now. The tick keeps its own claims
 * here; the logs' claims are found per number through each campaign's
 * state (state_claims). Pure: no I/O.
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

/* Dispatches of key within (now - period_s, now]. */
size_t caps_count(const struct caps *c, uint64_t key, time_t now, long period_s);

#endif
