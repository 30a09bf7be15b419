#!/usr/bin/env bash
# gitdial validate on bad input (issue 2, "Bad input"): each case is one
# broken file in a repository made by `gitdial init`; each asserts the exit
# code and that the message names the file, the line and the field (where
# the problem has one), and that nothing crashes or hangs: every command
# runs under `timeout 20`.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
A=campaigns/nov-reminders
new_repo "$R" || { echo "Bail out! gitdial init failed"; exit 1; }
# The release build, for the 50 MB case: under ASan libcsv's 128-byte
# buffer growth turns a big field into quadratic copying (reported).
REL=$TOP/build/bin/gitdial

# Puts the repository back as init made it.
reset() { git -C "$R" checkout -q -- . && git -C "$R" clean -qfdx; }
# v [--bin B] [--t SECONDS] ARGS...: `gitdial validate ARGS` in the repo;
# stdout in $TMP/out, stderr in $TMP/err, exit code in $RC.
v() {
	local bin=$GITDIAL t=20
	[ "${1:-}" = --bin ] && { bin=$2; shift 2; }
	[ "${1:-}" = --t ] && { t=$2; shift 2; }
	(cd "$R" && timeout "$t" "$bin" validate "$@") >"$TMP/out" 2>"$TMP/err"
	RC=$?
}
# rc_is DESC WANT: the last command's exit code.
rc_is() {
	expect_eq "$1: exit $2" "$2" "$RC"
	[ "$RC" = "$2" ] || sed 's/^/#   err: /' "$TMP/err" | head -5
}
# out_has DESC REGEX: a line of stdout matches.
out_has() { expect_grep "$1" "$2" "$TMP/out"; }
# todo DESC CMD...: a test of a known bug; printed, never counted.
todo() {
	local desc=$1; shift
	T_N=$((T_N + 1))
	if "$@" >/dev/null 2>&1; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $desc # TODO fixed? make it a test"
	else
		echo "not ok $T_N - $desc # TODO known bug"
	fi
}
skip() { T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# set_json FILE PYTHON: edits a JSON file in the repo (d is the document).
set_json() {
	/usr/bin/python3 - "$R/$1" "$2" <<'EOF'
import json, sys
p, code = sys.argv[1], sys.argv[2]
d = json.load(open(p, encoding="utf-8"))
exec(code)
open(p, "w", encoding="utf-8").write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
EOF
}

# --- the template passes ---------------------------------------------------
v
rc_is "init repository validates" 0
expect_grep "init repository: 0 errors" "ok: 4 campaigns checked, 0 errors, 0 warnings" "$TMP/err"

# --- compressed audiences ----------------------------------------------------
gz_audience() { # gz_audience PYTHON-EXPR-FOR-BYTES(d = gzip data)
	/usr/bin/python3 - "$R/$A" "$1" <<'EOF'
import gzip, random, sys
dir, expr = sys.argv[1], sys.argv[2]
random.seed(7)
rows = ["phone,customer_name,amount,due_date"]
for i in range(40000):
    rows.append("+12125%06d,Name %d %s,$%d,2026-12-01" % (
        i, i, "".join(random.choice("abcdefghij") for _ in range(20)), i))
d = gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0)
open(dir + "/audience.csv.gz", "wb").write(eval(expr))
EOF
	rm -f "$R/$A/audience.csv"
	set_json "$A/campaign.json" 'd["audience"]["csv"] = "audience.csv.gz"'
}
reset
gz_audience 'd'
v
rc_is "a good .csv.gz" 0
reset
gz_audience 'd[:len(d) * 3 // 4]'
v
rc_is "a .csv.gz cut short" 1
out_has "truncated .csv.gz: file, line reached and why" \
	"^$A/audience\.csv\.gz:[0-9]+: error: .*truncated"
