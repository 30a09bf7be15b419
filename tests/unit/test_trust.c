/*
 * runner/core/trust.c: the operator's settings (SECURITY.md). Endpoints
 * by host and port (the providers' own domains, the listed hosts, http://
 * only to a listed loopback host), env: names by prefix and the
 * well-known list, file: paths by containment, and the /fn signature
 * against a vector computed independently (Python's hmac).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "trust.h"
#include "banned.h"

static int n_pass, n_fail, n_test;

#define OK(cond, ...) do { \
	int ok_ = (cond); \
	n_test++; \
	if (ok_) { n_pass++; printf("ok %d - ", n_test); } \
	else { n_fail++; printf("not ok %d - ", n_test); } \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) printf("#   at %s:%d: %s\n", __FILE__, __LINE__, \
			 gd_error_last()); \
} while (0)

static int url_ok(const char *url, const char *provider)
{
	return trust_endpoint_check(url, provider, "api_base") == 0;
}

static void endpoints(void)
{
	setenv("GITDIAL_ALLOWED_HOSTS", "127.0.0.1:8080, fn.example.com,[::1]", 1);
	OK(url_ok("https://api.twilio.com", "twilio"), "twilio's own host");
	OK(url_ok("https://api.dublin.ie1.twilio.com/", "twilio"), "a twilio.com subdomain");
	OK(!url_ok("http://api.twilio.com", "twilio"), "not over http://");
	OK(!url_ok("https://api.twilio.com:8443", "twilio"), "not on another port");
	OK(!url_ok("https://api.twilio.com.attacker.example", "twilio"),
	   "a host that only starts like twilio's");
	OK(!url_ok("https://eviltwilio.com", "twilio"), "a host that only ends like it");
	OK(!url_ok("https://api.telnyx.com", "twilio"), "another provider's host");
	OK(url_ok("https://graph.facebook.com/v23.0", "whatsapp"), "Meta's Graph host");
	OK(!url_ok("https://api.twilio.com", NULL), "a function has no own host");
	OK(url_ok("http://127.0.0.1:8080/x", NULL), "a listed loopback host:port");
	OK(!url_ok("http://127.0.0.1:8081/x", NULL), "... not another port");
	OK(url_ok("https://fn.example.com:9443/fn", NULL), "a listed host, any port");
	OK(!url_ok("http://fn.example.com/fn", NULL), "http:// to a listed host that is not loopback");
	OK(url_ok("http://[::1]:5000/", NULL), "IPv6 loopback, listed");
	OK(!url_ok("https://user:pw@fn.example.com/", NULL), "a user:password@ part");
	OK(!url_ok("https://fn.example.com@attacker.example/", NULL), "an @ hiding the host");
	OK(!url_ok("ftp://fn.example.com/", NULL), "not http(s)");
	OK(url_ok("https://FN.Example.COM./x", NULL), "host names compared in lower case, root dot");
	unsetenv("GITDIAL_ALLOWED_HOSTS");
	OK(!url_ok("http://127.0.0.1:8080/x", NULL), "nothing listed: no loopback either");
}

static void agent_hosts(void)
{
	setenv("GITDIAL_AGENT_HOSTS", "agent.example.com, 127.0.0.1", 1);
	setenv("GITDIAL_ALLOWED_HOSTS", "sip.carrier.example:5060,[::1]", 1);
	OK(!trust_agent_check("wss://agent.example.com/voice", "s"), "a listed agent");
	OK(!trust_agent_check("https://AGENT.example.com./sdp", "s"), "... in any case, root dot");
	OK(trust_agent_check("wss://agent.example.com.attacker.example/", "s"),
	   "a host that only starts like the agent's");
	OK(trust_agent_check("wss://agent.example.com@attacker.example/", "s"),
	   "an @ hiding the host");
	OK(trust_agent_check("ws://agent.example.com/", "s"), "ws:// to a host not loopback");
	OK(!trust_agent_check("ws://127.0.0.1:8080/", "s"), "ws:// to a listed loopback host");
	OK(!trust_agent_check("sip:agent@agent.example.com;transport=tcp", "s"),
	   "sip: with a user part and parameters");
	OK(trust_agent_check("sip:agent.example.com@attacker.example", "s"),
	   "sip: the host is after the @");
	OK(!trust_agent_check("sip:[::1]:5070", "s"), "GITDIAL_ALLOWED_HOSTS lists agents too");
	OK(trust_agent_check("sips:agent@agent.example.com", "s"), "sips: is not an address");
	OK(trust_agent_check(NULL, "s"), "no address");
	OK(!trust_proxy_check("sip:sip.carrier.example", 0, "p"), "a proxy on 5060, listed");
	OK(trust_proxy_check("sip:sip.carrier.example", 1, "p"), "... not over TLS (5061)");
	OK(trust_proxy_check("sip:agent.example.com", 0, "p"),
	   "an agent host is not a proxy host");
	unsetenv("GITDIAL_AGENT_HOSTS");
	unsetenv("GITDIAL_ALLOWED_HOSTS");
	OK(trust_agent_check("wss://agent.example.com/voice", "s"), "nothing listed: refused");
}

static int ref_ok(const char *ref, const char *repo)
{
	return trust_secret_check(ref, repo) == 0;
}

static void references(void)
{
	unsetenv("GITDIAL_ENV_ALLOW");
	unsetenv("GITDIAL_SECRETS_DIR");
	OK(ref_ok("env:TWILIO_AUTH_TOKEN", NULL), "the default prefixes");
	OK(!ref_ok("env:GITHUB_TOKEN", NULL), "not the CI's token");
	OK(!ref_ok("env:AWS_SECRET", NULL), "a name outside the default prefixes");
	OK(!ref_ok("env:GITDIAL_REPO", NULL), "not gitdial's own settings");
	setenv("GITDIAL_ENV_ALLOW", "*", 1);
	OK(ref_ok("env:AWS_SECRET", NULL), "* allows any name ...");
	OK(!ref_ok("env:GATEWAY_INTERFACE", NULL), "... but never a well-known one");
	OK(!ref_ok("env:Http_X_Secret", NULL), "... in any case (a watchdog's Http_*)");
	OK(!ref_ok("env:SERVER_NAME", NULL), "... SERVER_*");
	OK(!ref_ok("env:PATH", NULL), "... PATH");
	OK(!ref_ok("env:1X", NULL), "not a variable name");
	setenv("GITDIAL_ENV_ALLOW", "", 1);
	OK(!ref_ok("env:TWILIO_AUTH_TOKEN", NULL), "an empty list allows nothing");
	OK(ref_ok("file:/etc/gitdial/secrets/tw", NULL), "the default secrets directory");
	OK(ref_ok("file:tw", NULL), "a name inside it");
	OK(!ref_ok("file:/etc/gitdial/secrets", NULL), "not the directory itself");
	OK(!ref_ok("file:/etc/gitdial/secrets2/tw", NULL), "not a sibling that starts alike");
	OK(!ref_ok("file:/etc/gitdial/secrets/../passwd", NULL), "no ..");
	OK(!ref_ok("file:../passwd", NULL), "no .. in a relative name");
	OK(ref_ok("file:/etc/gitdial/secrets/a..b", NULL), "two dots inside a name are a name");
	setenv("GITDIAL_SECRETS_DIR", "/srv", 1);
	OK(!ref_ok("file:/srv/repo/x.secret", "/srv/repo"), "not a file of the repository");
	OK(ref_ok("file:/srv/x.secret", "/srv/repo"), "beside it is fine");
	unsetenv("GITDIAL_SECRETS_DIR");
	unsetenv("GITDIAL_ENV_ALLOW");
}

static void signing(void)
{
	char sig[65], nonce[33];

	/* python3: hmac.new(b"k", b"1700000000.abcd0123abcd0123.{}",
	 * hashlib.sha256).hexdigest() */
	OK(!trust_fn_sign(sig, "k", "1700000000", "abcd0123abcd0123", "{}", 2) &&
	   !strcmp(sig, "5ade0016e4e2720c6c8d231ed0b5c2ea3306387158dac375b511e94339fa2ad1"),
	   "the /fn signature covers timestamp, nonce and body");
	OK(!trust_fn_nonce(nonce) && strlen(nonce) == 32 &&
	   strspn(nonce, "0123456789abcdef") == 32, "a nonce is 32 hex digits");
}

int main(void)
{
	endpoints();
	agent_hosts();
	references();
	signing();
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
