#!/usr/bin/env bash
# Numbers that cannot exist, checked against libphonenumber itself: the
# example numbers of every region (and each cut by one and two digits)
# go through `gitdial validate` as an audience; every number validate
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
{ echo "phone,customer_name,amount,due_date"
  awk '{ print $1 ",N,$1,2026-12-01" }' "$TMP/numbers.txt"; } > "$A/audience.csv"
(cd "$R" && "$GITDIAL" validate --format json campaigns/nov-reminders) > "$TMP/v.json"
/usr/bin/python3 - "$TMP/numbers.txt" "$TMP/v.json" > "$TMP/result.txt" <<'PY'
import json, sys
rows = [l.split() for l in open(sys.argv[1])]
refused = set()
for w in json.load(open(sys.argv[2]))["warnings"]:
    if w["field"] == "phone" and ("cannot exist" in w["message"] or "no country" in w["message"]):
        refused.add(w["line"] - 2)
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
expect_eq "most invalid numbers are refused ($n_caught of $n_invalid)" 1 \
	"$(( n_caught * 2 > n_invalid ))"
finish
