#!/usr/bin/env bash
# gitdial dnc add|remove|list|check on a real repository: numbers are
# normalised like the audience's, each change is one commit by the
# operator, remove is an entry of its own (history kept, nothing edited),
# list and check agree with the tick: an added number is never dispatched,
# a removed one is dialed again by a campaign that starts afterwards.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
rm -rf "$R/campaigns/"*
add_campaign "$R" first 3 212 10 0
add_campaign "$R" second 3 212 10 0
OP="Dana Operator <dana@example.com>"
X=+12125500001 # the second row of both audiences
T0=2026-11-24T14:00:00Z

# --- bad input: nothing is written ---
head=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" dnc add --repo "$R" --author "$OP" +12125500002 "12 34" >$TMP/o 2>$TMP/e
expect_eq "a bad phone is a usage error (exit 2)" 2 $?
expect_grep "the error names the phone and why" 'phone "12 34" has no country code' $TMP/e
"$GITDIAL" dnc add --repo "$R" --author "$OP" "+1 212 555 01x2" >$TMP/o 2>$TMP/e
expect_grep "a stray character is named too" 'phone "\+1 212 555 01x2" has a character that is not a digit' $TMP/e
"$GITDIAL" dnc remove --repo "$R" --author "$OP" $X >$TMP/o 2>$TMP/e
expect_eq "remove without --reason is refused (exit 2)" 2 $?
expect_grep "and says the reason is required" 'remove: --reason is required' $TMP/e
"$GITDIAL" dnc add --repo "$R" $X >$TMP/o 2>$TMP/e
expect_eq "no --author and no git identity: refused (exit 1)" 1 $?
expect_grep "with a hint" 'pass --author "Name <email>" or set git config user.name' $TMP/e
"$GITDIAL" dnc add --repo "$R" --author "Dana" $X >$TMP/o 2>$TMP/e
expect_grep "a malformed --author is named" 'author "Dana" is not "Name <email>"' $TMP/e
"$GITDIAL" dnc frobnicate >$TMP/o 2>$TMP/e
expect_eq "an unknown subcommand is a usage error" 2 $?
"$GITDIAL" dnc check --repo "$TMP/nowhere" $X >$TMP/o 2>$TMP/e
expect_eq "check on a missing repository cannot tell (exit 2)" 2 $?
expect_eq "nothing was committed by the refused calls" "$head" "$(git -C "$R" rev-parse HEAD)"

# --- add: normalised, one commit by the operator ---
"$GITDIAL" dnc add --repo "$R" --author "$OP" --reason "asked on the phone" \
	--source "ticket 7" --now 2026-11-24T13:00:00Z "+1 (212) 550-0001" 0012125500002 \
	>$TMP/add.out 2>$TMP/add.err
expect_eq "add exits 0" 0 $?
expect_eq "one commit for the call" 1 "$(git -C "$R" rev-list --count $head..HEAD)"
expect_eq "authored by the operator" "$OP" "$(git -C "$R" log -1 --format='%an <%ae>')"
expect_eq "at the injected time" "2026-11-24T13:00:00+00:00" "$(git -C "$R" log -1 --format=%aI)"
expect_grep "the message names the numbers" '^dnc: add \+12125500001, \+12125500002$' <(git -C "$R" log -1 --format=%s)
add_file=$(git -C "$R" show --format= --name-only HEAD)
expect_grep "a new file under dnc/" '^dnc/add-2026-11-24T13-00-00Z-[0-9a-f]{12}\.jsonl$' <(echo "$add_file")
ok_if "the entries are SPEC §7 lines with normalised numbers" /usr/bin/python3 - "$R" "$add_file" <<'PY'
import json, subprocess, sys
repo, f = sys.argv[1:3]
lines = subprocess.run(["git", "-C", repo, "show", "HEAD:" + f], check=True,
                       capture_output=True, text=True).stdout.splitlines()
want = [{"v": 1, "ts": "2026-11-24T13:00:00Z", "phone": p, "action": "add",
         "reason": "asked on the phone", "source": "ticket 7"}
        for p in ("+12125500001", "+12125500002")]
