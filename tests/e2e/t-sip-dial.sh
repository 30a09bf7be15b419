#!/usr/bin/env bash
# gitdial-sip against sipp on 127.0.0.1: one sipp is the trunk and the
# recipient behind it, one is the voice agent (scenarios in tests/sip/).
# Each call: dial answers at once with the SIP Call-ID, the detached
# process spools the outcome; we check the mapped outcome / error kind,
# sipp's exit code (its scenario checks the messages it receives: no SDP
# in the trunk INVITE, the agent's answer in the ACK, the offer in the
# agent's INVITE, a valid MD5 digest) and the messages in its trace.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

# Every call below runs at the same time (each is its own pair of sipp
# peers and its own spool); each section then waits for its own.
export SIP_WRONG=wrong
for c in 486:Busy_Here 480:Temporarily_Unavailable 404:Not_Found 403:Forbidden \
	 503:Service_Unavailable; do
	r=${c#*:}
	sed "s/@CODE@/${c%%:*}/; s/@REASON@/${r//_/ }/; /@HDR@/d" "$SIPDIR/rcp-final.xml" >"$TMP/final-${c%%:*}.xml"
done
sed 's/@CODE@/401/; s/@REASON@/Unauthorized/; s/@HDR@/WWW-Authenticate/; s/@ALG@/MD5/' \
	"$SIPDIR/rcp-auth.xml" >"$TMP/auth-md5.xml"
call_start answer "$SIPDIR/rcp-answer-bye.xml" "$SIPDIR/agent-answer.xml" "-d 5200" ""
call_start agentbye "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer-bye.xml" "" "-d 1000"
for code in 486 480 404 403 503; do
	call_start "f$code" "$TMP/final-$code.xml" - "" ""
done
call_start ring "$SIPDIR/rcp-ring-forever.xml" - "" "" ring_timeout_s=1
call_start md5 "$TMP/auth-md5.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start md5wrong "$TMP/auth-md5.xml" - "" "" account.credentials.password='"env:SIP_WRONG"'
call_start sha "$SIPDIR/rcp-auth-sha256.xml" "$SIPDIR/agent-answer.xml" "-d 300" ""
call_start refuse "$SIPDIR/rcp-answer-declined.xml" "$SIPDIR/agent-refuse.xml" "" ""
call_start slow "$SIPDIR/rcp-answer-bye.xml" "$SIPDIR/agent-slow.xml" "-d 300" ""

# --- answered, the recipient hangs up after 5.2 s: connected -------------
call_end answer
cid=$(jget "$DIAL" call_id)
expect_eq "dial answers at once with the SIP Call-ID" "true" "$(jget "$DIAL" ok)"
ok_if "the call id is the Call-ID the trunk saw" grep -q "^Call-ID: $cid" "$TMP/answer_rcp.msg"
expect_eq "outcome connected after the recipient's BYE (>= 5 s)" \
	"connected 5 true 200 recipient_hangup" \
	"$(jget "$OUT" outcome duration_s connected sip_code reason)"
expect_eq "the outcome is keyed by the attempt and call id" "sipcamp.15551230001.1 $cid 2026-11-24T15:00:05Z" \
	"$(jget "$OUT" attempt_id call_id ts)"
expect_eq "sipp trunk/recipient: scenario passed (offerless INVITE, answer in the ACK)" 0 "$RCP_RC"
expect_eq "sipp agent: scenario passed (offer in the INVITE, gitdial headers), BYE received" 0 "$AGT_RC"
expect_eq "trunk messages" "INVITE 180 200 ACK BYE 200 " "$(msgs answer_rcp)"
expect_eq "agent messages" "INVITE 100 200 ACK BYE 200 " "$(msgs answer_agent)"
ok_if "the ACK to the recipient carries the agent's SDP answer" \
	awk '/^ACK /{a=1} a&&/^m=audio 6002/{f=1} END{exit !f}' "$TMP/answer_rcp.msg"
st=$(echo "{\"v\":1,\"action\":\"status\",\"now\":\"2026-11-24T15:10:00Z\",\"attempt_id\":\"sipcamp.15551230001.1\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" |
	GITDIAL_SPOOL=$SPOOL "$SIP" status)
expect_eq "status of the ended call: completed, with its outcome" "true completed connected" \
	"$(jget "$st" found state outcome.outcome)"
st=$(echo '{"v":1,"action":"status","now":"2026-11-24T15:10:00Z","attempt_id":"sipcamp.15551230001.1","call_id":null,"account":{"name":"sip-trunk","provider":"sip"}}' |
	GITDIAL_SPOOL=$SPOOL "$SIP" status)
expect_eq "status by attempt id (call id unknown) finds the call" "true $cid" "$(jget "$st" found call_id)"
st=$(echo '{"v":1,"action":"status","now":"2026-11-24T15:10:00Z","attempt_id":"sipcamp.15551239999.1","call_id":null,"account":{"name":"sip-trunk","provider":"sip"}}' |
	GITDIAL_SPOOL=$SPOOL "$SIP" status)
expect_eq "status of an attempt never dialed: not found" "true false" "$(jget "$st" ok found)"
r=$(GITDIAL_SPOOL=$SPOOL "$SIP" dial <"$TMP/answer/req.json")
expect_eq "a second dial of the same attempt returns the same call, no new INVITE" \
	"$cid 1" "$(jget "$r" call_id) $(grep -c '^INVITE ' "$TMP/answer_rcp.msg")"

# --- answered, the agent hangs up after 1 s ---------------------------------
call_end agentbye
expect_eq "agent's BYE: short call is hangup, ended by the agent" "hangup true agent_hangup" \
	"$(jget "$OUT" outcome connected reason)"
expect_eq "sipp both sides passed" "0 0" "$RCP_RC $AGT_RC"
expect_eq "the recipient got the BYE" "INVITE 180 200 ACK BYE 200 " "$(msgs agentbye_rcp)"

# --- final responses from the trunk -----------------------------------------
for c in "486 Busy_Here busy -" "480 Temporarily_Unavailable no_answer -" \
	 "404 Not_Found failed invalid_number" "403 Forbidden failed account" \
	 "503 Service_Unavailable failed transient"; do
	set -- $c
	call_end "f$1"
	kind=$(jget "$OUT" error.kind)
	expect_eq "$1 ${2//_/ }: outcome $3, error kind $4" "$3 ${4/-/} $1" \
		"$(jget "$OUT" outcome) $kind $(jget "$OUT" sip_code)"
	expect_eq "$1: sipp saw INVITE, sent 100 and $1, got the ACK" "0 INVITE 100 $1 ACK " \
		"$RCP_RC $(msgs "f${1}_rcp")"
done
expect_eq "dial did not wait for the busy phone: it answered ok" "true" "$(jget "$DIAL" ok)"

# --- ring forever: CANCEL only after the 180, 487 -> no_answer --------------
call_end ring
expect_eq "ring timeout: no_answer (487 after our CANCEL)" "no_answer 487 ring_timeout" \
	"$(jget "$OUT" outcome sip_code reason)"
expect_eq "trunk messages: INVITE 180 CANCEL 200 487 ACK" "0 INVITE 180 CANCEL 200 487 ACK " \
	"$RCP_RC $(msgs ring_rcp)"

# --- hangup while ringing ------------------------------------------------------
port_pick tport
mkdir -p "$TMP/hang/spool"
SPOOL=$TMP/hang/spool
sipp_start hang_rcp "$SIPDIR/rcp-ring-forever.xml" "$tport"
req "$TMP/hang/req.json" "$tport" 9 ring_timeout_s=60
DIAL=$(GITDIAL_SPOOL=$SPOOL "$SIP" dial <"$TMP/hang/req.json")
cid=$(jget "$DIAL" call_id)
ringing() {
	[ "$(jget "$(echo "{\"v\":1,\"action\":\"status\",\"now\":\"2026-11-24T15:00:01Z\",\"attempt_id\":\"sipcamp.15551230001.1\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" |
		GITDIAL_SPOOL=$SPOOL "$SIP" status)" state)" = ringing ]
}
ok_if "status says ringing while the phone rings" poll 10 ringing
r=$(echo "{\"v\":1,\"action\":\"hangup\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" | GITDIAL_SPOOL=$SPOOL "$SIP" hangup)
expect_eq "hangup by Call-ID is accepted" "true" "$(jget "$r" ok)"
poll 15 spool_outcome "$SPOOL" >/dev/null
OUT=$(spool_outcome "$SPOOL")
expect_eq "hangup while ringing: CANCEL, no_answer" "no_answer 487 hangup_requested" \
	"$(jget "$OUT" outcome sip_code reason)"
expect_eq "trunk saw the CANCEL" "0 INVITE 180 CANCEL 200 487 ACK " "$(sipp_wait hang_rcp) $(msgs hang_rcp)"
poll 15 sip_procs_gone "$SPOOL"
r=$(echo "{\"v\":1,\"action\":\"hangup\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" | GITDIAL_SPOOL=$SPOOL "$SIP" hangup)
expect_eq "hangup of an ended call is fine" "true" "$(jget "$r" ok)"
r=$(echo '{"v":1,"action":"hangup","call_id":"../../x","account":{"name":"sip-trunk","provider":"sip"}}' | GITDIAL_SPOOL=$SPOOL "$SIP" hangup)
expect_eq "hangup of a Call-ID that is not ours: refused" "false bad_call_id" "$(jget "$r" ok error.code)"

# --- hangup of a connected call: BYE to both legs -------------------------------
call_start hangup2 "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer.xml" "" ""
cid=$(jget "$(cat "$TMP/hangup2/dial")" call_id)
SPOOL=$TMP/hangup2/spool
in_progress() {
	[ "$(jget "$(echo "{\"v\":1,\"action\":\"status\",\"now\":\"2026-11-24T15:00:01Z\",\"attempt_id\":\"sipcamp.15551230001.1\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" |
		GITDIAL_SPOOL=$SPOOL "$SIP" status)" state)" = in_progress ]
}
ok_if "status says in_progress once answered" poll 10 in_progress
r=$(echo "{\"v\":1,\"action\":\"hangup\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" | GITDIAL_SPOOL=$SPOOL "$SIP" hangup)
call_end hangup2
expect_eq "hangup of a connected call: BYE to both, outcome says why" "true hangup true hangup_requested" \
	"$(jget "$r" ok) $(jget "$OUT" outcome connected reason)"
expect_eq "both sipp peers got their BYE" "0 0 BYE BYE" \
	"$RCP_RC $AGT_RC $(grep -c '^BYE ' "$TMP/hangup2_rcp.msg" | sed 's/1/BYE/') $(grep -c '^BYE ' "$TMP/hangup2_agent.msg" | sed 's/1/BYE/')"

# --- the call's process dies mid-call: status says lost, never "ringing" forever ----
call_start killed "$SIPDIR/rcp-answer.xml" "$SIPDIR/agent-answer.xml" "" ""
cid=$(jget "$(cat "$TMP/killed/dial")" call_id)
SPOOL=$TMP/killed/spool
ok_if "status says in_progress once answered" poll 10 in_progress
pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$SPOOL/.sip/$cid.json")
kill -9 "$pid"
poll 10 sip_procs_gone "$SPOOL"
st=$(echo "{\"v\":1,\"action\":\"status\",\"now\":\"2026-11-24T16:00:00Z\",\"attempt_id\":\"sipcamp.15551230001.1\",\"call_id\":\"$cid\",\"account\":{\"name\":\"sip-trunk\",\"provider\":\"sip\"}}" |
	GITDIAL_SPOOL=$SPOOL "$SIP" status)
expect_eq "status after kill -9: completed, failed, error kind lost" "true completed failed lost" \
	"$(jget "$st" found state outcome.outcome outcome.error.kind)"
kill "$SIPP_PID_killed_rcp" "$SIPP_PID_killed_agent" 2>/dev/null
wait "$SIPP_PID_killed_rcp" "$SIPP_PID_killed_agent" 2>/dev/null
SIPP_PID_killed_rcp= SIPP_PID_killed_agent=

# --- digest: 401 MD5 (sipp verifies), wrong password, 407 SHA-256 -------------
call_end md5
expect_eq "401 MD5: answered after the digest (sipp's verifyauth accepted it)" "0 0 hangup" \
	"$RCP_RC $AGT_RC $(jget "$OUT" outcome)"
expect_eq "401 MD5: trunk messages" "INVITE 401 ACK INVITE 200 ACK BYE 200 " "$(msgs md5_rcp)"
ok_if "the second INVITE has Authorization with algorithm=MD5, qop=auth, nc=00000001" \
	grep -qE '^Authorization: Digest username="alice", realm="gitdial.test", .*algorithm=MD5, qop=auth, nc=00000001' "$TMP/md5_rcp.msg"
ok_if "the ACK of the 2xx carries the INVITE's credentials" \
	awk '/^ACK sip:recipient/{a=1} a&&/^Authorization: Digest/{f=1} END{exit !f}' "$TMP/md5_rcp.msg"
mkdir -p "$TMP/md5bad/spool"
req "$TMP/md5bad/req.json" 9 9 account.credentials.password='"env:SIP_UNSET_PASSWORD"'
r=$(GITDIAL_SPOOL=$TMP/md5bad/spool "$SIP" dial <"$TMP/md5bad/req.json")
expect_eq "credentials that do not resolve: dial fails with kind auth" "false auth" \
	"$(jget "$r" ok error.kind)"
call_end md5wrong
expect_eq "a wrong password: 403 after the digest -> failed, kind account, with a hint" "failed account 403 true" \
	"$(jget "$OUT" outcome error.kind sip_code) $([ -n "$(jget "$OUT" error.hint)" ] && echo true)"
call_end sha
expect_eq "407 SHA-256: answered" "0 0 hangup" "$RCP_RC $AGT_RC $(jget "$OUT" outcome)"
ok_if "407 SHA-256: Proxy-Authorization matches an independent RFC 7616 computation" \
	"$PY" - "$TMP/sha_rcp.msg" <<'EOF'
import hashlib, re, sys
t = open(sys.argv[1]).read()
m = re.search(r'^Proxy-Authorization: Digest (.*)$', t, re.M)
p = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|[^, ]+)', m.group(1)))
H = lambda s: hashlib.sha256(s.encode()).hexdigest()
ha1 = H("alice:%s:s3cret pass" % p["realm"])
ha2 = H("INVITE:%s" % p["uri"])
want = H(":".join([ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2]))
assert p["algorithm"] == "SHA-256" and p["response"] == want, (p, want)
EOF