reset
gz_audience 'd[:300]'
v
rc_is "a .csv.gz cut after 300 bytes" 1
out_has "short .csv.gz: names the file" "^$A/audience\.csv\.gz(:[0-9]+)?: error: .*truncated"
reset
gz_audience 'd[:10] + bytes([7]) + d[11:]'
v
rc_is "a corrupt .csv.gz (reserved deflate block)" 1
out_has "corrupt .csv.gz: names the file" "^$A/audience\.csv\.gz(:[0-9]+)?: error: .*(corrupt|failed|compressed)"
reset
gz_audience 'd[:-8] + bytes([d[-8] ^ 0x55]) + d[-7:]'
v
rc_is "a .csv.gz with a wrong CRC-32" 1
out_has "bad CRC-32: names the file and the checksum" "^$A/audience\.csv\.gz(:[0-9]+)?: error: .*checksum"
reset
printf 'phone,customer_name,amount,due_date\n+12125550100,a,b,c\n' >"$R/$A/audience.csv.gz"
set_json "$A/campaign.json" 'd["audience"]["csv"] = "audience.csv.gz"'
v
rc_is "plain text named .csv.gz" 1
out_has "plain text named .csv.gz: says so" "^$A/audience\.csv\.gz: error: not compressed data"

# --- CSV problems ------------------------------------------------------------
reset
printf 'tel,customer_name,amount,due_date\n+12125550100,a,b,c\n' >"$R/$A/audience.csv"
v
rc_is "CSV without a phone column" 1
out_has "no phone column: file:1: phone:" "^$A/audience\.csv:1: error: phone: no \"phone\" column"

reset
: >"$R/$A/audience.csv"
v
rc_is "an empty audience file" 1
out_has "empty audience: names the file" "^$A/audience\.csv: error: file is empty"

reset
printf 'phone,customer_name,amount,due_date\n+12125550100,Ann,$1,x\n+12125550101,B\0b,$2,y\n+12125550102,Cy,$3,z\n' \
	>"$R/$A/audience.csv"
v
rc_is "a NUL byte in a CSV row is a warning" 0
out_has "NUL in CSV: file:3: field 2" "^$A/audience\.csv:3: warning: field 2 has a NUL byte"
v --strict
rc_is "--strict turns the NUL-byte warning into a failure" 1

reset
printf 'phone,customer_name,amount,due_date\n+12125550100,Ann,$1,x\n+12125550101,"multi\nline\nname",$2,y\n+12125550100,dup,$3,z\nbad-phone,D,$4,w\n+12125550103,,$5,v\n' \
	>"$R/$A/audience.csv"
v --format github
rc_is "row problems alone pass" 0
out_has "duplicate on its physical line (after a quoted newline)" \
	"^::warning file=$A/audience\.csv,line=6::phone: \+12125550100 is a duplicate"
out_has "invalid phone on line 7" "^::warning file=$A/audience\.csv,line=7::phone: "
out_has "empty placeholder value on line 8, named by column" \
	"^::warning file=$A/audience\.csv,line=8::customer_name: empty value"
v --strict
rc_is "--strict with row warnings" 1
expect_grep "--strict: the summary says FAILED" "^FAILED: .*0 errors, 3 warnings" "$TMP/err"

reset
printf 'phone,customer_name,amount,due_date\n+12125550100,Ann,$1,x\n+12125550101,"open,$2,y\n' >"$R/$A/audience.csv"
v
rc_is "an unterminated quote" 1
out_has "unterminated quote: file:line" "^$A/audience\.csv:3: error: malformed CSV"

reset
printf 'phone,name\n+12125550100,Ann\n' >"$R/$A/audience.csv"
v
rc_is "a placeholder without a column" 1
out_has "missing placeholder column: file:1: column" \
	"^$A/audience\.csv:1: error: amount: the script uses \{\{amount\}\}"

