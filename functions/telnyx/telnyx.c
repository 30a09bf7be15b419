/*
 * gitdial-telnyx: Telnyx Call Control (Voice API v2).
 *
 * dial   POST /v2/calls (Bearer) with connection_id, timeout_secs,
 *        answering_machine_detection, client_state = base64(attempt id)
 *        and command_id = attempt id: Telnyx ignores a second dial with
 *        the same command_id, so a dial that drew no answer is re-sent
 *        once at once, safely. The agent's stream starts with the call,
 *        or, when a disclosure must be played first, after the webhook
 *        has spoken it (the plan is kept beside the spool). With
 *        "record", record=record-from-answer: the recording URL comes
 *        later in call.recording.saved (telnyx_hook.c).
 * status GET /v2/calls/{call_control_id}; with no id (a dial that drew
 *        no answer), the id call.initiated left on this host, else the
 *        attempt's call among the connection's live calls (GET
 *        /v2/connections/{connection_id}/active_calls, by client_state).
 *        One found on neither is held in flight (transient) until
 *        TELNYX_HOLD_S after the claim: a call it made has ended by then
 *        and its outcome reached the log through the webhook host.
 * hangup POST /v2/calls/{id}/actions/hangup.
 *
 * The webhook side (CGI) is telnyx_hook.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "fn.h"
#include "form.h"
#include "hook.h"
#include "httpc.h"
#include "sig.h"
#include "telnyx.h"
#include "util.h"
#include "trust.h"
#include "banned.h"

/*
 * How long after its claim an attempt whose dial drew no answer is held
 * in flight when no live call carries it: the longest ring (600 s), the
 * longest call Telnyx keeps up (time_limit_secs: 14400 s, its default
 * and its maximum), and 600 s for the call.hangup to reach the webhook
 * host and its ingest to commit the outcome. Until then the status
 * answer is transient, so the runner never records the attempt as not
 * placed (and dials again) while the call may exist.
 */
#define TELNYX_HOLD_S (600 + 14400 + 600)
#define TELNYX_LIST_PAGE 100  /* active calls asked for per page */
#define TELNYX_LIST_PAGES 50  /* pages looked through: 5,000 live calls */

int telnyx_account_load(struct telnyx_account *a, const cJSON *account,
			const char *name, int need_connection)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
	if (hook_api_base(a->base, sizeof(a->base), account, TELNYX_API, "telnyx")) {
		gd_error_prefix("account '%s'", a->name);
		return GD_EINVALID;
	}
	if (hook_credential(a->api_key, sizeof(a->api_key), account, "api_key") ||
	    (need_connection && hook_credential(a->connection_id,
						sizeof(a->connection_id),
						account, "connection_id"))) {
		gd_error_prefix("account '%s'", a->name);
		telnyx_account_wipe(a);
		return GD_ERROR;
	}
	return 0;
}

void telnyx_account_wipe(struct telnyx_account *a)
{
	explicit_bzero(a->api_key, sizeof(a->api_key));
}

int telnyx_path_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int rc = 0;

	for (p = (const unsigned char *)s; !rc && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~!$&'()*+,;=:@", *p)) {
			rc = buf_putc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			rc = buf_put(b, e, 3);
		}
	}
	return rc;
}

int telnyx_rest(struct httpc_response *res, const struct telnyx_account *a,
		const char *method, const char *path, const cJSON *body)
{
	char base[sizeof(a->base) + 8];

	snprintf(base, sizeof(base), "%s/v2", a->base);
	return httpc_json(res, method, base, path, a->api_key, body);
}

/* True when the response's first error has this code. */
static int error_is(const struct httpc_response *res, const char *code)
{
	cJSON *j = cJSON_ParseWithLength(res->body.ptr ? res->body.ptr : "",
					 res->body.len);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
					    "errors"), 0);
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
	int is = c && !strcmp(c, code);

	cJSON_Delete(j);
	return is;
}

int telnyx_command(const struct telnyx_account *a, const char *call_id,
		   const char *action, const cJSON *body)
{
	return telnyx_command_m(a, "POST", call_id, action, body);
}

