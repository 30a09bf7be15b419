#!/usr/bin/env bash
# gitdial-sip and early media (issue 20): our INVITE says Supported:
# 100rel (RFC 3262); a reliable 183 carrying SDP carries the offer to our
# offerless INVITE (RFC 3261 §13.2.1), so its PRACK carries the answer
# (every stream declined: nobody listens before the answer), the 200 is
# ACKed without a body and an offerless re-INVITE fetches the offer the
# agent gets; early media then busy; a refused re-INVITE; an unreliable
# 183 with SDP. And first responses over 8 KB (UDP, TCP) and over
# libre's 64 KB TCP cap.
# sipp plays the trunk and the agent (tests/sip/), a python peer for the
# 70 KB message (sipp takes none that big).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${BIG_PID:-}" ] && kill "$BIG_PID" "${BIG1_PID:-}" 2>/dev/null; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

call_start early "$SIPDIR/rcp-early-media.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start ebusy "$SIPDIR/rcp-early-busy.xml" - "" ""
call_start ecancel "$SIPDIR/rcp-early-cancel.xml" - "" "" ring_timeout_s=2
call_start eunrel "$SIPDIR/rcp-early-unreliable.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start erefuse "$SIPDIR/rcp-early-refuse.xml" - "" ""
call_start efork "$SIPDIR/rcp-early-fork.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
# first responses over 8 KB: UDP (9 KB), TCP (20 KB); 70 KB over TCP
pad() { head -c "$1" /dev/zero | tr '\0' x; }
sed "s/@PAD@/$(pad 9000)/" "$SIPDIR/rcp-big-first.xml" >"$TMP/rcp-big-udp.xml"
sed "s/@PAD@/$(pad 20000)/" "$SIPDIR/rcp-big-first.xml" >"$TMP/rcp-big-tcp.xml"
call_start bigudp "$TMP/rcp-big-udp.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start bigtcp "$TMP/rcp-big-tcp.xml" "$SIPDIR/agent-answer.xml" "-t t1 -d 300" "" 'account.trunk.transport="tcp"'
# an offer of about 2 KB: the agent's INVITE is over 1,300 bytes, so TCP
# (RFC 3261 §18.1.1); to an agent on TCP, and to one on UDP only (refused,
# then UDP)
awk -v pad="$(pad 50)" '{print} /^      a=rtpmap:0 PCMU\/8000/ { for (i = 1; i <= 30; i++) printf "      a=x-pad-%d:%s\n", i, pad }' \
	"$SIPDIR/rcp-answer-bye.xml" >"$TMP/rcp-big-sdp.xml"
sed 's|Contact: <sip:agent@\[local_ip\]:\[local_port\]>|Contact: <sip:agent@[local_ip]:[local_port];transport=[transport]>|' \
	"$SIPDIR/agent-answer.xml" >"$TMP/agent-answer-tcp.xml"
call_start sdptcp "$TMP/rcp-big-sdp.xml" "$TMP/agent-answer-tcp.xml" "-d 300" "-t t1"
call_start sdpudp "$TMP/rcp-big-sdp.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
# a python peer: sipp's scenario parser takes no 70 KB message
port_pick bigport
mkdir -p "$TMP/toobig/spool"
"$PY" "$SIPDIR/tcp-big.py" "$bigport" 70000 "$TMP/toobig/conn" 20 & BIG_PID=$!
poll 5 port_bound tcp "$bigport" || echo "# tcp-big.py did not start"
req "$TMP/toobig/req.json" "$bigport" 9 'account.trunk.transport="tcp"'
GITDIAL_SPOOL=$TMP/toobig/spool "$SIP" dial <"$TMP/toobig/req.json" >"$TMP/toobig/dial"
# the same as the very first response: nothing on the connection to watch
port_pick bigport1
mkdir -p "$TMP/toobig1/spool"
"$PY" "$SIPDIR/tcp-big.py" "$bigport1" 70000 "$TMP/toobig1/conn" 45 none & BIG1_PID=$!
poll 5 port_bound tcp "$bigport1" || echo "# tcp-big.py did not start"
req "$TMP/toobig1/req.json" "$bigport1" 9 'account.trunk.transport="tcp"'
GITDIAL_SPOOL=$TMP/toobig1/spool "$SIP" dial <"$TMP/toobig1/req.json" >"$TMP/toobig1/dial"

# --- a reliable 183 with the offer, then answered ------------------------------------
call_end early
expect_eq "reliable 183 with SDP: sipp passed (Supported: 100rel; PRACK answer declines m=audio 7000; ACK of the 200 bodiless; offerless re-INVITE; its ACK the agent's answer)" \
	"0 0" "$RCP_RC $AGT_RC"
expect_eq "trunk messages: 183 and a reliable 180 PRACKed, 200 ACKed, re-INVITE for the offer" \
	"INVITE 183 PRACK 200 180 PRACK 200 200 ACK INVITE 200 ACK BYE 200 " "$(msgs early_rcp)"
expect_eq "the agent got the re-INVITE's offer (m=audio 6000), never the early one (7000)" \
	"1 0" "$(grep -c '^m=audio 6000' "$TMP/early_agent.msg") $(grep -c '^m=audio 7000' "$TMP/early_agent.msg")"
expect_eq "answered after early media: an answered call, ended by the recipient, sip_code 200" \
	"hangup recipient_hangup true 200" "$(jget "$OUT" outcome reason connected sip_code)"

