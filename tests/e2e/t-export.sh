#!/usr/bin/env bash
# gitdial export: a campaign's audit bundle (.tar.gz and .zip through
# libarchive) checked with the tools an auditor has: tar/bsdtar/unzip list
# it, sha256sum -c verifies it against SHA256SUMS and against MANIFEST.json,
# git agrees with every blob id and with the commit that added each log
# segment, and outcomes.csv cannot run a formula in a spreadsheet.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
T0=2026-11-24T15:00:00Z
new_repo "$R"
add_campaign "$R" audit-me 5 212 10 0
# values a spreadsheet would run
printf '%s\n' 'phone,name,note' '+12125550000,"=HYPERLINK(""http://evil.example/"")",ok' \
	'+12125550001,+SUM(A1:A9),-2+3' '+12125550002,@cmd,"	tab first"' \
	'+12125550003,Ann,"line one' 'line two"' '+12125550004,"Bob, ""Jr""",plain' \
	> "$R/campaigns/audit-me/audience.csv"
sed -i 's/Hello {{name}}./Hello./' "$R/campaigns/audit-me/campaign.json"
git_commit_all "$R" "hostile audience"
schedule "$R" audit-me $T0
for i in 0 1 5 7; do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $i)" >/dev/null || echo "# tick $i failed"
done
NOW=2026-11-24T16:00:00Z
TOPD=gitdial-export-audit-me

ok_if "export writes a tar.gz" "$GITDIAL" export audit-me --repo "$R" --out $TMP/a.tar.gz --now $NOW
expect_grep "and says what it wrote" "^export: $TMP/a.tar.gz \(" $TMP/.out
want=$( (printf '%s\n' README.txt MANIFEST.json SHA256SUMS outcomes.csv;
	 git -C "$R" ls-tree -r --name-only HEAD campaigns/audit-me outcomes/audit-me) | sort)
expect_eq "tar -tzf: the campaign, the whole log, the manifest, the sums, the CSV, the README" \
	"$want" "$(tar -tzf $TMP/a.tar.gz | sed "s|^$TOPD/||" | sort)"
expect_eq "bsdtar -tf lists the same" "$want" "$(bsdtar -tf $TMP/a.tar.gz | sed "s|^$TOPD/||" | sort)"
n_log=$(git -C "$R" ls-tree -r --name-only HEAD outcomes/audit-me | wc -l)
expect_eq "the log has several segments" 1 "$([ "$n_log" -ge 4 ] && echo 1)"

mkdir -p $TMP/x && tar -xzf $TMP/a.tar.gz -C $TMP/x
X=$TMP/x/$TOPD
ok_if "sha256sum -c SHA256SUMS" sh -c "cd '$X' && sha256sum -c --strict SHA256SUMS"
/usr/bin/python3 - "$X/MANIFEST.json" > $TMP/from-manifest.sums <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    print("%s  %s" % (f["sha256"], f["file"]))
PY
ok_if "sha256sum -c against MANIFEST.json" sh -c "cd '$X' && sha256sum -c --strict $TMP/from-manifest.sums"
expect_eq "the manifest lists every file but itself" \
	"$(echo "$want" | grep -v '^MANIFEST.json$' | grep -v '^SHA256SUMS$')" \
	"$(cut -d' ' -f3- $TMP/from-manifest.sums | sort)"

# git agrees: blob ids, the commit that added each segment, the bytes
/usr/bin/python3 - "$X/MANIFEST.json" > $TMP/manifest.tsv <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["commit"])
for f in m["files"]:
    print("\t".join([f["file"], f["kind"], f.get("blob", "-"), f.get("commit", "-")]))
PY
expect_eq "manifest names the head commit" "$(git -C "$R" rev-parse HEAD)" "$(head -1 $TMP/manifest.tsv)"
bad=""
while IFS=$'\t' read -r path kind blob commit; do
	[ "$blob" = - ] && continue
	[ "$(git -C "$R" rev-parse "HEAD:$path")" = "$blob" ] || bad="$bad blob:$path"
	cmp -s "$X/$path" <(git -C "$R" show "HEAD:$path") || bad="$bad bytes:$path"
	if [ "$kind" = log ]; then
		added=$(git -C "$R" log --diff-filter=A --format=%H -- "$path" | tail -1)
		[ "$commit" = "$added" ] || bad="$bad commit:$path($commit!=$added)"
	fi
done < <(tail -n +2 $TMP/manifest.tsv)
expect_eq "every blob id, byte and log-segment commit agrees with git" "" "$bad"
expect_eq "every log segment has its commit" "$n_log" "$(awk -F'\t' '$2=="log" && $4!="-"' $TMP/manifest.tsv | wc -l)"
expect_grep "README says how to check" "sha256sum -c SHA256SUMS" "$X/README.txt"
expect_grep "README explains the phone numbers" "'\+14155550100" "$X/README.txt"

