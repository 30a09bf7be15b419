#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "buf.h"
#include "err.h"
#include "sig.h"
#include "banned.h"

#define SIG_INPUT_MAX ((size_t)2 << 20)

int b64_encode(char *out, size_t n, const void *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t need = (len + 2) / 3 * 4, i, o = 0;

	if (need >= n || need > INT_MAX)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)p[i] << 16 |
			(i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int b64_decode(unsigned char *out, size_t n, size_t *outlen, const char *s)
{
	size_t len = strlen(s), i, o = 0;

	*outlen = 0;
	if (len % 4)
		return gd_error_set("not base64 (length %zu)", len), GD_EINVALID;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64_val(s[i + k])) < 0) {
				return gd_error_set("not base64"), GD_EINVALID;
			}
		}
		if (o + 3 - (size_t)pad > n)
			return gd_error_set("base64 value too long"), GD_EINVALID;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*outlen = o;
	return 0;
}

int ct_streq(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

static int pair_cmp(const void *x, const void *y)
{
	const struct form_pair *a = *(const struct form_pair *const *)x;
	const struct form_pair *b = *(const struct form_pair *const *)y;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->value, b->value);
}

static int twilio_mac(char *out, size_t n_out, int sha256, const char *token,
		      const char *url, const struct form *params);

int sig_twilio_compute(char out[SIG_TWILIO_LEN], const char *token,
		       const char *url, const struct form *params)
{
	return twilio_mac(out, SIG_TWILIO_LEN, 0, token, url, params);
}

