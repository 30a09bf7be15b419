#!/usr/bin/env bash
# CPU per input (issue 16, SECURITY.md): beyond the size caps, the work one
# file of a pull request can cause is bounded, with a clear error naming
# the file, and the rest of the work continues. Each block is an input
# that used to cost minutes of validate's CPU, or grows without bound:
#  - a rules file of 21,870 rows (3.8 MB) kept validate busy over 5 min
#    (each row's line found by scanning the file, each id compared with
#    every other): at most 1,000 rows and 32 files in rules/;
#  - a 1 MB gitdial.json with 12,000 bad accounts took 15 s of CPU (one
#    line lookup per error): a file reports at most 200 problems;
#  - campaigns/ holds at most 1,000 campaign folders that are loaded.
# Timing is the bench's business; these check the bounds and the errors.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

R=$TMP/repo
new_repo "$R"

row='{"id": "acme-%d", "jurisdiction": "AQ-X1", "kind": "hours", "hours": [{"days": ["mon"], "start": "10:00", "end": "18:00"}], "source": "https://example.com/acme", "effective": "2026-01-01"}'

# --- 1. rules: 1,000 rows in all, 32 files
mkdir -p "$R/rules"
"$PY" - "$R/rules/big.json" 1500 "$row" <<'EOF'
import sys
out, n, row = sys.argv[1], int(sys.argv[2]), sys.argv[3]
open(out, "w").write('{"rules": [\n' + ",\n".join(row % i for i in range(n)) + "\n]}\n")
EOF
"$GITDIAL" validate --repo "$R" >"$TMP/v1.out" 2>&1
expect_eq "a rules file of 1,500 rows fails validate" 1 $?
expect_grep "... at file:line: field, with the bound" \
	"^rules/big\.json:1: error: rules: 1500 rows; a repository's rules files hold at most 1000 rows in all" "$TMP/v1.out"
"$GITDIAL" rules --check "$R/rules/big.json" >"$TMP/v1b.out" 2>&1
expect_eq "rules --check refuses it too" 1 $?
rm "$R/rules/big.json"
for f in $(seq -w 1 33); do
	printf '{"rules": [%s]}\n' "$(printf "$row" "$((10#$f))")" >"$R/rules/r$f.json"
done
"$GITDIAL" validate --repo "$R" >"$TMP/v2.out" 2>&1
expect_eq "33 rules files fail validate" 1 $?
expect_grep "... the 33rd (in name order) named, not applied" \
	"^rules/r33\.json: error: not applied: a repository holds at most 32 rules files and 1000 rows in all" "$TMP/v2.out"
expect_eq "... and only that one" 1 "$(grep -c 'not applied' "$TMP/v2.out")"
rm "$R/rules/r33.json"
"$GITDIAL" validate --repo "$R" >"$TMP/v3.out" 2>&1
expect_eq "32 files of narrowing rows are fine" 0 $?
rows() { # FILE N FIRST: N rows with ids from FIRST, one a line from line 2
	"$PY" - "$@" "$row" <<'EOF'
import sys
out, n, first, row = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
open(out, "w").write('{"rules": [\n' + ",\n".join(row % (first + i) for i in range(n)) + "\n]}\n")
EOF
}
rows "$R/rules/r01.json" 969 1000
"$GITDIAL" validate --repo "$R" >"$TMP/v4.out" 2>&1
expect_eq "1,000 rows over 32 files are fine" 0 $?
sed -i 's/"acme-1968", "jurisdiction": "AQ-X1"/"acme-1968", "bogus": 1, "jurisdiction": "AQ-X1"/' "$R/rules/r01.json"
"$GITDIAL" validate --repo "$R" >"$TMP/v5.out" 2>&1
expect_grep "a bad row among many is reported at its own line (rows' lines in one pass)" \
	"^rules/r01\.json:$(grep -n 'acme-1968' "$R/rules/r01.json" | cut -d: -f1): error: rules\[968\]" "$TMP/v5.out"
rows "$R/rules/r01.json" 970 1000
"$GITDIAL" validate --repo "$R" >"$TMP/v6.out" 2>&1
expect_eq "1,001 rows over 32 files fail" 1 $?
expect_grep "... naming the file past the bound" \
	"^rules/r32\.json: error: not applied: a repository holds at most 32 rules files and 1000 rows in all" "$TMP/v6.out"
rm -rf "$R/rules"

# --- 2. a file reports at most 200 problems
"$PY" - "$R/gitdial.json" <<'EOF'
import json, sys
p = sys.argv[1]
g = json.load(open(p))
for i in range(300):
    g["accounts"]["bad%d" % i] = {"provider": "sim", "caller_ids": ["+12125550100"], "cps": -1}
json.dump(g, open(p, "w"), indent=2)
EOF
"$GITDIAL" validate --repo "$R" >"$TMP/g1.out" 2>&1
expect_eq "a gitdial.json with 300 bad accounts fails" 1 $?
expect_eq "... listing 200 of them" 200 "$(grep -c 'error: accounts\.bad[0-9]*\.cps' "$TMP/g1.out")"
expect_grep "... and saying the rest are not listed" \
	"^gitdial\.json: error: more than 200 problems in this file; the rest are not listed" "$TMP/g1.out"
expect_grep "... each listed one at its own line" \
	"^gitdial\.json:$(grep -n '"bad0"' "$R/gitdial.json" | cut -d: -f1 | awk '{print $1 + 5}'): error: accounts\.bad0\.cps" "$TMP/g1.out"
git -C "$R" checkout -q -- gitdial.json

# --- 3. campaigns/ holds at most 1,000 loaded campaigns
"$PY" - "$R/campaigns" <<'EOF'
import json, os, sys
d = sys.argv[1]
c = json.load(open(d + "/sip-callback/campaign.json"))
c["account"], c["caller_id"] = "sim-main", "+12125550100"
for i in range(1001 - len(os.listdir(d))):
    p = "%s/z%04d" % (d, i)
    os.mkdir(p)
    json.dump(c, open(p + "/campaign.json", "w"))
    open(p + "/audience.csv", "w").write(
        "phone,customer_name,order\n+1212555%04d,Ann,A%d\n" % (i, i))
EOF
expect_eq "1,001 campaign folders made" 1001 "$(ls "$R/campaigns" | wc -l)"
last=$(ls "$R/campaigns" | sort | tail -1)
"$GITDIAL" validate --repo "$R" >"$TMP/c1.out" 2>&1
expect_eq "validate fails the 1,001st" 1 $?
expect_grep "... naming it and the bound" \
	"^campaigns: error: $last: not loaded: campaigns/ holds at most 1000 campaign folders" "$TMP/c1.out"
expect_grep "... while the 1,000 others are checked" "1000 campaigns checked, 1 error" "$TMP/c1.out"
"$GITDIAL" validate --repo "$R" "campaigns/$last/campaign.json" >"$TMP/c2.out" 2>&1
expect_eq "... also when only that campaign changed" 1 $?
rm -rf "$R/campaigns/$last"
"$GITDIAL" validate --repo "$R" >"$TMP/c3.out" 2>&1
expect_eq "1,000 campaigns validate" 0 $?
finish
