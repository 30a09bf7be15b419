#!/usr/bin/env bash
# gitdial report: the static dashboard of a repository with campaigns in
# every status (Draft, Scheduled, Dialing, Completed, Failed), archived/
# and deleted/ folders, a campaign named <script>alert(1)</script>, and a
# hand-written log with recordings and sentiments; then driven in headless
# Chromium (tests/tools/report_check.py): search, filters, tabs, chips,
# campaign pages, escaping. Screenshots: build/artifacts/report/.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
T0=2026-11-24T15:00:00Z
XSS='<script>alert(1)</script>'
ART=${ARTIFACTS:-$TOP/build/artifacts}/report
new_repo "$R"
# the WhatsApp and SIP samples are other providers: this dashboard is about sim ones
rm -rf "$R/campaigns/whatsapp-followup" "$R/campaigns/sip-callback"

# a campaign whose name and audience are hostile
add_campaign "$R" xss-test 4 212 10 0
/usr/bin/python3 - "$R/campaigns/xss-test" "$XSS" <<'PY'
import json, sys
d, name = sys.argv[1], sys.argv[2]
c = json.load(open(d + "/campaign.json"))
c["name"] = name
json.dump(c, open(d + "/campaign.json", "w"), indent=2)
open(d + "/audience.csv", "w").write(
    "phone,name\n+12125550000,%s\n+12125550001,\"=HYPERLINK(\"\"http://x\"\")\"\n"
    "+12125550002,Ann\n+12125550003,\"Bob, \"\"the\"\" <b>builder</b>\"\n" % name)
PY
git_commit_all "$R" "xss campaign"
# a caller ID the sim carrier rejects: Failed with a reason
add_campaign "$R" bad-caller 3 305 10 0
sed -i 's/"caller_ids": \["+12125550100", "+966115550100"\]/"caller_ids": ["+12125550100", "+966115550100", "+12125550199"]/' "$R/gitdial.json"
/usr/bin/python3 - "$R/campaigns/bad-caller/campaign.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["caller_id"] = "+12125550199"
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
git_commit_all "$R" "bad caller"
# scheduled for next week: Scheduled
add_campaign "$R" next-week 5 415 10 0
schedule "$R" next-week 2026-12-01T15:00:00Z
schedule "$R" xss-test $T0
schedule "$R" bad-caller $T0
schedule "$R" nov-reminders $T0

t_start=$SECONDS
for i in 0 1 5 7; do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $i)" >/dev/null ||
		echo "# tick $i failed"
done

echo "# 4 ticks: $((SECONDS - t_start)) s"
# archived/ and deleted/ folders (SPEC §3), and a campaign whose log is
# written by hand: recordings (one https, one javascript:) and a sentiment
mkdir -p "$R/archived" "$R/deleted" "$R/campaigns/recorded" "$R/outcomes/recorded/2026/11/24"
cp -r "$R/campaigns/ramadan-survey" "$R/archived/old-promo"
sed -i 's/"name": "[^"]*"/"name": "Old promo (archived)"/' "$R/archived/old-promo/campaign.json"
cp -r "$R/campaigns/next-week" "$R/deleted/spring-survey"
sed -i 's/"name": "[^"]*"/"name": "Spring survey (deleted)"/' "$R/deleted/spring-survey/campaign.json"
printf 'phone,name\n+14155550001,Rec One\n+14155550002,Rec Two\n+14155550003,Rec Three\n' > "$R/campaigns/recorded/audience.csv"
cat > "$R/campaigns/recorded/campaign.json" <<'EOF'
{"name": "Recorded calls", "status": "scheduled", "start_at": "2026-11-24T15:00:00Z",
 "account": "sim-main", "script": {"mode": "agent"}, "audience": {"csv": "audience.csv"}}
EOF
L=$R/outcomes/recorded/2026/11/24/T150000Z-hand.jsonl
ev() { printf '{"v":1,"ts":"%s","campaign":"recorded",%s}\n' "$1" "$2" >> "$L"; }
ev 2026-11-24T15:00:00Z '"event":"dispatched","attempt_id":"recorded.14155550001.1","phone":"+14155550001","row":2,"attempt":1,"account":"sim-main","caller_id":"+12125550100"'
ev 2026-11-24T15:00:01Z '"event":"placed","attempt_id":"recorded.14155550001.1","call_id":"CA1"'
ev 2026-11-24T15:02:00Z '"event":"outcome","attempt_id":"recorded.14155550001.1","call_id":"CA1","outcome":"connected","duration_s":65,"connected":true,"answered":true,"recording_url":"https://rec.example.com/CA1.mp3?a=1&b=2"'
ev 2026-11-24T15:02:30Z '"event":"analysis","call_id":"CA1","sentiment":"positive","summary":"Will pay <b>Friday</b>","transcript_url":"https://rec.example.com/CA1.txt"'
ev 2026-11-24T15:00:00Z '"event":"dispatched","attempt_id":"recorded.14155550002.1","phone":"+14155550002","row":3,"attempt":1,"account":"sim-main","caller_id":"+12125550100"'
ev 2026-11-24T15:00:01Z '"event":"placed","attempt_id":"recorded.14155550002.1","call_id":"CA2"'
ev 2026-11-24T15:05:00Z '"event":"outcome","attempt_id":"recorded.14155550002.1","call_id":"CA2","outcome":"failed","duration_s":0,"connected":false,"answered":false,"recording_url":"javascript:alert(2)","error":{"kind":"invalid_number","code":"21211","message":"bad"}}'
mkdir -p "$R/campaigns/broken" && echo '{"name": ' > "$R/campaigns/broken/campaign.json"
git_commit_all "$R" "archived, deleted, a hand-written log, a broken campaign"

