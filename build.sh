#!/usr/bin/env bash
# gitdial's one entry point:
#   ./build.sh          install what is missing (Debian), build build/bin/
#   ./build.sh test     build (plain and ASan+UBSan) and run every test
#   ./build.sh demo     build and run a whole campaign on the sim carrier
#   ./build.sh bench    build and print the performance table
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages: libraries, then what only the tests and bench use.
DEPS=(build-essential pkg-config git tzdata
      libgit2-dev libcsv-dev libcurl4-openssl-dev libcjson-dev libarchive-dev
      libssl-dev libre-dev zlib1g-dev libfcgi-dev)
TEST_DEPS=(sip-tester lighttpd spawn-fcgi python3 python3-jsonschema python3-cryptography
           gzip xz-utils zstd zip procps time curl tmux
           chromium chromium-driver libarchive-tools unzip
           libphonenumber-dev g++) # t-phone-possible: libphonenumber itself

ensure_deps() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "build.sh: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	else
		echo "build.sh: missing packages; run:" >&2
		echo "  sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
}

jobs=$(nproc 2>/dev/null || echo 2)

build() {
	ensure_deps "${DEPS[@]}"
	make -s -j"$jobs" "$@"
}

case "${1:-build}" in
build)
	build
	echo "built: build/bin/$(ls build/bin | tr '\n' ' ')"
	;;
test)
	ensure_deps "${DEPS[@]}" "${TEST_DEPS[@]}"
	build
	build SAN=1
	exec tests/run.sh
	;;
demo)
	build
	shift || true
	exec build/bin/gitdial demo "$@"
	;;
bench)
	ensure_deps "${DEPS[@]}" "${TEST_DEPS[@]}"
	build
	exec tests/bench/run.sh "${@:2}"
	;;
*)
	echo "usage: ./build.sh [build|test|demo|bench]" >&2
	exit 2
	;;
esac