reset
printf 'phone,customer_name,amount,due_date\n+12125550100,Jos\xe9,$1,x\n' >"$R/$A/audience.csv"
v
rc_is "Latin-1 in a row is a warning" 0
out_has "invalid UTF-8: file:2: field 2" "^$A/audience\.csv:2: warning: field 2 has invalid UTF-8"

# 50 MB in one field: a warning on its line, no crash, no hang
big_field() { head -c 50000000 /dev/zero | tr '\0' a; }
reset
mkdir -p "$R/campaigns/big"
printf '{"name": "Big", "account": "sim-main", "audience": {"csv": "audience.csv"}}\n' \
	>"$R/campaigns/big/campaign.json"
if [ -x "$REL" ]; then
	{ printf 'phone,note\n+12125550100,"'; big_field; printf '"\n+12125550101,ok\n'; } \
		>"$R/campaigns/big/audience.csv"
	v --bin "$REL" campaigns/big
	rc_is "a 50 MB field is a row warning" 0
	out_has "50 MB field: file:2: field 2, its size" \
		"^campaigns/big/audience\.csv:2: warning: field 2 is longer than 131072 bytes \(at most 65536\)"
	{ big_field; printf ',phone\n+12125550101\n'; } >"$R/campaigns/big/audience.csv"
	v --bin "$REL" campaigns/big
	rc_is "a 50 MB header field is an error" 1
	out_has "50 MB header field: file:1" "^campaigns/big/audience\.csv:1: error: field 1 is longer than 131072 bytes"
	# 200 MB in one field from under 1 MB of .csv.gz: libcsv buffers the
	# whole field (no cap), so 150 MB of address space is not enough
	# (reported); it should still be one row warning.
	printf '{"name": "Big", "account": "sim-main", "audience": {"csv": "audience.csv.gz"}}\n' \
		>"$R/campaigns/big/campaign.json"
	rm -f "$R/campaigns/big/audience.csv"
	{ printf 'phone,note\n+12125550100,"'; head -c 200000000 /dev/zero | tr '\0' a
	  printf '"\n+12125550101,ok\n'; } | gzip -1 >"$R/campaigns/big/audience.csv.gz"
	(cd "$R" && ulimit -v 150000 && timeout 20 "$REL" validate campaigns/big) \
		>"$TMP/out" 2>"$TMP/err"
	RC=$?
	ok_if "a 200 MB field in 1 MB of .csv.gz: a row warning within 150 MB" \
		grep -q "^campaigns/big/audience\.csv\.gz:2: warning: field 2 is longer than 131072 bytes" "$TMP/out"
else
	skip "a 50 MB field" "no release build at $REL"
fi
rm -rf "$R/campaigns/big"

# a phone typed in Arabic-Indic digits: the warning quotes it; output must stay UTF-8
reset
{
	printf 'phone,customer_name,amount,due_date\n+'
	for _ in $(seq 25); do printf '\xd9\xa1'; done
	printf ',a,b,c\n'
} >"$R/$A/audience.csv"
v --format json
rc_is "an Arabic-digit phone is a row warning" 0
ok_if "--format json stays valid UTF-8 when a quoted value is cut short" \
	/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$TMP/out"

# --- JSON problems -----------------------------------------------------------
reset
printf '{\n  "name": "x",\n  "account": "sim-main",\n  "audience": {"csv": "audience.csv"},\n  "status": "dr\0ft"\n}\n' \
	>"$R/$A/campaign.json"
v
rc_is "a NUL byte in campaign.json" 1
out_has "NUL in JSON: file:5" "^$A/campaign\.json:5: error: NUL byte at byte [0-9]+"

reset
/usr/bin/python3 - "$R/$A/campaign.json" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p, encoding="utf-8").read().split("\n")
i = next(n for n, l in enumerate(lines) if '"concurrency"' in l)
lines.insert(i + 1, '    "concurrency": 7,')
open(p, "w", encoding="utf-8").write("\n".join(lines))
EOF
dupline=$(grep -n '"concurrency"' "$R/$A/campaign.json" | head -1 | cut -d: -f1)
v
rc_is "duplicate keys in campaign.json" 1
out_has "duplicate key: file:line: pacing.concurrency" \
	"^$A/campaign\.json:($dupline|$((dupline + 1))): error: pacing\.concurrency: duplicate key"

