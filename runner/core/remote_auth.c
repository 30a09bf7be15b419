#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "remote_auth.h"
#include "banned.h"

#define HEADERS_MAX 32

/* A URL cut into the parts git's http.<url>.* matching compares. */
struct url_parts {
	char scheme[16];
	char user[256];
	int has_user;
	char password[1024];
	int has_password;
	char host[256];
	char port[8];
	char path[1024];
};

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Copies n bytes of s into out (size cap), 0 when they fit. */
static int copy_n(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static const char *default_port(const char *scheme)
{
	if (!strcmp(scheme, "http"))
		return "80";
	if (!strcmp(scheme, "https"))
		return "443";
	if (!strcmp(scheme, "ssh"))
		return "22";
	if (!strcmp(scheme, "git"))
		return "9418";
	return "";
}

/*
 * Parses scheme://[user[:password]@]host[:port][/path] as git's
 * urlmatch normalises it: scheme and host in lower case, the scheme's
 * default port when none is given, "/" for an empty path, no query or
 * fragment. -1 when url has no "scheme://" or a part is too long.
 */
static int url_parse(struct url_parts *u, const char *url)
{
	const char *p = strstr(url, "://"), *auth, *end, *at, *hp, *colon;

	memset(u, 0, sizeof(*u));
	if (!p || copy_n(u->scheme, sizeof(u->scheme), url, (size_t)(p - url)))
		return -1;
	lower(u->scheme);
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (hp = auth; hp < end; hp++)
		if (*hp == '@')
			at = hp;
	hp = auth;
	if (at) {
		const char *c = memchr(auth, ':', (size_t)(at - auth));
		u->has_user = 1;
		if (copy_n(u->user, sizeof(u->user), auth,
			   (size_t)((c ? c : at) - auth)))
			return -1;
		if (c) {
			u->has_password = 1;
			if (copy_n(u->password, sizeof(u->password), c + 1,
				   (size_t)(at - c - 1)))
				return -1;
		}
		hp = at + 1;
	}
	if (*hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(end - hp));
		if (!rb)
			return -1;
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
	}
	if (copy_n(u->host, sizeof(u->host), hp, (size_t)((colon ? colon : end) - hp)))
		return -1;
	lower(u->host);
	if (colon && colon + 1 < end) {
		if (copy_n(u->port, sizeof(u->port), colon + 1,
			   (size_t)(end - colon - 1)))
			return -1;
	} else {
		snprintf(u->port, sizeof(u->port), "%s", default_port(u->scheme));
	}
	if (copy_n(u->path, sizeof(u->path), end, strcspn(end, "?#")))
		return -1;
	if (!u->path[0])
		snprintf(u->path, sizeof(u->path), "/");
	return 0;
}

/* git's match_host: label by label, a "*" label matches any one label. */
static int host_match(const char *pat, const char *host, int *wild)
{
	*wild = 0;
	for (;;) {
		size_t pl = strcspn(pat, "."), hl = strcspn(host, ".");
		if (pl == 1 && pat[0] == '*')
			(*wild)++;
		else if (pl != hl || strncmp(pat, host, pl))
			return 0;
		pat += pl;
		host += hl;
		if (!*pat || !*host)
			return !*pat && !*host;
		pat++;
		host++;
	}
}

/*
 * git's url_match_prefix: prefix matches path when equal or a prefix
 * ending at a "/" (both read as ending in "/"); the length matched
 * (counting that "/"), or 0.
 */
static size_t path_match(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	if (!n || (n == 1 && prefix[0] == '/'))
		return (!*path || *path == '/') ? 1 : 0;
	if (prefix[n - 1] == '/')
		n--;
	if (strncmp(path, prefix, n))
		return 0;
	if (strlen(path) == n || path[n] == '/')
		return n + 1;
	return 0;
}

