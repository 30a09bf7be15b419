#!/usr/bin/env bash
# gitdial-sip against trunks that misbehave the way real carriers do
# (issue 20): a dead or filtering trunk, account-level refusals, 603/607,
# the trunk's Reason header. sipp plays the trunk and the agent (tests/
# sip/), a small python peer where sipp cannot (a trunk that never
# answers). Every call runs at once; each section waits for its own.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

# --- start everything ---------------------------------------------------------
# a UDP port nothing listens on: the kernel answers ICMP port unreachable
port_pick dead
mkdir -p "$TMP/dead/spool"
req "$TMP/dead/req.json" "$dead" 9
GITDIAL_SPOOL=$TMP/dead/spool "$SIP" dial <"$TMP/dead/req.json" >"$TMP/dead/dial"
# a trunk that swallows every datagram: Timer B, no response at all
port_pick sink
mkdir -p "$TMP/sink/spool"
"$PY" "$SIPDIR/udp-sink.py" "$sink" "$TMP/sink/count" 45 & SINK_PID=$!
poll 5 port_bound udp "$sink"
req "$TMP/sink/req.json" "$sink" 9 ring_timeout_s=60
GITDIAL_SPOOL=$TMP/sink/spool "$SIP" dial <"$TMP/sink/req.json" >"$TMP/sink/dial"

call_start f603 "$(final_xml 603 Decline)" - "" ""
call_start f607 "$(final_xml 607 Unwanted)" - "" ""
call_start f402 "$(final_xml 402 Payment_Required)" - "" ""
call_start f421 "$(final_xml 421 Extension_Required 'Require: 100rel')" - "" ""
call_start f503 "$(final_xml 503 Service_Unavailable 'Retry-After: 120')" - "" ""
call_start f480 "$(final_xml 480 Temporarily_Unavailable 'Reason: Q.850;cause=19;text="No answer from user"')" - "" ""
call_start noauth "$(final_xml 401 Unauthorized 'WWW-Authenticate: Digest realm="t", nonce="abc", algorithm=MD5')" - "" "" \
	account.credentials=DELETE

# a 200 OK of more than 8,192 bytes over UDP (a long header), after a 180
pad=$(head -c 9000 /dev/zero | tr '\0' x)
awk -v pad="$pad" '{print} /^      Contact: <sip:recipient/ && ++n == 2 {print "      X-Pad: " pad}' \
	"$SIPDIR/rcp-answer-bye.xml" >"$TMP/rcp-big.xml"
call_start big "$TMP/rcp-big.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start stall "$SIPDIR/rcp-answer-declined.xml" "$SIPDIR/agent-stall.xml" "" ""
call_start nocancel "$SIPDIR/rcp-ignore-cancel.xml" - "-timeout 60s" "" ring_timeout_s=1
call_start term "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer.xml" "" ""
# the runner (or a shell) ignoring SIGTERM must not make the call deaf to it
DIAL_IGNORING_TERM=1 call_start termign "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer.xml" "" ""
call_start stuck "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer.xml" "" ""

# status_of NAME NOW: the status answer for NAME's call at NOW.
status_of() {
	local cid
	cid=$(jget "$(cat "$TMP/$1/dial")" call_id)
	echo "{\"v\":1,\"action\":\"status\",\"now\":\"$2\",\"attempt_id\":\"sipcamp.15551230001.1\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" |
		GITDIAL_SPOOL=$TMP/$1/spool "$SIP" status
}
state_is() { [ "$(jget "$(status_of "$1" 2026-11-24T15:00:01Z)" state)" = "$2" ]; }
call_pid() {
	sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$TMP/$1/spool/.sip/$(jget "$(cat "$TMP/$1/dial")" call_id).json"
}

