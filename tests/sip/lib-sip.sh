# Helpers for the SIP tests (sourced after tests/lib.sh): sipp peers on
# 127.0.0.1, started and waited for by the test, and bounded polls (no
# sleeps as synchronisation).
SIPDIR=$TOP/tests/sip
PY=/usr/bin/python3
command -v sipp >/dev/null || { echo "Bail out! sipp is not installed (apt-get install sip-tester)"; exit 1; }

# port_pick VAR [STEP]: sets VAR to a port nothing is bound to now,
# STEP apart from the next pick (sipp's media port uses the ones above
# it). ss, no python: the machine is shared and a python start costs a
# lot under load. Not $(...): the counter must move in this shell.
SIP_NEXT_PORT=$((20000 + RANDOM % 30000))
port_pick() {
	while ss -Han "sport = :$SIP_NEXT_PORT" 2>/dev/null | grep -q .; do
		SIP_NEXT_PORT=$((SIP_NEXT_PORT + 1))
	done
	printf -v "$1" %s "$SIP_NEXT_PORT"
	SIP_NEXT_PORT=$((SIP_NEXT_PORT + ${2:-1}))
}

# port_bound udp|tcp PORT: true once something listens on it.
port_bound() {
	ss -H"$([ "$1" = udp ] && echo u || echo t)"ln "sport = :$2" | grep -q .
}

