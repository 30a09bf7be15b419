#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "err.h"
#include "trust.h"
#include "banned.h"

#define TRUST_FILE_MAX (64u * 1024)

int trust_env_well_known(const char *name)
{
	/* set by CGI/FastCGI servers, watchdogs, shells, CI, git, gitdial */
	static const char *const exact[] = {
		"GATEWAY_INTERFACE", "QUERY_STRING", "CONTENT_TYPE",
		"CONTENT_LENGTH", "AUTH_TYPE", "PATH", "HOME", "USER",
		"LOGNAME", "SHELL", "PWD", "OLDPWD", "TERM", "LANG", "LANGUAGE",
		"TZ", "HOSTNAME", "HOST", "TMPDIR", "MAIL", "SHLVL", "_", "CI",
		"DISPLAY", "EDITOR", "PAGER", "FCGI_ROLE", "GITDIAL_REPO",
		"GITDIAL_SPOOL", "GITDIAL_NOW", "GITDIAL_SECRETS_DIR",
		"GITDIAL_ENV_ALLOW", "GITDIAL_ALLOWED_HOSTS", "GITDIAL_AGENT_HOSTS",
		"GITDIAL_BIN",
		"GITDIAL_HTTP_TIMEOUT_MS", "GITDIAL_FUNCTION_SECRET", NULL
	};
	static const char *const prefix[] = {
		"SERVER_", "HTTP_", "REQUEST_", "REMOTE_", "SCRIPT_", "PATH_",
		"DOCUMENT_", "CONTEXT_", "REDIRECT_", "SSL_", "LC_", "XDG_",
		"CI_", "GITHUB_", "RUNNER_", "GIT_", "SSH_", "LD_", "ASAN_",
		"UBSAN_", "LSAN_", NULL
	};
	size_t i;

	for (i = 0; exact[i]; i++)
		if (!strcasecmp(name, exact[i]))
			return 1;
	for (i = 0; prefix[i]; i++)
		if (!strncasecmp(name, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

/* True when name starts with one of the comma-separated prefixes. */
static int env_allowed(const char *name, const char *list)
{
	const char *p = list, *e;

	while (*p) {
		e = p + strcspn(p, ",");
		while (p < e && *p == ' ')
			p++;
		if (e - p == 1 && *p == '*')
			return 1;
		if (e > p && !strncmp(name, p, (size_t)(e - p)))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

static const char *secrets_dir(void)
{
	const char *d = getenv("GITDIAL_SECRETS_DIR");

	return d && *d ? d : TRUST_SECRETS_DIR_DEFAULT;
}

/* True when path is dir itself or below it (plain string prefix). */
static int path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static int has_dotdot(const char *p)
{
	const char *s = p;

	while ((s = strstr(s, ".."))) {
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return 1;
		s += 2;
	}
	return 0;
}

/* dir + "/" + rel, or rel when it is absolute. */
static int file_path(char *out, size_t n, const char *rel, const char *ref)
{
	const char *dir = secrets_dir();

	if ((size_t)snprintf(out, n, "%s%s%s", rel[0] == '/' ? "" : dir,
			     rel[0] == '/' ? "" : "/", rel) >= n)
		return gd_error_set("%s: the path is too long", ref);
	return 0;
}

/* True when path (or what it resolves to) lies inside the repository. */
static int in_repo(const char *path, const char *repo)
{
	char r[PATH_MAX], p[PATH_MAX];

	if (!repo || !*repo)
		return 0;
	if (path_under(path, repo))
		return 1;
	if (!realpath(repo, r))
		return 0;
	if (path_under(path, r))
		return 1;
	return realpath(path, p) && path_under(p, r);
}

int trust_secret_check(const char *ref, const char *repo)
{
	char path[PATH_MAX];
	const char *allow, *p;

	if (!ref)
		return gd_error_set("no secret reference"), GD_EINVALID;
	if (!strncmp(ref, "env:", 4)) {
		const char *name = ref + 4;
		if (!*name || !(isalpha((unsigned char)*name) || *name == '_'))
			goto bad_name;
		for (p = name; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				goto bad_name;
		if (trust_env_well_known(name))
			return gd_error_set("%s: %s is a well-known variable (set "
					    "by the web server, the shell, the CI "
					    "or gitdial), never a secret", ref,
					    name), GD_EINVALID;
		allow = getenv("GITDIAL_ENV_ALLOW");
		if (!allow)
			allow = TRUST_ENV_ALLOW_DEFAULT;
		if (!env_allowed(name, allow))
			return gd_error_set("%s: the operator does not allow this "
					    "name (GITDIAL_ENV_ALLOW allows the "
					    "prefixes \"%s\")", ref, allow),
				GD_EINVALID;
		return 0;
bad_name:
		return gd_error_set("%s: not a variable name", ref), GD_EINVALID;
	}
	if (strncmp(ref, "file:", 5))
		return gd_error_set("\"%.40s\" is not an env: or file: reference",
				    ref), GD_EINVALID;
	if (!ref[5])
		return gd_error_set("%s: no path", ref), GD_EINVALID;
	if (has_dotdot(ref + 5))
		return gd_error_set("%s: \"..\" is not allowed in a secret's path",
				    ref), GD_EINVALID;
	if (file_path(path, sizeof(path), ref + 5, ref))
		return GD_EINVALID;
	if (!path_under(path, secrets_dir()) || path_under(secrets_dir(), path))
		return gd_error_set("%s: outside the secrets directory %s (set "
				    "by GITDIAL_SECRETS_DIR)", ref,
				    secrets_dir()), GD_EINVALID;
	if (in_repo(path, repo))
		return gd_error_set("%s: inside the repository, which anyone who "
				    "can open a pull request writes", ref),
			GD_EINVALID;
	return 0;
}

/*
 * Opens rel beneath dirfd for reading: openat2 with RESOLVE_BENEATH where
 * the kernel has it (no symlink or ".." may leave the directory, even one
 * swapped in after the caller's realpath), else openat with O_NOFOLLOW.
 */
static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
#ifdef SYS_openat2
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
#endif
	fd = openat(dirfd, rel, (int)how.flags);
	return (int)fd;
}

static int read_file_ref(char *out, size_t n, const char *ref,
			 const char *repo)
{
	char path[PATH_MAX], dir[PATH_MAX], real[PATH_MAX], buf[TRUST_FILE_MAX];
	int dfd = -1, fd = -1, rc = GD_ERROR;
	size_t len = 0, dl;
	struct stat st;
	ssize_t got;

	if (file_path(path, sizeof(path), ref + 5, ref))
		return GD_ERROR;
	if (!realpath(secrets_dir(), dir))
		return gd_error_set("%s: the secrets directory %s: %s", ref,
				    secrets_dir(), strerror(errno));
	if (!realpath(path, real))
		return gd_error_set("%s: %s", ref, strerror(errno));
	dl = strlen(dir);
	if (!path_under(real, dir) || !strcmp(real, dir))
		return gd_error_set("%s: leads out of the secrets directory %s "
				    "(a symbolic link?)", ref, secrets_dir()),
			GD_EINVALID;
	if (in_repo(real, repo))
		return gd_error_set("%s: inside the repository", ref), GD_EINVALID;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		gd_error_set("%s: the secrets directory: %s", ref, strerror(errno));
		goto cleanup;
	}
	if ((fd = open_beneath(dfd, real + dl + (dl > 1))) < 0) {
		gd_error_set("%s: %s", ref, errno == ELOOP || errno == EXDEV
			     ? "leads out of the secrets directory"
			     : strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		gd_error_set("%s: not a regular file", ref);
		goto cleanup;
	}
	while (len < sizeof(buf) &&
	       (got = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			gd_error_set("%s: %s", ref, strerror(errno));
			goto cleanup;
		}
		len += (size_t)got;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len >= n || len == sizeof(buf)) {
		gd_error_set("%s: the secret is too long", ref);
		goto cleanup;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	rc = 0;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int trust_secret_resolve(char *out, size_t n, const char *ref,
			 const char *repo)
{
	const char *v;
	int rc;

	if (!n)
		return gd_error_set("no room for a secret");
	out[0] = '\0';
	if (!repo)
		repo = getenv("GITDIAL_REPO");
	if ((rc = trust_secret_check(ref, repo)))
		return rc;
	if (!strncmp(ref, "file:", 5))
		return read_file_ref(out, n, ref, repo);
	if (!(v = getenv(ref + 4)))
		return gd_error_set("%s: not set on this host", ref);
	if (strlen(v) >= n)
		return gd_error_set("%s: the secret is too long", ref);
	snprintf(out, n, "%s", v);
	return 0;
}

/* The domains whose hosts are the provider's own (https only). */
static int provider_host(const char *provider, const char *host)
{
	static const char *const own[][2] = {
		{ "twilio", "twilio.com" }, { "telnyx", "telnyx.com" },
		{ "whatsapp", "facebook.com" }, { NULL, NULL }
	};
	size_t i, hl = strlen(host), dl;

	for (i = 0; provider && own[i][0]; i++) {
		if (strcmp(provider, own[i][0]))
			continue;
		dl = strlen(own[i][1]);
		if (hl == dl ? !strcmp(host, own[i][1])
		    : hl > dl && host[hl - dl - 1] == '.' &&
		      !strcmp(host + hl - dl, own[i][1]))
			return 1;
	}
	return 0;
}

static int loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * Splits "host[:port]" / "[v6][:port]" (len bytes of s) into a lower-case
 * host and a port (0 when none). Returns 0, or -1 when it is malformed.
 */
static int split_hostport(const char *s, size_t len, char *host, size_t hn,
			  long *port)
{
	const char *h = s, *he, *pp = NULL, *end = s + len;
	size_t i, l;
	long v = 0;

	if (len && *s == '[') {
		h = s + 1;
		if (!(he = memchr(s, ']', len)))
			return -1;
		if (he + 1 < end) {
			if (he[1] != ':')
				return -1;
			pp = he + 2;
		}
	} else {
		he = memchr(s, ':', len);
		if (he)
			pp = he + 1;
		else
			he = end;
	}
	l = (size_t)(he - h);
	if (!l || l >= hn)
		return -1;
	for (i = 0; i < l; i++) {
		char c = (char)tolower((unsigned char)h[i]);
		if (!isalnum((unsigned char)c) && !strchr(".-:", c))
			return -1;
		host[i] = c;
	}
	host[l] = '\0';
	while (l > 1 && host[l - 1] == '.')
		host[--l] = '\0';
	*port = 0;
	if (pp) {
		if (pp == end || end - pp > 5)
			return -1;
		for (; pp < end; pp++) {
			if (!isdigit((unsigned char)*pp))
				return -1;
			v = v * 10 + (*pp - '0');
		}
		if (v < 1 || v > 65535)
			return -1;
		*port = v;
	}
	return 0;
}

/* True when host:port is listed in any of the comma-separated lists. */
static int host_listed_in(const char *const *vars, const char *host,
			  long port)
{
	const char *list, *p, *e;
	char h[256];
	long lp;

	for (; *vars; vars++) {
		list = getenv(*vars);
		for (p = list ? list : ""; *p; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ",");
			while (p < e && *p == ' ')
				p++;
			if (e == p || split_hostport(p, (size_t)(e - p), h,
						     sizeof(h), &lp))
				continue;
			if (!strcmp(h, host) && (!lp || lp == port))
				return 1;
		}
	}
	return 0;
}

/* True when GITDIAL_ALLOWED_HOSTS lists host (with that port, or no port). */
static int host_listed(const char *host, long port)
{
	static const char *const vars[] = { "GITDIAL_ALLOWED_HOSTS", NULL };

	return host_listed_in(vars, host, port);
}

int trust_endpoint_check(const char *url, const char *provider,
			 const char *field)
{
	const char *p;
	char host[256];
	size_t alen;
	long port;
	int https;

	if (!url)
		return gd_error_set("%s: no URL", field), GD_EINVALID;
	if (!strncmp(url, "https://", 8))
		https = 1, p = url + 8;
	else if (!strncmp(url, "http://", 7))
		https = 0, p = url + 7;
	else
		return gd_error_set("%s: not an https:// URL", field), GD_EINVALID;
	alen = strcspn(p, "/?#");
	if (memchr(p, '@', alen))
		return gd_error_set("%s: a user:password@ part is not allowed "
				    "(credentials go in credentials)", field),
			GD_EINVALID;
	if (split_hostport(p, alen, host, sizeof(host), &port))
		return gd_error_set("%s: \"%.*s\" is not host or host:port", field,
				    (int)(alen > 80 ? 80 : alen), p),
			GD_EINVALID;
	if (!port)
		port = https ? 443 : 80;
	if (https && port == 443 && provider_host(provider, host))
		return 0;
	if (!host_listed(host, port) && provider)
		return gd_error_set("%s: %s:%ld is not %s's own (over https) and "
				    "not listed in GITDIAL_ALLOWED_HOSTS", field,
				    host, port, provider), GD_EINVALID;
	if (!host_listed(host, port))
		return gd_error_set("%s: %s:%ld is not listed in "
				    "GITDIAL_ALLOWED_HOSTS", field, host, port),
			GD_EINVALID;
	if (!https && !loopback(host))
		return gd_error_set("%s: http:// is allowed only to a loopback "
				    "host; use https://", field), GD_EINVALID;
	return 0;
}

/*
 * The host and port of url: ws://, wss://, http://, https:// (no
 * user:password@ part) or sip:[user@]host[:port][;params]. *plain is set
 * for ws:// and http://. Returns 0, or GD_EINVALID with a message.
 */
static int url_host(const char *url, const char *field, int sip_tls,
		    char host[256], long *port, int *plain)
{
	static const struct { const char *s; long port; int plain; } sch[] = {
		{ "https://", 443, 0 }, { "wss://", 443, 0 },
		{ "http://", 80, 1 }, { "ws://", 80, 1 }, { "sip:", 5060, 0 },
		{ NULL, 0, 0 }
	};
	const char *p = NULL, *at;
	size_t i, alen;

	for (i = 0; sch[i].s; i++)
		if (!strncmp(url, sch[i].s, strlen(sch[i].s))) {
			p = url + strlen(sch[i].s);
			break;
		}
	if (!p)
		return gd_error_set("%s: not a wss://, https:// or sip: address",
				    field), GD_EINVALID;
	*plain = sch[i].plain;
	if (!strcmp(sch[i].s, "sip:")) {
		alen = strcspn(p, ";?>");
		if ((at = memchr(p, '@', alen))) {
			alen -= (size_t)(at + 1 - p);
			p = at + 1;
		}
	} else {
		alen = strcspn(p, "/?#");
		if (memchr(p, '@', alen))
			return gd_error_set("%s: a user:password@ part is not "
					    "allowed", field), GD_EINVALID;
	}
	if (split_hostport(p, alen, host, 256, port))
		return gd_error_set("%s: \"%.*s\" is not host or host:port", field,
				    (int)(alen > 80 ? 80 : alen), p),
			GD_EINVALID;
	if (!*port)
		*port = sip_tls && !strcmp(sch[i].s, "sip:") ? 5061 : sch[i].port;
	return 0;
}

int trust_agent_check(const char *url, const char *field)
{
	static const char *const vars[] = {
		"GITDIAL_AGENT_HOSTS", "GITDIAL_ALLOWED_HOSTS", NULL
	};
	char host[256];
	long port;
	int plain;

	if (!url)
		return gd_error_set("%s: no address", field), GD_EINVALID;
	if (url_host(url, field, 0, host, &port, &plain))
		return GD_EINVALID;
	if (!host_listed_in(vars, host, port))
		return gd_error_set("%s: %s:%ld is not listed in GITDIAL_AGENT_HOSTS "
				    "or GITDIAL_ALLOWED_HOSTS", field, host, port),
			GD_EINVALID;
	if (plain && !loopback(host))
		return gd_error_set("%s: ws:// and http:// are allowed only to a "
				    "loopback host; use wss:// or https://", field),
			GD_EINVALID;
	return 0;
}

int trust_proxy_check(const char *uri, int tls, const char *field)
{
	static const char *const vars[] = { "GITDIAL_ALLOWED_HOSTS", NULL };
	char host[256];
	long port;
	int plain;

	if (!uri || strncmp(uri, "sip:", 4))
		return gd_error_set("%s: not a sip: URI", field), GD_EINVALID;
	if (url_host(uri, field, tls, host, &port, &plain))
		return GD_EINVALID;
	if (!host_listed_in(vars, host, port))
		return gd_error_set("%s: %s:%ld is not listed in "
				    "GITDIAL_ALLOWED_HOSTS", field, host, port),
			GD_EINVALID;
	return 0;
}

int trust_fn_sign(char out[65], const char *secret, const char *ts,
		  const char *nonce, const void *body, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t tl = strlen(ts), nl = strlen(nonce), i;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *msg;
	int ok;

	out[0] = '\0';
	if (len > SIZE_MAX - tl - nl - 2 || !(msg = malloc(tl + nl + 2 + len + 1)))
		return gd_error_set("out of memory");
	memcpy(msg, ts, tl);
	msg[tl] = '.';
	memcpy(msg + tl + 1, nonce, nl);
	msg[tl + 1 + nl] = '.';
	if (len)
		memcpy(msg + tl + nl + 2, body, len);
	ok = HMAC(EVP_sha256(), secret, (int)strlen(secret),
		  (const unsigned char *)msg, tl + nl + 2 + len, md, &mdlen) &&
		mdlen == sizeof(md);
	free(msg);
	if (!ok)
		return gd_error_set("HMAC-SHA256 failed");
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

int trust_fn_nonce(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return gd_error_set("no random bytes: %s", strerror(errno));
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
	return 0;
}
