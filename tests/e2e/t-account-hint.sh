#!/usr/bin/env bash
# A campaign paused by an account error (kind `account`: the provider
# says the account's settings are wrong, here the sim's geo permissions,
# Twilio's 21215): `gitdial show`, text and JSON, gives the provider's
# code and what the operator must fix; after `resume` it no longer does.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

R=$TMP/repo
drafts_repo "$R" || exit 1
add_campaign "$R" geo 3 212 3 2
T0=2026-11-24T15:00:00Z
schedule "$R" geo $T0
GITDIAL_SIM_FAULT=account "$GITDIAL" tick --repo "$R" --now $T0 >"$TMP/t1" 2>&1
expect_eq "an account error pauses the campaign (exit 3)" 3 $?
"$GITDIAL" show geo --repo "$R" --now "$(minutes_after $T0 1)" >"$TMP/show" 2>&1
expect_grep "show: Paused" '^  Status       Paused' "$TMP/show"
expect_grep "show: the provider's code" \
	'^  Account      the provider refused account sim-main: code 21215$' "$TMP/show"
expect_grep "show: what to fix, from the provider's hint, and that nobody reached is dialed again" \
	'^  What to do   enable the country in the account.s geographic permissions; nobody reached is dialed again$' "$TMP/show"
"$GITDIAL" show geo --repo "$R" --now "$(minutes_after $T0 1)" --format json >"$TMP/show.json" 2>&1
expect_eq "show --format json: account_error with the code and the hint" \
	"21215|enable the country in the account's geographic permissions; nobody reached is dialed again|True" \
	"$(jv "$TMP/show.json" 'd["account_error"]["code"] + "|" + d["account_error"]["hint"] + "|" + str(d["what_to_do"] == d["account_error"]["hint"])')"
# a reason without a hint (another provider, an older log): the code and
# where the account errors are listed
"$PY" - "$R" <<'EOF'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/outcomes/geo/**/*.jsonl", recursive=True):
    out = []
    for l in open(f):
        e = json.loads(l)
        if e["event"] == "status" and e.get("reason", "").startswith("account:"):
            e["reason"] = ("account: the provider refused account sim-main (138013); "
                           "it said: calling is not available; fix it, then gitdial resume geo")
        out.append(json.dumps(e, separators=(",", ":")))
    open(f, "w").write("\n".join(out) + "\n")
EOF
git_commit_all "$R" "a reason without a hint"
"$GITDIAL" show geo --repo "$R" --now "$(minutes_after $T0 1)" >"$TMP/show2" 2>&1
expect_grep "no hint in the reason: the code and where account errors are listed" \
	'^  What to do   the provider refused the account.s settings \(code 138013; docs/providers.md, Account errors\): fix them, then gitdial resume geo' "$TMP/show2"
"$GITDIAL" resume geo --repo "$R" --author "Ops <ops@example.com>" --now "$(minutes_after $T0 5)" >/dev/null 2>&1
"$GITDIAL" show geo --repo "$R" --now "$(minutes_after $T0 6)" --format json >"$TMP/show3.json" 2>&1
expect_eq "resumed: no account_error any more" "False" "$(jv "$TMP/show3.json" 'str("account_error" in d)')"
finish