int telnyx_command_m(const struct telnyx_account *a, const char *method,
		     const char *call_id, const char *action, const cJSON *body)
{
	struct buf path = BUF_INIT(2048);
	struct httpc_response res;
	cJSON *empty = body ? NULL : cJSON_CreateObject();
	int rc = GD_ERROR;

	memset(&res, 0, sizeof(res));
	if (buf_puts(&path, "/calls/") || telnyx_path_escape(&path, call_id) ||
	    buf_printf(&path, "/actions/%s", action)) {
		gd_error_set("telnyx %s: call id too long", action);
		goto cleanup;
	}
	if (!telnyx_rest(&res, a, method, path.ptr, body ? body : empty) &&
	    ((res.status >= 200 && res.status < 300) || res.status == 404 ||
	     (res.status == 422 && error_is(&res, "90018"))))
		rc = 0; /* done, or the call is gone: nothing left to do */
	else
		gd_error_set("telnyx %s: %s (HTTP %ld)", action,
			     res.fate ? res.error : "refused", res.status);
	httpc_response_release(&res);
cleanup:
	cJSON_Delete(empty);
	buf_release(&path);
	return rc;
}

int telnyx_voice(const char *lang, const char **language, const char **voice,
		 const char **service_level)
{
	/*
	 * gitdial's language code -> the speak enum value and a voice. English
	 * uses the basic service level (en-US only, voice by gender); the
	 * others a premium AWS Polly voice (language is then ignored by Telnyx
	 * but still one of its enum values); Urdu, absent from the enum, the
	 * Telnyx Sukhan voice the spec names for it.
	 */
	static const struct { const char *code, *tag, *voice; } map[] = {
		{ "en", "en-US", "female" },
		{ "ar", "arb", "AWS.Polly.Zeina" },
		{ "es", "es-ES", "AWS.Polly.Lucia" },
		{ "fr", "fr-FR", "AWS.Polly.Lea" },
		{ "de", "de-DE", "AWS.Polly.Vicki" },
		{ "pt", "pt-BR", "AWS.Polly.Camila" },
		{ "it", "it-IT", "AWS.Polly.Bianca" },
		{ "hi", "hi-IN", "AWS.Polly.Aditi" },
		{ "ur", NULL, "Telnyx.Sukhan.urdu-professor" },
	};
	size_t i;

	if (!lang || !*lang)
		lang = "en";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(lang, map[i].code) &&
		    (!map[i].tag || strcmp(lang, map[i].tag)))
			continue;
		*language = map[i].tag;
		*voice = map[i].voice;
		*service_level = i == 0 ? "basic" : "premium";
		return 0;
	}
	return GD_ENOTFOUND;
}

int telnyx_state_encode(struct buf *out, const cJSON *st)
{
	char *s = cJSON_PrintUnformatted(st), *b64 = NULL;
	size_t len = s ? strlen(s) : 0, need = (len + 2) / 3 * 4 + 1;
	int rc = GD_ERROR;

	buf_reset(out);
	if (s && need <= TELNYX_STATE_MAX + 1 && (b64 = malloc(need)) &&
	    b64_encode(b64, need, s, len) >= 0 && !buf_puts(out, b64)) {
		rc = 0;
	} else {
		gd_error_set("the call's state is %zu bytes of JSON; client_state "
			     "takes at most %d base64 characters here", len,
			     TELNYX_STATE_MAX);
	}
	free(b64);
	cJSON_free(s);
	return rc;
}

cJSON *telnyx_state_decode(const char *client_state)
{
	size_t n = client_state ? strlen(client_state) : 0, len;
	unsigned char *raw;
	cJSON *st = NULL;

	if (!n || n > TELNYX_STATE_MAX || !(raw = malloc(n)))
		return NULL;
	if (!b64_decode(raw, n - 1, &len, client_state)) {
		raw[len] = '\0';
		if (strlen((char *)raw) == len) {
			if (raw[0] == '{') {
				st = cJSON_Parse((char *)raw);
			} else if (attempt_id_valid((char *)raw)) {
				st = cJSON_CreateObject();
				cJSON_AddStringToObject(st, "a", (char *)raw);
			}
		}
	}
	free(raw);
	if (st && (!cJSON_IsObject(st) || !attempt_id_valid(fn_str(st, "a")))) {
		cJSON_Delete(st);
		st = NULL;
	}
	return st;
}

