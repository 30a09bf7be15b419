# Sourced by the tests that force a race (docs/testing.md, "Test hooks"):
# a process run with GITDIAL_TEST_HOLD=DIR stops at its publish (the
# commit made, the branch not moved yet), writes DIR/ready and waits for
# DIR/go, so the test can make another writer move the branch first.

# hold_wait DIR PID: waits (polling, at most 120 s) until the process PID
# holds at DIR. Fails, saying why, when PID ends first or time runs out.
hold_wait() {
	local i
	for i in $(seq 12000); do
		[ -e "$1/ready" ] && return 0
		kill -0 "$2" 2>/dev/null || { echo "# process $2 ended without holding at $1"; return 1; }
		sleep 0.01
	done
	echo "# process $2 did not hold at $1 within 120 s"
	return 1
}

# hold_commit DIR: the commit the held process is about to publish.
hold_commit() {
	cut -d' ' -f3 "$1/ready"
}

# hold_release DIR: lets the held process go on.
hold_release() {
	: >"$1/go"
}
