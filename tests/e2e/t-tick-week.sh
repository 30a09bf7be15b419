#!/usr/bin/env bash
# A simulated week of ticks over recipients in 20+ time zones (US states
# with stricter hours, Canada, KSA, UAE, UK, France, India, Australia),
# across the US end of daylight saving time (2026-11-01), a Sunday ban
# (Alabama, Louisiana, Rhode Island, Utah on 1 November) and a public
# holiday (Pennsylvania's Election Day, 3 November), two campaigns sharing
# every number under frequency caps (Florida, Maryland, Oklahoma 3 per
# 24 h, the UAE once a day and twice a week), a retry ladder [30, 240]
# and an end_at: an audit that reads only the committed logs and the rules
# pack finds no dispatch outside campaign window, hours, banned days and
# holidays in the recipient's local time, and no cap exceeded across both
# campaigns.
# Ticks are 17 minutes apart (off the hour, so every boundary minute is
# approached from different phases) until both campaigns complete at
# end_at (Wednesday 06:00 UTC, about 360 ticks); the non-sanitizer build
# keeps them inside the suite's time budget.
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
            "3314", "1215", "1205", "1405", "1301"]
rows = ["phone,name"]
for p in prefixes:
    # more numbers under caps, so the caps have something to bind
    for k in range(8 if p in ("1305", "97150") else 3):
        # national numbers: 10 digits (NANP), 9 (France), else 9-10
        rest = 11 - len(p) if p[0] in "13" else 12 - len(p)
        n = "+%s%s" % (p, str(5550000 + k * 7919 + int(p) % 97).rjust(rest, "0")[-rest:])
        if p == "3314":  # Paris numbers the sim never connects: open when France closes
            n = ["+33145567328", "+33145579216", "+33145594000"][k]
        rows.append("%s,P%s-%d" % (n, p, k))
for name in ("world", "office-hours"):
    open("%s/%s/audience.csv" % (d, name), "w").write("\n".join(rows) + "\n")
retries = {"max": 10, "cooldown_minutes": [30, 240],
           "on": ["no_answer", "busy", "voicemail", "failed", "hangup"]}
json.dump({"name": "Around the world", "status": "draft", "account": "sim-main",
           "end_at": "2026-11-04T06:00:00Z",
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 3, "retries": retries}},
          open(d + "/world/campaign.json", "w"), indent=2)
