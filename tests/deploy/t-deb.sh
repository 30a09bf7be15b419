#!/usr/bin/env bash
# The Debian package as a user gets it: ./build.sh deb, then a fresh
# Debian root (mmdebstrap bookworm, nothing of this machine in it), apt
# installs the package and its Depends from the mirror, and gitdial runs
# a whole demo campaign there. Needs root and the Debian mirror; about
# 3-6 minutes, so it runs in ./build.sh test-deploy, not ./build.sh test.
. "$(dirname "$0")/../lib.sh"

deb=$("$TOP/build.sh" deb | tail -1)
ok_if "./build.sh deb writes the package" test -f "$TOP/$deb"
deb=$TOP/$deb
ver=$(sh "$TOP/tools/version.sh")
arch=$(dpkg --print-architecture)
expect_eq "the file is named gitdial_<version>_<arch>.deb" \
	"gitdial_${ver}_${arch}.deb" "$(basename "$deb")"
dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' >"$TMP/depends"
ok_if "Depends names the runtime libraries (libgit2, libcjson, libcsv)" \
	sh -c "grep -qx 'libgit2-1.5' '$TMP/depends' && grep -qx 'libcjson1' '$TMP/depends' && grep -qx 'libcsv3' '$TMP/depends'"
ok_if "Depends has no -dev package" sh -c "! grep -- '-dev\$' '$TMP/depends'"
ok_if "Depends has tzdata and ca-certificates" \
	sh -c "grep -qx tzdata '$TMP/depends' && grep -qx ca-certificates '$TMP/depends'"

# In the fresh root: apt installs the file, then every binary must find
# its libraries, and the demo must run to completion. The checks write
# their output under /out, read after mmdebstrap returns.
cat >"$TMP/check.sh" <<'SH'
set -u
cd /tmp
for b in /usr/bin/gitdial*; do ldd "$b"; done >/out/ldd 2>&1
gitdial --version >/out/version 2>&1; echo $? >/out/version.rc
gitdial help tick >/out/help 2>&1; echo $? >/out/help.rc
gitdial demo --dir /tmp/demo --quiet >/out/demo 2>&1; echo $? >/out/demo.rc
gitdial list --repo /tmp/demo --format json >/out/list.json 2>&1; echo $? >/out/list.rc
exit 0
SH
root=$TMP/root
mmdebstrap --variant=apt --quiet \
	--customize-hook="copy-in $deb $TMP/check.sh /tmp" \
	--customize-hook="mkdir -p \"\$1/out\"; chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb") >\"\$1/out/apt.log\" 2>&1; echo \$? >\"\$1/out/apt.rc\"" \
	--customize-hook='chroot "$1" sh /tmp/check.sh' \
	bookworm "$root" >"$TMP/mmdebstrap.log" 2>&1
ok_if "mmdebstrap made the fresh root" test -x "$root/usr/bin/apt-get"
expect_eq "apt-get install ./gitdial_*.deb in the fresh root" 0 "$(cat "$root/out/apt.rc" 2>/dev/null)"
[ "$(cat "$root/out/apt.rc" 2>/dev/null)" = 0 ] || sed 's/^/#   /' "$root/out/apt.log" 2>/dev/null | tail -20
expect_grep "apt installed the Depends from the mirror (libgit2)" 'Setting up libgit2-1\.5' "$root/out/apt.log"
ok_if "every binary finds its shared libraries" \
	sh -c "test -s '$root/out/ldd' && ! grep -q 'not found' '$root/out/ldd'"
expect_eq "gitdial --version there is the package's version" "gitdial $ver" \
	"$(cat "$root/out/version" 2>/dev/null)"
expect_grep "gitdial help tick prints the tick's usage" '^usage: gitdial tick' "$root/out/help"
expect_eq "gitdial demo exits 0" 0 "$(cat "$root/out/demo.rc" 2>/dev/null)"
[ "$(cat "$root/out/demo.rc" 2>/dev/null)" = 0 ] || sed 's/^/#   /' "$root/out/demo" 2>/dev/null | tail -20
ok_if "the demo's sim campaigns are Completed" /usr/bin/python3 - "$root/out/list.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
rows = rows.get("campaigns", rows) if isinstance(rows, dict) else rows
sim = [r for r in rows if r.get("provider") == "sim"]
assert len(sim) == 2, sim
assert all(r.get("status") == "Completed" for r in sim), sim
PY
finish
