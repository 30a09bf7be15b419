/*
 * gitdial-sim: the embedded carrier for the demo, dry runs, tests and load
 * tests. Same contract as a real provider's function. Outcomes are
 * deterministic in (phone, attempt, seed) with a realistic mix; the end
 * of each call reaches the spool like a webhook would, stamped on the
 * injected clock (the request's "now" + ring + talk time).
 *
 * Calls it has "created" are remembered under $GITDIAL_SPOOL/.sim/, so
 * `status` can tell the runner whether a claimed call exists.
 * GITDIAL_SIM_FAULT=ambiguous creates the call and then answers as if
 * the connection dropped; =lost answers the same without creating it;
 * =down fails every dial as transient (the carrier is unavailable).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fn.h"
#include "hook.h"
#include "util.h"
#include "banned.h"

struct sim_call {
	const char *outcome;
	long ring_s, talk_s;
	int connected;
	const char *answered_by;
	int sip_code;
	int opt_out;
	const char *sentiment;
};

/* The outcome for this number, attempt and seed. */
static void sim_outcome(struct sim_call *c, const char *to, long attempt,
			long seed, long ring_timeout)
{
	char key[96];
	uint64_t h;
	unsigned pick;

	snprintf(key, sizeof(key), "%s|%ld|%ld", to, attempt, seed);
	h = hash_fnv1a(key, strlen(key));
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	pick = (unsigned)(h % 100);
	memset(c, 0, sizeof(*c));
	c->sentiment = "neutral";
	if (pick < 55) {
		c->outcome = "connected";
		c->connected = 1;
		c->ring_s = 4 + (long)((h >> 8) % 18);
		c->talk_s = 5 + (long)((h >> 16) % 236); /* 5 s to 4 min */
		c->answered_by = "human";
		c->sip_code = 200;
		c->sentiment = (h >> 24) % 3 == 0 ? "positive"
			: (h >> 24) % 3 == 1 ? "neutral" : "negative";
		c->opt_out = (h >> 40) % 100 < 3;
	} else if (pick < 70) {
		c->outcome = "voicemail";
		c->ring_s = 15 + (long)((h >> 8) % 10);
		c->talk_s = 20 + (long)((h >> 16) % 20);
		c->answered_by = "machine_end_beep";
		c->sip_code = 200;
	} else if (pick < 88) {
		c->outcome = "no_answer";
		c->ring_s = ring_timeout;
		c->sip_code = 480;
	} else if (pick < 95) {
		c->outcome = "busy";
		c->ring_s = 2;
		c->sip_code = 486;
	} else if (pick < 98) {
		c->outcome = "hangup";
		c->connected = 1;
		c->ring_s = 6;
		c->talk_s = 1 + (long)((h >> 16) % 3);
		c->answered_by = "human";
		c->sip_code = 200;
	} else {
		c->outcome = "failed";
		c->ring_s = 1;
		c->sip_code = 503;
	}
}

static long attempt_of(const char *attempt_id)
{
	const char *dot = attempt_id ? strrchr(attempt_id, '.') : NULL;

	return dot ? strtol(dot + 1, NULL, 10) : 1;
}

