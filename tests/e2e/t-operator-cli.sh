#!/usr/bin/env bash
# The operators' smaller items (issue 17 item 8): list's id column, checked
# filters with a did-you-mean, Unicode case folding in search, unreadable
# campaigns as rows whatever the filters, deletion and purge dates, help
# with every option explained, blank names refused, duplicate keeping the
# file's bytes and dropping a past start_at, and a demo that leaves its
# repository clean.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
OP=(--author "Ops Person <ops@example.com>")
py() { /usr/bin/python3 -c "$@"; }

# --- list: id column, filters -------------------------------------------
"$GITDIAL" list --repo "$R" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "list exits 0 when every campaign reads" 0 "$rc"
expect_grep "the table has an ID column after Name" '^Name +ID +Provider ' $TMP/out
expect_grep "…with each campaign's id" '^November payment reminders +nov-reminders +sim ' $TMP/out
"$GITDIAL" list --repo "$R" --status 'draft, scheduld' >$TMP/out 2>$TMP/err; rc=$?
expect_eq "a misspelt --status is a usage error" 2 "$rc"
expect_grep "…naming it, with a did-you-mean" "\-\-status: 'scheduld' is not one of draft, scheduled, .*; did you mean 'scheduled'\?" $TMP/err
"$GITDIAL" list --repo "$R" nov >$TMP/out 2>$TMP/err; rc=$?
expect_eq "list with a stray word is a usage error, not the whole table" "2 0" "$rc $(wc -c <$TMP/out)"
expect_grep "…pointing to --search" "unexpected argument 'nov' \(to filter, use --search TEXT\)" $TMP/err
"$GITDIAL" list --repo "$R" --provider twillio >$TMP/out 2>$TMP/err; rc=$?
expect_eq "a misspelt --provider is a usage error" 2 "$rc"
expect_grep "…with a did-you-mean" "did you mean 'twilio'\?" $TMP/err
"$GITDIAL" list --repo "$R" --provider 'sip , whatsapp' --status 'Draft, completed' --format json >$TMP/out
expect_eq "'a , b' values with spaces: both kept" "sip-callback whatsapp-followup" \
	"$(py 'import json,sys; print(*sorted(r["id"] for r in json.load(open(sys.argv[1]))))' $TMP/out)"

# --- search folds Unicode case ----------------------------------------------
py 'import json,sys
p=sys.argv[1]; c=json.load(open(p)); c["name"]="Été рассылка ÇA"; json.dump(c, open(p,"w"), ensure_ascii=False, indent=2)' \
	"$R/campaigns/sip-callback/campaign.json"
git_commit_all "$R" "a name with accents and Cyrillic"
for q in "été" "ÉTÉ" " РАССЫЛКА " "ça"; do
	expect_eq "--search '$q' finds the campaign (Unicode case folding)" "sip-callback" \
		"$("$GITDIAL" list --repo "$R" --search "$q" --format json | py 'import json,sys; print(*[r["id"] for r in json.load(sys.stdin)])')"
done

# --- an unreadable campaign is a row, whatever the filters -------------------
sed -i 's/"status": "draft"/"status": "bogus"/' "$R/campaigns/whatsapp-followup/campaign.json"
git_commit_all "$R" "a broken campaign.json"
"$GITDIAL" list --repo "$R" --status draft >$TMP/out 2>$TMP/err; rc=$?
expect_eq "list --status draft with a broken campaign exits 1" 1 "$rc"
expect_grep "…and shows it as an error row" '^whatsapp-followup +whatsapp-followup +- .* error ' $TMP/out
expect_grep "…with validate's message (file:line: field: message)" \
	'whatsapp-followup: campaigns/whatsapp-followup/campaign.json:[0-9]+: status: "bogus" is not allowed' $TMP/err
git -C "$R" reset -q --hard HEAD~1

