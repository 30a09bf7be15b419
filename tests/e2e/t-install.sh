#!/usr/bin/env bash
# make install into a staging root (DESTDIR, PREFIX), the installed
# gitdial's --version / version / help, a tick on the sim run from the
# installed copy (it finds its functions beside itself), make uninstall.
. "$(dirname "$0")/../lib.sh"

S=$TMP/stage
ok_if "make install DESTDIR=... PREFIX=/usr" make -s -C "$TOP" install DESTDIR="$S" PREFIX=/usr
missing=
for f in bin/gitdial $(cd "$TOP/functions" && for d in */; do d=${d%/}; [ "$d" = common ] || echo "bin/gitdial-$d"; done) \
	share/gitdial/schemas/campaign.schema.json share/doc/gitdial/README.md; do
	[ -e "$S/usr/$f" ] || missing="$missing $f"
done
expect_eq "the binaries, schemas and docs are installed" "" "$missing"
ok_if "the binaries are executable" test -x "$S/usr/bin/gitdial" -a -x "$S/usr/bin/gitdial-sim"

G=$S/usr/bin/gitdial
ver=$(make -s -C "$TOP" version)
ok_if "the version has the VERSION file's" sh -c "echo '$ver' | grep -q \"^\$(tr -d ' \n' <'$TOP/VERSION')\""
expect_eq "gitdial --version" "gitdial $ver" "$("$G" --version)"
expect_eq "gitdial version" "gitdial $ver" "$("$G" version)"
"$G" version extra >/dev/null 2>&1
expect_eq "gitdial version with an argument is a usage error" 2 "$?"
"$G" help >"$TMP/help"
expect_eq "gitdial help exits 0" 0 "$?"
for c in init validate tick list show pause dnc demo rules version help; do
	expect_grep "gitdial help lists $c" "^  $c " "$TMP/help"
done
expect_eq "gitdial help tick prints what tick -h prints" "$("$G" tick -h)" "$("$G" help tick)"
expect_eq "gitdial help dnc prints what dnc -h prints" "$("$G" dnc -h)" "$("$G" help dnc)"
"$G" help no-such >/dev/null 2>"$TMP/err"
expect_eq "gitdial help of an unknown command exits 2" 2 "$?"
expect_grep "and says so" "'no-such' is not a command" "$TMP/err"

# the installed copy, away from the build tree and off the PATH
R=$TMP/repo
(cd "$TMP" && env PATH=/usr/bin:/bin "$G" init "$R" >/dev/null)
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
ok_if "a tick from the installed copy" env PATH=/usr/bin:/bin "$G" tick --repo "$R" --now 2026-11-24T14:00:00Z
expect_eq "it placed the batch through the installed gitdial-sim" 5 \
	"$(git -C "$R" show HEAD --format= -p | grep -c '"event":"placed"')"

ok_if "make uninstall removes it all" make -s -C "$TOP" uninstall DESTDIR="$S" PREFIX=/usr
expect_eq "nothing is left but the directories" "" "$(find "$S" -type f)"
finish
