/*
 * A campaign's conversations: every call (attempt) its log records, with
 * what the voice agent made of it. An "outcome" event gives the time,
 * outcome, duration and the provider's recording URL; the agent's
 * "analysis" event for the same call_id adds the sentiment, summary,
 * transcript and (its own) recording URL; a "recording" event (a URL
 * the provider sent after the outcome: Telnyx) joins the outcome of its
 * attempt_id. Read on demand from the log
 * files, never kept in the state or its cache.
 */
#ifndef GD_CALLS_H
#define GD_CALLS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "campaign.h"
#include "src.h"

#define CALLS_SUMMARY_MAX 2000 /* bytes of a summary kept (cut at a character) */
#define CALLS_URL_MAX 1024     /* a longer URL is dropped, counted in bad_urls */

struct call {
	time_t ts;            /* the outcome's time, else the analysis's */
	uint64_t key;         /* the recipient (attempt id's number), 0 unknown */
	int attempt;          /* 1.., 0 unknown */
	enum outcome outcome; /* OUT_NONE: an analysis whose outcome is not logged */
	long duration_s;
	const char *sentiment; /* "positive", "neutral", "negative" or NULL */
	int recording_only;   /* a "recording" event until the join */
	/* owned, NULL when absent; URLs only http(s) (html_url_ok) */
	char *attempt_id, *call_id, *summary, *transcript_url, *recording_url;
};

struct calls {
	struct call *v;
	size_t n, alloc;
	size_t bad_urls; /* links dropped: not http(s), too long, controls */
};

/*
 * Reads every call of campaign id from its log in s into out, newest
 * first (ties: the later attempt id first). An outcome logged twice for
 * one attempt counts once; an analysis joins the outcome with its
 * call_id (the last analysis wins). Lines that are not events are
 * passed over. out is the caller's (calls_release).
 */
int calls_load(struct calls *out, struct src *s, const char *id);
void calls_release(struct calls *c);

/*
 * A phone number for lists people share: "+" and the first two digits,
 * then one "*" per hidden digit, then the last four ("+12*****0142").
 * Numbers of eight digits or fewer keep only the last two.
 */
void calls_mask_phone(char *out, size_t n, const char *e164);

#endif
