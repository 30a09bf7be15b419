/*
 * functions/whatsapp: the X-Hub-Signature-256 check (Meta's own vector,
 * and a webhook-shaped body signed by Python's hmac), the Graph error
 * table of providers.md §3.4 mapped to function error kinds, the
 * call_permissions reader, and terminate webhooks mapped to outcomes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fn.h"
#include "httpc.h"
#include "sig.h"
#include "whatsapp.h"

#include "tap.h"

static void signatures(void)
{
	static const char body[] =
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"
		"\"102290129340398\",\"changes\":[{\"value\":{\"messaging_product\":"
		"\"whatsapp\",\"metadata\":{\"display_phone_number\":\"16315553601\","
		"\"phone_number_id\":\"106540352242922\"},\"statuses\":[{\"id\":"
		"\"wacid.ABGGFjFVU2AfAgo6V\",\"timestamp\":\"1671644824\",\"type\":"
		"\"call\",\"status\":\"RINGING\",\"recipient_id\":\"163155536021\","
		"\"biz_opaque_callback_data\":\"random_string\"}]},\"field\":\"calls\"}]}]}";
	/* Python: hmac.new(b"TEST_APP_SECRET", body, hashlib.sha256) */
	static const char body_sig[] =
		"sha256=61fd87e665566d2de6b41bfc6d540ed675b54e6ce538411797e63ead38ffd6aa";
	/* WhatsApp-Nodejs-SDK utils.test.ts, providers.md §3.6 */
	static const char meta_sig[] =
		"sha256=0c61947b610d4f45e65f3d680e26027121ec2413e77598bcb6cfc6e0d9888221";
	char tampered[sizeof(body)];

	CHECK(!sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4, meta_sig),
	      "Meta's vector: secret TEST_APP_SECRET, body \"test\"");
	CHECK(!sig_hmac_sha256_check("TEST_APP_SECRET", body, strlen(body), body_sig),
	      "a status webhook body signed by Python's hmac validates");
	memcpy(tampered, body, sizeof(body));
	tampered[strstr(tampered, "RINGING") - tampered] = 'B';
	CHECK(sig_hmac_sha256_check("TEST_APP_SECRET", tampered, strlen(tampered),
				    body_sig) == GD_EINVALID,
	      "a byte changed in the body fails");
	CHECK(sig_hmac_sha256_check("OTHER_SECRET", body, strlen(body), body_sig) ==
	      GD_EINVALID, "another app's secret fails");
	CHECK(sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4, meta_sig + 7) ==
	      GD_EINVALID, "the hex without \"sha256=\" fails");
	CHECK(sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4,
				    "sha1=0c61947b610d4f45e65f3d680e26027121ec2413") ==
	      GD_EINVALID, "an X-Hub-Signature (sha1) value fails");
	CHECK(sig_hmac_sha256_check("", "test", 4, meta_sig) == GD_EINVALID,
	      "an empty secret never validates");
}

