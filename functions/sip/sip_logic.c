/*
 * The pure part of gitdial-sip: no sockets, no files, no clock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <re.h>

#include "err.h"
#include "sip.h"
#include "banned.h"

/* host[:port] as the loader and the schema accept it. */
static int hostport_valid(const char *s, int allow_port)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; *p && *p != ']'; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return 0;
		if (*p++ != ']' || p - s < 3)
			return 0;
	} else {
		for (; *p && *p != ':'; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return 0;
		if (p == s)
			return 0;
	}
	if (!*p)
		return 1;
	if (*p != ':' || !allow_port || !p[1] || strlen(p + 1) > 5)
		return 0;
	for (p++; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

static int pl_copy(char *out, size_t n, const struct pl *pl)
{
	if (!pl_isset(pl) || pl->l >= n)
		return GD_EINVALID;
	memcpy(out, pl->p, pl->l);
	out[pl->l] = '\0';
	return 0;
}

int sip_trunk_parse(struct sip_trunk *t, const cJSON *trunk)
{
	static const char *const keys[] = { "proxy", "transport", "domain",
		"caller_id_header", "max_call_s", "tls_ca", "tls_server_name",
		NULL };
	static const char *const cid_headers[] = { "P-Asserted-Identity",
		"P-Preferred-Identity", "Remote-Party-ID", NULL };
	const cJSON *v, *x;
	struct uri u;
	struct pl pl;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->max_call_s = SIP_MAX_CALL_DEFAULT;
	if (!cJSON_IsObject(trunk))
		return gd_error_set("trunk: expected an object with a proxy"),
		       GD_EINVALID;
	cJSON_ArrayForEach(x, trunk) {
		for (i = 0; keys[i] && strcmp(keys[i], x->string); i++)
			;
		if (!keys[i])
			return gd_error_set("trunk.%s: unknown setting", x->string),
			       GD_EINVALID;
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "proxy");
	if (!cJSON_IsString(v) || strncmp(v->valuestring, "sip:", 4) ||
	    !hostport_valid(v->valuestring + 4, 1) ||
	    strlen(v->valuestring) >= sizeof(t->proxy))
		return gd_error_set("trunk.proxy: expected sip:host[:port]"),
		       GD_EINVALID;
	snprintf(t->proxy, sizeof(t->proxy), "%s", v->valuestring);
	pl_set_str(&pl, t->proxy);
	if (uri_decode(&u, &pl) || pl_copy(t->host, sizeof(t->host), &u.host))
		return gd_error_set("trunk.proxy: '%s' is not a SIP URI", t->proxy),
		       GD_EINVALID;
	t->port = u.port;
	v = cJSON_GetObjectItemCaseSensitive(trunk, "transport");
	if (v) {
		const char *s = cJSON_GetStringValue(v);
		if (s && !strcmp(s, "udp"))
			t->transport = SIP_TP_UDP;
		else if (s && !strcmp(s, "tcp"))
			t->transport = SIP_TP_TCP;
		else if (s && !strcmp(s, "tls"))
			t->transport = SIP_TP_TLS;
		else
			return gd_error_set("trunk.transport: expected udp, tcp "
					    "or tls"), GD_EINVALID;
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "domain");
	if (v) {
		if (!cJSON_IsString(v) || !hostport_valid(v->valuestring, 1) ||
		    strlen(v->valuestring) >= sizeof(t->domain))
			return gd_error_set("trunk.domain: expected host[:port]"),
			       GD_EINVALID;
		snprintf(t->domain, sizeof(t->domain), "%s", v->valuestring);
	} else {
		snprintf(t->domain, sizeof(t->domain), "%s", t->proxy + 4);
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "caller_id_header");
	if (v) {
		const char *s = cJSON_GetStringValue(v);
		for (i = 0; s && cid_headers[i] && strcmp(s, cid_headers[i]); i++)
			;
		if (!s || !cid_headers[i])
			return gd_error_set("trunk.caller_id_header: expected "
					    "P-Asserted-Identity, "
					    "P-Preferred-Identity or "
					    "Remote-Party-ID"), GD_EINVALID;
		snprintf(t->cid_header, sizeof(t->cid_header), "%s", s);
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "tls_ca");
	if (v) {
		if (!cJSON_IsString(v) || v->valuestring[0] != '/' ||
		    strlen(v->valuestring) >= sizeof(t->tls_ca))
			return gd_error_set("trunk.tls_ca: expected the absolute "
					    "path of a PEM file"), GD_EINVALID;
		snprintf(t->tls_ca, sizeof(t->tls_ca), "%s", v->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "tls_server_name");
	if (v) {
		if (!cJSON_IsString(v) || !hostport_valid(v->valuestring, 0) ||
		    strlen(v->valuestring) >= sizeof(t->tls_name))
			return gd_error_set("trunk.tls_server_name: expected a "
					    "host name"), GD_EINVALID;
		snprintf(t->tls_name, sizeof(t->tls_name), "%s", v->valuestring);
	} else {
		snprintf(t->tls_name, sizeof(t->tls_name), "%s", t->host);
	}
	v = cJSON_GetObjectItemCaseSensitive(trunk, "max_call_s");
	if (v) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 60 ||
		    v->valuedouble > 86400 ||
		    v->valuedouble != (double)(long)v->valuedouble)
			return gd_error_set("trunk.max_call_s: expected whole "
					    "seconds, 60 to 86400"), GD_EINVALID;
		t->max_call_s = (long)v->valuedouble;
	}
	return 0;
}

int sip_callid_valid(const char *s)
{
	size_t i;

	if (!s || !*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

void sip_fate_of(struct sip_fate *f, int scode, int canceled)
{
	memset(f, 0, sizeof(*f));
	f->outcome = "failed";
	switch (scode) {
	case 486: case 600:
		f->outcome = "busy";
		f->reason = "busy";
		return;
	case 480: case 408:
		f->outcome = "no_answer";
		f->reason = scode == 408 ? "timeout" : "unavailable";
		return;
	case 487:
		f->outcome = "no_answer";
		f->reason = canceled ? "ring_timeout" : "terminated";
		return;
	case 603:
		f->kind = "declined";
		f->reason = "declined";
		return;
	case 607:
		f->kind = "declined";
		f->reason = "unwanted";
		f->opt_out = 1;
		return;
	case 404: case 484: case 604: case 410:
		f->kind = "invalid_number";
		f->reason = "invalid_number";
		return;
	case 401: case 407:
		f->kind = "account";
		f->reason = "auth_failed";
		f->hint = "the trunk refused our digest credentials: check the "
			"account's credentials (username, password) against the "
			"trunk's settings";
		return;
	case 403:
		f->kind = "account";
		f->reason = "forbidden";
		f->hint = "the trunk refused the call for this account: check "
			"its IP allow-list, the credentials, the caller ID it "
			"accepts and the destinations it may call";
		return;
	case 402:
		f->kind = "account";
		f->reason = "payment_required";
		f->hint = "the trunk account is out of credit or suspended: "
			"check its balance with the carrier";
		return;
	case 420: case 421:
		f->kind = "account";
		f->reason = "extension_required";
		f->hint = "the trunk requires a SIP extension gitdial-sip does "
			"not offer (see docs/sip.md): ask the carrier to drop "
			"the requirement for this trunk";
		return;
	case 488: case 606:
		f->kind = "media";
		f->reason = "not_acceptable";
		return;
	}
	if (scode >= 500 && scode < 600) {
		f->kind = "transient";
		f->reason = "trunk_unavailable";
	} else {
		f->kind = "failed";
		f->reason = "refused";
	}
}

void sip_value_clean(char *out, size_t n, const char *p, size_t len)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < len && i + 1 < n; i++)
		out[i] = (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f
			&& p[i] != '\\' ? p[i] : '?';
	out[i] = '\0';
}

const char *sip_answered_outcome(long duration_s)
{
	return duration_s < 5 ? "hangup" : "connected";
}

/* Copies a challenge parameter, refusing what could break a header. */
static int chall_copy(char *out, size_t n, const struct pl *pl)
{
	size_t i;

	if (!pl_isset(pl)) {
		out[0] = '\0';
		return 0;
	}
	if (pl_copy(out, n, pl))
		return GD_EINVALID;
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == '"' ||
		    out[i] == '\\' || out[i] == 0x7f)
			return GD_EINVALID;
	return 0;
}

static int qop_has_auth(const struct pl *qop)
{
	char q[128], *tok, *save = NULL;

	if (!pl_isset(qop) || pl_copy(q, sizeof(q), qop))
		return 0;
	for (tok = strtok_r(q, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (!strcasecmp(tok, "auth"))
			return 1;
	return 0;
}

int sip_chall_choose(struct sip_chall *out, const char *const *values,
		     size_t n, int proxy)
{
	int best = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		struct httpauth_digest_chall ch;
		struct sip_chall c;
		struct pl hv;
		int rank;

		memset(&c, 0, sizeof(c));
		pl_set_str(&hv, values[i]);
		if (httpauth_digest_challenge_decode(&ch, &hv))
			continue;
		if (!pl_isset(&ch.algorithm) || !pl_strcasecmp(&ch.algorithm, "MD5"))
			c.alg = SIP_DIGEST_MD5, rank = 0;
		else if (!pl_strcasecmp(&ch.algorithm, "SHA-256"))
			c.alg = SIP_DIGEST_SHA256, rank = 1;
		else
			continue;
		if (pl_isset(&ch.qop)) {
			c.qop_auth = qop_has_auth(&ch.qop);
			if (!c.qop_auth)
				continue; /* auth-int only */
		}
		c.stale = pl_isset(&ch.stale) && !pl_strcasecmp(&ch.stale, "true");
		c.proxy = proxy;
		if (chall_copy(c.realm, sizeof(c.realm), &ch.realm) ||
		    chall_copy(c.nonce, sizeof(c.nonce), &ch.nonce) ||
		    chall_copy(c.opaque, sizeof(c.opaque), &ch.opaque) ||
		    !c.nonce[0])
			continue;
		if (rank > best) {
			best = rank;
			*out = c;
		}
	}
	return best < 0 ? GD_EINVALID : 0;
}

/* H(data) in lower-case hex. */
static int hash_hex(char *out, enum sip_digest_alg alg, const char *data)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (!EVP_Digest(data, strlen(data), md, &len,
			alg == SIP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL))
		return GD_ERROR;
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

int sip_digest_response(char *out, enum sip_digest_alg alg, const char *user,
			const char *realm, const char *password,
			const char *method, const char *uri, const char *nonce,
			const char *nc, const char *cnonce, const char *qop)
{
	struct buf b = BUF_INIT(8192);
	char ha1[65], ha2[65];
	int rc = GD_ERROR;

	if (buf_printf(&b, "%s:%s:%s", user, realm, password) ||
	    hash_hex(ha1, alg, b.ptr))
		goto cleanup;
	buf_reset(&b);
	if (buf_printf(&b, "%s:%s", method, uri) || hash_hex(ha2, alg, b.ptr))
		goto cleanup;
	buf_reset(&b);
	if (qop ? buf_printf(&b, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce,
			     qop, ha2)
		: buf_printf(&b, "%s:%s:%s", ha1, nonce, ha2))
		goto cleanup;
	rc = hash_hex(out, alg, b.ptr);
cleanup:
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	buf_release(&b);
	explicit_bzero(ha1, sizeof(ha1));
	return rc;
}

static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' ||
		    *s == 0x7f)
			return 0;
	return 1;
}