json.dump({"name": "Office hours", "status": "draft", "account": "sim-main",
           "end_at": "2026-11-04T06:00:00Z",
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
expect_eq "20+ distinct zone sets, none unknown, 97 dialable" "ok 0 97" \
	"$([ "$1" -ge 20 ] && echo ok || echo "only $1") $2 $3"

# plan's first batch is the tick's own verdict: the same numbers as
# tick --dry-run (given no spool: plan reads none), frequency caps
# across both campaigns included
same_batch() {
	local now=$1 id
	# plan reads no spool: the dry run is given an empty one
	mkdir -p $TMP/nospool
	"$GITDIAL" tick --repo "$R" --now "$now" --dry-run --spool $TMP/nospool \
		--format json > $TMP/dry.json || return 1
	for id in world office-hours; do
		"$GITDIAL" plan $id --repo "$R" --now "$now" --format json > $TMP/plan-$id.json || return 1
	done
	/usr/bin/python3 - $TMP/dry.json $TMP/plan-world.json $TMP/plan-office-hours.json $TMP/capped <<'PY'
import json, sys
dry = {c["id"]: c["batch"] for c in json.load(open(sys.argv[1]))["campaigns"]}
capped = 0
for f in sys.argv[2:4]:
    p = json.load(open(f))
    got = [b["phone"] for b in p["first_batch"]]
    if got != dry.get(p["campaign"], []):
        sys.exit("%s: plan %s, tick --dry-run %s" % (p["campaign"], got, dry.get(p["campaign"])))
    capped += p["verdict"]["waiting_cap"]
open(sys.argv[4], "a").write("%d\n" % capped)
PY
}
fails=0 ticks=0 differ=0
: > $TMP/capped
e0=$(date -u -d $T0 +%s)
for i in $(seq 0 592); do
	TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' $((e0 + i * 17 * 60))
	if [ $((i % 9)) -eq 4 ] && ! same_batch "$now" 2>>$TMP/differ; then
		differ=$((differ + 1))
	fi
	"$GITDIAL" tick --repo "$R" --now "$now" >/dev/null 2>>$TMP/err || fails=$((fails + 1))
	ticks=$((ticks + 1))
	# both campaigns final: nothing can be dialed for the rest of the week
	if [ $((i % 5)) -eq 0 ] &&
	   [ "$(git -C "$R" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2 ]; then
		break
	fi
done
expect_eq "ticks over the week ran without error ($ticks ticks, until $now)" 0 "$fails"
expect_eq "plan's first batch = tick --dry-run's batch, every 9th tick ($(wc -l < $TMP/capped) compared)" \
	"0 " "$differ $(head -c 300 $TMP/differ)"
ok_if "and the frequency caps held someone back in some of them" \
	test "$(awk '{s+=$1} END {print s+0}' $TMP/capped)" -gt 0
ok_if "both campaigns completed within the week" \
	test "$(git -C "$R" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2
ok_if "world: every dispatch inside the rules (all zones, DST, bans, holidays), caps, ladder, every row final" \
	$AUDIT "$R" world --windows --caps --complete
ok_if "office hours: every dispatch inside campaign window and rules, caps across both" \
	$AUDIT "$R" office-hours --windows --caps --complete
# the rules were exercised, not just unused
/usr/bin/python3 - "$R" > $TMP/exercised <<'PY'
import json, subprocess, sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
repo = sys.argv[1]
def git(*a):
    return subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True).stdout.decode()
d = {}
skips = set()
for f in git("ls-tree", "-r", "--name-only", "HEAD", "outcomes").split():
    for line in git("show", "HEAD:" + f).splitlines():
        e = json.loads(line)
        if e["event"] == "dispatched":
            t = datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            d.setdefault(e["phone"], []).append(t)
        elif e["event"] == "skipped":
            skips.add(e["reason"])
def local_days(prefix, zone):
    return {t.astimezone(ZoneInfo(zone)).strftime("%a %d")
            for p, ts in d.items() if p.startswith(prefix) for t in ts}
pa, al = local_days("+1215", "America/New_York"), local_days("+1205", "America/Chicago")
# the most dispatches one capped number had within 24 h, across both campaigns
def most(prefix, hours):
    best = 0
    for p, ts in d.items():
        if p.startswith(prefix):
            ts.sort()
            for i, t in enumerate(ts):
                best = max(best, sum(1 for u in ts[i:] if u - t < timedelta(hours=hours)))
    return best
print("pa-weekdays" if pa - {"Tue 03"} else "pa-never", "pa-holiday" if "Tue 03" in pa else "no-pa-holiday")
print("al-dialed" if al else "al-never", "al-sunday" if "Sun 01" in al else "no-al-sunday")
print("fl", most("+1305", 24), "ae-day", most("+97150", 24), "ae-week", most("+97150", 168))
print("skips", ",".join(sorted(skips)))
last = max(t for ts in d.values() for t in ts)
print("before-end" if last < datetime(2026, 11, 4, 6, tzinfo=timezone.utc) else "after-end %s" % last)
PY
expect_eq "Pennsylvania dialed on other days, never on Election Day" "pa-weekdays no-pa-holiday" "$(sed -n 1p $TMP/exercised)"
expect_eq "Alabama dialed, never on Sunday" "al-dialed no-al-sunday" "$(sed -n 2p $TMP/exercised)"
expect_eq "the caps bound: Florida reached 3 in 24 h, the UAE 1 a day and 2 a week" \
	"fl 3 ae-day 1 ae-week 2" "$(sed -n 3p $TMP/exercised)"
expect_grep "places closed until end_at are skipped with the rule that closes them (France after Tuesday 20:00, Pennsylvania on Election Day)" \
	"^skips .*fr-d223-9.*us-pa-holidays-2026" $TMP/exercised
expect_eq "no dispatch at or after end_at" "before-end" "$(sed -n 5p $TMP/exercised)"
n=$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)
ok_if "the week saw real dialing ($n dispatches)" test "$n" -gt 150
sun=$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/world | grep -c '"phone":"+612')
ok_if "Australia was dialed on weekdays ($sun dispatches)" test "$sun" -gt 0
"$GITDIAL" audit --repo "$R" >$TMP/gd-audit 2>&1
ok_if "gitdial audit of the week's history is clean (exit 0)" grep -q "^OK: 0 findings" $TMP/gd-audit
# the auditor itself must catch a violation: forge a 03:00 New York dispatch
mkdir -p "$R/outcomes/world/2026/11/04"
printf '{"v":1,"ts":"2026-11-04T08:00:00Z","campaign":"world","event":"dispatched","attempt_id":"world.12125550000.11","phone":"+12125550000","row":2,"attempt":11,"account":"sim-main","caller_id":"+12125550100"}\n' \
	> "$R/outcomes/world/2026/11/04/T080000Z-forged.jsonl"