# poll SECONDS CMD...: runs CMD every 50 ms until it succeeds (0) or the
# time is up (1).
poll() {
	local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	until "$@"; do
		[ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
		sleep 0.05
	done
}

# sipp_start NAME SCENARIO PORT [sipp args...]: a sipp UAS on 127.0.0.1
# (UDP unless args say -t t1), its message trace in $TMP/NAME.msg; sets
# SIPP_PID_<NAME>. Returns once it listens.
sipp_start() {
	local name=$1 sf=$2 port=$3 proto=udp a mp
	shift 3
	for a in "$@"; do [ "$a" = t1 ] && proto=tcp; done
	port_pick mp 8
	sipp -sf "$sf" -i 127.0.0.1 -p "$port" -mp "$mp" -m 1 \
		-nostdin -timeout 25s -timeout_error -trace_msg \
		-message_file "$TMP/$name.msg" -trace_err \
		-error_file "$TMP/$name.err" "$@" >"$TMP/$name.out" 2>&1 &
	eval "SIPP_PID_$name=$!"
	poll 5 port_bound "$proto" "$port" || { echo "# sipp $name did not start"; cat "$TMP/$name.out" | tail -5; }
}

# sipp_wait NAME: waits for that sipp (bounded by its -timeout), prints
# its exit code.
sipp_wait() {
	local pid rc
	eval "pid=\${SIPP_PID_$1:-}"
	[ -n "$pid" ] || { echo none; return; }
	wait "$pid"; rc=$?
	eval "SIPP_PID_$1="
	echo "$rc"
}

# sipp_kill_all: stops the sipp processes this test started (by pid).
sipp_kill_all() {
	local v pid
	for v in $(compgen -v SIPP_PID_); do
		eval "pid=\${$v}"
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	return 0
}

# spool_outcome SPOOL: prints the spooled outcome event (one file), if any.
spool_outcome() {
	"$PY" - "$1" <<'EOF'
import glob, json, os, sys
for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    e = json.load(open(p))
    if e.get("event") == "outcome":
        print(json.dumps(e, sort_keys=True)); break
else:
    sys.exit(1)
EOF
}

# spool_event SPOOL EVENT: prints the first spooled event of that kind.
spool_event() {
	"$PY" - "$1" "$2" <<'EOF'
import glob, json, os, sys
for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    e = json.load(open(p))
    if e.get("event") == sys.argv[2]:
        print(json.dumps(e, sort_keys=True)); break
else:
    sys.exit(1)
EOF
}

# final_xml CODE REASON [HEADER]: writes $TMP/final-CODE.xml, the trunk
# answering CODE REASON (with one extra header line), prints its path.
final_xml() {
	local out=$TMP/final-$1.xml
	if [ -n "${3:-}" ]; then
		sed "s/@CODE@/$1/; s/@REASON@/$2/; s|@HDR@|$3|" "$SIPDIR/rcp-final.xml" >"$out"
	else
		sed "s/@CODE@/$1/; s/@REASON@/$2/; /@HDR@/d" "$SIPDIR/rcp-final.xml" >"$out"
	fi
	echo "$out"
}

# spool_has_outcome SPOOL: an outcome event has been spooled (no python:
# this is polled).
spool_has_outcome() {
	grep -qs '"event":"outcome"' "$1"/*.json
}

# jget JSON PATH...: fields of a JSON text (a.b.c), space-separated, ""
# for an absent one; one python for all of them.
jget() {
	"$PY" -c 'import json,sys
try:
    j = json.loads(sys.argv[1])
except ValueError:
    j = {}
out = []
for p in sys.argv[2:]:
    v = j
    for k in p.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    out.append("" if v is None else (json.dumps(v) if isinstance(v, (bool, dict, list)) else str(v)))
print(" ".join(out))' "$@"
}

# sip_procs_gone SPOOL: every detached gitdial-sip of this spool has
# exited (a zombie, State Z, has exited too).
sip_procs_gone() {
	local f pid st
	for f in "$1"/.sip/*.json; do
		[ -e "$f" ] || continue
		pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$f")
		[ -n "$pid" ] || continue
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
		[ -z "$st" ] || [ "$st" = Z ] || return 1
	done
	return 0
}

# --- dialing gitdial-sip against sipp peers (t-sip-*.sh) ---
SIP=$BIN/gitdial-sip
export SIP_USER=alice SIP_PASS="s3cret pass"
N=0

# req FILE TRUNK_PORT AGENT_PORT [key=JSON ...]: a dial request.
req() {
	"$PY" - "$@" <<'EOF'
import json, sys
out, tport, aport = sys.argv[1], sys.argv[2], sys.argv[3]
r = {"v": 1, "action": "dial", "now": "2026-11-24T15:00:00Z",
     "attempt_id": "sipcamp.15551230001.1", "campaign": "sipcamp",
     "to": "+15551230001", "from": "+12125550100",
     "account": {"name": "sip-trunk", "provider": "sip",
                 "caller_ids": ["+12125550100"],
                 "credentials": {"username": "env:SIP_USER", "password": "env:SIP_PASS"},
                 "trunk": {"proxy": "sip:127.0.0.1:%s" % tport}},
     "agent": {"sip_uri": "sip:agent@127.0.0.1:%s" % aport},
     "ring_timeout_s": 5, "language": "en", "disclosure": None}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    d = r
    ks = k.split(".")
    for x in ks[:-1]:
        d = d.setdefault(x, {})
    if v == "DELETE":
        d.pop(ks[-1], None)
    else:
        d[ks[-1]] = json.loads(v)
json.dump(r, open(out, "w"))
EOF
}

# call_start NAME RCP_XML AGENT_XML|- "rcp sipp args" "agent sipp args" [req k=v ...]
# Starts the sipp peers and dials (which returns at once); the calls of
# several call_starts run at the same time.
call_start() {
	local name=$1 rx=$2 ax=$3 rargs=$4 aargs=$5 tport aport
	shift 5
	mkdir -p "$TMP/$name/spool"
	port_pick tport
	port_pick aport
	[ "$ax" != - ] && sipp_start "${name}_agent" "$ax" "$aport" $aargs
	sipp_start "${name}_rcp" "$rx" "$tport" $rargs
	req "$TMP/$name/req.json" "$tport" "$aport" "$@"
	if [ -n "${DIAL_IGNORING_TERM:-}" ]; then
		# as from a runner that ignores SIGTERM (inherited through exec)
		GITDIAL_SPOOL=$TMP/$name/spool bash -c 'trap "" TERM; exec "$0" dial' "$SIP" \
			<"$TMP/$name/req.json" >"$TMP/$name/dial"
	else
		GITDIAL_SPOOL=$TMP/$name/spool "$SIP" dial <"$TMP/$name/req.json" >"$TMP/$name/dial"
	fi
}

# call_end NAME [SECONDS]: waits (30 s, or SECONDS) for the call's
# outcome, its sipp peers and its process; sets DIAL (the dial response),
# OUT (the spooled outcome event), RCP_RC / AGT_RC (sipp exit codes) and
# SPOOL.
call_end() {
	local name=$1
	SPOOL=$TMP/$name/spool
	DIAL=$(cat "$TMP/$name/dial")
	OUT=""
	poll "${2:-30}" spool_has_outcome "$SPOOL" && OUT=$(spool_outcome "$SPOOL")
	RCP_RC=$(sipp_wait "${name}_rcp")
	AGT_RC=$(sipp_wait "${name}_agent")
	poll 15 sip_procs_gone "$SPOOL" || echo "# $name: the call's process is still running"
}

# call: call_start and call_end of one call.
call() {
	call_start "$@"
	call_end "$1"
}

# msgs NAME: the first lines (request/status lines) of every message sipp saw or sent.
msgs() {
	grep -E '^(INVITE|ACK|BYE|CANCEL|UPDATE|OPTIONS|PRACK|INFO|SIP/2.0) ' "$TMP/$1.msg" | awk '{print $1 == "SIP/2.0" ? $2 : $1}' | tr '\n' ' '
}

# san_clean: no sanitizer report from any gitdial-sip process (their
# stderr is the call's log beside the spool).
san_clean() {
	! grep -l -E 'Sanitizer|runtime error' "$TMP"/*/spool/.sip/*.log 2>/dev/null
}


# digests_check TRACE: recomputes every Authorization / Proxy-Authorization
# digest of the requests in a sipp message trace (user alice, password
# "s3cret pass"; MD5 or SHA-256, qop auth or none, RFC 7616) and prints
# "METHOD realm nonce" for each; fails on the first that does not match.
digests_check() {
	"$PY" - "$1" <<'PYEOF'
import hashlib, re, sys
method = None
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip("\r\n")
    m = re.match(r"^([A-Z]+) (sip:\S+) SIP/2\.0$", line)
    if m:
        method = m.group(1)
        continue
    m = re.match(r"^(?:Proxy-)?Authorization: Digest (.*)$", line)
    if not m or not method:
        continue
    p = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|[^, ]+)', m.group(1)))
    alg = hashlib.sha256 if p.get("algorithm") == "SHA-256" else hashlib.md5
    H = lambda s: alg(s.encode()).hexdigest()
    ha1 = H("alice:%s:s3cret pass" % p["realm"])
    ha2 = H("%s:%s" % (method if method != "ACK" else "INVITE", p["uri"]))
    if p.get("qop") == "auth":
        want = H(":".join([ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2]))
    else:
        want = H(":".join([ha1, p["nonce"], ha2]))
    if p["response"] != want:
        print("bad digest for %s realm %s" % (method, p["realm"]))
        sys.exit(1)
    print(method, p["realm"], p["nonce"])
PYEOF
}
