#!/usr/bin/env bash
# The deployment tests (./build.sh test-deploy): what a user installs,
# installed where a user would. They need root and the Debian mirror
# (they build a fresh Debian root), so they are not part of ./build.sh test.
# Ends with "N passed, N failed" like tests/run.sh.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
for t in tests/deploy/t-*.sh; do
	log=$(mktemp)
	start=$(date +%s)
	bash "$t" >"$log" 2>&1; rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
	[ -n "$line" ] || { p=0; f=1; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$rc" -ne 0 ]; then
		echo "FAIL ${t##*/} (exit $rc, $(( $(date +%s) - start ))s)"
		sed 's/^/    /' "$log" | tail -60
	else
		echo "pass ${t##*/} ($line, $(( $(date +%s) - start ))s)"
	fi
	rm -f "$log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
