#!/usr/bin/env bash
# The rules pack end to end: `gitdial rules` by jurisdiction and number,
# --check and validate reject a malformed pack or a row without a source,
# a repository's rules/ layered over the embedded pack binds the tick, a
# recipient who can never be called before end_at is skipped with the
# rule's id, end_at expires the rest, the consent gate, and the circuit
# breaker: it pauses a campaign whose provider fails, and a resume status
# or a pause/schedule in campaign.json clears it.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
rm -rf "$R/campaigns/ramadan-survey" "$R/campaigns/nov-reminders"
git_commit_all "$R" "empty"

# --- gitdial rules ----------------------------------------------------------
"$GITDIAL" rules US-FL --repo "$R" > $TMP/fl.txt
expect_grep "rules US-FL: federal and state hours, the stricter combined" \
	"^Combined: mon-sun 08:00-20:00" $TMP/fl.txt
expect_grep "rules US-FL: the 24-hour cap" "caps: 3 per 24 h \(us-fl-cap\)" $TMP/fl.txt
expect_grep "rules US-FL: every row with its source" \
	"^ +https://flsenate.gov/Session/Bill/2021/1120/BillText/Filed/HTML" $TMP/fl.txt
"$GITDIAL" rules +12155550100 --repo "$R" --format json > $TMP/pa.json
expect_eq "rules +1 215: Pennsylvania's rows, zone by area code, 14 holidays" \
	"America/New_York area code us-tcpa,us-pa-holidays-2026,us-pa-disclosure 14 True" \
	"$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print(" ".join(j["zones"]), j["zone_source"], ",".join(r["id"] for r in j["rules"]),
      j["combined"]["holidays"], j["combined"]["disclosure"])' $TMP/pa.json)"
"$GITDIAL" rules AL --repo "$R" > $TMP/al.txt 2>&1
expect_eq "rules for a country without rows: the default hours" \
	"default" "$(sed -n 's/^  \([a-z0-9-]*\) .*/\1/p' $TMP/al.txt | head -1)"
rc=0; "$GITDIAL" rules 'U$-F' --repo "$R" >/dev/null 2>$TMP/err || rc=$?
expect_eq "a malformed jurisdiction is a usage error (exit 2)" 2 $rc

# --- --check: the embedded pack, and broken ones ------------------------------
ok_if "rules --check accepts the embedded pack" "$GITDIAL" rules --check "$TOP/schemas/rules/rules.json"
cat > $TMP/nosource.json <<'EOF'
{"rules": [
 {"id": "acme-ny", "jurisdiction": "US-NY", "kind": "hours",
  "hours": [{"days": ["mon"], "start": "10:00", "end": "18:00"}],
  "effective": "2026-01-01"},
 {"id": "acme-cap", "jurisdiction": "US-NY", "kind": "cap",
  "max_calls": 2, "source": "https://example.com/acme", "effective": "2026-01-01"}
]}
EOF
rc=0; "$GITDIAL" rules --check $TMP/nosource.json > $TMP/check.txt 2>&1 || rc=$?
expect_eq "rules --check fails on a broken pack (exit 1)" 1 $rc
expect_grep "a row without a source is named by file, line and field" \
	"nosource.json:2: error: rules\[0\]\.source: missing" $TMP/check.txt
expect_grep "a cap without its period is named too" \
	"nosource.json:5: error: rules\[1\]: a cap rule needs max_calls" $TMP/check.txt

# --- a repository's own rules/ over the embedded pack ---------------------------
mkdir -p "$R/rules"
cat > "$R/rules/acme.json" <<'EOF'
{"description": "ACME's own policy, stricter than the law",
 "rules": [
 {"id": "acme-ny", "jurisdiction": "US-NY", "kind": "hours",
  "hours": [{"days": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], "start": "10:00", "end": "18:00"}],
  "source": "https://example.com/acme/calling-policy", "effective": "2026-01-01", "status": "confirmed"}
]}
EOF
add_campaign "$R" ny 4 212 10 0
ok_if "validate accepts a repository pack" "$GITDIAL" validate --repo "$R"
expect_grep "rules US-NY shows the repository's row" "^Combined: mon-sun 10:00-18:00" \
	<("$GITDIAL" rules US-NY --repo "$R")
