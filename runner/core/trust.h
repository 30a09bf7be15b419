/*
 * What the runner's operator allows, outside the repository (SECURITY.md).
 * The repository names secrets and endpoints; the operator decides which
 * of them may be used, through three environment variables read on each
 * call (never from the repository, never from a request):
 *
 *   GITDIAL_SECRETS_DIR    the one directory file: references may read
 *                          (default /etc/gitdial/secrets)
 *   GITDIAL_ENV_ALLOW      comma-separated prefixes env: references may
 *                          name (default GITDIAL_,TWILIO_,TELNYX_,WHATSAPP_,SIP_;
 *                          an entry "*" allows every name)
 *   GITDIAL_ALLOWED_HOSTS  comma-separated host[:port] an api_base or a
 *                          function URL may use besides the providers' own
 *                          hosts; http:// only for loopback hosts listed
 *   GITDIAL_AGENT_HOSTS    comma-separated host[:port] the agent's
 *                          addresses (agent.*) may use besides those
 *                          listed in GITDIAL_ALLOWED_HOSTS
 *
 * Whatever the lists say, env: never names a variable everyone can know
 * (trust_env_well_known), and file: never reads inside the repository.
 */
#ifndef GD_TRUST_H
#define GD_TRUST_H

#include <stddef.h>

#define TRUST_SECRETS_DIR_DEFAULT "/etc/gitdial/secrets"
#define TRUST_ENV_ALLOW_DEFAULT "GITDIAL_,TWILIO_,TELNYX_,WHATSAPP_,SIP_"

/*
 * True when NAME is a variable whose value is public or set by the web
 * server or the shell (GATEWAY_INTERFACE, SERVER_*, HTTP_*, REQUEST_*,
 * PATH, HOME, gitdial's own settings, ...): never a secret.
 */
int trust_env_well_known(const char *name);

/*
 * Checks a secret reference against the operator's settings without
 * reading it: env:NAME must start with an allowed prefix and not be well
 * known; file:PATH must have no ".." component and lie in the secrets
 * directory (a relative PATH is taken inside it). repo, when not NULL, is
 * the repository's work tree: a file inside it is refused. Returns 0, or
 * GD_EINVALID with a message naming the reference and why (never a value).
 */
int trust_secret_check(const char *ref, const char *repo);

/*
 * Resolves a checked reference into out (size n): the variable's value,
 * or the file's content with trailing newlines dropped, read through
 * realpath containment in the secrets directory and an O_NOFOLLOW open
 * of a regular file (a symlink leading out of the directory is refused).
 * repo as for trust_secret_check; GITDIAL_REPO is used when it is NULL.
 * Returns 0, or GD_ERROR/GD_EINVALID with a message naming the
 * reference and why.
 */
int trust_secret_resolve(char *out, size_t n, const char *ref,
			 const char *repo);

/*
 * Checks a URL credentials or a function secret will be sent to.
 * provider ("twilio", "telnyx", "whatsapp") allows that provider's own
 * hosts over https; NULL (a remote function) allows none. Other hosts
 * must be listed in GITDIAL_ALLOWED_HOSTS; http:// only for a loopback
 * host listed there; no user:password@ part. field names the setting in
 * the message ("api_base"). Returns 0, or GD_EINVALID with a message.
 */
int trust_endpoint_check(const char *url, const char *provider,
			 const char *field);

/*
 * Checks an address the agent's side of a call goes to: agent.stream_url
 * (the provider connects the call's audio there), agent.media_url (the
 * WhatsApp SDP exchange, signed with agent.secret), agent.sip_uri (the
 * SIP trunk function's second leg). Its host must be listed in
 * GITDIAL_AGENT_HOSTS or GITDIAL_ALLOWED_HOSTS (with the URL's port, or
 * no port); wss://, https:// and sip: anywhere listed, ws:// and http://
 * only to a loopback host; no user:password@ part in a URL. field names
 * the setting in the message. Returns 0, or GD_EINVALID with a message.
 */
int trust_agent_check(const char *url, const char *field);

/*
 * Checks a SIP trunk's proxy (sip:host[:port], port 5060 or, when tls,
 * 5061 by default): it receives the digest answers made with the trunk's
 * password, so like api_base it must be listed in GITDIAL_ALLOWED_HOSTS.
 * Returns 0, or GD_EINVALID with a message naming field.
 */
int trust_proxy_check(const char *uri, int tls, const char *field);

/*
 * Remote function requests (POST .../fn) are signed with the function
 * secret over "<timestamp>.<nonce>.<body>": the timestamp (Unix seconds,
 * X-Gitdial-Timestamp) and the nonce (16-64 hex digits, X-Gitdial-Nonce)
 * inside the signed material, so a captured request can be neither
 * replayed later than TRUST_FN_WINDOW seconds nor, within them, twice.
 * trust_fn_sign writes the lower-case hex HMAC-SHA256 into out.
 */
#define TRUST_FN_WINDOW 300
int trust_fn_sign(char out[65], const char *secret, const char *ts,
		  const char *nonce, const void *body, size_t len);
/* A fresh nonce: 32 hex digits from the system's random source. */
int trust_fn_nonce(char out[33]);

#endif
