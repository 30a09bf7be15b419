/*
 * gitdial-sip's pure logic: digest vectors (RFC 2617 §3.5, RFC 7616
 * §3.9.1 MD5 and SHA-256, from ../shared/providers.md §4.1), challenge
 * choice with several headers (RFC 8898), the final-response table
 * (providers.md §4.2), trunk settings and the declining SDP answer.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "sip.h"
#include "tap.h"
#include "banned.h"

static void digest_vectors(void)
{
	char out[65];

	CHECK(!sip_digest_response(out, SIP_DIGEST_MD5, "Mufasa",
				   "testrealm@host.com", "Circle Of Life", "GET",
				   "/dir/index.html",
				   "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
				   "0a4f113b", "auth") &&
	      !strcmp(out, "6629fae49393a05397450978507c4ef1"),
	      "RFC 2617 3.5 MD5 qop=auth: %s", out);
	CHECK(!sip_digest_response(out, SIP_DIGEST_MD5, "Mufasa",
				   "http-auth@example.org", "Circle of Life",
				   "GET", "/dir/index.html",
				   "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				   "00000001",
				   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				   "auth") &&
	      !strcmp(out, "8ca523f5e9506fed4657c9700eebdbec"),
	      "RFC 7616 3.9.1 MD5: %s", out);
	CHECK(!sip_digest_response(out, SIP_DIGEST_SHA256, "Mufasa",
				   "http-auth@example.org", "Circle of Life",
				   "GET", "/dir/index.html",
				   "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				   "00000001",
				   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				   "auth") &&
	      !strcmp(out, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
	      "RFC 7616 3.9.1 SHA-256: %s", out);
}

static void challenges(void)
{
	const char *both[] = {
		"Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
		"algorithm=MD5, nonce=\"n-md5\", opaque=\"op\"",
		"Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
		"algorithm=SHA-256, nonce=\"n-sha\", opaque=\"op\"",
	};
	const char *odd[] = {
		"Digest realm=\"r\", algorithm=SHA-512-256, nonce=\"x\"",
		"Digest realm=\"r\", qop=\"auth-int\", nonce=\"y\"",
	};
	const char *plain[] = { "Digest realm=\"sipp\", nonce=\"abc\"" };
	const char *evil[] = { "Digest realm=\"a\r\nX: y\", nonce=\"abc\"" };
	struct sip_chall c;
	struct buf b = BUF_INIT(4096);
	int rc;

	CHECK(!sip_chall_choose(&c, both, 2, 0) && c.alg == SIP_DIGEST_SHA256 &&
	      !strcmp(c.nonce, "n-sha") && c.qop_auth && !strcmp(c.opaque, "op"),
	      "SHA-256 is chosen over MD5 when both are offered");
	CHECK(!sip_chall_choose(&c, both, 1, 1) && c.alg == SIP_DIGEST_MD5 &&
	      c.proxy, "MD5 alone is answered (proxy challenge)");
	CHECK(sip_chall_choose(&c, odd, 2, 0) == GD_EINVALID,
	      "SHA-512-256 and auth-int-only challenges are not answered");
	CHECK(!sip_chall_choose(&c, plain, 1, 0) && !c.qop_auth &&
	      c.alg == SIP_DIGEST_MD5, "no qop, no algorithm: RFC 2069 MD5");
	CHECK(sip_chall_choose(&c, evil, 1, 0) == GD_EINVALID,
	      "a realm with CR LF is refused");
	rc = sip_chall_choose(&c, plain, 1, 0) ||
	     sip_auth_header(&b, &c, "alice", "secret", "INVITE",
			     "sip:+15551230000@127.0.0.1", 1, "c0ffee");
	CHECK(!rc && !strncmp(b.ptr, "Authorization: Digest username=\"alice\", "
		       "realm=\"sipp\", nonce=\"abc\", uri=\"sip:+15551230000@"
		       "127.0.0.1\", response=\"", 99) &&
	      strstr(b.ptr, "algorithm=MD5\r\n") && !strstr(b.ptr, "qop"),
	      "the header line: %s", b.ptr ? b.ptr : "");
	buf_reset(&b);
	rc = sip_chall_choose(&c, both, 2, 1) ||
	     sip_auth_header(&b, &c, "alice", "secret", "INVITE", "sip:x@y", 2,
			     "c0ffee");
	CHECK(!rc && !strncmp(b.ptr, "Proxy-Authorization: Digest ", 28) &&
	      strstr(b.ptr, "algorithm=SHA-256, opaque=\"op\", qop=auth, "
		     "nc=00000002, cnonce=\"c0ffee\"\r\n"),
	      "proxy header with qop, nc and opaque: %s", b.ptr ? b.ptr : "");
	buf_reset(&b);
	CHECK(sip_auth_header(&b, &c, "al\"ice", "s", "INVITE", "sip:x@y", 1,
			      "c") == GD_EINVALID, "a user name with a quote is refused");
	buf_release(&b);
}

static void fates(void)
{
	static const struct { int code, canceled; const char *outcome, *kind; } t[] = {
		{ 486, 0, "busy", NULL }, { 600, 0, "busy", NULL },
		{ 480, 0, "no_answer", NULL }, { 408, 0, "no_answer", NULL },
		{ 487, 1, "no_answer", NULL }, { 603, 0, "failed", "declined" },
		{ 607, 0, "failed", "declined" },
		{ 404, 0, "failed", "invalid_number" },
		{ 484, 0, "failed", "invalid_number" },
		{ 604, 0, "failed", "invalid_number" },
		{ 410, 0, "failed", "invalid_number" },
		{ 403, 0, "failed", "account" }, { 401, 0, "failed", "account" },
		{ 407, 0, "failed", "account" }, { 402, 0, "failed", "account" },
		{ 421, 0, "failed", "account" }, { 503, 0, "failed", "transient" },
		{ 500, 0, "failed", "transient" }, { 504, 0, "failed", "transient" },
		{ 488, 0, "failed", "media" }, { 415, 0, "failed", "failed" },
	};
	struct sip_fate f;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sip_fate_of(&f, t[i].code, t[i].canceled);
		CHECK(!strcmp(f.outcome, t[i].outcome) &&
		      (t[i].kind ? f.kind && !strcmp(f.kind, t[i].kind) : !f.kind),
		      "%d -> %s/%s", t[i].code, f.outcome, f.kind ? f.kind : "-");
	}
	sip_fate_of(&f, 487, 1);
	CHECK(!strcmp(f.reason, "ring_timeout"), "487 after our CANCEL: ring_timeout");
	sip_fate_of(&f, 607, 0);
	CHECK(f.opt_out && !strcmp(f.reason, "unwanted"), "607 Unwanted is an opt-out");
	sip_fate_of(&f, 603, 0);
	CHECK(!f.opt_out, "603 Decline is not an opt-out");
	sip_fate_of(&f, 402, 0);
	CHECK(f.hint && strstr(f.hint, "credit"), "402 carries a hint");
	{
		char v[8];
		sip_value_clean(v, sizeof(v), "a\r\n\"b\\cdefgh", 10);
		CHECK(!strcmp(v, "a??\"b?c"), "header values are cleaned and cut: %s", v);
	}
	CHECK(!strcmp(sip_answered_outcome(4), "hangup") &&
	      !strcmp(sip_answered_outcome(5), "connected"),
	      "answered: < 5 s hangup, else connected");
}

static void sessions(void)
{
	static const char a[] = "v=0\r\no=r 53655765 2353687637 IN IP4 1.2.3.4\r\n"
		"s=-\r\nm=audio 6000 RTP/AVP 0\r\n";
	static const char b[] = "v=0\no=r 53655765 2353687637 IN IP4 1.2.3.4\n"
		"s=-\nm=audio 6000 RTP/AVP 0\na=sendonly\n";
	static const char c[] = "v=0\r\no=r 53655765 2353687638 IN IP4 1.2.3.4\r\n";
	unsigned secs;
	enum sip_refresher who;

	CHECK(sip_sdp_same_origin(a, strlen(a), b, strlen(b)),
	      "same o= line (CRLF or LF): an unchanged re-offer");
	CHECK(!sip_sdp_same_origin(a, strlen(a), c, strlen(c)),
	      "a new session version is a change");
	CHECK(!sip_sdp_same_origin(a, strlen(a), "v=0\r\n", 5),
	      "no o= line: not the same");
	CHECK(sip_sdp_has_crypto("v=0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 "
				 "AES_CM_128_HMAC_SHA1_80 inline:x\r\n", 55) &&
	      !sip_sdp_has_crypto(a, strlen(a)) &&
	      !sip_sdp_has_crypto("a=cryptox", 8), "SDES keys are found");
	CHECK(!sip_se_parse("1800;refresher=uac", 18, &secs, &who) &&
	      secs == 1800 && who == SIP_REFRESHER_UAC, "Session-Expires uac");
	CHECK(!sip_se_parse("90 ; refresher = uas", 20, &secs, &who) &&
	      secs == 90 && who == SIP_REFRESHER_UAS, "Session-Expires uas, spaces");
	CHECK(!sip_se_parse("600", 3, &secs, &who) && secs == 600 &&
	      who == SIP_REFRESHER_NONE, "Session-Expires without a refresher");
	CHECK(sip_se_parse("x;refresher=uac", 15, &secs, &who) == GD_EINVALID &&
	      sip_se_parse("0", 1, &secs, &who) == GD_EINVALID,
	      "a bad Session-Expires is refused");
}

static void multiparts(void)
{
	static const char body[] = "--unique-boundary-1\r\n"
		"Content-Type: application/isup;version=itu-t92+\r\n"
		"Content-Disposition: signal;handling=optional\r\n\r\n"
		"\x01\x00\x49\x00\r\n"
		"--unique-boundary-1\r\n"
		"Content-Type: application/sdp\r\n\r\n"
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=audio 6000 RTP/AVP 0\r\n"
		"\r\n--unique-boundary-1--\r\n";
	const char *sdp;
	size_t n;

	CHECK(!sip_multipart_sdp(body, sizeof(body) - 1, "unique-boundary-1",
				 &sdp, &n) &&
	      n == strlen("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=audio 6000 "
			  "RTP/AVP 0\r\n") && !strncmp(sdp, "v=0\r\n", 5),
	      "SIP-I: the SDP part beside the ISUP part, without the CRLF of "
	      "the delimiter");
	CHECK(sip_multipart_sdp(body, sizeof(body) - 1, "other", &sdp, &n) ==
	      GD_ENOTFOUND, "another boundary: no SDP");
	CHECK(sip_multipart_sdp(body, 60, "unique-boundary-1", &sdp, &n) ==
	      GD_ENOTFOUND, "a cut body: no SDP, no overread");
}

static void trunks(void)
{
	static const struct { const char *json; int ok; const char *why; } t[] = {
		{ "{\"proxy\":\"sip:127.0.0.1:5070\"}", 1, "ip and port" },
		{ "{\"proxy\":\"sip:sip.example.com\",\"transport\":\"tls\","
		  "\"domain\":\"example.com\",\"caller_id_header\":"
		  "\"P-Asserted-Identity\",\"max_call_s\":600}", 1, "everything" },
		{ "{\"proxy\":\"sip:[::1]:5060\",\"transport\":\"tcp\"}", 1, "ipv6" },
		{ "{}", 0, "no proxy" },
		{ "{\"proxy\":\"http://x\"}", 0, "not sip:" },
		{ "{\"proxy\":\"sip:a b\"}", 0, "space in host" },
		{ "{\"proxy\":\"sip:x;transport=tcp\"}", 0, "params" },
		{ "{\"proxy\":\"sip:x\",\"transport\":\"sctp\"}", 0, "transport" },
		{ "{\"proxy\":\"sip:x\",\"caller_id_header\":\"X-Foo\"}", 0, "cid header" },
		{ "{\"proxy\":\"sip:x\",\"max_call_s\":5}", 0, "max_call_s" },
		{ "{\"proxy\":\"sip:x\",\"host\":\"y\"}", 0, "unknown key" },
		{ "\"sip:x\"", 0, "not an object" },
		{ "{\"proxy\":\"sip:x\",\"transport\":\"tls\",\"tls_ca\":"
		  "\"/etc/gitdial/carrier-ca.pem\",\"tls_server_name\":"
		  "\"sip.carrier.example\"}", 1, "tls_ca and tls_server_name" },
		{ "{\"proxy\":\"sip:x\",\"tls_ca\":\"ca.pem\"}", 0,
		  "a relative tls_ca" },
		{ "{\"proxy\":\"sip:x\",\"tls_server_name\":\"a b\"}", 0,
		  "a tls_server_name with a space" },
	};
	struct sip_trunk tr;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cJSON *j = cJSON_Parse(t[i].json);
		int rc = sip_trunk_parse(&tr, j);
		CHECK(t[i].ok ? rc == 0 : rc == GD_EINVALID, "trunk %s: %s%s%s",
		      t[i].why, rc ? "refused" : "accepted", rc ? ": " : "",
		      rc ? gd_error_last() : "");
		cJSON_Delete(j);
	}
	{
		cJSON *j = cJSON_Parse("{\"proxy\":\"sip:127.0.0.1:5070\"}");
		sip_trunk_parse(&tr, j);
		CHECK(!strcmp(tr.host, "127.0.0.1") && tr.port == 5070 &&
		      tr.transport == SIP_TP_UDP && !strcmp(tr.domain, "127.0.0.1:5070") &&
		      tr.max_call_s == SIP_MAX_CALL_DEFAULT, "defaults");
		cJSON_Delete(j);
	}
	CHECK(sip_callid_valid("0123456789abcdef") && !sip_callid_valid("../x") &&
	      !sip_callid_valid(".x") && !sip_callid_valid("") &&
	      !sip_callid_valid("a/b"), "call ids");
}

static void sdp(void)
{
	const char *offer = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
		"s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
		"m=video 6002 RTP/AVP 96\n";
	struct buf b = BUF_INIT(4096);

	CHECK(!sip_sdp_decline(&b, offer, strlen(offer)) &&
	      strstr(b.ptr, "m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n") &&
	      !strstr(b.ptr, "6000"), "every stream declined, in order");
	buf_reset(&b);
	CHECK(sip_sdp_decline(&b, "v=0\r\n", 5) == GD_EINVALID,
	      "an offer without m= lines");
	buf_release(&b);
}

int main(void)
{
	digest_vectors();
	challenges();
	fates();
	sessions();
	multiparts();
	trunks();
	sdp();
	return finish();
}