static void error_kinds(void)
{
	static const struct { long http, code; const char *kind; } t[] = {
		{ 401, 138006, "no_call_permission" },
		{ 400, 138001, "invalid_number" },
		{ 400, 131030, "invalid_number" },
		{ 429, 138002, "rate_limited" },
		{ 429, 138005, "rate_limited" },
		{ 429, 613, "rate_limited" },
		{ 400, 138009, "rate_limited" },
		{ 400, 138012, "rate_limited" },
		/* the number's calling settings: the account's, not the campaign's */
		{ 401, 138000, "account" },  /* a 401 that is not about the token */
		{ 400, 138013, "account" },
		{ 400, 138014, "account" },
		{ 400, 138015, "account" },
		{ 401, 133010, "account" },
		/* messaging codes about one recipient */
		{ 400, 131026, "invalid_number" },
		{ 400, 131047, "no_call_permission" },
		{ 400, 131056, "rate_limited" },
		{ 400, 131055, "rejected" },
		{ 400, 100, "rejected" },
		{ 400, 138003, "transient" },
		{ 500, 138004, "transient" },
		{ 500, 138007, "transient" },
		{ 401, 190, "auth" },
		{ 400, 102, "auth" },
		{ 403, 10, "auth" },
		{ 403, 200, "auth" },
		{ 403, 299, "auth" },
		{ 403, 0, "auth" },
		{ 401, 0, "auth" },
		{ 429, 0, "rate_limited" },
		{ 503, 2, "transient" },
		{ 502, 0, "transient" },
		{ 400, 0, "rejected" },
		{ 404, 0, "rejected" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(!strcmp(wa_error_kind(t[i].http, t[i].code), t[i].kind),
		      "HTTP %ld code %ld -> %s (got %s)", t[i].http, t[i].code,
		      t[i].kind, wa_error_kind(t[i].http, t[i].code));
}

/* wa_fail for an answered request: "kind code" of the response. */
static void fail_of(char *out, size_t n, enum httpc_fate fate, long status,
		    const char *body, int creating)
{
	struct httpc_response res;
	cJSON *r, *e;

	memset(&res, 0, sizeof(res));
	buf_init(&res.body, HTTPC_BODY_MAX);
	res.fate = fate;
	res.status = status;
	snprintf(res.error, sizeof(res.error), "Connection reset by peer");
	if (body)
		buf_puts(&res.body, body);
	r = wa_fail(&res, creating, "calls");
	e = cJSON_GetObjectItemCaseSensitive(r, "error");
	snprintf(out, n, "%s %s", fn_str(e, "kind"), fn_str(e, "code"));
	cJSON_Delete(r);
	buf_release(&res.body);
}

static void failures(void)
{
	static const char sdp_err[] = "{\"error\":{\"message\":\"Invalid "
		"parameter\",\"code\":100,\"error_data\":{\"details\":\"SDP "
		"validation error\"}}}";
	char got[128], msg[256];
	long code;

	fail_of(got, sizeof(got), HTTPC_ANSWERED, 401,
		"{\"error\":{\"message\":\"No approved call permission\",\"type\":"
		"\"OAuthException\",\"code\":138006,\"fbtrace_id\":\"AbC\"}}", 1);
	CHECK(!strcmp(got, "no_call_permission 138006"), "138006 body -> %s", got);
	fail_of(got, sizeof(got), HTTPC_ANSWERED, 401,
		"{\"error\":{\"message\":\"Invalid OAuth access token\",\"type\":"
		"\"OAuthException\",\"code\":190,\"fbtrace_id\":\"AbC\"}}", 1);
	CHECK(!strcmp(got, "auth 190"), "190 body -> %s", got);
	fail_of(got, sizeof(got), HTTPC_ANSWERED, 429,
		"{\"error\":{\"message\":\"x\",\"code\":\"138005\"}}", 1);
	CHECK(!strcmp(got, "rate_limited 138005"), "a code given as a string -> %s",
	      got);
	fail_of(got, sizeof(got), HTTPC_ANSWERED, 502, "<html>bad gateway</html>", 1);
	CHECK(!strcmp(got, "transient http_502"), "a 502 with no Graph body -> %s",
	      got);
	fail_of(got, sizeof(got), HTTPC_NO_RESPONSE, 0, NULL, 1);
	CHECK(!strcmp(got, "ambiguous no_response"), "a connect with no answer "
	      "may have made a call -> %s", got);
	fail_of(got, sizeof(got), HTTPC_NO_RESPONSE, 0, NULL, 0);
	CHECK(!strcmp(got, "transient no_response"), "a lookup with no answer -> %s",
	      got);
	fail_of(got, sizeof(got), HTTPC_NOT_SENT, 0, NULL, 1);
	CHECK(!strcmp(got, "transient connect"), "a request that never left -> %s",
	      got);
	fail_of(got, sizeof(got), HTTPC_ANSWERED, 200, "{\"calls\":[]}", 1);
	CHECK(!strcmp(got, "ambiguous bad_response"), "a 200 without a call id -> %s",
	      got);
	wa_error_parse(&code, msg, sizeof(msg), sdp_err, strlen(sdp_err));
	CHECK(code == 100 && !strcmp(msg, "Invalid parameter: SDP validation error"),
	      "error_data.details joins the message (%ld, %s)", code, msg);
	wa_error_parse(&code, msg, sizeof(msg), "not json", 8);
	CHECK(code == 0 && !msg[0], "a body that is not Graph's: no code");
}

static void permissions(void)
{
	struct wa_permission p;
	const char *none =
		"{\"messaging_product\":\"whatsapp\",\"permission\":{\"status\":"
		"\"no_permission\"},\"actions\":[{\"action_name\":"
		"\"send_call_permission_request\",\"can_perform_action\":true,"
		"\"limits\":[{\"time_period\":\"PT24H\",\"max_allowed\":1,"
		"\"current_usage\":0}]},{\"action_name\":\"start_call\","
		"\"can_perform_action\":false,\"limits\":[{\"time_period\":\"PT24H\","
		"\"max_allowed\":5,\"current_usage\":0}]}]}";
	const char *asked =
		"{\"permission\":{\"status\":\"no_permission\"},\"actions\":[{"
		"\"action_name\":\"send_call_permission_request\","
		"\"can_perform_action\":false,\"limits\":[{\"time_period\":\"PT24H\","
		"\"max_allowed\":1,\"current_usage\":1}]}]}";
	const char *temp =
		"{\"permission\":{\"status\":\"temporary\",\"expiration_time\":"
		"1745343479},\"actions\":[{\"action_name\":\"start_call\","
		"\"can_perform_action\":true}]}";
	const char *capped =
		"{\"permission\":{\"status\":\"permanent\"},\"actions\":[{"
		"\"action_name\":\"start_call\",\"can_perform_action\":false,"
		"\"limits\":[{\"time_period\":\"PT24H\",\"max_allowed\":100,"
		"\"current_usage\":100,\"limit_expiration_time\":1745343479}]}]}";

	CHECK(!wa_permission_parse(&p, none, strlen(none)) && !p.granted &&
	      p.can_request && !p.can_call && !strcmp(p.status, "no_permission"),
	      "no_permission: not granted, a request may be sent");
	CHECK(!wa_permission_parse(&p, asked, strlen(asked)) && !p.granted &&
	      !p.can_request && strstr(p.limits, "1 of 1 per PT24H"),
	      "asked already today: no request (%s)", p.limits);
	CHECK(!wa_permission_parse(&p, temp, strlen(temp)) && p.granted &&
	      p.can_call, "temporary: granted, may call");
	CHECK(!wa_permission_parse(&p, capped, strlen(capped)) && p.granted &&
	      !p.can_call && strstr(p.limits, "100 of 100"),
	      "permanent but 100 calls used: may not call now (%s)", p.limits);
	CHECK(wa_permission_parse(&p, "{\"actions\":[]}", 14) == GD_EINVALID,
	      "no permission.status: not a call_permissions answer");
	CHECK(wa_permission_parse(&p, "", 0) == GD_EINVALID, "an empty body");
}

/* The outcome fields of a terminate object, "outcome connected dur kind code". */
static void outcome_of(char *out, size_t n, const char *json)
{
	cJSON *call = cJSON_Parse(json), *ev = cJSON_CreateObject();
	const cJSON *e;

	wa_terminate_outcome(ev, call);
	e = cJSON_GetObjectItemCaseSensitive(ev, "error");
	snprintf(out, n, "%s %d %d %d %s %s", fn_str(ev, "outcome"),
		 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "connected")),
		 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "answered")),
		 (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ev,
								     "duration_s")),
		 e ? fn_str(e, "kind") : "-", e ? fn_str(e, "code") : "-");
	cJSON_Delete(ev);
	cJSON_Delete(call);
}