git_commit_all "$R" "forged"
ok_if "the audit catches a forged out-of-window dispatch" bash -c "! $AUDIT '$R' world --windows"
git -C "$R" rm -q "outcomes/world/2026/11/04/T080000Z-forged.jsonl"
git -C "$R" commit -qm "unforge"
# a forged dispatch on Pennsylvania's Election Day, at 12:00 EST
mkdir -p "$R/outcomes/world/2026/11/04"
printf '{"v":1,"ts":"2026-11-03T17:00:00Z","campaign":"world","event":"dispatched","attempt_id":"world.12159999999.1","phone":"+12159999999","row":2,"attempt":1,"account":"sim-main","caller_id":"+12125550100"}\n' \
	> "$R/outcomes/world/2026/11/04/T080000Z-forged.jsonl"
git_commit_all "$R" "forged holiday"
expect_grep "the audit catches a dispatch on a holiday" "us-pa-holidays-2026" <($AUDIT "$R" world --windows)
git -C "$R" rm -q "outcomes/world/2026/11/04/T080000Z-forged.jsonl"
git -C "$R" commit -qm "unforge"
# a forged fourth call to a Florida number within 24 h of its third
/usr/bin/python3 - "$R" <<'PY'
import json, subprocess, sys
from datetime import datetime, timedelta
repo = sys.argv[1]
def git(*a):
    return subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True).stdout.decode()
ts = {}
for f in git("ls-tree", "-r", "--name-only", "HEAD", "outcomes").split():
    for line in git("show", "HEAD:" + f).splitlines():
        e = json.loads(line)
        if e["event"] == "dispatched" and e["phone"].startswith("+1305"):
            ts.setdefault(e["phone"], []).append(e["ts"])
# a number with three calls within 24 h: a fourth a minute after the third
def parse(x):
    return datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ")
phone = t = None
for p, v in sorted(ts.items()):
    v = sorted(parse(x) for x in v)
    for i in range(len(v) - 2):
        if v[i + 2] - v[i] < timedelta(hours=23):
            phone, t = p, v[i + 2]
            break
    if phone:
        break
line = {"v": 1, "ts": (t + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "campaign": "forged",
        "event": "dispatched", "attempt_id": "forged.%s.1" % phone[1:], "phone": phone, "row": 2,
        "attempt": 1, "account": "sim-main", "caller_id": "+12125550100"}
import os
os.makedirs(repo + "/outcomes/forged/2026/11/05", exist_ok=True)
open(repo + "/outcomes/forged/2026/11/05/T000000Z-forged.jsonl", "w").write(json.dumps(line) + "\n")
PY
git_commit_all "$R" "forged cap"
ok_if "the audit catches a cap exceeded across campaigns" bash -c "! $AUDIT '$R' world --caps || ! $AUDIT '$R' office-hours --caps"
finish
