# Sourced by every tests/e2e/t-*.sh (git's t/test-lib.sh in small).
# Each test prints "ok N - what" or "not ok N - what"; the script ends
# with `finish`, which prints "N passed, N failed" and sets the exit code.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${GITDIAL_BIN:-$TOP/build-san/bin}
[ -x "$BIN/gitdial" ] || BIN=$TOP/build/bin
GITDIAL=$BIN/gitdial
export PATH="$BIN:$PATH"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=${TMPDIR:-/tmp}
T_N=0 T_PASS=0 T_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gitdial-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ok_if DESC CMD...: passes when CMD exits 0.
ok_if() {
	local desc=$1; shift
	T_N=$((T_N + 1))
	if "$@" >"$TMP/.out" 2>&1; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $desc"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $desc"
		sed 's/^/#   /' "$TMP/.out" | head -30
	fi
}
# expect_eq DESC WANT GOT
expect_eq() {
	T_N=$((T_N + 1))
	if [ "$2" = "$3" ]; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		echo "#   want: $2"; echo "#   got:  $3"
	fi
}
# expect_grep DESC PATTERN FILE
expect_grep() {
	T_N=$((T_N + 1))
	if grep -qE -- "$2" "$3"; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		echo "#   no line matching: $2"; sed 's/^/#   /' "$3" | head -20
	fi
}
finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
# new_repo DIR: a campaign repository from the init template.
new_repo() {
	"$GITDIAL" init "$1" >/dev/null
}