int sip_auth_header(struct buf *out, const struct sip_chall *c,
		    const char *user, const char *password, const char *method,
		    const char *uri, unsigned nc, const char *cnonce)
{
	char resp[65], ncs[9];

	if (!header_safe(user) || !header_safe(uri) || !header_safe(cnonce))
		return gd_error_set("a digest value holds a quote or a control "
				    "character"), GD_EINVALID;
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	if (sip_digest_response(resp, c->alg, user, c->realm, password, method,
				uri, c->nonce, ncs, cnonce,
				c->qop_auth ? "auth" : NULL))
		return GD_ERROR;
	if (buf_printf(out, "%s: Digest username=\"%s\", realm=\"%s\", "
		       "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s",
		       c->proxy ? "Proxy-Authorization" : "Authorization", user,
		       c->realm, c->nonce, uri, resp,
		       c->alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5") ||
	    (c->opaque[0] && buf_printf(out, ", opaque=\"%s\"", c->opaque)) ||
	    (c->qop_auth && buf_printf(out, ", qop=auth, nc=%s, cnonce=\"%s\"",
				       ncs, cnonce)) ||
	    buf_puts(out, "\r\n"))
		return GD_ERROR;
	return 0;
}

int sip_sdp_decline(struct buf *out, const char *offer, size_t len)
{
	const char *p = offer, *end = offer + len;
	int lines = 0;

	if (buf_puts(out, "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\n"
		     "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"))
		return GD_ERROR;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		char media[32], proto[64], fmt[32];
		char line[512];
		size_t n = (size_t)(le - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (n > 2 && n < sizeof(line) && !strncmp(p, "m=", 2)) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (sscanf(line + 2, "%31s %*s %63s %31s", media, proto,
				   fmt) == 3 && header_safe(media)) {
				if (buf_printf(out, "m=%s 0 %s %s\r\n", media,
					       proto, fmt))
					return GD_ERROR;
				lines++;
			}
		}
		p = eol ? eol + 1 : end;
	}
	return lines ? 0 : GD_EINVALID;
}

