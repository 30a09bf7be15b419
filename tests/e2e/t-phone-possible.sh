#!/usr/bin/env bash
# Numbers that cannot exist, checked against libphonenumber itself: the
# example numbers of every region (each also cut by one and two digits,
# and with each of their first three national digits changed) go through
# `gitdial validate` as an audience; every number validate
# calls impossible must be invalid per the library (no real number is
# ever refused), every example number must pass, and every number the
# library says is not even possible must be refused.
. "$(dirname "$0")/../lib.sh"

if ! g++ -O1 "$TOP/tests/tools/phone-examples.cc" -o "$TMP/phone-examples" \
	-lphonenumber -lprotobuf 2>"$TMP/cc.err"; then
	echo "Bail out! cannot build tests/tools/phone-examples.cc (libphonenumber-dev, g++)"
	sed 's/^/# /' "$TMP/cc.err" | head -5
	exit 1
fi
"$TMP/phone-examples" > "$TMP/numbers.txt"
R=$TMP/repo
new_repo "$R"
A=$R/campaigns/nov-reminders
# in chunks of 5000 rows: validate keeps the first 10,000 problems only
split -l 5000 -d -a 3 "$TMP/numbers.txt" "$TMP/chunk."
for c in "$TMP"/chunk.*; do
	{ echo "phone,customer_name,amount,due_date"
	  awk '{ print $1 ",N,$1,2026-12-01" }' "$c"; } > "$A/audience.csv"
	(cd "$R" && "$GITDIAL" validate --format json campaigns/nov-reminders) > "$c.json"
done
/usr/bin/python3 - "$TMP/numbers.txt" "$TMP"/chunk.*.json > "$TMP/result.txt" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1])]
refused = set()
for k, f in enumerate(sorted(sys.argv[2:])):
    for w in json.load(open(f))["warnings"]:
        if w["field"] == "phone" and ("cannot exist" in w["message"] or "no country" in w["message"]):
            refused.add(k * 5000 + w["line"] - 2)
bad_refusals = [rows[i][0] for i in sorted(refused) if rows[i][1] == "1"]
impossible = [i for i, r in enumerate(rows) if r[2] == "0"]
invalid = [i for i, r in enumerate(rows) if r[1] == "0"]
print(len(rows), len(invalid), len([i for i in invalid if i in refused]),
      len(impossible), len([i for i in impossible if i in refused]),
      ",".join(bad_refusals[:5]) or "-")
PY
read -r n n_invalid n_caught n_imp n_imp_caught bad < "$TMP/result.txt"
echo "# $n numbers, $n_invalid invalid per libphonenumber, $n_caught of them refused;" \
	"$n_imp impossible, $n_imp_caught of them refused"
expect_eq "numbers to check were made ($n)" 1 "$(( n > 500 ))"
expect_eq "no number libphonenumber calls valid is refused" "-" "$bad"
expect_eq "nearly every impossible number is refused ($n_imp_caught of $n_imp)" 1 \
	"$(( n_imp_caught * 10 >= n_imp * 9 ))"
# per-type patterns (schemas/data/phone-types.txt): only the codes whose
# parsing rewrites numbers are checked by length alone
expect_eq "nearly every invalid number is refused ($n_caught of $n_invalid)" 1 \
	"$(( n_caught * 10 >= n_invalid * 9 ))"
# the report names file, row and field, and what no number of the code is
{ echo "phone,customer_name,amount,due_date"
  echo "+15555550100,N,1,2026-12-01"
  echo "+12015550123,N,1,2026-12-01"; } > "$A/audience.csv"
(cd "$R" && "$GITDIAL" validate campaigns/nov-reminders) > "$TMP/v1.out" 2>&1
expect_grep "a number of the right length that fits no type: file:row: field: why" \
	'^campaigns/nov-reminders/audience\.csv:2: warning: phone: \+15555550100 cannot exist: no \+1 number \(fixed-line, mobile or other type\) starts \+1 555' "$TMP/v1.out"
ok_if "... while a real New Jersey number passes" sh -c "! grep -q ':3:' '$TMP/v1.out'"
finish
