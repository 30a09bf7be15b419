#!/usr/bin/env bash
# gitdial-sip's digest recovery (issue 20): a stale nonce answered with
# the new one, two challengers (proxy 407, then registrar 401) answered
# together, a challenged BYE answered. sipp plays the trunk and the
# agent; every digest in the traces is recomputed here (RFC 7616). Also
# our Contact after the trunk's Via says received/rport (RFC 3581).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

call_start stale "$SIPDIR/rcp-auth-stale.xml" - "" ""
call_start two "$SIPDIR/rcp-auth-two.xml" - "" ""
call_start nat "$SIPDIR/rcp-nat.xml" - "" ""
call_start byeauth "$SIPDIR/rcp-bye-auth.xml" "$SIPDIR/agent-answer-bye.xml" "" "-d 1000"

call_end stale
expect_eq "stale=true: the INVITE sent again with the new nonce, then busy (not an auth failure)" \
	"0 busy INVITE 401 ACK INVITE 401 ACK INVITE 486 ACK " \
	"$RCP_RC $(jget "$OUT" outcome) $(msgs stale_rcp)"
ok_if "stale: every digest is right (n1, then n2)" digests_check "$TMP/stale_rcp.msg"

call_end two
expect_eq "407 then 401: both challengers answered, then busy" \
	"0 busy INVITE 407 ACK INVITE 401 ACK INVITE 486 ACK " \
	"$RCP_RC $(jget "$OUT" outcome) $(msgs two_rcp)"
ok_if "two challengers: every digest is right (MD5 for the proxy, SHA-256 for the registrar)" \
	digests_check "$TMP/two_rcp.msg"
ok_if "the last INVITE carries both credentials" \
	test "$(digests_check "$TMP/two_rcp.msg" | tail -2 | awk '{print $2}' | sort | tr '\n' ' ')" = "gitdial.test proxy.test "

call_end nat
expect_eq "behind a NAT: the INVITE after the 401 names the received/rport address in its Contact (sipp passed)" \
	"0 busy" "$RCP_RC $(jget "$OUT" outcome)"

call_end byeauth
expect_eq "challenged BYE: answered with credentials, the trunk's leg ended (sipp passed)" \
	"0 0 INVITE 180 200 ACK BYE 407 BYE 200 " "$RCP_RC $AGT_RC $(msgs byeauth_rcp)"
ok_if "challenged BYE: the digest is right" digests_check "$TMP/byeauth_rcp.msg"

ok_if "no sanitizer report from any gitdial-sip process" san_clean
finish