static void outcomes(void)
{
	char got[160];

	outcome_of(got, sizeof(got), "{\"event\":\"terminate\",\"status\":"
		   "\"COMPLETED\",\"start_time\":\"1671644824\",\"end_time\":"
		   "\"1671644869\",\"duration\":45}");
	CHECK(!strcmp(got, "connected 1 1 45 - -"), "COMPLETED, 45 s: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"COMPLETED\",\"duration\":\"2\","
		   "\"start_time\":\"1671644824\"}");
	CHECK(!strcmp(got, "hangup 1 0 2 - -"), "COMPLETED, 2 s: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"COMPLETED\",\"start_time\":"
		   "\"1671644824\",\"end_time\":\"1671644864\"}");
	CHECK(!strcmp(got, "connected 1 1 40 - -"), "no duration: from start and "
	      "end times: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"FAILED\"}");
	CHECK(!strcmp(got, "no_answer 0 0 0 - -"), "never picked up: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"COMPLETED\"}");
	CHECK(!strcmp(got, "no_answer 0 0 0 - -"), "COMPLETED, never picked up: %s",
	      got);
	outcome_of(got, sizeof(got), "{\"status\":\"FAILED\",\"errors\":[{\"code\":"
		   "138001,\"message\":\"Receiver is uncallable\"}]}");
	CHECK(!strcmp(got, "failed 0 0 0 invalid_number 138001"), "138001: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"FAILED\",\"start_time\":"
		   "\"1671644824\",\"duration\":12,\"errors\":[{\"code\":138021,"
		   "\"message\":\"Media receive timeout\"}]}");
	CHECK(!strcmp(got, "failed 1 0 12 failed 138021"), "picked up, then a media "
	      "failure: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"COMPLETED\",\"duration\":50,"
		   "\"errors\":[{\"code\":138022}]}");
	CHECK(!strcmp(got, "connected 1 1 50 - -"), "COMPLETED wins over an error "
	      "note: %s", got);
	outcome_of(got, sizeof(got), "{\"status\":\"COMPLETED\",\"duration\":-5,"
		   "\"start_time\":\"x\"}");
	CHECK(!strcmp(got, "hangup 1 0 0 - -"), "a negative duration is clamped "
	      "to 0: %s", got);
	CHECK(wa_status_rank("RINGING") == 1 && wa_status_rank("ACCEPTED") == 2 &&
	      wa_status_rank("REJECTED") == 2 && wa_status_rank("ringing") == 0 &&
	      wa_status_rank(NULL) == 0, "status ranks: late RINGING never "
	      "overrides ACCEPTED");
}

int main(void)
{
	signatures();
	error_kinds();
	failures();
	permissions();
	outcomes();
	return finish();
}
