#!/usr/bin/env bash
# The webhook host apart from the runners: the sim delivers its events
# as signed webhooks to lighttpd (gitdial-sim as CGI at /sim) on the
# webhook host, whose `gitdial ingest --remote origin` commits them;
# every tick runs in a fresh clone of the remote (as a CI runner does),
# so no runner ever sees the webhook host's spool. The campaign runs to
# completion with every outcome from a webhook (none `lost`), and an
# ingest killed after its commit or after its push loses nothing and
# doubles nothing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

HOOK_SECRET=sim-hook-secret-7e21
export GITDIAL_SIM_HOOK_SECRET=$HOOK_SECRET
export GITDIAL_SIM_DIR=$TMP/carrier   # the carrier's memory, shared as a real one is
W=$TMP/seed
WH=$TMP/webhook-host
SP=$TMP/wh-spool
mkdir -p "$SP" "$GITDIAL_SIM_DIR"
drafts_repo "$W" || exit 1
git clone -q --bare "$W" "$TMP/remote.git"
git clone -q "$TMP/remote.git" "$WH"
web_start GITDIAL_REPO="$WH" GITDIAL_SPOOL="$SP" GITDIAL_SIM_HOOK_SECRET="$HOOK_SECRET" || exit 1
# the operator's change, pushed like any other
git clone -q "$TMP/remote.git" "$TMP/ops"
"$PY" - "$TMP/ops" "$WEB_URL" <<'EOF'
import json, sys
r, web = sys.argv[1:3]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["sim-main"]["webhook_secret"] = "env:GITDIAL_SIM_HOOK_SECRET"
g["webhook_base_url"] = web
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
EOF
add_campaign "$TMP/ops" hooks 24 212 6 1
T0=2026-11-24T15:00:00Z
schedule "$TMP/ops" hooks $T0
git -C "$TMP/ops" push -q origin HEAD
git -C "$WH" pull -q --ff-only

tick_fresh() { # N NOW: a tick in a fresh clone of the remote
	rm -rf "$TMP/run$1"
	git clone -q "$TMP/remote.git" "$TMP/run$1" &&
		"$GITDIAL" tick --repo "$TMP/run$1" --remote origin --now "$2" --format json \
			>"$TMP/tick.out" 2>>"$TMP/tick.err"
}
ingest() { # NOW [ENV...]
	local now=$1
	shift
	env "$@" "$GITDIAL" ingest --repo "$WH" --remote origin --spool "$SP" --now "$now" \
		>>"$TMP/ingest.out" 2>>"$TMP/ingest.err"
}
done_at= crashed=0
for i in $(seq 0 40); do
	now=$(minutes_after $T0 $((i * 5)))
	tick_fresh $i "$now" || { echo "# tick $i failed"; tail -5 "$TMP/tick.err"; break; }
	case $i in
	3) ingest "$now" GITDIAL_TEST_CRASH=claim-committed; crashed=$((crashed + ($? == 137))) ;;
	5) ingest "$now" GITDIAL_TEST_CRASH=claim-pushed; crashed=$((crashed + ($? == 137))) ;;
	esac
	ingest "$now" || { echo "# ingest $i failed"; tail -5 "$TMP/ingest.err"; break; }
	case $(cat "$TMP/tick.out") in *'"status":"completed"'*) done_at=$i; break ;; esac
	rm -rf "$TMP/run$i"
done
ok_if "the campaign completes with runners from fresh clones (tick $done_at)" test -n "$done_at"
expect_eq "two ingests were killed (SIGKILL) mid-way" 2 "$crashed"
git clone -q "$TMP/remote.git" "$TMP/check"
log() { git -C "$TMP/check" grep -h "$1" HEAD -- outcomes/hooks; }
expect_eq "one outcome per dispatch, none twice" "$(log '"dispatched"' | wc -l)" "$(log '"event":"outcome"' | wc -l)"
expect_eq "no outcome was lost or closed by a status lookup" 0 "$(log '"kind":"lost"' | wc -l)"
expect_eq "the outcomes came through the webhook host (signed by the sim account)" \
	"$(log '"event":"outcome"' | wc -l)" "$(log '"event":"outcome"' | grep -c '"account":"sim-main"')"
ok_if "every row accounted for, no double dial (audit)" $AUDIT "$TMP/check" hooks --complete
expect_eq "the webhook host's spool is drained" 0 "$(spool_count "$SP")"
n_done=$(spool_count "$SP/.done")
ingest "$(minutes_after $T0 300)"
expect_eq "published files wait in spool/.done/ ($n_done after the last ingest); the next ingest deletes them" \
	"0 0" "$(spool_count "$SP/.done") $(spool_count "$SP")"
ok_if "the runners never had a spool" sh -c "! ls -d $TMP/run*/.git/gitdial/spool/*.json 2>/dev/null"
expect_grep "ingest commits are the runner's, named ingest" '^ingest: ' \
	<(git -C "$TMP/check" log --format=%s --author='gitdial runner')
# a forged delivery (wrong signature) is refused; a stale one is ignored
echo '{"v":1,"ts":"2026-11-24T15:00:00Z","campaign":"hooks","event":"outcome","attempt_id":"hooks.121255000000.1","outcome":"connected","account":"sim-main"}' >"$TMP/forged.json"
expect_eq "a delivery signed with another secret gets 403" 403 \
	"$(post_hook /sim "$TMP/forged.json" "X-Gitdial-Signature: sha256=$(printf x | sha256sum | cut -c1-64)")"
expect_eq "... and is not spooled" 0 "$(spool_count "$SP")"
ok_if "ingest and tick refuse each other's options" sh -c "! '$GITDIAL' ingest --repo '$WH' --for 60 2>/dev/null"
ok_if "no sanitizer report from the CGI side" san_clean
ok_if "git fsck of the remote is clean" git -C "$TMP/remote.git" fsck --strict
finish