# --- the agent refuses: the recipient leg is ended cleanly ---------------------
call_end refuse
expect_eq "agent 486: failed, transient, agent_486" "failed transient agent_486 true" \
	"$(jget "$OUT" outcome error.kind error.code connected)"
expect_eq "sipp both passed (the recipient's ACK declined the offer: m=audio 0)" "0 0" "$RCP_RC $AGT_RC"
expect_eq "recipient: 200 ACKed, then BYE" "INVITE 200 ACK BYE 200 " "$(msgs refuse_rcp)"
expect_eq "agent: INVITE, 486, ACK" "INVITE 486 ACK " "$(msgs refuse_agent)"

# --- a slow agent: the recipient's 200 is retransmitted, the ACK waits ----------
call_end slow
expect_eq "slow agent: bridged, then ended by the recipient" "0 0 hangup recipient_hangup" \
	"$RCP_RC $AGT_RC $(jget "$OUT" outcome reason)"
ok_if "the recipient's 200 was retransmitted before the one ACK (held for the agent's answer)" \
	awk '/^SIP\/2.0 200 OK/ && !ack {n++} /^ACK /{ack++} END{exit !(n >= 2 && ack == 1)}' "$TMP/slow_rcp.msg"

# --- TCP transport ------------------------------------------------------------
N=$((N + 1))
port_pick tport
port_pick aport
SPOOL=$TMP/tcp/spool
mkdir -p "$SPOOL"
sipp_start tcp_agent "$SIPDIR/agent-answer.xml" "$aport"
sipp_start tcp_rcp "$SIPDIR/rcp-answer-bye.xml" "$tport" -t t1 -d 300
req "$TMP/tcp/req.json" "$tport" "$aport" 'account.trunk={"proxy":"sip:127.0.0.1:'"$tport"'","transport":"tcp"}'
DIAL=$(GITDIAL_SPOOL=$SPOOL "$SIP" dial <"$TMP/tcp/req.json")
poll 20 spool_outcome "$SPOOL" >/dev/null
OUT=$(spool_outcome "$SPOOL")
expect_eq "trunk over TCP: answered and ended" "0 0 hangup" \
	"$(sipp_wait tcp_rcp) $(sipp_wait tcp_agent) $(jget "$OUT" outcome)"
