#!/usr/bin/env bash
# Differential test: the JSON Schemas in schemas/ against the C loader
# (`gitdial validate`, `gitdial rules --check`). Every case in
# tests/schema-corpus/{config,campaign,rules}/
# {valid,invalid}/*.json is judged by both; they must agree with each other and
# with the directory the case is in. Also checks that every schema is a valid
# draft 2020-12 schema and that the rules pack (schemas/rules/) matches its schema.
#
#   GITDIAL=path/to/gitdial   the binary under test (default build/bin/gitdial)
#   SCHEMA_ONLY=1             judge the corpus by the schemas alone (no binary)
#
# Uses /usr/bin/python3 on purpose: Debian's python3-jsonschema lives there.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
PY=${PYTHON:-/usr/bin/python3}
GITDIAL=${GITDIAL:-$root/build/bin/gitdial}
SCHEMA_ONLY=${SCHEMA_ONLY:-0}
corpus=$root/tests/schema-corpus
schemas=$root/schemas

if ! "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
	echo "Bail out! $PY has no jsonschema with draft 2020-12 (apt-get install python3-jsonschema)"
	exit 1
fi
if [ "$SCHEMA_ONLY" != 1 ] && [ ! -x "$GITDIAL" ]; then
	echo "Bail out! $GITDIAL is not built (run ./build.sh, or SCHEMA_ONLY=1)"
	exit 1
fi

# The corpus is about the schema, not about an operator's settings
# (t-trust.sh): every name, file and listed host is allowed here.
export GITDIAL_ENV_ALLOW='*' GITDIAL_SECRETS_DIR=/
export GITDIAL_ALLOWED_HOSTS=127.0.0.1,functions.example.com,api.example.com

work=$(mktemp -d "${TMPDIR:-/tmp}/gitdial-schema-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0
pass=0
fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1${2:+ ($2)}"
	if [ -n "${3:-}" ]; then printf '%s\n' "$3" | sed 's/^/#   /'; fi
}

# --- 1. the schemas themselves, and the data tables --------------------------
# One python run prints "ok<TAB>name" or "not ok<TAB>name<TAB>why" per check.
"$PY" - "$schemas" >"$work/meta.tsv" <<'EOF'
import glob, json, os, sys
import jsonschema
root = sys.argv[1]
def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)
for p in sorted(glob.glob(os.path.join(root, "*.schema.json")) +
                glob.glob(os.path.join(root, "data", "*.schema.json")) +
                glob.glob(os.path.join(root, "rules", "*.schema.json"))):
    name = "schema " + os.path.relpath(p, os.path.dirname(root))
    try:
        jsonschema.Draft202012Validator.check_schema(load(p))
        print("ok\t" + name)
    except Exception as e:
        print("not ok\t%s\t%s" % (name, str(e).splitlines()[0]))