NOW=2026-11-24T15:08:00Z
# list shows the broken campaign as a row with status "error" (and exits
# 1); the dashboard is compared with the campaigns that can be read
"$GITDIAL" list --repo "$R" --now $NOW --format json > $TMP/list-all.json
/usr/bin/python3 -c 'import json,sys; json.dump([r for r in json.load(open(sys.argv[1])) if r["status"] != "error"], open(sys.argv[2], "w"))' \
	$TMP/list-all.json $TMP/list.json
expect_eq "list shows the broken campaign as an error row" "broken error" \
	"$(/usr/bin/python3 -c 'import json,sys; print(*[r["id"] + " " + r["status"] for r in json.load(open(sys.argv[1])) if r["status"] == "error"])' $TMP/list-all.json)"
ok_if "report writes the dashboard" "$GITDIAL" report --repo "$R" --out $TMP/out --now $NOW
expect_grep "it says where" "^report: $TMP/out/index.html \(8 campaign pages\)" $TMP/.out
for f in index.html archived.html deleted.html list-active-status-failed.html list-deleted-provider-sim.html \
	active/xss-test.html active/nov-reminders.html archived/old-promo.html deleted/spring-survey.html \
	active/calls/recorded.html archived/calls/old-promo.html; do
	expect_eq "$f written" 1 "$([ -s $TMP/out/$f ] && echo 1)"
done
expect_grep "a campaign folder that cannot be read is noted, not hidden" \
	'1 campaign folder under campaigns/ could not be read' $TMP/out/index.html
"$GITDIAL" report --repo "$R" --out $TMP/outj --now $NOW --format json > $TMP/rj.json
expect_eq "--format json says what was written" "8 6 1 1 1" \
	"$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["pages"], j["active"], j["archived"], j["deleted"], j["unreadable"])' $TMP/rj.json)"
ok_if "the same repository and --now give the same bytes" sh -c \
	"'$GITDIAL' report --repo '$R' --out $TMP/out2 --now $NOW && diff -r $TMP/out $TMP/out2"
expect_eq "no external URL in any page (nothing to fetch)" "" \
	"$(grep -ohE '(src|href)="(https?:)?//[^"]*"' -r $TMP/out | grep -v 'rec.example.com' | sort -u)"
expect_eq "the hostile name never appears unescaped" "" "$(grep -rlF "$XSS" $TMP/out)"
expect_grep "and it appears escaped" '&lt;script&gt;alert\(1\)&lt;/script&gt;' $TMP/out/index.html
expect_eq "one <script> in the index (ours), none in campaign, conversations or list pages" "1 0" \
	"$(grep -o '<script>' $TMP/out/index.html | wc -l) $(cat $TMP/out/active/*.html $TMP/out/active/calls/*.html $TMP/out/list-*.html | grep -o '<script' | wc -l)"
expect_eq "without JavaScript: the tabs are links to their pages" 3 \
	"$(grep -cE '<a role="tab" id="tab-(active|archived|deleted)" href="(index|archived|deleted).html"' $TMP/out/index.html)"
expect_eq "archived.html shows the Archived tab" 'aria-selected="true">Archived' \
	"$(grep -o 'aria-selected="true">[A-Za-z]*' $TMP/out/archived.html)"
expect_eq "a status page lists only that status (Failed: bad-caller)" "bad-caller" \
	"$(grep -o 'href="active/[a-z-]*.html"' $TMP/out/list-active-status-failed.html | sed 's|.*active/||; s|.html"||' | tr '\n' ' ' | sed 's/ $//')"
expect_grep "a CSP allows only the page's own script" "script-src 'sha256-" $TMP/out/index.html

