#!/usr/bin/env bash
# The README's shell blocks run as written: every ```sh block (install
# from source, the demo, the quick start), in order. A block after the
# line "<!-- t-readme: in the source tree -->" runs in the source tree;
# the others each in a fresh empty directory, with a HOME whose git
# config names a user (the quick start says to set one) and the PATH the
# install block sets up. Each must exit 0; the demo must print the table
# the README shows, and the quick start's campaign must be on the branch,
# dialing. Blocks marked ```console or ```text are shown, not run.
. "$(dirname "$0")/../lib.sh"

README=$TOP/README.md
mkdir -p "$TMP/blocks" "$TMP/home" "$TMP/tmp"
/usr/bin/python3 - "$README" "$TMP/blocks" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
n, i, where = 0, 0, "fresh"
while i < len(lines):
    l = lines[i]
    if l.strip() == "<!-- t-readme: in the source tree -->":
        where = "tree"
    elif l.startswith("```sh"):
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        n += 1
        open("%s/%02d.%s.sh" % (sys.argv[2], n, where), "w", encoding="utf-8").write(
            "\n".join(lines[i + 1:j]) + "\n")
        where = "fresh"
        i = j
    elif l.startswith("```"):
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        i = j
        where = "fresh"
    i += 1
PY
nblocks=$(ls "$TMP/blocks" | wc -l)
ok_if "the README has at least three sh blocks (install, demo, quick start): $nblocks" \
	test "$nblocks" -ge 3
ok_if "one block runs in the source tree (install from source)" \
	test "$(ls "$TMP/blocks" | grep -c '\.tree\.sh$')" -eq 1

git config --file "$TMP/home/.gitconfig" user.name "Readme Reader"
git config --file "$TMP/home/.gitconfig" user.email reader@example.com
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

# run_block FILE DIR: runs the block in DIR as a reader's shell would.
run_block() {
	(cd "$2" && HOME=$TMP/home TMPDIR=$TMP/tmp \
		PATH="$TOP/build/bin:/usr/local/bin:/usr/bin:/bin" \
		timeout 600 bash -eo pipefail "$1") >"$TMP/out.$(basename "$1")" 2>&1
}

for b in "$TMP"/blocks/*.sh; do
	name=$(basename "$b" .sh)
	case $b in
	*.tree.sh)
		# the install block must leave gitdial on PATH: ask it, in the same shell
		printf '\ncommand -v gitdial\n' >>"$b"
		run_block "$b" "$TOP"
		rc=$?
		expect_eq "block $name (install from source) exits 0" 0 "$rc"
		expect_eq "after it, gitdial on PATH is build/bin's" \
			"$TOP/build/bin/gitdial" "$(tail -n 1 "$TMP/out.$name.sh")"
		;;
	*)
		mkdir -p "$TMP/run.$name"
		run_block "$b" "$TMP/run.$name"
		rc=$?
		expect_eq "block $name exits 0 ($(head -c 60 "$b" | head -n 1))" 0 "$rc"
		;;
	esac
	[ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/out.$name.sh" | tail -n 15
done

# The demo: every campaign row of the README's sample table is in the output.
demo_out=$(grep -l '^gitdial demo' "$TMP"/blocks/*.sh | head -n 1)
if [ -n "$demo_out" ]; then
	out=$TMP/out.$(basename "$demo_out")
	/usr/bin/python3 - "$README" >"$TMP/demo.rows" <<'PY'
import sys, re
text = open(sys.argv[1], encoding="utf-8").read()
for l in text.split("\n"):
    if re.search(r"\s(Completed|Draft)\s+\d+\s+\d+\s+\d+\s", l):
        print(re.sub(r"\s+", " ", l.strip()))
PY
	sed 's/[[:space:]]\+/ /g; s/ $//' "$out" >"$TMP/demo.norm"
	missing=$(grep -vxF -f "$TMP/demo.norm" "$TMP/demo.rows" | head -n 3)
	ok_if "the demo prints the README's table rows ($(wc -l <"$TMP/demo.rows") rows)" \
		test -s "$TMP/demo.rows" -a -z "$missing"
	[ -z "$missing" ] || echo "#   not in the output: $missing"
else
	ok_if "a block runs gitdial demo" false
fi

# The quick start: its campaign was created, merged and is dialing.
qs=$(ls -d "$TMP"/run.*/calls 2>/dev/null | head -n 1)
ok_if "the quick start made a repository (calls/)" test -n "$qs"
if [ -n "$qs" ]; then
	ok_if "dec-reminders is on main" \
		git -C "$qs" cat-file -e main:campaigns/dec-reminders/campaign.json
	"$GITDIAL" list --repo "$qs" --format json >"$TMP/list.json" 2>&1
	# Dialing once its start passed (Scheduled only if the clock went back)
	ok_if "gitdial list shows dec-reminders started" /usr/bin/python3 -c '
import json, sys
rows = {r["id"]: r for r in json.load(open(sys.argv[1]))}
sys.exit(rows.get("dec-reminders", {}).get("status") not in ("Dialing", "Scheduled"))' "$TMP/list.json"
	ok_if "the work tree is clean after the ticks" \
		test -z "$(git -C "$qs" status --porcelain)"
fi
finish
