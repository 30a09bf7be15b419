/*
 * Unit tests for remote_auth_url_match: which http.<url>.* config keys
 * apply to a remote's URL, by the rules git-config(1) gives for them
 * (scheme, host with "*" labels, port, path prefix at a "/", user), and
 * which of two matches is the more specific.
 */
#include <stdio.h>

#include "remote_auth.h"

#include "tap.h"

static void test_applies(void)
{
	const char *url = "https://github.com/acme/calls.git";

	CHECK(remote_auth_url_match("https://github.com/", url),
	      "actions/checkout's key (host and /) applies");
	CHECK(remote_auth_url_match("https://github.com", url),
	      "no path is every path");
	CHECK(remote_auth_url_match("https://GitHub.COM/", url),
	      "host in any case");
	CHECK(remote_auth_url_match("HTTPS://github.com/", url),
	      "scheme in any case");
	CHECK(remote_auth_url_match("https://github.com:443/", url),
	      "the default port written out");
	CHECK(remote_auth_url_match("https://github.com/acme", url),
	      "a path prefix ending at a /");
	CHECK(remote_auth_url_match("https://github.com/acme/", url),
	      "a path prefix with its /");
	CHECK(remote_auth_url_match("https://github.com/acme/calls.git", url),
	      "the exact URL");
	CHECK(remote_auth_url_match("https://*.com/", url),
	      "a * label matches one label");
	CHECK(remote_auth_url_match("https://github.com/",
				    "https://x:secret@github.com/acme/calls.git"),
	      "a key without a user matches a URL with one");
	CHECK(remote_auth_url_match("https://x@github.com/",
				    "https://x:secret@github.com/acme/calls.git"),
	      "a key's user matches the URL's");
	CHECK(remote_auth_url_match("http://127.0.0.1:8080/",
				    "http://127.0.0.1:8080/git/camp.git"),
	      "an address and a port");
}

static void test_does_not_apply(void)
{
	const char *url = "https://github.com/acme/calls.git";

	CHECK(!remote_auth_url_match("http://github.com/", url), "another scheme");
	CHECK(!remote_auth_url_match("https://gitlab.com/", url), "another host");
	CHECK(!remote_auth_url_match("https://api.github.com/", url),
	      "a subdomain is another host");
	CHECK(!remote_auth_url_match("https://*.github.com/", url),
	      "a * label must match a label");
	CHECK(!remote_auth_url_match("https://*/", url),
	      "a * matches one label, not two");
	CHECK(!remote_auth_url_match("https://github.com:8443/", url), "another port");
	CHECK(!remote_auth_url_match("https://github.com/ac", url),
	      "a prefix not ending at a /");
	CHECK(!remote_auth_url_match("https://github.com/acme/other.git", url),
	      "another repository");
	CHECK(!remote_auth_url_match("https://x@github.com/", url),
	      "a key's user and a URL without one");
	CHECK(!remote_auth_url_match("https://y@github.com/",
				     "https://x@github.com/acme/calls.git"),
	      "a key's user and another user");
	CHECK(!remote_auth_url_match("github.com", url), "not a URL");
	CHECK(!remote_auth_url_match("http://127.0.0.1:8080/",
				     "http://127.0.0.1:8081/git/camp.git"),
	      "the same address, another port");
}

static void test_specific(void)
{
	const char *url = "https://x@github.com/acme/calls.git";
	long host = remote_auth_url_match("https://github.com/", url);
	long path = remote_auth_url_match("https://github.com/acme/", url);
	long user = remote_auth_url_match("https://x@github.com/acme/", url);
	long wild = remote_auth_url_match("https://*.com/acme/calls.git", url);

	CHECK(path > host, "a longer path is more specific");
	CHECK(user > path, "a named user is more specific, the rest equal");
	CHECK(host > wild, "a host without a wildcard beats a longer path");
}

int main(void)
{
	test_applies();
	test_does_not_apply();
	test_specific();
	return finish();
}
