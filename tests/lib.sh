# Sourced by every tests/e2e/t-*.sh (git's t/test-lib.sh in small).
# Each test prints "ok N - what" or "not ok N - what"; the script ends
# with `finish`, which prints "N passed, N failed" and sets the exit code.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${GITDIAL_BIN:-$TOP/build-san/bin}
[ -x "$BIN/gitdial" ] || BIN=$TOP/build/bin
GITDIAL=$BIN/gitdial
export PATH="$BIN:$PATH"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=${TMPDIR:-/tmp}
T_N=0 T_PASS=0 T_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitdial-test.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT
# What an operator allows outside the repository (SECURITY.md): secret
# files under $TMP, the names the tests' env: references use, and the fake
# providers and web servers on 127.0.0.1 (http:// is allowed only there).
export GITDIAL_SECRETS_DIR=$TMP
export GITDIAL_ENV_ALLOW=GITDIAL_,TWILIO_,TELNYX_,WHATSAPP_,SIP_,TW_,TX_,WA_,AG_,AGENT_
export GITDIAL_ALLOWED_HOSTS=127.0.0.1
export GITDIAL_AGENT_HOSTS=agent.example.com # the agent the tests' configs name
# Commands that write refuse --now outside tests (docs/commands.md).
export GITDIAL_TEST_ALLOW_NOW=1

# ok_if DESC CMD...: passes when CMD exits 0.
ok_if() {
	local desc=$1; shift
	T_N=$((T_N + 1))
	if "$@" >"$TMP/.out" 2>&1; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $desc"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $desc"
		sed 's/^/#   /' "$TMP/.out" | head -30
	fi
}
# expect_eq DESC WANT GOT
expect_eq() {
	T_N=$((T_N + 1))
	if [ "$2" = "$3" ]; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		echo "#   want: $2"; echo "#   got:  $3"
	fi
}
# expect_grep DESC PATTERN FILE
expect_grep() {
	T_N=$((T_N + 1))
	if grep -qE -- "$2" "$3"; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		echo "#   no line matching: $2"; sed 's/^/#   /' "$3" | head -20
	fi
}
finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
# new_repo DIR: a campaign repository from the init template.
new_repo() {
	"$GITDIAL" init "$1" >/dev/null
}
# drafts_repo DIR: an init repository whose only campaigns are the
# drafts (the two samples that would dial are removed), committed.
drafts_repo() {
	new_repo "$1" >/dev/null &&
		rm -rf "$1/campaigns/ramadan-survey" "$1/campaigns/nov-reminders" &&
		git_commit_all "$1" "only the drafts"
}
AUDIT="/usr/bin/python3 $TOP/tests/tools/audit.py"

# git_commit_all REPO MSG: commit the work tree (tests may use git; the product does not).
git_commit_all() {
	git -C "$1" add -A && git -C "$1" commit -qm "$2"
}

# schedule REPO ID START: status scheduled with start_at START, committed.
schedule() {
	/usr/bin/python3 - "$1/campaigns/$2/campaign.json" "$3" <<'PY'
import json, sys
p, start = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["status"] = "scheduled"
c["start_at"] = start
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
	git_commit_all "$1" "schedule $2"
}

# set_status REPO ID STATUS: edit the desired status and commit.
set_status() {
	/usr/bin/python3 - "$1/campaigns/$2/campaign.json" "$3" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = sys.argv[2]
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
	git_commit_all "$1" "$3 $2"
}

# add_campaign REPO ID N AREA [CONCURRENCY] [RETRIES]: a generated campaign of N
# recipients with numbers +1 AREA 55x xxxx, all-day window, retries on
# no_answer/busy/voicemail with a 10 minute cool-down.
add_campaign() {
	local repo=$1 id=$2 n=$3 area=$4 conc=${5:-10} retries=${6:-2}
	mkdir -p "$repo/campaigns/$id"
	/usr/bin/python3 - "$repo/campaigns/$id" "$n" "$area" "$conc" "$retries" <<'PY'
import json, sys
d, n, area, conc, retries = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(d + "/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in range(n):
        f.write("+1%s55%05d,Person %d\n" % (area, i, i))
json.dump({"name": "Generated " + d.rsplit("/", 1)[1], "status": "draft", "account": "sim-main",
           "script": {"mode": "override", "text": "Hello {{name}}."},
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": conc,
                      "retries": {"max": retries, "cooldown_minutes": 10,
                                  "on": ["no_answer", "busy", "voicemail"]}}},
          open(d + "/campaign.json", "w"), indent=2)
PY
	git_commit_all "$repo" "add $id"
}

# minutes_after T0 N: RFC 3339 time N minutes after T0 (bash builtins only:
# it runs once per tick in long simulations).
declare -A _T0_EPOCH
minutes_after() {
	local e=${_T0_EPOCH[$1]:-}
	if [ -z "$e" ]; then
		e=$(date -u -d "$1" +%s)
		_T0_EPOCH[$1]=$e
	fi
	TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T\n' $((e + $2 * 60))
}