got = [json.loads(l) for l in lines]
assert got == want, got
PY
expect_eq "the checkout follows (git status clean)" "" "$(git -C "$R" status --porcelain)"
ok_if "validate accepts the new file" "$GITDIAL" validate --repo "$R" dnc/
"$GITDIAL" dnc add --repo "$R" --author "$OP" $X >$TMP/o 2>$TMP/e
expect_grep "adding a blocked number again changes nothing, and says so" \
	'^\+12125500001: already blocked since 2026-11-24T13:00:00Z' $TMP/e
expect_eq "(no commit)" 1 "$(git -C "$R" rev-list --count $head..HEAD)"

"$GITDIAL" dnc add --repo "$R" --author "$OP" --now 2026-11-24T13:10:00Z --format json \
	$X +12125500003 >$TMP/add.json 2>/dev/null
ok_if "add --format json: what was written, what was left as it was" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["action"] == "add" and len(d["commit"]) == 40 and d["file"].startswith("dnc/add-"), d
assert d["written"] == ["+12125500003"] and d["unchanged"] == ["+12125500001"], d
' $TMP/add.json
"$GITDIAL" dnc remove --repo "$R" --author "$OP" --reason "test of json" \
	--now 2026-11-24T13:11:00Z +12125500003 >/dev/null 2>&1

# --- list and check ---
"$GITDIAL" dnc list --repo "$R" >$TMP/list 2>$TMP/list.err
expect_grep "list shows the number with when, why, source and entry" \
	'^\+12125500001 +added +2026-11-24T13:00:00Z +asked on the phone +ticket 7 +dnc/add-' $TMP/list
expect_grep "list shows the template's entry too" '^\+12125550107 +added' $TMP/list
expect_grep "and counts on stderr" '^3 numbers blocked \(5 entries for 4 numbers\)' $TMP/list.err
"$GITDIAL" dnc list --repo "$R" --format json >$TMP/list.json
ok_if "list --format json" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["blocked_count"] == 3 and d["number_count"] == 4 and d["entry_count"] == 5, d
e = [x for x in d["numbers"] if x["phone"] == "+12125500001"][0]
assert e["blocked"] and e["reason"] == "asked on the phone" and e["line"] == 1, e
' $TMP/list.json
"$GITDIAL" dnc check --repo "$R" "+1 212 550 0001" +12125500000 >$TMP/check
expect_eq "check exits 1 when a number is blocked" 1 $?
expect_grep "names the entry that blocks it" '^\+12125500001 blocked: added 2026-11-24T13:00:00Z \(asked on the phone; ticket 7\) dnc/add-.*\.jsonl:1$' $TMP/check
expect_grep "and says the other is not on the list" '^\+12125500000 not blocked: not on the list$' $TMP/check
"$GITDIAL" dnc check --repo "$R" +12125500000 >/dev/null
expect_eq "check exits 0 when none is blocked" 0 $?

# --- the tick never dispatches it ---
schedule "$R" first $T0
"$GITDIAL" tick --repo "$R" --now $T0 >/dev/null
ok_if "the tick does not dispatch the blocked number" $AUDIT "$R" first --dnc $X
expect_grep "it logs it as skipped (dnc)" "\"phone\":\"\\$X\".*\"reason\":\"dnc\"" \
	<(git -C "$R" grep -h '"skipped"' HEAD -- outcomes/first)
expect_eq "the one not blocked was dispatched" 1 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/first | wc -l)"

# --- remove: an audited entry of its own ---
before=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" dnc remove --repo "$R" --author "$OP" --reason "added in error" \
	--now 2026-11-24T14:30:00Z $X +12125509999 >$TMP/rm.out 2>$TMP/rm.err
expect_eq "remove exits 0" 0 $?
expect_grep "a number not on the list is said so, not written" '^\+12125509999: not on the list; nothing to do' $TMP/rm.err
expect_eq "one commit" 1 "$(git -C "$R" rev-list --count $before..HEAD)"
expect_eq "it only adds a file (history is never edited)" "A" \
	"$(git -C "$R" show --format= --name-status HEAD | cut -f1 | sort -u | tr -d '\n')"
expect_grep "the remove entry, with reason and the operator as source" \
	'^\{"v":1,"ts":"2026-11-24T14:30:00Z","phone":"\+12125500001","action":"remove","reason":"added in error","source":"Dana Operator <dana@example.com>"\}$' \
	<(git -C "$R" show HEAD --format= -p | sed -n 's/^+{/{/p')