/* The first error's code, title/detail and source pointer. */
static const char *error_of(const struct httpc_response *res, char *code,
			    size_t n, char *msg, size_t m, char *ptr, size_t p)
{
	cJSON *j = cJSON_ParseWithLength(res->body.ptr ? res->body.ptr : "",
					 res->body.len);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
					    "errors"), 0);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
	const char *t = fn_str(e, "detail"), *ti = fn_str(e, "title");
	const char *pt = fn_str(cJSON_GetObjectItemCaseSensitive(e, "source"),
				"pointer");

	code[0] = msg[0] = ptr[0] = '\0';
	if (cJSON_IsString(c))
		snprintf(code, n, "%s", c->valuestring);
	else if (cJSON_IsNumber(c))
		snprintf(code, n, "%ld", (long)c->valuedouble);
	snprintf(msg, m, "%s%s%s", ti ? ti : "", ti && t ? ": " : "", t ? t : "");
	snprintf(ptr, p, "%s", pt ? pt : "");
	cJSON_Delete(j);
	return code;
}

/*
 * Telnyx's codes (api-errors) that say the request itself is malformed or
 * names something that does not exist: every call would draw the same.
 */
static int is_request_error(const char *code)
{
	static const char *const codes[] = {
		"10001", "10003", "10004", "10005", "10006", "10015", "10017",
		"10023",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

cJSON *telnyx_fail(const struct httpc_response *res, int creating)
{
	char code[32], msg[400], ptr[64], code_s[40];

	if (res->fate == HTTPC_NOT_SENT)
		return fn_fail("transient", "connect", "cannot reach Telnyx: %s",
			       res->error);
	if (res->fate == HTTPC_NO_RESPONSE)
		return creating
			? fn_fail("ambiguous", "no_response", "no response from "
				  "Telnyx (%s): the call may exist", res->error)
			: fn_fail("transient", "no_response", "no response from "
				  "Telnyx: %s", res->error);
	error_of(res, code, sizeof(code), msg, sizeof(msg), ptr, sizeof(ptr));
	snprintf(code_s, sizeof(code_s), "%s", code[0] ? code : "");
	if (!code[0])
		snprintf(code_s, sizeof(code_s), "http_%ld", res->status);
	if (!msg[0])
		snprintf(msg, sizeof(msg), "HTTP %ld", res->status);
	if (res->status == 429 || !strcmp(code, "10011") || !strcmp(code, "90103"))
		return fn_fail("rate_limited", code_s, "Telnyx: %s", msg);
	if (res->status == 401 || res->status == 403 || !strcmp(code, "10009") ||
	    !strcmp(code, "10010"))
		return fn_fail("auth", code_s, "Telnyx refused the credentials: %s",
			       msg);
	if ((!strcmp(code, "10002") || !strcmp(code, "10016")) &&
	    strcmp(ptr, "/from"))
		return fn_fail("invalid_number", code_s, "Telnyx: %s", msg);
	if (res->status >= 500 || res->status == 408 || res->status == 409 ||
	    !strcmp(code, "10008") || !strcmp(code, "10007"))
		/* documented as transient (request timeout, unexpected error) */
		return fn_fail("transient", code_s, "Telnyx: %s", msg);
	if (res->status >= 200 && res->status < 300)
		return creating
			? fn_fail("ambiguous", "bad_response", "Telnyx answered %ld "
				  "without a call_control_id", res->status)
			: fn_fail("transient", "bad_response", "Telnyx answered %ld "
				  "with an unreadable body", res->status);
	if (is_request_error(code) || (res->status == 422 && ptr[0]))
		/* our request is wrong: the campaign's, every call alike */
		return fn_fail("rejected", code_s, "Telnyx: %s%s%s", msg,
			       ptr[0] ? " at " : "", ptr);
	/* a 4xx we cannot place: ask again later rather than fail the campaign */
	return fn_fail("transient", code_s, "Telnyx: %s", msg);
}

/* The webhook URL with our query parameters added. */
static int webhook_url(struct buf *out, const char *hook, const char *account)
{
	return buf_puts(out, hook) ||
	       buf_putc(out, strchr(hook, '?') ? '&' : '?') ||
	       buf_puts(out, "account=") || url_escape(out, account);
}

/*
 * The call's plan for the webhook (telnyx_hook.c), carried in client_state
 * so that any webhook host can act on it: the disclosure to speak on
 * answer, the agent's stream to start after it, the voicemail mode and
 * message. Each text Telnyx will speak is checked first: a language we
 * have a voice for, at most TELNYX_SPEAK_MAX characters. Returns NULL, or
 * the failure response.
 */
static cJSON *plan_state(struct buf *out, const cJSON *req, const char *stream,
			 int leave, const char *text, int with_plan)
{
	const char *disclosure = fn_str(req, "disclosure");
	const char *lang = fn_str(req, "language");
	const char *tag, *voice, *level;
	cJSON *st = cJSON_CreateObject(), *fail = NULL;

	cJSON_AddStringToObject(st, "a", fn_str(req, "attempt_id"));
	if (with_plan) {
		int disclose = disclosure && *disclosure;
		if ((disclose || text) &&
		    telnyx_voice(lang, &tag, &voice, &level)) {
			fail = fn_fail("rejected", "language", "Telnyx has no speech "
				       "voice here for language \"%s\" (the %s "
				       "must be spoken): see docs/providers.md",
				       lang, disclose ? "disclosure" : "voicemail "
				       "message");
			goto done;
		}
		if ((disclose && utf8_len(disclosure) > TELNYX_SPEAK_MAX) ||
		    (text && utf8_len(text) > TELNYX_SPEAK_MAX)) {
			fail = fn_fail("rejected", "speak_too_long", "the %s is %zu "
				       "characters; Telnyx speaks at most %d",
				       disclose && utf8_len(disclosure) >
				       TELNYX_SPEAK_MAX ? "disclosure"
				       : "voicemail message",
				       utf8_len(disclose && utf8_len(disclosure) >
						TELNYX_SPEAK_MAX ? disclosure : text),
				       TELNYX_SPEAK_MAX);
			goto done;
		}
		if (lang)
			cJSON_AddStringToObject(st, "l", lang);
		if (disclose)
			cJSON_AddStringToObject(st, "d", disclosure);
		/* the agent's stream: after the disclosure, or after the
		 * beep when the agent leaves the message */
		if (stream && (disclose || (leave && !text)))
			cJSON_AddStringToObject(st, "s", stream);
		cJSON_AddStringToObject(st, "v", leave ? "leave_message"
					: "hang_up");
		if (leave && text)
			cJSON_AddStringToObject(st, "m", text);
	}
	if (telnyx_state_encode(out, st))
		fail = fn_fail("rejected", "state_too_long", "%s: shorten the "
			       "voicemail message or the disclosure",
			       gd_error_last());
done:
	cJSON_Delete(st);
	return fail;
}

static cJSON *telnyx_dial(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(req, "agent");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(req, "ring_timeout_s");
	const char *aid = fn_str(req, "attempt_id"), *hook = fn_str(req, "webhook_url");
	const char *stream = fn_str(agent, "stream_url"), *vm = fn_str(req, "voicemail");
	const char *disclosure = fn_str(req, "disclosure");
	const char *msg = fn_str(req, "voicemail_message");
	struct telnyx_account a;
	struct httpc_response res;
	struct buf url = BUF_INIT(8192), state = BUF_INIT(TELNYX_STATE_MAX + 1);
	cJSON *body = NULL, *out = NULL, *got = NULL;
	const char *id;
	long ring = cJSON_IsNumber(rt) ? (long)rt->valuedouble : 30;
	/* voicemail_message spoken after the beep, else the agent's stream
	 * again; never script.text, which is instructions to the agent */
	int leave = vm && !strcmp(vm, "leave_message");
	int disclose = disclosure && *disclosure, tries, maybe_created = 0;
	int record = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "record"));

	memset(&res, 0, sizeof(res));
	if (telnyx_account_load(&a, acct, fn_str(acct, "name"), 1))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (!stream || !*stream) {
		out = fn_fail("rejected", "no_agent", "agent.stream_url is not set: "
			      "there is no agent to connect the call to");
		goto cleanup;
	}
	if ((out = fn_record_refusal(record, disclose)))
		goto cleanup;
	/* the call's audio goes there: only to a host the operator lists */
	if (trust_agent_check(stream, "agent.stream_url")) {
		out = fn_fail("rejected", "agent_host", "%s", gd_error_last());
		goto cleanup;
	}
	if (disclose && (!hook || !*hook)) {
		out = fn_fail("rejected", "no_webhook", "a disclosure must be played "
			      "but no webhook_base_url is configured to play it");
		goto cleanup;
	}
	ring = ring < 5 ? 5 : ring > 600 ? 600 : ring;
	if (msg && !*msg)
		msg = NULL;
	if ((out = plan_state(&state, req, stream, leave, leave ? msg : NULL,
			      hook && *hook)))
		goto cleanup;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "connection_id", a.connection_id);
	cJSON_AddStringToObject(body, "to", fn_str(req, "to"));
	cJSON_AddStringToObject(body, "from", fn_str(req, "from"));
	cJSON_AddNumberToObject(body, "timeout_secs", (double)ring);
	cJSON_AddStringToObject(body, "client_state", state.ptr);
	cJSON_AddStringToObject(body, "command_id", aid);
	if (hook && *hook) {
		if (webhook_url(&url, hook, a.name)) {
			out = fn_fail("rejected", "request", "webhook URL too long");
			goto cleanup;
		}
		cJSON_AddStringToObject(body, "webhook_url", url.ptr);
		cJSON_AddStringToObject(body, "webhook_url_method", "POST");
		cJSON_AddStringToObject(body, "answering_machine_detection",
					leave ? "detect_beep" : "detect");
	} else {
		cJSON_AddStringToObject(body, "answering_machine_detection",
					"disabled");
	}
	if (record) {
		/* from the answer, so the disclosure spoken then is in it; the
		 * URL comes in call.recording.saved (docs/recording.md) */
		cJSON_AddStringToObject(body, "record", "record-from-answer");
		cJSON_AddStringToObject(body, "record_format", "mp3");
	}
	if (!disclose) {
		cJSON_AddStringToObject(body, "stream_url", stream);
		cJSON_AddStringToObject(body, "stream_track", "inbound_track");
		cJSON_AddStringToObject(body, "stream_bidirectional_mode", "rtp");
	}
	/* a retry with the same command_id cannot make a second call */
	for (tries = 0; tries < 2; tries++) {
		httpc_response_release(&res);
		telnyx_rest(&res, &a, "POST", "/calls", body);
		if (res.fate == HTTPC_NO_RESPONSE)
			maybe_created = 1;
		if (!(res.fate == HTTPC_NO_RESPONSE ||
		      (res.fate == HTTPC_ANSWERED && res.status >= 500)))
			break;
	}
	if (res.fate != HTTPC_ANSWERED || res.status < 200 || res.status >= 300) {
		out = telnyx_fail(&res, 1);
		if (maybe_created && res.fate == HTTPC_ANSWERED) {
			/*
			 * The first dial may have made the call: whatever the
			 * same command_id draws now (a 4xx too) proves nothing.
			 */
			cJSON_Delete(out);
			out = fn_fail("ambiguous", "no_response", "no response from "
				      "Telnyx, then HTTP %ld: the call may exist",
				      res.status);
		}
		goto cleanup;
	}
	got = cJSON_ParseWithLength(res.body.ptr, res.body.len);
	id = fn_str(cJSON_GetObjectItemCaseSensitive(got, "data"), "call_control_id");
	if (!id || !*id) {
		out = telnyx_fail(&res, 1);
		goto cleanup;
	}
	hook_state_put("telnyx", aid, "call", id);
	out = fn_ok();
	cJSON_AddStringToObject(out, "call_id", id);