# --- deletion and purge dates ------------------------------------------------
ok_if "delete a Draft" "$GITDIAL" delete --yes whatsapp-followup --repo "$R" "${OP[@]}"
del=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["deleted_at"])' "$R/deleted/whatsapp-followup/.deleted.json")
purge=$(date -u -d "@$(( $(date -u -d "$del" +%s) + 30 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
"$GITDIAL" list --deleted --repo "$R" >$TMP/out
expect_grep "list --deleted shows when it was deleted and when it is purged" \
	"^WhatsApp order follow-up +whatsapp-followup .* $del +$purge *\$" $TMP/out
expect_eq "…also in JSON" "$del $purge" \
	"$("$GITDIAL" list --deleted --repo "$R" --format json | py 'import json,sys; r=json.load(sys.stdin)[0]; print(r["deleted_at"], r["purged_after"])')"
"$GITDIAL" show whatsapp-followup --deleted --repo "$R" >$TMP/out
expect_grep "show --deleted says both" "^  Deleted +$del; restorable until $purge, then the first tick purges it" $TMP/out

# --- help: every option explained --------------------------------------------
for c in init validate plan tick ingest list show pause resume archive delete restore \
	duplicate report export audit new dnc demo rules; do
	"$GITDIAL" help "$c" >$TMP/help 2>&1
	"$GITDIAL" "$c" --no-such-option >$TMP/usage 2>&1
	missing=
	for o in $(sed -n '/^usage:/,$p' $TMP/usage | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qE -- "^ +$o( |\$)" $TMP/help || missing="$missing $o"
	done
	expect_eq "help $c explains every option of its usage" "" "$missing"
done
expect_eq "gitdial pause -h prints the same as gitdial help pause" "$("$GITDIAL" help pause)" "$("$GITDIAL" pause nov-reminders -h)"

# --- names that are blank ------------------------------------------------------
py 'import json,sys
p=sys.argv[1]; c=json.load(open(p)); c["name"]="\u00a0 \u3000"; json.dump(c, open(p,"w"), indent=2)' \
	"$R/campaigns/ramadan-survey/campaign.json"
"$GITDIAL" validate --repo "$R" >$TMP/out 2>&1; rc=$?
expect_eq "validate refuses a whitespace-only name (exit 1)" 1 "$rc"
expect_grep "…naming the file and field" "campaigns/ramadan-survey/campaign.json:[0-9]+: error: name: is blank" $TMP/out
git -C "$R" checkout -q -- campaigns/ramadan-survey
"$GITDIAL" new --repo "$R" --yes --id blank --name "   " --account sim-main \
	--audience "$R/campaigns/nov-reminders/audience.csv" "${OP[@]}" </dev/null >$TMP/out 2>&1; rc=$?
expect_eq "new refuses a blank --name" "1 no" "$([ $rc -ne 0 ] && echo 1) $(git -C "$R" rev-parse -q --verify campaign/blank >/dev/null && echo yes || echo no)"
expect_grep "…saying why" "blank" $TMP/out

# --- duplicate: the file's bytes kept, a past start_at removed ----------------
C=$R/campaigns/nov-reminders/campaign.json
py 'import sys
p=sys.argv[1]; s=open(p).read()
s=s.replace("\"status\": \"draft\",", "\"status\":   \"draft\",\n  \"start_at\": \"2026-11-24T09:00:00-05:00\",", 1)
open(p,"w").write(s)' "$C"
git_commit_all "$R" "odd spacing and a past start"
"$GITDIAL" duplicate nov-reminders --as nr-copy --repo "$R" "${OP[@]}" >$TMP/out 2>&1
expect_grep "duplicate says the past start_at was removed" "its start_at \(2026-11-24T09:00:00-05:00\) was past: removed" $TMP/out
expect_eq "the copy differs by the name line and the start_at line only" \
	'-  "name": "November payment reminders",|+  "name": "November payment reminders (copy)",|-  "start_at": "2026-11-24T09:00:00-05:00",' \
	"$(diff -u "$C" "$R/campaigns/nr-copy/campaign.json" | grep '^[-+] ' | paste -sd'|')"
# start_at as the last member: the comma before it goes too
py 'import json,sys
p=sys.argv[1]; c=json.load(open(p)); c.pop("start_at", None); c["start_at"]="2026-01-01T00:00:00Z"; json.dump(c, open(p,"w"), indent=2)' "$C"
git_commit_all "$R" "start_at last"
ok_if "duplicate with start_at as the last member" "$GITDIAL" duplicate nov-reminders --as nr-copy2 --repo "$R" "${OP[@]}"
expect_eq "…the copy is valid JSON without start_at" "no start_at" \
	"$(py 'import json,sys; c=json.load(open(sys.argv[1])); print("start_at" in c and c["start_at"] or "no start_at")' "$R/campaigns/nr-copy2/campaign.json")"
py 'import json,sys
p=sys.argv[1]; c=json.load(open(p)); c["start_at"]="2099-01-01T00:00:00Z"; json.dump(c, open(p,"w"), indent=2)' "$C"
git_commit_all "$R" "start_at ahead"
ok_if "duplicate with a future start_at" "$GITDIAL" duplicate nov-reminders --as nr-copy3 --repo "$R" "${OP[@]}"
expect_eq "…keeps it" "2099-01-01T00:00:00Z" \
	"$(py 'import json,sys; print(json.load(open(sys.argv[1]))["start_at"])' "$R/campaigns/nr-copy3/campaign.json")"
ok_if "the copies validate" "$GITDIAL" validate --repo "$R"

# --- demo leaves its repository clean ----------------------------------------
"$GITDIAL" demo "$TMP/demo-x" >$TMP/out 2>&1; rc=$?
expect_eq "demo DIR (not --dir DIR) is a usage error" 2 "$rc"
expect_grep "... naming the argument and the option" "unexpected argument '.*demo-x' \(the directory is given with --dir DIR\)" $TMP/out
ok_if "... and runs nothing" test ! -e "$TMP/demo-x"
"$GITDIAL" demo --max-ticks 0 >$TMP/out 2>&1; rc=$?
expect_eq "demo --max-ticks 0 is a usage error" 2 "$rc"
"$GITDIAL" demo --dir "$TMP/demo" --quiet >$TMP/out 2>&1; rc=$?
expect_eq "demo completes" 0 "$rc"
expect_eq "…its repository is clean (no untracked report/)" "" "$(git -C "$TMP/demo" status --porcelain)"
ok_if "…the report is beside it" test -s "$TMP/demo-report/index.html"
expect_grep "…and it says where" "^report: +$TMP/demo-report/index.html" $TMP/out
finish