reset
sed -i 's/"concurrency": 5/"concurrency": "5"/; s/"end": "20:00"/"end": "25:00"/' "$R/$A/campaign.json"
v --format github
rc_is "wrong types in campaign.json" 1
out_has "string for an integer: annotation with line and field" \
	"^::error file=$A/campaign\.json,line=13::pacing\.concurrency: is a string \(expected an integer\)"
out_has "25:00: annotation with line and field" \
	"^::error file=$A/campaign\.json,line=14::pacing\.window\.end: \"25:00\" is not a time \(HH:MM\)"
v --format json
rc_is "--format json with errors" 1
ok_if "--format json: {errors:[{file,line,field,message}], warnings:[]}" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(d["errors"], list) and isinstance(d["warnings"], list), d
assert d["error_count"] == len(d["errors"]) == 2, d
for e in d["errors"]:
    assert set(e) >= {"file", "line", "field", "message"}, e
    assert e["file"] == "campaigns/nov-reminders/campaign.json", e
want = {("pacing.concurrency", 13), ("pacing.window.end", 14)}
assert {(e["field"], e["line"]) for e in d["errors"]} == want, d
' "$TMP/out"
expect_eq "--format json: nothing on stderr" "" "$(cat "$TMP/err")"

reset
set_json gitdial.json 'd["accounts"]["sim-main"]["max_concurrency"] = "20"; d["accounts"]["sim-main"]["credentials"] = {"auth_token": "hunter2"}'
v
rc_is "wrong type and a literal secret in gitdial.json" 1
out_has "gitdial.json: max_concurrency is a string" \
	"^gitdial\.json:[0-9]+: error: accounts\.sim-main\.max_concurrency: is a string"
out_has "gitdial.json: literal secret named by path" \
	"^gitdial\.json:[0-9]+: error: accounts\.sim-main\.credentials\.auth_token: literal secrets"
line=$(grep -n '"auth_token"' "$R/gitdial.json" | cut -d: -f1)
out_has "gitdial.json: the secret's own line ($line)" "^gitdial\.json:$line: error: accounts\.sim-main\.credentials\.auth_token"

reset
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10' >"$R/$A/campaign.json"
v
rc_is "a binary file as campaign.json" 1
out_has "binary campaign.json: file:1, invalid UTF-8" "^$A/campaign\.json:1: error: invalid UTF-8 at byte 1"
reset
gzip -c "$R/$A/audience.csv" >"$R/$A/campaign.json"
v
rc_is "gzip bytes as campaign.json" 1
out_has "gzip as campaign.json: file:1" "^$A/campaign\.json:1: error: invalid UTF-8"
reset
: >"$R/$A/campaign.json"
v
rc_is "an empty campaign.json" 1
out_has "empty campaign.json" "^$A/campaign\.json: error: file is empty"
reset
rm "$R/$A/campaign.json"
mkdir "$R/$A/campaign.json"
v
rc_is "a directory as campaign.json" 1
out_has "directory as campaign.json" "^$A/campaign\.json: error: .*not a regular file"
reset
printf '{"name": "x"' >"$R/$A/campaign.json"
v
rc_is "truncated JSON" 1
out_has "truncated JSON: file:line" "^$A/campaign\.json:1: error: not valid JSON"
reset
rm "$R/gitdial.json"
v
rc_is "no gitdial.json" 1
out_has "no gitdial.json: says so" "^gitdial\.json: error: missing"