schedule "$R" ny 2026-11-24T14:00:00Z
"$GITDIAL" plan ny --repo "$R" --now 2026-11-24T14:30:00Z --format json > $TMP/plan.json
expect_eq "plan: the zone's rules include the repository's row, closed at 09:30 EST" \
	"us-tcpa,acme-ny False 2026-11-24T15:00:00Z" \
	"$(/usr/bin/python3 -c 'import json,sys; z=json.load(open(sys.argv[1]))["zones"][0]
print(z["rules"], z["open"], z["opens"])' $TMP/plan.json)"
"$GITDIAL" tick --repo "$R" --now 2026-11-24T14:30:00Z >/dev/null
expect_eq "tick at 09:30 EST dials nobody (acme-ny: from 10:00)" 0 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)"
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:00:00Z >/dev/null
expect_eq "tick at 10:00 EST dials all four" 4 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)"

# a broken repository pack: validate names it, the tick refuses to dial
cat > "$R/rules/broken.json" <<'EOF'
{"rules": [
 {"id": "acme-tx", "jurisdiction": "US-TX", "kind": "banned", "days": ["sun"],
  "effective": "2026-01-01"}
]}
EOF
add_campaign "$R" tx 3 512 10 0
schedule "$R" tx 2026-11-24T14:00:00Z
rc=0; "$GITDIAL" validate --repo "$R" > $TMP/v.txt 2>&1 || rc=$?
expect_eq "validate fails on a repository pack row without a source" 1 $rc
expect_grep "validate names rules/broken.json, its line and field" \
	"rules/broken.json:2: error: rules\[0\]\.source: missing" $TMP/v.txt
rc=0; "$GITDIAL" tick --repo "$R" --now 2026-11-24T16:00:00Z > $TMP/t.txt 2>&1 || rc=$?
expect_eq "the tick refuses to run on a broken pack" "1 4" \
	"$([ $rc -ne 0 ] && echo 1 || echo 0) $(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)"
expect_grep "and says why" "rules pack in rules/ is invalid" $TMP/t.txt
git -C "$R" rm -q -r rules campaigns/tx && git -C "$R" commit -qm "no repository pack"

# --- never before the end: skipped with the rule's id; end_at expires -----------
mkdir -p "$R/campaigns/paris"
printf 'phone,name\n+33142685301,A\n+33142685302,B\n+33142685303,C\n' > "$R/campaigns/paris/audience.csv"
/usr/bin/python3 - "$R/campaigns/paris/campaign.json" <<'PY'
import json, sys
json.dump({"name": "Paris", "status": "scheduled", "account": "sim-main",
           "start_at": "2026-11-27T18:00:00Z", "end_at": "2026-11-29T12:00:00Z",
           "audience": {"csv": "audience.csv"}, "pacing": {"concurrency": 5}},
          open(sys.argv[1], "w"), indent=2)
PY
mkdir -p "$R/campaigns/later"
cp "$R/campaigns/paris/audience.csv" "$R/campaigns/later/audience.csv"
sed 's/2026-11-29T12:00:00Z/2026-12-03T12:00:00Z/; s/"Paris"/"Later"/' \
	"$R/campaigns/paris/campaign.json" > "$R/campaigns/later/campaign.json"
