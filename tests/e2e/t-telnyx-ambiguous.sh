#!/usr/bin/env bash
# A Telnyx dial that drew no answer at all (the create timed out twice,
# so the runner cannot know whether a call exists), asked about later
# by another runner in a fresh clone, which never saw the first one's
# disk and has no webhook host beside it. The live call is found among
# the connection's active calls by its client_state and recorded placed
# with its id; a call that ended meanwhile (its webhook lost) keeps the
# attempt in flight until the documented hold (TELNYX_HOLD_S, 4 h 20 min
# after the claim) has passed. Nobody is dialed a second time, though
# the campaign retries failed attempts (a retry is a new attempt: the
# live call, closed failed by its status, is tried again as attempt 2).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

KEY=KEY0123-telnyx-ambiguous
CONN=1494404757140276705
PUB=https://hooks.example.com/gd
export TX_KEY=$KEY TX_PUB=MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
fake_start TX telnyx --api-key "$KEY" --connection-id "$CONN" || exit 1
# every webhook goes to a port nobody listens on: no webhook host here
fake_ctl "$TX_URL" /_control/config '{"deliver":{"'"$PUB"'":"http://127.0.0.1:9"}}' >/dev/null
W=$TMP/seed
drafts_repo "$W" || exit 1
"$PY" - "$W" "$TX_URL" "$PUB" "$CONN" <<'EOF'
import json, os, sys
r, api, pub, conn = sys.argv[1:5]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tx-main"] = {
    "provider": "telnyx", "caller_ids": ["+14155550100"], "max_concurrency": 4,
    "cps": 10, "api_base": api,
    "credentials": {"api_key": "env:TX_KEY", "public_key": "env:TX_PUB",
                    "connection_id": conn}}
g["webhook_base_url"] = pub
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
os.makedirs(r + "/campaigns/tx-amb")
with open(r + "/campaigns/tx-amb/audience.csv", "w") as f:
    f.write("phone,name\n+14155550111,Live\n+14155550112,Ended\n")
json.dump({"name": "Ambiguous dials", "status": "draft", "account": "tx-main",
           "caller_id": "+14155550100",
           "script": {"mode": "override", "text": "Hello {{name}}."},
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 4, "ring_timeout_s": 30, "max_call_minutes": 2,
                      "retries": {"max": 2, "cooldown_minutes": 10,
                                  "on": ["no_answer", "busy", "failed"]}}},
          open(r + "/campaigns/tx-amb/campaign.json", "w"), indent=2)
EOF
git_commit_all "$W" "a Telnyx campaign"
T0=2026-11-24T18:00:00Z
schedule "$W" tx-amb $T0
git clone -q --bare "$W" "$TMP/remote.git"

tick_fresh() { # NAME NOW [ENV...]: a tick in a fresh clone of the remote
	local name=$1 now=$2
	shift 2
	rm -rf "$TMP/$name"
	git clone -q "$TMP/remote.git" "$TMP/$name" &&
		env "$@" "$GITDIAL" tick --repo "$TMP/$name" --remote origin --now "$now" \
			--format json >"$TMP/$name.out" 2>>"$TMP/tick.err"
}
calls_to() { fake_ctl "$TX_URL" /_control/calls | "$PY" -c \
	'import json,sys; print(len([c for c in json.load(sys.stdin) if c["to"]==sys.argv[1]]))' "$1"; }
call_of() { fake_ctl "$TX_URL" /_control/calls | "$PY" -c \
	'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["to"]==sys.argv[1]][0])' "$1"; }
log() { git -C "$TMP/$1" fetch -q origin && git -C "$TMP/$1" grep -h "$2" origin/main -- outcomes/tx-amb; }

# runner A: both creates time out twice (the re-send with the same
# command_id makes no second call): ambiguous, left claimed
fake_ctl "$TX_URL" /_control/faults '{"create":["timeout_after_create:3000",
	"timeout_after_create:3000","timeout_after_create:3000","timeout_after_create:3000"]}' >/dev/null