expect_eq "the add entry is still there, unchanged" \
	"$(git -C "$R" show "$before:$add_file")" \
	"$(git -C "$R" show "HEAD:$add_file")"
expect_eq "git log shows both changes of dnc/" "dnc: remove +12125500001|dnc: add +12125500001, +12125500002" \
	"$(git -C "$R" log --format=%s -- dnc | grep '^dnc: .*+12125500001' | paste -sd'|')"
"$GITDIAL" dnc check --repo "$R" $X >$TMP/check
expect_eq "check: not blocked any more (exit 0)" 0 $?
expect_grep "and why" '^\+12125500001 not blocked: removed 2026-11-24T14:30:00Z \(added in error; Dana Operator <dana@example.com>\)' $TMP/check
"$GITDIAL" dnc list --repo "$R" >$TMP/list 2>/dev/null
ok_if "list leaves it out" bash -c "! grep -q '^+12125500001' $TMP/list"
"$GITDIAL" dnc list --repo "$R" --all >$TMP/list 2>/dev/null
expect_grep "list --all shows it as removed" '^\+12125500001 +removed +2026-11-24T14:30:00Z' $TMP/list

# --- dialable again: a campaign started after the remove dials it ---
schedule "$R" second 2026-11-24T15:00:00Z
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:00:00Z >/dev/null
expect_eq "the second campaign dispatches the removed number" 1 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/second | grep -cF "\"phone\":\"$X\"")"
ok_if "and never the one still blocked" $AUDIT "$R" second --dnc +12125500002
ok_if "the first campaign keeps its skip (a terminal state, §5)" $AUDIT "$R" first --dnc $X

# --- a remove and an add in the same second: the later call wins ---
"$GITDIAL" dnc add --repo "$R" --author "$OP" --now 2026-11-24T16:00:00Z +12125500000 >/dev/null 2>&1
"$GITDIAL" dnc remove --repo "$R" --author "$OP" --reason "test" --now 2026-11-24T16:00:00Z +12125500000 >/dev/null 2>$TMP/e
expect_grep "an entry dated with the one it overrides is dated a second later" 'dated 2026-11-24T16:00:01Z' $TMP/e
"$GITDIAL" dnc check --repo "$R" +12125500000 >/dev/null
expect_eq "so the remove takes effect" 0 $?

# --- --remote: fetched first, so a change lands on top of another clone's ---
B=$TMP/remote.git
git clone -q --bare "$R" "$B"
git -C "$R" remote add origin "$B"
C=$TMP/clone
git clone -q "$B" "$C"
"$GITDIAL" dnc add --repo "$C" --remote origin --author "$OP" --now 2026-11-24T17:00:00Z +12125500100 >/dev/null
"$GITDIAL" dnc add --repo "$R" --remote origin --author "$OP" --now 2026-11-24T17:00:00Z +12125500200 >$TMP/o 2>&1
expect_eq "a push after another clone moved the remote branch succeeds" 0 $?
expect_eq "both entries are on the remote" 2 \
	"$(git -C "$B" log --format=%s main | grep -c '^dnc: add +12125500[12]00$')"
"$GITDIAL" dnc check --repo "$R" --remote origin +12125500100 +12125500200 >/dev/null
expect_eq "check --remote sees both blocked" 1 $?

# four operators at once on four clones of one remote: every entry lands,
# each in its own commit (a lost compare-and-swap is re-applied on the new head)
for i in 1 2 3 4; do git clone -q "$B" "$TMP/c$i"; done
for i in 1 2 3 4; do
	"$GITDIAL" dnc add --repo "$TMP/c$i" --remote origin --author "Op $i <op$i@example.com>" \
		--now 2026-11-24T18:00:00Z +1212550030$i >$TMP/c$i.out 2>&1 &
done
wait
expect_eq "four concurrent adds: four commits on the remote" 4 \
	"$(git -C "$B" log --format=%s main | grep -c '^dnc: add +1212550030[1-4]$')"
"$GITDIAL" dnc check --repo "$R" --remote origin +12125500301 +12125500302 +12125500303 +12125500304 >$TMP/check
expect_eq "and all four are blocked" 4 "$(grep -c ' blocked: added' $TMP/check)"
ok_if "the remote passes git fsck" git -C "$B" fsck --no-progress
finish
