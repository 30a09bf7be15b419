#!/usr/bin/env bash
# A hostile or careless pull request (issue 16): validate's arguments,
# symbolic links, list and export on a campaign that cannot be read,
# terminal escapes in names, decompression bombs, and `validate --base`
# on what a PR changed. Every command runs under `timeout`.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
A=campaigns/nov-reminders
new_repo "$R" || { echo "Bail out! gitdial init failed"; exit 1; }
T0=2026-11-24T14:00:00Z

reset() { git -C "$R" reset -q --hard && git -C "$R" clean -qfdx; }
# g ARGS...: gitdial in the repo; stdout $TMP/out, stderr $TMP/err, $RC.
g() {
	(cd "$R" && timeout 60 "$GITDIAL" "$@") >"$TMP/out" 2>"$TMP/err"
	RC=$?
}
rc_is() {
	expect_eq "$1: exit $2" "$2" "$RC"
	[ "$RC" = "$2" ] || sed 's/^/#   err: /' "$TMP/err" | head -5
}
no_grep() { # no_grep DESC REGEX FILE
	T_N=$((T_N + 1))
	if grep -qE -- "$2" "$3"; then
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		grep -E -- "$2" "$3" | head -3 | sed 's/^/#   /'
	else
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	fi
}
broken_json() { echo '{"name": ' > "$R/$A/campaign.json"; }

# --- validate's arguments: a file name is never an option -------------------
g validate -- -h
rc_is "validate -- -h checks a path" 0
no_grep "validate -- -h prints no usage" "usage" "$TMP/out"
broken_json
g validate -- -h "$A/campaign.json"
rc_is "validate -- -h BROKEN: the broken file is checked" 1
g validate "$A/campaign.json" -h
rc_is "validate BROKEN -h: -h after a path is a path" 1
expect_grep "validate BROKEN -h: the error names the file" "$A/campaign.json" "$TMP/out"
g validate "$A/campaign.json" --help
rc_is "validate BROKEN --help: a path" 1
g validate -h "$A/campaign.json"
rc_is "validate -h PATH: a usage error, never a pass" 2
g validate -- --repo=/nonexistent "$A/campaign.json"
rc_is "validate -- --repo=X PATH: --repo=X is a path" 1
expect_grep "validate -- --repo=X: the repository's file was checked" \
	"$A/campaign.json" "$TMP/out"
reset
g validate -h
rc_is "validate -h alone is help" 0

# --- symbolic links: never followed, refused where read --------------------
printf 'phone,customer_name,amount,due_date\n+12125550100,SECRET-TARGET-VALUE,$1,2026-12-01\n' > "$TMP/outside.csv"
rm "$R/$A/audience.csv"
ln -s "$TMP/outside.csv" "$R/$A/audience.csv"
g validate --format github
rc_is "validate: a symlinked audience is an error" 1
expect_grep "validate: the error says symbolic link and names the file" \
	"file=$A/audience.csv.*symbolic link" "$TMP/out"
no_grep "validate: the link's target is not read" "SECRET-TARGET-VALUE" "$TMP/out"
g plan nov-reminders --now $T0
no_grep "plan: the link's target is not read" "SECRET-TARGET-VALUE" "$TMP/out"
expect_eq "plan: a symlinked audience fails" 1 "$([ $RC -ne 0 ] && echo 1 || echo 0)"
# the tick reads the same: the link is refused, nothing is dialed
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
g tick --now $T0
expect_grep "tick: a committed symlinked audience is refused with its name" \
	"$A/audience.csv.*symbolic link" "$TMP/err"
expect_eq "tick: nothing dialed from a symlinked audience" "" \
	"$(git -C "$R" ls-tree -r --name-only HEAD outcomes/nov-reminders)"
reset
git -C "$R" reset -q --hard HEAD~1

# a symlinked log segment: list shows the campaign with the error
mkdir -p "$R/outcomes/nov-reminders"
ln -s /etc/passwd "$R/outcomes/nov-reminders/2026-11-24.jsonl"
git_commit_all "$R" "a symlinked log"
g list
rc_is "list: a campaign whose log cannot be read makes the exit code 1" 1
expect_grep "list: the campaign is a row with status error" \
	"^November payment reminders .* error " "$TMP/out"
expect_grep "list: the reason is on stderr" "nov-reminders: .*symbolic link" "$TMP/err"
expect_eq "list: the other campaigns are listed" 4 "$(($(wc -l < "$TMP/out") - 1))"
g list --format json
rc_is "list --format json: exit 1" 1
expect_eq "list --format json: status error with the reason" "error symbolic" \
	"$(/usr/bin/python3 -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x["id"]=="nov-reminders"][0]; print(r["status"], "symbolic" if "symbolic link" in r["error"] else r["error"])' "$TMP/out")"