# A control character as whitespace (cJSON accepts it) before an object in
# an array once sent json_line into an endless loop.
reset
printf '{"name": "x", "account": "sim-main", "audience": {"csv": "audience.csv"},\n "pacing": {"window": {"start": "09:00", "end": "20:00", "days": [\f{"a": 1}]}},\n "bogus": 1}\n' \
	>"$R/$A/campaign.json"
v
rc_is "a form feed before an object in an array (no hang)" 1
out_has "form feed: the later error keeps its line" "^$A/campaign\.json:3: error: bogus: unknown field"

# --- campaign folders and ids ----------------------------------------------
for bad in "Promo" "my camp" "bad..id" "-lead" "x_y"; do
	reset
	cp -r "$R/$A" "$R/campaigns/$bad"
	v
	rc_is "campaign folder \"$bad\"" 1
	out_has "folder \"$bad\" is named" "^campaigns: error: folder \"$bad\" is not a valid campaign id"
done
reset
cp -r "$R/$A" "$R/campaigns/nov-reminders-2"
v
rc_is "a second valid folder" 0
reset
printf 'x\n' >"$R/campaigns/stray.txt"
v
rc_is "a file directly in campaigns/" 1
out_has "stray file is named" "^campaigns: error: \"stray.txt\" is a file"

# --- PATH arguments limit what is checked ------------------------------------
reset
sed -i 's/"end": "20:00"/"end": "25:00"/' "$R/$A/campaign.json"
v campaigns/ramadan-survey/campaign.json
rc_is "PATH: only the named campaign (the broken one is not checked)" 0
expect_grep "PATH: one campaign checked" "^ok: 1 campaign checked" "$TMP/err"
v campaigns/nov-reminders/campaign.json campaigns/nov-reminders/audience.csv
rc_is "PATH: the broken campaign" 1
expect_eq "PATH: two paths of one campaign report it once" 1 "$(grep -c 'window.end' "$TMP/out")"
v README.md .github/workflows/validate.yml
rc_is "PATH: files outside campaigns/ check nothing" 0
v gitdial.json
rc_is "PATH: gitdial.json checks everything" 1
v ./campaigns/nov-reminders/
rc_is "PATH: ./ and a trailing slash" 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 v campaigns/gone/campaign.json
rc_is "PATH: a deleted campaign is nothing to check (and leaks nothing)" 0
v "campaigns/../gitdial.json"
rc_is "PATH: campaigns/.. is not a campaign" 1
out_has "PATH: the bad id is named" '^campaigns/\.\./gitdial\.json: error: "\.\." is not a valid campaign id'
v "campaigns/Bad Id/campaign.json"
rc_is "PATH: a bad id" 1

# --- dnc files ---------------------------------------------------------------
reset
printf '{"v":1,"ts":"2026-11-20T10:00:00Z","phone":"212-555-0107","action":"add"}\n' >>"$R/dnc/2026.jsonl"
v
rc_is "a bad DNC line" 1
out_has "DNC: file:2: phone" "^dnc/2026\.jsonl:2: error: phone: expected an E.164 number"

# --- usage errors: exit 2 ----------------------------------------------------
reset
v --format xml
rc_is "validate --format xml" 2
expect_grep "--format xml: says what is wrong" "unknown format 'xml'" "$TMP/err"
v --bogus
rc_is "validate --bogus" 2
v --format
rc_is "validate --format without a value" 2
(cd "$R" && timeout 20 "$GITDIAL" plan >"$TMP/out" 2>"$TMP/err"); RC=$?
rc_is "plan without an id" 2
(cd "$R" && timeout 20 "$GITDIAL" plan nov-reminders --now yesterday >"$TMP/out" 2>"$TMP/err"); RC=$?
rc_is "plan --now yesterday" 2
(cd "$R" && timeout 20 "$GITDIAL" validate -h >"$TMP/out" 2>"$TMP/err"); RC=$?
rc_is "validate -h" 0
out_has "validate -h prints the usage" "^usage: gitdial validate"

finish