git_commit_all "$R" "paris and later"
# Friday 20:30 in Paris: closed until Monday 10:00
"$GITDIAL" tick --repo "$R" --now 2026-11-27T19:30:00Z >/dev/null
expect_eq "Paris ends Sunday: its three are skipped with the rule that closes them" \
	"fr-d223-9 fr-d223-9 fr-d223-9" \
	"$(git -C "$R" grep -h '"skipped"' HEAD -- outcomes/paris | sed 's/.*"reason":"\([^"]*\)".*/\1/' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "and the campaign is completed" 1 \
	"$(git -C "$R" grep -h '"status":"completed"' HEAD -- outcomes/paris | wc -l)"
expect_eq "Later ends after Monday: its three wait, nobody skipped" 0 \
	"$(git -C "$R" grep -h '"skipped"' HEAD -- outcomes/later | wc -l)"
ok_if "audit: Paris complete, every row accounted for" $AUDIT "$R" paris --complete

# end_at: no new dispatch after it; the rest are skipped as expired
add_campaign "$R" short 6 212 2 2
/usr/bin/python3 - "$R/campaigns/short/campaign.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(status="scheduled", start_at="2026-11-24T15:00:00Z", end_at="2026-11-24T15:30:00Z")
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
git_commit_all "$R" "short"
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:00:00Z >/dev/null
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:40:00Z >/dev/null
# the two dialed may be waiting for a retry: they expire too
expect_eq "end_at: two dialed before it, the four never dialed expired after it" "2 ok" \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/short | wc -l) $([ "$(git -C "$R" grep -h '"reason":"expired"' HEAD -- outcomes/short | wc -l)" -ge 4 ] && echo ok)"
expect_eq "end_at: then completed" 1 \
	"$(git -C "$R" grep -h '"status":"completed"' HEAD -- outcomes/short | wc -l)"
ok_if "audit: short complete, nothing dispatched after end_at" $AUDIT "$R" short --complete --windows

# --- the consent gate ---------------------------------------------------------
mkdir -p "$R/campaigns/consent"
printf 'phone,name,consent\n+12125550201,A,2026-01-05 web form\n+12125550202,B,\n+12125550203,C,  \n+12125550204,D,yes\n' \
	> "$R/campaigns/consent/audience.csv"
/usr/bin/python3 - "$R/campaigns/consent/campaign.json" <<'PY'
import json, sys
json.dump({"name": "Consent", "status": "scheduled", "account": "sim-main",
           "start_at": "2026-11-24T15:00:00Z", "require_consent": True,
           "audience": {"csv": "audience.csv"}, "pacing": {"concurrency": 5}},
          open(sys.argv[1], "w"), indent=2)
PY
git_commit_all "$R" "consent"
expect_eq "plan counts the rows without consent" 2 \
	"$("$GITDIAL" plan consent --repo "$R" --now 2026-11-24T16:00:00Z --format json |
	   /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["excluded"]["no_consent"])')"
"$GITDIAL" tick --repo "$R" --now 2026-11-24T16:00:00Z >/dev/null
expect_eq "tick: two dialed, two skipped as no_consent" "2 2" \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/consent | wc -l) $(git -C "$R" grep -h '"reason":"no_consent"' HEAD -- outcomes/consent | wc -l)"

# --- the disclosure decision reaches the provider function ------------------------
# the tick runs gitdial-<provider> from its own directory: a copy of gitdial
# beside a gitdial-sim that records what it is given (a batch: SEQ<TAB>JSON
# lines, or one request) and hands it to the real one
mkdir -p "$TMP/bin" "$TMP/req"
cp "$GITDIAL" "$TMP/bin/gitdial"
printf '#!/bin/sh\ntee "%s/req/$$.txt" | "%s/gitdial-sim" "$@"\n' \
	"$TMP" "$BIN" > "$TMP/bin/gitdial-sim"
chmod +x "$TMP/bin/gitdial-sim"
mkdir -p "$R/campaigns/disc"
printf 'phone,name,language\n+14155550301,A,ar\n+14155550302,B,en\n+12125550303,C,ar\n+442079460958,D,\n' \
	> "$R/campaigns/disc/audience.csv"
