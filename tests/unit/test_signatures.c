/*
 * Webhook signatures against the published vectors (../shared/providers.md):
 * Twilio's request validator tests, RFC 8032 §7.1 TEST 1 for Ed25519 and
 * Telnyx-format deliveries signed with that key, Meta's HMAC-SHA256.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "form.h"
#include "sig.h"
#include "banned.h"

static int n_pass, n_fail, n_test;

#define DETAIL gd_error_last()
#define OK(cond, ...) do { \
	int ok_ = (cond); \
	n_test++; \
	if (ok_) { n_pass++; printf("ok %d - ", n_test); } \
	else { n_fail++; printf("not ok %d - ", n_test); } \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) printf("#   at %s:%d%s%s\n", __FILE__, __LINE__, \
			 DETAIL[0] ? ": " : "", DETAIL); \
} while (0)

static const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";
static const char *params_s = "CallSid=CA1234567890ABCDE&Digits=1234&"
	"From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";

static void twilio_vectors(void)
{
	struct form p = FORM_INIT, dup = FORM_INIT, dup2 = FORM_INIT;
	char s[SIG_TWILIO_LEN], s2[SIG_TWILIO_LEN];
	const char *body = "{\"property\": \"value\", \"boolean\": true}";
	char with_body[256];
	const char *multi = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
	const char *multi2 = "Digits=1234&Sid=CA123&Digits=5678&SidAccount=AC123"
		"&Digits=1234";

	OK(!form_parse(&p, params_s, strlen(params_s)) && p.n == 5,
	   "the vector's params parse");
	OK(!sig_twilio_compute(s, "12345", url, &p) &&
	   !strcmp(s, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	   "twilio: canonical vector computes RSOYDt4T1cUTdK1PDd93/VVr8B8= (got %s)", s);
	OK(!sig_twilio_check("12345", url, &p, NULL, 0,
			     "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	   "twilio: canonical vector validates");
	OK(sig_twilio_check("12346", url, &p, NULL, 0,
			    "RSOYDt4T1cUTdK1PDd93/VVr8B8=") == GD_EINVALID,
	   "twilio: another token fails");
	OK(sig_twilio_check("12345", "https://mycompany.com/myapp.php?foo=1&bar=3",
			    &p, NULL, 0, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") == GD_EINVALID,
	   "twilio: another query string fails");
	OK(sig_twilio_check("12345", url, NULL, NULL, 0,
			    "RSOYDt4T1cUTdK1PDd93/VVr8B8=") == GD_EINVALID,
	   "twilio: dropped params fail");
	OK(sig_twilio_check("12345", url, &p, NULL, 0, "") == GD_EINVALID &&
	   sig_twilio_check("12345", url, &p, NULL, 0, NULL) == GD_EINVALID,
	   "twilio: no signature fails");
	OK(sig_twilio_check("12345", url, &p, NULL, 0,
			    "RSOYDt4T1cUTdK1PDd93/VVr8B8") == GD_EINVALID,
	   "twilio: a truncated signature fails");

	/*
	 * HMAC-SHA256 (a SharedKey with algorithm=HMAC_SHA256): the same
	 * string signed; the value is what the twilio npm SDK 6.3.1's
	 * getExpectedTwilioSignature(..., "HMAC_SHA256") gives for the vector
	 */
	OK(!sig_twilio_check_alg("12345", 1, url, &p, NULL, 0,
				 "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="),
	   "twilio: the HMAC-SHA256 vector validates");
	OK(sig_twilio_check_alg("12345", 0, url, &p, NULL, 0,
				"033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s=") == GD_EINVALID &&
	   sig_twilio_check_alg("12345", 1, url, &p, NULL, 0,
				"RSOYDt4T1cUTdK1PDd93/VVr8B8=") == GD_EINVALID,
	   "twilio: SHA-1 and SHA-256 signatures are not interchangeable");

	/* the port quirk */
	OK(!sig_twilio_check("12345", "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
			     &p, NULL, 0, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	   "twilio: https URL with a port validates the port-less signature");
	OK(!sig_twilio_check("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
			     &p, NULL, 0, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
	   "twilio: http URL with port 1234 validates its own signature");
	OK(!sig_twilio_check("12345", url, &p, NULL, 0, "kvajT1Ptam85bY51eRf/AJRuM3w="),
	   "twilio: https signature made with :443 validates");
	OK(!sig_twilio_check("12345", "http://mycompany.com/myapp.php?foo=1&bar=2",
			     &p, NULL, 0, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
	   "twilio: http signature made with :80 validates");
	OK(sig_twilio_check("12345", "http://mycompany.com/myapp.php?foo=1&bar=2",
			    &p, NULL, 0, "kvajT1Ptam85bY51eRf/AJRuM3w=") == GD_EINVALID,
	   "twilio: an https :443 signature does not validate over http");

	/* multi-valued parameters: sorted values, each distinct value once */
	OK(!form_parse(&dup, multi, strlen(multi)) && !sig_twilio_compute(s, "12345", url, &dup) &&
	   !strcmp(s, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
	   "twilio: multi-valued vector IK+Dwps556ElfBT0I3Rgjkr1wJU= (got %s)", s);
	OK(!form_parse(&dup2, multi2, strlen(multi2)) &&
	   !sig_twilio_compute(s2, "12345", url, &dup2) && !strcmp(s, s2),
	   "twilio: order and a repeated value do not change the signature");

	/* JSON bodies are signed through bodySHA256 in the URL */
	snprintf(with_body, sizeof(with_body), "%s&bodySHA256=%s", url,
		 "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
	OK(!sig_twilio_check("12345", with_body, NULL, body, strlen(body),
			     "a9nBmqA0ju/hNViExpshrM61xv4="),
	   "twilio: bodySHA256 vector validates");
	OK(sig_twilio_check("12345", with_body, NULL, "{}", 2,
			    "a9nBmqA0ju/hNViExpshrM61xv4=") == GD_EINVALID,
	   "twilio: bodySHA256 with another body fails");
	form_release(&p);
	form_release(&dup);
	form_release(&dup2);
}

static int hexbytes(unsigned char *out, const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return (int)n;
}

static const char *rfc_sk =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *rfc_pk =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *rfc_sig =
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* Signs msg with the RFC 8032 TEST 1 key, base64 into out. */
static int rfc_sign(char *out, size_t n, const char *msg, size_t len)
{
	unsigned char sk[32], sig[64];
	size_t siglen = sizeof(sig);
	EVP_PKEY *k;
	EVP_MD_CTX *c;
	int ok;

	hexbytes(sk, rfc_sk);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	c = EVP_MD_CTX_new();
	ok = k && c && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
	     EVP_DigestSign(c, sig, &siglen, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return ok && b64_encode(out, n, sig, siglen) > 0 ? 0 : -1;
}

static void ed25519_vectors(void)
{
	unsigned char pk[32], sig[64], pk2[32];
	char pk_b64[64], sig_b64[128], msg[512], bad_b64[128];
	const char *body = "{\"data\":{\"event_type\":\"call.hangup\",\"payload\":"
		"{\"hangup_cause\":\"normal_clearing\"}}}";
	const char *ts = "1764072000";
	time_t now = 1764072000;

	hexbytes(pk, rfc_pk);
	hexbytes(sig, rfc_sig);
	OK(!sig_ed25519_verify(pk, "", 0, sig), "ed25519: RFC 8032 TEST 1 verifies");
	sig[0] ^= 1;
	OK(sig_ed25519_verify(pk, "", 0, sig) == GD_EINVALID,
	   "ed25519: a flipped bit fails");
	sig[0] ^= 1;
	OK(sig_ed25519_verify(pk, "x", 1, sig) == GD_EINVALID,
	   "ed25519: another message fails");

	b64_encode(pk_b64, sizeof(pk_b64), pk, 32);
	snprintf(msg, sizeof(msg), "%s|%s", ts, body);
	OK(!rfc_sign(sig_b64, sizeof(sig_b64), msg, strlen(msg)),
	   "telnyx: signed timestamp|body with the RFC key");
	OK(!sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body), now),
	   "telnyx: a fresh delivery verifies");
	OK(!sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body), now + 300) &&
	   !sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body), now - 300),
	   "telnyx: 300 s either side is inside the tolerance");
	OK(sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body), now + 301) ==
	   GD_EINVALID && strstr(gd_error_last(), "tolerance"),
	   "telnyx: 301 s old is stale");
	OK(sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body), now - 301) ==
	   GD_EINVALID, "telnyx: 301 s in the future is refused");
	OK(sig_telnyx_check(pk_b64, sig_b64, "1764072001", body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: another timestamp fails");
	OK(sig_telnyx_check(pk_b64, sig_b64, ts, body, strlen(body) - 1, now) ==
	   GD_EINVALID, "telnyx: a changed body fails");
	OK(sig_telnyx_check(pk_b64, sig_b64, " 1764072000", body, strlen(body), now) ==
	   GD_EINVALID && sig_telnyx_check(pk_b64, sig_b64, "17640720x", body,
					   strlen(body), now) == GD_EINVALID,
	   "telnyx: a malformed timestamp fails");
	OK(sig_telnyx_check(pk_b64, NULL, ts, body, strlen(body), now) == GD_EINVALID &&
	   sig_telnyx_check(pk_b64, sig_b64, NULL, body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: missing headers fail");
	b64_encode(bad_b64, sizeof(bad_b64), sig, 63);
	OK(sig_telnyx_check(pk_b64, bad_b64, ts, body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: a 63-byte signature fails");
	OK(sig_telnyx_check(pk_b64, "not base64!", ts, body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: a non-base64 signature fails");
	b64_encode(bad_b64, sizeof(bad_b64), pk, 31);
	OK(sig_telnyx_check(bad_b64, sig_b64, ts, body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: a 31-byte public key fails");
	memcpy(pk2, pk, 32);
	pk2[31] ^= 0x40;
	b64_encode(bad_b64, sizeof(bad_b64), pk2, 32);
	OK(sig_telnyx_check(bad_b64, sig_b64, ts, body, strlen(body), now) ==
	   GD_EINVALID, "telnyx: another public key fails");
}

static void hmac_vectors(void)
{
	char hex[65];
	const char *good =
		"sha256=0c61947b610d4f45e65f3d680e26027121ec2413e77598bcb6cfc6e0d9888221";

	sig_hmac_sha256_hex(hex, "TEST_APP_SECRET", "test", 4);
	OK(!strcmp(hex, good + 7), "hmac-sha256: Meta's vector (got %s)", hex);
	OK(!sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4, good),
	   "hmac-sha256: sha256= header validates");
	OK(!sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4,
		"sha256=0C61947B610D4F45E65F3D680E26027121EC2413E77598BCB6CFC6E0D9888221"),
	   "hmac-sha256: upper-case hex validates");
	OK(sig_hmac_sha256_check("TEST_APP_SECRET", "test ", 5, good) == GD_EINVALID,
	   "hmac-sha256: another body fails");
	OK(sig_hmac_sha256_check("TEST_APP_SECREt", "test", 4, good) == GD_EINVALID,
	   "hmac-sha256: another secret fails");
	OK(sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4, good + 7) == GD_EINVALID,
	   "hmac-sha256: a header without sha256= fails");
	OK(sig_hmac_sha256_check("TEST_APP_SECRET", "test", 4,
		"sha256=0c61947b610d4f45e65f3d680e26027121ec2413e77598bcb6cfc6e0d988822") ==
	   GD_EINVALID, "hmac-sha256: 63 hex digits fail");
	OK(sig_hmac_sha256_check("", "test", 4, good) == GD_EINVALID,
	   "hmac-sha256: an empty secret never validates");
}

static void base64_cases(void)
{
	unsigned char out[16];
	char enc[32];
	size_t n;

	OK(b64_encode(enc, sizeof(enc), "f", 1) == 4 && !strcmp(enc, "Zg==") &&
	   b64_encode(enc, sizeof(enc), "fo", 2) == 4 && !strcmp(enc, "Zm8=") &&
	   b64_encode(enc, sizeof(enc), "foobar", 6) == 8 && !strcmp(enc, "Zm9vYmFy"),
	   "base64: RFC 4648 encodings");
	OK(!b64_decode(out, sizeof(out), &n, "Zm9vYmE=") && n == 5 &&
	   !memcmp(out, "fooba", 5), "base64: decodes with padding");
	OK(b64_decode(out, sizeof(out), &n, "Zm9vYmE") == GD_EINVALID &&
	   b64_decode(out, sizeof(out), &n, "Zm9v YmE=") == GD_EINVALID &&
	   b64_decode(out, sizeof(out), &n, "Zm=vYmE=") == GD_EINVALID &&
	   b64_decode(out, 2, &n, "Zm9v") == GD_EINVALID,
	   "base64: bad length, spaces, inner padding and overflow are refused");
	OK(b64_encode(enc, 4, "foo", 3) == -1, "base64: encode respects the size");
	OK(ct_streq("abc", "abc") && !ct_streq("abc", "abd") &&
	   !ct_streq("abc", "abcd") && !ct_streq(NULL, "a"),
	   "ct_streq compares whole strings");
}

int main(void)
{
	twilio_vectors();
	ed25519_vectors();
	hmac_vectors();
	base64_cases();
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
