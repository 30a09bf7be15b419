#!/usr/bin/env bash
# gitdial-sip and early media (issue 20): our INVITE says Supported:
# 100rel (RFC 3262); a reliable 183 carrying SDP carries the offer to our
# offerless INVITE (RFC 3261 §13.2.1), so its PRACK carries the answer
# (every stream declined: nobody listens before the answer), the 200 is
# ACKed without a body and an offerless re-INVITE fetches the offer the
# agent gets; early media then busy; an unreliable 183 with SDP. And
# first responses over 8 KB (UDP, TCP) and over libre's 64 KB TCP cap.
# sipp plays the trunk and the agent (tests/sip/).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

call_start early "$SIPDIR/rcp-early-media.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start ebusy "$SIPDIR/rcp-early-busy.xml" - "" ""
call_start eunrel "$SIPDIR/rcp-early-unreliable.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""

# --- a reliable 183 with the offer, then answered ------------------------------------
call_end early
expect_eq "reliable 183 with SDP: sipp passed (Supported: 100rel; PRACK answer declines m=audio 7000; ACK of the 200 bodiless; offerless re-INVITE; its ACK the agent's answer)" \
	"0 0" "$RCP_RC $AGT_RC"
expect_eq "trunk messages: 183 PRACKed, 200 ACKed, re-INVITE for the offer" \
	"INVITE 183 PRACK 200 200 ACK INVITE 200 ACK BYE 200 " "$(msgs early_rcp)"
expect_eq "the agent got the re-INVITE's offer (m=audio 6000), never the early one (7000)" \
	"1 0" "$(grep -c '^m=audio 6000' "$TMP/early_agent.msg") $(grep -c '^m=audio 7000' "$TMP/early_agent.msg")"
expect_eq "answered after early media: an answered call, ended by the recipient, sip_code 200" \
	"hangup recipient_hangup true 200" "$(jget "$OUT" outcome reason connected sip_code)"

# --- a reliable 183 with the offer, then 486 -----------------------------------------
call_end ebusy
expect_eq "early media then 486: busy, not connected, not answered (sipp passed: PRACK declined the offer)" \
	"0 busy false false 486" "$RCP_RC $(jget "$OUT" outcome connected answered sip_code)"
expect_eq "early media then 486: trunk messages" "INVITE 183 PRACK 200 486 ACK " "$(msgs ebusy_rcp)"

# --- an unreliable 183 with SDP ---------------------------------------------------------
call_end eunrel
expect_eq "unreliable 183 with SDP: not PRACKed, the 200's offer bridged (sipp passed)" \
	"0 0 INVITE 183 200 ACK BYE 200 " "$RCP_RC $AGT_RC $(msgs eunrel_rcp)"
expect_eq "unreliable 183: the agent got the 200's offer, not the 183's" \
	"1 0" "$(grep -c '^m=audio 6000' "$TMP/eunrel_agent.msg") $(grep -c '^m=audio 7000' "$TMP/eunrel_agent.msg")"
expect_eq "unreliable 183: answered call ended by the recipient" \
	"hangup recipient_hangup" "$(jget "$OUT" outcome reason)"

ok_if "no sanitizer report from any call process" san_clean
finish
