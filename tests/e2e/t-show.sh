#!/usr/bin/env bash
# gitdial show explains: a concurrency below the one set (the account's
# cap shared by its Dialing campaigns), when the window opens for those
# waiting, and why a campaign failed with what to do about it.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
rm -rf "$R/campaigns/whatsapp-followup" "$R/campaigns/ramadan-survey"
sed -i 's/"max_concurrency": 20/"max_concurrency": 4/' "$R/gitdial.json"
git_commit_all "$R" "a small account cap"
add_campaign "$R" one 12 212 5 0
add_campaign "$R" two 12 617 5 0
schedule "$R" one 2026-11-24T09:00:00Z
schedule "$R" two 2026-11-24T09:00:00Z
py() { /usr/bin/python3 -c "$@"; }
T=2026-11-24T15:00:00Z

"$GITDIAL" show one --repo "$R" --now $T > $TMP/one.txt
expect_grep "the cap is explained" \
	"Concurrency  2 of 5 set: account sim-main's max_concurrency 4 is shared by 2 campaigns, 2 each" $TMP/one.txt
"$GITDIAL" show one --repo "$R" --now $T --format json > $TMP/one.json
expect_eq "json: effective 2 of 5, shared by 2" "2 5 2" \
	"$(py 'import json,sys; c=json.load(open(sys.argv[1]))["concurrency"]; print(c["effective"], c["set"], c["sharing_campaigns"])' $TMP/one.json)"
ok_if "a tick" "$GITDIAL" tick --repo "$R" --now $T
expect_eq "the tick dialed what show said (2 per campaign)" "2 2" \
	"$(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/one | wc -l) $(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/two | wc -l)"

# 03:00 UTC is 22:00 in New York for both: one (212) waits,
# the window of the federal rule opens at 08:00 local = 13:00 UTC
N=2026-11-25T03:00:00Z
"$GITDIAL" show one --repo "$R" --now $N > $TMP/night.txt
expect_grep "when the window opens for those waiting" \
	"Next +the window opens at 2026-11-25T13:00:00Z for 10 waiting recipients" $TMP/night.txt
expect_eq "json: next_window" "2026-11-25T13:00:00Z" \
	"$("$GITDIAL" show one --repo "$R" --now $N --format json | py 'import json,sys; print(json.load(sys.stdin)["next_window"])')"

# a caller ID the sim carrier rejects fails the campaign
add_campaign "$R" bad 3 305 2 0
/usr/bin/python3 - "$R/campaigns/bad/campaign.json" "$R/gitdial.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["caller_id"] = "+12125550199"
json.dump(c, open(sys.argv[1], "w"), indent=2)
g = json.load(open(sys.argv[2])); g["accounts"]["sim-main"]["caller_ids"].append("+12125550199")
json.dump(g, open(sys.argv[2], "w"), indent=2)
PY
git_commit_all "$R" "bad caller"
schedule "$R" bad 2026-11-24T09:00:00Z
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:05:00Z >"$TMP/bad-tick" 2>&1
expect_eq "a tick dials it, and exits 3: a campaign failed" 3 $?
"$GITDIAL" show bad --repo "$R" --now 2026-11-24T15:06:00Z > $TMP/bad.txt
expect_grep "Failed" "Status +Failed" $TMP/bad.txt
expect_grep "the provider's reason is shown" "Failed +.*caller" $TMP/bad.txt
expect_grep "and what to do" "What to do +.*caller ID.*gitdial resume" $TMP/bad.txt
"$GITDIAL" show bad --repo "$R" --now 2026-11-24T15:06:00Z --format json > $TMP/bad.json
expect_eq "json: reason and what_to_do" "Failed 1 1" \
	"$(py 'import json,sys; o=json.load(open(sys.argv[1])); print(o["status"], int(len(o["reason"])>0), int("gitdial resume" in o["what_to_do"]))' $TMP/bad.json)"
finish
