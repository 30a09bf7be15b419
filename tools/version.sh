#!/bin/sh
# Prints gitdial's version: the VERSION file, and when the build is not
# of the commit tagged v<VERSION>, "+git<N>.<hash>" after it (N commits
# since the root, so later builds sort later, as Debian versions must).
# Outside a git checkout (a release tarball) the VERSION file alone.
set -eu
cd "$(dirname "$0")/.."
v=$(tr -d ' \n' < VERSION)
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	if [ "$(git describe --tags --exact-match 2>/dev/null || true)" != "v$v" ]; then
		v="$v+git$(git rev-list --count HEAD).$(git rev-parse --short=8 HEAD)"
	fi
	git diff --quiet HEAD -- 2>/dev/null || v="$v.dirty"
fi
echo "$v"