# two dials of one attempt at the same moment (two runners, a manual dial)
port_pick twice
mkdir -p "$TMP/twice/spool"
sipp_start twice_rcp "$(final_xml 486 Busy_Here)" "$twice"
req "$TMP/twice/req.json" "$twice" 9
DPIDS=""
for k in 1 2 3; do
	GITDIAL_SPOOL=$TMP/twice/spool "$SIP" dial <"$TMP/twice/req.json" >"$TMP/twice/dial$k" &
	DPIDS="$DPIDS $!"
done
wait $DPIDS

# --- ICMP port unreachable: a trunk failure at once, never no_answer ------------
SPOOL=$TMP/dead/spool
poll 10 spool_has_outcome "$SPOOL"
OUT=$(spool_outcome "$SPOOL")
expect_eq "dead trunk port: dial says ok (the INVITE went out)" true "$(jget "$(cat "$TMP/dead/dial")" ok)"
expect_eq "dead trunk port (ICMP unreachable): failed, transient, trunk_unreachable" \
	"failed transient trunk_unreachable trunk_unreachable false" \
	"$(jget "$OUT" outcome error.kind error.code reason answered)"
ok_if "the message names the proxy" grep -q "sip:127.0.0.1:$dead" <<<"$(jget "$OUT" error.message)"
poll 15 sip_procs_gone "$SPOOL"

# --- one attempt, three dials at once: one call ---------------------------------
SPOOL=$TMP/twice/spool
poll 15 spool_has_outcome "$SPOOL"
sipp_wait twice_rcp >/dev/null
expect_eq "three dials of one attempt at once: the trunk saw exactly one call" 1 \
	"$(grep -i '^Call-ID:' "$TMP/twice_rcp.msg" | sort -u | wc -l)"
ok_if "each dial answered that call's id, or that a dial is in progress" "$PY" - "$TMP/twice" <<'PYEOF2'
import json, sys
ids, other = set(), []
for k in (1, 2, 3):
    r = json.load(open("%s/dial%d" % (sys.argv[1], k)))
    if r.get("ok"):
        ids.add(r["call_id"])
    elif r["error"]["code"] != "dial_in_progress" or r["error"]["kind"] != "ambiguous":
        other.append(r)
assert len(ids) == 1 and not other, (ids, other)
PYEOF2

# --- 603 / 607 / 402 / 421 / 503 / Reason ------------------------------------------
call_end f603
expect_eq "603 Decline: failed, kind declined (final for the recipient, not no_answer)" \
	"failed declined 603 0" "$(jget "$OUT" outcome error.kind sip_code) $RCP_RC"
ok_if "603: no opt-out event" test -z "$(spool_event "$SPOOL" analysis)"
call_end f607
expect_eq "607 Unwanted: failed, kind declined, reason unwanted" \
	"failed declined unwanted 607" "$(jget "$OUT" outcome error.kind reason sip_code)"
AN=$(spool_event "$SPOOL" analysis)
expect_eq "607: an opt-out event of the agent's shape (ingest adds the number to dnc/)" \
	"true sipcamp.15551230001.1 sipcamp $(jget "$OUT" call_id)" \
	"$(jget "$AN" opt_out attempt_id campaign call_id)"
call_end f402
expect_eq "402: kind account (pauses the campaign), with a hint" \
	"failed account 402 true" \
	"$(jget "$OUT" outcome error.kind error.code) $([ -n "$(jget "$OUT" error.hint)" ] && echo true)"
call_end f421
expect_eq "421 Extension Required: kind account" "failed account extension_required" \
	"$(jget "$OUT" outcome error.kind reason)"
ok_if "421: the message says what the trunk requires" grep -q 'Require: 100rel' <<<"$(jget "$OUT" error.message)"
call_end f503
expect_eq "503: transient" "failed transient 503" "$(jget "$OUT" outcome error.kind sip_code)"
ok_if "503: Retry-After is in the message" grep -q 'Retry-After: 120 s' <<<"$(jget "$OUT" error.message)"
expect_eq "503: Retry-After as error.retry_after_s" 120 "$(jget "$OUT" error.retry_after_s)"
call_end f480
expect_eq "480 with a Reason header: no_answer, the Reason recorded" \
	'no_answer Q.850;cause=19;text="No answer from user"' "$(jget "$OUT" outcome sip_reason)"
