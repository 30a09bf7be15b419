#!/usr/bin/env bash
# A campaign whose window never meets its recipients' legal window
# (21:00-23:00 for Saudi numbers, whose calls end at 20:00): validate
# warns, naming the file and field; plan's headline says so; the tick
# calls nobody and skips nobody, and the campaign stays Dialing with
# everyone queued instead of being burned as Completed. Fixing the
# window then lets the same recipients be called.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
drafts_repo "$R"
mkdir -p "$R/campaigns/ksa"
/usr/bin/python3 - "$R/campaigns/ksa" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in range(20):
        f.write("+9665%08d,P%d\n" % (5550000 + i, i))
json.dump({"name": "KSA evening", "status": "scheduled", "account": "sim-main",
           "start_at": "2026-11-24T10:00:00Z",
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 5,
                      "window": {"start": "21:00", "end": "23:00"}}},
          open(d + "/campaign.json", "w"), indent=2)
PY
git_commit_all "$R" "ksa"

# --- validate and plan say so ------------------------------------------------
"$GITDIAL" validate --repo "$R" > $TMP/v.txt 2>&1
rc=$?
expect_grep "validate warns on the campaign's window field" \
	"campaigns/ksa/campaign.json.*window.*20 of 20 recipients can never be called in any week" $TMP/v.txt
expect_grep "naming the rule that closes them" "closed by sa-policy" $TMP/v.txt
expect_eq "a warning, not an error (exit 0)" 0 "$rc"
"$GITDIAL" validate --repo "$R" --strict > /dev/null 2>&1
expect_eq "validate --strict fails on it" 1 "$?"

"$GITDIAL" plan ksa --repo "$R" --now 2026-11-24T18:00:00Z > $TMP/plan.txt
expect_grep "plan's headline: nobody can be called" \
	'^\*\*Warning: 20 of 20 recipients can never be called in any week' $TMP/plan.txt
"$GITDIAL" plan ksa --repo "$R" --now 2026-11-24T18:00:00Z --format json > $TMP/plan.json
expect_eq "plan --format json: unreachable 20, closed by sa-policy" "20 sa-policy" \
	"$(/usr/bin/python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["unreachable"]; print(u["recipients"], u["closed_by"])' $TMP/plan.json)"
ok_if "the estimate does not pretend (0 minutes)" \
	/usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["estimated_minutes"] == 0' $TMP/plan.json

# --- the tick keeps everyone queued ------------------------------------------
for t in 2026-11-24T10:00:00Z 2026-11-24T18:10:00Z 2026-11-25T19:00:00Z 2026-11-27T20:30:00Z; do
	"$GITDIAL" tick --repo "$R" --now $t > /dev/null 2>>$TMP/err
done
expect_eq "four ticks over three days: nobody dialed, nobody skipped" "0 0" \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/ksa | wc -l) $(git -C "$R" grep -h '"skipped"' HEAD -- outcomes/ksa | wc -l)"
expect_eq "and the campaign was never completed" 0 \
	"$(git -C "$R" grep -h '"status":"completed"' HEAD -- outcomes/ksa | wc -l)"
"$GITDIAL" show ksa --repo "$R" --now 2026-11-27T20:30:00Z --format json > $TMP/show.json
expect_eq "show: Dialing, 20 queued, the next tick dials 0, 20 never open (sa-policy)" \
	"Dialing 20 0 20 sa-policy" \
	"$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); n=s["next_tick"]; print(s["status"], s["progress"]["queued"], n["would_dial"], n["never_open"], n["closed_by"])' $TMP/show.json)"
"$GITDIAL" show ksa --repo "$R" --now 2026-11-27T20:30:00Z > $TMP/show.txt
expect_grep "show (text) says they can never be called and stay queued" \
	"Never open +20 recipients can never be called in a week.*closed by sa-policy.*stay queued" $TMP/show.txt

# --- fixing the window lets them be called -----------------------------------
/usr/bin/python3 - "$R/campaigns/ksa/campaign.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["pacing"]["window"] = {"start": "17:00", "end": "19:30"}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
git_commit_all "$R" "ksa: a window inside the legal one"
"$GITDIAL" validate --repo "$R" > $TMP/v2.txt 2>&1
ok_if "validate: no warning once the windows meet" sh -c "! grep -q \"can never be called\" $TMP/v2.txt"
# 18:00 Riyadh is 15:00 UTC
"$GITDIAL" tick --repo "$R" --now 2026-11-28T15:00:00Z > /dev/null
expect_eq "the next tick inside both windows dials the first five" 5 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/ksa | wc -l)"
finish