static int id_safe(const char *s)
{
	if (!s || !*s || strlen(s) > 120)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static int state_path(char *out, size_t n, const char *attempt_id)
{
	const char *spool = getenv("GITDIAL_SPOOL");

	if (!spool || !*spool || !id_safe(attempt_id) || attempt_id[0] == '.')
		return -1;
	snprintf(out, n, "%s/.sim/%s.json", spool, attempt_id);
	return 0;
}

static cJSON *sim_dial(const cJSON *req)
{
	const char *to = fn_str(req, "to"), *from = fn_str(req, "from");
	const char *aid = fn_str(req, "attempt_id"), *now_s = fn_str(req, "now");
	const char *campaign = fn_str(req, "campaign");
	const char *fault = getenv("GITDIAL_SIM_FAULT");
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *rej = cJSON_GetObjectItemCaseSensitive(acct, "reject_caller_ids");
	const cJSON *x;
	long seed = 0, ring_timeout = 30;
	char path[4300], call_id[40];
	struct sim_call c;
	cJSON *out, *rec, *ev;
	time_t now, end;
	char *s;

	if (!to || !from || !aid || !now_s || !campaign ||
	    time_parse_rfc3339(&now, now_s) || !id_safe(aid))
		return fn_fail("invalid_number", "bad_request",
			       "dial needs to, from, attempt_id, campaign and now");
	cJSON_ArrayForEach(x, rej)
		if (cJSON_IsString(x) && !strcmp(x->valuestring, from))
			return fn_fail("rejected", "21210", "caller ID %s is not "
				       "verified for this account", from);
	if (to[0] != '+' || strlen(to) < 9)
		return fn_fail("invalid_number", "21211", "'%s' is not a valid "
			       "phone number", to);
	if (fault && !strcmp(fault, "lost"))
		return fn_fail("ambiguous", "timeout", "no response from the carrier");
	/* the carrier is down: every call fails at the provider (breaker tests) */
	if (fault && !strcmp(fault, "down"))
		return fn_fail("transient", "503", "the carrier is unavailable");
	x = cJSON_GetObjectItemCaseSensitive(acct, "seed");
	if (cJSON_IsNumber(x))
		seed = (long)x->valuedouble;
	x = cJSON_GetObjectItemCaseSensitive(req, "ring_timeout_s");
	if (cJSON_IsNumber(x))
		ring_timeout = (long)x->valuedouble;
	sim_outcome(&c, to, attempt_of(aid), seed, ring_timeout);
	snprintf(call_id, sizeof(call_id), "SIM%016" PRIx64,
		 hash_fnv1a(aid, strlen(aid)));
	end = now + c.ring_s + c.talk_s;

	ev = hook_event("outcome", end, campaign, aid, call_id);
	cJSON_AddStringToObject(ev, "outcome", c.outcome);
	cJSON_AddNumberToObject(ev, "duration_s", (double)c.talk_s);
	cJSON_AddBoolToObject(ev, "connected", c.connected);
	cJSON_AddBoolToObject(ev, "answered", c.connected && c.talk_s >= 30);
	if (c.answered_by)
		cJSON_AddStringToObject(ev, "answered_by", c.answered_by);
	cJSON_AddNumberToObject(ev, "sip_code", c.sip_code);

	/* remember the call first: status must find what the carrier made */
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "call_id", call_id);
	cJSON_AddItemToObject(rec, "outcome", cJSON_Duplicate(ev, 1));
	if (state_path(path, sizeof(path), aid) == 0) {
		char dir[4300];
		snprintf(dir, sizeof(dir), "%s/.sim", getenv("GITDIAL_SPOOL"));
		s = cJSON_PrintUnformatted(rec);
		if (dir_create(dir) || !s || file_write_atomic(path, s, strlen(s))) {
			cJSON_free(s);
			cJSON_Delete(rec);
			cJSON_Delete(ev);
			return fn_fail("transient", "sim_state", "cannot record the call");
		}
		cJSON_free(s);
	}
	cJSON_Delete(rec);
	if (fn_spool(ev)) {
		cJSON_Delete(ev);
		return fn_fail("ambiguous", "spool", "call created but its "
			       "webhook could not be spooled");
	}
	cJSON_Delete(ev);
	if (c.connected && c.talk_s >= 5) {
		ev = hook_event("analysis", end + 5, campaign, aid, call_id);
		cJSON_AddStringToObject(ev, "sentiment", c.sentiment);
		cJSON_AddStringToObject(ev, "summary", c.opt_out
					? "Asked not to be called again."
					: "Talked with the agent.");
		cJSON_AddBoolToObject(ev, "opt_out", c.opt_out);
		fn_spool(ev);
		cJSON_Delete(ev);
	}
	if (fault && !strcmp(fault, "ambiguous"))
		return fn_fail("ambiguous", "timeout", "no response from the carrier");
	out = fn_ok();
	cJSON_AddStringToObject(out, "call_id", call_id);
	return out;
}

static cJSON *sim_status(const cJSON *req)
{
	const char *aid = fn_str(req, "attempt_id"), *now_s = fn_str(req, "now");
	struct buf b = BUF_INIT(65536);
	char path[4300];
	cJSON *rec, *out, *oc;
	time_t now = 0, end = 0;

	if (!aid || state_path(path, sizeof(path), aid))
		return fn_fail("invalid_number", "bad_request", "status needs attempt_id");
	if (now_s)
		time_parse_rfc3339(&now, now_s);
	if (file_read(&b, path, b.max)) {
		buf_release(&b);
		out = fn_ok();
		cJSON_AddBoolToObject(out, "found", 0);
		return out;
	}
	rec = cJSON_Parse(b.ptr);
	buf_release(&b);
	oc = cJSON_GetObjectItemCaseSensitive(rec, "outcome");
	time_parse_rfc3339(&end, fn_str(oc, "ts"));
	out = fn_ok();
	cJSON_AddBoolToObject(out, "found", 1);
	cJSON_AddStringToObject(out, "call_id", fn_str(rec, "call_id") ?
				fn_str(rec, "call_id") : "");
	if (oc && end <= now) {
		cJSON_AddStringToObject(out, "state", "completed");
		cJSON_AddItemToObject(out, "outcome", cJSON_Duplicate(oc, 1));
	} else {
		cJSON_AddStringToObject(out, "state", "in_progress");
	}
	cJSON_Delete(rec);
	return out;
}

static cJSON *sim_hangup(const cJSON *req)
{
	(void)req;
	return fn_ok();
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"sim", sim_dial, sim_status, sim_hangup, 0
	};

	return fn_main(&def, argc, argv);
}