cleanup:
	cJSON_Delete(got);
	cJSON_Delete(body);
	httpc_response_release(&res);
	buf_release(&url);
	buf_release(&state);
	telnyx_account_wipe(&a);
	return out;
}

/*
 * The connection's live calls as "<attempt id>\t<call_control_id>\n"
 * lines, listed page by page (ListConnectionActiveCalls: ActiveCall
 * objects, the consolidated page[number]/page[size] parameter); each
 * call carries its attempt in client_state. 0, or -1 with *fail the
 * answer when Telnyx could not say.
 */
static int list_active(struct buf *map, cJSON **fail,
		       const struct telnyx_account *a)
{
	struct buf path = BUF_INIT(2048);
	struct httpc_response res;
	int page, n;

	*fail = NULL;
	memset(&res, 0, sizeof(res));
	for (page = 1; page <= TELNYX_LIST_PAGES; page++) {
		cJSON *got;
		const cJSON *data, *c;
		buf_reset(&path);
		if (buf_puts(&path, "/connections/") ||
		    telnyx_path_escape(&path, a->connection_id) ||
		    buf_printf(&path, "/active_calls?page%%5Bnumber%%5D=%d"
			       "&page%%5Bsize%%5D=%d", page, TELNYX_LIST_PAGE)) {
			*fail = fn_fail("transient", "request",
					"connection id too long");
			break;
		}
		httpc_response_release(&res);
		if (telnyx_rest(&res, a, "GET", path.ptr, NULL) ||
		    res.status != 200) {
			*fail = telnyx_fail(&res, 0);
			break;
		}
		got = cJSON_ParseWithLength(res.body.ptr, res.body.len);
		data = cJSON_GetObjectItemCaseSensitive(got, "data");
		if (!cJSON_IsArray(data)) {
			cJSON_Delete(got);
			*fail = fn_fail("transient", "bad_response", "active_calls "
					"answered without a data array");
			break;
		}
		n = 0;
		cJSON_ArrayForEach(c, data) {
			cJSON *st = telnyx_state_decode(fn_str(c, "client_state"));
			const char *cid = fn_str(c, "call_control_id");
			const char *of = fn_str(st, "a");
			n++;
			if (cid && *cid && strlen(cid) <= 256 && of &&
			    !strpbrk(cid, "\t\n") && !strpbrk(of, "\t\n"))
				buf_printf(map, "%s\t%s\n", of, cid);
			cJSON_Delete(st);
		}
		cJSON_Delete(got);
		if (n < TELNYX_LIST_PAGE)
			break; /* the last page */
	}
	httpc_response_release(&res);
	buf_release(&path);
	if (!*fail && buf_check(map))
		*fail = fn_fail("transient", "too_many", "too many live calls to "
				"look through");
	return *fail ? -1 : 0;
}