# outcomes.csv: one row per recipient, formula-safe
/usr/bin/python3 - "$X/outcomes.csv" > $TMP/csv.out <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
print("header", ",".join(head))
print("rows", len(body))
bad = [v for r in rows for v in r if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
print("unsafe", len(bad))
for r in body:
    d = dict(zip(head, r))
    print("row", d["phone"], d["state"], d["name"], d["note"].replace("\n", "\\n"))
PY
expect_grep "header: state columns then the audience's" "^header phone,row,state,attempts,last_outcome,last_ended_at,name,note$" $TMP/csv.out
expect_grep "5 recipients" "^rows 5$" $TMP/csv.out
expect_grep "no cell starts with = + - @ tab or CR" "^unsafe 0$" $TMP/csv.out
expect_grep "a formula is kept as text" "^row '\+12125550000 [a-z_]+ '=HYPERLINK\(\"http://evil.example/\"\) ok$" $TMP/csv.out
expect_grep "+, - and @ too" "^row '\+12125550001 [a-z_]+ '\+SUM\(A1:A9\) '-2\+3$" $TMP/csv.out
expect_grep "@ and a leading tab" "^row '\+12125550002 [a-z_]+ '@cmd '	tab first$" $TMP/csv.out
expect_grep "quotes and newlines survive (RFC 4180 through libcsv)" '^row .\+12125550004 [a-z_]+ Bob, "Jr" plain$' $TMP/csv.out
expect_grep "newline inside a field" '^row .\+12125550003 [a-z_]+ Ann line one\\nline two$' $TMP/csv.out
done_n=$(grep -c '^row .* completed ' $TMP/csv.out)
"$GITDIAL" list --repo "$R" --now $NOW --format json > $TMP/list.json
expect_eq "a completed campaign: no recipient queued or in flight in the CSV" "Completed 0" \
	"$(/usr/bin/python3 -c 'import json,sys; print([r["status"] for r in json.load(open(sys.argv[1])) if r["id"]=="audit-me"][0])' $TMP/list.json) $(grep '^row' $TMP/csv.out | grep -cE ' (queued|in_flight) ')"
expect_eq "some recipient completed" 1 "$([ "$done_n" -ge 1 ] && echo 1)"
expect_grep "README counts the recipients" "^Recipients: 5: " "$X/README.txt"

ok_if "the same repository and --now give the same bytes" sh -c \
	"'$GITDIAL' export audit-me --repo '$R' --out $TMP/b.tar.gz --now $NOW && cmp $TMP/a.tar.gz $TMP/b.tar.gz"

"$GITDIAL" export audit-me --repo "$R" --out $TMP/j.tgz --now $NOW --format json > $TMP/ej.json
expect_eq "--format json says what was written" "audit-me campaigns/audit-me $n_log" \
	"$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["campaign"], j["folder"], j["segments"])' $TMP/ej.json)"

# zip
ok_if "export writes a zip" "$GITDIAL" export audit-me --repo "$R" --out $TMP/a.zip --now $NOW
expect_eq "unzip -l lists the same files" "$want" \
	"$(unzip -Z1 $TMP/a.zip | sed "s|^$TOPD/||" | sort)"
mkdir -p $TMP/z && (cd $TMP/z && unzip -q $TMP/a.zip)
ok_if "zip: sha256sum -c SHA256SUMS" sh -c "cd '$TMP/z/$TOPD' && sha256sum -c --strict SHA256SUMS"
echo tampered >> "$(find "$TMP/z/$TOPD/outcomes" -name '*.jsonl' | sort | head -1)"
expect_eq "a changed log segment fails the check" 1 \
	"$(cd "$TMP/z/$TOPD" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1 || echo 1)"

# an archived campaign exports from archived/
mkdir -p "$R/archived" && git -C "$R" mv campaigns/audit-me archived/audit-me && git -C "$R" commit -qm "archive audit-me"
ok_if "an archived campaign exports" "$GITDIAL" export audit-me --repo "$R" --out $TMP/arch.tgz --now $NOW
expect_grep "from archived/" "^$TOPD/archived/audit-me/campaign.json$" <(tar -tzf $TMP/arch.tgz)
expect_grep "its log comes along" "^$TOPD/outcomes/audit-me/" <(tar -tzf $TMP/arch.tgz)
expect_grep "and its outcomes.csv" "^$TOPD/outcomes.csv$" <(tar -tzf $TMP/arch.tgz)

# errors
"$GITDIAL" export Bad_Id --repo "$R" --out $TMP/e.tar.gz 2>$TMP/err; code=$?
expect_eq "a bad id is a usage error (exit 2)" 2 "$code"
expect_grep "naming the id" "'Bad_Id' is not a campaign id" $TMP/err
"$GITDIAL" export no-such --repo "$R" --out $TMP/e.tar.gz 2>$TMP/err; code=$?
expect_eq "an unknown campaign: exit 1" 1 "$code"
expect_grep "naming it" "no campaign 'no-such' in campaigns/, archived/ or deleted/" $TMP/err
"$GITDIAL" export nov-reminders --repo "$R" --out $TMP/no/such/dir/e.tar.gz 2>$TMP/err; code=$?
expect_eq "an unwritable --out: exit 1" 1 "$code"
expect_grep "naming the file" "cannot write '$TMP/no/such/dir/e.tar.gz'" $TMP/err
"$GITDIAL" export nov-reminders --repo "$R" --out $TMP/e.rar 2>$TMP/err; code=$?
expect_eq "an unknown format: exit 2" 2 "$code"
"$GITDIAL" export nov-reminders --repo "$R" 2>$TMP/err; code=$?
expect_eq "no --out: exit 2" 2 "$code"
expect_eq "nothing half-written is left behind" "" "$(ls $TMP | grep -E '^e\.|\.tmp\.')"
finish
