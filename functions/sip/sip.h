/*
 * gitdial-sip: a SIP trunk through our own user agent (libre), joining
 * the recipient to the voice agent by third-party call control (RFC 3725
 * flow I) without touching media.
 *
 * sip_logic.c is the pure part (trunk settings, digest authentication,
 * the final-response -> outcome table, the SDP that declines an offer),
 * unit-tested on its own; sip_ua.c is the detached process that holds the
 * two dialogs; sip.c is the function (dial, status, hangup).
 */
#ifndef GD_SIP_H
#define GD_SIP_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SIP_HOST_MAX 256
#define SIP_URI_MAX 512
#define SIP_CRED_MAX 256
#define SIP_RING_DEFAULT 30
#define SIP_RING_MAX 600
#define SIP_MAX_CALL_DEFAULT 3600

enum sip_tp { SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS };

/* An account's "trunk" object, checked. */
struct sip_trunk {
	char proxy[SIP_URI_MAX];   /* the outbound proxy, sip:host[:port] */
	char host[SIP_HOST_MAX];   /* its host (IP literal or name) */
	unsigned port;             /* its port, 0 = the transport's default */
	enum sip_tp transport;
	char domain[SIP_HOST_MAX]; /* host[:port] of request URIs and From */
	char cid_header[32];       /* "", P-Asserted-Identity, ... */
	char tls_ca[SIP_URI_MAX];  /* tls: PEM CA file to trust, "" = system */
	char tls_name[SIP_HOST_MAX];/* tls: the name to verify and send (SNI) */
	long max_call_s;           /* a connected call is ended after this */
};

/*
 * Fills t from an account's "trunk" object. Returns 0, or GD_EINVALID with
 * a message naming the field (trunk.proxy, trunk.transport, ...).
 */
int sip_trunk_parse(struct sip_trunk *t, const cJSON *trunk);

/* True for a Call-ID we could have made (safe as a file name). */
int sip_callid_valid(const char *s);

/* What a final response (or a transaction error) means for the call. */
struct sip_fate {
	const char *outcome; /* no_answer, busy, failed */
	const char *kind;    /* error kind for failed, else NULL */
	const char *reason;  /* short reason for the event */
	const char *hint;    /* for kind "account": what to check, else NULL */
	int opt_out;         /* 607 Unwanted: the number goes to dnc/ */
};
/*
 * The outcome of the recipient's INVITE ending with scode (300-699), per
 * providers.md §4.2 and docs/sip.md's table. canceled: we sent the
 * CANCEL (ring timeout or hangup), so a 487 is our own no_answer.
 * Refusals of the account rather than of the number (401/407 after our
 * credentials, 402, 403, 421) are kind "account" with a hint; 603 and
 * 607 are kind "declined" (final for the recipient), 607 an opt-out.
 * A trunk that never answered at all is not a final response: the
 * caller reports it as kind "transient", code "trunk_unreachable".
 */
void sip_fate_of(struct sip_fate *f, int scode, int canceled);

/*
 * Copies a header value (a Reason, a Require) into out for an event:
 * printable ASCII only (others become '?'), cut at n - 1 bytes.
 */
void sip_value_clean(char *out, size_t n, const char *p, size_t len);
/*
 * The outcome of an answered call that lasted duration_s: "connected", or
 * "hangup" when it ended before the agent could speak (< 5 s).
 */
const char *sip_answered_outcome(long duration_s);

/* Digest authentication (RFC 7616 / RFC 8760 computation). */
enum sip_digest_alg { SIP_DIGEST_MD5, SIP_DIGEST_SHA256 };

struct sip_chall {
	enum sip_digest_alg alg;
	int qop_auth;        /* the challenge offered qop=auth */
	int stale;
	int proxy;           /* from Proxy-Authenticate (407) */
	char realm[256];
	char nonce[256];
	char opaque[256];
};
/*
 * Picks the challenge to answer from the header values of one 401/407
 * (several WWW-/Proxy-Authenticate headers, RFC 8898): SHA-256 before
 * MD5; others (SHA-512-256, -sess, qop=auth-int only) are skipped.
 * Values are parsed with libre's httpauth_digest_challenge_decode.
 * Returns 0, or GD_EINVALID when none can be answered.
 */