long remote_auth_url_match(const char *pattern, const char *url)
{
	struct url_parts p, u;
	size_t plen;
	int wild;

	if (url_parse(&p, pattern) || url_parse(&u, url))
		return 0;
	if (strcmp(p.scheme, u.scheme) || strcmp(p.port, u.port))
		return 0;
	if (p.has_user && (!u.has_user || strcmp(p.user, u.user)))
		return 0;
	if (!host_match(p.host, u.host, &wild))
		return 0;
	if (!(plen = path_match(p.path, u.path)))
		return 0;
	if (plen > 65535)
		plen = 65535;
	if (wild > 63)
		wild = 63;
	/* git's cmp_matches order: host length, fewer wildcards, path, user */
	return ((((long)strlen(p.host) * 64 + (63 - wild)) * 65536 +
		 (long)plen) * 2 + p.has_user) + 1;
}

/* The headers libgit2 sets itself and refuses as custom ones. */
static int header_valid(const char *h)
{
	static const char *const own[] = { "User-Agent", "Host", "Accept",
		"Content-Type", "Transfer-Encoding", "Content-Length" };
	const char *colon = strchr(h, ':');
	size_t i, n;

	if (!colon || colon == h || strpbrk(h, "\r\n"))
		return 0;
	n = (size_t)(colon - h);
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strlen(own[i]) == n && !strncasecmp(h, own[i], n))
			return 0;
	return 1;
}

static void headers_clear(struct remote_auth *a)
{
	size_t i;

	for (i = 0; i < a->n_headers; i++)
		free(a->headers[i]);
	a->n_headers = 0;
}

/*
 * git's http.extraheader as urlmatch collects it: entries in config
 * order (system, global, repository); an entry for a URL less specific
 * than one already taken is skipped; an empty value clears the list.
 */
static int headers_read(struct remote_auth *a, git_repository *repo,
			const char *url)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	long best = 0;
	int rc = 0, e2;

	if (git_repository_config_snapshot(&cfg, repo)) {
		const git_error *ge = git_error_last();
		return gd_error_set("cannot read the git config: %s",
				    ge && ge->message ? ge->message : "git error");
	}
	if (git_config_iterator_glob_new(&it, cfg, "^http\\..*extraheader$")) {
		rc = gd_error_set("cannot read the git config");
		goto cleanup;
	}
	while (!rc && !(e2 = git_config_next(&e, it))) {
		const char *name = e->name, *last = strrchr(name, '.');
		long m = 1;
		if (strcmp(last, ".extraheader"))
			continue;
		if (last > name + 4) { /* http.<url>.extraheader */
			char pat[1024];
			if (copy_n(pat, sizeof(pat), name + 5,
				   (size_t)(last - name - 5)))
				continue;
			if (!(m = remote_auth_url_match(pat, url)))
				continue;
			m++; /* above plain http.extraheader */
		}
		if (m < best)
			continue;
		best = m;
		if (!e->value || !e->value[0]) {
			headers_clear(a);
			continue;
		}
		if (!header_valid(e->value)) {
			rc = gd_error_set("git config '%s': not a \"Name: value\" "
					  "header gitdial can send", name);
			break;
		}
		if (a->n_headers == HEADERS_MAX) {
			rc = gd_error_set("git config '%s': more than %d extra headers",
					  name, HEADERS_MAX);
			break;
		}
		if (!(a->headers[a->n_headers] = strdup(e->value))) {
			rc = gd_error_set("out of memory");
			break;
		}
		a->n_headers++;
	}
cleanup:
	git_config_iterator_free(it);
	git_config_free(cfg);
	return rc;
}

/*
 * url with the password of its user info (if any) replaced by "***",
 * into out; from the raw text, so that a URL too long to parse is masked
 * as well.
 */
static void url_masked(char *out, size_t cap, const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon, *p;

	if (!auth) {
		snprintf(out, cap, "%s", url);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || !(colon = memchr(auth, ':', (size_t)(at - auth)))) {
		snprintf(out, cap, "%s", url);
		return;
	}
	snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
}