/usr/bin/python3 - "$R/campaigns/disc/campaign.json" <<'PY'
import json, sys
json.dump({"name": "Disclosure", "status": "scheduled", "account": "sim-main",
           "start_at": "2026-11-24T15:00:00Z", "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 5}}, open(sys.argv[1], "w"), indent=2)
PY
git_commit_all "$R" "disc"
"$TMP/bin/gitdial" tick --repo "$R" --now 2026-11-24T18:00:00Z >/dev/null
expect_eq "disclosure per recipient and language: California (ar, en) and the UK yes, New York no" \
	"+12125550303:None|+14155550301:قد يتم تسجيل هذه المكالمة.|+14155550302:This call may be recorded.|+442079460958:This call may be recorded." \
	"$(/usr/bin/python3 -c 'import glob, json, sys
rows = []
for f in glob.glob(sys.argv[1] + "/*.txt"):
    for line in open(f, encoding="utf-8"):
        j = json.loads(line.split("\t", 1)[-1])
        if j.get("action") == "dial" and j.get("campaign") == "disc":
            rows.append("%s:%s" % (j["to"], j.get("disclosure")))
print("|".join(sorted(rows)))' "$TMP/req")"

# --- the circuit breaker ----------------------------------------------------------
git -C "$R" rm -q -r campaigns/ny campaigns/paris campaigns/later campaigns/short campaigns/consent campaigns/disc
git -C "$R" commit -qm "only the breaker campaign"
add_campaign "$R" brk 40 646 10 2
schedule "$R" brk 2026-11-24T15:00:00Z
dispatches() { git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/brk | wc -l; }
# the carrier is down: every dial fails as transient (free, retried after a minute)
for m in 0 2; do
	GITDIAL_SIM_FAULT=down "$GITDIAL" tick --repo "$R" --now "$(minutes_after 2026-11-24T15:00:00Z $m)" >/dev/null
done
expect_eq "two ticks of a dead carrier: 20 attempts, all failed" "20 20" \
	"$(dispatches) $(git -C "$R" grep -h '"kind":"transient"' HEAD -- outcomes/brk | wc -l)"
GITDIAL_SIM_FAULT=down "$GITDIAL" tick --repo "$R" --now 2026-11-24T15:04:00Z >/dev/null
expect_eq "the next tick pauses the campaign itself and dials nobody" 20 "$(dispatches)"
expect_grep "a status event with the reason and the numbers" \
	'"status":"paused","reason":"breaker: 20 of the last 20 attempts failed at the provider or transport level' \
	<(git -C "$R" grep -h '"status":"paused"' HEAD -- outcomes/brk)
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:10:00Z >/dev/null
expect_eq "it stays paused although campaign.json says scheduled" 20 "$(dispatches)"
expect_grep "list shows it Paused" "brk.*Paused" <("$GITDIAL" list --repo "$R")
# resume as `gitdial resume` does: a status event of its own
mkdir -p "$R/outcomes/brk/2026/11/24"
printf '{"v":1,"ts":"2026-11-24T15:11:00Z","campaign":"brk","event":"status","status":"dialing","reason":"resumed by ops@example.com"}\n' \
	> "$R/outcomes/brk/2026/11/24/T151100Z-resume.jsonl"
git_commit_all "$R" "resume brk"
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:12:00Z >/dev/null
n=$(dispatches)
ok_if "after a resume status the tick dials again ($n dispatches)" test "$n" -gt 20
expect_eq "and the count starts afresh: no new pause" 1 \
	"$(git -C "$R" grep -h '"status":"paused"' HEAD -- outcomes/brk | wc -l)"
# trip it again, then clear it through campaign.json: paused, then scheduled
for m in 14 16 18; do
	GITDIAL_SIM_FAULT=down "$GITDIAL" tick --repo "$R" --now "$(minutes_after 2026-11-24T15:00:00Z $m)" >/dev/null
done
expect_eq "a second trip" 2 "$(git -C "$R" grep -h '"reason":"breaker:' HEAD -- outcomes/brk | wc -l)"
set_status "$R" brk paused
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:20:00Z >/dev/null
set_status "$R" brk scheduled
n=$(dispatches)
"$GITDIAL" tick --repo "$R" --now 2026-11-24T15:22:00Z >/dev/null
expect_eq "pause then schedule in campaign.json resumes it" \
	"paused in campaign.json|resumed in campaign.json" \
	"$(git -C "$R" grep -h -e '"status":"paused","reason":"paused in' -e '"reason":"resumed in' HEAD -- outcomes/brk |
	   sed 's/.*"reason":"\([^"]*\)".*/\1/' | tr '\n' '|' | sed 's/|$//')"
ok_if "and it dials again" test "$(dispatches)" -gt "$n"
ok_if "audit: the breaker campaign's log is consistent" $AUDIT "$R" brk --windows
finish
