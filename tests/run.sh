#!/usr/bin/env bash
# Runs every test: unit binaries, fuzz-corpus replays and end-to-end
# scripts, all built with ASan+UBSan; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
pass=0 fail=0 failed=()
count() { # LOG: adds its "N passed, N failed" line, or one failure
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -n "$line" ]; then
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
		pass=$((pass + p)); fail=$((fail + f))
		[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && fail=$((fail + 1))
	else
		[ "$2" -eq 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
	fi
}
run() { # NAME CMD...
	local name=$1 log rc; shift
	log=$(mktemp)
	"$@" >"$log" 2>&1; rc=$?
	count "$log" "$rc"
	if [ "$rc" -ne 0 ]; then
		failed+=("$name"); echo "FAIL $name (exit $rc)"; sed 's/^/    /' "$log" | tail -40
	else
		echo "pass $name ($(grep -E '^[0-9]+ passed' "$log" | tail -1 || echo ok))"
	fi
	rm -f "$log"
}
for t in build-san/tests/*; do
	[ -x "$t" ] || continue
	case $t in
	*/replay-*) name=${t##*/replay-}; run "fuzz-replay $name" "$t" "tests/fuzz/corpus/$name" ;;
	*) run "unit ${t##*/}" "$t" ;;
	esac
done
# no two modules include each other (HACKING.md: the module map)
run "include circles" python3 tests/tools/include-cycles.py
# no libgit2 in runner/cmd/ (HACKING.md: commands go through core)
run "no libgit2 in commands" python3 tests/tools/cmd-no-git.py
# The end-to-end scripts are independent (own temp dirs, free ports), so
# they run $GITDIAL_TEST_JOBS at a time (default 2, the cores we have),
# the slowest first; their reports are printed in name order.
jobs_max=${GITDIAL_TEST_JOBS:-2}
logs=$(mktemp -d)
slow_first() {
	local t
	for t in t-tick-optout t-tick-concurrent t-tick-week t-operator; do
		[ -f "tests/e2e/$t.sh" ] && echo "tests/e2e/$t.sh"
	done
	for t in tests/e2e/t-*.sh; do
		case " t-tick-optout t-tick-concurrent t-tick-week t-operator " in
		*" $(basename "$t" .sh) "*) ;;
		*) echo "$t" ;;
		esac
	done
}
for t in $(slow_first); do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
	n=${t##*/}
	( start=$(date +%s); bash "$t" >"$logs/$n.log" 2>&1; rc=$?
	  echo "$rc $(( $(date +%s) - start ))" >"$logs/$n.rc" ) &
done
wait
for t in tests/e2e/t-*.sh; do
	n=${t##*/}
	read -r rc secs <"$logs/$n.rc"
	count "$logs/$n.log" "$rc"
	if [ "$rc" -ne 0 ]; then
		failed+=("$n"); echo "FAIL $n (exit $rc, ${secs}s)"; sed 's/^/    /' "$logs/$n.log" | grep -vE '^ *ok ' | tail -40
	else
		echo "pass $n ($(grep -E '^[0-9]+ passed' "$logs/$n.log" | tail -1 || echo ok), ${secs}s)"
	fi
done
rm -rf "$logs"
echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