g export nov-reminders --out "$TMP/x.tgz"
rc_is "export: a symlinked log segment fails" 1
git -C "$R" reset -q --hard HEAD~1

# --- export: outcomes.csv is never silently left out ------------------------
printf 'phone,customer_name\n+12125550100,Ann\n' > "$R/$A/audience.csv"
git_commit_all "$R" "an audience without the script's columns"
g export nov-reminders --out "$TMP/x.tgz"
rc_is "export: an audience that does not load fails" 1
expect_grep "export: the error names outcomes.csv and the file" \
	"outcomes.csv cannot be made: $A/audience.csv" "$TMP/err"
expect_eq "export: no bundle written" no "$([ -e "$TMP/x.tgz" ] && echo yes || echo no)"
git -C "$R" reset -q --hard HEAD~1
broken_json
git_commit_all "$R" "a broken campaign.json"
g list
rc_is "list: a broken campaign.json is a row with the error, exit 1" 1
expect_grep "list: the broken campaign's id is its name" "^nov-reminders .* error " "$TMP/out"
git -C "$R" reset -q --hard HEAD~1

# --- terminal escapes: refused in names, escaped wherever printed -----------
set_name() { # set_name JSON-STRING-LITERAL
	/usr/bin/python3 - "$R/$A/campaign.json" "$1" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["name"] = json.loads(sys.argv[2])
json.dump(d, open(p, "w"), ensure_ascii=True, indent=2)
PY
}
for c in 'ESC:\u001b]0;pwned\u0007' 'BEL:a\u0007b' 'CR:a\rb' 'LF:Fake row\nx' 'C1:a\u009b2J'; do
	set_name "\"${c#*:}\""
	g validate
	rc_is "validate: a name with ${c%%:*} is refused" 1
	expect_grep "validate: the error names the field (${c%%:*})" \
		"campaign.json:[0-9]+: error: name: contains" "$TMP/out"
	no_grep "validate: no raw ESC/BEL/CR in its output (${c%%:*})" $'[\x1b\x07\r]' "$TMP/out"
	reset
done
/usr/bin/python3 - "$R/$A/audience.csv" <<'PY'
import sys
p = sys.argv[1]
n = open(p).readline().count(",")
open(p, "a").write("\x1b]0;pwned\x07+1212" + ",x" * n + "\n")
PY
g validate
expect_grep "validate: a bad phone with ESC is reported, escaped" '\\x1b\]0;pwned\\x07' "$TMP/out"
no_grep "validate: text output has no raw ESC" $'\x1b' "$TMP/out"
g validate --format github
no_grep "validate --format github: no raw ESC in annotations" $'\x1b' "$TMP/out"
reset
mkdir -p "$R/dnc"
printf '{"v":1,"ts":"2026-11-20T10:00:00Z","phone":"+12125550150","action":"add","reason":"\\u001b[2Jcleared","source":"a\\u0007b"}\n' > "$R/dnc/hostile.jsonl"
git_commit_all "$R" "a DNC entry with escapes"
g dnc list
expect_grep "dnc list: the entry is listed" "^\+12125550150 " "$TMP/out"
no_grep "dnc list: no raw ESC or BEL" $'[\x1b\x07]' "$TMP/out"
g dnc check +12125550150
no_grep "dnc check: no raw ESC or BEL" $'[\x1b\x07]' "$TMP/out"
git -C "$R" reset -q --hard HEAD~1
mkdir -p "$R/outcomes/nov-reminders/2026/11/24"
L=$R/outcomes/nov-reminders/2026/11/24/T150000Z-hand.jsonl
ev() { printf '{"v":1,"ts":"%s","campaign":"nov-reminders",%s}\n' "$1" "$2" >> "$L"; }
ev 2026-11-24T15:00:00Z '"event":"dispatched","attempt_id":"nov-reminders.12125550100.1","phone":"+12125550100","row":2,"attempt":1,"account":"sim-main","caller_id":"+12125550100"'
ev 2026-11-24T15:00:01Z '"event":"placed","attempt_id":"nov-reminders.12125550100.1","call_id":"CA1"'
ev 2026-11-24T15:02:00Z '"event":"outcome","attempt_id":"nov-reminders.12125550100.1","call_id":"CA1","outcome":"connected","duration_s":65,"connected":true,"answered":true,"recording_url":"https://x/\u001b]0;pwned\u0007"'
git_commit_all "$R" "a log string with escapes"
g show nov-reminders --now 2026-11-24T15:10:00Z
expect_grep "show: the outcome is shown, escaped" 'https://x/\\x1b\]0;pwned\\x07' "$TMP/out"
no_grep "show: no raw ESC or BEL" $'[\x1b\x07]' "$TMP/out"
git -C "$R" reset -q --hard HEAD~1

