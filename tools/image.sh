#!/usr/bin/env bash
# ./build.sh image: the OCI image localhost/gitdial (podman), from a
# Debian base made here with mmdebstrap (no registry pull), holding the
# plain build's binaries (build/bin), the packages of the libraries they
# link, git and lighttpd. deploy/image/ has the Containerfile and the
# entry point; deploy/lighttpd/gitdial.conf is the webhook server's
# configuration, listening on every address of the container.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${GITDIAL_IMAGE:-localhost/gitdial:latest}
BASE=localhost/gitdial-base:bookworm
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/deploy/image/containers.conf}
ctx=build/image
rm -rf "$ctx"
mkdir -p "$ctx/bin"

if ! podman image exists "$BASE"; then
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	echo "image: making the Debian base ($suite) with mmdebstrap" >&2
	mmdebstrap --quiet --variant=apt "$suite" "$ctx/base.tar"
	podman import -q "$ctx/base.tar" "$BASE" >/dev/null
	rm -f "$ctx/base.tar"
fi

cp build/bin/gitdial build/bin/gitdial-* "$ctx/bin/"
cp deploy/image/Containerfile deploy/image/gitdial-container "$ctx/"
sed 's|^server.bind = "127.0.0.1"|server.bind = "0.0.0.0"|' deploy/lighttpd/gitdial.conf \
	>"$ctx/lighttpd.conf"

# the packages of the shared libraries the binaries link (what dpkg-shlibdeps does)
pkgs=$(for f in "$ctx"/bin/*; do ldd "$f"; done | awk '/=> \// { print $3 }' | sort -u |
	while read -r lib; do
		dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null ||
			dpkg -S "/usr$lib" 2>/dev/null || true
	done | cut -d: -f1 | sort -u | tr '\n' ' ')
echo "image: runtime packages: $pkgs" >&2
podman build -q --build-arg RUNTIME_PACKAGES="$pkgs" -t "$IMAGE" -f "$ctx/Containerfile" "$ctx"
echo "image: $IMAGE"