# errors
"$GITDIAL" report --repo "$R" >/dev/null 2>$TMP/err; code=$?
expect_eq "no --out: usage error, exit 2" 2 "$code"
touch $TMP/afile
"$GITDIAL" report --repo "$R" --out $TMP/afile/x --now $NOW >/dev/null 2>$TMP/err; code=$?
expect_eq "unwritable --out: exit 1" 1 "$code"
expect_grep "and says which path" "gitdial report: .*$TMP/afile" $TMP/err
"$GITDIAL" report --repo $TMP/nope --out $TMP/o3 >/dev/null 2>$TMP/err; code=$?
expect_eq "not a repository: exit 1" 1 "$code"

# expectations for the browser, from the repository's own numbers
n_out() { git -C "$R" grep -h '"event":"outcome"' HEAD -- "outcomes/$1" | wc -l; }
/usr/bin/python3 - "$TMP/list.json" "$XSS" "$(n_out nov-reminders)" "$(n_out xss-test)" "$(n_out bad-caller)" > $TMP/expect.json <<'PY'
import json, sys
lst, xss = json.load(open(sys.argv[1])), sys.argv[2]
nov_out, xss_out, bad_out = (min(int(x), 50) for x in sys.argv[3:6])
names = {r["id"]: r["name"] for r in lst}
by_status = lambda *s: [r["name"] for r in lst if r["status"] in s]
nov = next(r for r in lst if r["id"] == "nov-reminders")
pages = [
    {"path": "active/xss-test.html", "name": xss, "status": "Completed",
     "recipients": 4, "n_outcomes": xss_out, "shot": "campaign-xss.png"},
    {"path": "active/nov-reminders.html", "name": nov["name"], "status": nov["status"],
     "recipients": 30, "n_outcomes": nov_out, "shot": "campaign-dialing.png"},
    {"path": "active/bad-caller.html", "name": names["bad-caller"], "status": "Failed",
     "recipients": 3, "n_outcomes": bad_out, "why": "provider rejected the campaign", "shot": "campaign-failed.png"},
    {"path": "active/recorded.html", "name": "Recorded calls", "status": "Dialing",
     "recipients": 3, "n_outcomes": 2, "shot": "campaign-recorded.png",
     "stats": {"in_flight": 0, "queued": 1, "completed": 1, "failed": 1, "skipped": 0},
     "outcome_rows": [
        {"phone": "+14155550001", "outcome": "connected", "duration": "1:05", "sentiment": "positive",
         "recording": "recording", "href": "https://rec.example.com/CA1.mp3?a=1&b=2"},
        {"phone": "+14155550002", "outcome": "failed", "duration": "0:00", "sentiment": "-",
         "recording": "javascript:alert(2)", "href": None}],
     "calls": [
        {"phone": "+14*****0002", "outcome": "failed", "duration": "0:00", "sentiment": "-",
         "summary": "-", "transcript": None, "recording": None},
        {"phone": "+14*****0001", "outcome": "connected", "duration": "1:05",
         "sentiment": "positive", "summary": "Will pay <b>Friday</b>",
         "transcript": "https://rec.example.com/CA1.txt",
         "recording": "https://rec.example.com/CA1.mp3?a=1&b=2"}]},
    {"path": "archived/old-promo.html", "name": "Old promo (archived)", "status": "Archived",
     "recipients": 20, "n_outcomes": 0, "shot": "campaign-archived.png"},
]
exp = {
    "tabs": {"active": [r["name"] for r in lst], "archived": ["Old promo (archived)"],
             "deleted": ["Spring survey (deleted)"]},
    "list": lst, "xss_name": xss,
    "statuses": sorted({r["status"] for r in lst}),
    "search": {"text": "novem", "rows": [nov["name"]]},
    "status_filter": {"pick": ["completed", "failed"], "rows": by_status("Completed", "Failed"),
                      "and_search": "script",
                      "and_rows": [n for n in by_status("Completed", "Failed") if "script" in n.lower()]},
    "providers": ["sim"], "sim_rows": [r["name"] for r in lst],
    "pages": pages,
    "nojs": {"status": "failed", "rows": by_status("Failed"),
             "provider": "sim", "provider_rows": [r["name"] for r in lst]},
}
json.dump(exp, sys.stdout, ensure_ascii=False, indent=1)
PY
expect_eq "the repository has every status the chips show" \
	"Completed Dialing Draft Failed Scheduled" \
	"$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({r["status"] for r in json.load(open(sys.argv[1]))})))' $TMP/list.json)"

rm -rf "$ART"
t_start=$SECONDS
/usr/bin/python3 "$TOP/tests/tools/report_check.py" --report $TMP/out \
	--expect $TMP/expect.json --artifacts "$ART" > $TMP/browser.out 2>&1
code=$?
echo "# browser: $((SECONDS - t_start)) s"
sed 's/^/  /' $TMP/browser.out
expect_eq "the dashboard works in headless Chromium (see above)" 0 "$code"
expect_eq "screenshots kept in $ART" 11 "$(ls "$ART"/*.png 2>/dev/null | wc -l)"
finish
