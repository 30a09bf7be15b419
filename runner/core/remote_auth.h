/*
 * Credentials for fetching from and pushing to a remote, from what a CI
 * runner or an operator already has (docs/remotes.md):
 *
 *  - user:password in the remote's URL (libgit2 presents them itself);
 *  - http.<url>.extraheader / http.extraheader from git's config (what
 *    actions/checkout writes), matched to the URL by git's rules and sent
 *    as extra HTTP headers on every request of the fetch or push;
 *  - GITDIAL_GIT_TOKEN (and GITDIAL_GIT_USER, default "x-access-token"),
 *    offered when an http(s) server asks for credentials;
 *  - for ssh: the key file GITDIAL_SSH_KEY (GITDIAL_SSH_KEY_PASSPHRASE if
 *    it is encrypted), else the agent at SSH_AUTH_SOCK; the server's host
 *    key must be in ~/.ssh/known_hosts (libgit2 checks it).
 *
 * Every way is offered once: when the server refuses it, the transfer
 * fails with a message saying which credential was refused, instead of
 * libgit2 asking again without end.
 */
#ifndef GD_REMOTE_AUTH_H
#define GD_REMOTE_AUTH_H

#include <git2.h>

struct remote_auth {
	char remote[128];      /* the remote's name, for messages */
	char url[1024];        /* its URL with any password masked */
	char secret[2][1024];  /* values never printed: URL password, token */
	char **headers;        /* the extra headers, owned */
	size_t n_headers;
	git_strarray custom_headers; /* a view of headers for libgit2 */
	int is_ssh;
	int url_has_password;
	int tried_token, tried_key, tried_agent;
	char why[512];         /* what the callbacks found, for the message */
	void *owner;           /* the caller's, for its own callbacks: they
				  share the payload, which is a */
};

/*
 * Fills a for a transfer with remote r of repo (push: its push URL).
 * Reads the extra headers from repo's config; a header that is not
 * "Name: value", or one libgit2 sets itself, is an error naming the
 * config key (never the value). Release with remote_auth_release.
 */
int remote_auth_init(struct remote_auth *a, git_repository *repo,
		     git_remote *r, int push);
/* Points cb's credentials and certificate callbacks at a. */
void remote_auth_callbacks(struct remote_auth *a, git_remote_callbacks *cb);
/*
 * Sets the error for a failed transfer ("fetch"/"push"): names the
 * remote and its URL (password masked), says which credential was
 * refused or missing when that was the cause, and masks any secret in
 * libgit2's own message. Returns GD_ERROR.
 */
int remote_auth_fail(struct remote_auth *a, const char *what);
void remote_auth_release(struct remote_auth *a);

/*
 * Whether the config URL pattern (the <url> of http.<url>.*) applies to
 * url by git's rules (scheme, host with "*" labels, port, path prefix at
 * a "/", user); 0 when not, else a score that is higher for a more
 * specific match (longer host, fewer wildcards, longer path, user named).
 */
long remote_auth_url_match(const char *pattern, const char *url);

#endif