call_end noauth
expect_eq "401 with no credentials configured: kind account" "failed account auth_failed" \
	"$(jget "$OUT" outcome error.kind reason)"

# --- a 9 KB 200 OK over UDP: read whole, not dropped ------------------------------
call_end big
expect_eq "a 200 OK over 8,192 bytes (UDP): answered and bridged (sipp passed)" \
	"0 0 hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome)"

# --- timers: the agent stalls after 100, a CANCEL is ignored ---------------------
call_end stall
expect_eq "agent stalled after 100: failed, agent_timeout, connected but not answered" \
	"failed transient agent_timeout true false" \
	"$(jget "$OUT" outcome error.kind error.code connected answered)"
expect_eq "agent stalled: sipp both passed (offer declined in the ACK, BYE)" "0 0" "$RCP_RC $AGT_RC"
expect_eq "the stalled agent got a CANCEL" "INVITE 100 CANCEL 200 487 ACK " "$(msgs stall_agent)"
ok_if "the recipient's 200 was ACKed before its BYE" \
	awk '/^ACK /{a=1} /^BYE /{exit !a}' "$TMP/stall_rcp.msg"

# --- SIGTERM ends a connected call: BYE to both legs ---------------------------------
ok_if "term: in progress" poll 10 state_is term in_progress
ok_if "termign: in progress" poll 10 state_is termign in_progress
kill -TERM "$(call_pid term)" "$(call_pid termign)"
for n in term termign; do
	call_end $n
	expect_eq "$n: SIGTERM on a connected call: hangup_requested, both legs got BYE" \
		"hangup_requested 0 0 1 1" \
		"$(jget "$OUT" reason) $RCP_RC $AGT_RC $(grep -c '^BYE ' "$TMP/${n}_rcp.msg") $(grep -c '^BYE ' "$TMP/${n}_agent.msg")"
	ok_if "$n: the process is gone" sip_procs_gone "$SPOOL"
done

# --- a call process that is stuck: status past its end says lost ----------------------
ok_if "stuck: in progress" poll 10 state_is stuck in_progress
pid=$(call_pid stuck)
kill -STOP "$pid"
st=$(status_of stuck 2026-11-24T15:30:00Z)
expect_eq "a stopped process within the call's limits: still in progress" "true in_progress" \
	"$(jget "$st" found state)"
st=$(status_of stuck 2026-11-25T15:00:00Z)
expect_eq "past the call's last deadline: completed, failed, lost (reconcile can close it)" \
	"true completed failed lost" "$(jget "$st" found state outcome.outcome outcome.error.kind)"
ok_if "and the stuck process was stopped" poll 10 sip_procs_gone "$TMP/stuck/spool"
sipp_kill_all

# --- a trunk that never answers: Timer B is a trunk failure -----------------------
SPOOL=$TMP/sink/spool
poll 45 spool_has_outcome "$SPOOL"
OUT=$(spool_outcome "$SPOOL")
expect_eq "silent trunk (Timer B, no 1xx): failed, transient, trunk_unreachable" \
	"failed transient trunk_unreachable" "$(jget "$OUT" outcome error.kind error.code)"
ok_if "the INVITE was retransmitted (Timer A) before giving up" \
	test "$(cat "$TMP/sink/count" 2>/dev/null || echo 0)" -ge 5
poll 15 sip_procs_gone "$SPOOL"

call_end nocancel 45
expect_eq "CANCEL taken but no 487 (no Timer C in libre): no_answer after 64*T1" \
	"no_answer ring_timeout" "$(jget "$OUT" outcome reason)"
ok_if "nocancel: the process is gone" sip_procs_gone "$SPOOL"

ok_if "no sanitizer report from any gitdial-sip process" san_clean
finish
