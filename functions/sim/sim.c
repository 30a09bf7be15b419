/*
 * gitdial-sim: the embedded carrier for the demo, dry runs, tests and load
 * tests. Same contract as a real provider's function. Outcomes are
 * deterministic in (phone, attempt, seed) with a realistic mix; the end
 * of each call reaches the spool like a webhook would, stamped on the
 * injected clock (the request's "now" + ring + talk time).
 *
 * Calls it has "created" are remembered under $GITDIAL_SIM_DIR (the
 * carrier's side: runners on several machines share it as they share a
 * real carrier), by default $GITDIAL_SPOOL/.sim/, so `status` can tell
 * the runner whether a claimed call exists.
 *
 * Like a real provider, the sim can deliver its events as webhooks: when
 * the account has a "webhook_secret" reference and gitdial.json a
 * webhook_base_url, each event is POSTed to <webhook_base_url>/sim,
 * with the account's name in it, signed with X-Gitdial-Signature:
 * sha256=<hex HMAC-SHA256(secret, body)>; the webhook host (this binary
 * as CGI or FastCGI) checks the signature and spools it for `gitdial
 * ingest`. A delivery that fails is lost, as a real one can be: the
 * runner's status lookup finds the call's end instead.
 * GITDIAL_SIM_FAULT=ambiguous creates the call and then answers as if
 * the connection dropped; =lost answers the same without creating it;
 * =down fails every dial as transient (the carrier is unavailable);
 * =account refuses every dial as an account setting would (kind
 * `account`, Twilio's 21215 geo permissions, with a hint).
 * GITDIAL_SIM_LATENCY_MS=N (0 to 10000) makes each dial take N ms before
 * it answers, as a provider's API does (the bench's 150 ms dials).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "hook.h"
#include "httpc.h"
#include "sig.h"
#include "util.h"
#include "web.h"
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

/* The carrier's memory: $GITDIAL_SIM_DIR, else $GITDIAL_SPOOL/.sim. */
static int state_dir(char *out, size_t n)
{
	const char *dir = getenv("GITDIAL_SIM_DIR");
	const char *spool = getenv("GITDIAL_SPOOL");

	if (dir && *dir)
		snprintf(out, n, "%s", dir);
	else if (spool && *spool)
		snprintf(out, n, "%s/.sim", spool);
	else
		return -1;
	return 0;
}

static int state_path(char *out, size_t n, const char *attempt_id)
{
	char dir[4200];

	if (state_dir(dir, sizeof(dir)) || !id_safe(attempt_id) ||
	    attempt_id[0] == '.')
		return -1;
	snprintf(out, n, "%s/%s.json", dir, attempt_id);
	return 0;
}

/*
 * Where the sim's events go: POSTed to the webhook host when the account
 * has a webhook_secret and the request a webhook_url (a failed delivery
 * is lost: status finds the call), else into the local spool.
 */
static int sim_deliver(const cJSON *req, cJSON *ev)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *ref = fn_str(acct, "webhook_secret");
	const char *url = fn_str(req, "webhook_url"), *name = fn_str(acct, "name");
	struct httpc_request hr;
	struct httpc_response res;
	char secret[HOOK_SECRET_MAX], sig[65], hdr[100];
	char *body;

	if (!ref || !url || !name)
		return fn_spool(ev);
	if (secret_resolve(secret, sizeof(secret), ref) || !secret[0])
		return gd_error_set("accounts.%s.webhook_secret: %s does not resolve",
				    name, ref);
	cJSON_AddStringToObject(ev, "account", name);
	if (!(body = cJSON_PrintUnformatted(ev))) {
		explicit_bzero(secret, sizeof(secret));
		return gd_error_set("out of memory");
	}
	sig_hmac_sha256_hex(sig, secret, body, strlen(body));
	explicit_bzero(secret, sizeof(secret));
	snprintf(hdr, sizeof(hdr), "X-Gitdial-Signature: sha256=%s", sig);
	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.url = url;
	hr.content_type = "application/json";
	hr.body = body;
	hr.len = strlen(body);
	hr.header = hdr;
	httpc_perform(&res, &hr);
	httpc_response_release(&res);
	cJSON_free(body);
	return 0;
}

