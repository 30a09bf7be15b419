#!/bin/sh
# Runs every unit test binary in DIR (make check): TAP out, one summary
# line each, and a non-zero exit when any failed or did not finish.
dir=${1:-build-san/tests}
fail=0
n=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	out=$("$t" 2>&1)
	rc=$?
	last=$(printf '%s\n' "$out" | tail -n 1)
	case $last in
	*" passed, 0 failed")
		[ $rc -eq 0 ] || fail=1 ;;
	*)
		fail=1 ;;
	esac
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | grep -E '^not ok|^#' >&2
		fail=1
	fi
	printf '%-28s %s%s\n' "${t##*/}" "$last" \
		"$([ $rc -eq 0 ] || echo " (exit $rc)")"
done
if [ $n -eq 0 ]; then
	echo "check-units: no unit tests in $dir" >&2
	exit 1
fi
exit $fail