int remote_auth_init(struct remote_auth *a, git_repository *repo,
		     git_remote *r, int push)
{
	const char *url = push && git_remote_pushurl(r) ? git_remote_pushurl(r)
							: git_remote_url(r);
	const char *tok = getenv("GITDIAL_GIT_TOKEN");
	struct url_parts u;
	int rc;

	memset(a, 0, sizeof(*a));
	snprintf(a->remote, sizeof(a->remote), "%s",
		 git_remote_name(r) ? git_remote_name(r) : "(anonymous)");
	if (!url)
		url = "";
	url_masked(a->url, sizeof(a->url), url);
	if (url_parse(&u, url) == 0) {
		/* ssh://, and libgit2's ssh+git:// and git+ssh:// */
		a->is_ssh = strstr(u.scheme, "ssh") != NULL;
		a->url_has_password = u.has_password && u.password[0];
		snprintf(a->secret[0], sizeof(a->secret[0]), "%s", u.password);
	} else {
		/* scp-like user@host:path is ssh; a local path has no secrets */
		memset(&u, 0, sizeof(u));
		a->is_ssh = !strstr(url, "://") && strchr(url, ':') &&
			    url[0] != '/' && url[0] != '.';
	}
	if (tok)
		snprintf(a->secret[1], sizeof(a->secret[1]), "%s", tok);
	if (!(a->headers = calloc(HEADERS_MAX, sizeof(*a->headers))))
		return gd_error_set("out of memory");
	if ((!strcmp(u.scheme, "http") || !strcmp(u.scheme, "https")) &&
	    (rc = headers_read(a, repo, url))) {
		gd_error_prefix("remote '%s'", a->remote);
		remote_auth_release(a);
		return rc;
	}
	a->custom_headers.strings = a->headers;
	a->custom_headers.count = a->n_headers;
	return 0;
}

void remote_auth_release(struct remote_auth *a)
{
	if (a->headers)
		headers_clear(a);
	free(a->headers);
	a->headers = NULL;
	memset(a->secret, 0, sizeof(a->secret));
}

/* The login name for an ssh URL without one, as ssh itself takes it. */
static const char *local_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = getenv("USER");

	if (pw && pw->pw_name)
		return pw->pw_name;
	return u ? u : "git";
}

static int creds_http(struct remote_auth *a, git_credential **out,
		      const char *user_from_url, unsigned int allowed)
{
	const char *tok = getenv("GITDIAL_GIT_TOKEN");
	const char *user = getenv("GITDIAL_GIT_USER");

	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
		snprintf(a->why, sizeof(a->why), "the server asks for an "
			 "authentication gitdial does not offer (only a user and password)");
		return GIT_EAUTH;
	}
	if (a->url_has_password) {
		snprintf(a->why, sizeof(a->why),
			 "the server refused the user and password in the remote's URL");
		return GIT_EAUTH;
	}
	if (tok && tok[0] && !a->tried_token) {
		a->tried_token = 1;
		if (!user || !user[0])
			user = user_from_url && user_from_url[0] ? user_from_url
								 : "x-access-token";
		return git_credential_userpass_plaintext_new(out, user, tok);
	}
	if (a->tried_token)
		snprintf(a->why, sizeof(a->why),
			 "the server refused the token in GITDIAL_GIT_TOKEN%s",
			 a->n_headers ? " (and the http.extraheader of the git config)" : "");
	else if (a->n_headers)
		snprintf(a->why, sizeof(a->why), "the server refused the "
			 "http.extraheader of the git config (and GITDIAL_GIT_TOKEN is not set)");
	else
		snprintf(a->why, sizeof(a->why), "the server asks for credentials "
			 "and none are set: put them in the remote's URL, in an "
			 "http.<url>.extraheader, or in GITDIAL_GIT_TOKEN "
			 "(and GITDIAL_GIT_USER)");
	return GIT_EAUTH;
}