# --- decompression bombs: capped, with an error naming the file -------------
/usr/bin/python3 - "$R/$A" <<'PY'
import sys
head = open(sys.argv[1] + "/audience.csv", "rb").readline()
# 600 MiB of spaces after the header: past both caps, ~600 KB compressed
import zlib
z = zlib.compressobj(9, zlib.DEFLATED, 31)
out = [z.compress(head)]
block = b" " * (1 << 20)
for _ in range(600):
    out.append(z.compress(block))
out.append(z.flush())
open(sys.argv[1] + "/audience.csv.gz", "wb").write(b"".join(out))
PY
rm "$R/$A/audience.csv"
sed -i 's/"audience.csv"/"audience.csv.gz"/' "$R/$A/campaign.json"
start=$SECONDS
g validate --format github
rc_is "validate: a decompression bomb is an error" 1
expect_grep "validate: the error names the file and the cap" \
	"file=$A/audience.csv.gz::decompresses to more than" "$TMP/out"
expect_eq "validate: the bomb is refused within 30 s" 1 "$(( SECONDS - start < 30 ))"
git_commit_all "$R" "a decompression bomb"
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
g tick --now $T0
expect_grep "tick: the bomb is refused with the file's name" \
	"$A/audience.csv.gz.*decompresses to more than" "$TMP/err"
expect_eq "tick: nothing dialed from a bomb" "" \
	"$(git -C "$R" ls-tree -r --name-only HEAD outcomes/nov-reminders)"
git -C "$R" reset -q --hard HEAD~2

# --- a repository's rules may only narrow legal rows --------------------------
rules_pack() { # rules_pack ID JURISDICTION START END
	mkdir -p "$R/rules"
	cat > "$R/rules/acme.json" <<EOF
{"rules": [
 {"id": "$1", "jurisdiction": "$2", "kind": "hours",
  "hours": [{"days": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], "start": "$3", "end": "$4"}],
  "source": "https://example.com/acme", "effective": "1992-12-20", "status": "confirmed"}
]}
EOF
}
rules_pack us-tcpa US 00:00 23:59
g validate
rc_is "validate: a pack widening us-tcpa to 00:00-23:59 is refused" 1
expect_grep "validate: the error names the pack's row and the built-in one" \
	"rules/acme.json:[0-9]+: error: rules\[0\]: rule \"us-tcpa\" would widen the row it replaces \(schemas/rules/rules.json:[0-9]+\): more hours" "$TMP/out"
git_commit_all "$R" "widen us-tcpa"
schedule "$R" nov-reminders 2026-11-24T00:00:00Z
g tick --now 2026-11-24T08:00:00Z
expect_eq "tick: nobody in New York dialed at 03:00 with a widening pack" 0 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes 2>/dev/null | wc -l)"
expect_grep "tick: says the pack is refused" "rules/acme.json.*would widen" "$TMP/err"
git -C "$R" reset -q --hard HEAD~2
rules_pack us-tcpa US 09:00 20:00
g validate
rc_is "validate: a pack narrowing us-tcpa is accepted" 0
rules_pack acme-gb GB 00:00 23:59
g validate
rc_is "validate: a new country hours row wider than the default is refused" 1
expect_grep "validate: it says it would replace the default hours" \
	"rule \"acme-gb\" would replace the default hours" "$TMP/out"
reset

# --- validate --base: what a pull request changed ------------------------------
expect_grep "init writes a CODEOWNERS entry for gitdial.json" "^/gitdial.json @" "$R/.github/CODEOWNERS"
expect_grep "init writes a CODEOWNERS entry for rules/" "^/rules/ @" "$R/.github/CODEOWNERS"
expect_grep "the PR workflow runs validate --base" "gitdial validate .*--base" "$R/.github/workflows/validate.yml"
printf '{"v":1,"ts":"2026-11-21T10:00:00Z","phone":"+12125550108","action":"add","reason":"second","source":"x"}\n' >> "$R/dnc/2026.jsonl"
git_commit_all "$R" "two DNC entries"
BASE=$(git -C "$R" rev-parse HEAD)
pr_done() { git -C "$R" reset -q --hard "$BASE"; git -C "$R" clean -qfdx; }
vb() { g validate --format github --base "$BASE"; }