/*
 * One listing serves every status of a batch (fn.c runs a batch's
 * requests on threads of one process) for TELNYX_LIST_TTL_S: a tick that
 * asks about many claims lists the live calls once, not once each. A
 * failed listing is kept as long, so that it is not tried again by
 * every waiting request.
 */
#define TELNYX_LIST_TTL_S 5
static struct {
	pthread_mutex_t mu;
	char key[sizeof(((struct telnyx_account *)0)->base) +
		 sizeof(((struct telnyx_account *)0)->connection_id) + 2];
	struct timespec at;
	int have;
	struct buf map;
	char *fail; /* the failure answer, printed */
} live = { .mu = PTHREAD_MUTEX_INITIALIZER };

/*
 * Looks for attempt aid's call among the connection's live calls. 1 with
 * *out its call_control_id, 0 when no live call has it, -1 with *fail
 * the answer when Telnyx could not say.
 */
static int find_active(struct buf *out, cJSON **fail,
		       const struct telnyx_account *a, const char *aid)
{
	char key[sizeof(live.key)];
	struct timespec now;
	const char *p;
	size_t al = strlen(aid);
	int rc = 0;

	*fail = NULL;
	snprintf(key, sizeof(key), "%s\n%s", a->base, a->connection_id);
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&live.mu);
	if (!live.have || strcmp(live.key, key) ||
	    now.tv_sec - live.at.tv_sec >= TELNYX_LIST_TTL_S) {
		cJSON *f = NULL;
		buf_release(&live.map);
		buf_init(&live.map, (size_t)TELNYX_LIST_PAGE * TELNYX_LIST_PAGES * 600);
		free(live.fail);
		live.fail = NULL;
		if (list_active(&live.map, &f, a)) {
			live.fail = cJSON_PrintUnformatted(f);
			cJSON_Delete(f);
		}
		snprintf(live.key, sizeof(live.key), "%s", key);
		live.at = now;
		live.have = 1;
	}
	if (live.fail) {
		*fail = cJSON_Parse(live.fail);
		rc = -1;
	}
	for (p = live.map.ptr; rc == 0 && p && *p; p = strchr(p, '\n') + 1) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		if (!tab || !nl)
			break;
		if ((size_t)(tab - p) == al && !memcmp(p, aid, al)) {
			rc = buf_put(out, tab + 1, (size_t)(nl - tab - 1)) ? 0 : 1;
			break;
		}
	}
	pthread_mutex_unlock(&live.mu);
	if (rc < 0 && !*fail)
		*fail = fn_fail("transient", "active_calls", "out of memory");
	return rc;
}