ok_if "the INVITE went over TCP" grep -q '^Via: SIP/2.0/TCP' "$TMP/tcp_rcp.msg"
poll 15 sip_procs_gone "$SPOOL"

# --- bad requests fail before anything is sent ------------------------------------
mkdir -p "$TMP/bad/spool"
req "$TMP/bad/r1.json" 9 9 account.trunk='{"proxy":"http://x"}'
r=$(GITDIAL_SPOOL=$TMP/bad/spool "$SIP" dial <"$TMP/bad/r1.json")
expect_eq "a bad trunk: rejected, naming the field" "rejected true" \
	"$(jget "$r" error.kind) $(jget "$r" error.message | grep -q trunk.proxy && echo true)"
req "$TMP/bad/r2.json" 9 9 agent='{"stream_url":"wss://a.example.com"}'
r=$(GITDIAL_SPOOL=$TMP/bad/spool "$SIP" dial <"$TMP/bad/r2.json")
expect_eq "no agent.sip_uri: rejected" "rejected no_agent_uri" "$(jget "$r" error.kind error.code)"
ok_if "nothing was spooled or started for bad requests" \
	"$PY" -c 'import glob,sys; sys.exit(len(glob.glob(sys.argv[1] + "/.sip/*.json")))' "$TMP/bad/spool"

ok_if "no sanitizer report from any gitdial-sip process" san_clean
finish