tick_fresh a "$T0" GITDIAL_HTTP_TIMEOUT_MS=500 || { echo "# tick a failed"; tail -5 "$TMP/tick.err"; }
expect_eq "runner A's dials drew no answer: one call made per number" "1 1" \
	"$(calls_to +14155550111) $(calls_to +14155550112)"
expect_eq "... and nothing but the claims is in the log" "2 0 0" \
	"$(log a '"dispatched"' | wc -l) $(log a '"placed"' | wc -l) $(log a '"event":"outcome"' | wc -l)"
LIVE=$(call_of +14155550111)
ENDED=$(call_of +14155550112)
# the second call ends before anyone asks (its call.hangup lost)
curl -s -o /dev/null -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	--data '{}' "$TX_URL/v2/calls/$ENDED/actions/hangup"

# runner B, 3 minutes later, from a fresh clone: reconcile asks
tick_fresh b "$(minutes_after $T0 3)" || { echo "# tick b failed"; tail -5 "$TMP/tick.err"; }
expect_eq "runner B found the live call among the connection's active calls: placed with its id" \
	"$LIVE" "$(log b '"placed"' | grep '"tx-amb.14155550111.1"' | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["call_id"])')"
expect_eq "... the ended one is neither placed nor closed: still in flight" "0 0" \
	"$(log b '"tx-amb.14155550112.1"' | grep -c '"placed"') $(log b '"tx-amb.14155550112.1"' | grep -c '"outcome"')"
fake_ctl "$TX_URL" /_control/requests >"$TMP/reqs.json"
expect_eq "the lookup was GET /v2/connections/{connection_id}/active_calls, paged" \
	"/v2/connections/$CONN/active_calls?page%5Bnumber%5D=1&page%5Bsize%5D=100" \
	"$(jv "$TMP/reqs.json" '[r["path"] for r in d if r["op"]=="active_calls"][0]')"
expect_eq "... with the API key" True "$(jv "$TMP/reqs.json" 'str(all(r["auth_ok"] for r in d if r["op"]=="active_calls"))')"

# more runners, each from a fresh clone, up to just inside the hold
for m in 20 60 150 259; do
	[ "$m" = 60 ] && fake_ctl "$TX_URL" /_control/flush '{}' >/dev/null  # the live call ends
	tick_fresh "r$m" "$(minutes_after $T0 "$m")" || { echo "# tick r$m failed"; tail -5 "$TMP/tick.err"; }
done
expect_eq "inside the hold no attempt made a second call (calls per command_id)" "[1]" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c 'import json,sys,collections
print(sorted(set(collections.Counter(c["json"]["command_id"] for c in json.load(sys.stdin)).values())))')"
expect_eq "... the ended call's number was not dialed again" 1 "$(calls_to +14155550112)"
expect_eq "the live call was closed by its status, once" 1 \
	"$(log r259 '"event":"outcome"' | grep -c '"tx-amb.14155550111.1"')"
expect_eq "the ended call's attempt is still in flight at 4 h 19 min" 0 \
	"$(log r259 '"event":"outcome"' | grep -c '"tx-amb.14155550112.1"')"
expect_eq "no create for the ambiguous attempts after runner A's two tries each" 4 \
	"$(fake_ctl "$TX_URL" /_control/requests | "$PY" -c 'import json,sys
print(len([r for r in json.load(sys.stdin) if r["op"]=="create" and json.loads(r["body"])["command_id"].endswith(".1")]))')"
# past the hold: the call it may have made has ended and its outcome
# would be in the log; the attempt ends not placed
tick_fresh r265 "$(minutes_after $T0 265)" || { echo "# tick r265 failed"; tail -5 "$TMP/tick.err"; }
expect_eq "after the hold the attempt ends claimed_not_placed" 1 \
	"$(log r265 '"event":"outcome"' | grep '"tx-amb.14155550112.1"' | grep -c '"claimed_not_placed"')"
ok_if "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$TMP/tick.err'"
finish
