/*
 * Webhook signatures, checked before a webhook's body is believed:
 * Twilio's X-Twilio-Signature (HMAC-SHA1 over the public URL and the
 * sorted form parameters), Telnyx's Ed25519 over "timestamp|body", and
 * HMAC-SHA256 hex ("sha256=<hex>", the agent's and Meta's). All
 * comparisons are constant-time. Every check returns 0 when the request
 * is authentic, GD_EINVALID otherwise with the reason in gd_error_last()
 * (never a secret).
 */
#ifndef GD_SIG_H
#define GD_SIG_H

#include <stddef.h>
#include <time.h>

#include "form.h"

#define SIG_TWILIO_LEN 29       /* base64 of 20 bytes + NUL */
#define SIG_TWILIO256_LEN 45    /* base64 of 32 bytes + NUL */
#define SIG_TELNYX_TOLERANCE 300 /* seconds either side of now */

/* Standard base64 with padding; returns the length written, or -1 when out is too small. */
int b64_encode(char *out, size_t n, const void *in, size_t len);
/*
 * Decodes standard base64 (padding required, no whitespace) into out;
 * *outlen is the decoded length. Returns 0, or GD_EINVALID when s is not
 * base64 or does not fit.
 */
int b64_decode(unsigned char *out, size_t n, size_t *outlen, const char *s);
/* 1 when a and b are equal strings; time depends only on their lengths. */
int ct_streq(const char *a, const char *b);

/*
 * Twilio's signature of a request to url with form params: base64 of
 * HMAC-SHA1(token, url + each name+value, names sorted bytewise and each
 * name's values sorted and de-duplicated). params may be NULL.
 */
int sig_twilio_compute(char out[SIG_TWILIO_LEN], const char *token,
		       const char *url, const struct form *params);
/*
 * Checks header (X-Twilio-Signature) like Twilio's official validator:
 * url is the public URL Twilio requested (scheme, host, path and the
 * query string exactly as configured). The URL with its port removed and
 * with the scheme's default port added are both accepted. When the query
 * carries bodySHA256 (JSON webhooks), params are ignored and
 * SHA-256(body) must match it.
 */
int sig_twilio_check(const char *token, const char *url,
		     const struct form *params, const char *body, size_t len,
		     const char *header);
/*
 * sig_twilio_check with HMAC-SHA256 when sha256 is set: what Twilio sends
 * for a webhook signed with a SharedKey whose
 * X-Twilio-Webhooks-Signature-Settings says algorithm=HMAC_SHA256 (the
 * same string signed; token is then the SharedKey secret).
 */
int sig_twilio_check_alg(const char *token, int sha256, const char *url,
			 const struct form *params, const char *body,
			 size_t len, const char *header);

/* Lower-case hex HMAC-SHA256(secret, data). */
void sig_hmac_sha256_hex(char out[65], const char *secret, const void *data,
			 size_t len);
/* Checks header "sha256=<hex>" against HMAC-SHA256(secret, body). */
int sig_hmac_sha256_check(const char *secret, const void *body, size_t len,
			  const char *header);

/* Raw Ed25519 verification of msg with a 32-byte public key. */
int sig_ed25519_verify(const unsigned char pub[32], const void *msg,
		       size_t len, const unsigned char sig[64]);
/*
 * Checks a Telnyx webhook: pubkey_b64 (32 raw bytes in base64), the
 * telnyx-signature-ed25519 header (64 bytes in base64) over
 * timestamp + "|" + body, and the telnyx-timestamp header (Unix seconds)
 * within SIG_TELNYX_TOLERANCE of now (the injected clock).
 */
int sig_telnyx_check(const char *pubkey_b64, const char *sig_b64,
		     const char *timestamp, const void *body, size_t len,
		     time_t now);

#endif
