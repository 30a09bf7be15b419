#!/usr/bin/env bash
# Shards: `gitdial list --shards N` shows which runner owns each campaign,
# and `gitdial tick --shard I/N` dials exactly the campaigns list gives I;
# north/south/east/west/spring/summer/autumn are not all on one of two
# shards (FNV-1a % 2 put them all on shard 0). The spread for every N is
# tests/unit/test_shard.c.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
NOW=2026-11-24T15:00:00Z
new_repo "$R"
for id in north south east west spring summer autumn; do
	add_campaign "$R" "$id" 5 212 2 0 >/dev/null
	schedule "$R" "$id" 2026-11-24T14:00:00Z >/dev/null
done

"$GITDIAL" list --repo "$R" --shards 2 --format json >"$TMP/list.json" 2>"$TMP/err"
expect_eq "list --shards 2 --format json exits 0" 0 $?
/usr/bin/python3 - "$TMP/list.json" >"$TMP/shards" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1])):
    print(c["id"], c["shard"])
PY
names="north south east west spring summer autumn"
s0=$(awk '$2 == 0 { print $1 }' "$TMP/shards" | grep -xE "$(echo $names | tr ' ' '|')" | sort | tr '\n' ' ')
s1=$(awk '$2 == 1 { print $1 }' "$TMP/shards" | grep -xE "$(echo $names | tr ' ' '|')" | sort | tr '\n' ' ')
ok_if "the seven seasons and directions are on both shards (0: $s0; 1: $s1)" \
	test -n "$s0" -a -n "$s1"
expect_eq "every campaign has a shard 0 or 1" \
	"$(grep -c . "$TMP/shards")" "$(grep -cE ' [01]$' "$TMP/shards")"

"$GITDIAL" list --repo "$R" --shards 2 >"$TMP/table" 2>&1
expect_grep "the table has a Shard column" 'Created +Shard$' "$TMP/table"
expect_grep "a row ends with its shard" '^Generated north .* [01]$' "$TMP/table"
"$GITDIAL" list --repo "$R" --shards 0 >"$TMP/out" 2>&1
expect_eq "--shards 0 is a usage error" 2 $?
"$GITDIAL" list --repo "$R" --shards 2x >"$TMP/out" 2>&1
expect_eq "--shards 2x is a usage error" 2 $?

# dialed(I): the campaigns of ours with a log on the branch after tick I/2
dialed() {
	git -C "$R" ls-tree --name-only HEAD outcomes/ 2>/dev/null |
		sed 's|^outcomes/||' | grep -xE "$(echo $names | tr ' ' '|')" |
		sort | tr '\n' ' '
}
"$GITDIAL" tick --repo "$R" --shard 0/2 --now "$NOW" >"$TMP/out" 2>"$TMP/err"
expect_eq "tick --shard 0/2 exits 0" 0 $?
expect_eq "tick --shard 0/2 dials exactly list's shard 0" "$s0" "$(dialed)"
"$GITDIAL" tick --repo "$R" --shard 1/2 --now "$NOW" >"$TMP/out" 2>"$TMP/err"
expect_eq "tick --shard 1/2 exits 0" 0 $?
expect_eq "then shard 1 too: every campaign dialed once by its shard" \
	"$(echo $names | tr ' ' '\n' | sort | tr '\n' ' ')" "$(dialed)"
finish