/* The o= line of an SDP body (without its line end), or NULL. */
static const char *sdp_origin(const char *p, size_t len, size_t *olen)
{
	const char *end = p + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		if (le - p >= 2 && p[0] == 'o' && p[1] == '=') {
			*olen = (size_t)(le - p);
			if (*olen && p[*olen - 1] == '\r')
				(*olen)--;
			return p;
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

/* The first occurrence of needle (n bytes) in hay (len bytes), or NULL. */
static const char *mem_find(const char *hay, size_t len, const char *needle,
			    size_t n)
{
	size_t i;

	if (!n || len < n)
		return NULL;
	for (i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* True when a part's headers (len bytes) say Content-Type application/sdp. */
static int part_is_sdp(const char *h, size_t len)
{
	const char *end = h + len;

	while (h < end) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		const char *le = eol ? eol : end;
		if ((size_t)(le - h) > 13 && !strncasecmp(h, "Content-Type:", 13)) {
			const char *v = h + 13;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			return (size_t)(le - v) >= 15 &&
				!strncasecmp(v, "application/sdp", 15) &&
				(v + 15 == le || strchr(" \t;\r", v[15]));
		}
		h = eol ? eol + 1 : end;
	}
	return 0;
}

int sip_multipart_sdp(const char *body, size_t len, const char *boundary,
		      const char **sdp, size_t *sdplen)
{
	char delim[80];
	size_t dl;
	const char *p, *end = body + len;

	*sdp = NULL;
	*sdplen = 0;
	if (!boundary || !*boundary || strlen(boundary) > 70)
		return GD_ENOTFOUND;
	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	p = mem_find(body, len, delim, dl);
	while (p) {
		const char *part = p + dl, *hend, *next;
		size_t rest = (size_t)(end - part);
		if (rest >= 2 && part[0] == '-' && part[1] == '-')
			break; /* the close delimiter */
		/* the rest of the delimiter line, then the part's headers */
		part = memchr(part, '\n', rest);
		if (!part)
			break;
		part++;
		hend = mem_find(part, (size_t)(end - part), "\r\n\r\n", 4);
		next = mem_find(part, (size_t)(end - part), delim, dl);
		if (!hend || !next || hend > next) {
			/* a part without headers: not one we can type */
			p = next;
			continue;
		}
		if (part_is_sdp(part, (size_t)(hend - part))) {
			const char *c = hend + 4, *ce = next;
			/* the CRLF before the delimiter belongs to it */
			if (ce > c && ce[-1] == '\n')
				ce--;
			if (ce > c && ce[-1] == '\r')
				ce--;
			*sdp = c;
			*sdplen = (size_t)(ce - c);
			return 0;
		}
		p = next;
	}
	return GD_ENOTFOUND;
}

int sip_sdp_has_crypto(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) >= 9 && !strncmp(p, "a=crypto:", 9))
			return 1;
		p = eol ? eol + 1 : end;
	}
	return 0;
}