/* As sig_twilio_compute, with HMAC-SHA256 when sha256 (out: n bytes). */
static int twilio_mac(char *out, size_t n_out, int sha256, const char *token,
		      const char *url, const struct form *params)
{
	struct buf s = BUF_INIT(SIG_INPUT_MAX);
	const struct form_pair **sorted = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t i, n = params ? params->n : 0;
	int rc = GD_ERROR;

	out[0] = '\0';
	if (buf_puts(&s, url))
		goto cleanup;
	if (n) {
		if (!(sorted = malloc(n * sizeof(*sorted)))) {
			gd_error_set("out of memory");
			goto cleanup;
		}
		for (i = 0; i < n; i++)
			sorted[i] = &params->v[i];
		qsort(sorted, n, sizeof(*sorted), pair_cmp);
		for (i = 0; i < n; i++) {
			/* the validator signs each distinct value once */
			if (i && !pair_cmp(&sorted[i - 1], &sorted[i]))
				continue;
			if (buf_puts(&s, sorted[i]->name) ||
			    buf_puts(&s, sorted[i]->value))
				goto cleanup;
		}
	}
	if (!HMAC(sha256 ? EVP_sha256() : EVP_sha1(), token, (int)strlen(token),
		  (const unsigned char *)(s.ptr ? s.ptr : ""), s.len, mac,
		  &maclen)) {
		gd_error_set("HMAC failed");
		goto cleanup;
	}
	if (b64_encode(out, n_out, mac, maclen) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	free(sorted);
	buf_release(&s);
	return rc;
}

/*
 * The URL's two port variants, as the official validator builds them:
 * without any port, and with the scheme's default port when none is
 * given (an explicit port is kept as it is).
 */
static int url_port_variants(struct buf *without, struct buf *with,
			     const char *url)
{
	const char *scheme_end = strstr(url, "://"), *host, *end, *colon;

	if (!scheme_end)
		return gd_error_set("webhook URL '%s' has no scheme", url);
	host = scheme_end + 3;
	end = host + strcspn(host, "/?#");
	colon = memchr(host, ':', (size_t)(end - host));
	if (host[0] == '[') { /* IPv6 literal: the port follows the ']' */
		const char *rb = memchr(host, ']', (size_t)(end - host));
		colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	}
	if (colon) {
		if (buf_put(without, url, (size_t)(colon - url)) ||
		    buf_puts(without, end) || buf_puts(with, url))
			return GD_ERROR;
	} else {
		int https = !strncmp(url, "https://", 8);
		if (buf_puts(without, url) ||
		    buf_put(with, url, (size_t)(end - url)) ||
		    buf_puts(with, https ? ":443" : ":80") ||
		    buf_puts(with, end))
			return GD_ERROR;
	}
	return 0;
}

static const char *query_param(struct form *q, const char *url)
{
	const char *qs = strchr(url, '?'), *end;

	if (!qs)
		return NULL;
	qs++;
	end = qs + strcspn(qs, "#");
	if (form_parse(q, qs, (size_t)(end - qs)))
		return NULL;
	return form_get(q, "bodySHA256");
}

int sig_twilio_check(const char *token, const char *url,
		     const struct form *params, const char *body, size_t len,
		     const char *header)
{
	return sig_twilio_check_alg(token, 0, url, params, body, len, header);
}

int sig_twilio_check_alg(const char *token, int sha256, const char *url,
			 const struct form *params, const char *body,
			 size_t len, const char *header)
{
	struct buf without = BUF_INIT(SIG_INPUT_MAX), with = BUF_INIT(SIG_INPUT_MAX);
	struct form q = FORM_INIT;
	char a[SIG_TWILIO256_LEN], b[SIG_TWILIO256_LEN];
	const char *body_hash;
	int rc = GD_EINVALID, hash_ok = 1, ok;

	if (!header || !*header) {
		gd_error_set("no X-Twilio-Signature header");
		goto cleanup;
	}
	if (!token || !*token || !url) {
		gd_error_set("no auth token to check the signature with");
		goto cleanup;
	}
	if ((body_hash = query_param(&q, url))) {
		unsigned char d[SHA256_DIGEST_LENGTH];
		char hex[2 * SHA256_DIGEST_LENGTH + 1];
		int i;
		SHA256((const unsigned char *)(body ? body : ""), body ? len : 0, d);
		for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		hash_ok = ct_streq(hex, body_hash);
		params = NULL; /* a JSON body is signed through its hash */
	}
	if (url_port_variants(&without, &with, url) ||
	    twilio_mac(a, sizeof(a), sha256, token, without.ptr, params) ||
	    twilio_mac(b, sizeof(b), sha256, token, with.ptr, params)) {
		rc = GD_ERROR;
		goto cleanup;
	}
	/* evaluate both: no early exit that times which variant matched */
	ok = ct_streq(a, header);
	ok |= ct_streq(b, header);
	if (ok && hash_ok)
		rc = 0;
	else
		gd_error_set(hash_ok ? "X-Twilio-Signature does not match"
			     : "body does not match bodySHA256");
cleanup:
	form_release(&q);
	buf_release(&without);
	buf_release(&with);
	return rc;
}

void sig_hmac_sha256_hex(char out[65], const char *secret, const void *data,
			 size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	out[0] = '\0';
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
		  data ? data : (const void *)"", data ? len : 0, mac, &maclen))
		return;
	for (i = 0; i < maclen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

int sig_hmac_sha256_check(const char *secret, const void *body, size_t len,
			  const char *header)
{
	char want[65], got[65];
	size_t i, n;

	if (!header || strncmp(header, "sha256=", 7))
		return gd_error_set("no \"sha256=\" signature"), GD_EINVALID;
	if (!secret || !*secret)
		return gd_error_set("no secret to check the signature with"),
		       GD_EINVALID;
	n = strlen(header + 7);
	if (n != 64)
		return gd_error_set("signature is not 64 hex digits"), GD_EINVALID;
	for (i = 0; i < n; i++) /* hex digits compare case-insensitively */
		got[i] = (char)(header[7 + i] >= 'A' && header[7 + i] <= 'F'
				? header[7 + i] - 'A' + 'a' : header[7 + i]);
	got[n] = '\0';
	sig_hmac_sha256_hex(want, secret, body, len);
	if (!ct_streq(want, got))
		return gd_error_set("signature does not match"), GD_EINVALID;
	return 0;
}

int sig_ed25519_verify(const unsigned char pub[32], const void *msg,
		       size_t len, const unsigned char sig[64])
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	int rc = GD_EINVALID;

	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	if (!key || !(ctx = EVP_MD_CTX_new())) {
		gd_error_set("cannot load the Ed25519 public key");
		goto cleanup;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		gd_error_set("cannot start Ed25519 verification");
		goto cleanup;
	}
	if (EVP_DigestVerify(ctx, sig, 64, msg ? msg : (const void *)"",
			     msg ? len : 0) == 1)
		rc = 0;
	else
		gd_error_set("Ed25519 signature does not match");
cleanup:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

int sig_telnyx_check(const char *pubkey_b64, const char *sig_b64,
		     const char *timestamp, const void *body, size_t len,
		     time_t now)
{
	unsigned char pub[64], sig[96];
	struct buf msg = BUF_INIT(SIG_INPUT_MAX);
	size_t publen, siglen;
	long long ts;
	char *end;
	int rc = GD_EINVALID;

	if (!sig_b64 || !*sig_b64 || !timestamp || !*timestamp) {
		gd_error_set("no telnyx-signature-ed25519/telnyx-timestamp header");
		goto cleanup;
	}
	if (!pubkey_b64 || b64_decode(pub, sizeof(pub), &publen, pubkey_b64) ||
	    publen != 32) {
		gd_error_set("the Telnyx public key is not 32 bytes of base64");
		goto cleanup;
	}
	if (b64_decode(sig, sizeof(sig), &siglen, sig_b64) || siglen != 64) {
		gd_error_set("telnyx-signature-ed25519 is not 64 bytes of base64");
		goto cleanup;
	}
	errno = 0;
	ts = strtoll(timestamp, &end, 10);
	if (errno || *end || end == timestamp || timestamp[0] == '-' ||
	    timestamp[0] == '+' || timestamp[0] == ' ') {
		gd_error_set("telnyx-timestamp '%.32s' is not Unix seconds", timestamp);
		goto cleanup;
	}
	if (ts > (long long)now + SIG_TELNYX_TOLERANCE ||
	    ts < (long long)now - SIG_TELNYX_TOLERANCE) {
		gd_error_set("telnyx-timestamp is %lld s from now (tolerance %d s)",
			     ts - (long long)now, SIG_TELNYX_TOLERANCE);
		goto cleanup;
	}
	if (buf_puts(&msg, timestamp) || buf_putc(&msg, '|') ||
	    buf_put(&msg, body, len)) {
		rc = GD_ERROR;
		goto cleanup;
	}
	rc = sig_ed25519_verify(pub, msg.ptr, msg.len, sig);
cleanup:
	buf_release(&msg);
	return rc;
}
