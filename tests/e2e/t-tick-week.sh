#!/usr/bin/env bash
# A simulated week of ticks over recipients in 20+ time zones (US states
# with stricter hours, Canada, KSA, UAE, UK, France, India, Australia),
# across the US end of daylight saving time (2026-11-01): an audit that
# reads only the committed log and the data tables finds no dispatch
# outside campaign window ∩ legal window in the recipient's local time.
# Ticks are 17 minutes apart (off the hour, so every boundary minute is
# approached from different phases); the non-sanitizer build keeps the
# 593 ticks inside the suite's time budget.
. "$(dirname "$0")/../lib.sh"
[ -x "$TOP/build/bin/gitdial" ] && GITDIAL=$TOP/build/bin/gitdial

R=$TMP/repo
new_repo "$R" >/dev/null
rm -rf "$R/campaigns/ramadan-survey" "$R/campaigns/nov-reminders"
mkdir -p "$R/campaigns/world" "$R/campaigns/office-hours"
/usr/bin/python3 - "$R/campaigns" <<'PY'
import json, sys
d = sys.argv[1]
prefixes = ["1212", "1213", "1512", "1305", "1206", "1808", "1907", "1602",
            "1801", "1504", "1401", "1312", "1416", "1604", "1709", "1902",
            "1306", "1403", "96650", "97150", "4420", "9198", "612", "618",
            "3314"]
rows = ["phone,name"]
for p in prefixes:
    for k in range(3):
        rest = 11 - len(p) if p.startswith("1") else 12 - len(p)
        rows.append("+%s%s,P%s-%d" % (p, str(5550000 + k * 7919 + int(p) % 97).rjust(rest, "0")[-rest:], p, k))
for name in ("world", "office-hours"):
    open("%s/%s/audience.csv" % (d, name), "w").write("\n".join(rows) + "\n")
retries = {"max": 10, "cooldown_minutes": 30,
           "on": ["no_answer", "busy", "voicemail", "failed", "hangup"]}
json.dump({"name": "Around the world", "status": "draft", "account": "sim-main",
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 3, "retries": retries}},
          open(d + "/world/campaign.json", "w"), indent=2)
json.dump({"name": "Office hours", "status": "draft", "account": "sim-main",
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 4, "retries": retries,
                      "window": {"start": "10:30", "end": "16:00",
                                 "days": ["mon", "tue", "wed", "thu", "fri"]}}},
          open(d + "/office-hours/campaign.json", "w"), indent=2)
PY
sed -i 's/"cps": 50/"cps": 1000/' "$R/gitdial.json"
git_commit_all "$R" "two world campaigns"
T0=2026-10-31T00:03:00Z
schedule "$R" world $T0
schedule "$R" office-hours $T0

"$GITDIAL" plan world --repo "$R" --now $T0 --format json > $TMP/plan.json
zones=$(/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(len({z["zones"] for z in p["zones"]}), p["zone_sources"]["unknown"], p["audience"]["dialable"])' $TMP/plan.json)
set -- $zones
expect_eq "20+ distinct zone sets, none unknown, 75 dialable" "ok 0 75" \
	"$([ "$1" -ge 20 ] && echo ok || echo "only $1") $2 $3"

fails=0 ticks=0
e0=$(date -u -d $T0 +%s)
for i in $(seq 0 592); do
	TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' $((e0 + i * 17 * 60))
	"$GITDIAL" tick --repo "$R" --now "$now" >/dev/null 2>>$TMP/err || fails=$((fails + 1))
	ticks=$((ticks + 1))
	# both campaigns final: nothing can be dialed for the rest of the week
	if [ $((i % 20)) -eq 0 ] &&
	   [ "$(git -C "$R" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2 ]; then
		break
	fi
done
expect_eq "ticks over the week ran without error ($ticks ticks, until $now)" 0 "$fails"
ok_if "both campaigns completed within the week" \
	test "$(git -C "$R" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2
ok_if "world: every dispatch inside legal windows, all zones, DST included" $AUDIT "$R" world --windows
ok_if "office hours: every dispatch inside campaign ∩ legal windows" $AUDIT "$R" office-hours --windows
n=$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)
ok_if "the week saw real dialing ($n dispatches)" test "$n" -gt 150
sun=$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/world | grep -c '"phone":"+612')
ok_if "Australia was dialed on weekdays ($sun dispatches)" test "$sun" -gt 0
# the auditor itself must catch a violation: forge a 03:00 New York dispatch
mkdir -p "$R/outcomes/world/2026/11/04"
printf '{"v":1,"ts":"2026-11-04T08:00:00Z","campaign":"world","event":"dispatched","attempt_id":"world.12125550000.11","phone":"+12125550000","row":2,"attempt":11,"account":"sim-main","caller_id":"+12125550100"}\n' \
	> "$R/outcomes/world/2026/11/04/T080000Z-forged.jsonl"
git_commit_all "$R" "forged"
ok_if "the audit catches a forged out-of-window dispatch" bash -c "! $AUDIT '$R' world --windows"
finish