static int creds_ssh(struct remote_auth *a, git_credential **out,
		     const char *user_from_url, unsigned int allowed)
{
	const char *key = getenv("GITDIAL_SSH_KEY");
	const char *agent = getenv("SSH_AUTH_SOCK");
	const char *user = user_from_url && user_from_url[0] ? user_from_url
							     : local_user();

	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
		snprintf(a->why, sizeof(a->why), "the ssh server takes no public "
			 "key for '%s'", user);
		return GIT_EAUTH;
	}
	if (key && key[0]) {
		char pub[4096];
		if (a->tried_key) {
			snprintf(a->why, sizeof(a->why), "the ssh server refused "
				 "the key GITDIAL_SSH_KEY=%s for user '%s', or it could "
				 "not be used (a wrong GITDIAL_SSH_KEY_PASSPHRASE; an "
				 "RSA key, signed with SHA-1 here)", key, user);
			return GIT_EAUTH;
		}
		a->tried_key = 1;
		snprintf(pub, sizeof(pub), "%s.pub", key);
		if (access(key, R_OK)) {
			snprintf(a->why, sizeof(a->why), "GITDIAL_SSH_KEY=%s: "
				 "cannot read the key file", key);
			return GIT_EAUTH;
		}
		return git_credential_ssh_key_new(out, user,
			access(pub, R_OK) ? NULL : pub, key,
			getenv("GITDIAL_SSH_KEY_PASSPHRASE"));
	}
	if (agent && agent[0]) {
		if (a->tried_agent) {
			snprintf(a->why, sizeof(a->why), "the ssh server refused "
				 "every key of the agent at SSH_AUTH_SOCK for user '%s'",
				 user);
			return GIT_EAUTH;
		}
		a->tried_agent = 1;
		return git_credential_ssh_key_from_agent(out, user);
	}
	snprintf(a->why, sizeof(a->why), "no ssh key: set GITDIAL_SSH_KEY to a "
		 "private key file, or SSH_AUTH_SOCK to an agent");
	return GIT_EAUTH;
}

static int on_credentials(git_credential **out, const char *url,
			  const char *user_from_url, unsigned int allowed,
			  void *payload)
{
	struct remote_auth *a = payload;
	int rc;

	(void)url;
	*out = NULL;
	rc = a->is_ssh ? creds_ssh(a, out, user_from_url, allowed)
		       : creds_http(a, out, user_from_url, allowed);
	if (rc)
		git_error_set_str(GIT_ERROR_CALLBACK, a->why);
	return rc;
}

/*
 * libgit2 has checked the certificate or the ssh host key (against
 * ~/.ssh/known_hosts) by now: its verdict stands (GIT_PASSTHROUGH); an
 * unknown host key only gets a message saying where to put it.
 */
static int on_certificate(git_cert *cert, int valid, const char *host,
			  void *payload)
{
	struct remote_auth *a = payload;

	if (!valid && cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		snprintf(a->why, sizeof(a->why), "the host key of '%s' is not in "
			 "~/.ssh/known_hosts (add it with ssh-keyscan, checking "
			 "its fingerprint)", host);
	else if (!valid)
		snprintf(a->why, sizeof(a->why), "the TLS certificate of '%s' "
			 "is not trusted", host);
	return GIT_PASSTHROUGH;
}

void remote_auth_callbacks(struct remote_auth *a, git_remote_callbacks *cb)
{
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->payload = a;
}

/* Replaces every occurrence of secret in s (in place) by "***". */
static void mask(char *s, size_t cap, const char *secret)
{
	size_t n = strlen(secret);
	char *p;

	if (n < 3)
		return; /* too short to be told from other text */
	while ((p = strstr(s, secret))) {
		size_t rest = strlen(p + n);
		if ((size_t)(p - s) + 3 + rest >= cap)
			break;
		memmove(p + 3, p + n, rest + 1);
		memcpy(p, "***", 3);
	}
}

int remote_auth_fail(struct remote_auth *a, const char *what)
{
	const git_error *e = git_error_last();
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", a->why[0] ? a->why
			 : e && e->message ? e->message : "git error");
	mask(msg, sizeof(msg), a->secret[0]);
	mask(msg, sizeof(msg), a->secret[1]);
	return gd_error_set("%s %s remote '%s' (%s) failed: %s", what,
			    strcmp(what, "push") ? "from" : "to", a->remote,
			    a->url, msg);
}
