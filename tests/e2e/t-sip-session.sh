#!/usr/bin/env bash
# gitdial-sip mid-call (issue 20): session timers (RFC 4028) both ways,
# hold relayed between the legs (RFC 3725 §4), requests outside any
# dialog answered as RFC 3261 says, a SIP-I multipart answer. sipp plays the trunk and the agent
# (tests/sip/); every call runs at once, each section waits for its own.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

call_start refresh "$SIPDIR/rcp-refresh.xml" "$SIPDIR/agent-answer.xml" "" ""
call_start uacref "$SIPDIR/rcp-uac-refresher.xml" "$SIPDIR/agent-answer.xml" "-timeout 60s" "-timeout 60s"
call_start seexp "$SIPDIR/rcp-se-expire.xml" "$SIPDIR/agent-answer.xml" "-timeout 60s" "-timeout 60s"
call_start agtref "$SIPDIR/rcp-answer-bye.xml" "$SIPDIR/agent-refresh.xml" "-d 1500" ""
call_start hold "$SIPDIR/rcp-hold.xml" "$SIPDIR/agent-hold.xml" "" ""
call_start stray "$SIPDIR/rcp-stray.xml" - "" ""
call_start sipi "$SIPDIR/rcp-sipi.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start nocontact "$SIPDIR/rcp-2xx-nocontact.xml" - "" ""
call_start fork "$SIPDIR/rcp-fork.xml" "$SIPDIR/agent-answer.xml" "" ""
call_start prack "$SIPDIR/rcp-100rel.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""

# --- the trunk refreshes: same-SDP re-INVITE, bodiless UPDATE, OPTIONS -----------
call_end refresh
expect_eq "trunk's refreshes: sipp passed (Supported: timer sent; 200 with the agent's SDP, interval echoed; UPDATE 200; OPTIONS 200)" \
	"0 0" "$RCP_RC $AGT_RC"
expect_eq "trunk's refreshes: the call ends as the recipient's hang-up, not an error" \
	"hangup recipient_hangup" "$(jget "$OUT" outcome reason)"
expect_eq "trunk messages" "INVITE 200 ACK INVITE 200 ACK UPDATE 200 OPTIONS 200 BYE 200 " "$(msgs refresh_rcp)"
ok_if "the refresh was answered locally: the agent saw no re-INVITE" \
	test "$(grep -c '^INVITE ' "$TMP/refresh_agent.msg")" = 1

# --- the agent refreshes (FreeSWITCH/Asterisk default) ----------------------------
call_end agtref
expect_eq "the agent's same-SDP re-INVITE: 200 with the trunk's SDP, interval echoed (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
expect_eq "the trunk saw no re-INVITE (the refresh was answered locally)" \
	"INVITE 180 200 ACK BYE 200 " "$(msgs agtref_rcp)"

# --- hold from the agent, relayed to the trunk ----------------------------------
call_end hold
expect_eq "hold relayed: both sipp passed (a=sendonly reached the trunk, a=recvonly the agent)" \
	"0 0" "$RCP_RC $AGT_RC"
expect_eq "agent messages" "INVITE 200 ACK INVITE 100 200 ACK BYE 200 " "$(msgs hold_agent)"

# --- strays ----------------------------------------------------------------------
call_end stray
expect_eq "out-of-dialog OPTIONS 200, unknown-dialog BYE 481, then busy" \
	"0 busy" "$RCP_RC $(jget "$OUT" outcome)"

# --- SIP-I: the SDP inside a multipart/mixed 200 ---------------------------------
call_end sipi
expect_eq "SIP-I multipart 200: the SDP part offered to the agent, its answer in the ACK (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "the agent's INVITE carries only the SDP, not the ISUP part" \
	eval "grep -q '^m=audio 6000' '$TMP/sipi_agent.msg' && ! grep -q 'isup\|unique-boundary' '$TMP/sipi_agent.msg'"

# --- a reliable 183: PRACKed, then the call goes on ----------------------------------
call_end prack
expect_eq "reliable 183: PRACK (RAck 1 n INVITE), then answered and bridged (sipp passed)" \
	"0 0 hangup INVITE 183 PRACK 200 200 ACK BYE 200 " \
	"$RCP_RC $AGT_RC $(jget "$OUT" outcome) $(msgs prack_rcp)"

# --- 2xx that make no dialog of ours: still ACKed, then BYE ------------------------
call_end nocontact
expect_eq "a 200 without Contact: ACKed, its dialog ended (BYE), failed/bad_2xx" \
	"0 failed bad_2xx" "$RCP_RC $(jget "$OUT" outcome error.code)"
call_end fork
expect_eq "a second fork's 200: ACKed and ended with a BYE; the first fork's call goes on" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"

# --- we are the refresher ---------------------------------------------------------
call_end uacref 50
expect_eq "refresher=uac: we sent an UPDATE with the interval before it expired" \
	"0 0 UPDATE" "$RCP_RC $AGT_RC $(msgs uacref_rcp | grep -o UPDATE | head -1)"

call_end seexp 50
expect_eq "the trunk was to refresh and did not: BYE to both legs before expiry" \
	"0 0 connected session_expired" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "ended after 27 s, not at max_call_s" test "$(jget "$OUT" duration_s)" -ge 26 -a "$(jget "$OUT" duration_s)" -le 29

ok_if "no sanitizer report from any gitdial-sip process" san_clean
finish
