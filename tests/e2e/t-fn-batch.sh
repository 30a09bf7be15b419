#!/usr/bin/env bash
# The batch protocol of a function (`gitdial-<provider> ACTION --batch
# [--parallel N]`: lines SEQ<TAB>JSON in, SEQ<TAB>JSON out as each call
# ends) against the fake Twilio, and the runner's side of it: a function
# process that dies in the middle of a batch.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_SPOOL=$TMP/spool
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
fake_ctl "$TW_URL" /_control/config '{"caller_ids":["+14155550100"],
	"deliver":{"https://hooks.example.com/gd":"http://127.0.0.1:'"$(free_port)"'"}}' >/dev/null
fault() { fake_ctl "$TW_URL" /_control/faults "$1" >/dev/null; }

# batch FILE N FIRST [SEQ0]: N dial request lines to FILE for distinct
# numbers +1415555FIRST.. (SEQ from SEQ0, default 0)
batch() {
	"$PY" - "$@" "$TW_URL" <<'EOF'
import json, sys
out, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seq0 = int(sys.argv[4]) if len(sys.argv) > 5 else 0
api = sys.argv[-1]
with open(out, "w") as f:
    for i in range(n):
        to = "+1415555%04d" % (first + i)
        r = {"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
             "attempt_id": "batch.%d.1" % (first + i), "campaign": "batch",
             "to": to, "from": "+14155550100",
             "account": {"name": "tw-main", "provider": "twilio", "api_base": api,
                         "credentials": {"account_sid": "env:TW_SID",
                                         "auth_token": "env:TW_TOKEN"}},
             "agent": {"stream_url": "wss://agent.example.com/voice"},
             "webhook_url": "https://hooks.example.com/gd/twilio",
             "script": {"mode": "override", "text": "Hello."},
             "voicemail": "hang_up", "ring_timeout_s": 25}
        f.write("%d\t%s\n" % (seq0 + i, json.dumps(r)))
EOF
}
# check REQS OUT: every SEQ of REQS answered exactly once, ok, with the
# sid of the call the fake made to that request's number; prints
# "answered ok matched in_order"
check() {
	fake_ctl "$TW_URL" /_control/calls >"$TMP/calls.json"
	"$PY" - "$1" "$2" "$TMP/calls.json" <<'EOF'
import json, sys
reqs = {}
for line in open(sys.argv[1]):
    seq, j = line.rstrip("\n").split("\t", 1)
    reqs[seq] = json.loads(j)["to"]
to_of = {c["id"]: c["to"] for c in json.load(open(sys.argv[3]))}
seen, ok, matched = [], 0, 0
for line in open(sys.argv[2]):
    seq, j = line.rstrip("\n").split("\t", 1)
    r = json.loads(j)
    seen.append(seq)
    ok += r.get("ok") is True
    matched += to_of.get(r.get("call_id")) == reqs.get(seq)
exact = sorted(seen, key=int) == sorted(reqs, key=int)
print(len(seen) if exact else "seqs differ: %s" % seen, ok, matched,
      seen == sorted(seen, key=int))
EOF
}
# overlap SINCE LAT_MS: the most creates the fake was handling at once,
# among those after request number SINCE (each busy LAT_MS from arrival)
overlap() {
	fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys
since, lat = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
at = sorted(r["at"] for r in json.load(sys.stdin)[since:] if r["op"] == "create")
print(max(sum(1 for b in at if a <= b < a + lat - 0.005) for a in at))' "$1" "$2"
}
nreq() { fake_ctl "$TW_URL" /_control/requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# --- 20 at once, finishing out of order: each SEQ gets its own answer
batch "$TMP/b1.in" 20 100
fault '{"create":["latency:900","latency:700","latency:500","latency:300"],"latency_ms":100}'
n0=$(nreq)
ok_if "20 requests in one batch, 20 at once: exit 0" \
	sh -c "gitdial-twilio dial --batch --parallel 20 <'$TMP/b1.in' >'$TMP/b1.out' 2>>'$TMP/stderr'"
read -r answered ok matched in_order <<<"$(check "$TMP/b1.in" "$TMP/b1.out")"
expect_eq "every SEQ answered exactly once" 20 "$answered"
expect_eq "every dial ok" 20 "$ok"
expect_eq "each answer carries the sid of the call made to its own number" 20 "$matched"
expect_eq "the answers came in the order they finished, not the input's" False "$in_order"
i=0
while IFS=$'\t' read -r _ j; do printf '%s\n' "$j" >"$TMP/b1.$i.json"; i=$((i + 1)); done <"$TMP/b1.out"
ok_if "every response line matches function-response.schema.json" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP"/b1.*.json
o=$(overlap "$n0" 100)
ok_if "they ran side by side at the fake ($o at once)" test "$o" -gt 4

# --- --parallel 1 is one at a time
batch "$TMP/b2.in" 5 200
fault '{"latency_ms":150}'
n0=$(nreq)
gitdial-twilio dial --batch --parallel 1 <"$TMP/b2.in" >"$TMP/b2.out" 2>>"$TMP/stderr"
read -r answered ok matched in_order <<<"$(check "$TMP/b2.in" "$TMP/b2.out")"
expect_eq "--parallel 1: all 5 answered, ok, matched" "5 5 5" "$answered $ok $matched"
expect_eq "--parallel 1: at most one create at the fake at a time" 1 "$(overlap "$n0" 150)"
expect_eq "--parallel 1: answered in input order" True "$in_order"

# --- bad lines get their error, the others go on
batch "$TMP/b3.ok" 3 300 10
{
	head -1 "$TMP/b3.ok"
	printf 'no seq here\n'
	printf '20\tnot json\n'
	printf '21\t[1,2]\n'
	printf '22\t%s\n' '{"v":1,"action":"status","attempt_id":"batch.1.1"}'
	sed -n 2p "$TMP/b3.ok"
	printf '23\t'; head -c 1100000 /dev/zero | tr '\0' x; printf '\n'
	printf '0123456789012345678901234567890\t{}\n'
	sed -n 3p "$TMP/b3.ok"
} >"$TMP/b3.in"
fault '{"latency_ms":0}'
ok_if "a batch with bad lines: exit 0" \
	sh -c "gitdial-twilio dial --batch --parallel 4 <'$TMP/b3.in' >'$TMP/b3.out' 2>'$TMP/b3.err'"
ans() { awk -F'\t' -v s="$1" '$1 == s { print $2 }' "$TMP/b3.out" >"$TMP/.ans"; err_kind "$TMP/.ans"; }
expect_eq "not JSON: rejected bad_request" "rejected bad_request" "$(ans 20)"
expect_eq "JSON but not an object: rejected bad_request" "rejected bad_request" "$(ans 21)"
expect_eq "another action than the batch's: rejected bad_request" "rejected bad_request" "$(ans 22)"
expect_eq "a line over 1 MiB: rejected too_large" "rejected too_large" "$(ans 23)"
expect_eq "the good ones still dial (SEQ 10 11 12)" "10 11 12" \
	"$(grep '"ok":true' "$TMP/b3.out" | cut -f1 | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "one line each for the 7 with a SEQ, none for the others" 7 "$(wc -l <"$TMP/b3.out")"
expect_eq "the lines without SEQ<TAB> are named on stderr" 2 "$(grep -c 'without SEQ<TAB>' "$TMP/b3.err")"

# --- EOF with calls still running: they finish before the exit
batch "$TMP/b4.in" 4 400
fault '{"latency_ms":400}'
ok_if "EOF while 4 calls wait 400 ms on the fake: exit 0" \
	sh -c "gitdial-twilio dial --batch --parallel 4 <'$TMP/b4.in' >'$TMP/b4.out' 2>>'$TMP/stderr'"
expect_eq "and all 4 were answered first" "4 4 4" \
	"$(check "$TMP/b4.in" "$TMP/b4.out" | cut -d' ' -f1-3)"
fault '{"latency_ms":0}'

# --- usage
gitdial-twilio dial --batch --parallel 0 </dev/null >/dev/null 2>&1
expect_eq "--parallel 0 is a usage error" 2 $?
gitdial-twilio dial --batch --parallel 257 </dev/null >/dev/null 2>&1
expect_eq "--parallel over 256 is a usage error" 2 $?
gitdial-twilio dial --batch </dev/null >"$TMP/b5.out" 2>&1
expect_eq "an empty batch: exit 0, nothing written" "0 0" "$? $(wc -c <"$TMP/b5.out")"

# --- sanitizers: a batch with threads, leak checks on
ok_if "a 4-request batch on 4 threads with leak checks on: clean" sh -c "
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 gitdial-twilio dial --batch --parallel 5 \
		<'$TMP/b4.in' >'$TMP/b6.out' 2>'$TMP/b6.err' && test \$(wc -l <'$TMP/b6.out') = 4"

# --- the runner: a function process that dies in the middle of a batch
# gitdial's own directory is where the tick finds gitdial-<provider>:
# a copy of gitdial beside a gitdial-sim that hands the first 6 of the
# tick's dials to the real one, passes on 3 answers (plus one for an
# unknown SEQ and one twice), and is then killed, or kills the runner
# (the flag file says which).
mkdir -p "$TMP/bin"
cp "$BIN/gitdial" "$TMP/bin/gitdial"
cat >"$TMP/bin/gitdial-sim" <<EOF
#!$PY
import os, signal, subprocess, sys
real, flag = "$BIN/gitdial-sim", "$TMP/crash-next-dial"
if sys.argv[1:2] != ["dial"] or not os.path.exists(flag):
    os.execv(real, [real] + sys.argv[1:])
who = open(flag).read().strip()
os.unlink(flag)
want = int(open("$TMP/expect-dials").read())
child = subprocess.Popen([real] + sys.argv[1:], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
lines = [sys.stdin.buffer.readline() for _ in range(want)]
child.stdin.write(b"".join(lines[:6]))
child.stdin.close()
got = [child.stdout.readline() for _ in range(6)]
child.wait()
sys.stdout.buffer.write(b"".join(got[:3]) + got[0] +
                        b'99999\t{"ok":true,"call_id":"SIMbogus"}\n')
sys.stdout.flush()
os.kill(os.getppid() if who == "runner" else os.getpid(), signal.SIGKILL)
EOF
chmod +x "$TMP/bin/gitdial-sim"
T0=2026-11-24T14:00:00Z
echo 10 >"$TMP/expect-dials"
# mid_repo DIR: a campaign of 30, two ticks in (10 at once)
mid_repo() {
	new_repo "$1" >/dev/null
	rm -rf "$1/campaigns/ramadan-survey" "$1/campaigns/nov-reminders"
	add_campaign "$1" mid 30 212 10 1
	schedule "$1" mid $T0
	"$TMP/bin/gitdial" tick --repo "$1" --now $T0 >/dev/null 2>>"$TMP/stderr"
	"$TMP/bin/gitdial" tick --repo "$1" --now "$(minutes_after $T0 1)" >/dev/null 2>>"$TMP/stderr"
}
# to_the_end DIR: ticks until the campaign completes; the tick number
to_the_end() {
	local i out
	for i in $(seq 6 400); do
		out=$("$TMP/bin/gitdial" tick --repo "$1" --now "$(minutes_after $T0 $((i * 2)))" --format json 2>>"$TMP/stderr") || return 1
		case $out in *'"status":"completed"'*) echo "$i"; return 0 ;; esac
	done
	return 1
}
R=$TMP/repo
mid_repo "$R"
echo self >"$TMP/crash-next-dial"
ok_if "the tick whose function dies mid-batch finishes (exit 0)" sh -c \
	"'$TMP/bin/gitdial' tick --repo '$R' --now '$(minutes_after $T0 5)' --format json >'$TMP/t.json' 2>'$TMP/t.err'"
ok_if "the crashing function was used (its flag is gone)" test ! -e "$TMP/crash-next-dial"
expect_eq "10 dispatched, the 3 answers recorded placed, nothing failed" "10 3 0" \
	"$(jv "$TMP/t.json" '" ".join(str(sum(c[k] for c in d["campaigns"])) for k in ("dispatched","placed","failed"))')"
expect_grep "the answer for an unknown SEQ is ignored, and said" 'unknown SEQ 99999' "$TMP/t.err"
expect_grep "the second answer for a SEQ is ignored, and said" 'an answered or unsent SEQ' "$TMP/t.err"
expect_grep "the function's end is said, with the calls it left" \
	'gitdial-sim ended \(signal 9\) with 7 calls unanswered' "$TMP/t.err"
ok_if "the campaign still completes" to_the_end "$R"
ok_if "no double dial, every row accounted for, events once" $AUDIT "$R" mid --complete
expect_eq "the 4 never handed over were resolved as never placed" 4 \
	"$(git -C "$R" grep -h '"code":"claimed_not_placed"' HEAD -- outcomes | wc -l)"
ok_if "git fsck is clean" git -C "$R" fsck --strict

# --- the runner killed while its batch is in flight (3 answers read)
R=$TMP/repo2
mid_repo "$R"
echo runner >"$TMP/crash-next-dial"
"$TMP/bin/gitdial" tick --repo "$R" --now "$(minutes_after $T0 5)" >/dev/null 2>&1 &
wait $! 2>/dev/null
expect_eq "the runner was killed mid-batch" 137 $?
ok_if "the crashing function was used (its flag is gone)" test ! -e "$TMP/crash-next-dial"
ok_if "the campaign still completes" to_the_end "$R"
ok_if "no double dial, every row accounted for, events once" $AUDIT "$R" mid --complete
expect_eq "the 4 never handed over were resolved as never placed, the 6 dialed were not" 4 \
	"$(git -C "$R" grep -h '"code":"claimed_not_placed"' HEAD -- outcomes | wc -l)"
ok_if "git fsck is clean" git -C "$R" fsck --strict
expect_eq "the checkout is clean" "" "$(git -C "$R" status --porcelain)"
finish