/* GITDIAL_SIM_LATENCY_MS: the time a dial request takes (bounded). */
static void sim_latency(void)
{
	const char *v = getenv("GITDIAL_SIM_LATENCY_MS");
	struct timespec ts;
	long ms;

	if (!v || !*v)
		return;
	ms = strtol(v, NULL, 10);
	if (ms <= 0)
		return;
	if (ms > 10000)
		ms = 10000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
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
	/* the account's settings refuse the call (geo permissions, like Twilio's 21215) */
	if (fault && !strcmp(fault, "account")) {
		cJSON *f = fn_fail("account", "21215", "Account not authorized to "
				   "call %s: geo permissions", to);
		cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(f, "error"),
					"hint", "enable the country in the account's "
					"geographic permissions");
		return f;
	}
	/* the carrier is down: every call fails at the provider (breaker tests) */
	if (fault && !strcmp(fault, "down"))
		return fn_fail("transient", "503", "the carrier is unavailable");
	sim_latency();
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
		state_dir(dir, sizeof(dir));
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
	if (sim_deliver(req, ev)) {
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
		sim_deliver(req, ev);
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

/*
 * The webhook host's side (/sim): an event the sim delivered, checked
 * against the named sim account's webhook_secret before anything else,
 * then spooled as it came (the account's name in it, for ingest to bind
 * it to the campaign's account).
 */
static void sim_webhook(const struct web_request *req, struct web_reply *rep)
{
	char secret[HOOK_SECRET_MAX];
	const char *name, *ev_s, *camp, *aid, *ts_s;
	const cJSON *acct;
	cJSON *cfg = NULL, *body = NULL;
	time_t ts;

	secret[0] = '\0';
	if (strcmp(req->method, "POST")) {
		web_reply_text(rep, 405, "POST only");
		goto cleanup;
	}
	if (!web_header(req, "X-Gitdial-Signature")) {
		web_reply_text(rep, 401, "no X-Gitdial-Signature header");
		goto cleanup;
	}
	body = cJSON_ParseWithLength(req->body.ptr ? req->body.ptr : "",
				     req->body.len);
	name = fn_str(body, "account");
	if (!cJSON_IsObject(body) || !name) {
		web_reply_text(rep, 400, "the body is not a sim event naming its account");
		goto cleanup;
	}
	if (hook_config_load(&cfg)) {
		web_reply_text(rep, 500, "%s", gd_error_last());
		goto cleanup;
	}
	acct = hook_account(cfg, name);
	if (!acct || !fn_str(acct, "provider") || strcmp(fn_str(acct, "provider"), "sim") ||
	    !fn_str(acct, "webhook_secret") ||
	    secret_resolve(secret, sizeof(secret), fn_str(acct, "webhook_secret")) ||
	    !secret[0]) {
		/* the same answer whatever is missing: no account oracle */
		web_reply_text(rep, 403, "not signed by a sim account of this host");
		goto cleanup;
	}
	if (sig_hmac_sha256_check(secret, req->body.ptr, req->body.len,
				  web_header(req, "X-Gitdial-Signature"))) {
		web_reply_text(rep, 403, "%s", gd_error_last());
		goto cleanup;
	}
	ev_s = fn_str(body, "event");
	camp = fn_str(body, "campaign");
	aid = fn_str(body, "attempt_id");
	ts_s = fn_str(body, "ts");
	if (!ev_s || (strcmp(ev_s, "outcome") && strcmp(ev_s, "analysis")) ||
	    !camp || !id_valid(camp) || !aid || !attempt_id_valid(aid) ||
	    !ts_s || time_parse_rfc3339(&ts, ts_s)) {
		web_reply_text(rep, 400, "not an outcome or analysis event");
		goto cleanup;
	}
	if (fn_spool(body)) {
		web_reply_text(rep, 500, "cannot spool the event: %s", gd_error_last());
		goto cleanup;
	}
	web_reply_text(rep, 200, "spooled");
cleanup:
	explicit_bzero(secret, sizeof(secret));
	cJSON_Delete(body);
	cJSON_Delete(cfg);
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"sim", sim_dial, sim_status, sim_hangup, 0
	};
	static const struct fn_web web = { sim_webhook };

	return fn_main_hooks(&def, &web, argc, argv);
}
