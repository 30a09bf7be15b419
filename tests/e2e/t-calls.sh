#!/usr/bin/env bash
# gitdial show ID --calls: every call of a campaign newest first, with the
# agent's analysis (sentiment, summary, transcript) and the recording;
# filters by outcome, a limit, masked numbers; every string from the log
# escaped for the terminal and bounded, links only http(s). Then the
# report's conversations page: the same calls, HTML-escaped.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
T0=2026-11-24T15:00:00Z
py() { /usr/bin/python3 -c "$@"; }
for i in 0 1 2 3 4 5 6; do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 5)))" >/dev/null ||
		echo "# tick $i failed"
done
T1=$(minutes_after $T0 40)
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/nov-reminders; }
n_out=$(log '"event":"outcome"' | py 'import json,sys; print(len({json.loads(l)["attempt_id"] for l in sys.stdin}))')
n_conn=$(log '"outcome":"connected"' | wc -l)
n_an=$(log '"event":"analysis"' | wc -l)
ok_if "the simulated carrier gave outcomes and the agent analyses" test "$n_out" -gt 3 -a "$n_an" -gt 0

"$GITDIAL" show nov-reminders --calls --limit 100000 --repo "$R" --now $T1 --format json >$TMP/calls.json
jq_() { py "import json,sys; d=json.load(open('$TMP/calls.json')); $1"; }
expect_eq "one entry per attempt with an outcome" "$n_out $n_out" "$(jq_ 'print(d["total"], len(d["calls"]))')"
expect_eq "newest first" sorted "$(jq_ 'r=[c["ts"] for c in d["calls"]]; print("sorted" if r == sorted(r, reverse=True) else r)')"
expect_eq "each analysis joined to its call (sentiment and summary)" "$n_an" \
	"$(jq_ 'print(sum(1 for c in d["calls"] if "summary" in c and "sentiment" in c))')"
expect_eq "numbers masked: + two digits, stars, the last four" ok \
	"$(jq_ 'import re; print("ok" if all(re.fullmatch(r"\+\d\d\*+\d{4}", c["phone"]) for c in d["calls"]) else [c["phone"] for c in d["calls"]])')"
expect_eq "each call names its audience row" ok \
	"$(jq_ 'print("ok" if all(isinstance(c["row"], int) and c["row"] >= 2 for c in d["calls"]) else "no")')"
"$GITDIAL" show nov-reminders --calls --outcome connected --repo "$R" --now $T1 --format json >$TMP/calls.json
expect_eq "--outcome connected: only those, all of them" "$n_conn connected" \
	"$(jq_ 'print(d["total"], " ".join(sorted({c["outcome"] for c in d["calls"]})))')"
"$GITDIAL" show nov-reminders --calls --outcome 'busy, no_answer' --limit 2 --full-numbers --repo "$R" --now $T1 --format json >$TMP/calls.json
expect_eq "--outcome busy,no_answer --limit 2: two of them, full numbers" "2 ok" \
	"$(jq_ 'import re; print(d["shown"], "ok" if all(c["outcome"] in ("busy", "no_answer") and re.fullmatch(r"\+\d{11}", c["phone"]) for c in d["calls"]) else d["calls"])')"
"$GITDIAL" show nov-reminders --calls --limit 3 --repo "$R" --now $T1 >$TMP/calls.txt
expect_grep "text: a header with the count" "^Calls of November payment reminders \(nov-reminders\): $n_out, the newest 3 shown \(newest first\)$" $TMP/calls.txt
expect_eq "text: three calls" 3 "$(grep -cE '^  2026-11-24T[0-9:]+Z  row [0-9]+ +\+1[0-9]\*+[0-9]{4} ' $TMP/calls.txt)"

# errors say what is wrong
"$GITDIAL" show nov-reminders --calls --outcome conected --repo "$R" >/dev/null 2>$TMP/err; code=$?
expect_eq "a misspelt --outcome: exit 2" 2 "$code"
expect_grep "... naming the word and the outcomes" '--outcome: "conected" is not an outcome \(expected connected, voicemail' $TMP/err
"$GITDIAL" show nov-reminders --calls --limit 0 --repo "$R" >/dev/null 2>$TMP/err; code=$?
expect_eq "--limit 0: exit 2" 2 "$code"
"$GITDIAL" show nov-reminders --outcome busy --repo "$R" >/dev/null 2>$TMP/err; code=$?
expect_eq "--outcome without --calls: exit 2" "2" "$code"
expect_grep "... says it goes with --calls" "go with --calls" $TMP/err