vb
rc_is "validate --base with no change passes" 0
printf '{"v":1,"ts":"2026-11-22T10:00:00Z","phone":"+12125550109","action":"add","reason":"third","source":"y"}\n' >> "$R/dnc/2026.jsonl"
git_commit_all "$R" "append a DNC entry"
vb
rc_is "validate --base: appending to dnc/ passes" 0
pr_done
sed -i '1d' "$R/dnc/2026.jsonl"
git_commit_all "$R" "drop a DNC entry"
vb
rc_is "validate --base: deleting a DNC entry is refused" 1
expect_grep "validate --base: names the file and line of the deleted entry" \
	"::error file=dnc/2026.jsonl,line=1::edits or deletes an existing line" "$TMP/out"
pr_done
sed -i 's/"second"/"changed"/' "$R/dnc/2026.jsonl"
git_commit_all "$R" "edit a DNC entry"
vb
rc_is "validate --base: editing a DNC entry is refused" 1
expect_grep "validate --base: the edited line is named" \
	"::error file=dnc/2026.jsonl,line=2::edits or deletes" "$TMP/out"
pr_done
git -C "$R" rm -q dnc/2026.jsonl && git -C "$R" commit -qm "no DNC"
vb
rc_is "validate --base: deleting a DNC file is refused" 1
expect_grep "validate --base: the deleted file is named" "::error file=dnc/2026.jsonl::deleted or moved" "$TMP/out"
pr_done
printf '{"v":1,"ts":"2026-11-22T10:00:00Z","phone":"+12125550110","action":"add","reason":"\\u001b[2J","source":"y"}\n' >> "$R/dnc/2026.jsonl"
git_commit_all "$R" "a DNC reason with ESC"
vb
rc_is "validate --base: a control character in an added DNC reason is refused" 1
expect_grep "validate --base: names the line and field" \
	"::error file=dnc/2026.jsonl,line=3::reason: contains ESC" "$TMP/out"
pr_done
mkdir -p "$R/outcomes/nov-reminders/2026/11/24"
printf '{"v":1,"ts":"2026-11-24T15:00:00Z","campaign":"nov-reminders","event":"status","status":"failed","reason":"forged"}\n' \
	> "$R/outcomes/nov-reminders/2026/11/24/T150000Z-x.jsonl"
git_commit_all "$R" "a forged log"
vb
rc_is "validate --base: a hand-written runner event is refused" 1
expect_grep "validate --base: names the forged file" \
	"::error file=outcomes/nov-reminders/2026/11/24/T150000Z-x.jsonl,line=1::a hand-written runner event" "$TMP/out"
pr_done
ln -s ../../README.md "$R/$A/notes.md"
git_commit_all "$R" "a symlink"
vb
rc_is "validate --base: a committed symlink is refused" 1
expect_grep "validate --base: names the link" "::error file=$A/notes.md::a symbolic link" "$TMP/out"
pr_done
git -C "$R" update-index --add --cacheinfo "160000,$BASE,vendor/sub" && git -C "$R" commit -qm "a submodule"
vb
rc_is "validate --base: a submodule is refused" 1
expect_grep "validate --base: names the submodule" "::error file=vendor/sub::a submodule" "$TMP/out"
pr_done
/usr/bin/python3 - "$R/gitdial.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["webhook_base_url"] = "https://hooks.example.net/gitdial"
d["agent"]["secret"] = "env:GITDIAL_OTHER_SECRET"
d["accounts"]["sip-trunk"]["credentials"]["password"] = "env:SIP_OTHER"
d["accounts"]["sim-main"]["cps"] = 40
json.dump(d, open(p, "w"), indent=1)
PY
git_commit_all "$R" "move where secrets go"
vb
expect_grep "validate --base: webhook_base_url needs an owner's approval (notice)" \
	"::notice file=gitdial.json,line=[0-9]+::webhook_base_url: changed; .*owner's approval" "$TMP/out"
expect_grep "validate --base: agent.secret needs an owner's approval" \
	"::notice file=gitdial.json,line=[0-9]+::agent.secret: changed" "$TMP/out"
expect_grep "validate --base: credentials need an owner's approval" \
	"::notice file=gitdial.json,line=[0-9]+::accounts.sip-trunk.credentials: changed" "$TMP/out"
no_grep "validate --base: other settings are not flagged" "cps" "$TMP/out"
g validate --format json --base "$BASE"
expect_eq "validate --base --format json: three notices, no error" "3 0" \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["notice_count"], d["error_count"])' "$TMP/out")"
pr_done
g validate --base no-such-rev
rc_is "validate --base with an unknown revision fails" 1
expect_grep "validate --base: says the revision is unknown" "no commit 'no-such-rev'" "$TMP/err"

finish