static cJSON *telnyx_status(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *id = fn_str(req, "call_id"), *aid = fn_str(req, "attempt_id");
	const char *disp = fn_str(req, "dispatched_at");
	struct buf known = BUF_INIT(512), path = BUF_INIT(2048);
	struct telnyx_account a;
	struct httpc_response res;
	cJSON *out = NULL, *got = NULL, *oc, *st = NULL;
	const cJSON *d, *dur, *answered_at;
	const char *by;
	time_t now = 0, since, end;
	long secs;
	int no_id = !id || !*id;

	memset(&res, 0, sizeof(res));
	time_parse_rfc3339(&now, fn_str(req, "now"));
	if (telnyx_account_load(&a, acct, fn_str(acct, "name"), no_id))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (no_id && !hook_state_get(&known, "telnyx", aid, "call"))
		id = known.ptr;
	if ((!id || !*id) && aid) {
		/* no webhook on this host named it: a live call may carry it */
		buf_reset(&known);
		if (find_active(&known, &out, &a, aid) < 0)
			goto cleanup;
		if (known.len)
			id = known.ptr;
	}
	if (!id || !*id) {
		if (!disp || time_parse_rfc3339(&since, disp))
			since = now - TELNYX_HOLD_S - 1;
		if (now - since <= TELNYX_HOLD_S) {
			out = fn_fail("transient", "not_yet", "no live call carries "
				      "this attempt; a call it made may have ended "
				      "with its outcome still on its way through the "
				      "webhook host: ask again later");
		} else {
			out = fn_ok();
			cJSON_AddBoolToObject(out, "found", 0);
		}
		goto cleanup;
	}
	if (buf_puts(&path, "/calls/") || telnyx_path_escape(&path, id)) {
		out = fn_fail("transient", "request", "call id too long");
		goto cleanup;
	}
	if (telnyx_rest(&res, &a, "GET", path.ptr, NULL) || res.status != 200) {
		if (res.fate == HTTPC_ANSWERED && res.status == 404) {
			/* Telnyx forgets ended calls: the webhook has the outcome */
			out = fn_ok();
			cJSON_AddBoolToObject(out, "found", 1);
			cJSON_AddStringToObject(out, "call_id", id);
			cJSON_AddStringToObject(out, "state", "unknown");
		} else {
			out = telnyx_fail(&res, 0);
		}
		goto cleanup;
	}
	got = cJSON_ParseWithLength(res.body.ptr, res.body.len);
	d = cJSON_GetObjectItemCaseSensitive(got, "data");
	if (!cJSON_IsObject(d)) {
		out = telnyx_fail(&res, 0);
		goto cleanup;
	}
	out = fn_ok();
	cJSON_AddBoolToObject(out, "found", 1);
	cJSON_AddStringToObject(out, "call_id", id);
	st = telnyx_state_decode(fn_str(d, "client_state"));
	answered_at = cJSON_GetObjectItemCaseSensitive(st, "t");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "is_alive"))) {
		/* the webhook notes the answer in client_state */
		cJSON_AddStringToObject(out, "state", cJSON_IsNumber(answered_at)
					? "in_progress" : "ringing");
		goto cleanup;
	}
	/*
	 * call_duration is "the duration of the call in seconds": the spec
	 * does not say it is talk time (it may count ringing), so the answer
	 * comes from client_state, where the webhook put it.
	 */
	dur = cJSON_GetObjectItemCaseSensitive(d, "call_duration");
	secs = cJSON_IsNumber(dur) ? (long)dur->valuedouble : 0;
	by = fn_str(st, "b");
	oc = cJSON_CreateObject();
	if (cJSON_IsNumber(answered_at) &&
	    !time_parse_rfc3339(&end, fn_str(d, "end_time"))) {
		long talk = (long)(end - (time_t)answered_at->valuedouble);
		if (talk < 0)
			talk = 0;
		if (by && (!strcmp(by, "machine") || !strcmp(by, "fax")))
			hook_outcome(oc, "voicemail", talk, 0, by, 0,
				     "from the call's status (no hangup cause)");
		else
			hook_outcome(oc, talk < TELNYX_HANGUP_S ? "hangup"
				     : "connected", talk, 1, by, 0,
				     "from the call's status (no hangup cause)");
	} else if (secs == 0 && !cJSON_IsNumber(answered_at)) {
		hook_outcome(oc, "no_answer", 0, 0, NULL, 0,
			     "from the call's status (no hangup cause)");
	} else {
		cJSON *e;
		hook_outcome(oc, "failed", 0, 0, NULL, 0,
			     "from the call's status (no hangup cause)");
		e = cJSON_AddObjectToObject(oc, "error");
		cJSON_AddStringToObject(e, "kind", "failed");
		cJSON_AddStringToObject(e, "code", "no_webhook");
		cJSON_AddStringToObject(e, "message", "the call ended and no "
					"webhook said whether it was answered "
					"(call_duration may count ringing)");
	}
	cJSON_AddStringToObject(out, "state", "completed");
	cJSON_AddItemToObject(out, "outcome", oc);
