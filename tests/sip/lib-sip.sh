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