# --- a reliable 183 with the offer, then 486 -----------------------------------------
call_end ebusy
expect_eq "early media then 486: busy, not connected, not answered (sipp passed: PRACK declined the offer)" \
	"0 busy false false 486" "$RCP_RC $(jget "$OUT" outcome connected answered sip_code)"
expect_eq "early media then 486: trunk messages" "INVITE 183 PRACK 200 486 ACK " "$(msgs ebusy_rcp)"

# --- a reliable 183 with the offer, then the ring timeout ---------------------------
call_end ecancel
expect_eq "early media then the ring timeout: CANCEL, 487 ACKed, no_answer ring_timeout, not answered (sipp passed)" \
	"0 no_answer ring_timeout false INVITE 183 PRACK 200 CANCEL 200 487 ACK " \
	"$RCP_RC $(jget "$OUT" outcome reason answered) $(msgs ecancel_rcp)"

# --- early media, then the trunk refuses the re-INVITE for an offer ------------------
call_end erefuse
expect_eq "re-INVITE refused after early media: failed, transient, reoffer_refused, connected but not answered" \
	"failed transient reoffer_refused not_bridged true false" \
	"$(jget "$OUT" outcome error.kind error.code reason connected answered)"
expect_eq "the refused call's leg was ended with a BYE (sipp passed)" \
	"0 INVITE 183 PRACK 200 200 ACK INVITE 488 ACK BYE 200 " "$RCP_RC $(msgs erefuse_rcp)"

# --- early media from one fork, the answer from another -------------------------------
call_end efork
expect_eq "early media from fork 1, the 200 from fork 2: its own offer bridged, ACKed with the answer (sipp passed)" \
	"0 0 INVITE 183 PRACK 200 200 ACK BYE 200 " "$RCP_RC $AGT_RC $(msgs efork_rcp)"
expect_eq "forked answer: an answered call ended by the recipient" \
	"hangup recipient_hangup" "$(jget "$OUT" outcome reason)"

# --- an unreliable 183 with SDP ---------------------------------------------------------
call_end eunrel
expect_eq "unreliable 183 with SDP: not PRACKed, the 200's offer bridged (sipp passed)" \
	"0 0 INVITE 183 200 ACK BYE 200 " "$RCP_RC $AGT_RC $(msgs eunrel_rcp)"
expect_eq "unreliable 183: the agent got the 200's offer, not the 183's" \
	"1 0" "$(grep -c '^m=audio 6000' "$TMP/eunrel_agent.msg") $(grep -c '^m=audio 7000' "$TMP/eunrel_agent.msg")"
expect_eq "unreliable 183: answered call ended by the recipient" \
	"hangup recipient_hangup" "$(jget "$OUT" outcome reason)"

# --- a large offer to the agent: over TCP (RFC 3261 §18.1.1) -------------------------
call_end sdptcp
expect_eq "a 2 KB offer: the agent's INVITE went over TCP, bridged (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "the agent got it over TCP, its request URI saying so" \
	eval "grep -q '^Via: SIP/2.0/TCP' '$TMP/sdptcp_agent.msg' && grep -q '^INVITE sip:agent@127.0.0.1:[0-9]*;transport=tcp SIP/2.0' '$TMP/sdptcp_agent.msg'"
expect_eq "the agent got the whole 2 KB offer" "30" "$(grep -c '^a=x-pad-' "$TMP/sdptcp_agent.msg")"
call_end sdpudp
expect_eq "an agent on UDP only: TCP refused, the INVITE again over UDP, bridged (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "the fallback to UDP is in the call's log" grep -q 'the agent over TCP: .*again over UDP' "$SPOOL"/.sip/*.log

# --- first responses over 8 KB, and over the TCP cap ---------------------------------
call_end bigudp
expect_eq "a 9 KB 200 as the first response over UDP (no 1xx before it): bridged (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "the 9 KB 200 was sent as one datagram of more than 8,192 bytes" \
	test "$(grep -c '^X-Pad: x\{9000\}' "$TMP/bigudp_rcp.msg")" -ge 1
call_end bigtcp
expect_eq "a 20 KB 200 as the first response over TCP: bridged (sipp passed)" \
	"0 0 hangup recipient_hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "that call went over TCP" grep -q '^Via: SIP/2.0/TCP' "$TMP/bigtcp_rcp.msg"
SPOOL=$TMP/toobig/spool
OUT=""
poll 30 spool_has_outcome "$SPOOL" && OUT=$(spool_outcome "$SPOOL")
wait "$BIG_PID"
expect_eq "a 200 over 65,536 bytes over TCP: failed, transient, response_too_large (not no_answer, not unreachable)" \
	"failed transient response_too_large false" "$(jget "$OUT" outcome error.kind error.code connected)"
ok_if "its message names the cap" grep -q '65536 bytes' <<<"$(jget "$OUT" error.message)"
expect_eq "the trunk saw its connection closed" "closed" "$(cat "$TMP/toobig/conn" 2>/dev/null)"
SPOOL=$TMP/toobig1/spool
OUT=""
poll 45 spool_has_outcome "$SPOOL" && OUT=$(spool_outcome "$SPOOL")
expect_eq "a first response over 65,536 bytes over TCP: bounded by Timer B (trunk_unreachable), never no_answer" \
	"failed transient trunk_unreachable false" "$(jget "$OUT" outcome error.kind error.code connected)"
wait "$BIG1_PID"

ok_if "no sanitizer report from any call process" san_clean
finish