cleanup:
	cJSON_Delete(st);
	cJSON_Delete(got);
	httpc_response_release(&res);
	buf_release(&known);
	buf_release(&path);
	telnyx_account_wipe(&a);
	return out;
}

static cJSON *telnyx_hangup(const cJSON *req)
{
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(req, "account");
	const char *id = fn_str(req, "call_id");
	struct buf path = BUF_INIT(2048);
	struct telnyx_account a;
	struct httpc_response res;
	cJSON *out = NULL, *empty = NULL;
	char code[32], msg[256], ptr[64];

	memset(&res, 0, sizeof(res));
	if (telnyx_account_load(&a, acct, fn_str(acct, "name"), 0))
		return fn_fail("auth", "credentials", "%s", gd_error_last());
	if (buf_puts(&path, "/calls/") || telnyx_path_escape(&path, id) ||
	    buf_puts(&path, "/actions/hangup")) {
		out = fn_fail("rejected", "bad_request", "call id too long");
		goto cleanup;
	}
	empty = cJSON_CreateObject(); /* HangupRequest: the body is required */
	if (telnyx_rest(&res, &a, "POST", path.ptr, empty)) {
		out = telnyx_fail(&res, 0);
	} else if ((res.status >= 200 && res.status < 300) || res.status == 404 ||
		   !strcmp(error_of(&res, code, sizeof(code), msg, sizeof(msg),
				    ptr, sizeof(ptr)), "90018")) {
		out = fn_ok(); /* ended already: nothing to hang up */
	} else {
		out = telnyx_fail(&res, 0);
	}
cleanup:
	cJSON_Delete(empty);
	httpc_response_release(&res);
	buf_release(&path);
	telnyx_account_wipe(&a);
	return out;
}

int main(int argc, char **argv)
{
	static const struct fn_def def = {
		"telnyx", telnyx_dial, telnyx_status, telnyx_hangup, 0
	};
	static const struct fn_web web = { telnyx_webhook };

	return fn_main_web(&def, &web, argc, argv);
}