for table in ("rules/rules",):
    data = os.path.join(root, table + ".json")
    schema = os.path.join(root, table + ".schema.json")
    if not os.path.exists(data):
        continue
    name = "data schemas/%s.json" % table
    try:
        v = jsonschema.Draft202012Validator(load(schema), format_checker=jsonschema.FormatChecker())
        errs = sorted(v.iter_errors(load(data)), key=lambda e: list(e.absolute_path))
    except Exception as e:
        print("not ok\t%s\t%s" % (name, str(e).splitlines()[0]))
        continue
    if errs:
        why = "; ".join("/%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160]) for e in errs[:5])
        print("not ok\t%s\t%d errors: %s" % (name, len(errs), why))
    else:
        print("ok\t" + name)
EOF
while IFS="$(printf '\t')" read -r status name why; do
	if [ "$status" = ok ]; then ok "$name"; else notok "$name" "" "$why"; fi
done <"$work/meta.tsv"

# --- 2. the schema's verdict on every corpus case -----------------------------
# Lines: "<kind>/<expect>/<file><TAB>valid|invalid<TAB>first error".
"$PY" - "$schemas" "$corpus" >"$work/verdicts.tsv" <<'EOF'
import glob, json, os, sys
import jsonschema
schemas, corpus = sys.argv[1], sys.argv[2]
for kind, sname in (("config", "gitdial.schema.json"), ("campaign", "campaign.schema.json"),
                    ("rules", "rules/rules.schema.json")):
    with open(os.path.join(schemas, sname), encoding="utf-8") as f:
        v = jsonschema.Draft202012Validator(json.load(f), format_checker=jsonschema.FormatChecker())
    for p in sorted(glob.glob(os.path.join(corpus, kind, "*", "*.json"))):
        rel = os.path.relpath(p, corpus)
        try:
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
        except ValueError as e:
            print("%s\tinvalid\tnot JSON: %s" % (rel, e))
            continue
        err = jsonschema.exceptions.best_match(v.iter_errors(doc))
        if err is None:
            print("%s\tvalid\t" % rel)
        else:
            where = "/" + "/".join(map(str, err.absolute_path))
            print("%s\tinvalid\t%s: %s" % (rel, where, err.message[:200].replace("\t", " ").replace("\n", " ")))
EOF

# --- 3. the loader's verdict, and the comparison ------------------------------
fixed_config='{
  "accounts": {
    "sim-main": {"provider": "sim", "caller_ids": ["+14155550100"]},
    "wa-main": {"provider": "whatsapp", "caller_ids": ["+14155550101"],
                "credentials": {"access_token": "env:WA_TOKEN", "app_secret": "env:WA_SECRET",
                                "verify_token": "env:WA_VERIFY", "phone_number_id": "106540352242922"}}
  },
  "agent": {"media_url": "https://agent.example.com/sdp"},
  "disclosure": {"en": "This call may be recorded."}
}'
fixed_campaign='{
  "name": "Schema diff demo",
  "account": "sim-main",
  "caller_id": "+14155550100",
  "audience": {"csv": "audience.csv"}
}'

# make_repo DIR CONFIG_FILE|"" CAMPAIGN_FILE|""
make_repo() {
	rm -rf "$1"
	mkdir -p "$1/campaigns/demo"
	if [ -n "$2" ]; then cp "$2" "$1/gitdial.json"; else printf '%s\n' "$fixed_config" >"$1/gitdial.json"; fi
	if [ -n "$3" ]; then cp "$3" "$1/campaigns/demo/campaign.json"; else printf '%s\n' "$fixed_campaign" >"$1/campaigns/demo/campaign.json"; fi
	printf 'phone,name\n+14155550123,Ann\n' >"$1/campaigns/demo/audience.csv"
	git -C "$1" init -q -b main 2>/dev/null || git -C "$1" init -q
	git -C "$1" add -A
	git -C "$1" -c user.name=t -c user.email=t@example.invalid -c commit.gpgsign=false \
		commit -q -m "schema diff case"
}

while IFS="$(printf '\t')" read -r rel schema_says schema_err; do
	kind=${rel%%/*}
	rest=${rel#*/}
	expect=${rest%%/*}
	case "$expect" in valid | invalid) ;; *) notok "$rel" "not under valid/ or invalid/"; continue ;; esac

	if [ "$SCHEMA_ONLY" = 1 ]; then
		if [ "$schema_says" = "$expect" ]; then ok "$rel"
		else notok "$rel" "expected: $expect, schema: $schema_says" "${schema_err:+schema: $schema_err}"; fi
		continue
	fi

	rc=0
	if [ "$kind" = rules ]; then
		# a rules pack: as `gitdial rules --check` reads a repository's layer
		"$GITDIAL" rules --check "$corpus/$rel" --format json >"$work/out" 2>"$work/err" || rc=$?
	else
		repo=$work/repo
		if [ "$kind" = config ]; then make_repo "$repo" "$corpus/$rel" ""
		else make_repo "$repo" "" "$corpus/$rel"; fi
		"$GITDIAL" validate --repo "$repo" --format json >"$work/out" 2>"$work/err" || rc=$?
	fi
	case $rc in
	0) loader_says=valid ;;
	1) loader_says=invalid ;;
	*) loader_says="error (exit $rc)" ;;
	esac

	if [ "$schema_says" = "$expect" ] && [ "$loader_says" = "$expect" ]; then
		ok "$rel"
	else
		diag=""
		[ -n "$schema_err" ] && diag="schema: $schema_err"
		msg=$(cat "$work/out" "$work/err" | head -c 1500)
		[ -n "$msg" ] && diag="${diag:+$diag
}loader: $msg"
		notok "$rel" "expected: $expect, schema: $schema_says, loader: $loader_says" "$diag"
	fi
done <"$work/verdicts.tsv"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