int sip_chall_choose(struct sip_chall *out, const char *const *values,
		     size_t n, int proxy);
/*
 * The digest response in hex (32 characters for MD5, 64 for SHA-256)
 * into out (at least 65 bytes). qop: NULL for RFC 2069 style, else
 * "auth" with nc and cnonce. Returns 0 or GD_ERROR.
 */
int sip_digest_response(char *out, enum sip_digest_alg alg, const char *user,
			const char *realm, const char *password,
			const char *method, const char *uri, const char *nonce,
			const char *nc, const char *cnonce, const char *qop);
/*
 * The whole header line ("Authorization: Digest ...\r\n", or
 * Proxy-Authorization for a proxy challenge) answering c for method and
 * uri, into out. nc counts the uses of this nonce (from 1). Values that
 * could break the header (quotes, control characters) are refused:
 * GD_EINVALID.
 */
int sip_auth_header(struct buf *out, const struct sip_chall *c,
		    const char *user, const char *password, const char *method,
		    const char *uri, unsigned nc, const char *cnonce);

/*
 * An SDP answer that declines every stream of offer (each m= line with
 * port 0, RFC 3264 §6), for ending a leg whose 2xx carried an offer we
 * cannot take. Returns 0, or GD_EINVALID when offer has no m= line.
 */
int sip_sdp_decline(struct buf *out, const char *offer, size_t len);

/*
 * True when two SDP bodies carry the same o= line (same origin and
 * session version): a re-offer that changes nothing, e.g. an RFC 4028
 * session refresh (RFC 3264 §8). False when either has no o= line.
 */
int sip_sdp_same_origin(const char *a, size_t alen, const char *b,
			size_t blen);

/*
 * The application/sdp part of a multipart/mixed body (SIP-I/SIP-T trunks
 * send SDP with ISUP, RFC 3204/5621) whose delimiter is boundary (the
 * Content-Type's parameter, unquoted): *sdp and *sdplen point into body.
 * Returns 0, or GD_ENOTFOUND when no part is application/sdp.
 */
int sip_multipart_sdp(const char *body, size_t len, const char *boundary,
		      const char **sdp, size_t *sdplen);

/* True when an SDP body carries an SDES key (an a=crypto: line). */
int sip_sdp_has_crypto(const char *p, size_t len);

/* Who refreshes a session (RFC 4028 refresher parameter). */
enum sip_refresher { SIP_REFRESHER_NONE, SIP_REFRESHER_UAC, SIP_REFRESHER_UAS };
/*
 * Parses a Session-Expires value ("1800;refresher=uac"): the interval in
 * seconds (at least 1, at most 86400) and the refresher. Returns 0 or
 * GD_EINVALID.
 */
int sip_se_parse(const char *val, size_t len, unsigned *secs,
		 enum sip_refresher *who);

/* What the detached process needs; filled by sip.c from the request. */
struct sip_plan {
	struct sip_trunk trunk;
	char to[20], from[20];
	char attempt_id[96], campaign[72], language[16];
	char agent_uri[SIP_URI_MAX];
	char user[SIP_CRED_MAX], password[SIP_CRED_MAX]; /* "" = none */
	long ring_timeout_s;
	int disclosure;  /* the recipient's jurisdiction requires one */
	time_t now;      /* the request's clock; event times are now + elapsed */
	char spool[4096];/* absolute $GITDIAL_SPOOL */
};

/*
 * Runs the call in this (detached) process: sends the INVITE, reports
 * "ok <call-id>\n" or "err <kind> <code> <message>\n" on report_fd once
 * it is sent (or cannot be), then holds the dialogs until the call ends
 * and spools its outcome event. Returns the process exit code.
 */
int sip_ua_run(const struct sip_plan *p, int report_fd);

/* Paths under $GITDIAL_SPOOL/.sip/ for a call id: json, sock, log. */
int sip_call_path(char *out, size_t n, const char *spool, const char *call_id,
		  const char *ext);

#endif