int sip_sdp_same_origin(const char *a, size_t alen, const char *b,
			size_t blen)
{
	size_t al = 0, bl = 0;
	const char *ao = a ? sdp_origin(a, alen, &al) : NULL;
	const char *bo = b ? sdp_origin(b, blen, &bl) : NULL;

	return ao && bo && al == bl && !memcmp(ao, bo, al);
}

int sip_se_parse(const char *val, size_t len, unsigned *secs,
		 enum sip_refresher *who)
{
	char v[128], *param, *save = NULL, *end;
	unsigned long n;

	*secs = 0;
	*who = SIP_REFRESHER_NONE;
	if (len >= sizeof(v))
		return GD_EINVALID;
	memcpy(v, val, len);
	v[len] = '\0';
	errno = 0;
	n = strtoul(v, &end, 10);
	if (end == v || errno || n < 1 || n > 86400)
		return GD_EINVALID;
	*secs = (unsigned)n;
	for (param = strtok_r(end, ";", &save); param;
	     param = strtok_r(NULL, ";", &save)) {
		param += strspn(param, " \t");
		if (!strncasecmp(param, "refresher", 9)) {
			const char *x = param + 9 + strspn(param + 9, " \t");
			if (*x++ != '=')
				continue;
			x += strspn(x, " \t");
			if (!strncasecmp(x, "uac", 3))
				*who = SIP_REFRESHER_UAC;
			else if (!strncasecmp(x, "uas", 3))
				*who = SIP_REFRESHER_UAS;
		}
	}
	return 0;
}

int sip_call_path(char *out, size_t n, const char *spool, const char *call_id,
		  const char *ext)
{
	if (!sip_callid_valid(call_id))
		return gd_error_set("'%s' is not a gitdial SIP Call-ID",
				    call_id ? call_id : ""), GD_EINVALID;
	if ((size_t)snprintf(out, n, "%s/.sip/%s.%s", spool, call_id, ext) >= n)
		return gd_error_set("spool path too long"), GD_ERROR;
	return 0;
}