# a hand-written log: hostile text and links, an analysis before its
# outcome, one with no outcome at all, an outcome logged twice
L=$R/outcomes/nov-reminders/2026/11/24/T160000Z-hand.jsonl
ev() { printf '{"v":1,"ts":"%s","campaign":"nov-reminders",%s}\n' "$1" "$2" >>"$L"; }
ev 2026-11-24T16:00:00Z '"event":"analysis","call_id":"HX1","sentiment":"negative","summary":"Said \u001b]0;pwned\u0007 <img src=x onerror=alert(3)> \u202eevil","transcript_url":"javascript:alert(4)","recording_url":"https://rec.example.com/HX1.mp3?a=1&b=<2>"'
ev 2026-11-24T16:00:01Z '"event":"outcome","attempt_id":"nov-reminders.12125550199.1","call_id":"HX1","outcome":"connected","duration_s":125,"connected":true,"answered":true,"recording_url":"data:text/html,x"'
ev 2026-11-24T16:00:02Z '"event":"outcome","attempt_id":"nov-reminders.12125550199.1","call_id":"HX1","outcome":"connected","duration_s":125,"connected":true,"answered":true'
ev 2026-11-24T16:00:03Z '"event":"analysis","call_id":"ORPHAN","sentiment":"neutral","summary":"'"$(head -c 3000 /dev/zero | tr '\0' s)"'"'
echo 'not json at all' >>"$L"
git_commit_all "$R" "a hand-written log"
T2=2026-11-24T16:10:00Z
"$GITDIAL" show nov-reminders --calls --limit 2 --repo "$R" --now $T2 >$TMP/h.txt
expect_eq "no raw ESC, BEL or bidi override reaches the terminal" 0 \
	"$(LC_ALL=C grep -c $'\x1b\|\x07\|\xe2\x80\xae' $TMP/h.txt)"
expect_grep "... they are shown escaped" 'Said \\x1b\]0;pwned\\x07 <img src=x onerror=alert\(3\)> \\u202eevil' $TMP/h.txt
expect_grep "the analysis before its outcome is joined to it, once" "^  2026-11-24T16:00:01Z  row - +\+12\*+0199 +connected  2:05  negative$" $TMP/h.txt
expect_grep "the https recording (from the analysis) is shown" "Recording   https://rec.example.com/HX1.mp3\?a=1&b=<2>" $TMP/h.txt
expect_eq "a javascript: transcript and a data: recording are not" 0 "$(grep -cE 'javascript:|data:' $TMP/h.txt)"
expect_grep "... and counted" "^2 links in the log are not http\(s\) \(or too long\) and are not shown.$" $TMP/h.txt
expect_grep "an analysis with no outcome is listed, not dropped" "Note        the agent's analysis; no outcome is logged" $TMP/h.txt
expect_eq "a summary is cut for the terminal" 1 "$(grep -cE '^    Summary     s{500} \[\.\.\.\]$' $TMP/h.txt)"
"$GITDIAL" show nov-reminders --calls --repo "$R" --now $T2 --format json >$TMP/calls.json
expect_eq "json: the outcome logged twice counts once; the orphan analysis counts" "$((n_out + 2))" "$(jq_ 'print(d["total"])')"
expect_eq "json: the summary kept is bounded (2000 bytes)" 1999 \
	"$(jq_ 'print(max(len(c.get("summary", "")) for c in d["calls"]))')"

# the report: a conversations page per campaign, linked from its page
ok_if "report writes the dashboard" "$GITDIAL" report --repo "$R" --out $TMP/out --now $T2
P=$TMP/out/active/calls/nov-reminders.html
ok_if "a conversations page per campaign" test -s "$P" -a -s "$TMP/out/active/calls/ramadan-survey.html"
expect_grep "linked from the campaign's page" 'href="calls/nov-reminders.html"' $TMP/out/active/nov-reminders.html
expect_eq "one row per call, as show --calls counts them" "$((n_out + 2))" "$(grep -c '<tr data-outcome=' "$P")"
expect_grep "the hostile summary is HTML-escaped" 'Said .*&lt;img src=x onerror=alert\(3\)&gt;' "$P"
expect_eq "no raw tag from the log" 0 "$(grep -c '<img' "$P")"
expect_grep "the https recording is a link, its URL escaped" 'href="https://rec.example.com/HX1.mp3\?a=1&amp;b=&lt;2&gt;">recording</a>' "$P"
expect_eq "no javascript: or data: link" 0 "$(grep -cE 'href="(javascript|data):' "$P")"
expect_eq "numbers masked on the page" 0 "$(grep -cE '\+1[0-9]{10}' "$P")"
expect_eq "no script on the page" 0 "$(grep -c '<script' "$P")"
C=$TMP/out/active/calls/nov-reminders/connected.html
expect_eq "a page per outcome, linked (no JavaScript needed): connected lists only those" \
	"$((n_conn + 1)) connected" \
	"$(grep -c '<tr data-outcome="connected"' "$C") $(grep -o '<tr data-outcome="[a-z_]*"' "$C" | sort -u | sed 's/.*="//; s/"//' | tr '\n' ' ' | sed 's/ $//')"
expect_grep "... linked from the conversations page" 'href="nov-reminders/connected.html">connected</a>' "$P"
expect_grep "... and back to all of them" 'href="../nov-reminders.html">All</a>' "$C"
ok_if "an outcome no call had gets no page" test ! -e "$TMP/out/active/calls/ramadan-survey/connected.html"
finish
